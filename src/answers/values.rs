//! Counts, ports and e-mail addresses: the plain values an operator types,
//! each with the bounds selkie can size and render for.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Hostname;
use crate::error::Error;

/// The expected peak number of people in calls at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Participants(u32);

impl Participants {
    /// The largest count selkie sizes a single server for.
    pub const MAX: u32 = 10_000;

    /// The count.
    pub fn get(&self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Participants {
    type Error = Error;
    fn try_from(n: u32) -> Result<Self, Error> {
        if (1..=Self::MAX).contains(&n) {
            Ok(Participants(n))
        } else {
            Err(Error::invalid(
                format!("{n} participants is out of range"),
                format!(
                    "enter the expected peak number of people in calls at once, from 1 to {}",
                    Self::MAX
                ),
            ))
        }
    }
}

impl FromStr for Participants {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let hint = format!("enter a whole number from 1 to {}", Self::MAX);
        whole_number::<u32>(s, "a number of participants", hint)?.try_into()
    }
}

impl From<Participants> for u32 {
    fn from(p: Participants) -> u32 {
        p.0
    }
}

/// The first UDP port of LiveKit's media range (or the single mux port): 1024 to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct UdpStart(u16);

impl UdpStart {
    /// The port.
    pub fn get(&self) -> u16 {
        self.0
    }
}

impl TryFrom<u16> for UdpStart {
    type Error = Error;
    fn try_from(n: u16) -> Result<Self, Error> {
        if n >= 1024 {
            Ok(UdpStart(n))
        } else {
            Err(Error::invalid(
                format!(
                    "UDP port {n} is below 1024 (those ports are reserved for system services)"
                ),
                "enter a start port from 1024 to 65535, e.g. 50000",
            ))
        }
    }
}

impl FromStr for UdpStart {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let hint = "enter a start port from 1024 to 65535, e.g. 50000";
        whole_number::<u16>(s, "a port number", hint)?.try_into()
    }
}

impl From<UdpStart> for u16 {
    fn from(p: UdpStart) -> u16 {
        p.0
    }
}

/// A port sshd listens on: 1 to 65535 (port 0 would leave SSH out of every firewall).
pub fn ssh_port(text: &str) -> Result<u16, Error> {
    let hint = "give the port sshd listens on, from 1 to 65535, e.g. --ssh-port 22";
    check_ssh_port(whole_number::<u16>(text, "a port number", hint)?)
}

/// The bound of an SSH port, for flags and `selkie.toml` alike.
pub fn check_ssh_port(port: u16) -> Result<u16, Error> {
    if port == 0 {
        return Err(Error::invalid(
            "SSH port 0 is not a port sshd can listen on",
            "give the port sshd listens on, from 1 to 65535, e.g. --ssh-port 22 (or ports = [22] under [ssh] in selkie.toml)",
        ));
    }
    Ok(port)
}

/// `ssh.ports` in `selkie.toml`, each checked by the flag's own rule.
pub(super) fn de_ssh_ports<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u16>, D::Error> {
    let ports = Vec::<u16>::deserialize(d)?;
    for &p in &ports {
        check_ssh_port(p).map_err(serde::de::Error::custom)?;
    }
    Ok(ports)
}

/// The number typed, before its bounds are checked: text that is no number at all gets its own
/// message (`what` it should have been), apart from a number out of range.
fn whole_number<N: FromStr>(s: &str, what: &str, hint: impl Into<String>) -> Result<N, Error> {
    let input = s.trim();
    input
        .parse()
        .map_err(|_| Error::invalid(format!("`{input}` is not {what}"), hint))
}

/// An e-mail address for certificate expiry notices; checked for shape only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = Error;
    fn from_str(raw: &str) -> Result<Self, Error> {
        let input = raw.trim();
        // The local part is a dot-atom without the characters a Caddyfile or a shell would
        // read as syntax (`#` comments, quotes and backticks, `{$VAR}` expansion, `\`), so the
        // address can be written unquoted anywhere and means itself.
        let local_ok = |local: &str| {
            !local.is_empty()
                && local.len() <= 64
                && !local.starts_with('.')
                && !local.ends_with('.')
                && !local.contains("..")
                && local
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".!%&*+=?^_|~-".contains(c))
        };
        let valid = input.len() <= 254
            && input.rsplit_once('@').is_some_and(|(local, domain)| {
                local_ok(local) && domain.parse::<Hostname>().is_ok()
            });
        if valid {
            Ok(Email(input.to_string()))
        } else {
            Err(Error::invalid(
                format!("`{}` is not an e-mail address selkie can use", input.escape_debug()),
                "enter an address like ops@example.com: letters, digits and . + - _ before the @, a domain after it (used only for certificate expiry notices)",
            ))
        }
    }
}

string_type!(Email);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::rejects;

    #[test]
    fn participants_and_ports_have_bounds() {
        assert_eq!("50".parse::<Participants>().unwrap().get(), 50);
        rejects::<Participants>("0", "from 1 to 10000");
        rejects::<Participants>("10001", "from 1 to 10000");
        rejects::<Participants>("lots", "whole number");
        assert_eq!("1024".parse::<UdpStart>().unwrap().get(), 1024);
        rejects::<UdpStart>("1023", "1024 to 65535");
        rejects::<UdpStart>("65536", "1024 to 65535");
    }

    #[test]
    fn emails_are_checked() {
        rejects::<Email>("nobody", "ops@example.com");
        assert!("ops@example.com".parse::<Email>().is_ok());
        assert!("first.last+tag@mail.example.com".parse::<Email>().is_ok());
        for bad in [
            "#x@example.com",
            "`id`@example.com",
            "{$HOME}@example.com",
            "a b@example.com",
            "\"q\"@example.com",
            "a..b@example.com",
            ".a@example.com",
            "a@b@example.com",
            "a@localhost",
            "a\\b@example.com",
        ] {
            rejects::<Email>(bad, "ops@example.com");
        }
    }

    #[test]
    fn ssh_ports_refuse_zero_everywhere() {
        assert_eq!(ssh_port("2222").unwrap(), 2222);
        rejects_with(ssh_port("0"), "1 to 65535");
        rejects_with(ssh_port("-1"), "1 to 65535");
        rejects_with(ssh_port("65536"), "1 to 65535");
    }

    fn rejects_with(r: Result<u16, Error>, hint: &str) {
        let e = r.unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.hint().unwrap().contains(hint), "{:?}", e.hint());
    }
}
