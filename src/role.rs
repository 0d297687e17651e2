//! Who a port, a route, a container or a firewall rule belongs to: selkie's own parts by type,
//! a preset's services by their name. The written name (`sshd`, `livekit`, `caddy`) is what
//! tables, JSON, container names and file comments show, unchanged.

use std::fmt;

use serde::{Serialize, Serializer};

/// The part of the deployment something belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The host's SSH daemon: not a container; every firewall opens it first.
    Ssh,
    /// The LiveKit server container.
    Livekit,
    /// selkie's proxy container (Caddy, or Caddy with the layer-4 module).
    Proxy,
    /// The operator's own proxy (nginx, Traefik): not a container, only ports to open.
    ExternalProxy,
    /// A service of the preset, by its name (`pocketbase`, `garage`).
    App(String),
}

impl Role {
    /// The names selkie's own parts take, which no preset service may use.
    pub const RESERVED: &'static [&'static str] = &["sshd", "livekit", "caddy", "your-proxy"];

    /// The role a written name stands for: one of selkie's own parts, or a preset's service.
    pub fn from_name(name: &str) -> Role {
        match name {
            "sshd" => Role::Ssh,
            "livekit" => Role::Livekit,
            "caddy" => Role::Proxy,
            "your-proxy" => Role::ExternalProxy,
            other => Role::App(other.to_string()),
        }
    }

    /// The written name: `sshd`, `livekit`, `caddy`, `your-proxy`, or the preset service's name.
    pub fn as_str(&self) -> &str {
        match self {
            Role::Ssh => "sshd",
            Role::Livekit => "livekit",
            Role::Proxy => "caddy",
            Role::ExternalProxy => "your-proxy",
            Role::App(name) => name,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in Role::RESERVED.iter().chain(&["pocketbase", "garage"]) {
            let role = Role::from_name(name);
            assert_eq!(role.as_str(), *name);
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{name}\""));
        }
        assert_eq!(Role::from_name("caddy"), Role::Proxy);
        assert_eq!(Role::from_name("redis"), Role::App("redis".into()));
    }
}
