//! Item 3: raw, gzip and brotli bytes of the release build's wasm, JS glue and CSS, beside the
//! same toolchain's release build of an empty Leptos app (bench/empty-app).

use std::io::Write;
use std::path::Path;

use anyhow::{ensure, Result};

/// Bytes of one kind of asset as served raw, gzip and brotli.
#[derive(Default, Clone, Copy)]
pub struct Sizes {
    /// On disk.
    pub raw: u64,
    /// gzip level 9.
    pub gzip: u64,
    /// brotli quality 11, window 22.
    pub brotli: u64,
}

impl Sizes {
    /// Adds `o`'s bytes to these.
    pub fn add(&mut self, o: Sizes) {
        self.raw += o.raw;
        self.gzip += o.gzip;
        self.brotli += o.brotli;
    }
}

/// The same compressors and settings as `cargo xtask bundle-size` (xtask/src/bundle.rs).
fn measure(data: &[u8]) -> Result<Sizes> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(data)?;
    let gzip = gz.finish()?.len() as u64;
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(data)?;
    }
    Ok(Sizes {
        raw: data.len() as u64,
        gzip,
        brotli: br.len() as u64,
    })
}

/// Sizes of the wasm, js (without the service worker, not part of start-up) and css in `dist`.
pub fn of_dist(dist: &Path) -> Result<[(&'static str, Sizes); 3]> {
    ensure!(
        dist.join("index.html").is_file(),
        "{} has no build",
        dist.display()
    );
    let mut out = [
        ("wasm", Sizes::default()),
        ("js", Sizes::default()),
        ("css", Sizes::default()),
    ];
    for entry in std::fs::read_dir(dist)? {
        let path = entry?.path();
        if path.file_name().is_some_and(|n| n == "sw.js") {
            continue;
        }
        for (ext, sum) in out.iter_mut() {
            if path.extension().is_some_and(|e| e == *ext) {
                sum.add(measure(&std::fs::read(&path)?)?);
            }
        }
    }
    Ok(out)
}
