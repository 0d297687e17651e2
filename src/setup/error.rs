//! What stops the setup pipeline itself (the files and Docker have their own errors).

/// A setup that cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The async runtime for Docker and the probes could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),

    /// Services that did not become healthy in time (the healthy ones keep running).
    #[error("{} did not become healthy; the services that are healthy keep running", services.join(", "))]
    Unhealthy { services: Vec<String> },
}

impl SetupError {
    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            SetupError::Runtime(_) => None,
            SetupError::Unhealthy { .. } => Some(
                "fix the cause shown above (its log lines end the report), then run `selkie setup --resume`: \
                 only what is not running as planned is touched"
                    .into(),
            ),
        }
    }
}
