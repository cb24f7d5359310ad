//! The draw list: this device's patients and their open orders, STAT, timed due now, urgent, routine, then timed later.

use std::rc::Rc;

use chrono::{DateTime, Utc};
use drawline_domain::api::{Worklist, WorklistOrder};
use drawline_domain::collection::{alerts_for_display, DrawSection, Due, Window};
use drawline_domain::{sort_draw_list, Device, Patient, Priority, SiteConfig};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_navigate;

use crate::components::error_note::{failure_of, ErrorNote};
use crate::components::field::TextField;
use crate::components::screen::{Screen, TitleActions};
use crate::context::{Auth, DeviceDb, Revision};
use crate::error::AppError;
use crate::round;
use crate::storage::keys::{TypedRecords, NEEDLE};
use crate::storage::{DraftStore, StorageError};
use crate::sync::pull::{self, OrderNotice};
use crate::sync::runner::{self, Readiness, SyncRunner};
use crate::workflow::{self, DraftData, Step};

/// Everything the list shows, read from the device in one go.
#[derive(Clone)]
struct Round {
    worklist: Option<Worklist>,
    site: SiteConfig,
    drafts: Vec<(DraftData, Step, String)>,
    /// Orders in a finalized collection still in the outbox.
    waiting_orders: Vec<String>,
    /// Orders in a collection the lab acknowledged.
    synced_orders: Vec<String>,
    /// Orders the lab cancelled.
    cancelled_orders: Vec<String>,
    notices: Vec<OrderNotice>,
    needle: Device,
}

impl Round {
    /// Orders that must not go into a new collection.
    fn closed_orders(&self) -> Vec<String> {
        let mut all = self.waiting_orders.clone();
        all.extend(self.synced_orders.iter().cloned());
        all.extend(self.cancelled_orders.iter().cloned());
        all
    }
}

async fn load(store: Rc<dyn DraftStore>) -> Result<Round, StorageError> {
    let (worklist, site) = round::load_round(&store).await?;
    let drafts = round::load_drafts(&store).await?;
    let outbox = store.list_outbox().await?;
    let receipts = store.list_receipts().await?;
    // The newest version of each collection holds its orders; a void holds none.
    let (waiting, synced): (Vec<_>, Vec<_>) = workflow::newest_versions(&outbox, &receipts)
        .into_iter()
        .filter(|n| !n.voided)
        .partition(|n| n.in_outbox);
    let orders = |list: Vec<workflow::NewestVersion<'_>>| -> Vec<String> {
        list.into_iter().flat_map(|n| n.order_ids).collect()
    };
    let (waiting_orders, synced_orders) = (orders(waiting), orders(synced));
    let notices = runner::load_notices(&store).await?;
    let needle = round::load_needle(&store).await?;
    Ok(Round {
        worklist,
        site,
        drafts,
        waiting_orders,
        synced_orders,
        cancelled_orders: pull::blocked_orders(&notices),
        notices,
        needle,
    })
}

/// One patient's row: their open orders in draw-list order, those due now apart from those
/// whose window opens later.
#[derive(Clone)]
struct Row {
    patient: Patient,
    /// Orders a draw takes now (or, when nothing is open, the collected ones).
    orders: Vec<WorklistOrder>,
    /// Timed orders whose window opens later, with that window; they stay on the list.
    later: Vec<(WorklistOrder, Window)>,
    section: DrawSection,
    draft: Option<(String, Step)>,
    done: Option<Done>,
}

/// Why a patient has nothing left to draw.
#[derive(Clone, Copy, PartialEq)]
enum Done {
    Waiting,
    Synced,
    Cancelled,
}

