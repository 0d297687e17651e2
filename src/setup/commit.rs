//! Commit: write what `prepare` computed into the deployment directory, under its lock.

use std::path::Path;

use super::Prepared;
use crate::answers::Answers;
use crate::error::Result;
use crate::plan::Plan;
use crate::render::RenderedFile;
use crate::secrets::Secrets;
use crate::state::{self, Deployment, FileAction, Report};

/// A setup written to disk: its plan, answers and secrets, and what the write did to each file;
/// for the summary and for tests.
pub struct Committed {
    pub plan: Plan,
    pub answers: Answers,
    pub secrets: Secrets,
    pub report: Report,
    pub resumed: bool,
    /// What `--resume` changed beyond the flags (a preset switch resets its defaults).
    pub notes: Vec<String>,
    /// Held until the run ends: no second selkie run works on this directory meanwhile.
    pub lock: state::Lock,
}

/// Write what `prepare` computed. `keep` names hand-edited files to leave exactly as they are
/// (not rewritten, and still recorded as edited); `force` replaces every other edited file.
pub fn commit(dir: &Path, prepared: Prepared, force: bool, keep: &[String]) -> Result<Committed> {
    let Prepared {
        plan,
        answers,
        secrets,
        files,
        resumed,
        notes,
    } = prepared;
    let deployment = Deployment::new(dir);
    let written: Vec<RenderedFile> = files
        .into_iter()
        .filter(|f| !keep.contains(&f.path))
        .collect();
    // Usually held since the run began; a new directory is created and locked only now, so
    // invalid input creates nothing. Another run may have written a deployment meanwhile.
    let lock = state::lock(dir)?;
    if !resumed && deployment.load_answers()?.is_some() {
        super::check_mode(dir, true, false, false)?;
    }
    let mut report = deployment.write(&answers, &secrets, &written, force)?;
    // A kept file is left out of the write, which state reports as "no longer used".
    for (path, action) in &mut report.files {
        if keep.contains(path) && *action == FileAction::LeftEdited {
            *action = FileAction::KeptEdit;
        }
    }
    Ok(Committed {
        plan,
        answers,
        secrets,
        report,
        resumed,
        notes,
        lock,
    })
}
