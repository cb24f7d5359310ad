//! Code 128 barcodes drawn as SVG, for label previews and printing (no image library needed).

use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::error::AppError;

/// Bar and space widths (in modules) of Code 128 symbols 0 to 106; 106 is STOP (7 elements).
const PATTERNS: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];
const START_B: usize = 104;
const STOP: usize = 106;
/// Quiet zone either side, in modules (the standard asks for at least 10).
const QUIET: u32 = 10;

/// Why a text cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEncodable(pub char);

/// The symbol values of `text` in code set B: start, data, checksum, stop.
pub fn code128b(text: &str) -> Result<Vec<usize>, NotEncodable> {
    let mut values = vec![START_B];
    for c in text.chars() {
        let v = c as u32;
        if !(32..=127).contains(&v) {
            return Err(NotEncodable(c));
        }
        values.push((v - 32) as usize);
    }
    let checksum = values
        .iter()
        .enumerate()
        .map(|(i, v)| if i == 0 { *v } else { v * i })
        .sum::<usize>()
        % 103;
    values.push(checksum);
    values.push(STOP);
    Ok(values)
}

/// Bars as `(x, width)` in modules, and the total width including quiet zones.
pub fn bars(text: &str) -> Result<(Vec<(u32, u32)>, u32), NotEncodable> {
    let mut x = QUIET;
    let mut out = Vec::new();
    for v in code128b(text)? {
        for (i, w) in PATTERNS[v].bytes().enumerate() {
            let w = u32::from(w - b'0');
            if i % 2 == 0 {
                out.push((x, w));
            }
            x += w;
        }
    }
    Ok((out, x + QUIET))
}

/// A Code 128 barcode of `value`, scaled to its container, with the text under it.
#[component]
pub fn Barcode(
    /// The text to encode (an accession number).
    value: String,
) -> impl IntoView {
    match bars(&value) {
        Ok((bars, width)) => {
            let rects = bars
                .into_iter()
                .map(|(x, w)| view! { <rect x=x y="0" width=w height="40" /> })
                .collect_view();
            view! {
                <svg
                    class="barcode"
                    viewBox=format!("0 0 {width} 40")
                    preserveAspectRatio="none"
                    role="img"
                    aria-label=format!("Barcode {value}")
                    data-testid="barcode"
                    data-value=value.clone()
                >
                    {rects}
                </svg>
            }
            .into_any()
        }
        Err(NotEncodable(c)) => {
            let error = AppError::Refused(format!("'{c}' cannot be printed as a barcode"));
            view! { <ErrorNote error=error /> }.into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_symbol_is_eleven_modules_with_even_bars_and_distinct_patterns() {
        for (i, p) in PATTERNS.iter().enumerate() {
            let widths: Vec<u32> = p.bytes().map(|b| u32::from(b - b'0')).collect();
            let total: u32 = widths.iter().sum();
            let bars: u32 = widths.iter().step_by(2).sum();
            if i == STOP {
                assert_eq!(total, 13, "stop");
            } else {
                assert_eq!(total, 11, "symbol {i}");
                assert_eq!(bars % 2, 0, "symbol {i} has an even bar total");
            }
        }
        let mut sorted = PATTERNS.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), PATTERNS.len());
    }

    #[test]
    fn the_checksum_follows_the_standard_weighting() {
        // 104 + 48·1 + 42·2 + 42·3 + 17·4 + 18·5 + 19·6 + 35·7 = 879; 879 mod 103 = 55.
        let v = code128b("PJJ123C").unwrap();
        assert_eq!(v[0], START_B);
        assert_eq!(v[v.len() - 2], 55);
        assert_eq!(*v.last().unwrap(), STOP);
    }

    #[test]
    fn the_symbol_width_is_eleven_modules_per_character_plus_overhead() {
        let (_, width) = bars("D1234-1").unwrap();
        // start + 7 data + check = 9 symbols of 11, stop 13, quiet zones 20.
        assert_eq!(width, 9 * 11 + 13 + 20);
        assert_eq!(bars("é"), Err(NotEncodable('é')));
    }
}
