//! Presets: which stack to run, as data. LiveKit and the reverse proxy are built into the core; a
//! preset adds the application services around them and tunes the defaults.

mod check;
mod error;
mod schema;

use serde::Deserialize;

use crate::answers::ProxyMode;
use crate::error::Error;

pub use error::{PresetError, PresetProblem};
pub use schema::{
    AppFile, AppPort, AppService, Defaults, Expose, LimitDefaults, LivekitOptions, NetworkKind,
    RoomDefaults, SecretSpec, VpnOptions, WebOptions,
};

/// The presets shipped inside the binary, in the order they are offered.
const EMBEDDED: &[(&str, &str)] = &[
    ("livekit", include_str!("../../presets/livekit.toml")),
    ("reflector", include_str!("../../presets/reflector.toml")),
    ("xr-hub", include_str!("../../presets/xr-hub.toml")),
    ("hearth", include_str!("../../presets/hearth.toml")),
    ("private", include_str!("../../presets/private.toml")),
];

/// The default preset's name.
pub const DEFAULT: &str = "livekit";

/// A whole preset file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub name: String,
    /// One line for menus and help.
    pub description: String,
    /// The seed document this preset reproduces, if any.
    #[serde(default)]
    pub seed: Option<String>,
    /// Proxy modes this stack works with; all of them when empty.
    #[serde(default)]
    pub proxies: Vec<ProxyMode>,
    pub defaults: Defaults,
    #[serde(default)]
    pub web: WebOptions,
    #[serde(default)]
    pub livekit: LivekitOptions,
    #[serde(default)]
    pub vpn: Option<VpnOptions>,
    /// Secrets generated once and shared by the services' environments.
    #[serde(default, rename = "secret")]
    pub secrets: Vec<SecretSpec>,
    #[serde(default, rename = "service")]
    pub services: Vec<AppService>,
}

impl Preset {
    /// Parse and check a preset file's text.
    pub fn parse(source: &str, text: &str) -> Result<Preset, Error> {
        let preset: Preset = toml::from_str(text).map_err(|e| PresetError::NotValid {
            preset: source.to_string(),
            reason: e.to_string(),
        })?;
        preset.check().map_err(|problem| PresetError::Refused {
            preset: source.to_string(),
            problem,
        })?;
        Ok(preset)
    }

    /// Whether this stack works with a proxy mode.
    pub fn allows(&self, proxy: ProxyMode) -> bool {
        self.proxies.is_empty() || self.proxies.contains(&proxy)
    }

    /// Whether an app service owns the root of the main site.
    pub fn app_owns_root(&self) -> bool {
        self.root_web_port().is_some()
    }

    /// The app's web port that serves the main site's root (`route = "/"`), if one does.
    pub fn root_web_port(&self) -> Option<u16> {
        self.services
            .iter()
            .flat_map(|s| &s.ports)
            .find(|p| {
                p.expose == Expose::Web && p.route.as_deref() == Some("/") && p.subdomain.is_none()
            })
            .map(|p| p.port)
    }
}

/// Every embedded preset, parsed.
pub fn all() -> Vec<Preset> {
    EMBEDDED
        .iter()
        // The embedded presets are checked by the test suite, so a parse failure here is a build defect.
        .filter_map(|(name, text)| Preset::parse(name, text).ok())
        .collect()
}

/// The names of every embedded preset.
pub fn names() -> Vec<&'static str> {
    EMBEDDED.iter().map(|(n, _)| *n).collect()
}

/// Find an embedded preset by name.
pub fn find(name: &str) -> Result<Preset, Error> {
    let wanted = name.trim().to_ascii_lowercase();
    match EMBEDDED.iter().find(|(n, _)| *n == wanted) {
        Some((n, text)) => Preset::parse(n, text),
        None => Err(Error::invalid(
            format!("`{}` is not a known preset", name.trim()),
            format!("choose one of: {}", names().join(", ")),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_preset_parses_and_is_named_after_its_file() {
        for (file, text) in EMBEDDED {
            let preset = Preset::parse(file, text).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(&preset.name, file);
            assert!(
                preset.allows(preset.defaults.proxy),
                "{file}: default proxy not allowed"
            );
        }
        assert_eq!(all().len(), EMBEDDED.len());
    }

    #[test]
    fn unknown_preset_lists_the_choices() {
        let err = find("jitsi").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err
            .hint()
            .unwrap()
            .contains("livekit, reflector, xr-hub, hearth, private"));
    }
}
