//! `selkie down`: stop and remove the stack's containers; data volumes only when asked.

use std::io::{BufRead, IsTerminal, Write};

use crate::cli::DownArgs;
use crate::docker::{self, connect};
use crate::error::{Error, Result};

/// Run `selkie down`.
pub fn run(args: &DownArgs) -> Result<()> {
    let dir = super::resolve_dir(&args.dir);
    super::report_dir(&dir, take_down(args, &dir))
}

fn take_down(args: &DownArgs, dir: &std::path::Path) -> Result<()> {
    // First, and only on a directory that exists: a mistyped --dir creates nothing.
    let _lock = crate::state::lock_existing(dir)?;
    if args.volumes && !args.yes && std::io::stdin().is_terminal() {
        eprint!(
            "Remove the data volumes too (databases, certificates)? Their data is lost. [y/N] "
        );
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| Error::io("cannot read", "standard input", e))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing removed.");
            return Ok(());
        }
    }
    let removed = super::runtime()?.block_on(async {
        let docker = connect::connect()
            .await
            .map_err(connect::Unreachable::into_error)?;
        docker::down(&docker, dir, args.volumes).await
    })?;
    if removed.is_empty() {
        println!("Nothing to remove: no selkie containers are running.");
    }
    for r in &removed {
        println!("  removed {r}");
    }
    if !args.volumes {
        println!("Data volumes are kept; `selkie down --volumes` removes them.");
    }
    Ok(())
}
