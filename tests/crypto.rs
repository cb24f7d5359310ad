//! The tablet's WebCrypto (data key, PIN wraps, seals to the lab) in headless Chromium.
#![cfg(target_arch = "wasm32")]

use drawline::crypto::{seal, CryptoError, DataKey, Envelope, PinWrap};
use drawline_domain::api::{PublicJwk, Sealed, SEAL_INFO};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{CryptoKey, CryptoKeyPair, SubtleCrypto};

wasm_bindgen_test_configure!(run_in_browser);

/// The fixed lab key of the cross-implementation vector: made once with
/// `openssl ecparam -name prime256v1 -genkey -noout`, converted to a JWK. A test key, never a
/// real lab's.
const VECTOR_LAB_D: &str = "H9s96XBJJrlY557KJkIuQPmFLSatDS2u40PC-U5-l_k";
const VECTOR_LAB_X: &str = "tOQzs_U-hxoSyG55IIc-T1XRdVXHuqS6pFYgNkWvaYo";
const VECTOR_LAB_Y: &str = "Z8Q9RqAT4kkFDlHAOIoUWDif7R67d7uejohKrKuq02w";
/// The vector's record key and plaintext: synthetic, non-ASCII on purpose (UTF-8 bytes).
const VECTOR_AAD: &str = "6f1c2b9e-0a4d-4e57-9a43-2c1d5e8b7f10/v1";
const VECTOR_PLAINTEXT: &str = r#"{"collection_id":"6f1c2b9e-0a4d-4e57-9a43-2c1d5e8b7f10","version":1,"note":"synthetic vector, no patient data: Zoë Ünal"}"#;

// ---- helpers written against WebCrypto and the browser's own base64, not the app's code ----

fn subtle() -> SubtleCrypto {
    web_sys::window().unwrap().crypto().unwrap().subtle()
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    web_sys::window()
        .unwrap()
        .crypto()
        .unwrap()
        .get_random_values_with_u8_array(&mut bytes)
        .unwrap();
    bytes
}

/// Base64url without padding through `btoa`, independent of the app's codec.
fn b64u(bytes: &[u8]) -> String {
    let binary: String = bytes.iter().map(|b| char::from(*b)).collect();
    web_sys::window()
        .unwrap()
        .btoa(&binary)
        .unwrap()
        .replace('+', "-")
        .replace('/', "_")
        .trim_end_matches('=')
        .to_string()
}

/// The reverse of [`b64u`] through `atob`.
fn un_b64u(text: &str) -> Vec<u8> {
    let mut standard = text.replace('-', "+").replace('_', "/");
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    web_sys::window()
        .unwrap()
        .atob(&standard)
        .unwrap()
        .chars()
        .map(|c| c as u8)
        .collect()
}

async fn call(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(promise?).await
}

fn usages(names: &[&str]) -> js_sys::Array {
    names.iter().map(|n| JsValue::from_str(n)).collect()
}

fn object(fields: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (name, value) in fields {
        Reflect::set(&object, &JsValue::from_str(name), value).unwrap();
    }
    object
}

fn s(text: &str) -> JsValue {
    JsValue::from_str(text)
}

fn bytes(value: &[u8]) -> JsValue {
    Uint8Array::from(value).into()
}

fn a_raw_key() -> String {
    b64u(&random_bytes(32))
}

async fn a_data_key() -> DataKey {
    DataKey::from_raw_b64u(&a_raw_key()).await.unwrap()
}

