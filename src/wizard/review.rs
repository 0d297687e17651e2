//! The summary: one screen with every answer, the API key (secret masked) and what the write
//! changes (on `--resume`, each changed file with its added and removed lines), and a menu whose
//! first choice writes. The whole review (port table, DNS records, firewall commands for the
//! provider and the host firewall, every file) and the line-by-line changes are choices on it,
//! shown a page at a time only when asked for; so is changing any answer.

use super::prompt::{self, choice, reason, Asked, Stop};
use super::steps::{self, Step};
use super::terminal;
use super::Wizard;
use crate::answers::UdpMode;
use crate::error::Result;
use crate::host::installed_host_firewall;
use crate::render::firewall;
use crate::report;
use crate::role::Role;
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
    Changes,
    Review,
    Change,
    Stop,
}

/// Show the summary and ask what to do; Esc goes back to the last question.
pub fn run(w: &mut Wizard) -> Asked<Decision> {
    let prepared = prepare(w);
    loop {
        w.header(Step::Review.title(), Step::Review);
        let mut choices = Vec::new();
        let mut changed = Vec::new();
        match &prepared {
            Ok(p) => {
                changed = changes(w, p)?;
                let text = report::wrap::fit(&summary(w, p, &changed), terminal::width());
                w.style.say(text.trim_end());
                choices.push(choice("Write the deployment", Action::Write));
                if changed
                    .iter()
                    .any(|(_, c)| matches!(c, Change::Changed(Some(_))))
                {
                    choices.push(choice("Show the changes line by line", Action::Changes));
                }
                choices.push(choice(
                    "Show the whole review (ports, DNS, firewall commands, files)",
                    Action::Review,
                ));
            }
            Err(e) => w.say(&format!(
                "! These answers do not make a plan: {}",
                reason(e)
            )),
        }
        choices.push(choice("Change an answer", Action::Change));
        choices.push(choice(
            "Stop here (your answers are kept as a draft)",
            Action::Stop,
        ));
        println!();
        match prompt::choose("What now?", choices, None, prompt::MENU_HELP)? {
            Action::Write => {
                if let Ok(p) = prepared {
                    return Ok(Decision::Write(Box::new(p)));
                }
            }
            Action::Changes => show(w, &diffs(&changed))?,
            Action::Review => {
                if let Ok(p) = &prepared {
                    show(w, &full(w, p, &changed))?;
                }
            }
            Action::Change => match pick(w) {
                Ok(step) => return Ok(Decision::Change(step)),
                Err(Stop::Back) => {}
                Err(e) => return Err(e),
            },
            Action::Stop => return Err(Stop::Cancelled),
        }
    }
}

/// Plan and render for the answers, keeping the secrets this run made the first time, so the
/// API key shown does not change each time the summary is rebuilt.
fn prepare(w: &mut Wizard) -> Result<Prepared> {
    let mut p = setup::prepare(
        w.dir,
        w.answers.clone(),
        &w.preset,
        w.host,
        w.notes.clone(),
        w.resume,
    )?;
    if let Some(mut kept) = w.secrets.clone() {
        kept.add_missing(&p.plan.secrets)?;
        if kept != p.secrets {
            p.files = crate::render::all(&p.plan, &kept)?;
            p.secrets = kept;
        }
    }
    w.secrets = Some(p.secrets.clone());
    Ok(p)
}

/// Page `text` under the summary's title; Ctrl-C stops the run.
fn show(w: &Wizard, text: &str) -> Asked<()> {
    w.header(Step::Review.title(), Step::Review);
    if terminal::page(&w.style, text)? {
        Ok(())
    } else {
        Err(Stop::Cancelled)
    }
}

