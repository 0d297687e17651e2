//! Counts, ports, image references and e-mail addresses: the plain values an operator types,
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

/// The number typed, before its bounds are checked: text that is no number at all gets its own
/// message (`what` it should have been), apart from a number out of range.
fn whole_number<N: FromStr>(s: &str, what: &str, hint: impl Into<String>) -> Result<N, Error> {
    let input = s.trim();
    input
        .parse()
        .map_err(|_| Error::invalid(format!("`{input}` is not {what}"), hint))
}

/// A container image reference such as `livekit/livekit-server:v1.13.5`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImageRef(String);

impl ImageRef {
    /// The reference as Docker takes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the reference names a moving tag (`latest`, or no tag and no digest).
    pub fn is_floating(&self) -> bool {
        if self.0.contains('@') {
            return false;
        }
        let last = self.0.rsplit('/').next().unwrap_or(&self.0);
        match last.split_once(':') {
            None => true,
            Some((_, tag)) => tag == "latest",
        }
    }
}

impl FromStr for ImageRef {
    type Err = Error;
    fn from_str(raw: &str) -> Result<Self, Error> {
        let input = raw.trim();
        let ok_char = |c: char| c.is_ascii_alphanumeric() || "._-/:@".contains(c);
        let repo = input.split(['@', ':']).next().unwrap_or_default();
        if input.is_empty()
            || !input.chars().all(ok_char)
            || input.starts_with(['/', ':', '@', '-', '.'])
            || input.ends_with(['/', ':', '@'])
            || input.contains("//")
            || repo.chars().any(|c| c.is_ascii_uppercase())
        {
            return Err(Error::invalid(
                format!("`{input}` is not a container image reference"),
                "enter a reference like registry.example.com/team/app:1.4.2 (lower-case repository, a tag or @sha256 digest)",
            ));
        }
        Ok(ImageRef(input.to_string()))
    }
}

string_type!(ImageRef);

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
        let valid = input.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !local.chars().any(|c| c.is_whitespace() || c == '"')
                && domain.parse::<Hostname>().is_ok()
        });
        if valid {
            Ok(Email(input.to_string()))
        } else {
            Err(Error::invalid(
                format!("`{input}` is not an e-mail address"),
                "enter an address like ops@example.com (used only for certificate expiry notices)",
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
    fn images_and_emails_are_checked() {
        assert!(!"livekit/livekit-server:v1.13.5"
            .parse::<ImageRef>()
            .unwrap()
            .is_floating());
        assert!("caddy".parse::<ImageRef>().unwrap().is_floating());
        assert!("ghcr.io/a/b:latest"
            .parse::<ImageRef>()
            .unwrap()
            .is_floating());
        assert!("localhost:5000/app"
            .parse::<ImageRef>()
            .unwrap()
            .is_floating());
        rejects::<ImageRef>("My/App:1", "lower-case");
        rejects::<ImageRef>("app name", "reference like");
        rejects::<Email>("nobody", "ops@example.com");
        assert!("ops@example.com".parse::<Email>().is_ok());
    }
}
