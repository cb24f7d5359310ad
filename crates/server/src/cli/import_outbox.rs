//! `drawline import-outbox FILE`: a tablet's emergency export, taken once, as if the tablet had pushed it.
//!
//! The file (`OutboxExport`) is checked whole first (format, count, checksum): a damaged or
//! altered file is refused before any record is opened. Each record is then opened with the lab's
//! key and stored through the push path (`routes::sync::store_batch`) under the device that
//! exported it, so it is taken exactly once: importing the file again, or the tablet later
//! pushing the same records, answers `duplicate` with the same receipts.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::Utc;
use drawline_domain::api::{checksum_for_people, OutboxExport, PushResult, RecordOutcome};
use drawline_domain::collection::invalid_field;

use crate::api::MAX_PUSH_RECORDS;
use crate::config::Common;
use crate::lab_key::LabKey;
use crate::routes::sync::{store_batch, Batch};
use crate::store::AuditEntry;
use crate::AppState;

/// Who the audit log names for an import.
pub const IMPORT_ACTOR: &str = "cli:import-outbox";

/// The exit status when some record was refused (conflict or rejected); 1 is a refused file.
pub const EXIT_SOME_REFUSED: i32 = 2;

/// Counts of an import's outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Stored now.
    pub accepted: usize,
    /// Already at the lab (imported or pushed before).
    pub duplicate: usize,
    /// Another version under the same id.
    pub conflict: usize,
    /// Refused (the code says why).
    pub rejected: usize,
}

impl ImportCounts {
    /// Counts the results.
    pub fn of(results: &[PushResult]) -> Self {
        let count = |o: RecordOutcome| results.iter().filter(|r| r.outcome == o).count();
        Self {
            accepted: count(RecordOutcome::Accepted),
            duplicate: count(RecordOutcome::Duplicate),
            conflict: count(RecordOutcome::Conflict),
            rejected: count(RecordOutcome::Rejected),
        }
    }

    /// Whether any record was refused.
    pub fn any_refused(&self) -> bool {
        self.conflict + self.rejected > 0
    }
}

/// One record's line: `<collection id> v<version>: <outcome>[ <code>]`, codes only (a code never
/// carries patient data; reasons are for the supervisor's queue).
pub fn result_line(r: &PushResult) -> String {
    let outcome = match r.outcome {
        RecordOutcome::Accepted => "accepted",
        RecordOutcome::Duplicate => "duplicate",
        RecordOutcome::Conflict => "conflict",
        RecordOutcome::Rejected => "rejected",
    };
    match &r.code {
        Some(code) => format!("{} v{}: {outcome} {code}", r.id, r.version),
        None => format!("{} v{}: {outcome}", r.id, r.version),
    }
}

/// Reads an export file and checks it whole (format, count, checksum).
pub fn read_export(file: &Path) -> anyhow::Result<OutboxExport> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    // serde's messages may quote a value: name the field only.
    let export: OutboxExport =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(&bytes))
            .map_err(|e| {
                anyhow::anyhow!(
                    "{} is not a Drawline outbox export ({}); nothing was imported",
                    file.display(),
                    invalid_field(&e)
                )
            })?;
    if let Err(e) = export.verify() {
        bail!(
            "{} is refused whole: {e}; nothing was imported",
            file.display()
        );
    }
    Ok(export)
}

/// Runs `drawline import-outbox FILE`.
pub async fn run(common: &Common, file: PathBuf) -> anyhow::Result<()> {
    let export = read_export(&file)?;
    // A tablet whose clock is far off (reset to 1970) must still hand its work over: its records'
    // own times are checked one by one, and the lab's clock stands in for the file's.
    let device_clock = match crate::instants::check_field("exported_at", Some(&export.exported_at))
    {
        Ok(()) => export.exported_at,
        Err(_) => {
            println!(
                "The file's export time is outside the years the lab takes (the tablet's clock is off): the lab's clock stands in for it."
            );
            Utc::now().fixed_offset()
        }
    };
    let db = common.resolve()?.db;
    // Opening a missing database would make an empty one, which knows no device.
    if !db.exists() {
        bail!(
            "no lab database at {} (set --db or DRAWLINE_DB); nothing was imported",
            db.display()
        );
    }
    let (settings, store, site) = super::open(common).await?;
    let Some(device) = store.device(export.device_id).await? else {
        bail!(
            "no device {} at this lab (the file names it \"{}\"): it was made by a tablet of another lab; nothing was imported",
            export.device_id,
            export.device_name
        );
    };
    // Never made here: a new key could not open anything sealed before.
    let lab_key = LabKey::load(&settings.lab_key_path())?;
    let state = AppState::new(store.clone())
        .with_site(site)
        .with_lab_key(lab_key);
    println!(
        "Importing {} records of \"{}\" ({}), exported {}, checksum {}",
        export.count,
        device.name,
        device.id,
        export.exported_at.to_rfc3339(),
        checksum_for_people(&export.checksum)
    );
    let mut results = Vec::with_capacity(export.records.len());
    for chunk in export.records.chunks(MAX_PUSH_RECORDS) {
        let sealed = chunk
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()?;
        let batch = Batch {
            device_id: device.id,
            actor: IMPORT_ACTOR.into(),
            device_clock,
            heartbeat: None,
            flag_skew: false,
            records: Vec::new(),
            sealed,
        };
        let stored = store_batch(&state, batch)
            .await
            .context("storing the records (the ones printed above are stored; run the import again for the rest)")?;
        for r in &stored.results {
            println!("{}", result_line(r));
        }
        results.extend(stored.results);
    }
    let counts = ImportCounts::of(&results);
    store
        .audit(
            AuditEntry {
                actor: IMPORT_ACTOR.into(),
                action: "outbox.imported".into(),
                subject: Some(format!("device:{}", device.id)),
                detail: Some(
                    serde_json::json!({
                        "device": device.id,
                        "records": results.len(),
                        "accepted": counts.accepted,
                        "duplicate": counts.duplicate,
                        "conflict": counts.conflict,
                        "rejected": counts.rejected,
                    })
                    .to_string(),
                ),
            },
            Utc::now(),
        )
        .await?;
    println!(
        "{} records: {} accepted, {} duplicate, {} conflict, {} rejected",
        results.len(),
        counts.accepted,
        counts.duplicate,
        counts.conflict,
        counts.rejected
    );
    if counts.any_refused() {
        println!(
            "Refused records stay in the lab's review queue, as refused pushes do; the supervisor sees why."
        );
        std::process::exit(EXIT_SOME_REFUSED);
    }
    Ok(())
}
