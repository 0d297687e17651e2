//! Secrets: made once with the OS random source, kept across `--resume`, stored 0600, never printed.
//! Every value is checked when read; templates take them through `fill` (`{{secret.NAME}}` and the
//! SHA-256 hex forms), and a secret a template names but `secrets.toml` lacks is a `SecretsError`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::digest::sha256;
use crate::error::Error;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Length of generated secrets: 48 characters of base62 is about 285 bits.
pub const SECRET_LEN: usize = 48;

/// The shortest API secret LiveKit accepts.
pub const MIN_SECRET_LEN: usize = 32;

/// What can go wrong making or using a secret (never showing a value).
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The OS random source failed.
    #[error("the operating system's random source failed: {0}")]
    RandomSource(getrandom::Error),

    /// A template names a secret `secrets.toml` does not have.
    #[error("secrets.toml has no secret named `{name}`")]
    Missing { name: String },
}

impl SecretsError {
    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            SecretsError::RandomSource(_) => {
                "check that /dev/urandom is available, then run again".into()
            }
            SecretsError::Missing { .. } => {
                "run `selkie setup --resume` to generate missing secrets".into()
            }
        })
    }
}

/// The deployment's secrets, as saved in `secrets.toml`. Reading checks every value (length and
/// alphabet), so a value can never carry YAML, an env line or a template into a file.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawSecrets")]
pub struct Secrets {
    /// LiveKit API key: an identifier, shown to the operator.
    pub livekit_api_key: String,
    /// LiveKit API secret: signs access tokens; at least 32 characters.
    pub livekit_api_secret: String,
    /// Secrets a preset declares (database passwords and the like), by name.
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

/// `secrets.toml` as written, before its values are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecrets {
    livekit_api_key: String,
    livekit_api_secret: String,
    #[serde(default)]
    extra: BTreeMap<String, String>,
}

impl TryFrom<RawSecrets> for Secrets {
    type Error = String;
    fn try_from(raw: RawSecrets) -> Result<Self, String> {
        let s = Secrets {
            livekit_api_key: raw.livekit_api_key,
            livekit_api_secret: raw.livekit_api_secret,
            extra: raw.extra,
        };
        s.check()?;
        Ok(s)
    }
}

/// Letters and digits, plus the few marks in `extra` that survive URLs and env files unquoted.
fn plain(value: &str, marks: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || marks.contains(c))
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("livekit_api_key", &self.livekit_api_key)
            .field("livekit_api_secret", &mask(&self.livekit_api_secret))
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// `abcd…` with the rest hidden, for showing that a secret exists without showing it.
pub fn mask(secret: &str) -> String {
    let shown: String = secret.chars().take(4).collect();
    format!(
        "{shown}{}",
        "*".repeat(secret.chars().count().saturating_sub(4).min(12))
    )
}

/// `len` random characters from [A-Za-z0-9], drawn from the OS CSPRNG without modulo bias.
pub fn random_string(len: usize) -> Result<String, Error> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(SecretsError::RandomSource)?;
        // 248 is the largest multiple of 62 that fits a byte; larger bytes are discarded.
        for &b in buf.iter().filter(|&&b| b < 248) {
            if out.len() == len {
                break;
            }
            out.push(ALPHABET[usize::from(b % 62)] as char);
        }
    }
    Ok(out)
}