/// Which answer to change: every question, whether or not it was asked.
fn pick(w: &Wizard) -> Asked<Step> {
    let a = &w.answers;
    let address = a
        .address()
        .map_or_else(|_| "not set".into(), |x| x.to_string());
    let ports: Vec<String> = a.ssh.ports.iter().map(u16::to_string).collect();
    let ssh = format!(
        "port {}, from {}",
        if ports.is_empty() {
            "22 (guessed)".into()
        } else {
            ports.join(", ")
        },
        a.ssh
            .allow_from
            .map_or_else(|| "anywhere".into(), |c| c.to_string())
    );
    let mut choices = vec![
        choice(format!("Preset ({})", a.preset), Step::Preset),
        choice(format!("Address ({address})"), Step::Address),
    ];
    if steps::proxy::usable(w).len() > 1 {
        choices.push(choice(format!("Proxy ({})", a.proxy), Step::Proxy));
    }
    choices.extend([
        choice(
            format!("Participants ({})", a.participants.get()),
            Step::Participants,
        ),
        choice(format!("UDP ports ({})", a.udp), Step::Udp),
        choice(format!("Provider ({})", a.provider), Step::Provider),
        choice(format!("SSH access ({ssh})"), Step::Access),
        choice(format!("Host firewall ({})", host_line(w)), Step::Host),
    ]);
    prompt::choose("Change which answer?", choices, None, prompt::MENU_HELP)
}

/// What the write will apply on the host itself, in a few words (said before anything is).
fn host_line(w: &Wizard) -> String {
    let a = &w.answers.apply;
    let kind = a
        .host_firewall
        .unwrap_or_else(|| installed_host_firewall(w.answers.provider));
    match (a.firewall, a.sysctl) {
        (true, true) => format!("apply the firewall ({kind}) and kernel settings"),
        (true, false) => format!("apply the firewall ({kind})"),
        (false, true) => "apply the kernel settings".into(),
        (false, false) => "apply nothing (firewall/, sysctl/ by hand)".into(),
    }
}

/// Each file the write would add or change, with how.
fn changes(w: &Wizard, p: &Prepared) -> Result<Vec<(String, Change)>> {
    diff::compare(w.dir, &p.files)
}

/// The one-screen summary above the menu.
fn summary(w: &Wizard, p: &Prepared, changed: &[(String, Change)]) -> String {
    let plan = &p.plan;
    let m = &plan.media;
    let udp = match m.mode {
        UdpMode::Range if w.answers.udp_end.is_none() => format!(
            "{} -> UDP {}-{} ({} ports)",
            m.participants,
            m.start,
            m.end,
            m.count()
        ),
        UdpMode::Range => format!(
            "UDP {}-{} ({} ports, the preset's range)",
            m.start,
            m.end,
            m.count()
        ),
        UdpMode::Mux => format!("one UDP port, {} (mux)", m.start),
    };
    let label = if m.mode == UdpMode::Range && w.answers.udp_end.is_none() {
        "Participants:"
    } else {
        "UDP media:   "
    };
    let ports: Vec<String> = plan
        .firewall
        .all()
        .filter(|r| r.service == Role::Ssh)
        .map(|r| r.label())
        .collect();
    let ssh_from = w
        .answers
        .ssh
        .allow_from
        .map_or_else(|| "anywhere".into(), |c| c.to_string());
    let mut out = format!(
        "  Preset:       {}\n  Address:      {}\n  LiveKit URL:  {}\n  Proxy:        {}\n  \
         {label} {udp}\n  Provider:     {}\n  SSH:          port {} from {ssh_from}\n  \
         API key:      {}  secret {}\n",
        plan.preset,
        plan.address,
        plan.urls.livekit,
        plan.proxy,
        plan.firewall.provider.title(),
        ports.join(", "),
        p.secrets.livekit_api_key,
        secrets::mask(&p.secrets.livekit_api_secret),
    );
    out.push_str(&format!("  Host:         {}\n", host_line(w)));
    out.push_str(&files_line(changed));
    if !plan.warnings.is_empty() {
        out.push_str(&format!(
            "  Warnings:     {} (in the whole review)\n",
            plan.warnings.len()
        ));
    }
    out
}

