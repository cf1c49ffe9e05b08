//! Evaluation scores in cells: one score, a score that may be missing, a run of them as a
//! sparkline.

use super::neutralize;

/// An evaluation score in a cell: a whole number as it is, else to two decimals without
/// trailing zeros (`1`, `0.5`, `0.67`), and its label after it when there is one.
#[must_use]
pub fn score_cell(value: f64, label: Option<&str>) -> String {
    let mut s = format!("{value:.2}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if s == "-0" {
        s = "0".into();
    }
    match label {
        Some(l) if !l.is_empty() => format!("{s} {}", neutralize(l, false)),
        _ => s,
    }
}

/// A score that may be missing: `—` when there is none.
#[must_use]
pub fn maybe_score_cell(s: Option<f64>) -> String {
    s.map_or_else(|| "—".into(), |s| score_cell(s, None))
}

/// Scores as a one-line sparkline (`▁▃█`), low to high over their own range; a missing score
/// is a space.
#[must_use]
pub fn spark(values: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let known = values.iter().flatten();
    let lo = known.clone().copied().fold(f64::INFINITY, f64::min);
    let hi = known.copied().fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if hi <= lo => BARS[3],
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some(v) => BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize],
        })
        .collect()
}
