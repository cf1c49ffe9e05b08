//! Answers over the store and a query, as data: where a trace's time went, step statistics,
//! trace groups, the latency histogram, the alignment of two traces, optimizer runs, conversations. No I/O and no printing:
//! `headless` and `ui` both render what these compute.

pub mod breakdown;
pub mod calls;
pub mod critical;
pub mod diff;
pub mod groups;
pub mod histogram;
pub mod run_diff;
pub mod runs;
pub mod sessions;
pub mod steps;
#[cfg(test)]
mod testing;
pub mod transcript;