/// Opens a seal by the spec in `drawline_domain::api::sealed`: ECDH with the lab's private key,
/// HKDF-SHA256 (empty salt, `SEAL_INFO`) to 32 bytes, AES-256-GCM with the AAD.
async fn open(lab_private: &CryptoKey, aad: &str, sealed: &Sealed) -> Result<Vec<u8>, JsValue> {
    let subtle = subtle();
    let epk = object(&[
        ("kty", s(&sealed.epk.kty)),
        ("crv", s(&sealed.epk.crv)),
        ("x", s(&sealed.epk.x)),
        ("y", s(&sealed.epk.y)),
    ]);
    let ecdh = object(&[("name", s("ECDH")), ("namedCurve", s("P-256"))]);
    let epk: CryptoKey =
        call(subtle.import_key_with_object("jwk", &epk, &ecdh, true, &usages(&[])))
            .await?
            .unchecked_into();
    let z = call(subtle.derive_bits_with_object(
        &object(&[("name", s("ECDH")), ("public", epk.into())]),
        lab_private,
        256,
    ))
    .await?;
    let ikm: CryptoKey = call(subtle.import_key_with_str(
        "raw",
        &Uint8Array::new(&z),
        "HKDF",
        false,
        &usages(&["deriveBits"]),
    ))
    .await?
    .unchecked_into();
    let okm = call(subtle.derive_bits_with_object(
        &object(&[
            ("name", s("HKDF")),
            ("hash", s("SHA-256")),
            ("salt", bytes(&[])),
            ("info", bytes(SEAL_INFO.as_bytes())),
        ]),
        &ikm,
        256,
    ))
    .await?;
    let cek: CryptoKey = call(subtle.import_key_with_str(
        "raw",
        &Uint8Array::new(&okm),
        "AES-GCM",
        false,
        &usages(&["decrypt"]),
    ))
    .await?
    .unchecked_into();
    let plain = call(subtle.decrypt_with_object_and_js_u8_array(
        &object(&[
            ("name", s("AES-GCM")),
            ("iv", bytes(&un_b64u(&sealed.iv))),
            ("additionalData", bytes(aad.as_bytes())),
            ("tagLength", JsValue::from(128)),
        ]),
        &cek,
        &Uint8Array::from(un_b64u(&sealed.ct).as_slice()),
    ))
    .await?;
    Ok(Uint8Array::new(&plain).to_vec())
}

/// A lab key pair made in WebCrypto: its private key and its public JWK.
async fn a_lab_key_pair() -> (CryptoKey, PublicJwk) {
    let subtle = subtle();
    let pair: CryptoKeyPair = call(subtle.generate_key_with_object(
        &object(&[("name", s("ECDH")), ("namedCurve", s("P-256"))]),
        false,
        &usages(&["deriveBits"]),
    ))
    .await
    .unwrap()
    .unchecked_into();
    let jwk = call(subtle.export_key("jwk", &pair.get_public_key()))
        .await
        .unwrap();
    let field = |name: &str| Reflect::get(&jwk, &s(name)).unwrap().as_string().unwrap();
    let public = PublicJwk {
        kty: field("kty"),
        crv: field("crv"),
        x: field("x"),
        y: field("y"),
    };
    (pair.get_private_key(), public)
}

/// The vector's lab private key, imported from its JWK.
async fn the_vector_lab_key() -> CryptoKey {
    let jwk = object(&[
        ("kty", s("EC")),
        ("crv", s("P-256")),
        ("x", s(VECTOR_LAB_X)),
        ("y", s(VECTOR_LAB_Y)),
        ("d", s(VECTOR_LAB_D)),
    ]);
    call(subtle().import_key_with_object(
        "jwk",
        &jwk,
        &object(&[("name", s("ECDH")), ("namedCurve", s("P-256"))]),
        false,
        &usages(&["deriveBits"]),
    ))
    .await
    .unwrap()
    .unchecked_into()
}

fn the_vector_lab_public() -> PublicJwk {
    PublicJwk {
        kty: "EC".into(),
        crv: "P-256".into(),
        x: VECTOR_LAB_X.into(),
        y: VECTOR_LAB_Y.into(),
    }
}

fn now_ms() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

fn is_decrypt_error<T: std::fmt::Debug>(result: Result<T, CryptoError>) -> bool {
    matches!(result, Err(CryptoError::Decrypt(_)))
}

// ---- the data key ----

