//! The state of each view, apart from the app that owns it and the panes that draw it.

pub mod compare;
pub mod detail;
pub mod found;
pub mod groups;
pub mod histogram;
pub mod input;
pub mod line;
pub mod list;
pub mod reader;
pub mod runs;
pub mod screen;
pub mod scroll;
pub mod sessions;
pub mod steps;
pub mod text;
pub mod waterfall;
