//! The interactive wizard behind `selkie setup` (and `--resume`) on a terminal: preflight, then
//! one question per step, each defaulted to the best guess or the saved answer and checked by the
//! same validated types as the flags; a review; then the same write as `--non-interactive`.
//! The wizard only asks: preparing, reviewing and writing are the `setup` pipeline's, and it
//! takes typed `setup::Flags` and `setup::Options`, never a clap type.
//! Esc goes back one question; Ctrl-C at any prompt stops cleanly and keeps a draft to continue
//! from.

pub use error::WizardError;

pub mod confirm;
pub mod draft;
mod error;
pub mod line;
pub mod log;
pub mod prompt;
pub mod review;
pub mod steps;
pub mod terminal;
pub mod terms;
mod write;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crossterm::{cursor, terminal as term, QueueableCommand};

use crate::answers::{Answers, PublicAddress};
use crate::error::{Error, Result};
use crate::host::HostFacts;
use crate::preset::{self, Preset};
use crate::secrets::Secrets;
use crate::setup::{self, answers, Committed, Flags, Options};
use crate::state::Deployment;

use draft::Draft;
use log::RunLog;
use prompt::{Asked, Stop};
use steps::Step;
use terminal::Style;

/// One wizard run: the answers as they stand, and what the steps need to ask well.
pub struct Wizard<'a> {
    pub options: &'a Options,
    pub dir: &'a Path,
    pub host: &'a HostFacts,
    pub style: Style,
    pub log: RunLog,
    pub answers: Answers,
    pub preset: Preset,
    /// What loading the answers changed beyond the operator's choice (a preset switch).
    pub notes: Vec<String>,
    /// Changing a saved deployment.
    pub resume: bool,
    /// The step being asked, recorded in the draft if the operator stops.
    pub reached: Step,
    /// The secrets made for this run, so the API key shown stays the same however often the
    /// summary is rebuilt.
    pub secrets: Option<Secrets>,
    /// `--apply-firewall` or `--apply-sysctl` was given: the consent question is not asked.
    pub consent_by_flag: bool,
    /// The consent given in this run, the question's default when it comes again.
    pub consent: Option<bool>,
    /// The steps asked in this run. A step asked because something was not known (the SSH
    /// port, a UDP range that clashes) stays in the flow once answered: the count in each
    /// title holds, and Esc goes back to it.
    pub asked: BTreeSet<Step>,
}

impl Wizard<'_> {
    /// Clear the screen and show the step's title with the answers given before it.
    pub fn header(&self, title: &str, step: Step) {
        let mut out = std::io::stdout();
        // Each step gets a fresh screen; a terminal that refuses simply scrolls.
        let _ = out.queue(term::Clear(term::ClearType::All));
        let _ = out.queue(cursor::MoveTo(0, 0));
        let _ = out.flush();
        let mode = if self.resume { "changing" } else { "new" };
        let cols = terminal::width();
        let title = format!("selkie setup ({mode} deployment): {title}");
        self.style.say(&terminal::wrap(&title, cols, "  "));
        let parts = self.so_far(step);
        if !parts.is_empty() {
            let line = format!("  so far: {}", parts.join(", "));
            self.style.say(&terminal::wrap(&line, cols, "    "));
        }
        println!();
    }

    /// The answers of the questions before `step`, in a few words each.
    fn so_far(&self, step: Step) -> Vec<String> {
        let a = &self.answers;
        let mut parts = Vec::new();
        if step == Step::Review {
            return parts;
        }
        if step > Step::Preset {
            parts.push(a.preset.clone());
        }
        if step > Step::Address {
            if let Ok(address) = a.address() {
                parts.push(address.to_string());
            }
        }
        if step > Step::Proxy {
            parts.push(format!("proxy {}", a.proxy));
        }
        if step > Step::Participants && steps::applies(self, Step::Participants) {
            parts.push(format!("{} participants", a.participants.get()));
        }
        if step > Step::Provider {
            parts.push(format!("provider {}", a.provider));
        }
        parts
    }

    /// Print text wrapped at spaces to the terminal's width, in this terminal's symbols.
    pub fn say(&self, text: &str) {
        self.style
            .say(&terminal::wrap(text, terminal::width(), "  "));
    }
}

