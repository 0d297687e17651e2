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
        let refuse = |(why, hint): Refusal| {
            Error::invalid(format!("`{input}` is not a host name: {why}"), hint)
        };
        if let Some(refusal) = slip(input) {
            return Err(refuse(refusal));
        }
        let name = input.trim_end_matches('.').to_ascii_lowercase();
        if let Some(refusal) = broken_rule(&name) {
            return Err(refuse(refusal));
        }
        Ok(Hostname(name))
    }
}

/// Why a name is refused, and what to type instead.
type Refusal = (String, String);

/// A common slip: nothing, a URL, an address, a port or a path where a name belongs.
fn slip(input: &str) -> Option<Refusal> {
    let refusal = |why: &str, hint: String| Some((why.to_string(), hint));
    if input.is_empty() {
        return refusal(
            "it is empty",
            "enter the domain that will point at this server, e.g. meet.example.com".into(),
        );
    }
    if let Some((scheme, rest)) = input.split_once("://") {
        let host = rest.split(['/', ':']).next().unwrap_or_default();
        return refusal(
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
        return refusal(
            "it is an IP address",
            format!("use --ip {input} for a server reached by its address"),
        );
    }
    if let Some((host, port)) = input.rsplit_once(':') {
        return refusal(
            &format!("`:{port}` is a port"),
            format!("enter the name without the port, e.g. {host}; selkie chooses the ports"),
        );
    }
    if input.contains('/') {
        let host = input.split('/').next().unwrap_or_default();
        return refusal(
            "a path is not part of a name",
            format!("enter just the host name, e.g. {host}"),
        );
    }
    None
}

/// A rule of RFC 1123 or of public DNS the (lower-cased, dot-trimmed) name breaks.
fn broken_rule(name: &str) -> Option<Refusal> {
    let refusal = |why: &str, hint: &str| Some((why.to_string(), hint.to_string()));
    if name.len() > 253 {
        return refusal("it is longer than 253 characters", "use a shorter name");
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return refusal(
            "it has no dot, so no public DNS can resolve it",
            &format!("enter a full domain such as {name}.example.com, or use --ip with the server's address"),
        );
    }
    if let Some(refusal) = labels.iter().find_map(|label| broken_label(label)) {
        return Some(refusal);
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return refusal(
            "its last label is all digits",
            "enter a domain name, or use --ip for an address",
        );
    }
    None
}

/// A rule one label breaks: empty, too long, a character outside LDH, a hyphen at an edge.
fn broken_label(label: &str) -> Option<Refusal> {
    let refusal = |why: &str, hint: &str| Some((why.to_string(), hint.to_string()));
    if label.is_empty() {
        return refusal(
            "it has an empty label (two dots in a row)",
            "remove the extra dot",
        );
    }
    if label.len() > 63 {
        return refusal(
            &format!("the label `{label}` is longer than 63 characters"),
            "use shorter labels",
        );
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return refusal(
            &format!("`{c}` is not allowed (letters, digits and hyphens only)"),
            "for an internationalised name, enter its xn-- (punycode) form",
        );
    }
    if label.starts_with('-') || label.ends_with('-') {
        return refusal(
            &format!("the label `{label}` starts or ends with a hyphen"),
            "remove the hyphen at the edge of the label",
        );
    }
    None
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
