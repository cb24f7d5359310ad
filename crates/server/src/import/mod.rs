//! Orders in: a FHIR R4 Bundle of Patient + ServiceRequest, or a CSV file, checked row by row.

pub mod csv;
pub mod fhir;

use chrono::{DateTime, Utc};
use drawline_domain::{AccessionNumber, SiteConfig};

use crate::api::{ImportProblem, ImportReport};
use crate::store::{NewOrder, Store, StoreError};

/// What an import file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A FHIR R4 Bundle (JSON).
    Fhir,
    /// The documented CSV columns.
    Csv,
}

impl Format {
    /// From a content type, falling back to the first non-blank byte (`{` means JSON).
    pub fn detect(content_type: Option<&str>, body: &[u8]) -> Format {
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        if ct.contains("json") {
            return Format::Fhir;
        }
        if ct.contains("csv") {
            return Format::Csv;
        }
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Format::Fhir,
            _ => Format::Csv,
        }
    }
}

/// A file that cannot be imported at all (as opposed to single bad rows).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The body is not JSON.
    #[error("the file is not valid JSON: {0}")]
    Json(String),
    /// JSON, but not a FHIR Bundle.
    #[error("expected a FHIR Bundle, found {0}")]
    NotABundle(String),
    /// The CSV header is missing columns or has unknown ones.
    #[error("the CSV header is not usable: {0}")]
    CsvHeader(String),
    /// Storing the good rows failed; none of them were stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Orders read from a file, and the rows or resources that could not be read.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Good orders.
    pub orders: Vec<NewOrder>,
    /// Bad rows or resources.
    pub problems: Vec<ImportProblem>,
}

/// An order's accession numbers as a file gives them: each a valid accession in the site's
/// format (`safety.json`), none twice; blanks between separators are skipped.
pub fn accessions<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    site: &SiteConfig,
) -> Result<Vec<AccessionNumber>, String> {
    let mut out: Vec<AccessionNumber> = Vec::new();
    for text in texts.into_iter().map(str::trim).filter(|t| !t.is_empty()) {
        let a = AccessionNumber::parse(text).map_err(|e| e.to_string())?;
        site.safety()
            .accession
            .check(a.as_str())
            .map_err(|e| format!("accession '{a}' is refused: {e}"))?;
        if out.contains(&a) {
            return Err(format!("accession '{a}' is given twice"));
        }
        out.push(a);
    }
    Ok(out)
}

/// Reads a file; `round` is the round for orders that do not name one.
pub fn parse(
    format: Format,
    body: &[u8],
    site: &SiteConfig,
    round: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Parsed, ImportError> {
    let mut parsed = match format {
        Format::Fhir => fhir::parse(body, site, now)?,
        Format::Csv => csv::parse(body, site, now)?,
    };
    for o in &mut parsed.orders {
        if o.round.is_none() {
            o.round = round.map(str::to_owned);
        }
    }
    Ok(parsed)
}

/// Reads and stores a file: good orders in one transaction, bad ones reported with their position.
pub async fn import(
    store: &dyn Store,
    format: Format,
    body: &[u8],
    site: &SiteConfig,
    round: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let parsed = parse(format, body, site, round, now)?;
    let mut report = store.import_orders(parsed.orders, now).await?;
    report.rejected.extend(parsed.problems);
    report.rejected.sort_by_key(|p| p.position);
    Ok(report)
}
