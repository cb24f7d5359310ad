//! `Screen`: the status bar over a titled screen, for the screens outside a collection.

use leptos::prelude::*;

use crate::components::status_bar::StatusBar;

/// Controls beside a screen's heading, e.g. "Sync now".
#[slot]
pub struct TitleActions {
    /// The controls.
    children: ChildrenFn,
}

/// The status bar, then the screen with its heading and `children`.
#[component]
pub fn Screen(
    /// The heading.
    title: &'static str,
    /// `data-testid` of the screen.
    test_id: &'static str,
    /// Controls beside the heading; without them the heading stands alone.
    #[prop(optional)]
    title_actions: Option<TitleActions>,
    /// The screen's content.
    children: Children,
) -> impl IntoView {
    let heading = match title_actions {
        Some(actions) => view! {
            <div class="title-row">
                <h1>{title}</h1>
                {(actions.children)()}
            </div>
        }
        .into_any(),
        None => view! { <h1>{title}</h1> }.into_any(),
    };
    view! {
        <StatusBar />
        <div class="screen" data-testid=test_id>
            {heading}
            {children()}
        </div>
    }
}
