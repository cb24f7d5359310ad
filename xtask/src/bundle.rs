//! Measures what a tablet downloads: raw, gzip and brotli bytes of the built wasm, JS glue and CSS.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Result};

/// Compressed sizes of one file.
pub struct Sizes {
    /// Bytes on disk.
    pub raw: usize,
    /// gzip level 9.
    pub gzip: usize,
    /// brotli quality 11.
    pub brotli: usize,
}

/// Sizes of `data` as served raw, gzip and brotli.
pub fn measure(data: &[u8]) -> Result<Sizes> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(data)?;
    let gzip = gz.finish()?.len();
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(data)?;
    }
    Ok(Sizes {
        raw: data.len(),
        gzip,
        brotli: br.len(),
    })
}

/// Prints one line per asset kind found in `dist`, plus a total.
pub fn print(dist: &Path) -> Result<()> {
    if !dist.join("index.html").is_file() {
        bail!(
            "{} has no build: run `cargo xtask build` first",
            dist.display()
        );
    }
    println!("bundle size ({}):", dist.display());
    println!(
        "  {:<6} {:>10} {:>10} {:>10}",
        "kind", "raw", "gzip", "brotli"
    );
    let mut total = Sizes {
        raw: 0,
        gzip: 0,
        brotli: 0,
    };
    for ext in ["wasm", "js", "css"] {
        let mut sum = Sizes {
            raw: 0,
            gzip: 0,
            brotli: 0,
        };
        for entry in std::fs::read_dir(dist)? {
            let path = entry?.path();
            // sw.js is not part of the app's start-up download.
            let is_sw = path.file_name().is_some_and(|n| n == "sw.js");
            if path.extension().is_some_and(|e| e == ext) && !is_sw {
                let s = measure(&std::fs::read(&path)?)?;
                sum.raw += s.raw;
                sum.gzip += s.gzip;
                sum.brotli += s.brotli;
            }
        }
        println!(
            "  {ext:<6} {:>10} {:>10} {:>10}",
            sum.raw, sum.gzip, sum.brotli
        );
        total.raw += sum.raw;
        total.gzip += sum.gzip;
        total.brotli += sum.brotli;
    }
    println!(
        "  {:<6} {:>10} {:>10} {:>10}",
        "total", total.raw, total.gzip, total.brotli
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::measure;

    #[test]
    fn repetitive_data_compresses_and_brotli_beats_nothing() {
        let data = b"drawline ".repeat(1000);
        let s = measure(&data).unwrap();
        assert_eq!(s.raw, 9000);
        assert!(s.gzip < s.raw / 10);
        assert!(s.brotli < s.raw / 10);
    }
}
