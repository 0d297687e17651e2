//! The run log: what the wizard checked, what was answered (secrets masked) and which files were
//! written, kept in `logs/setup-<timestamp>.log` in the deployment directory.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::answers::Answers;
use crate::error::Result;
use crate::secrets::{self, Secrets};
use crate::state::{self, Report};
use crate::wizard::WizardError;

/// Lines gathered during a run, written once the deployment is.
#[derive(Debug, Clone)]
pub struct RunLog {
    started: SystemTime,
    lines: Vec<String>,
}

impl Default for RunLog {
    fn default() -> Self {
        RunLog::new()
    }
}

impl RunLog {
    /// A log that starts now.
    pub fn new() -> RunLog {
        RunLog {
            started: SystemTime::now(),
            lines: Vec::new(),
        }
    }

    /// Add a line.
    pub fn note(&mut self, line: impl Into<String>) {
        self.lines.push(line.into());
    }

    /// The answers as saved; they hold no secret, but any value that equals one is masked anyway.
    pub fn answers(&mut self, answers: &Answers, secrets: &Secrets) {
        self.note("answers:");
        let text = toml::to_string(answers).unwrap_or_else(|e| format!("(not encodable: {e})"));
        for line in text.lines() {
            self.note(format!("  {}", mask_all(line, secrets)));
        }
        self.note(format!(
            "secrets: livekit_api_key = {}, livekit_api_secret = {}, {} more (in secrets.toml)",
            secrets.livekit_api_key,
            secrets::mask(&secrets.livekit_api_secret),
            secrets.extra.len()
        ));
    }

    /// What happened to each file.
    pub fn files(&mut self, report: &Report) {
        self.note("files:");
        for (path, action) in &report.files {
            self.note(format!("  {path}: {action:?}"));
        }
        if let Some(b) = &report.backup {
            self.note(format!(
                "  previous versions backed up under {}",
                b.display()
            ));
        }
    }

    /// Write the log under `dir/logs/` and return its path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        let name = format!("setup-{}.log", crate::utc::timestamp(self.started));
        let path = dir.join("logs").join(name);
        let mut text = format!(
            "selkie {} setup, started {}\n",
            env!("CARGO_PKG_VERSION"),
            crate::utc::timestamp(self.started)
        );
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        state::write_atomic(&path, text.as_bytes(), 0o644)
            .map_err(|e| WizardError::RunLog { why: e.to_string() }.into())
            .map(|()| path)
    }
}

/// `line` with every secret value replaced by its mask.
fn mask_all(line: &str, secrets: &Secrets) -> String {
    let mut out = line.to_string();
    for value in secrets.values() {
        if value.len() >= 8 {
            out = out.replace(value, &secrets::mask(value));
        }
    }
    out
}
