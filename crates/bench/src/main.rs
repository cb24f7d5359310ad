//! `drawline-bench`: runs Drawline's benchmarks and writes BENCHMARKS.md (run it through `cargo xtask bench`).

mod autosave;
mod browser;
mod bundle;
mod launch;
mod load;
mod push;
mod report;
mod stats;
mod sync;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use report::Report;
use stats::{fmt_bytes, fmt_ms, median, quantile, ratio, thousands};

/// Command-line choices.
struct Options {
    /// Smallest inputs only, nothing written: checks the harness in a few minutes.
    quick: bool,
    /// Sections to run (all when empty): sync, load, bundle, cold, list.
    only: Vec<String>,
    /// Where BENCHMARKS.md goes.
    out: PathBuf,
}

impl Options {
    fn parse() -> Result<Self> {
        let mut o = Options {
            quick: false,
            only: Vec::new(),
            out: PathBuf::from("BENCHMARKS.md"),
        };
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            match a.as_str() {
                "--quick" => o.quick = true,
                "--only" => {
                    o.only = args
                        .next()
                        .context("--only needs a list")?
                        .split(',')
                        .map(str::to_owned)
                        .collect()
                }
                "--out" => o.out = args.next().context("--out needs a path")?.into(),
                other => anyhow::bail!(
                    "unknown argument {other}: [--quick] [--only sync,load,bundle,cold,autosave,list] [--out FILE]"
                ),
            }
        }
        Ok(o)
    }

    fn runs(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let opts = Options::parse()?;
    let started = Instant::now();
    let mut report = Report::default();
    let mut growth = Vec::new();
    // The small syncs first; the largest runs last (it can take many minutes).
    let mut sync_points = Vec::new();
    let mut encrypted_points = Vec::new();
    if opts.runs("sync") {
        let sizes: &[usize] = if opts.quick { &[100] } else { &[100, 1_000] };
        let mut points = SyncPoints {
            plain: &mut sync_points,
            encrypted: &mut encrypted_points,
        };
        sync_section(sizes, true, &mut report, &mut points).await;
    }
    if opts.runs("load") {
        load_section(&opts, &mut report, &mut growth).await;
    }
    if opts.runs("bundle") {
        if let Err(e) = bundle_section(&mut report) {
            report.note(format!("**Bundle size could not be measured**: {e:#}"));
        }
    }
    if opts.runs("cold") {
        let runs = if opts.quick { 3 } else { 10 };
        match browser::cold_start(runs).await {
            Ok(c) => {
                let page = format!(
                    "static page of {}, same server, same way",
                    fmt_bytes(c.bytes)
                );
                report.row(
                    "Cold start to interactive draw list, online (service worker bypassed, HTTP cache empty; through the PIN unlock a page load asks for)",
                    format!("demo worklist; median of {}", c.runs),
                    fmt_ms(c.online),
                    format!("{}: {}", page, fmt_ms(c.reference)),
                    ratio(c.online, c.reference),
                );
                report.row(
                    "Cold start to interactive draw list, offline (server stopped, from the service worker; through the PIN unlock)",
                    format!("demo worklist; median of {}", c.runs),
                    fmt_ms(c.offline),
                    format!("the online static page above: {}", fmt_ms(c.reference)),
                    ratio(c.offline, c.reference),
                );
            }
            Err(e) => report.note(format!("**Cold start could not be measured**: {e:#}")),
        }
    }
    if opts.runs("list") {
        list_section(&opts, &mut report, &mut growth).await;
    }
    if opts.runs("sync") && !opts.quick {
        // The largest size without the encrypted runs: the brief compares at 1,000.
        let mut points = SyncPoints {
            plain: &mut sync_points,
            encrypted: &mut encrypted_points,
        };
        sync_section(&[10_000], false, &mut report, &mut points).await;
    }
    if encrypted_points.len() > 1 {
        growth.insert(
            0,
            growth_line(
                "Sync by the app with encryption (sealed copies)",
                "collections",
                "collection",
                &encrypted_points,
            ),
        );
    }
    if sync_points.len() > 1 {
        growth.insert(
            0,
            growth_line(
                "Sync by the app without encryption",
                "collections",
                "collection",
                &sync_points,
            ),
        );
    }
    if !growth.is_empty() {
        report.note(format!(
            "**Growth** (each input 10x the one before; cost per unit of input at each size):\n\n{}",
            growth.join("\n")
        ));
    }
    if opts.runs("autosave") {
        let saves = if opts.quick { 50 } else { 500 };
        match autosave::autosave(saves).await {
            Ok(a) => autosave_rows(&mut report, &a),
            Err(e) => report.note(format!("**Autosave could not be measured**: {e:#}")),
        }
    }
    // One table, grouped by item in the brief's order (the largest sync ran last).
    report.rows.sort_by_key(|r| {
        ["Sync", "Server", "Bundle", "Cold", "Autosave", "Draw"]
            .iter()
            .position(|g| r.bench.starts_with(g))
            .unwrap_or(5)
    });
    println!("\n{}", report.table());
    if opts.quick {
        println!("(--quick: BENCHMARKS.md not written)");
    } else {
        report.write(&opts.out, started.elapsed().as_secs_f64() / 60.0)?;
        println!("wrote {}", opts.out.display());
    }
    Ok(())
}

