//! Container image references, checked against the OCI distribution grammar before any reaches
//! a compose file or the Docker API.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

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
        match oci_reference(input) {
            Ok(()) => Ok(ImageRef(input.to_string())),
            Err(why) => Err(Error::invalid(
                format!("`{}` is not a container image reference: {why}", input.escape_debug()),
                "enter a reference like registry.example.com/team/app:1.4.2 (lower-case repository, a tag or @sha256 digest)",
            )),
        }
    }
}

/// A reference per the OCI distribution grammar (`distribution/reference`):
/// `[domain[:port]/]path[:tag][@algorithm:hex]`, with lower-case path components separated by
/// `.`, `_`, `__` or dashes, a tag of at most 128 word characters, dots and dashes, and a digest
/// of at least 32 hex digits (exactly 64 for sha256).
fn oci_reference(input: &str) -> Result<(), String> {
    if input.is_empty() {
        return Err("it is empty".into());
    }
    if input.len() > 512 {
        return Err("it is longer than 512 characters".into());
    }
    let (rest, digest) = match input.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (input, None),
    };
    if let Some(d) = digest {
        oci_digest(d)?;
    }
    // A tag is the part after the last `:` that comes after the last `/` (a `:` before that is
    // a registry port).
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        let mut chars = tag.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !first_ok
            || tag.len() > 128
            || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(format!(
                "the tag `{tag}` must be letters, digits, `_`, `.` or `-` (at most 128, not starting with `.` or `-`)"
            ));
        }
    }
    if name.len() > 255 {
        return Err("the name is longer than 255 characters".into());
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    let first = parts[0];
    if parts.len() > 1
        && (first.contains(['.', ':'])
            || first == "localhost"
            || first.chars().any(|c| c.is_ascii_uppercase()))
    {
        oci_domain(first)?;
        parts.remove(0);
    }
    for part in parts {
        oci_path_component(part)?;
    }
    Ok(())
}

fn oci_domain(domain: &str) -> Result<(), String> {
    let (host, port) = match domain.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || domain.starts_with('[') => (h, Some(p)),
        _ => (domain, None),
    };
    if let Some(p) = port {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) || p.parse::<u16>().is_err() {
            return Err(format!("`{p}` is not a registry port"));
        }
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6
            .parse::<std::net::Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| format!("`{host}` is not an IPv6 address"));
    }
    let ok = !host.is_empty()
        && host.split('.').all(|c| {
            !c.is_empty()
                && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("`{host}` is not a registry host name"))
    }
}

fn oci_path_component(part: &str) -> Result<(), String> {
    let bad = || {
        Err(format!(
            "`{part}` is not a repository name component (lower-case letters and digits, joined by `.`, `_`, `__` or dashes)"
        ))
    };
    let bytes = part.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return bad();
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        // A separator: `.`, `_`, `__`, or one or more `-`, always between alphanumerics.
        let start = i;
        match bytes[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if i < bytes.len() && bytes[i] == b'_' {
                    i += 1;
                }
            }
            b'-' => {
                while i < bytes.len() && bytes[i] == b'-' {
                    i += 1;
                }
            }
            _ => return bad(),
        }
        if i == start || i >= bytes.len() || !alnum(bytes[i]) {
            return bad();
        }
    }
    Ok(())
}

fn oci_digest(digest: &str) -> Result<(), String> {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(format!(
            "the digest `{digest}` has no `algorithm:` part, e.g. sha256:<64 hex digits>"
        ));
    };
    let algorithm_ok = algorithm.split(['+', '.', '-', '_']).all(|c| {
        c.chars().next().is_some_and(|f| f.is_ascii_alphabetic())
            && c.chars().all(|ch| ch.is_ascii_alphanumeric())
    });
    let hex_ok = hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit());
    let length_ok = match algorithm {
        "sha256" => hex.len() == 64,
        "sha512" => hex.len() == 128,
        _ => true,
    };
    if algorithm_ok && hex_ok && length_ok {
        Ok(())
    } else {
        Err(format!(
            "the digest `{digest}` is not `sha256:` and 64 hex digits"
        ))
    }
}

string_type!(ImageRef);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::rejects;

    #[test]
    fn images_are_checked() {
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
    }

    #[test]
    fn image_references_follow_the_distribution_grammar() {
        for good in [
            "caddy",
            "caddy:2.10",
            "livekit/livekit-server:v1.13.5",
            "ghcr.io/team/app_x__y:1.0",
            "localhost:5000/app",
            "registry.example.com:443/a/b/c:TAG_1.x-y",
            "a-b--c/d.e",
            "[::1]:5000/app:1",
            &format!("app@sha256:{}", "a".repeat(64)),
            &format!("app:1@sha256:{}", "0".repeat(64)),
        ] {
            assert!(good.parse::<ImageRef>().is_ok(), "{good}");
        }
        for bad in [
            "foo@sha256:zzz",
            "foo:bar:baz",
            "a/../b:1",
            "a/./b",
            "app:",
            "app:.x",
            "-app",
            "app-",
            "a__-b",
            "a___b",
            "a/b:x y",
            &format!("app:{}", "t".repeat(129)),
            &format!("app@sha256:{}", "a".repeat(63)),
            "app@md5",
            "a@b@c",
            "host:99999/app",
            "My/App:1",
            "",
        ] {
            rejects::<ImageRef>(bad, "reference like");
        }
    }
}
