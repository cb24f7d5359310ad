//! The lab's P-256 key pair: kept in a private JWK file beside the database, it opens records sealed to the lab.
//!
//! The seal is spelled out once, in `drawline_domain::api::sealed` (ECDH x coordinate, then
//! HKDF-SHA256 with an empty salt and [`SEAL_INFO`], then AES-256-GCM with the record's key as
//! additional data); this module is the lab's side of it, and [`seal`] the sender's side for
//! tests, the bench and scripts. The key file is made once and never replaced: a new key would
//! leave every record already sealed to the old one unreadable.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hkdf::Hkdf;
use p256::ecdh::{diffie_hellman, EphemeralSecret};
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use p256::{EncodedPoint, FieldBytes, PublicKey, SecretKey};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::api::{seal_aad, PublicJwk, PushRecord, Sealed, SealedRecord, SEAL_INFO};

/// What the lab key file is called beside the database when `lab_key_file` is not set:
/// `<database file name>` followed by this.
pub const LAB_KEY_FILE_SUFFIX: &str = ".lab-key.json";

/// Length of the AES-GCM IV of a seal.
const IV_BYTES: usize = 12;

/// Why a sealed record was not opened. No variant carries any of the record's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The seal's ephemeral key (or the lab key given to [`seal`]) is not a P-256 public key.
    #[error("{0} is not a P-256 public key")]
    Key(&'static str),
    /// A binary field is not base64url, or has the wrong length.
    #[error("the seal's {0} is not base64url of the right length")]
    Encoding(&'static str),
    /// AES-GCM refused the ciphertext: altered, sealed to another lab's key, or bound to another record.
    #[error("the seal does not open with this lab's key: it was altered, sealed to another lab, or made for another record")]
    Open,
    /// The opened content is not a push record.
    #[error("the sealed content is not a push record ({0})")]
    NotARecord(String),
    /// The opened record is not the one its clear fields name.
    #[error("the sealed record's {0} is not the one named outside the seal")]
    Disagrees(&'static str),
}

/// Why the lab key could not be loaded; the server does not start.
#[derive(Debug, thiserror::Error)]
pub enum LabKeyError {
    /// The file exists but is not a readable P-256 private JWK.
    #[error(
        "the lab key file {path} cannot be used: {why}. It holds the key that opens records sealed to \
         this lab; restore it from the backup made with the database. The server does not make a new \
         key over it, because every record sealed to the old key would become unreadable."
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong (never key material).
        why: String,
    },
    /// The file is missing where one is required (import, which must not make a new key).
    #[error(
        "no lab key file at {0}: records sealed to this lab cannot be opened without the key the \
         server made there (set lab_key_file / --lab-key-file / DRAWLINE_LAB_KEY_FILE to where it is)"
    )]
    Missing(PathBuf),
    /// The file could not be made.
    #[error("making the lab key file {path}: {source}")]
    Create {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The lab's key pair. Its `Debug` shows the public key only.
#[derive(Clone)]
pub struct LabKey {
    secret: SecretKey,
    public: PublicJwk,
}

impl fmt::Debug for LabKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LabKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// The private JWK as written to the key file.
#[derive(Serialize, Deserialize)]
struct PrivateJwk {
    kty: String,
    crv: String,
    x: String,
    y: String,
    d: String,
}

/// The lab key file used when none is configured: `<database file name>.lab-key.json` beside it.
pub fn default_path(db: &Path) -> PathBuf {
    let mut name = db
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "drawline.sqlite".into());
    name.push(LAB_KEY_FILE_SUFFIX);
    db.with_file_name(name)
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str, field: &'static str, len: Option<usize>) -> Result<Vec<u8>, SealError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| SealError::Encoding(field))?;
    match len {
        Some(n) if bytes.len() != n => Err(SealError::Encoding(field)),
        _ => Ok(bytes),
    }
}

