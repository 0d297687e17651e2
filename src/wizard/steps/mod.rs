//! The wizard's questions, one module per step. Each step reads the current answers as its
//! defaults (the best guess, or the saved answer on `--resume`) and changes only its own part.

pub mod address;
pub mod participants;
pub mod preflight;
pub mod preset;
pub mod provider;
pub mod proxy;

use serde::{Deserialize, Serialize};

use super::prompt::Asked;
use super::Wizard;

/// The steps after preflight, in order; a draft records the one reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Preset,
    Address,
    Proxy,
    Participants,
    Provider,
    Review,
}

impl Step {
    /// The questions, in the order they are asked (the review comes after them).
    pub const QUESTIONS: [Step; 5] = [
        Step::Preset,
        Step::Address,
        Step::Proxy,
        Step::Participants,
        Step::Provider,
    ];

    /// The step's number and name as the header shows it.
    pub fn title(&self) -> &'static str {
        match self {
            Step::Preset => "Step 1 of 7: preset",
            Step::Address => "Step 2 of 7: domain or IP address",
            Step::Proxy => "Step 3 of 7: reverse proxy",
            Step::Participants => "Step 4 of 7: participants and UDP ports",
            Step::Provider => "Step 5 of 7: cloud provider",
            Step::Review => "Step 6 of 7: review",
        }
    }

    /// The name used in the draft and in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Preset => "preset",
            Step::Address => "address",
            Step::Proxy => "proxy",
            Step::Participants => "participants",
            Step::Provider => "provider",
            Step::Review => "review",
        }
    }
}

/// Ask one step's questions, updating the wizard's answers.
pub fn ask(w: &mut Wizard, step: Step) -> Asked<()> {
    w.header(step.title());
    match step {
        Step::Preset => preset::ask(w),
        Step::Address => address::ask(w),
        Step::Proxy => proxy::ask(w),
        Step::Participants => participants::ask(w),
        Step::Provider => provider::ask(w),
        Step::Review => Ok(()),
    }
}
