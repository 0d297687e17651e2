//! UDP sizing for LiveKit's media: explained arithmetic, never a magic number.

use serde::Serialize;

use crate::answers::{Participants, UdpMode};
use crate::error::Error;

/// UDP ports LiveKit uses per participant in range mode: one publisher and one subscriber connection.
pub const PORTS_PER_PARTICIPANT: u32 = 2;
/// Extra room on top of the expected peak, in percent.
pub const HEADROOM_PERCENT: u32 = 20;
/// The smallest range selkie plans: a hundred ports cost nothing and absorb reconnect churn.
pub const MIN_RANGE: u32 = 100;
/// LiveKit's single-port mux default (`rtc.udp_port`).
pub const DEFAULT_MUX_PORT: u16 = 7882;

/// How LiveKit's WebRTC media reaches it over UDP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media {
    pub mode: UdpMode,
    /// First port (the only one in mux mode).
    pub start: u16,
    /// Last port, inclusive.
    pub end: u16,
    pub participants: u32,
    /// The arithmetic, in words, for the plan's output.
    pub explanation: String,
}

impl Media {
    /// How many ports the range holds.
    pub fn count(&self) -> u32 {
        u32::from(self.end) - u32::from(self.start) + 1
    }
}

/// Ports for `participants` in range mode: two each, plus headroom, rounded up to ten, at least 100.
pub fn range_size(participants: Participants) -> u32 {
    let needed = participants.get() * PORTS_PER_PARTICIPANT;
    let with_headroom = (needed * (100 + HEADROOM_PERCENT)).div_ceil(100);
    with_headroom.div_ceil(10).max(MIN_RANGE / 10) * 10
}

/// Size the media ports; `pinned_end` is a range end a preset or the operator fixed.
pub fn size(
    participants: Participants,
    mode: UdpMode,
    start: u16,
    pinned_end: Option<u16>,
) -> Result<(Media, Vec<String>), Error> {
    let p = participants.get();
    let mut warnings = Vec::new();
    let (end, explanation) = match (mode, pinned_end) {
        (UdpMode::Mux, _) => (
            start,
            format!(
                "one UDP port ({start}) shared by every participant (LiveKit's UDP mux); nothing to size"
            ),
        ),
        (UdpMode::Range, Some(end)) => pinned(p, start, end, &mut warnings)?,
        (UdpMode::Range, None) => sized(participants, start)?,
    };
    Ok((
        Media {
            mode,
            start,
            end,
            participants: p,
            explanation,
        },
        warnings,
    ))
}

/// A range whose end the preset or the operator fixed: checked, with a warning when it is small.
fn pinned(
    p: u32,
    start: u16,
    end: u16,
    warnings: &mut Vec<String>,
) -> Result<(u16, String), Error> {
    if end < start {
        return Err(Error::invalid(
            format!("the UDP range {start}-{end} ends before it starts"),
            "choose a start port below the end, or set the participants so selkie sizes the range",
        ));
    }
    let needed = p * PORTS_PER_PARTICIPANT;
    let count = u32::from(end) - u32::from(start) + 1;
    if count < needed {
        warnings.push(format!(
            "the UDP range {start}-{end} holds {count} ports, about {} participants; {p} are expected — raise the participant count so selkie sizes it",
            count / PORTS_PER_PARTICIPANT
        ));
    }
    Ok((
        end,
        format!(
            "{count} ports ({start}-{end}) fixed by the preset: about {} participants at {PORTS_PER_PARTICIPANT} ports each ({p} expected)",
            count / PORTS_PER_PARTICIPANT
        ),
    ))
}

/// A range selkie sizes from the participant count, with the arithmetic in words.
fn sized(participants: Participants, start: u16) -> Result<(u16, String), Error> {
    let p = participants.get();
    let needed = p * PORTS_PER_PARTICIPANT;
    let count = range_size(participants);
    let last = u32::from(start) + count - 1;
    let Ok(end) = u16::try_from(last) else {
        return Err(Error::invalid(
            format!("the UDP range {start}-{last} runs past port 65535"),
            format!(
                "choose a start port no higher than {} for {p} participants (--udp-start), or use --udp mux",
                65536 - count
            ),
        ));
    };
    let with_headroom = (needed * (100 + HEADROOM_PERCENT)).div_ceil(100);
    let rounding = if count == MIN_RANGE && with_headroom < MIN_RANGE {
        format!(", raised to the minimum of {MIN_RANGE}")
    } else if count != with_headroom {
        format!(", rounded up to {count}")
    } else {
        String::new()
    };
    Ok((
        end,
        format!(
            "{p} participants x {PORTS_PER_PARTICIPANT} UDP ports (a publisher and a subscriber connection each) = {needed}, \
             + {HEADROOM_PERCENT}% headroom = {with_headroom}{rounding}: {count} ports, {start}-{end}"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(n: u32) -> Participants {
        n.try_into().unwrap()
    }

    #[test]
    fn the_rule_of_thumb_holds_and_headroom_is_added() {
        assert_eq!(range_size(people(1)), 100);
        assert_eq!(range_size(people(50)), 120);
        assert_eq!(range_size(people(500)), 1200);
        assert_eq!(range_size(people(10_000)), 24_000);
        for n in [1, 7, 50, 333, 10_000] {
            assert!(range_size(people(n)) >= n * 2, "{n}");
        }
    }

    #[test]
    fn the_explanation_shows_the_arithmetic() {
        let (media, warnings) = size(people(50), UdpMode::Range, 50000, None).unwrap();
        assert_eq!((media.start, media.end), (50000, 50119));
        assert!(
            media.explanation.contains("50 participants x 2 UDP ports"),
            "{}",
            media.explanation
        );
        let says =
            |m: &Media, text: &str| assert!(m.explanation.contains(text), "{}", m.explanation);
        says(
            &media,
            "= 100, + 20% headroom = 120: 120 ports, 50000-50119",
        );
        let (small, _) = size(people(20), UdpMode::Range, 50000, None).unwrap();
        says(
            &small,
            "= 40, + 20% headroom = 48, raised to the minimum of 100: 100 ports",
        );
        let (odd, _) = size(people(333), UdpMode::Range, 50000, None).unwrap();
        says(&odd, "= 666, + 20% headroom = 800: 800 ports");
        let (round, _) = size(people(301), UdpMode::Range, 50000, None).unwrap();
        says(
            &round,
            "= 602, + 20% headroom = 723, rounded up to 730: 730 ports",
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn a_range_past_65535_is_refused_with_the_highest_start() {
        let err = size(people(50), UdpMode::Range, 65500, None).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.hint().unwrap().contains("no higher than 65416"),
            "{:?}",
            err.hint()
        );
    }

    #[test]
    fn a_pinned_range_too_small_warns() {
        let (media, warnings) = size(people(80), UdpMode::Range, 44200, Some(44300)).unwrap();
        assert_eq!(media.count(), 101);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn mux_is_one_port() {
        let (media, _) = size(people(500), UdpMode::Mux, 7882, None).unwrap();
        assert_eq!((media.start, media.end, media.count()), (7882, 7882, 1));
    }
}