fn rows(round: &Round, now: DateTime<Utc>) -> Vec<Row> {
    use std::collections::{HashMap, HashSet};
    let Some(w) = &round.worklist else {
        return Vec::new();
    };
    // Indexes built once: the list must stay quick at thousands of patients, so no lookup
    // below scans the whole worklist.
    let by_id: HashMap<&str, &WorklistOrder> =
        w.orders.iter().map(|o| (o.order.id.as_str(), o)).collect();
    let patients: HashMap<&str, &Patient> = w.patients.iter().map(|p| (p.id.as_str(), p)).collect();
    let set = |list: &[String]| -> HashSet<String> { list.iter().cloned().collect() };
    let (waiting, synced) = (set(&round.waiting_orders), set(&round.synced_orders));
    let closed = set(&round.closed_orders());
    let drafts: HashMap<String, (String, Step)> = round
        .drafts
        .iter()
        .map(|(d, s, _)| (d.collection.patient().id.to_string(), (d.id(), *s)))
        .collect();
    // The domain's rule orders the list; patients follow their most urgent order.
    let mut orders: Vec<_> = w.orders.iter().map(|o| o.order.clone()).collect();
    sort_draw_list(&mut orders, &round.site, now);
    let position: HashMap<&str, usize> = orders
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.as_str(), i))
        .collect();
    let mut grouped: HashMap<&str, Vec<WorklistOrder>> = HashMap::new();
    let mut first: Vec<&drawline_domain::Order> = Vec::new();
    for o in &orders {
        let list = grouped.entry(o.patient.as_str()).or_default();
        if list.is_empty() {
            first.push(o);
        }
        if let Some(wo) = by_id.get(o.id.as_str()) {
            list.push((*wo).clone());
        }
    }
    let mut out: Vec<(usize, Row)> = Vec::with_capacity(first.len());
    for o in first {
        let Some(patient) = patients.get(o.patient.as_str()) else {
            continue;
        };
        let mine = grouped.remove(o.patient.as_str()).unwrap_or_default();
        let open: Vec<WorklistOrder> = mine
            .iter()
            .filter(|x| !closed.contains(x.order.id.as_str()))
            .cloned()
            .collect();
        let has = |list: &HashSet<String>| mine.iter().any(|x| list.contains(x.order.id.as_str()));
        let done = open.is_empty().then(|| {
            if has(&waiting) {
                Done::Waiting
            } else if has(&synced) {
                Done::Synced
            } else {
                Done::Cancelled
            }
        });
        // A patient is placed by their most urgent open order (a collected STAT no longer
        // holds a trough due tonight at the top).
        let lead = open.first().map_or(o, |x| &x.order);
        let section = DrawSection::of(lead, &round.site, now);
        let place = position
            .get(lead.id.as_str())
            .copied()
            .unwrap_or(usize::MAX);
        // Each open order is judged once: due now, or later with its window.
        let mut due_now = Vec::with_capacity(open.len());
        let mut later = Vec::new();
        for x in open {
            match Due::of(&x.order, &round.site, now) {
                Due::Later(w) => later.push((x, w)),
                _ => due_now.push(x),
            }
        }
        out.push((
            place,
            Row {
                patient: (*patient).clone(),
                orders: if done.is_some() { mine } else { due_now },
                done,
                later,
                section,
                draft: drafts.get(patient.id.as_str()).cloned(),
            },
        ));
    }
    out.sort_by_key(|(place, _)| *place);
    out.into_iter().map(|(_, row)| row).collect()
}

fn matches(row: &Row, query: &str) -> bool {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return true;
    }
    let id = &row.patient.identity;
    let name = format!("{} {}", id.name.family, id.name.given.join(" ")).to_lowercase();
    name.contains(&q)
        || id.name.display_full().to_lowercase().contains(&q)
        || id.mrn.as_str().to_lowercase().contains(&q)
}

fn local_hm(t: DateTime<Utc>) -> String {
    drawline_domain::clock_text::hm(&t.with_timezone(&chrono::Local))
}

