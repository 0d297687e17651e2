//! The subcommands, as thin glue: parse the flags, call the setup pipeline or a view, report.
//! The work lives below: `setup/`, `report/`, `dashboard/`, `docker/`.

pub mod check;
pub mod cloud_init;
pub mod completions;
pub mod confirm;
pub mod down;
mod error;
pub mod firewall;
pub mod plan;
pub mod setup;
pub mod status;
pub mod token;

pub use error::CommandError;

use std::path::{Path, PathBuf};

use crate::answers::Answers;
use crate::cli::DirArg;
use crate::error::{Error, Result};
use crate::host::{self, HostFacts};
use crate::plan::Plan;
use crate::preset;
use crate::state::{self, Deployment};

/// The deployment directory for this run.
pub fn resolve_dir(arg: &DirArg) -> PathBuf {
    arg.dir.clone().unwrap_or_else(state::default_dir)
}

/// Name the deployment directory at the end of a run; on stderr, so JSON on stdout stays clean.
pub fn report_dir<T>(dir: &Path, result: Result<T>) -> Result<T> {
    eprintln!("Deployment directory: {}", dir.display());
    result
}

/// Host facts from the real system, the public address from the cloud's metadata service where
/// no interface holds one.
pub fn detect_host() -> HostFacts {
    host::detect_with_metadata(&host::Sources::system())
}

/// The saved answers, or an error telling the operator to run setup first.
pub fn saved_answers(dir: &Path) -> Result<Answers> {
    Deployment::new(dir).load_answers()?.ok_or_else(|| {
        Error::invalid(
            format!(
                "no deployment in {} (there is no selkie.toml)",
                dir.display()
            ),
            "run `selkie setup` first, or point --dir (or SELKIE_DIR) at the deployment directory",
        )
    })
}

pub use crate::setup::runtime;

/// The plan for saved (or changed) answers.
pub fn plan_for(answers: &Answers, host: &HostFacts) -> Result<Plan> {
    let preset = preset::find(&answers.preset)?;
    crate::plan::build(answers, &preset, host)
}