impl Secrets {
    /// Whether every value is one selkie can write safely, or what is wrong (never the value).
    pub fn check(&self) -> Result<(), String> {
        let key = &self.livekit_api_key;
        if !(3..=128).contains(&key.len()) || !plain(key, "") {
            return Err(
                "livekit_api_key must be 3 to 128 letters and digits (LiveKit's key files and tokens take nothing else)"
                    .into(),
            );
        }
        let secret = &self.livekit_api_secret;
        if secret.len() < MIN_SECRET_LEN || secret.len() > 512 || !plain(secret, "") {
            return Err(format!(
                "livekit_api_secret must be {MIN_SECRET_LEN} to 512 letters and digits (LiveKit refuses shorter secrets); it has {} characters{}",
                secret.chars().count(),
                if plain(secret, "") { "" } else { " and others than letters and digits" }
            ));
        }
        for (name, value) in &self.extra {
            if name.is_empty()
                || name.len() > 64
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(format!(
                    "the secret name `{}` is not lower-case letters, digits and `_`",
                    name.escape_debug()
                ));
            }
            if value.len() < 16 || value.len() > 512 || !plain(value, "-_.~") {
                return Err(format!(
                    "the secret `{name}` must be 16 to 512 letters, digits, `-`, `_`, `.` or `~`"
                ));
            }
        }
        Ok(())
    }

    /// `secrets.toml`'s text, through serde (a value is quoted by the encoder, never pasted).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }

    /// Fresh secrets for a new deployment.
    pub fn generate(extra_names: &[String]) -> Result<Secrets, Error> {
        let mut s = Secrets {
            livekit_api_key: format!("API{}", random_string(12)?),
            livekit_api_secret: random_string(SECRET_LEN)?,
            extra: BTreeMap::new(),
        };
        s.add_missing(extra_names)?;
        Ok(s)
    }

    /// Generate the named secrets that do not exist yet; existing ones are never changed.
    /// Returns whether anything was added.
    pub fn add_missing(&mut self, names: &[String]) -> Result<bool, Error> {
        let mut added = false;
        for name in names.iter().filter(|n| *n != "livekit_api_secret") {
            if !self.extra.contains_key(name) {
                self.extra.insert(name.clone(), random_string(SECRET_LEN)?);
                added = true;
            }
        }
        Ok(added)
    }

    /// The value of `{{secret.NAME}}`.
    pub fn get(&self, name: &str) -> Option<&str> {
        match name {
            "livekit_api_secret" => Some(&self.livekit_api_secret),
            other => self.extra.get(other).map(String::as_str),
        }
    }

    /// Fill `{{livekit_api_key}}`, `{{secret.NAME}}`, and `{{secret_hex.NAME}}` (64 hex digits) or
    /// `{{secret_hex24.NAME}}` (24) into a template. The hex forms are SHA-256 of the secret, for
    /// programs that want hexadecimal keys (Garage's RPC secret and S3 key): the secret is 48
    /// random letters and digits, so the digest carries its full 256 bits.
    pub fn fill(&self, template: &str) -> Result<String, Error> {
        let template = template.replace("{{livekit_api_key}}", &self.livekit_api_key);
        // One pass from left to right: a filled-in value is never scanned again, so no value
        // can expand into another template (or loop forever).
        let mut out = String::with_capacity(template.len());
        let mut rest = template.as_str();
        while let Some(open) = rest.find("{{secret") {
            let Some(len) = rest[open..].find("}}") else {
                break;
            };
            let inner = &rest[open + 2..open + len];
            let (name, hex_digits) = if let Some(n) = inner.strip_prefix("secret.") {
                (n, None)
            } else if let Some(n) = inner.strip_prefix("secret_hex24.") {
                (n, Some(24))
            } else if let Some(n) = inner.strip_prefix("secret_hex.") {
                (n, Some(64))
            } else {
                // Not a template of ours: kept as written.
                out.push_str(&rest[..open + len + 2]);
                rest = &rest[open + len + 2..];
                continue;
            };
            let value = self.get(name).ok_or_else(|| SecretsError::Missing {
                name: name.to_string(),
            })?;
            out.push_str(&rest[..open]);
            match hex_digits {
                None => out.push_str(value),
                Some(digits) => out.push_str(&sha256(value.as_bytes())[..digits]),
            }
            rest = &rest[open + len + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Every secret value, for checks that none leaks into a file meant to be readable.
    pub fn values(&self) -> Vec<&str> {
        let mut v = vec![self.livekit_api_secret.as_str()];
        v.extend(self.extra.values().map(String::as_str));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_long_random_and_distinct() {
        let a = Secrets::generate(&["postgres_password".into()]).unwrap();
        let b = Secrets::generate(&["postgres_password".into()]).unwrap();
        assert_eq!(a.livekit_api_secret.len(), SECRET_LEN);
        assert!(a.livekit_api_secret.len() >= 32);
        assert!(a
            .livekit_api_secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.livekit_api_secret, b.livekit_api_secret);
        assert_ne!(a.extra["postgres_password"], b.extra["postgres_password"]);
        assert!(a.livekit_api_key.starts_with("API"));
    }

    #[test]
    fn existing_secrets_are_kept_and_missing_ones_added() {
        let mut s = Secrets::generate(&[]).unwrap();
        let before = s.clone();
        assert!(s.add_missing(&["db".into()]).unwrap());
        assert_eq!(s.livekit_api_secret, before.livekit_api_secret);
        let db = s.extra["db"].clone();
        assert!(!s.add_missing(&["db".into()]).unwrap());
        assert_eq!(s.extra["db"], db);
    }

    #[test]
    fn templates_are_filled_and_debug_output_is_masked() {
        let s = Secrets::generate(&["db".into()]).unwrap();
        let filled = s
            .fill("postgres://u:{{secret.db}}@h/{{livekit_api_key}}")
            .unwrap();
        assert_eq!(
            filled,
            format!("postgres://u:{}@h/{}", s.extra["db"], s.livekit_api_key)
        );
        assert!(s.fill("{{secret.nope}}").is_err());
        let debug = format!("{s:?}");
        assert!(!debug.contains(&s.livekit_api_secret));
        assert!(!debug.contains(&s.extra["db"]));
        assert_eq!(mask("abcdefgh"), "abcd****");
    }

    #[test]
    fn values_are_checked_when_read() {
        let good = Secrets::generate(&["db".into()]).unwrap();
        let text = good.to_toml().unwrap();
        assert_eq!(toml::from_str::<Secrets>(&text).unwrap(), good);
        let with = |secret: &str| {
            format!(
                "livekit_api_key = \"APIabc\"\nlivekit_api_secret = {}\n",
                toml::Value::String(secret.into())
            )
        };
        for bad in [
            "",
            "zqxjv",
            &"a".repeat(31),
            &format!("{}\" #x\nAPIevil: {}", "a".repeat(40), "b".repeat(40)),
            &format!("{}{{{{secret.db}}}}", "a".repeat(40)),
        ] {
            let e = toml::from_str::<Secrets>(&with(bad)).unwrap_err();
            assert!(
                e.message().contains("livekit_api_secret"),
                "{}",
                e.message()
            );
            if bad.len() > 4 {
                assert!(!e.message().contains(bad), "the value is never shown");
            }
        }
        assert!(toml::from_str::<Secrets>(&with(&"a".repeat(32))).is_ok());
        let key = format!(
            "livekit_api_key = \"API: x\"\nlivekit_api_secret = \"{}\"\n",
            "a".repeat(40)
        );
        assert!(toml::from_str::<Secrets>(&key).is_err());
    }

    #[test]
    fn hex_forms_are_the_digest_of_the_secret() {
        let mut s = Secrets::generate(&[]).unwrap();
        s.extra.insert("g".into(), "abc".into());
        // SHA-256("abc")
        let full = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(s.fill("{{secret_hex.g}}").unwrap(), full);
        assert_eq!(
            s.fill("GK{{secret_hex24.g}}").unwrap(),
            format!("GK{}", &full[..24])
        );
        assert_eq!(
            s.fill("{{secret.g}}/{{secretive}}").unwrap(),
            "abc/{{secretive}}"
        );
    }

    #[test]
    fn filling_never_expands_a_value_again() {
        let mut s = Secrets::generate(&[]).unwrap();
        s.extra.insert("a".into(), "{{secret.a}}".into());
        assert_eq!(s.fill("x{{secret.a}}y").unwrap(), "x{{secret.a}}y");
    }
}