/// `21:00` today, `00:30 tomorrow`, or the date beyond, in local time: a later draw may be
/// after midnight.
fn local_when(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let (day, today) = (
        t.with_timezone(&chrono::Local).date_naive(),
        now.with_timezone(&chrono::Local).date_naive(),
    );
    match (day - today).num_days() {
        0 => local_hm(t),
        1 => format!("{} tomorrow", local_hm(t)),
        _ => format!("{} {}", drawline_domain::clock_text::ymd(&day), local_hm(t)),
    }
}

/// What the row says of a timed order due now: its window, and whether it is overdue.
fn timing_text(site: &SiteConfig, o: &WorklistOrder, now: DateTime<Utc>) -> Option<String> {
    let due = Due::of(&o.order, site, now);
    let w = due.window()?;
    let label = w.label.clone().unwrap_or_else(|| "Timed".into());
    let window = format!(
        "window {}\u{2013}{}",
        local_hm(w.opens()),
        local_hm(w.closes())
    );
    let when = match due {
        Due::Overdue(_) => format!(
            "overdue by {} min: drawing needs a reason",
            workflow::minutes_from(w.closes(), now)
        ),
        _ => {
            let minutes = workflow::minutes_from(now, w.target);
            if minutes > 0 {
                format!("in {minutes} min")
            } else {
                format!("{} min ago", -minutes)
            }
        }
    };
    Some(format!(
        "{label} due {}, {window} ({when})",
        local_hm(w.target)
    ))
}

/// What the row says of a timed order due later: `Vancomycin trough due 21:00, window opens 20:30`.
fn later_text(name: &str, w: &Window, now: DateTime<Utc>) -> String {
    format!(
        "{name} due {}, window opens {}",
        local_when(w.target, now),
        local_when(w.opens(), now)
    )
}

