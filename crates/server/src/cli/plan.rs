//! `drawline plan`: the tube planner for lab staff and scripts.

use std::path::PathBuf;

use drawline_domain::{render_table, Device, SiteConfig};

/// Options of `drawline plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Ordered test codes, comma separated, e.g. PT,CMP,CBC.
    #[arg(long, value_delimiter = ',', required = true)]
    pub tests: Vec<String>,
    /// Collection device: `holder` (evacuated tube holder) or `winged` (butterfly set).
    #[arg(long, default_value = "holder")]
    pub device: String,
    /// Print a JSON array of tubes instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Folder with the site's catalog.json and/or order-of-draw.json [default: the shipped CLSI site].
    #[arg(long, env = "DRAWLINE_SITE_DIR")]
    pub site_dir: Option<PathBuf>,
}

/// Prints the plan; unknown tests or devices are errors (exit status 1), never silently dropped.
pub fn plan(args: PlanArgs) -> anyhow::Result<()> {
    let site = match &args.site_dir {
        Some(dir) => SiteConfig::from_dir(dir)?,
        None => SiteConfig::default_site(),
    };
    let device: Device = args.device.parse()?;
    let codes: Vec<&str> = args
        .tests
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    let plan = site.plan(&codes, device)?;
    let text = if args.json {
        serde_json::to_string_pretty(&plan)? + "\n"
    } else {
        render_table(&plan)
    };
    super::emit(&text)
}
