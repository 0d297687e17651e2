//! The draft: the answers given so far and the step reached, kept when the operator stops the
//! wizard with Ctrl-C or Esc, so the next `selkie setup` can continue from there. It holds no
//! secrets (those live only in `secrets.toml`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::steps::Step;
use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::state;
use crate::wizard::WizardError;

/// The draft's file name in the deployment directory.
pub const FILE: &str = ".selkie-draft.toml";

/// A stopped wizard run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// The step that was being asked when the run stopped; the ones before it are answered.
    pub step: Step,
    /// Whether the run was changing a saved deployment (`--resume`).
    pub resume: bool,
    pub answers: Answers,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The draft in `dir`, if there is one. An unreadable draft is reported, never silently used.
pub fn load(dir: &Path) -> Result<Option<Draft>> {
    let file = path(dir);
    // Never through a link: the draft lives in the deployment directory selkie owns.
    let Some(bytes) = state::read_nofollow(&file)? else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes).map_err(|_| Error::State {
        path: file.clone(),
        message: "not UTF-8 text".into(),
    })?;
    toml::from_str(&text).map(Some).map_err(|e| Error::State {
        path: file,
        message: e.message().to_string(),
    })
}

/// Keep `draft` in `dir` (created if needed).
pub fn save(dir: &Path, draft: &Draft) -> Result<PathBuf> {
    let text = toml::to_string(draft).map_err(|e| WizardError::Draft { why: e.to_string() })?;
    let body = format!(
        "# A `selkie setup` that was stopped; the next `selkie setup` offers to continue it.\n{text}"
    );
    let file = path(dir);
    state::write_atomic(&file, body.as_bytes(), 0o644)?;
    Ok(file)
}

/// Remove the draft once it has been used or declined.
pub fn remove(dir: &Path) -> Result<()> {
    let file = path(dir);
    match std::fs::remove_file(&file) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("cannot remove", &file, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_reads_back_as_saved() {
        let dir = tempfile::tempdir().unwrap();
        let preset = crate::preset::find("livekit").unwrap();
        let d = &preset.defaults;
        let draft = Draft {
            step: Step::Participants,
            resume: false,
            answers: Answers {
                preset: preset.name.clone(),
                domain: None,
                ip: Some("203.0.113.7".parse().unwrap()),
                proxy: d.proxy,
                participants: d.participants,
                udp: d.udp,
                udp_start: None,
                udp_end: None,
                provider: crate::answers::Provider::None,
                email: None,
                acme: None,
                ip_cert: None,
                hosts: Default::default(),
                ssh: Default::default(),
                images: Default::default(),
                apply: Default::default(),
            },
        };
        assert_eq!(load(dir.path()).unwrap(), None);
        save(dir.path(), &draft).unwrap();
        assert_eq!(load(dir.path()).unwrap(), Some(draft));
        remove(dir.path()).unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
        // A link planted where the draft goes is never followed.
        let elsewhere = dir.path().join("elsewhere.toml");
        std::fs::write(&elsewhere, "step = \"address\"\n").unwrap();
        std::os::unix::fs::symlink(&elsewhere, path(dir.path())).unwrap();
        assert!(load(dir.path()).is_err(), "a linked draft is refused");
    }
}
