//! The wizard's questions, one module per step. Each step reads the current answers as its
//! defaults (the best guess, or the saved answer on `--resume`) and changes only its own part.
//! A step that does not apply to the answers so far (a preset whose UDP range does not follow the
//! participants, a preset with one proxy mode) is not asked; the summary still offers it. A step
//! asked because something was not known (the SSH port, a UDP range that does not fit) stays in
//! the flow once answered, so the titles' count holds and Esc goes back to it.

pub mod access;
pub mod address;
pub mod host;
pub mod participants;
pub mod preflight;
pub mod preset;
pub mod provider;
pub mod proxy;

use serde::{Deserialize, Serialize};

use super::prompt::Asked;
use super::Wizard;
use crate::answers::UdpMode;

/// The steps after preflight, in order; a draft records the one reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Preset,
    Address,
    Proxy,
    Participants,
    Udp,
    Provider,
    Access,
    Host,
    Review,
}

impl Step {
    /// The questions, in the order they are asked (the summary comes after them).
    pub const QUESTIONS: [Step; 8] = [
        Step::Preset,
        Step::Address,
        Step::Proxy,
        Step::Participants,
        Step::Udp,
        Step::Provider,
        Step::Access,
        Step::Host,
    ];

    /// What the step asks, as its title and the summary's "change" menu say it.
    pub fn title(&self) -> &'static str {
        match self {
            Step::Preset => "preset",
            Step::Address => "domain or IP address",
            Step::Proxy => "reverse proxy",
            Step::Participants => "participants",
            Step::Udp => "UDP ports",
            Step::Provider => "cloud provider",
            Step::Access => "SSH access",
            Step::Host => "host firewall",
            Step::Review => "summary",
        }
    }

    /// The name used in the draft and in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Preset => "preset",
            Step::Address => "address",
            Step::Proxy => "proxy",
            Step::Participants => "participants",
            Step::Udp => "udp",
            Step::Provider => "provider",
            Step::Access => "access",
            Step::Host => "host",
            Step::Review => "review",
        }
    }

    /// The step after this one (the summary after the last question).
    pub fn next(&self) -> Step {
        Step::QUESTIONS
            .into_iter()
            .find(|s| s > self)
            .unwrap_or(Step::Review)
    }
}

/// Whether `step` is asked with the answers as they stand.
pub fn applies(w: &Wizard, step: Step) -> bool {
    match step {
        Step::Proxy => proxy::usable(w).len() > 1,
        // The count sizes the UDP range only when no port range is fixed and no mux is chosen.
        Step::Participants => w.answers.udp == UdpMode::Range && w.answers.udp_end.is_none(),
        Step::Udp => participants::trouble(w) || w.asked.contains(&Step::Udp),
        Step::Access => access::needed(w),
        Step::Host => host::needed(w),
        Step::Preset | Step::Address | Step::Provider | Step::Review => true,
    }
}

/// Settle what a step that is not asked decides (the only proxy mode a preset works with).
pub fn settle(w: &mut Wizard, step: Step) {
    if step == Step::Proxy {
        proxy::settle(w);
    }
}

/// The question Esc goes back to from `step`: the nearest earlier one that is asked, or `step`
/// itself at the first question.
pub fn before(w: &Wizard, step: Step) -> Step {
    Step::QUESTIONS
        .into_iter()
        .rev()
        .filter(|s| *s < step)
        .find(|s| applies(w, *s))
        .unwrap_or(step)
}

/// Ask one step's questions, updating the wizard's answers (`all`: every question of the step,
/// as when it is changed from the summary).
pub fn ask(w: &mut Wizard, step: Step, all: bool) -> Asked<()> {
    let asked: Vec<Step> = Step::QUESTIONS
        .into_iter()
        .filter(|s| *s == step || applies(w, *s))
        .collect();
    let n = asked.iter().position(|s| *s == step).map_or(0, |i| i + 1);
    w.header(&format!("{} ({n} of {})", step.title(), asked.len()), step);
    w.asked.insert(step);
    match step {
        Step::Preset => preset::ask(w, all),
        Step::Address => address::ask(w),
        Step::Proxy => proxy::ask(w),
        Step::Participants => participants::ask(w),
        Step::Udp => participants::ask_ports(w),
        Step::Provider => provider::ask(w),
        Step::Access => access::ask(w, all),
        Step::Host => host::ask(w),
        Step::Review => Ok(()),
    }
}
