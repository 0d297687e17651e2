//! Parse the command line, run, and turn errors into exit codes and hints — nothing else.

use std::process::ExitCode;

use clap::Parser;

use selkie::cli::{self, Cli, Command};
use selkie::commands;
use selkie::report::wrap;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: printed on stdout, exit 0.
            e.exit();
        }
        Err(e) => {
            // Usage errors get selkie's hint like every other rejection, and exit 2.
            eprint!("{}", e.render());
            eprintln!("hint: {}", cli::usage_hint(&e));
            return ExitCode::from(2);
        }
    };
    let result = match &cli.command {
        Command::Setup(args) => commands::setup::run(args),
        Command::Plan(args) => commands::plan::run(args),
        Command::Firewall(args) => commands::firewall::run(args),
        Command::Down(args) => commands::down::run(args),
        Command::Status(args) => commands::status::run(args),
        Command::Confirm(args) => commands::confirm::run(args),
        Command::CloudInit(args) => commands::cloud_init::run(args),
        Command::Completions(args) => commands::completions::completions(args),
        Command::Man => commands::completions::man(),
        Command::Check(args) => commands::check::run(args),
        Command::Token(args) => commands::token::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Wrapped at spaces to the terminal, when standard error is one.
            let width = wrap::stderr_width();
            eprintln!("{}", wrap::wrap(&format!("error: {e}"), width, "       "));
            if let Some(hint) = e.hint() {
                eprintln!("{}", wrap::wrap(&format!("hint: {hint}"), width, "      "));
            }
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}
