//! One tube as a large card, its cap colour shown as a swatch and in words.

use drawline_domain::collection::TubeRecord;
use drawline_domain::Order;
use leptos::prelude::*;

use crate::components::tube_instructions::TubeInstructions;
use crate::components::tube_notes::TubeNotes;

/// CSS colour of a cap named in the site configuration; unknown names get a neutral grey
/// (the words are always shown, so the colour is never the only cue).
pub fn cap_colour(cap: &str) -> &'static str {
    let c = cap.to_ascii_lowercase();
    let table: [(&str, &str); 13] = [
        ("light blue", "#7ec8f0"),
        ("royal blue", "#1f3fa8"),
        ("light green", "#8fd694"),
        ("blue", "#2a6fdb"),
        ("purple", "#6a2c91"),
        ("lavender", "#b57edc"),
        ("yellow", "#f4d03f"),
        ("gold", "#d4a017"),
        ("green", "#1e8449"),
        ("grey", "#8e9399"),
        ("gray", "#8e9399"),
        ("pink", "#f5a3c7"),
        ("red", "#c0392b"),
    ];
    table
        .iter()
        .find(|(name, _)| c.starts_with(name))
        .map(|(_, css)| *css)
        .unwrap_or("#bdbdbd")
}

/// A tube to draw: cap, additive, volume, inversions, handling and the tests it serves;
/// `children` hold its action (e.g. the "Drawn" button) or its status.
#[component]
pub fn TubeCard(
    /// The tube and what happened to it.
    tube: TubeRecord,
    /// Draw at this time and window, for a timed tube (e.g. `TROUGH due 09:30 ±30 min`).
    #[prop(optional)]
    timing: Option<String>,
    /// The orders the tube serves, for their notes and recollection reasons.
    #[prop(optional)]
    orders: Vec<Order>,
    /// The action or status shown on the card.
    children: Children,
) -> impl IntoView {
    let t = tube.tube.clone();
    let timing = timing.filter(|x| !x.is_empty());
    let done = tube.drawn.is_some();
    let class = match (t.discard, done) {
        (true, _) => "tube-card discard",
        (false, true) => "tube-card done",
        _ => "tube-card",
    };
    let tests = if t.discard {
        "Discard tube: clears the butterfly tubing, then thrown away".to_string()
    } else {
        t.tests
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let volume = if t.discard {
        "need not be filled".to_string()
    } else if t.fill_to_line {
        format!("{} mL, fill to the line", t.volume_ml)
    } else {
        format!("{} mL", t.volume_ml)
    };
    view! {
        <article class=class data-testid="tube-card" data-cap=t.cap.clone() data-index=tube.index>
            // Set through the CSSOM (`style:`), not a `style` attribute: the lab's
            // Content-Security-Policy forbids inline style attributes.
            <div class="cap" style:background=cap_colour(&t.cap) aria-hidden="true"></div>
            <div class="tube-body">
                <h3>
                    <span class="tube-index">{tube.index} ". "</span>
                    <span class="cap-words" data-testid="cap-words">{t.cap.clone()}</span>
                    " cap — " {t.container_name.clone()}
                </h3>
                <dl class="tube-facts">
                    <dt>"Additive"</dt>
                    <dd>{t.additive.clone()}</dd>
                    <dt>"Volume"</dt>
                    <dd>{volume}</dd>
                    <dt>"Invert"</dt>
                    <dd>{format!("{} times, gently", t.inversions)}</dd>
                    <dt>"Tests"</dt>
                    <dd data-testid="tube-tests">{tests}</dd>
                    <TubeInstructions tube=t.clone() />
                    {timing.map(|x| view! { <dt>"Timed"</dt><dd class="strong" data-testid="tube-timing">{x}</dd> })}
                </dl>
                <TubeNotes orders=orders />
            </div>
            <div class="tube-action">{children()}</div>
        </article>
    }
}
