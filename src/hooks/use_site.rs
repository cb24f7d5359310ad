//! `use_site`: the site configuration the device holds (the shipped default until one is downloaded).

use drawline_domain::SiteConfig;
use leptos::prelude::*;

use crate::context::DeviceDb;
use crate::round;

/// The stored site configuration; `None` while it loads. A store that cannot be read leaves it
/// `None`: the screen's own draft load reports that failure.
pub fn use_site() -> ReadSignal<Option<SiteConfig>> {
    let db = DeviceDb::expect();
    let site = RwSignal::new(None::<SiteConfig>);
    leptos::task::spawn_local(async move {
        if let Ok(store) = db.0.await {
            if let Ok((_, loaded)) = round::load_round(&store).await {
                site.set(Some(loaded));
            }
        }
    });
    site.read_only()
}