#[wasm_bindgen_test]
async fn an_envelope_decrypts_back_to_its_plaintext_under_the_same_key_and_aad() {
    let key = a_data_key().await;
    let plaintext = br#"{"patient":"synthetic","tubes":[1,2,3]}"#;
    let envelope = key.encrypt("drafts/c-1", plaintext).await.unwrap();
    assert_eq!(envelope.drawline_enc, 1);
    assert_eq!(un_b64u(&envelope.iv).len(), 12);
    // The tag (16 bytes) travels with the ciphertext.
    assert_eq!(un_b64u(&envelope.ct).len(), plaintext.len() + 16);
    assert!(!envelope.ct.contains('=') && !envelope.iv.contains('='));
    assert_eq!(
        key.decrypt("drafts/c-1", &envelope).await.unwrap(),
        plaintext
    );
    // As stored: the JSON shape the store recognises.
    let stored = serde_json::to_value(&envelope).unwrap();
    assert!(Envelope::is_envelope(&stored));
    let back: Envelope = serde_json::from_value(stored).unwrap();
    assert_eq!(key.decrypt("drafts/c-1", &back).await.unwrap(), plaintext);
}

#[wasm_bindgen_test]
async fn an_empty_plaintext_round_trips() {
    let key = a_data_key().await;
    let envelope = key.encrypt("a", b"").await.unwrap();
    assert_eq!(key.decrypt("a", &envelope).await.unwrap(), b"");
}

#[wasm_bindgen_test]
async fn the_same_plaintext_encrypts_under_a_fresh_iv_each_time() {
    let key = a_data_key().await;
    let one = key.encrypt("a", b"same").await.unwrap();
    let two = key.encrypt("a", b"same").await.unwrap();
    assert_ne!(one.iv, two.iv);
    assert_ne!(one.ct, two.ct);
}

#[wasm_bindgen_test]
async fn a_ciphertext_with_one_flipped_byte_does_not_decrypt() {
    let key = a_data_key().await;
    let envelope = key.encrypt("a", b"tube 1 drawn 08:59").await.unwrap();
    let ct = un_b64u(&envelope.ct);
    // Every position, the body and the tag alike.
    for at in 0..ct.len() {
        let mut flipped = ct.clone();
        flipped[at] ^= 0x01;
        let altered = Envelope {
            ct: b64u(&flipped),
            ..envelope.clone()
        };
        assert!(
            is_decrypt_error(key.decrypt("a", &altered).await),
            "byte {at}"
        );
    }
    let truncated = Envelope {
        ct: b64u(&ct[..ct.len() - 1]),
        ..envelope.clone()
    };
    assert!(is_decrypt_error(key.decrypt("a", &truncated).await));
}

#[wasm_bindgen_test]
async fn a_ciphertext_under_another_iv_does_not_decrypt() {
    let key = a_data_key().await;
    let envelope = key.encrypt("a", b"tube 1 drawn 08:59").await.unwrap();
    let mut iv = un_b64u(&envelope.iv);
    iv[11] ^= 0x80;
    let moved = Envelope {
        iv: b64u(&iv),
        ..envelope.clone()
    };
    assert!(is_decrypt_error(key.decrypt("a", &moved).await));
    let other = Envelope {
        iv: b64u(&random_bytes(12)),
        ..envelope
    };
    assert!(is_decrypt_error(key.decrypt("a", &other).await));
}

#[wasm_bindgen_test]
async fn a_ciphertext_moved_to_another_aad_does_not_decrypt() {
    let key = a_data_key().await;
    let envelope = key.encrypt("drafts/c-1", b"patient A").await.unwrap();
    assert!(is_decrypt_error(key.decrypt("drafts/c-2", &envelope).await));
    assert!(is_decrypt_error(key.decrypt("", &envelope).await));
}

#[wasm_bindgen_test]
async fn a_ciphertext_does_not_decrypt_under_another_tablets_key() {
    let key = a_data_key().await;
    let other = a_data_key().await;
    let envelope = key.encrypt("a", b"patient A").await.unwrap();
    assert!(is_decrypt_error(other.decrypt("a", &envelope).await));
}

