//! Step 4: the expected peak number of people in calls, and the UDP ports that follow from it.
//! The arithmetic is shown; the operator accepts the range, moves its start, or switches to the
//! single multiplexed port. An overlap with the kernel's ephemeral range is explained.

use crate::answers::{Participants, UdpMode, UdpStart};
use crate::plan::{DEFAULT_MUX_PORT, HEADROOM_PERCENT, PORTS_PER_PARTICIPANT};
use crate::wizard::prompt::{self, choice, reason, Asked};
use crate::wizard::Wizard;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Accept,
    Start,
    Mux,
    Range,
}

/// Ask for the participant count, then settle the UDP ports.
pub fn ask(w: &mut Wizard) -> Asked<()> {
    w.say(&format!(
        "LiveKit's media uses about {PORTS_PER_PARTICIPANT} UDP ports per participant (a \
         publisher and a subscriber connection); selkie adds {HEADROOM_PERCENT}% headroom."
    ));
    let current = w.answers.participants.get().to_string();
    let count: Participants = prompt::parsed(
        "Expected peak number of people in calls at once:",
        Some(&current),
        prompt::TEXT_HELP,
    )?;
    if count != w.answers.participants {
        w.answers.participants = count;
        // A range end the preset pinned no longer fits a new count: size it from the count.
        w.answers.udp_end = None;
    }
    loop {
        let plan = crate::plan::build(&w.answers, &w.preset, w.host);
        let mut choices = Vec::new();
        match &plan {
            Ok(plan) => {
                let m = &plan.media;
                println!();
                w.say(&format!("UDP media: {}", m.explanation));
                for warning in plan.warnings.iter().filter(|x| x.contains("ephemeral")) {
                    w.say(&format!("! {warning}"));
                }
                let label = match m.mode {
                    UdpMode::Range => {
                        format!("Accept UDP {}-{} ({} ports)", m.start, m.end, m.count())
                    }
                    UdpMode::Mux => format!("Accept one UDP port, {} (mux)", m.start),
                };
                choices.push(choice(label, Next::Accept));
            }
            Err(e) => w.say(&format!("! {}", reason(e))),
        }
        match w.answers.udp {
            UdpMode::Range => {
                choices.push(choice("Change the start port", Next::Start));
                choices.push(choice(
                    format!("Use one multiplexed UDP port instead (mux, {DEFAULT_MUX_PORT})"),
                    Next::Mux,
                ));
            }
            UdpMode::Mux => {
                choices.push(choice("Change the port", Next::Start));
                choices.push(choice(
                    "Use a port range instead (sized from the count)",
                    Next::Range,
                ));
            }
        }
        println!();
        match prompt::choose(
            "UDP ports:",
            choices,
            Some(&Next::Accept),
            prompt::MENU_HELP,
        )? {
            Next::Accept => break,
            Next::Start => {
                let now = plan
                    .as_ref()
                    .map(|p| p.media.start.to_string())
                    .unwrap_or_else(|_| "50000".into());
                let start: UdpStart =
                    prompt::parsed("First UDP port:", Some(&now), prompt::TEXT_HELP)?;
                w.answers.udp_start = Some(start);
                w.answers.udp_end = None;
            }
            Next::Mux | Next::Range => {
                w.answers.udp = if w.answers.udp == UdpMode::Mux {
                    UdpMode::Range
                } else {
                    UdpMode::Mux
                };
                w.answers.udp_start = None;
                w.answers.udp_end = None;
            }
        }
    }
    w.log.note(format!(
        "participants: {} ({} UDP, start {})",
        w.answers.participants.get(),
        w.answers.udp,
        w.answers
            .udp_start
            .map(|s| s.get().to_string())
            .unwrap_or_else(|| "default".into())
    ));
    Ok(())
}
