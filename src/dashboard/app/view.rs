//! Read-only queries on the state: what the panels show, and what a key would act on.

use std::time::Duration;

use super::{App, Overlay, Panel, ServiceRows};
use crate::dashboard::format;
use crate::dashboard::keys::Context;
use crate::health::{CheckResult, DockerState, Snapshot};

impl App {
    /// The deployment's name.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The latest probe round, if one has finished.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    /// Why Docker did not answer in the latest round, if it did not.
    pub fn docker_unreachable(&self) -> Option<&str> {
        match self.snapshot.as_ref().map(|s| &s.docker) {
            Some(DockerState::Unreachable { reason }) => Some(reason),
            _ => None,
        }
    }

    /// The service rows: the latest, or the last known ones while Docker is unreachable.
    pub fn services(&self) -> ServiceRows<'_> {
        match &self.snapshot {
            Some(_) if self.docker_unreachable().is_some() && !self.last_known.is_empty() => {
                ServiceRows {
                    rows: &self.last_known,
                    stale: true,
                }
            }
            Some(s) => ServiceRows {
                rows: &s.services,
                stale: false,
            },
            None => ServiceRows {
                rows: &[],
                stale: false,
            },
        }
    }

    /// The check rows, in the plan's order.
    pub fn checks(&self) -> &[CheckResult] {
        self.snapshot.as_ref().map_or(&[], |s| &s.checks)
    }

    /// The focused panel.
    pub fn panel(&self) -> Panel {
        self.panel
    }

    /// What is drawn over the panels.
    pub fn overlay(&self) -> &Overlay {
        &self.overlay
    }

    /// Which key bindings apply now.
    pub fn context(&self) -> Context {
        match self.overlay {
            Overlay::None => Context::Main,
            Overlay::Help | Overlay::Logs(_) => Context::View,
            Overlay::Confirm(_) => Context::Confirm,
        }
    }

    /// The index of the selected service row.
    pub fn selected_service(&self) -> Option<usize> {
        self.services_sel.get(self.services().rows.len())
    }

    /// The index of the selected check row.
    pub fn selected_check(&self) -> Option<usize> {
        self.checks_sel.get(self.checks().len())
    }

    /// The fetched tail of a service's logs.
    pub fn logs(&self, service: &str) -> Option<&[String]> {
        self.logs.get(service).map(Vec::as_slice)
    }

    /// How long ago a check's status last changed, if a change was seen.
    pub fn last_change(&self, label: &str) -> Option<Duration> {
        let at = self.changes.get(label)?.at?;
        Some(self.now.saturating_duration_since(at))
    }

    /// The status line message, if a recent one.
    pub fn message(&self) -> Option<&str> {
        self.message.as_ref().map(|(text, _)| text.as_str())
    }

    /// The container behind the selected row, or why there is none.
    pub(super) fn target_service(&self, what: &str) -> Result<String, String> {
        if let Some(reason) = self.docker_unreachable() {
            return Err(format!("cannot {what}: Docker unreachable ({reason})"));
        }
        let name = match self.panel {
            Panel::Services => self
                .selected_service()
                .and_then(|i| self.services().rows.get(i))
                .map(|s| s.service.clone()),
            Panel::Ports => self
                .selected_check()
                .and_then(|i| self.checks().get(i))
                .map(|c| c.check.service.clone()),
        };
        let Some(name) = name else {
            return Err(format!("cannot {what}: nothing selected yet"));
        };
        if self.services().rows.iter().any(|s| s.service == name) {
            Ok(name)
        } else {
            Err(format!("cannot {what}: {name} is not a container"))
        }
    }

    pub(super) fn service_keys(&self) -> Vec<String> {
        self.services()
            .rows
            .iter()
            .map(|s| s.service.clone())
            .collect()
    }

    pub(super) fn check_keys(&self) -> Vec<String> {
        self.checks()
            .iter()
            .map(|c| c.check.label.clone())
            .collect()
    }

    pub(super) fn ages(&self) -> Vec<Option<String>> {
        self.checks()
            .iter()
            .map(|c| self.last_change(&c.check.label).map(format::age))
            .collect()
    }
}
