//! Outbound STUN: with a domain, LiveKit runs with `rtc.use_external_ip` and asks public STUN
//! servers for this server's address when it starts; without an answer it exits ("could not
//! resolve external IP"). An IP-address setup sets `rtc.node_ip` instead and needs none of this.

use super::{Item, Mark};
use crate::host::HostFacts;

/// The checklist line for outbound STUN; None when no server was asked.
pub fn item(facts: &HostFacts) -> Option<Item> {
    let stun = facts.stun.as_ref()?;
    if stun.answered {
        return Some(Item::new(Mark::Ok, "Outbound STUN", stun.message.clone()));
    }
    if let Some(ip) = facts.public_ip {
        // The plan gives LiveKit this address (rtc.node_ip) with a domain too.
        return Some(Item::new(
            Mark::Ok,
            "Outbound STUN",
            format!(
                "{}; not needed: selkie gives LiveKit this server's address ({ip}, \
                 rtc.node_ip), so LiveKit asks no STUN server",
                stun.message
            ),
        ));
    }
    Some(Item::new(
        Mark::Warn,
        "Outbound STUN",
        format!(
            "{}. This server's public address is not known here, so with a domain LiveKit \
             asks them for it and will not start without an answer: allow outbound UDP to \
             them, or set rtc.node_ip to this server's public address (a setup with --ip sets \
             it for you)",
            stun.message
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::Stun;

    #[test]
    fn no_servers_asked_means_no_line() {
        assert_eq!(item(&HostFacts::default()), None);
    }

    #[test]
    fn an_answer_is_fine_and_silence_a_warning_with_what_to_do() {
        let answered = HostFacts {
            stun: Some(Stun {
                answered: true,
                message: "203.0.113.7 (stun.example.net:3478)".into(),
            }),
            ..HostFacts::default()
        };
        assert_eq!(
            item(&answered),
            Some(Item::new(
                Mark::Ok,
                "Outbound STUN",
                "203.0.113.7 (stun.example.net:3478)"
            ))
        );
        let silent = HostFacts {
            public_ip: Some("203.0.113.7".parse().unwrap()),
            stun: Some(Stun {
                answered: false,
                message: "no STUN server answered within 2s (stun.example.net:3478)".into(),
            }),
            ..HostFacts::default()
        };
        // The address is known: LiveKit gets it from the plan and never asks.
        let line = item(&silent).unwrap();
        assert_eq!(line.mark, Mark::Ok);
        assert_eq!(
            line.detail,
            "no STUN server answered within 2s (stun.example.net:3478); not needed: selkie \
             gives LiveKit this server's address (203.0.113.7, rtc.node_ip), so LiveKit asks no \
             STUN server"
        );
        let unknown = HostFacts {
            public_ip: None,
            ..silent
        };
        let line = item(&unknown).unwrap();
        assert_eq!(line.mark, Mark::Warn);
        assert!(line.detail.starts_with(
            "no STUN server answered within 2s (stun.example.net:3478). This server's public \
             address is not known here"
        ));
        assert!(
            line.detail
                .contains("set rtc.node_ip to this server's public address"),
            "{line:?}"
        );
    }
}
