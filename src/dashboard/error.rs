//! What can stop the dashboard.

/// Why `selkie status` could not show the live dashboard.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// The terminal could not be set up, drawn on, or given back.
    #[error("the terminal failed: {source}")]
    Terminal { source: std::io::Error },
}

impl DashboardError {
    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            DashboardError::Terminal { .. } => Some(
                "use `selkie status --once` where the terminal cannot show the dashboard".into(),
            ),
        }
    }
}
