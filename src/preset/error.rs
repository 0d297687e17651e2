//! Why a preset file is refused.

/// A preset file that does not parse, or whose services do not fit together.
#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    /// The file is not a preset: TOML or a field is wrong.
    #[error("preset {preset} is not valid: {reason}")]
    NotValid { preset: String, reason: String },
    /// The file parses, but a name, a path or a service is refused.
    #[error("preset {preset}: {problem}")]
    Refused {
        preset: String,
        problem: PresetProblem,
    },
}

/// What is wrong inside a preset that parses.
#[derive(Debug, thiserror::Error)]
pub enum PresetProblem {
    #[error("`{0}` is not an interface name")]
    Interface(String),
    #[error("`{0}` is not a plain path prefix such as /lk-ws")]
    PathPrefix(String),
    #[error("`{0}` is not a service name (lower-case letters, digits and hyphens)")]
    ServiceName(String),
    #[error("`{0}` is not a plain path such as /v1")]
    Route(String),
    #[error("the service name `{0}` is used twice or reserved")]
    NameTaken(String),
    #[error("service `{0}` needs an image or an image_hint")]
    NoImage(String),
    #[error("service `{service}`: `{path}` is not a config file path such as garage/garage.toml")]
    FilePath { service: String, path: String },
    #[error("`{0}` is not a plain host name label")]
    Subdomain(String),
    #[error("service `{service}`: range {start}-{end} ends before it starts")]
    BackwardsRange {
        service: String,
        start: u16,
        end: u16,
    },
    #[error("service `{service}`: web port {port} needs a route")]
    WebPortWithoutRoute { service: String, port: u16 },
    #[error("service `{service}` depends on unknown `{dependency}`")]
    UnknownDependency { service: String, dependency: String },
}

impl PresetError {
    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        Some(
            match self {
                PresetError::NotValid { .. } => "compare it with the presets in the presets/ folder",
                PresetError::Refused { .. } => {
                    "fix the preset file; each service needs a unique name, ports need routes when exposed as web"
                }
            }
            .into(),
        )
    }
}