/// A public key as a JWK.
pub fn jwk_of(public: &PublicKey) -> PublicJwk {
    let point = public.to_encoded_point(false);
    PublicJwk {
        kty: "EC".into(),
        crv: "P-256".into(),
        x: b64(point.x().map(|x| x.as_slice()).unwrap_or_default()),
        y: b64(point.y().map(|y| y.as_slice()).unwrap_or_default()),
    }
}

/// A JWK as a public key: `EC`, `P-256`, and a point on the curve.
pub fn public_key_of(jwk: &PublicJwk, what: &'static str) -> Result<PublicKey, SealError> {
    if jwk.kty != "EC" || jwk.crv != "P-256" {
        return Err(SealError::Key(what));
    }
    let x = unb64(&jwk.x, "key's x", Some(32)).map_err(|_| SealError::Key(what))?;
    let y = unb64(&jwk.y, "key's y", Some(32)).map_err(|_| SealError::Key(what))?;
    let point = EncodedPoint::from_affine_coordinates(
        FieldBytes::from_slice(&x),
        FieldBytes::from_slice(&y),
        false,
    );
    Option::from(PublicKey::from_encoded_point(&point)).ok_or(SealError::Key(what))
}

/// The AES-256-GCM content key of a seal from the ECDH shared secret's x coordinate.
fn content_key(z: &[u8]) -> Aes256Gcm {
    let hk = Hkdf::<Sha256>::new(Some(&[]), z);
    let mut okm = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's limit of 255 * 32: expand cannot fail.
    hk.expand(SEAL_INFO.as_bytes(), &mut okm)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    let cipher = Aes256Gcm::new_from_slice(&okm).expect("AES-256 takes a 32-byte key");
    okm.iter_mut().for_each(|b| *b = 0);
    cipher
}

/// Seals `plaintext` to the lab's public key, bound to `aad`, as a tablet does (see the module
/// docs): for tests, the bench and scripts. Refuses a `lab_public` that is not a P-256 key.
pub fn seal(lab_public: &PublicJwk, aad: &[u8], plaintext: &[u8]) -> Result<Sealed, SealError> {
    let lab = public_key_of(lab_public, "the lab key")?;
    let ephemeral = EphemeralSecret::random(&mut OsRng);
    let shared = ephemeral.diffie_hellman(&lab);
    let cipher = content_key(shared.raw_secret_bytes().as_slice());
    let mut iv = [0u8; IV_BYTES];
    OsRng.fill_bytes(&mut iv);
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&iv),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| SealError::Open)?;
    Ok(Sealed {
        epk: jwk_of(&ephemeral.public_key()),
        iv: b64(&iv),
        ct: b64(&ct),
    })
}

/// A push record sealed to the lab as a tablet sends it: the JSON of `record`, bound to
/// `seal_aad(id, version)`, with its id, version and content hash in the clear.
pub fn seal_record(lab_public: &PublicJwk, record: &PushRecord) -> Result<SealedRecord, SealError> {
    let json = serde_json::to_vec(record).map_err(|e| SealError::NotARecord(e.to_string()))?;
    let aad = seal_aad(record.id, record.version);
    Ok(SealedRecord {
        id: record.id,
        version: record.version,
        hash: record.content_hash.clone(),
        sealed: seal(lab_public, aad.as_bytes(), &json)?,
    })
}

impl LabKey {
    /// A new random key pair (in-memory and test databases; files go through [`LabKey::load_or_create`]).
    pub fn generate() -> Self {
        Self::from_secret(SecretKey::random(&mut OsRng))
    }

    fn from_secret(secret: SecretKey) -> Self {
        let public = jwk_of(&secret.public_key());
        Self { secret, public }
    }

    /// The public half, as the tablets get it.
    pub fn public_jwk(&self) -> &PublicJwk {
        &self.public
    }

