//! Prepare: plan, keep or make the secrets, and render every file, writing nothing.

use std::path::Path;

use crate::answers::Answers;
use crate::error::Result;
use crate::host::HostFacts;
use crate::plan::Plan;
use crate::preset::Preset;
use crate::render::{self, RenderedFile};
use crate::secrets::Secrets;
use crate::state::Deployment;

/// Everything a run will write, computed but not yet written: what the review shows.
pub struct Prepared {
    pub plan: Plan,
    pub answers: Answers,
    pub secrets: Secrets,
    pub files: Vec<RenderedFile>,
    pub resumed: bool,
    pub notes: Vec<String>,
}

/// Plan, keep or make the secrets, and render every file, writing nothing.
pub fn prepare(
    dir: &Path,
    answers: Answers,
    preset: &Preset,
    host: &HostFacts,
    notes: Vec<String>,
    resumed: bool,
) -> Result<Prepared> {
    let deployment = Deployment::new(dir);
    let plan = crate::plan::build(&answers, preset, host)?;
    let secrets = match deployment.load_secrets()? {
        Some(mut s) => {
            s.add_missing(&plan.secrets)?;
            s
        }
        None => Secrets::generate(&plan.secrets)?,
    };
    let files = render::all(&plan, &secrets)?;
    Ok(Prepared {
        plan,
        answers,
        secrets,
        files,
        resumed,
        notes,
    })
}