#[wasm_bindgen_test]
async fn a_malformed_envelope_is_refused_as_malformed() {
    let key = a_data_key().await;
    let envelope = key.encrypt("a", b"x").await.unwrap();
    let padded = Envelope {
        ct: format!("{}=", envelope.ct),
        ..envelope.clone()
    };
    assert!(matches!(
        key.decrypt("a", &padded).await,
        Err(CryptoError::Malformed(_))
    ));
    let short_iv = Envelope {
        iv: b64u(&[0; 8]),
        ..envelope.clone()
    };
    assert!(matches!(
        key.decrypt("a", &short_iv).await,
        Err(CryptoError::Malformed(_))
    ));
    let future = Envelope {
        drawline_enc: 2,
        ..envelope
    };
    assert!(matches!(
        key.decrypt("a", &future).await,
        Err(CryptoError::Malformed(_))
    ));
}

#[wasm_bindgen_test]
async fn a_data_key_of_the_wrong_length_or_encoding_is_refused() {
    for raw in [b64u(&[7; 16]), b64u(&[7; 33]), "not base64!".to_string()] {
        assert!(
            matches!(
                DataKey::from_raw_b64u(&raw).await,
                Err(CryptoError::Malformed(_))
            ),
            "{raw}"
        );
    }
}

#[wasm_bindgen_test]
async fn the_data_key_cannot_be_exported() {
    let key = a_data_key().await;
    let crypto_key = key.crypto_key();
    assert!(!crypto_key.extractable());
    let usages: Vec<String> = crypto_key
        .usages()
        .iter()
        .map(|u| u.as_string().unwrap())
        .collect();
    assert_eq!(usages.len(), 2);
    assert!(usages.contains(&"encrypt".to_string()) && usages.contains(&"decrypt".to_string()));
    for format in ["raw", "jwk"] {
        let refused = call(subtle().export_key(format, crypto_key)).await;
        let error = refused.expect_err("exportKey must reject a non-extractable key");
        assert_eq!(
            Reflect::get(&error, &s("name"))
                .unwrap()
                .as_string()
                .as_deref(),
            Some("InvalidAccessError")
        );
    }
}

// ---- PIN wraps ----

#[wasm_bindgen_test]
async fn a_wrong_pin_is_refused_and_the_right_pin_gives_a_key_that_reads_the_originals_data() {
    let raw = a_raw_key();
    let original = DataKey::from_raw_b64u(&raw).await.unwrap();
    let envelope = original.encrypt("drafts/c-1", b"patient A").await.unwrap();

    let wrap = PinWrap::wrap(&raw, "482913", "u-7", "amira").await.unwrap();
    assert_eq!(wrap.user_id, "u-7");
    assert_eq!(wrap.username, "amira");
    assert_eq!(wrap.iterations, 600_000);
    assert_eq!(un_b64u(&wrap.salt).len(), 16);
    // The stored wrap does not hold the key in the clear.
    let stored = serde_json::to_string(&wrap).unwrap();
    assert!(!stored.contains(&raw));

    assert_eq!(
        wrap.unwrap("482914").await.err(),
        Some(CryptoError::WrongPin)
    );
    assert_eq!(wrap.unwrap("").await.err(), Some(CryptoError::WrongPin));

    let unwrapped = wrap.unwrap("482913").await.unwrap();
    assert!(!unwrapped.crypto_key().extractable());
    assert_eq!(
        unwrapped.decrypt("drafts/c-1", &envelope).await.unwrap(),
        b"patient A"
    );
    // And the other way round: the unwrapped key writes what the original reads.
    let back = unwrapped.encrypt("drafts/c-2", b"patient B").await.unwrap();
    assert_eq!(
        original.decrypt("drafts/c-2", &back).await.unwrap(),
        b"patient B"
    );
}

#[wasm_bindgen_test]
async fn a_wrap_relabelled_to_another_user_id_does_not_open_even_with_the_right_pin() {
    let wrap = PinWrap::wrap(&a_raw_key(), "1234", "u-7", "amira")
        .await
        .unwrap();
    let relabelled = PinWrap {
        user_id: "u-8".into(),
        username: "bob".into(),
        ..wrap.clone()
    };
    assert_eq!(
        relabelled.unwrap("1234").await.err(),
        Some(CryptoError::WrongPin)
    );
    // The same PIN for another person gives another salt, so another wrap.
    let bobs = PinWrap::wrap(&a_raw_key(), "1234", "u-8", "bob")
        .await
        .unwrap();
    assert_ne!(bobs.salt, wrap.salt);
}

