//! Step 6: the review. The whole plan (port table, DNS records, firewall commands for the chosen
//! provider and the host firewall, the files to write, and on `--resume` a diff of each file that
//! changes) is paged a screen at a time, secrets masked; then a one-screen summary asks to write,
//! or to change a step and come back here.

use super::prompt::{self, choice, reason, Asked, Stop};
use super::steps::Step;
use super::terminal;
use super::Wizard;
use crate::answers::UdpMode;
use crate::host::installed_host_firewall;
use crate::render::firewall;
use crate::report;
use crate::secrets;
use crate::setup::review::{self as diff, Change};
use crate::setup::{self, Prepared};

/// What the operator decided.
pub enum Decision {
    Write(Box<Prepared>),
    Change(Step),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Write,
    Again,
    Change(Step),
    Stop,
}

/// Show the review and ask what to do.
pub fn run(w: &mut Wizard) -> Asked<Decision> {
    let prepared = setup::prepare(
        w.dir,
        w.answers.clone(),
        &w.preset,
        w.host,
        w.notes.clone(),
        w.resume,
    );
    let mut show_all = prepared.is_ok();
    loop {
        w.header(Step::Review.title());
        if show_all {
            if let Ok(p) = &prepared {
                if !terminal::page(&w.style, &full(w, p)).map_err(io)? {
                    return Err(Stop::Cancelled);
                }
                w.header(Step::Review.title());
            }
            show_all = false;
        }
        let mut choices = Vec::new();
        match &prepared {
            Ok(p) => {
                w.style.say(&summary(w, p));
                choices.push(choice("Write the deployment", Action::Write));
                choices.push(choice("Show the whole review again", Action::Again));
            }
            Err(e) => w.say(&format!(
                "! These answers do not make a plan: {}",
                reason(e)
            )),
        }
        for step in Step::QUESTIONS {
            choices.push(choice(
                format!("Change: {}", step.name()),
                Action::Change(step),
            ));
        }
        choices.push(choice(
            "Stop here (your answers are kept as a draft)",
            Action::Stop,
        ));
        match prompt::choose("What now?", choices, None, prompt::MENU_HELP)? {
            Action::Write => {
                if let Ok(p) = prepared {
                    return Ok(Decision::Write(Box::new(p)));
                }
            }
            Action::Again => show_all = true,
            Action::Change(step) => return Ok(Decision::Change(step)),
            Action::Stop => return Err(Stop::Cancelled),
        }
    }
}

fn io(e: std::io::Error) -> Stop {
    Stop::Failed(crate::error::Error::Other {
        message: format!("the terminal failed: {e}"),
        hint: None,
    })
}

/// The one-screen summary above the menu.
fn summary(w: &Wizard, p: &Prepared) -> String {
    let plan = &p.plan;
    let m = &plan.media;
    let udp = match m.mode {
        UdpMode::Range => format!("UDP {}-{} ({} ports)", m.start, m.end, m.count()),
        UdpMode::Mux => format!("one UDP port, {} (mux)", m.start),
    };
    let (mut new, mut changed, mut same) = (0, 0, 0);
    for f in &p.files {
        match diff::compare(w.dir, f) {
            Change::New => new += 1,
            Change::Changed(_) => changed += 1,
            Change::Same => same += 1,
        }
    }
    let mut out = format!(
        "  Preset:       {}\n  Address:      {}\n  LiveKit URL:  {}\n  Proxy:        {}\n  \
         Participants: {} -> {udp}\n  Provider:     {}\n  API key:      {}  secret {}\n  \
         Files:        {new} new, {changed} changed, {same} unchanged\n",
        plan.preset,
        plan.address,
        plan.urls.livekit,
        plan.proxy,
        m.participants,
        plan.firewall.provider.title(),
        p.secrets.livekit_api_key,
        secrets::mask(&p.secrets.livekit_api_secret),
    );
    if !plan.warnings.is_empty() {
        out.push_str(&format!(
            "  Warnings:     {} (see the whole review)\n",
            plan.warnings.len()
        ));
    }
    out
}

/// Everything the operator should see before writing.
fn full(w: &Wizard, p: &Prepared) -> String {
    let plan = &p.plan;
    let mut out = String::new();
    for note in &p.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(&report::plan::describe(plan));
    let provider = plan.firewall.provider;
    out.push_str(&format!(
        "\nCloud firewall commands ({})\n",
        provider.title()
    ));
    match firewall::cloud(plan, provider) {
        Some(cmds) => out.push_str(&indent(&cmds)),
        None => out
            .push_str("  none for this provider: the host firewall below is the one that counts\n"),
    }
    let kind = installed_host_firewall(provider);
    out.push_str(&format!("\nHost firewall commands ({kind})\n"));
    out.push_str(&indent(&firewall::host(plan, kind)));
    out.push_str(&format!("\nFiles in {}\n", w.dir.display()));
    let mut diffs = String::new();
    for f in &p.files {
        let mode = if f.secret { " (secret, mode 0600)" } else { "" };
        let what = match diff::compare(w.dir, f) {
            Change::New => "new",
            Change::Same => "unchanged",
            Change::Changed(None) => "changes (holds secrets: not shown)",
            Change::Changed(Some(d)) => {
                diffs.push_str(&d);
                "changes (diff below)"
            }
        };
        out.push_str(&format!("  {:<30} {what}{mode}\n", f.path));
    }
    out.push_str("  selkie.toml, secrets.toml, manifest.toml  (answers, secrets, hashes)\n");
    out.push_str(&format!(
        "\nSecrets: LiveKit API key {}, API secret {} (kept in secrets.toml, 0600)\n",
        p.secrets.livekit_api_key,
        secrets::mask(&p.secrets.livekit_api_secret)
    ));
    if !diffs.is_empty() {
        out.push_str("\nChanges\n");
        out.push_str(&diffs);
    }
    out
}

fn indent(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}
