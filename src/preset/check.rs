//! What a preset must satisfy beyond its shape: its names and paths reach file names, shell
//! scripts and proxy configs, so they are kept plain, and services must fit together.

use std::collections::BTreeSet;

use super::{AppService, Expose, Preset, PresetProblem};

/// Directories selkie itself renders into: a preset's config files go elsewhere.
const OWN_DIRS: &[&str] = &[
    "livekit", "caddy", "proxy", "env", "firewall", "sysctl", "backups", "logs", "applied",
];

// These strings reach file names, shell scripts and proxy configs: keep them plain.

/// A service name, a directory or a host name label: lower-case letters, digits and hyphens.
fn plain_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 40
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !n.starts_with('-')
}

/// An absolute URL path without `..` or characters a config would have to quote.
fn plain_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.contains("..")
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c))
}

impl Preset {
    /// Refuse a preset whose strings are not plain or whose services do not fit together.
    pub(super) fn check(&self) -> Result<(), PresetProblem> {
        self.check_vpn()?;
        self.check_livekit_path()?;
        let mut names = BTreeSet::new();
        // selkie's own parts (crate::role::Role) and the proxy's directory.
        for reserved in crate::role::Role::RESERVED.iter().chain(&["proxy"]) {
            names.insert(reserved.to_string());
        }
        for service in &self.services {
            check_service(service, &mut names)?;
        }
        for service in &self.services {
            if let Some(dep) = service.depends_on.iter().find(|d| !names.contains(*d)) {
                return Err(PresetProblem::UnknownDependency {
                    service: service.name.clone(),
                    dependency: dep.clone(),
                });
            }
        }
        Ok(())
    }

    fn check_vpn(&self) -> Result<(), PresetProblem> {
        let Some(vpn) = &self.vpn else {
            return Ok(());
        };
        let ok = !vpn.interface.is_empty()
            && vpn.interface.len() <= 15
            && vpn
                .interface
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !ok {
            return Err(PresetProblem::Interface(vpn.interface.clone()));
        }
        Ok(())
    }

    fn check_livekit_path(&self) -> Result<(), PresetProblem> {
        match &self.livekit.path {
            Some(path) if !plain_path(path) || path == "/" => {
                Err(PresetProblem::PathPrefix(path.clone()))
            }
            _ => Ok(()),
        }
    }
}

/// One service: its name (added to `names`, which must not hold it yet), routes, image, files
/// and ports.
fn check_service(service: &AppService, names: &mut BTreeSet<String>) -> Result<(), PresetProblem> {
    if !plain_name(&service.name) {
        return Err(PresetProblem::ServiceName(service.name.clone()));
    }
    if let Some(route) = service
        .ports
        .iter()
        .flat_map(|p| p.route.as_deref().into_iter().chain(p.health.as_deref()))
        .find(|r| !plain_path(r))
    {
        return Err(PresetProblem::Route(route.to_string()));
    }
    if !names.insert(service.name.clone()) {
        return Err(PresetProblem::NameTaken(service.name.clone()));
    }
    if service.image.is_none() && service.image_hint.is_none() {
        return Err(PresetProblem::NoImage(service.name.clone()));
    }
    check_files(service)?;
    if let Some(sub) = service.ports.iter().find_map(|p| p.subdomain.as_deref()) {
        if !plain_name(sub) {
            return Err(PresetProblem::Subdomain(sub.to_string()));
        }
    }
    check_ports(service)
}

/// Config files go to `DIR/NAME` in a directory of the service's own.
fn check_files(service: &AppService) -> Result<(), PresetProblem> {
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
            return Err(PresetProblem::FilePath {
                service: service.name.clone(),
                path: file.path.clone(),
            });
        }
    }
    Ok(())
}

/// Ranges run forwards, and a web port says where the proxy routes it.
fn check_ports(service: &AppService) -> Result<(), PresetProblem> {
    for port in &service.ports {
        if let Some(end) = port.end.filter(|end| *end < port.port) {
            return Err(PresetProblem::BackwardsRange {
                service: service.name.clone(),
                start: port.port,
                end,
            });
        }
        if port.expose == Expose::Web && port.route.is_none() {
            return Err(PresetProblem::WebPortWithoutRoute {
                service: service.name.clone(),
                port: port.port,
            });
        }
    }
    Ok(())
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