#[wasm_bindgen_test]
async fn a_wrap_with_an_altered_ciphertext_or_salt_does_not_open() {
    let wrap = PinWrap::wrap(&a_raw_key(), "1234", "u-7", "amira")
        .await
        .unwrap();
    let mut ct = un_b64u(&wrap.ct);
    ct[0] ^= 1;
    let altered = PinWrap {
        ct: b64u(&ct),
        ..wrap.clone()
    };
    assert_eq!(
        altered.unwrap("1234").await.err(),
        Some(CryptoError::WrongPin)
    );
    let resalted = PinWrap {
        salt: b64u(&random_bytes(16)),
        ..wrap
    };
    assert_eq!(
        resalted.unwrap("1234").await.err(),
        Some(CryptoError::WrongPin)
    );
}

// ---- seals to the lab ----

#[wasm_bindgen_test]
async fn a_seal_opens_by_the_spec_with_the_labs_private_key() {
    let (lab_private, lab_public) = a_lab_key_pair().await;
    let plaintext = br#"{"id":"c-1","version":1,"record":{"tubes":[]}}"#;
    let sealed = seal(&lab_public, "c-1/v1", plaintext).await.unwrap();
    assert_eq!(sealed.epk.kty, "EC");
    assert_eq!(sealed.epk.crv, "P-256");
    assert_eq!(un_b64u(&sealed.epk.x).len(), 32);
    assert_eq!(un_b64u(&sealed.epk.y).len(), 32);
    assert_eq!(un_b64u(&sealed.iv).len(), 12);
    assert_eq!(un_b64u(&sealed.ct).len(), plaintext.len() + 16);
    assert_eq!(
        open(&lab_private, "c-1/v1", &sealed).await.unwrap(),
        plaintext
    );
}

#[wasm_bindgen_test]
async fn each_seal_has_its_own_ephemeral_key_and_iv() {
    let (_, lab_public) = a_lab_key_pair().await;
    let one = seal(&lab_public, "c-1/v1", b"same").await.unwrap();
    let two = seal(&lab_public, "c-1/v1", b"same").await.unwrap();
    assert_ne!(one.epk, two.epk);
    assert_ne!(one.iv, two.iv);
    assert_ne!(one.ct, two.ct);
}

#[wasm_bindgen_test]
async fn a_seal_does_not_open_under_another_aad_nor_with_another_labs_key() {
    let (lab_private, lab_public) = a_lab_key_pair().await;
    let (other_private, _) = a_lab_key_pair().await;
    let sealed = seal(&lab_public, "c-1/v1", b"record").await.unwrap();
    assert!(open(&lab_private, "c-1/v2", &sealed).await.is_err());
    assert!(open(&lab_private, "c-2/v1", &sealed).await.is_err());
    assert!(open(&other_private, "c-1/v1", &sealed).await.is_err());
    // And a seal whose ciphertext was altered.
    let mut ct = un_b64u(&sealed.ct);
    ct[0] ^= 1;
    let altered = Sealed {
        ct: b64u(&ct),
        ..sealed
    };
    assert!(open(&lab_private, "c-1/v1", &altered).await.is_err());
}

#[wasm_bindgen_test]
async fn a_lab_key_of_another_curve_or_off_the_curve_is_refused() {
    let (_, good) = a_lab_key_pair().await;
    let other_curve = PublicJwk {
        crv: "P-384".into(),
        ..good.clone()
    };
    assert!(matches!(
        seal(&other_curve, "a", b"x").await,
        Err(CryptoError::Malformed(_))
    ));
    let mut y = un_b64u(&good.y);
    y[31] ^= 1;
    let off_curve = PublicJwk {
        y: b64u(&y),
        ..good.clone()
    };
    assert!(matches!(
        seal(&off_curve, "a", b"x").await,
        Err(CryptoError::Malformed(_))
    ));
    let short = PublicJwk {
        x: b64u(&[1; 31]),
        ..good
    };
    assert!(matches!(
        seal(&short, "a", b"x").await,
        Err(CryptoError::Malformed(_))
    ));
}

