//! What the browser grants Drawline's data: persistence (no eviction under pressure) and quota.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

fn manager() -> Option<web_sys::StorageManager> {
    let storage = web_sys::window()?.navigator().storage();
    // Older browsers and insecure origins have no StorageManager.
    (!storage.is_undefined()).then_some(storage)
}

/// Asks the browser not to evict the tablet's collections under storage pressure. Best effort:
/// answers whether it was granted.
pub async fn request_persistent_storage() -> bool {
    let Some(m) = manager() else { return false };
    match m.persist() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// Whether the browser already granted persistent storage.
pub async fn is_persistent() -> Option<bool> {
    let p = manager()?.persisted().ok()?;
    JsFuture::from(p).await.ok()?.as_bool()
}

/// Bytes used and the quota, as the browser estimates them.
pub async fn estimate() -> Option<(f64, f64)> {
    let p = manager()?.estimate().ok()?;
    // A dictionary, not a class: `dyn_into`'s instanceof check would always fail.
    let e: web_sys::StorageEstimate = JsFuture::from(p).await.ok()?.unchecked_into();
    Some((e.get_usage()?, e.get_quota()?))
}

/// A byte count for people: "3.2 MB".
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut value = bytes.max(0.0);
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[0])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn byte_counts_read_as_people_say_them() {
        assert_eq!(human_bytes(512.0), "512 bytes");
        assert_eq!(human_bytes(3_200_000.0), "3.2 MB");
        assert_eq!(human_bytes(12_000_000_000.0), "12.0 GB");
    }
}
