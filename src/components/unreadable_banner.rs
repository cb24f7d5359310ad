//! `UnreadableBanner`: the stored records the lab could not read back and leaves out of its lists, for a supervisor to have repaired.

use drawline_domain::api::UnreadableRow;
use leptos::prelude::*;

/// How many rows the banner names before it counts the rest.
const NAMED: usize = 5;

/// The banner's words: how many rows, the first few by kind and id (never any content), and
/// what to do. `None` when every stored record reads.
pub fn unreadable_text(rows: &[UnreadableRow]) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let n = rows.len();
    let named: Vec<String> = rows
        .iter()
        .take(NAMED)
        .map(|r| {
            format!(
                "{} {} ({})",
                r.kind.replace('_', " "),
                r.id,
                r.list.replace('_', " ")
            )
        })
        .collect();
    let more = n.saturating_sub(NAMED);
    let rest = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let records = if n == 1 { "record" } else { "records" };
    Some(format!(
        "{n} stored {records} could not be read and {} left out of the lists: {}{rest}. \
         Ask the lab's administrator to repair them; nothing else is affected.",
        if n == 1 { "is" } else { "are" },
        named.join(", ")
    ))
}

/// A warning banner over a supervisor list when some stored records could not be read.
#[component]
pub fn UnreadableBanner(
    /// The rows the lab reported, newest first.
    #[prop(into)]
    rows: Signal<Vec<UnreadableRow>>,
) -> impl IntoView {
    move || {
        unreadable_text(&rows.get()).map(|text| {
            view! {
                <p class="banner unreadable-banner" role="status" data-testid="unreadable-banner">
                    {text}
                </p>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn row(kind: &str, id: &str) -> UnreadableRow {
        UnreadableRow {
            list: "fhir_export".into(),
            kind: kind.into(),
            id: id.into(),
            seen_at: Utc::now(),
        }
    }

    #[test]
    fn nothing_unreadable_shows_no_banner() {
        assert_eq!(unreadable_text(&[]), None);
    }

    #[test]
    fn one_unreadable_row_is_named_by_kind_and_id() {
        let text = unreadable_text(&[row("collection_version", "abc/1")]).unwrap();
        assert!(
            text.starts_with("1 stored record could not be read and is left out"),
            "{text}"
        );
        assert!(
            text.contains("collection version abc/1 (fhir export)"),
            "{text}"
        );
    }

    #[test]
    fn many_unreadable_rows_name_five_and_count_the_rest() {
        let rows: Vec<_> = (0..8).map(|i| row("order", &format!("o-{i}"))).collect();
        let text = unreadable_text(&rows).unwrap();
        assert!(
            text.starts_with("8 stored records could not be read and are"),
            "{text}"
        );
        assert!(text.contains("order o-4 (fhir export)") && !text.contains("o-5"));
        assert!(text.contains(" and 3 more."), "{text}");
    }
}
