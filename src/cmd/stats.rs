//! `spanscope stats`: step statistics of the matching traces, or (`--group KEY`) the traces
//! split by a metadata value.

use super::common::{Failure, load, matching, parse_query, write_out};
use crate::analysis;
use crate::cli::StatsArgs;
use crate::headless::{self, Paint};

/// `spanscope stats`.
///
/// # Errors
/// A bad filter or group key, an unreadable source, or a failed write.
pub fn run(a: &StatsArgs, paint: Paint) -> Result<(), Failure> {
    let key = match a.group.as_deref() {
        Some(k) => Some(analysis::groups::GroupKey::parse(k).map_err(Failure::usage)?),
        None => None,
    };
    let q = parse_query(&a.filter)?;
    let store = load(&a.src)?;
    let traces = matching(&store, &q);
    if let Some(key) = key {
        let groups = analysis::groups::compute(&store, &traces, &key);
        return write_out(|out| headless::groups::print(&groups, &key, a.format, paint, out));
    }
    let mut groups = analysis::steps::compute(&store, &traces, a.by, true);
    analysis::steps::sort(&mut groups, a.sort);
    write_out(|out| headless::stats::print(&groups, a.format, paint, out))
}
