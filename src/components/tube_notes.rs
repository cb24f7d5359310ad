//! `TubeNotes`: on a tube card, the placer's notes and the lab's recollection reasons of the orders the tube serves.

use drawline_domain::{Order, TestCode};
use leptos::prelude::*;

/// Which of an order's texts a line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoteKind {
    /// Why the lab asked for the order to be collected again.
    Recollection,
    /// The placer's note.
    Note,
}

impl NoteKind {
    fn heading(self) -> &'static str {
        match self {
            NoteKind::Recollection => "Recollection requested",
            NoteKind::Note => "Note",
        }
    }
}

/// One line of a tube card: a text, and the tests whose orders give it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NoteLine {
    kind: NoteKind,
    text: String,
    tests: Vec<TestCode>,
}

/// The lines for a tube's orders: recollection reasons first, then notes; a text several orders
/// share is one line naming their tests.
fn note_lines(orders: &[Order]) -> Vec<NoteLine> {
    let mut lines: Vec<NoteLine> = Vec::new();
    for kind in [NoteKind::Recollection, NoteKind::Note] {
        for o in orders {
            let text = match kind {
                NoteKind::Recollection => o.recollection_reason.as_deref(),
                NoteKind::Note => o.note.as_deref(),
            };
            let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
                continue;
            };
            match lines.iter_mut().find(|l| l.kind == kind && l.text == text) {
                Some(line) if !line.tests.contains(&o.test) => line.tests.push(o.test.clone()),
                Some(_) => {}
                None => lines.push(NoteLine {
                    kind,
                    text: text.to_owned(),
                    tests: vec![o.test.clone()],
                }),
            }
        }
    }
    lines
}

/// The heading of a line: it names its tests only when the tube serves tests it does not
/// concern, so a one-order tube reads `Note: …`.
fn heading(line: &NoteLine, orders: &[Order]) -> String {
    let all = orders.iter().all(|o| line.tests.contains(&o.test));
    if all {
        line.kind.heading().to_owned()
    } else {
        let tests: Vec<&str> = line.tests.iter().map(TestCode::as_str).collect();
        format!("{} ({})", line.kind.heading(), tests.join(", "))
    }
}

/// The notes and recollection reasons of the orders a tube serves; nothing when there are none.
#[component]
pub fn TubeNotes(
    /// The orders the tube serves.
    orders: Vec<Order>,
) -> impl IntoView {
    let lines = note_lines(&orders);
    if lines.is_empty() {
        return ().into_any();
    }
    let items = lines
        .into_iter()
        .map(|line| {
            let test_id = match line.kind {
                NoteKind::Recollection => "tube-recollection",
                NoteKind::Note => "tube-note",
            };
            view! {
                <p class=format!("tube-note {test_id}") data-testid=test_id>
                    <strong>{heading(&line, &orders)} ": "</strong>
                    <span class="tube-note-text">{line.text}</span>
                </p>
            }
        })
        .collect_view();
    view! { <div class="tube-notes" data-testid="tube-notes">{items}</div> }.into_any()
}

#[cfg(test)]
mod tests {
    use drawline_domain::{OrderId, PatientId, Priority};

    use super::*;

    fn with(test: &str, note: Option<&str>, reason: Option<&str>) -> Order {
        Order {
            id: OrderId::parse(&format!("sr-{test}")).unwrap(),
            patient: PatientId::parse("p1").unwrap(),
            test: TestCode::parse(test).unwrap(),
            priority: Priority::Routine,
            placed_at: chrono::Utc::now(),
            due_at: None,
            requisition: None,
            accessions: Vec::new(),
            note: note.map(str::to_owned),
            recollection_reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn a_tube_of_one_order_shows_its_recollection_reason_then_its_note_without_naming_the_test() {
        let orders = [with("PT", Some("On warfarin"), Some("Haemolysed"))];
        let lines = note_lines(&orders);
        let shown: Vec<String> = lines
            .iter()
            .map(|l| format!("{}: {}", heading(l, &orders), l.text))
            .collect();
        assert_eq!(
            shown,
            ["Recollection requested: Haemolysed", "Note: On warfarin"]
        );
    }

    #[test]
    fn a_reason_shared_by_every_order_of_the_tube_is_one_line_and_a_note_of_one_names_its_test() {
        let orders = [
            with("BMP", Some("Draw after dialysis"), Some("Clotted")),
            with("MG", None, Some("Clotted")),
        ];
        let lines = note_lines(&orders);
        assert_eq!(lines.len(), 2);
        assert_eq!(heading(&lines[0], &orders), "Recollection requested");
        assert_eq!(heading(&lines[1], &orders), "Note (BMP)");
    }

    #[test]
    fn orders_without_notes_or_reasons_give_no_lines() {
        assert!(note_lines(&[with("CBC", None, Some("  ")), with("BMP", None, None)]).is_empty());
    }
}