/// One size of a growth series: input units, total ms, units done (fewer than the input when
/// the run stopped waiting before the end).
type Point = (usize, f64, usize);

/// "title: a, b, c: roughly linear" from points at growing sizes.
fn growth_line(title: &str, what: &str, unit: &str, points: &[Point]) -> String {
    let per: Vec<String> = points
        .iter()
        .map(|&(n, ms, done)| {
            let each = fmt_ms(ms / done.max(1) as f64);
            if done < n {
                format!(
                    "{} {what}: not finished, {} done in {} ({each} per {unit} so far)",
                    thousands(n),
                    thousands(done),
                    fmt_ms(ms)
                )
            } else {
                format!(
                    "{} {what}: {} ({each} per {unit})",
                    thousands(n),
                    fmt_ms(ms)
                )
            }
        })
        .collect();
    let verdict = match points {
        [.., (_, a, d1), (n2, b, d2)] if *a > 0.0 => {
            // Cost per unit at the largest size over the one before it (a lower bound when the
            // largest did not finish: it was slowing down).
            let r = (b / (*d2).max(1) as f64) / (a / (*d1).max(1) as f64);
            let bound = if d2 < n2 { "at least " } else { "" };
            if r < 0.5 {
                format!("better than linear (per {unit} cost x{r:.2} at 10x: fixed costs dominate smaller inputs)")
            } else if r <= 2.0 {
                format!("roughly linear (per {unit} cost {bound}x{r:.2} at 10x)")
            } else {
                format!("worse than linear (per {unit} cost {bound}x{r:.1} at 10x)")
            }
        }
        _ => "too few sizes to say".into(),
    };
    format!("- {title}: {}: {verdict}", per.join("; "))
}

/// Where each complete sync run goes for the growth lines.
struct SyncPoints<'a> {
    /// The app's sync of records queued in the clear.
    plain: &'a mut Vec<Point>,
    /// The app's sync of records encrypted and sealed on the tablet.
    encrypted: &'a mut Vec<Point>,
}

/// The figure of one sync by the app: its time and rate, or how far it got.
fn app_sync_figure(n: usize, a: &sync::AppSync) -> String {
    let app = stats::ms(a.app);
    let figure = if a.synced == n {
        format!("{} ({:.0}/s)", fmt_ms(app), n as f64 / a.app.as_secs_f64())
    } else {
        format!(
            "**not finished**: {} of {} synced when the run stopped waiting after {} ({:.1}/s)",
            thousands(a.synced),
            thousands(n),
            fmt_ms(app),
            a.synced as f64 / a.app.as_secs_f64()
        )
    };
    format!(
        "{figure}; {} push + {} pull requests; {} sent",
        a.pushes,
        a.pulls,
        fmt_bytes(a.push_bytes)
    )
}

/// A raw push from Rust as "time (rate); requests; bytes".
fn raw_figure(n: usize, r: &sync::RawPush) -> String {
    format!(
        "{} ({:.0}/s); {} requests; {}",
        fmt_ms(stats::ms(r.time)),
        n as f64 / r.time.as_secs_f64(),
        r.requests,
        fmt_bytes(r.bytes)
    )
}

/// Ratio of an app sync to a reference time: per collection so far when it did not finish.
fn sync_ratio(n: usize, a: &sync::AppSync, reference: Duration, reference_n: usize) -> String {
    let app = stats::ms(a.app);
    if a.synced == n {
        ratio(app, stats::ms(reference))
    } else {
        format!(
            "more than {} per collection",
            ratio(
                app / a.synced.max(1) as f64,
                stats::ms(reference) / reference_n.max(1) as f64
            )
        )
    }
}