/// The draw list screen.
#[component]
pub fn DrawList() -> impl IntoView {
    let db = DeviceDb::expect();
    let auth = Auth::expect();
    let revision = Revision::expect();
    let navigate = use_navigate();
    let query = RwSignal::new(String::new());
    // The clock the "nothing due until" buttons watch: a trough's window opens while the
    // list is open, and its patient can then be collected without a reload.
    let clock = RwSignal::new(Utc::now());
    crate::hooks::use_interval::use_interval(std::time::Duration::from_secs(20), move || {
        clock.set(Utc::now())
    });
    let round = LocalResource::new(move || {
        revision.track();
        async move { load(db.0.await?).await }
    });

    let runner: SyncRunner = expect_context();
    let prepare = Action::new_local(move |_: &()| async move {
        runner.prepare().await.map_err(AppError::Refused)
    });
    let acknowledge = Action::new_local(move |_: &()| async move {
        let store = db.0.await?;
        let mut notices = runner::load_notices(&store).await?;
        for n in &mut notices {
            n.acknowledged = true;
        }
        store.write(pull::NOTICES, &notices).await?;
        revision.bump();
        Ok::<_, AppError>(())
    });

    let set_needle = Action::new_local(move |device: &Device| {
        let device = *device;
        async move {
            let store = db.0.await?;
            store.write(NEEDLE, &device).await?;
            revision.bump();
            Ok::<_, AppError>(())
        }
    });

    let start = Action::new_local(move |patient: &String| {
        let patient = patient.clone();
        async move {
            let store = db.0.await?;
            let r = load(store.clone()).await?;
            // One open collection per patient: resume it rather than start a second one.
            if let Some((d, step, _)) = r
                .drafts
                .iter()
                .find(|(d, _, _)| d.collection.patient().id.as_str() == patient)
            {
                return Ok(step.path(&d.id()));
            }
            let collector = auth
                .collector()
                .ok_or_else(|| AppError::refused("sign in again to start a collection"))?;
            let closed = r.closed_orders();
            let worklist = r.worklist.ok_or("no worklist on this tablet yet")?;
            let data = workflow::start(
                &worklist,
                &r.site,
                &patient,
                &closed,
                r.needle,
                collector,
                workflow::now(),
            )?;
            store
                .put_draft(&data.to_draft(Step::Identify, chrono::Local::now().fixed_offset()))
                .await?;
            revision.bump();
            Ok::<_, AppError>(Step::Identify.path(&data.id()))
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(path)) = start.value().get() {
            navigate(&path, Default::default());
        }
    });

    let list = move || {
        round.get().map(|res| match res {
            Err(e) => view! { <ErrorNote error=AppError::from(e) /> }.into_any(),
            Ok(r) => render(r, query, start, set_needle, acknowledge, clock).into_any(),
        })
    };

    view! {
        {move || {
            auth.signed_out().then(|| view! { <Redirect path="/sign-in" /> })
        }}
        <Screen title="Draw list" test_id="draw-list">
            <TitleActions slot>
                <button
                    class="button"
                    data-testid="prepare-round"
                    on:click=move |_| {
                        prepare.dispatch(());
                    }
                    disabled=move || prepare.pending().get()
                >
                    {move || if prepare.pending().get() { "Preparing…" } else { "Prepare for round" }}
                </button>
            </TitleActions>
            {move || {
                prepare
                    .value()
                    .get()
                    .map(|r| match r {
                        Ok(ready) => readiness_view(ready).into_any(),
                        Err(e) => {
                            view! {
                                <p class="notice" role="alert" data-testid="round-not-ready">
                                    "Not ready for offline work: " {e.to_string()} ". The last downloaded worklist is kept."
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
            <ErrorNote error=failure_of(start) test_id="start-error" />
            <TextField label="Find a patient (name or MRN)" id="search" value=query kind="search" />
            <Transition fallback=|| view! { <p class="muted">"Reading the worklist…"</p> }>{list}</Transition>
        </Screen>
    }
}

fn readiness_view(r: Readiness) -> impl IntoView {
    let ready = r.offline_start;
    let text = format!(
        "{}: {} patient{}, {} order{} on {}; catalog of {} tests; {}{}",
        if ready {
            "Ready to work offline"
        } else {
            "Worklist downloaded"
        },
        r.patients,
        if r.patients == 1 { "" } else { "s" },
        r.orders,
        if r.orders == 1 { "" } else { "s" },
        if r.rounds.is_empty() {
            "no round".to_string()
        } else {
            r.rounds.join(", ")
        },
        r.tests,
        if ready {
            "the app starts without a connection"
        } else {
            "the app is not stored for offline start yet: keep this page open online a moment, then prepare again"
        },
        if r.waiting > 0 {
            format!("; {} collection(s) still waiting to sync", r.waiting)
        } else {
            String::new()
        },
    );
    view! {
        <p class=if ready { "banner ok" } else { "notice" } role="status" data-testid="round-ready">
            {text}
        </p>
    }
}

fn notices_view(r: &Round, acknowledge: Action<(), Result<(), AppError>>) -> Option<impl IntoView> {
    let open: Vec<String> = r
        .notices
        .iter()
        .filter(|n| !n.acknowledged)
        .map(|n| {
            let name = r
                .worklist
                .as_ref()
                .and_then(|w| w.patients.iter().find(|p| p.id.as_str() == n.patient_id))
                .map(|p| p.identity.name.display_full())
                .unwrap_or_else(|| format!("patient {}", n.patient_id));
            n.message(&name)
        })
        .collect();
    (!open.is_empty()).then(|| {
        view! {
            <section class="card warn-card" role="alert" data-testid="order-notices">
                <h2>"Changed by the lab since the last download"</h2>
                <ul>{open.into_iter().map(|m| view! { <li data-testid="order-notice">{m}</li> }).collect_view()}</ul>
                <button class="button" data-testid="acknowledge-notices" on:click=move |_| { acknowledge.dispatch(()); }>
                    "Got it"
                </button>
            </section>
        }
    })
}

fn render(
    r: Round,
    query: RwSignal<String>,
    start: Action<String, Result<String, AppError>>,
    set_needle: Action<Device, Result<(), AppError>>,
    acknowledge: Action<(), Result<(), AppError>>,
    clock: RwSignal<DateTime<Utc>>,
) -> impl IntoView {
    let notices = notices_view(&r, acknowledge);
    let now = clock.get_untracked();
    let all = rows(&r, now);
    let needle = r.needle;
    let draft_count = r.drafts.len();
    let site = r.site.clone();
    let rounds = r
        .worklist
        .as_ref()
        .map(|w| {
            w.rounds
                .iter()
                .map(|x| x.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let downloaded = r
        .worklist
        .as_ref()
        .map(|w| drawline_domain::clock_text::hm(&w.generated_at.with_timezone(&chrono::Local)));
    let needle_button = move |device: Device, label: &'static str| {
        view! {
            <button
                type="button"
                class=if needle == device { "button segment chosen" } else { "button segment" }
                aria-pressed=if needle == device { "true" } else { "false" }
                on:click=move |_| {
                    set_needle.dispatch(device);
                }
            >
                {label}
            </button>
        }
    };
    view! {
        {notices}
        <p class="muted" data-testid="round-names">
            {if rounds.is_empty() { "No worklist downloaded yet".to_string() } else { rounds }}
            {downloaded.map(|d| format!(" · downloaded {d}"))}
        </p>
        {(draft_count > 0)
            .then(|| {
                view! {
                    <a class="banner" href="/drafts" data-testid="resume-banner">
                        <strong>{draft_count} " unfinished collection" {if draft_count == 1 { "" } else { "s" }}</strong>
                        " — tap to resume"
                    </a>
                }
            })}
        <div class="segmented" role="group" aria-label="Needle used (decides the discard tube)">
            <span class="segmented-label">"Needle:"</span>
            {needle_button(Device::EvacuatedHolder, "Straight needle")}
            {needle_button(Device::Winged, "Butterfly (winged)")}
        </div>
        {move || {
            let q = query.get();
            let shown: Vec<Row> = all.iter().filter(|row| matches(row, &q)).cloned().collect();
            if shown.is_empty() {
                return view! { <p class="card muted" data-testid="no-patients">"No patient matches."</p> }
                    .into_any();
            }
            DrawSection::ALL
                .into_iter()
                .filter_map(|section| {
                    let rows: Vec<Row> = shown.iter().filter(|r| r.section == section).cloned().collect();
                    (!rows.is_empty())
                        .then(|| {
                            let site = site.clone();
                            view! {
                                <section class="draw-section" aria-label=section.title() data-testid=format!("section-{}", section.code())>
                                    <h2 class=format!("section-title {}", section.code())>
                                        {section.title()}
                                    </h2>
                                    {rows.into_iter().map(|row| patient_card(row, &site, start, now, clock)).collect_view()}
                                </section>
                            }
                        })
                })
                .collect_view()
                .into_any()
        }}
    }
}

fn patient_card(
    row: Row,
    site: &SiteConfig,
    start: Action<String, Result<String, AppError>>,
    now: DateTime<Utc>,
    clock: RwSignal<DateTime<Utc>>,
) -> impl IntoView {
    let id = row.patient.identity.clone();
    let pid = row.patient.id.to_string();
    let tests = row
        .orders
        .iter()
        .map(|o| {
            let name = site
                .test(&o.order.test)
                .map(|t| t.name.clone())
                .unwrap_or_else(|| o.order.test.to_string());
            let prio = o.order.priority;
            let timing = timing_text(site, o, now);
            view! {
                <li>
                    {(prio != Priority::Routine)
                        .then(|| view! { <span class=format!("prio {}", prio.code())>{prio.code().to_uppercase()}</span> })}
                    <span class="test-code">{o.order.test.to_string()}</span>
                    " "
                    {name}
                    {o.fasting.then(|| view! { <span class="tag">"fasting"</span> })}
                    {timing.map(|t| view! { <span class="timing" data-testid="timing">{t}</span> })}
                </li>
            }
        })
        .collect_view();
    let name_of = |o: &WorklistOrder| {
        site.test(&o.order.test)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| o.order.test.to_string())
    };
    let opens = row.later.iter().map(|(_, w)| w.opens()).min();
    let later = (!row.later.is_empty()).then(|| {
        let items = row
            .later
            .iter()
            .map(|(o, w)| {
                view! {
                    <li data-testid="later-order">
                        <span class="test-code">{o.order.test.to_string()}</span>
                        " "
                        {later_text(&name_of(o), w, now)}
                    </li>
                }
            })
            .collect_view();
        view! {
            <p class="later-title">"Later (not in this draw):"</p>
            <ul class="tests later">{items}</ul>
        }
    });
    // Isolation or an arm restriction matters before the room is entered: the card says so.
    let alerts = (!row.patient.alerts.is_empty()).then(|| {
        alerts_for_display(&row.patient.alerts)
            .iter()
            .map(|a| format!("{}: {}", a.heading(), a.text))
            .collect::<Vec<_>>()
            .join(" \u{b7} ")
    });
    let location = row
        .orders
        .iter()
        .chain(row.later.iter().map(|(o, _)| o))
        .find_map(|o| o.location.clone());
    let action = if let Some(done) = row.done {
        let text = match done {
            Done::Waiting => "Collected · waiting to sync",
            Done::Synced => "Collected · synced",
            Done::Cancelled => "Cancelled by the lab",
        };
        view! { <span class="badge ok" data-testid="patient-done">{text}</span> }.into_any()
    } else if let (true, None, Some(opens)) = (row.orders.is_empty(), &row.draft, opens) {
        // Only timed orders whose window opens later: nothing to draw until it opens.
        let when = local_when(opens, now);
        let waiting = move || clock.get() < opens;
        let pid = pid.clone();
        view! {
            <button
                class=move || if waiting() { "button waiting" } else { "button primary" }
                disabled=move || waiting() || start.pending().get()
                data-testid=format!("collect-{}", id.mrn)
                on:click=move |_| {
                    start.dispatch(pid.clone());
                }
            >
                {move || if waiting() { format!("Nothing due until {when}") } else { "Collect".to_string() }}
            </button>
        }
        .into_any()
    } else {
        let label = match row.draft {
            Some((_, step)) => format!("Resume: {}", step.title().to_lowercase()),
            None => "Collect".to_string(),
        };
        let pid = pid.clone();
        view! {
            <button
                class="button primary"
                data-testid=format!("collect-{}", id.mrn)
                on:click=move |_| {
                    start.dispatch(pid.clone());
                }
                disabled=move || start.pending().get()
            >
                {label}
            </button>
        }
        .into_any()
    };
    view! {
        <article class=if row.done.is_some() { "patient-card collected" } else { "patient-card" } data-testid="patient-card" data-mrn=id.mrn.to_string()>
            <div class="patient-main">
                <h3 class="patient-name">{id.name.display_full()}</h3>
                <p class="patient-ids">
                    "DOB " {drawline_domain::clock_text::ymd(&id.birth_date)} " · MRN " {id.mrn.to_string()}
                </p>
                {location.map(|l| view! { <p class="muted">{l}</p> })}
                {alerts.map(|a| view! {
                    <p class="card-alerts" data-testid="card-alerts"><strong>"Alerts: "</strong>{a}</p>
                })}
                {row.draft.as_ref().map(|_| view! { <span class="badge warn">"Draft in progress"</span> })}
                <ul class="tests" data-testid="due-orders">{tests}</ul>
                {later}
            </div>
            <div class="patient-action">{action}</div>
        </article>
    }
}
