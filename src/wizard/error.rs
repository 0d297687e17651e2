//! What can stop the wizard, each phrased for the operator with what to do about it
//! ([`WizardError::hint`]).

/// An error of the interactive setup.
#[derive(Debug, thiserror::Error)]
pub enum WizardError {
    /// The terminal stopped answering (not a cancel: that keeps the draft).
    #[error("the terminal failed: {why}")]
    Terminal { why: String },

    /// The operator stopped the run; `hint` says how to continue.
    #[error("setup stopped at {step}; no deployment file was written")]
    Stopped { step: String, hint: String },

    /// The operator chose to stop at a file edited by hand.
    #[error("stopped at the edited file {path}; nothing was written")]
    StoppedAtEdit { path: String },

    /// A preflight check failed that blocks the setup.
    #[error("setup cannot go on: the checks marked as failed above block it")]
    Blocked,

    /// The draft could not be encoded.
    #[error("cannot encode the draft: {why}")]
    Draft { why: String },

    /// The run log could not be written.
    #[error("cannot write the run log: {why}")]
    RunLog { why: String },
}

impl WizardError {
    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            WizardError::Stopped { hint, .. } => Some(hint.clone()),
            WizardError::StoppedAtEdit { .. } => Some(
                "move your change into selkie.toml where possible, or run `selkie setup --resume` \
                 again and keep or replace the file"
                    .into(),
            ),
            WizardError::Blocked => Some(
                "fix what each of them says, then run `selkie setup` again (nothing was written)"
                    .into(),
            ),
            WizardError::Terminal { .. }
            | WizardError::Draft { .. }
            | WizardError::RunLog { .. } => None,
        }
    }
}
