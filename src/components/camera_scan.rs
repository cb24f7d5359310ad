//! Wristband scanning with the tablet's camera, through the browser's BarcodeDetector where it exists.

use leptos::html::Video;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::components::error_note::ErrorNote;
use crate::error::AppError;

/// Formats printed on wristbands and tube labels.
const FORMATS: &[&str] = &["code_128", "code_39", "qr_code", "data_matrix", "pdf417"];

/// True when this browser can decode barcodes from the camera (Chromium on Android,
/// ChromeOS and macOS; not on desktop Linux, so never in this project's headless tests).
pub fn camera_scan_available() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let has =
        |target: &JsValue, name: &str| js_sys::Reflect::has(target, &name.into()).unwrap_or(false);
    let media = js_sys::Reflect::get(&window.navigator(), &"mediaDevices".into())
        .unwrap_or(JsValue::UNDEFINED);
    has(&window, "BarcodeDetector") && !media.is_undefined() && has(&media, "getUserMedia")
}

fn get(target: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    js_sys::Reflect::get(target, &name.into())
}

fn call0(target: &JsValue, method: &str) -> Result<JsValue, JsValue> {
    get(target, method)?
        .dyn_into::<js_sys::Function>()?
        .call0(target)
}

fn call1(target: &JsValue, method: &str, arg: &JsValue) -> Result<JsValue, JsValue> {
    get(target, method)?
        .dyn_into::<js_sys::Function>()?
        .call1(target, arg)
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

fn stop_tracks(stream: &JsValue) {
    if let Ok(tracks) = call0(stream, "getTracks") {
        for track in js_sys::Array::from(&tracks).iter() {
            let _ = call0(&track, "stop");
        }
    }
}

/// Opens the rear camera and polls the detector until a barcode is read or `active` turns off.
async fn scan(
    video: web_sys::HtmlVideoElement,
    active: RwSignal<bool>,
) -> Result<Option<String>, String> {
    let fail = |what: &str, e: JsValue| {
        format!(
            "{what}: {}",
            e.as_string().unwrap_or_else(|| format!("{e:?}"))
        )
    };
    let window = web_sys::window().ok_or("no window")?;
    let media = get(&window.navigator(), "mediaDevices").map_err(|e| fail("camera", e))?;
    let constraints =
        js_sys::JSON::parse(r#"{"video":{"facingMode":"environment"},"audio":false}"#)
            .map_err(|e| fail("camera", e))?;
    let stream = JsFuture::from(js_sys::Promise::from(
        call1(&media, "getUserMedia", &constraints).map_err(|e| fail("camera", e))?,
    ))
    .await
    .map_err(|e| fail("the camera could not be opened", e))?;
    js_sys::Reflect::set(&video, &"srcObject".into(), &stream).map_err(|e| fail("camera", e))?;
    let _ = video.play();

    let ctor = get(&window, "BarcodeDetector").map_err(|e| fail("barcode reader", e))?;
    let options = js_sys::Object::new();
    let formats: js_sys::Array = FORMATS.iter().map(|f| JsValue::from_str(f)).collect();
    let _ = js_sys::Reflect::set(&options, &"formats".into(), &formats);
    let detector = js_sys::Reflect::construct(
        ctor.unchecked_ref::<js_sys::Function>(),
        &js_sys::Array::of1(&options),
    )
    .map_err(|e| fail("barcode reader", e))?;

    let mut found = None;
    while active.get_untracked() {
        if let Ok(p) = call1(&detector, "detect", &video) {
            if let Ok(codes) = JsFuture::from(js_sys::Promise::from(p)).await {
                let first = js_sys::Array::from(&codes).get(0);
                if let Some(text) = get(&first, "rawValue").ok().and_then(|v| v.as_string()) {
                    found = Some(text);
                    break;
                }
            }
        }
        sleep_ms(250).await;
    }
    stop_tracks(&stream);
    Ok(found)
}

/// A "Scan with camera" button and viewfinder; renders nothing where the browser cannot decode barcodes.
#[component]
pub fn CameraScan(
    /// Called with the decoded barcode text, exactly as a handheld scanner would deliver it.
    on_scan: Callback<String>,
) -> impl IntoView {
    let available = camera_scan_available();
    let active = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let video = NodeRef::<Video>::new();
    let start = move |_| {
        error.set(None);
        active.set(true);
        leptos::task::spawn_local(async move {
            // The video element renders only once `active` is on: wait a frame for it.
            sleep_ms(0).await;
            let Some(el) = video.get_untracked() else {
                active.set(false);
                return;
            };
            match scan(el, active).await {
                Ok(Some(text)) => {
                    active.set(false);
                    on_scan.run(text);
                }
                Ok(None) => {}
                Err(e) => {
                    active.set(false);
                    error.set(Some(AppError::Refused(format!(
                        "{e}. Use the handheld scanner or enter the identifiers by hand."
                    ))));
                }
            }
        });
    };
    available.then(|| {
        view! {
            <div class="camera-scan">
                <Show
                    when=move || active.get()
                    fallback=move || {
                        view! {
                            <button type="button" class="button" data-testid="camera-scan" on:click=start>
                                "Scan with camera"
                            </button>
                        }
                    }
                >
                    <video class="viewfinder" node_ref=video autoplay=true playsinline=true muted=true></video>
                    <button type="button" class="button" on:click=move |_| active.set(false)>
                        "Stop camera"
                    </button>
                </Show>
                <ErrorNote error=error />
            </div>
        }
    })
}