#[wasm_bindgen_test]
async fn a_seal_to_the_fixed_vector_key_opens_and_is_printed_for_the_lab() {
    let sealed = seal(
        &the_vector_lab_public(),
        VECTOR_AAD,
        VECTOR_PLAINTEXT.as_bytes(),
    )
    .await
    .unwrap();
    let lab = the_vector_lab_key().await;
    assert_eq!(
        open(&lab, VECTOR_AAD, &sealed).await.unwrap(),
        VECTOR_PLAINTEXT.as_bytes()
    );
    let vector = serde_json::json!({
        "private_jwk": { "kty": "EC", "crv": "P-256", "x": VECTOR_LAB_X, "y": VECTOR_LAB_Y, "d": VECTOR_LAB_D },
        "aad": VECTOR_AAD,
        "plaintext": VECTOR_PLAINTEXT,
        "sealed": sealed,
    });
    web_sys::console::log_1(&format!("SEALED-VECTOR {vector}").into());
}

/// The cross-implementation vector the lab's RustCrypto code is checked against.
const VECTOR_FIXTURE: &str = include_str!("../crates/domain/tests/fixtures/sealed-vector.json");

#[wasm_bindgen_test]
async fn the_sealed_vector_fixture_opens_in_webcrypto_and_not_under_another_aad() {
    let fixture: serde_json::Value = serde_json::from_str(VECTOR_FIXTURE).unwrap();
    // The fixture's key is this file's key, so the two never drift apart.
    assert_eq!(fixture["private_jwk"]["d"], VECTOR_LAB_D);
    assert_eq!(fixture["private_jwk"]["x"], VECTOR_LAB_X);
    assert_eq!(fixture["private_jwk"]["y"], VECTOR_LAB_Y);
    let aad = fixture["aad"].as_str().unwrap();
    let plaintext = fixture["plaintext"].as_str().unwrap();
    let sealed: Sealed = serde_json::from_value(fixture["sealed"].clone()).unwrap();
    let lab = the_vector_lab_key().await;
    assert_eq!(
        open(&lab, aad, &sealed).await.unwrap(),
        plaintext.as_bytes()
    );
    assert!(
        open(&lab, "6f1c2b9e-0a4d-4e57-9a43-2c1d5e8b7f10/v2", &sealed)
            .await
            .is_err()
    );
}

// ---- cost, printed for the record ----

#[wasm_bindgen_test]
async fn one_pin_unwrap_and_one_20_kb_round_trip_are_timed() {
    let raw = a_raw_key();
    let wrap = PinWrap::wrap(&raw, "482913", "u-7", "amira").await.unwrap();
    let started = now_ms();
    let key = wrap.unwrap("482913").await.unwrap();
    let unwrap_ms = now_ms() - started;

    // About 20 kB of JSON: a large draft.
    let tube = |i: usize| serde_json::json!({ "accession": format!("A{i:08}"), "cap": "lavender", "drawn_at": "2026-11-30T08:59:30Z" });
    let tubes: Vec<serde_json::Value> = (0..260).map(tube).collect();
    let json = serde_json::to_vec(&serde_json::json!({ "tubes": tubes })).unwrap();
    assert!(
        (19_500..21_000).contains(&json.len()),
        "{} bytes",
        json.len()
    );
    let started = now_ms();
    let envelope = key.encrypt("drafts/c-1", &json).await.unwrap();
    let back = key.decrypt("drafts/c-1", &envelope).await.unwrap();
    let round_trip_ms = now_ms() - started;
    assert_eq!(back, json);

    web_sys::console::log_1(
        &format!(
            "TIMING PinWrap::unwrap ({} iterations): {unwrap_ms:.0} ms; encrypt+decrypt of {} bytes of JSON: {round_trip_ms:.2} ms",
            wrap.iterations,
            json.len()
        )
        .into(),
    );
}
