//! `selkie completions SHELL` and `selkie man`: what a packaged command line tool ships, made by
//! clap's own generators from the one command definition.

use std::io::Write;

use clap::CommandFactory;

use super::CommandError;
use crate::cli::{Cli, CompletionsArgs};
use crate::error::{Error, Result};

pub fn completions(args: &CompletionsArgs) -> Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "selkie", &mut out);
    write_stdout(&out)
}

pub fn man() -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| output_error("render the manual page", e))?;
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    std::io::stdout()
        .lock()
        .write_all(bytes)
        .map_err(|e| output_error("write to standard output", e))
}

fn output_error(action: &'static str, source: std::io::Error) -> Error {
    CommandError::Output { action, source }.into()
}