    /// Loads the key from `path`; when no file is there, makes one (mode 0600, written whole
    /// before it appears under its name, never over an existing file). A file that is there but
    /// cannot be read or parsed is an error: the caller must not start.
    pub fn load_or_create(path: &Path) -> Result<Self, LabKeyError> {
        match Self::load(path) {
            Err(LabKeyError::Missing(_)) => {}
            other => return other,
        }
        let key = Self::generate();
        match key.write_new(path) {
            Ok(()) => {
                tracing::info!(path = %path.display(), "made a new lab key file; back it up with the database");
                Ok(key)
            }
            // Another process made it in the meantime: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load(path),
            Err(source) => Err(LabKeyError::Create {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Loads the key from an existing file; `Missing` when there is none.
    pub fn load(path: &Path) -> Result<Self, LabKeyError> {
        let damaged = |why: String| LabKeyError::Damaged {
            path: path.to_owned(),
            why,
        };
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(LabKeyError::Missing(path.to_owned()))
            }
            Err(e) => return Err(damaged(format!("it cannot be read ({e})"))),
        };
        // serde's message could quote a value; say only which rule the file breaks.
        let jwk: PrivateJwk = serde_json::from_slice(&text)
            .map_err(|_| damaged("it is not a JSON Web Key with kty, crv, x, y and d".into()))?;
        if jwk.kty != "EC" || jwk.crv != "P-256" {
            return Err(damaged("it is not a P-256 key (kty EC, crv P-256)".into()));
        }
        let d = unb64(&jwk.d, "d", Some(32))
            .map_err(|_| damaged("its private key d is not 32 bytes of base64url".into()))?;
        let secret = SecretKey::from_slice(&d)
            .map_err(|_| damaged("its private key d is not a P-256 private key".into()))?;
        let key = Self::from_secret(secret);
        if key.public.x != jwk.x.trim_end_matches('=')
            || key.public.y != jwk.y.trim_end_matches('=')
        {
            return Err(damaged(
                "its public key x, y is not the public key of its private key d".into(),
            ));
        }
        warn_if_readable_by_others(path);
        Ok(key)
    }

    /// Writes the key to a new file at `path`: first to a private temporary file beside it, then
    /// linked under its name, which fails if a file is already there (never overwritten).
    fn write_new(&self, path: &Path) -> std::io::Result<()> {
        let jwk = PrivateJwk {
            kty: self.public.kty.clone(),
            crv: self.public.crv.clone(),
            x: self.public.x.clone(),
            y: self.public.y.clone(),
            d: b64(self.secret.to_bytes().as_slice()),
        };
        let json = serde_json::to_vec_pretty(&jwk).map_err(std::io::Error::other)?;
        let mut nonce = [0u8; 8];
        OsRng.fill_bytes(&mut nonce);
        let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(format!(".tmp-{}", hex::encode(nonce)));
        let tmp = path.with_file_name(tmp_name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&tmp).and_then(|mut f| {
            f.write_all(&json)?;
            f.write_all(b"\n")?;
            f.sync_all()
        });
        let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
        let _ = std::fs::remove_file(&tmp);
        linked?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The new name must survive a crash too; a failure here loses nothing yet.
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }

    /// Opens a sealed record (the spec in `drawline_domain::api::sealed`) and checks that the
    /// record inside is the one its clear `id`, `version` and `hash` name.
    pub fn open(&self, rec: &SealedRecord) -> Result<PushRecord, SealError> {
        let json = self.open_bytes(&rec.sealed, rec.aad().as_bytes())?;
        let opened: PushRecord =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(&json))
                .map_err(|e| {
                    SealError::NotARecord(drawline_domain::collection::invalid_field(&e))
                })?;
        if opened.id != rec.id {
            return Err(SealError::Disagrees("id"));
        }
        if opened.version != rec.version {
            return Err(SealError::Disagrees("version"));
        }
        if opened.content_hash != rec.hash {
            return Err(SealError::Disagrees("content hash"));
        }
        Ok(opened)
    }

    /// Opens one seal bound to `aad`: the plaintext bytes.
    pub fn open_bytes(&self, sealed: &Sealed, aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let epk = public_key_of(&sealed.epk, "the seal's ephemeral key")?;
        let iv = unb64(&sealed.iv, "iv", Some(IV_BYTES))?;
        let ct = unb64(&sealed.ct, "ciphertext", None)?;
        let shared = diffie_hellman(self.secret.to_nonzero_scalar(), epk.as_affine());
        let cipher = content_key(shared.raw_secret_bytes().as_slice());
        cipher
            .decrypt(Nonce::from_slice(&iv), Payload { msg: &ct, aad })
            .map_err(|_| SealError::Open)
    }
}

/// A key file others can read is still used (refusing would stop the lab), but said loudly.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(),
                    "the lab key file is readable by other users; make it private (chmod 600)");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> PushRecord {
        PushRecord {
            id: uuid::Uuid::from_bytes([7; 16]),
            version: 2,
            supersedes: None,
            content_hash: "ab".repeat(32),
            collection: serde_json::json!({ "record": "anything" }),
        }
    }

    #[test]
    fn a_sealed_record_opens_with_the_lab_key_into_the_same_record() {
        let lab = LabKey::generate();
        let sealed = seal_record(lab.public_jwk(), &record()).unwrap();
        assert_eq!(lab.open(&sealed).unwrap(), record());
    }

    #[test]
    fn a_seal_to_another_lab_or_for_another_record_does_not_open() {
        let lab = LabKey::generate();
        let other = LabKey::generate();
        let sealed = seal_record(other.public_jwk(), &record()).unwrap();
        assert_eq!(lab.open(&sealed), Err(SealError::Open));
        let mut moved = seal_record(lab.public_jwk(), &record()).unwrap();
        moved.version = 3;
        assert_eq!(lab.open(&moved), Err(SealError::Open));
    }

    #[test]
    fn a_clear_hash_that_disagrees_with_the_sealed_record_is_refused() {
        let lab = LabKey::generate();
        let mut sealed = seal_record(lab.public_jwk(), &record()).unwrap();
        sealed.hash = "cd".repeat(32);
        assert_eq!(lab.open(&sealed), Err(SealError::Disagrees("content hash")));
    }

    #[test]
    fn an_ephemeral_key_off_the_curve_is_refused_before_any_decryption() {
        let lab = LabKey::generate();
        let mut sealed = seal_record(lab.public_jwk(), &record()).unwrap();
        sealed.sealed.epk.y = sealed.sealed.epk.x.clone();
        assert!(matches!(lab.open(&sealed), Err(SealError::Key(_))));
    }

    #[test]
    fn the_default_key_file_sits_beside_the_database() {
        assert_eq!(
            default_path(Path::new("/var/lib/drawline/lab.sqlite")),
            Path::new("/var/lib/drawline/lab.sqlite.lab-key.json")
        );
        assert_eq!(
            default_path(Path::new("drawline.sqlite")),
            Path::new("drawline.sqlite.lab-key.json")
        );
    }

    #[test]
    fn the_key_file_is_made_private_once_and_read_back_as_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let made = LabKey::load_or_create(&path).unwrap();
        let again = LabKey::load_or_create(&path).unwrap();
        assert_eq!(made.public_jwk(), again.public_jwk());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_damaged_key_file_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        std::fs::write(&path, "{\"kty\":\"EC\"").unwrap();
        let err = LabKey::load_or_create(&path).unwrap_err().to_string();
        assert!(
            err.contains("cannot be used") && err.contains("backup"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"kty\":\"EC\"");
    }

    #[test]
    fn the_debug_form_shows_no_private_key() {
        let lab = LabKey::generate();
        let d = b64(lab.secret.to_bytes().as_slice());
        assert!(!format!("{lab:?}").contains(&d));
    }
}