/// How many files are new, changed and unchanged; each changed one by name with its counts (three
/// or more in one folder as the folder).
fn files_line(changed: &[(String, Change)]) -> String {
    let (mut new, mut same) = (0, 0);
    let mut edits: Vec<(&str, String)> = Vec::new();
    let mut kept: Vec<&str> = Vec::new();
    for (path, c) in changed {
        match c {
            Change::New => new += 1,
            Change::Same => same += 1,
            Change::KeptEdit => kept.push(path),
            Change::Changed(Some(d)) => {
                let (plus, minus) = counts(d);
                edits.push((path, format!("{path} (+{plus} -{minus})")));
            }
            Change::Changed(None) => edits.push((path, format!("{path} (secret)"))),
        }
    }
    let mut out = format!(
        "  Files:        {new} new, {} changed, {same} unchanged\n",
        edits.len()
    );
    let folder = |p: &str| p.rsplit_once('/').map(|(d, _)| d.to_string());
    let mut shown: Vec<String> = Vec::new();
    for (path, text) in &edits {
        let dir = folder(path);
        let together = edits.iter().filter(|(p, _)| folder(p) == dir).count();
        match dir {
            Some(d) if together >= 3 => {
                let grouped = format!("{d}/ ({together} files)");
                if !shown.contains(&grouped) {
                    shown.push(grouped);
                }
            }
            _ => shown.push(text.clone()),
        }
    }
    if !shown.is_empty() {
        out.push_str(&format!("  Changes:      {}\n", shown.join(", ")));
    }
    if !kept.is_empty() {
        out.push_str(&format!(
            "  Your edits:   {} (kept as you left them: the plan does not change them)\n",
            kept.join(", ")
        ));
    }
    out
}

/// Added and removed lines of a unified diff.
fn counts(d: &str) -> (usize, usize) {
    let lines = || {
        d.lines()
            .filter(|l| !l.starts_with("+++") && !l.starts_with("---"))
    };
    (
        lines().filter(|l| l.starts_with('+')).count(),
        lines().filter(|l| l.starts_with('-')).count(),
    )
}

/// The diffs of every changed file.
fn diffs(changed: &[(String, Change)]) -> String {
    let mut out = String::new();
    for (_, c) in changed {
        if let Change::Changed(Some(d)) = c {
            out.push_str(d);
        }
    }
    out
}

/// Everything the operator may want to see before writing.
fn full(w: &Wizard, p: &Prepared, changed: &[(String, Change)]) -> String {
    let plan = &p.plan;
    let mut out = String::new();
    for note in &p.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(&crate::wizard::terms::speak(&report::plan::describe(plan)));
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
    for ((path, c), f) in changed.iter().zip(&p.files) {
        let mode = if f.secret { " (secret, mode 0600)" } else { "" };
        let what = match c {
            Change::New => "new",
            Change::Same => "unchanged",
            Change::KeptEdit => "edited by hand: kept as it is (the plan does not change it)",
            Change::Changed(None) => "changes (holds secrets: not shown)",
            Change::Changed(Some(_)) => "changes (diff below)",
        };
        out.push_str(&format!("  {path:<30} {what}{mode}\n"));
    }
    out.push_str("  selkie.toml, secrets.toml, manifest.toml  (answers, secrets, hashes)\n");
    let d = diffs(changed);
    if !d.is_empty() {
        out.push_str("\nChanges\n");
        out.push_str(&d);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_files_are_counted_by_their_lines() {
        let d = diff::unified("a.yaml", "one\ntwo\nthree\n", "one\n2\nthree\nfour\n");
        assert_eq!(counts(&d), (2, 1));
        let mut files = vec![
            ("a.yaml".into(), Change::Changed(Some(d.clone()))),
            ("b".into(), Change::Same),
            ("c".into(), Change::New),
        ];
        let line = files_line(&files);
        assert!(line.contains("1 new, 1 changed, 1 unchanged"), "{line}");
        assert!(line.contains("a.yaml (+2 -1)"), "{line}");
        for f in ["fw/ufw.sh", "fw/nft.nft", "fw/iptables.sh"] {
            files.push((f.into(), Change::Changed(Some(d.clone()))));
        }
        let line = files_line(&files);
        assert!(line.contains("a.yaml (+2 -1), fw/ (3 files)"), "{line}");
        assert!(!line.contains("Your edits"), "{line}");
        files.push(("caddy/Caddyfile".into(), Change::KeptEdit));
        let line = files_line(&files);
        assert!(line.contains("1 new, 4 changed, 1 unchanged"), "{line}");
        assert!(
            line.contains("  Your edits:   caddy/Caddyfile (kept as you left them"),
            "{line}"
        );
    }
}
