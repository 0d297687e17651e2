//! What can stop a plan beyond a rejected answer: a preset whose services name something the plan
//! does not have.

/// A preset's service refers to a value this plan cannot give it.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A `{{placeholder}}` in a service's environment that this plan has no value for.
    #[error("preset {preset}: service `{service}` uses {{{{{placeholder}}}}} in {key}, which this plan does not have")]
    UnknownPlaceholder {
        preset: String,
        service: String,
        placeholder: String,
        key: String,
    },
    /// A `{{secret.NAME}}` naming a secret the preset does not declare.
    #[error("preset {preset}: `{service}` uses an undeclared secret `{secret}`")]
    UndeclaredSecret {
        preset: String,
        service: String,
        secret: String,
    },
}

impl PlanError {
    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        Some(
            match self {
                PlanError::UnknownPlaceholder { .. } => {
                    "choose a proxy mode that gives the stack a web site, or fix the preset"
                }
                PlanError::UndeclaredSecret { .. } => {
                    "declare it with [[secret]] name = \"...\" in the preset"
                }
            }
            .into(),
        )
    }
}
