//! Host names, checked the way public DNS and certificate authorities will check them, with a
//! hint that says what to type instead (a URL, an address or a port is a common slip).

use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A DNS host name per RFC 1123, lower-cased, with at least two labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hostname(String);

impl Hostname {
    /// The name as it goes into configs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `label.<this name>`, e.g. `lk.example.com`; valid whenever `label` is a valid label.
    pub fn subdomain(&self, label: &str) -> Result<Hostname, Error> {
        format!("{label}.{}", self.0).parse()
    }
}

impl FromStr for Hostname {
    type Err = Error;

    fn from_str(raw: &str) -> Result<Self, Error> {
        let input = raw.trim();
        let bad = |why: &str, hint: String| {
            Err(Error::invalid(
                format!("`{input}` is not a host name: {why}"),
                hint,
            ))
        };
        if input.is_empty() {
            return bad(
                "it is empty",
                "enter the domain that will point at this server, e.g. meet.example.com".into(),
            );
        }
        if let Some((scheme, rest)) = input.split_once("://") {
            let host = rest.split(['/', ':']).next().unwrap_or_default();
            return bad(
                &format!("`{scheme}://` is part of a URL, not of a name"),
                format!("enter just the host name, e.g. {host}"),
            );
        }
        if input.parse::<IpAddr>().is_ok()
            || input
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok()
        {
            return bad(
                "it is an IP address",
                format!("use --ip {input} for a server reached by its address"),
            );
        }
        if let Some((host, port)) = input.rsplit_once(':') {
            return bad(
                &format!("`:{port}` is a port"),
                format!("enter the name without the port, e.g. {host}; selkie chooses the ports"),
            );
        }
        if input.contains('/') {
            let host = input.split('/').next().unwrap_or_default();
            return bad(
                "a path is not part of a name",
                format!("enter just the host name, e.g. {host}"),
            );
        }
        let name = input.trim_end_matches('.').to_ascii_lowercase();
        if name.len() > 253 {
            return bad(
                "it is longer than 253 characters",
                "use a shorter name".into(),
            );
        }
        let labels: Vec<&str> = name.split('.').collect();
        if labels.len() < 2 {
            return bad(
                "it has no dot, so no public DNS can resolve it",
                format!("enter a full domain such as {name}.example.com, or use --ip with the server's address"),
            );
        }
        for label in &labels {
            if label.is_empty() {
                return bad(
                    "it has an empty label (two dots in a row)",
                    "remove the extra dot".into(),
                );
            }
            if label.len() > 63 {
                return bad(
                    &format!("the label `{label}` is longer than 63 characters"),
                    "use shorter labels".into(),
                );
            }
            if let Some(c) = label
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
            {
                return bad(
                    &format!("`{c}` is not allowed (letters, digits and hyphens only)"),
                    "for an internationalised name, enter its xn-- (punycode) form".into(),
                );
            }
            if label.starts_with('-') || label.ends_with('-') {
                return bad(
                    &format!("the label `{label}` starts or ends with a hyphen"),
                    "remove the hyphen at the edge of the label".into(),
                );
            }
        }
        if labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
        {
            return bad(
                "its last label is all digits",
                "enter a domain name, or use --ip for an address".into(),
            );
        }
        Ok(Hostname(name))
    }
}

string_type!(Hostname);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::rejects;

    #[test]
    fn hostnames_follow_rfc_1123_and_explain_rejections() {
        assert_eq!(
            "Meet.Example.COM.".parse::<Hostname>().unwrap().as_str(),
            "meet.example.com"
        );
        assert_eq!(
            "xn--bcher-kva.example"
                .parse::<Hostname>()
                .unwrap()
                .as_str(),
            "xn--bcher-kva.example"
        );
        rejects::<Hostname>("https://x.com/", "x.com");
        rejects::<Hostname>("x.com:443", "without the port");
        rejects::<Hostname>("203.0.113.7", "--ip 203.0.113.7");
        rejects::<Hostname>("2001:db8::1", "--ip");
        rejects::<Hostname>("localhost", "full domain");
        rejects::<Hostname>("-bad.example.com", "hyphen");
        rejects::<Hostname>("a..b", "extra dot");
        rejects::<Hostname>("under_score.example", "punycode");
        rejects::<Hostname>("example.com/path", "example.com");
        rejects::<Hostname>(&format!("{}.com", "a".repeat(64)), "shorter");
        rejects::<Hostname>("", "meet.example.com");
    }
}
