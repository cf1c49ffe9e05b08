//! `spanscope sessions`: the conversations the matching traces are turns of; with `--session`,
//! one conversation's transcript.

use super::common::{Failure, load, matching, parse_query, write_out};
use crate::analysis::sessions;
use crate::cli::SessionsArgs;
use crate::headless::{self, Paint};
use crate::ingest::detail::details_of;
use crate::text::TimeFmt;

/// `spanscope sessions`.
///
/// # Errors
/// A bad filter, an unreadable source, an unknown conversation, or a failed write.
pub fn run(a: &SessionsArgs, paint: Paint) -> Result<(), Failure> {
    let q = parse_query(&a.filter)?;
    let store = load(&a.src)?;
    if let Some(id) = &a.session {
        let conv = sessions::find(&store, id).map_err(Failure::no_match)?;
        let roots = sessions::roots(&store, &conv);
        let turns = sessions::transcript(&store, &conv, &roots, &details_of(&store, &roots));
        return write_out(|out| {
            headless::sessions::print_transcript(&store, &conv, &turns, a.format, paint, out)
        });
    }
    let convs = sessions::conversations(&store, &matching(&store, &q));
    let firsts = sessions::first_questions(&store, &convs, &|spans| details_of(&store, spans));
    write_out(|out| {
        headless::sessions::print(
            &store,
            &convs,
            &firsts,
            a.format,
            paint,
            TimeFmt { utc: a.src.utc },
            out,
        )
    })
}