/// Sync at each size in `sizes` (with `encrypted`, also with encryption); complete runs go to
/// `points` for the growth lines.
async fn sync_section(
    sizes: &[usize],
    encrypted: bool,
    report: &mut Report,
    points: &mut SyncPoints<'_>,
) {
    for &n in sizes {
        let f = match sync::measure(n, encrypted).await {
            Ok(f) => f,
            Err(e) => {
                report.note(format!(
                    "**Sync of {} queued collections could not be measured**: {e:#}",
                    thousands(n)
                ));
                continue;
            }
        };
        let queued = format!("{} queued", thousands(f.n));
        report.row(
            "Sync without encryption: collections queued in the clear after sign-in, pushed plain by the app in Chromium, through the counting proxy (receipts are still stored encrypted)",
            queued.clone(),
            app_sync_figure(n, &f.plain),
            format!(
                "server raw insert, same records, batches of 200 from Rust: {}",
                raw_figure(n, &f.raw)
            ),
            sync_ratio(n, &f.plain, f.raw.time, n),
        );
        points
            .plain
            .push((n, stats::ms(f.plain.app), f.plain.synced));
        let Some((app, upgrade, sealed)) = &f.encrypted else {
            continue;
        };
        report.row(
            "Sync with encryption: the same collections queued before sign-in, so the sign-in encrypted them and sealed them to the lab; pushed as sealed copies by the app (the outbox decrypted to build each batch, every seal opened by the lab), through the counting proxy; this sync also pulls the round, which the sign-in's held-back sync could not",
            queued.clone(),
            app_sync_figure(n, app),
            format!(
                "the app's sync without encryption above: {}",
                fmt_ms(stats::ms(f.plain.app))
            ),
            if f.plain.synced == n {
                sync_ratio(n, app, f.plain.app, n)
            } else {
                "n/a (the reference did not finish)".into()
            },
        );
        points.encrypted.push((n, stats::ms(app.app), app.synced));
        report.row(
            "Sync with encryption, native reference: the same records sealed in Rust to the lab's key (`seal_record`), pushed as sealed copies from Rust in batches of 200 (the lab opens each)",
            queued.clone(),
            raw_figure(n, sealed),
            format!("the same records in the clear from Rust: {}", raw_figure(n, &f.raw)),
            ratio(stats::ms(sealed.time), stats::ms(f.raw.time)),
        );
        report.row(
            "Sync with encryption: the sign-in's one-time upgrade of collections queued in the clear (each encrypted under the data key and sealed to the lab, one committed write each)",
            queued,
            format!(
                "upgrade {} ({:.0}/s; watched every 50 ms); sign-in click to draw list {}",
                fmt_ms(stats::ms(upgrade.upgrade)),
                n as f64 / upgrade.upgrade.as_secs_f64().max(1e-3),
                fmt_ms(stats::ms(app.sign_in))
            ),
            format!(
                "sign-in with nothing to upgrade, in the run without encryption (whose sign-in also ran its first sync; here that sync's push was held back in the browser for the timed sync): click to draw list {}",
                fmt_ms(stats::ms(f.plain.sign_in))
            ),
            format!(
                "sign-in {}",
                ratio(stats::ms(app.sign_in), stats::ms(f.plain.sign_in))
            ),
        );
    }
}

/// The autosave rows: the app (which encrypts) and the encrypt-and-put reference, each beside a
/// strict put of the same draft in the clear, and the stored envelope's bare put.
fn autosave_rows(report: &mut Report, a: &autosave::Autosave) {
    let p = |v: &[f64]| (quantile(v, 0.5), quantile(v, 0.95));
    let pair = |(p50, p95): (f64, f64)| format!("p50 {} / p95 {}", fmt_ms(p50), fmt_ms(p95));
    let ratios = |(a50, a95): (f64, f64), (r50, r95): (f64, f64)| {
        format!("p50 {} / p95 {}", ratio(a50, r50), ratio(a95, r95))
    };
    let (app, stored, plain, encrypted) = (p(&a.app), p(&a.stored), p(&a.plain), p(&a.encrypted));
    let input = format!(
        "{} saves, each reference as often on a draft of the same size: the draft grows by one answer in its history per save, {} to {} (the app's, from its ciphertexts) / {} to {} (the references')",
        a.saves,
        fmt_bytes(a.app_plain_bytes.0 as u64),
        fmt_bytes(a.app_plain_bytes.1 as u64),
        fmt_bytes(a.reference_plain_bytes.0 as u64),
        fmt_bytes(a.reference_plain_bytes.1 as u64)
    );
    let versus = |what: &str| {
        format!(
            "{what}strict IndexedDB put of the same draft in the clear (JSON built with the domain crate), same browser: {}",
            pair(plain)
        )
    };
    report.row(
        "Autosave with encryption: UI change (fasting answer on review) to the draft's strict IndexedDB transaction completing, the draft encrypted under the data key",
        input.clone(),
        pair(app),
        versus(""),
        ratios(app, plain),
    );
    report.row(
        "Autosave reference: WebCrypto AES-256-GCM encryption of the draft (random 96-bit IV, non-extractable key, as the app's data key) and a strict put of its envelope, in the page",
        input.clone(),
        pair(encrypted),
        versus("the same run's "),
        ratios(encrypted, plain),
    );
    report.row(
        "Autosave reference: bare strict put of the record as the app stored it (an encrypted envelope)",
        input,
        pair(stored),
        versus("the same run's "),
        ratios(stored, plain),
    );
}

