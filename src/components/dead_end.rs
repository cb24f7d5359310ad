//! `DeadEnd`: a card saying why a screen cannot show what was asked, with the way back.

use leptos::prelude::*;

/// The heading, the reason and one link back.
#[component]
pub fn DeadEnd(
    /// `data-testid` of the card.
    test_id: &'static str,
    /// The heading.
    title: &'static str,
    /// Why, and that nothing was lost.
    message: &'static str,
    /// Where the link goes.
    href: &'static str,
    /// The link's words.
    link: &'static str,
    /// Shown as a problem (a refusal), not as a plain notice.
    #[prop(optional)]
    problem: bool,
) -> impl IntoView {
    view! {
        <section class=if problem { "card problem" } else { "card" } data-testid=test_id>
            <h1>{title}</h1>
            <p>{message}</p>
            <a class=if problem { "button" } else { "button primary" } href=href>
                {link}
            </a>
        </section>
    }
}
