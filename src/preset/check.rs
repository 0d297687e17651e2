//! What a preset must satisfy beyond its shape: its names and paths reach file names, shell
//! scripts and proxy configs, so they are kept plain, and services must fit together.

use super::{Expose, Preset};
use crate::error::Error;

/// Directories selkie itself renders into: a preset's config files go elsewhere.
const OWN_DIRS: &[&str] = &[
    "livekit", "caddy", "proxy", "env", "firewall", "sysctl", "backups", "logs", "applied",
];

impl Preset {
    /// Refuse a preset whose strings are not plain or whose services do not fit together.
    pub(super) fn check(&self, source: &str) -> Result<(), Error> {
        let fail = |message: String| {
            Error::Other {
            message: format!("preset {source}: {message}"),
            hint: Some("fix the preset file; each service needs a unique name, ports need routes when exposed as web".into()),
        }
        };
        // These strings reach file names, shell scripts and proxy configs: keep them plain.
        let plain_name = |n: &str| {
            !n.is_empty()
                && n.len() <= 40
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !n.starts_with('-')
        };
        let plain_path = |p: &str| {
            p.starts_with('/')
                && !p.contains("..")
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c))
        };
        if let Some(vpn) = &self.vpn {
            let ok = !vpn.interface.is_empty()
                && vpn.interface.len() <= 15
                && vpn
                    .interface
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !ok {
                return Err(fail(format!(
                    "`{}` is not an interface name",
                    vpn.interface
                )));
            }
        }
        if let Some(path) = &self.livekit.path {
            if !plain_path(path) || path == "/" {
                return Err(fail(format!(
                    "`{path}` is not a plain path prefix such as /lk-ws"
                )));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        // selkie's own parts (crate::role::Role) and the proxy's directory.
        for reserved in crate::role::Role::RESERVED.iter().chain(&["proxy"]) {
            names.insert(reserved.to_string());
        }
        for service in &self.services {
            if !plain_name(&service.name) {
                return Err(fail(format!(
                    "`{}` is not a service name (lower-case letters, digits and hyphens)",
                    service.name
                )));
            }
            if let Some(route) = service
                .ports
                .iter()
                .flat_map(|p| p.route.as_deref().into_iter().chain(p.health.as_deref()))
                .find(|r| !plain_path(r))
            {
                return Err(fail(format!("`{route}` is not a plain path such as /v1")));
            }
            if !names.insert(service.name.clone()) {
                return Err(fail(format!(
                    "the service name `{}` is used twice or reserved",
                    service.name
                )));
            }
            if service.image.is_none() && service.image_hint.is_none() {
                return Err(fail(format!(
                    "service `{}` needs an image or an image_hint",
                    service.name
                )));
            }
            for file in &service.files {
                let ok = file.path.split_once('/').is_some_and(|(dir, name)| {
                    plain_name(dir)
                        && !OWN_DIRS.contains(&dir)
                        && !name.is_empty()
                        && name.len() <= 64
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                        && !name.starts_with('.')
                });
                if !ok {
                    return Err(fail(format!(
                        "service `{}`: `{}` is not a config file path such as garage/garage.toml",
                        service.name, file.path
                    )));
                }
            }
            if let Some(sub) = service.ports.iter().find_map(|p| p.subdomain.as_deref()) {
                if !plain_name(sub) {
                    return Err(fail(format!("`{sub}` is not a plain host name label")));
                }
            }
            for port in &service.ports {
                if port.end.is_some_and(|end| end < port.port) {
                    return Err(fail(format!(
                        "service `{}`: range {}-{:?} ends before it starts",
                        service.name, port.port, port.end
                    )));
                }
                if port.expose == Expose::Web && port.route.is_none() {
                    return Err(fail(format!(
                        "service `{}`: web port {} needs a route",
                        service.name, port.port
                    )));
                }
            }
        }
        for service in &self.services {
            for dep in &service.depends_on {
                if !names.contains(dep) {
                    return Err(fail(format!(
                        "service `{}` depends on unknown `{dep}`",
                        service.name
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_strings_that_reach_scripts_and_paths_are_plain() {
        let base = "name = \"x\"\ndescription = \"x\"\n[defaults]\nproxy = \"caddy\"\nparticipants = 5\nudp = \"range\"\nudp_start = 50000\n";
        for (extra, why) in [
            ("[vpn]\ninterface = \"tun0; rm -rf /\"\n", "interface"),
            ("[livekit]\npath = \"/lk ws\"\n", "path prefix"),
            ("[[service]]\nname = \"../etc\"\npurpose = \"x\"\nimage = \"a/b:1\"\n", "service name"),
            ("[[service]]\nname = \"app\"\npurpose = \"x\"\nimage = \"a/b:1\"\nports = [{ port = 1, expose = \"web\", route = \"/a/../b\", purpose = \"x\" }]\n", "plain path"),
        ] {
            let err = Preset::parse("x", &format!("{base}{extra}")).unwrap_err();
            assert!(err.to_string().contains(why), "{err}");
        }
    }

    #[test]
    fn a_preset_with_a_duplicate_service_is_refused() {
        let text = r#"
            name = "x"
            description = "x"
            [defaults]
            proxy = "caddy"
            participants = 5
            udp = "range"
            udp_start = 50000
            [[service]]
            name = "livekit"
            purpose = "clash"
            image = "a/b:1"
        "#;
        let err = Preset::parse("x", text).unwrap_err();
        assert!(err.to_string().contains("used twice or reserved"), "{err}");
        // Every name of selkie's own parts is refused: a preset's `caddy` would pass for the proxy.
        for name in crate::role::Role::RESERVED {
            let text = text.replace("name = \"livekit\"", &format!("name = \"{name}\""));
            let err = Preset::parse("x", &text).unwrap_err();
            assert!(
                err.to_string().contains("used twice or reserved"),
                "{name}: {err}"
            );
        }
    }
}
