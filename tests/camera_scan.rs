//! The camera scan component in headless Chromium with its fake camera. Desktop Linux Chromium has
//! no BarcodeDetector, so the test supplies one that "reads" a wristband from the live video.
#![cfg(target_arch = "wasm32")]

use drawline::components::camera_scan::{camera_scan_available, CameraScan};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const WRISTBAND: &str = "DL1|MRN100233|LINDQVIST^ERIK|19370630";

async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_barcode_seen_by_the_camera_is_delivered_like_a_scanner_would() {
    // Only answers once the video really plays frames from the (fake) camera.
    js_sys::eval(&format!(
        "window.BarcodeDetector = class {{
            constructor(o) {{ this.formats = o.formats; }}
            async detect(video) {{
                if (!(video instanceof HTMLVideoElement) || !video.srcObject || video.videoWidth === 0) return [];
                return [{{ rawValue: {WRISTBAND:?}, format: 'code_128' }}];
            }}
        }};"
    ))
    .unwrap();
    assert!(camera_scan_available());

    let scanned = RwSignal::new(None::<String>);
    let on_scan = Callback::new(move |text: String| scanned.set(Some(text)));
    leptos::mount::mount_to_body(move || view! { <CameraScan on_scan=on_scan /> });

    let document = web_sys::window().unwrap().document().unwrap();
    let button = document
        .query_selector("[data-testid=camera-scan]")
        .unwrap()
        .expect("the camera button is shown where a detector exists")
        .dyn_into::<web_sys::HtmlElement>()
        .unwrap();
    button.click();

    for _ in 0..200 {
        if scanned.get_untracked().is_some() {
            break;
        }
        sleep_ms(100).await;
    }
    assert_eq!(scanned.get_untracked().as_deref(), Some(WRISTBAND));
    // The camera is released once the code is read: the viewfinder is gone.
    sleep_ms(50).await;
    assert!(document
        .query_selector("video.viewfinder")
        .unwrap()
        .is_none());
}
