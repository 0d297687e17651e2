//! The fixed choices (proxy mode, UDP mode, provider, host firewall): one macro gives each the
//! same parsing, listing and error, so a typo always lists the valid names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? } what = $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in the order the help lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used on the command line and in `selkie.toml`.
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                let wanted = s.trim().to_ascii_lowercase();
                $name::ALL
                    .iter()
                    .find(|v| v.as_str() == wanted)
                    .copied()
                    .ok_or_else(|| {
                        let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        Error::invalid(
                            format!("`{}` is not a known {}", s.trim(), $what),
                            format!("choose one of: {}", names.join(", ")),
                        )
                    })
            }
        }
    };
}

named_enum! {
    /// How traffic from browsers reaches the services.
    ProxyMode {
        /// Caddy terminates HTTPS (automatic certificates for a domain, `tls internal` for an IP).
        Caddy => "caddy",
        /// Caddy's layer-4 app routes TLS by SNI on 443 to the app, LiveKit and TURN.
        CaddyL4 => "caddy-l4",
        /// The operator's own nginx or Traefik; services listen on 127.0.0.1.
        External => "external",
        /// No proxy: services are reached directly (trusted networks only).
        None => "none",
    } what = "proxy mode"
}

named_enum! {
    /// How LiveKit receives WebRTC media over UDP.
    UdpMode {
        /// A range of ports, about two per participant.
        Range => "range",
        /// One port shared by every participant (`rtc.udp_port`).
        Mux => "mux",
    } what = "UDP mode"
}

named_enum! {
    /// Where the server runs, which decides the cloud firewall commands.
    Provider {
        DigitalOcean => "digitalocean",
        Aws => "aws",
        Hetzner => "hetzner",
        Gcp => "gcp",
        Azure => "azure",
        Oracle => "oracle",
        Linode => "linode",
        Vultr => "vultr",
        Scaleway => "scaleway",
        Ovh => "ovh",
        /// Bare metal, a home server, or a provider without a cloud firewall.
        None => "none",
    } what = "provider"
}

named_enum! {
    /// The firewall running on the server itself.
    HostFirewall {
        Ufw => "ufw",
        Firewalld => "firewalld",
        Nftables => "nftables",
        Iptables => "iptables",
    } what = "host firewall"
}

impl Provider {
    /// The name people use for the provider.
    pub fn title(&self) -> &'static str {
        match self {
            Provider::DigitalOcean => "DigitalOcean",
            Provider::Aws => "AWS",
            Provider::Hetzner => "Hetzner Cloud",
            Provider::Gcp => "Google Cloud",
            Provider::Azure => "Azure",
            Provider::Oracle => "Oracle Cloud",
            Provider::Linode => "Linode (Akamai)",
            Provider::Vultr => "Vultr",
            Provider::Scaleway => "Scaleway",
            Provider::Ovh => "OVHcloud",
            Provider::None => "no cloud firewall",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::rejects;

    #[test]
    fn enums_list_their_choices_on_a_typo() {
        assert_eq!("caddy-l4".parse::<ProxyMode>().unwrap(), ProxyMode::CaddyL4);
        rejects::<ProxyMode>("nginx", "caddy, caddy-l4, external, none");
        rejects::<Provider>("azzure", "azure");
    }
}
