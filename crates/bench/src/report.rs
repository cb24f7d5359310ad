//! The one table every benchmark adds rows to, printed and written to BENCHMARKS.md with the machine it ran on.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

/// One line of the table: a figure beside its reference from the same run.
pub struct Row {
    /// What was measured.
    pub bench: String,
    /// Input size.
    pub input: String,
    /// The figure (medians where repeated).
    pub figure: String,
    /// The reference measured the same way in the same run.
    pub reference: String,
    /// Figure over reference.
    pub ratio: String,
}

/// Everything one run found.
#[derive(Default)]
pub struct Report {
    /// The table.
    pub rows: Vec<Row>,
    /// Paragraphs after the table: growth, what could not be measured and why.
    pub notes: Vec<String>,
}

impl Report {
    /// Adds a row.
    pub fn row(
        &mut self,
        bench: impl Into<String>,
        input: impl Into<String>,
        figure: impl Into<String>,
        reference: impl Into<String>,
        ratio: impl Into<String>,
    ) {
        let r = Row {
            bench: bench.into(),
            input: input.into(),
            figure: figure.into(),
            reference: reference.into(),
            ratio: ratio.into(),
        };
        // Printed as it comes, so a long run shows progress.
        println!(
            "bench: {} | {} | {} | {} | {}",
            r.bench, r.input, r.figure, r.reference, r.ratio
        );
        self.rows.push(r);
    }

    /// Adds a note under the table.
    pub fn note(&mut self, text: impl Into<String>) {
        let t = text.into();
        println!("bench: note: {t}");
        self.notes.push(t);
    }

    /// The table in Markdown.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "| benchmark | input | figure | reference (same run) | figure / reference |\n|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                r.bench, r.input, r.figure, r.reference, r.ratio
            );
        }
        out
    }

    /// Writes BENCHMARKS.md: the table, the notes, the machine and how to reproduce.
    pub fn write(&self, path: &Path, took_minutes: f64) -> Result<()> {
        let mut md = String::from("# Benchmarks\n\n");
        md.push_str(
            "Written by `cargo xtask bench` (crates/bench); do not edit by hand. Every figure stands beside a \
             reference measured the same way in the same run, because the machines are shared and noisy: \
             read the ratios and the medians, not single times. Benchmarks only report; no test asserts a time.\n\n",
        );
        md.push_str(&self.table());
        md.push('\n');
        for n in &self.notes {
            md.push_str(n);
            md.push_str("\n\n");
        }
        md.push_str("## Machine\n\n");
        md.push_str(&machine());
        let _ = writeln!(md, "- run took {took_minutes:.0} minutes\n");
        md.push_str(REPRODUCE);
        std::fs::write(path, md)?;
        Ok(())
    }
}

const REPRODUCE: &str = "## Reproduce\n\n\
```sh\n\
cargo xtask bench          # builds the release app, the server (profile `server`), the empty reference app, then runs everything\n\
cargo xtask bench --quick  # the same with the smaller inputs only, to check the harness (does not write BENCHMARKS.md)\n\
```\n\n\
The app runs in Debian's headless Chromium through chromedriver; the server is the real `drawline` binary \
on a temporary SQLite file, on 127.0.0.1. Client, browser and server share the machine's cores, so \
absolute figures are lower bounds of what a dedicated server does.\n";

/// Cores, memory, CPU model and OS of this machine, as Markdown list items.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem_kb: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| "unknown".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let chromium = std::process::Command::new(
        std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    )
    .arg("--version")
    .output()
    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    .unwrap_or_default();
    format!(
        "- {cores} cores ({model}), shared with other work while the benchmarks ran\n\
         - {:.1} GiB memory\n\
         - {os}, Linux {kernel}\n\
         - {chromium}\n",
        mem_kb as f64 / 1024.0 / 1024.0
    )
}