async fn load_section(opts: &Options, report: &mut Report, growth: &mut Vec<String>) {
    // Each device pushes 5 batches of 10 and pulls after each; 200 devices is the brief's load.
    let sizes: &[usize] = if opts.quick { &[20] } else { &[20, 200, 2_000] };
    let (rounds, batch) = (5, 10);
    let mut points = Vec::new();
    for &devices in sizes {
        match load::measure(devices, rounds, batch).await {
            Ok(f) => {
                let mut both = f.push_ms.clone();
                both.extend(&f.pull_ms);
                let p99 = quantile(&both, 0.99);
                let h99 = quantile(&f.health_ms, 0.99);
                report.row(
                    "Server ingest on SQLite: devices at once, each 5 x (push 10 collections, pull)",
                    format!("{} devices, {} collections", thousands(f.devices), thousands(f.collections)),
                    format!(
                        "{:.0} collections/s ({} requests/s); p99 {} (push p50 {} p99 {}, pull p50 {} p99 {})",
                        f.collections as f64 / f.wall.as_secs_f64(),
                        thousands((both.len() as f64 / f.wall.as_secs_f64()) as usize),
                        fmt_ms(p99),
                        fmt_ms(median(&f.push_ms)),
                        fmt_ms(quantile(&f.push_ms, 0.99)),
                        fmt_ms(median(&f.pull_ms)),
                        fmt_ms(quantile(&f.pull_ms, 0.99)),
                    ),
                    format!(
                        "same count and concurrency of GET /health: {} requests/s; p50 {} p99 {}",
                        thousands((f.health_ms.len() as f64 / f.health_wall.as_secs_f64()) as usize),
                        fmt_ms(median(&f.health_ms)),
                        fmt_ms(h99)
                    ),
                    format!("p99 {}", ratio(p99, h99)),
                );
                points.push((f.collections, stats::ms(f.wall), f.collections));
            }
            Err(e) => report.note(format!(
                "**Server load with {} devices could not be measured**: {e:#}",
                thousands(devices)
            )),
        }
    }
    if points.len() > 1 {
        growth.push(growth_line(
            "Server ingest (10x the devices, each doing the same)",
            "collections",
            "collection",
            &points,
        ));
    }
}

fn bundle_section(report: &mut Report) -> Result<()> {
    let app = bundle::of_dist(&launch::dist()?)?;
    let empty_dir = std::env::var_os("EMPTY_APP_DIST")
        .map(PathBuf::from)
        .context("EMPTY_APP_DIST is not set: run the benchmarks through `cargo xtask bench`")?;
    let empty = bundle::of_dist(&empty_dir)?;
    // One row: the app's sizes beside the empty app's (`reference` names it).
    let mut row = |bench: String, a: &bundle::Sizes, reference: &str, e: &bundle::Sizes| {
        report.row(
            bench,
            "dist/",
            fmt_sizes(a),
            format!("{reference}: {}", fmt_sizes(e)),
            format!("brotli {}", ratio(a.brotli as f64, e.brotli as f64)),
        )
    };
    let mut total = (bundle::Sizes::default(), bundle::Sizes::default());
    for ((kind, a), (_, e)) in app.iter().zip(empty.iter()) {
        row(
            format!("Bundle: {kind} of the release build (raw / gzip / brotli)"),
            a,
            "empty Leptos 0.8 app, same toolchain",
            e,
        );
        total.0.add(*a);
        total.1.add(*e);
    }
    let (a, e) = total;
    row(
        "Bundle: total start-up download (raw / gzip / brotli)".into(),
        &a,
        "empty Leptos 0.8 app",
        &e,
    );
    Ok(())
}

