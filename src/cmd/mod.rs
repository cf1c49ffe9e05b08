//! One file per command: each reads its arguments, computes with the layers below and prints.

pub mod common;
pub mod config;
pub mod diff;
pub mod dspy_writer;
pub mod explore;
pub mod export;
pub mod list;
pub mod receiver;
pub mod record;
pub mod runs;
pub mod sessions;
pub mod shell;
pub mod show;
pub mod spool;
pub mod stats;
