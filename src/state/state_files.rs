//! selkie's own state files: `selkie.toml` (answers), `secrets.toml` and `manifest.toml`, read
//! with every value checked and written as text with a header that says what the file is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::StateError;
use super::{paths, VERSION};
use crate::answers::Answers;
use crate::error::Result;
use crate::secrets::Secrets;

pub(super) const ANSWERS_FILE: &str = "selkie.toml";
pub(super) const SECRETS_FILE: &str = "secrets.toml";
pub(super) const MANIFEST_FILE: &str = "manifest.toml";

/// The rendered files selkie wrote, by relative path, with the hash of what it wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Manifest {
    pub version: u32,
    #[serde(default)]
    pub files: BTreeMap<String, ManifestEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ManifestEntry {
    pub sha256: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
}

impl Manifest {
    /// A manifest that records nothing yet.
    pub fn empty() -> Manifest {
        Manifest {
            version: VERSION,
            files: BTreeMap::new(),
        }
    }
}

/// `selkie.toml`'s text as answers, or what is wrong with it.
pub fn parse_answers(text: &str) -> std::result::Result<Answers, String> {
    let mut table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    match table.remove("version") {
        Some(toml::Value::Integer(v)) if v == i64::from(VERSION) => {}
        Some(v) => {
            return Err(format!(
                "version {v} is not one this selkie reads (it reads {VERSION}); use a newer selkie"
            ))
        }
        None => return Err("it has no `version` line".into()),
    }
    toml::Value::Table(table)
        .try_into::<Answers>()
        .map_err(|e| e.message().to_string())
}

/// `secrets.toml`'s text as checked secrets, or what is wrong with it (never a secret's value).
pub fn parse_secrets(text: &str) -> std::result::Result<Secrets, String> {
    toml::from_str::<Secrets>(text).map_err(|e| e.message().to_string())
}

/// `manifest.toml`'s text, every path in it checked, or what is wrong with it.
pub(super) fn parse_manifest(text: &str) -> std::result::Result<Manifest, String> {
    let manifest: Manifest = toml::from_str(text).map_err(|e| e.message().to_string())?;
    if manifest.version != VERSION {
        return Err(format!(
            "version {} is not one this selkie reads",
            manifest.version
        ));
    }
    for (rel, entry) in &manifest.files {
        paths::rendered(rel).map_err(|e| e.to_string())?;
        if entry.sha256.len() != 64 || !entry.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!(
                "the hash of `{}` is not a SHA-256",
                rel.escape_debug()
            ));
        }
    }
    Ok(manifest)
}

/// Check `manifest.toml`'s text as selkie would read it (for tests and the fuzz corpus).
pub fn check_manifest(text: &str) -> std::result::Result<usize, String> {
    parse_manifest(text).map(|m| m.files.len())
}

/// `selkie.toml` as written: a header that says how to change it, the version, the answers.
pub(super) fn answers_text(answers: &Answers) -> Result<String> {
    Ok(format!(
        "# selkie's answers for this deployment. Change them with `selkie setup --resume`,\n\
         # or edit this file and run `selkie setup --resume` to apply.\n\
         version = {VERSION}\n{}",
        encode(answers, ANSWERS_FILE)?
    ))
}

/// `manifest.toml` as written.
pub(super) fn manifest_text(manifest: &Manifest) -> Result<String> {
    Ok(format!(
        "# Files selkie wrote and their SHA-256, to tell hand edits apart. Do not edit.\n{}",
        encode(manifest, MANIFEST_FILE)?
    ))
}

/// `secrets.toml` as written, through serde (a value is quoted by the encoder, never pasted).
pub(super) fn secrets_text(secrets: &Secrets) -> Result<String> {
    Ok(secrets.to_toml().map_err(|source| StateError::Encode {
        what: SECRETS_FILE,
        source,
    })?)
}

fn encode<T: Serialize>(value: &T, what: &'static str) -> Result<String> {
    Ok(toml::to_string(value).map_err(|source| StateError::Encode { what, source })?)
}