/// "raw / gzip / brotli" sizes.
fn fmt_sizes(s: &bundle::Sizes) -> String {
    format!(
        "{} / {} / {}",
        fmt_bytes(s.raw),
        fmt_bytes(s.gzip),
        fmt_bytes(s.brotli)
    )
}

async fn list_section(opts: &Options, report: &mut Report, growth: &mut Vec<String>) {
    let runs = if opts.quick { 2 } else { 5 };
    let limit = Duration::from_secs(if opts.quick { 120 } else { 600 });
    let reference = match browser::draw_list(0, runs, limit).await {
        Ok(r) => r,
        Err(e) => {
            report.note(format!(
                "**Draw list at scale could not be measured** (the demo reference failed): {e:#}"
            ));
            return;
        }
    };
    let sizes: &[usize] = if opts.quick {
        &[200]
    } else {
        &[200, 2_000, 20_000]
    };
    let mut points = Vec::new();
    for &patients in sizes {
        // The largest list takes minutes per pass: one run there.
        let runs = if patients >= 20_000 { 1 } else { runs };
        match browser::draw_list(patients, runs, limit).await {
            Ok(d) => {
                let input = format!(
                    "{} patients / {} orders imported ({} cards); median of {runs}",
                    thousands(d.imported),
                    thousands(d.imported * 3),
                    thousands(d.cards)
                );
                draw_list_rows(report, &input, &d, &reference);
                points.push((d.cards, d.render, d.cards));
            }
            Err(e) => report.note(format!(
                "**Draw list with {} imported patients could not be measured** (limit {} s per step): {e:#}",
                thousands(patients),
                limit.as_secs()
            )),
        }
    }
    if points.len() > 1 {
        growth.push(growth_line(
            "Draw list render",
            "patient cards",
            "card",
            &points,
        ));
    }
}

/// The draw list's rows at one size (`input`), each beside the demo worklist's `reference`.
fn draw_list_rows(
    report: &mut Report,
    input: &str,
    d: &browser::DrawList,
    reference: &browser::DrawList,
) {
    // (bench, what the reference did, this size's median, the reference's).
    let medians = [
        (
            "Draw list: reload of /draws until every card shows",
            "reload",
            d.load,
            reference.load,
        ),
        (
            "Draw list: render (in-app back navigation) until every card shows",
            "render",
            d.render,
            reference.render,
        ),
        (
            "Draw list: filter to one patient by MRN (one input event)",
            "filter",
            d.filter,
            reference.filter,
        ),
        (
            "Draw list: clear the filter until every card shows again",
            "clear",
            d.clear,
            reference.clear,
        ),
    ];
    for (bench, what, v, r) in medians {
        let versus = format!(
            "demo worklist ({} cards) {what}: {}",
            reference.cards,
            fmt_ms(r)
        );
        report.row(bench, input, fmt_ms(v), versus, ratio(v, r));
    }
    report.row(
        "Draw list: \"Prepare for round\" download (once, not a median)",
        input,
        fmt_ms(stats::ms(d.prepare)),
        format!("demo worklist: {}", fmt_ms(stats::ms(reference.prepare))),
        ratio(stats::ms(d.prepare), stats::ms(reference.prepare)),
    );
}

#[cfg(test)]
mod tests {
    use super::growth_line;

    #[test]
    fn growth_lines_say_how_cost_per_unit_grows_and_flag_unfinished_runs() {
        let line = growth_line(
            "Sync",
            "collections",
            "collection",
            &[
                (100, 732.0, 100),
                (1000, 4830.0, 1000),
                (10000, 921_160.0, 3800),
            ],
        );
        assert_eq!(
            line,
            "- Sync: 100 collections: 732 ms (7.3 ms per collection); 1,000 collections: 4.83 s \
             (4.8 ms per collection); 10,000 collections: not finished, 3,800 done in 921.16 s \
             (242 ms per collection so far): worse than linear (per collection cost at least x50.2 at 10x)"
        );
        let linear = growth_line(
            "Load",
            "collections",
            "collection",
            &[(1000, 504.0, 1000), (10000, 7570.0, 10000)],
        );
        assert!(
            linear.ends_with("roughly linear (per collection cost x1.50 at 10x)"),
            "{linear}"
        );
    }
}
