//! Answers over the store and a query, as data: step statistics, trace groups, the latency
//! histogram, the alignment of two traces. No I/O and no printing: `headless` and `ui` both
//! render what these compute.

pub mod calls;
pub mod critical;
pub mod diff;
pub mod groups;
pub mod histogram;
pub mod steps;
