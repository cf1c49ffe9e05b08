//! `spanscope config`: the commented defaults, the file's path, or the configuration in effect.

use super::common::{Failure, write_out};
use crate::{cli, config};
use std::io::Write;
use std::path::Path;

/// `spanscope config`: the commented defaults, the file's path, or the configuration in effect.
pub fn run(a: &cli::ConfigArgs, given: Option<&Path>) -> Result<(), Failure> {
    let origin = config::Origin::find(given);
    if a.default {
        return write_out(|out| out.write_all(config::DEFAULT_FILE.as_bytes()));
    }
    if a.path {
        let Some(p) = origin.path() else {
            return Err(Failure::usage(
                "no configuration path: neither XDG_CONFIG_HOME nor HOME is set (use --config)",
            ));
        };
        return write_out(|out| writeln!(out, "{}", p.display()));
    }
    let cfg = config::Config::load(&origin).map_err(Failure::usage)?;
    let text = cfg.to_toml().map_err(Failure::usage)?;
    match origin.path() {
        Some(p) if p.exists() => eprintln!("spanscope: the configuration in {}", p.display()),
        Some(p) => eprintln!(
            "spanscope: the defaults ({} does not exist; `spanscope config --default` writes a start)",
            p.display()
        ),
        None => eprintln!("spanscope: the defaults"),
    }
    write_out(|out| out.write_all(text.as_bytes()))
}