/// Run the wizard to a written deployment; returns the outcome, the run log's path, and whether
/// the operator agreed to install Docker.
pub fn run(
    flags: &Flags,
    options: &Options,
    dir: &Path,
    host: &HostFacts,
) -> Result<(Committed, PathBuf, bool)> {
    let style = Style::detect();
    style.install();
    let saved = Deployment::new(dir).load_answers()?;
    let draft = draft::load(dir)?;
    if draft.is_none() {
        setup::check_mode(dir, saved.is_some(), options.resume, true)?;
    }
    let resume = draft.as_ref().map_or(options.resume, |d| d.resume);
    let mut log = RunLog::new();
    log.note(format!("deployment directory: {}", dir.display()));
    let install_docker = match steps::preflight::run(options, dir, host, &style, resume, &mut log) {
        Ok(install) => install,
        Err(Stop::Cancelled | Stop::Back) => return Err(stopped("the preflight checks", None)),
        Err(Stop::Failed(e)) => return Err(e),
    };
    let cx = Context {
        flags,
        options,
        dir,
        host,
    };
    let (mut w, from) = match begin(cx, style, log, saved, draft) {
        Ok(found) => found,
        Err(Stop::Cancelled | Stop::Back) => return Err(stopped("the start", None)),
        Err(Stop::Failed(e)) => return Err(e),
    };
    match flow(&mut w, from) {
        Ok(outcome) => {
            draft::remove(dir)?;
            w.log.answers(&outcome.answers, &outcome.secrets);
            w.log.files(&outcome.report);
            let path = w.log.write(dir)?;
            Ok((outcome, path, install_docker))
        }
        Err(Stop::Cancelled | Stop::Back) => {
            let kept = draft::save(
                dir,
                &Draft {
                    step: w.reached,
                    resume: w.resume,
                    answers: w.answers.clone(),
                },
            )?;
            Err(stopped(
                &format!("the {} step", w.reached.name()),
                Some(&kept),
            ))
        }
        Err(Stop::Failed(e)) => Err(e),
    }
}

/// The error a stopped run ends with: exit 1, nothing written but the draft.
fn stopped(step: &str, draft: Option<&Path>) -> Error {
    let hint = match draft {
        Some(p) => format!(
            "your answers so far are kept in {}: run `selkie setup` again to continue from {step}",
            p.display()
        ),
        None => "run `selkie setup` again when you are ready".into(),
    };
    WizardError::Stopped {
        step: step.into(),
        hint,
    }
    .into()
}

/// What a run starts from: the flags as given, the run's options, where, and on what host.
#[derive(Clone, Copy)]
struct Context<'a> {
    flags: &'a Flags,
    options: &'a Options,
    dir: &'a Path,
    host: &'a HostFacts,
}

/// The answers to start from (a draft, the saved deployment, or the best guess) and the step.
fn begin<'a>(
    cx: Context<'a>,
    style: Style,
    mut log: RunLog,
    saved: Option<Answers>,
    draft: Option<Draft>,
) -> Asked<(Wizard<'a>, Step)> {
    let Context {
        flags,
        options,
        dir,
        host,
    } = cx;
    let by_flag = flags.apply_firewall.is_some() || flags.apply_sysctl.is_some();
    // Where the questions start: a kept draft's step and answers, or the first step.
    let mut from_draft = None;
    if let Some(d) = draft {
        let question = format!(
            "A setup stopped at the {} step was found. Continue from there?",
            d.step.name()
        );
        let go_on = prompt::confirm(
            &question,
            true,
            "y: continue with the answers given so far; n: start over",
        )?;
        if go_on {
            log.note(format!("continued a draft from the {} step", d.step.name()));
            from_draft = Some(d);
        } else {
            draft::remove(dir)?;
        }
    }
    let (answers, preset, notes, resume, step) = match (from_draft, saved) {
        (Some(d), _) => {
            let preset = preset::find(&d.answers.preset)?;
            (d.answers, preset, Vec::new(), d.resume, d.step)
        }
        (None, saved) => {
            setup::check_mode(dir, saved.is_some(), options.resume, true)?;
            let (answers, preset, notes) = match saved {
                Some(saved) => answers::resume(&saved, flags)?,
                None => {
                    let (mut a, p, n) = answers::guess(flags, host)?;
                    if a.domain.is_none() && a.ip.is_none() {
                        a.ip = host.public_ip.map(PublicAddress::from);
                    }
                    (a, p, n)
                }
            };
            (answers, preset, notes, options.resume, Step::Preset)
        }
    };
    let w = Wizard {
        options,
        dir,
        host,
        style,
        log,
        answers,
        preset,
        notes,
        resume,
        reached: step,
        secrets: None,
        consent_by_flag: by_flag,
        consent: None,
        asked: BTreeSet::new(),
    };
    Ok((w, step))
}

/// The questions from `from` on (each that applies; Esc goes back one), then the summary until
/// the operator writes, then the write.
fn flow(w: &mut Wizard, from: Step) -> Asked<Committed> {
    let mut at = from;
    loop {
        if at == Step::Review {
            w.reached = Step::Review;
            match review::run(w) {
                Ok(review::Decision::Write(prepared)) => match write::run(w, *prepared) {
                    Err(Stop::Back) => continue,
                    done => return done,
                },
                Ok(review::Decision::Change(step)) => {
                    w.reached = step;
                    match steps::ask(w, step, true) {
                        Ok(()) | Err(Stop::Back) => {}
                        Err(e) => return Err(e),
                    }
                }
                Err(Stop::Back) => at = steps::before(w, Step::Review),
                Err(e) => return Err(e),
            }
            continue;
        }
        if !steps::applies(w, at) {
            steps::settle(w, at);
            at = at.next();
            continue;
        }
        w.reached = at;
        match steps::ask(w, at, false) {
            Ok(()) => at = at.next(),
            Err(Stop::Back) => at = steps::before(w, at),
            Err(e) => return Err(e),
        }
    }
}
