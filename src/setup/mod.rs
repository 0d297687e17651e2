//! The one setup pipeline, driven alike by the flags (`commands::setup`) and by the wizard:
//!
//! 1. [`answers`]: the flags merged into answers (fresh, a best guess, or `--resume`);
//! 2. [`prepare`]: plan, secrets and every file to write, writing nothing;
//! 3. [`review`]: what the prepared files change on disk, for the operator to see;
//! 4. [`commit`]: the write, under the deployment's lock;
//! 5. [`apply`]: the containers through Docker, waited on until healthy.
//!
//! Before them, [`survey`] gathers what the preflight checklist judges.

pub mod answers;
mod apply;
mod commit;
mod error;
mod prepare;
pub mod review;
mod survey;

use std::path::Path;
use std::time::Duration;

pub use answers::Flags;
pub use apply::{apply, host_changes, install_docker_if_missing, Converged};
pub use commit::{commit, Committed};
pub use error::SetupError;
pub use prepare::{prepare, Prepared};
pub use survey::{survey, Survey};

use crate::docker::PullPolicy;
use crate::error::{Error, Result};
use crate::host::HostFacts;
use crate::state::Deployment;

/// How this run goes, as the operator chose it (from flags or the wizard).
#[derive(Debug, Clone)]
pub struct Options {
    /// Start from the saved answers.
    pub resume: bool,
    /// Replace files edited by hand (each is backed up first).
    pub force: bool,
    /// Make new secrets when a deployment's secrets.toml is missing.
    pub new_secrets: bool,
    /// Write the files but start no container.
    pub no_start: bool,
    /// Install Docker from the distribution's packages when it is missing.
    pub install_docker: bool,
    pub pull: PullPolicy,
    /// How long each service may take to become healthy.
    pub health_timeout: Duration,
    /// How long an applied firewall waits for `selkie confirm`; zero keeps it without asking.
    pub confirm_within: Duration,
}

/// `--resume` without a deployment, or a new setup over one: refused before anything else.
/// `interactive` picks the hint: the wizard asks for the address, scripts must pass it.
pub fn check_mode(dir: &Path, saved: bool, resume: bool, interactive: bool) -> Result<()> {
    match (saved, resume) {
        (false, true) => Err(Error::invalid(
            format!("there is nothing to resume in {} (no selkie.toml)", dir.display()),
            if interactive {
                "run `selkie setup` first, or point --dir at the deployment"
            } else {
                "run `selkie setup --non-interactive --domain NAME` (or --ip ADDR) first, or point --dir at the deployment"
            },
        )),
        (true, false) => Err(Error::invalid(
            format!("{} already holds a deployment", dir.display()),
            "change it with `selkie setup --resume` (saved answers and secrets are kept), or choose another --dir",
        )),
        _ => Ok(()),
    }
}

/// A deployment whose secrets.toml is gone is not silently given new keys.
pub fn check_secrets(dir: &Path, new_secrets: bool) -> Result<()> {
    if !new_secrets && Deployment::new(dir).secrets_missing()? {
        return Err(Error::invalid(
            format!(
                "{} has saved answers but no secrets.toml: new secrets would change the API key every client uses",
                dir.display()
            ),
            "restore secrets.toml from the newest folder under backups/ (it is kept there whenever it changes), \
             or run again with --new-secrets to generate new ones",
        ));
    }
    Ok(())
}

/// Validate, plan and write, without asking or printing: the whole of `setup --non-interactive`.
pub fn from_flags(
    flags: &Flags,
    options: &Options,
    dir: &Path,
    host: &HostFacts,
) -> Result<Committed> {
    let saved = Deployment::new(dir).load_answers()?;
    check_mode(dir, saved.is_some(), options.resume, false)?;
    let (answers, preset, notes) = match &saved {
        Some(saved) => answers::resume(saved, flags)?,
        None => answers::fresh(flags, host)?,
    };
    let prepared = prepare(dir, answers, &preset, host, notes, options.resume)?;
    commit(dir, prepared, options.force, &[])
}

/// Whether a run changed anything on disk or in Docker, and so has something new for the media
/// check to prove (a check can take one ICE timeout; `selkie check` runs one on demand).
pub fn changed_anything(committed: &Committed, converged: Converged) -> bool {
    converged == Converged::Changed || committed.report.changed().next().is_some()
}

/// A runtime for the edges (Docker, probes); one thread is plenty for a handful of containers.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SetupError::Runtime(e).into())
}
