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
    let address = facts
        .public_ip
        .map_or("this server's public address".to_string(), |ip| {
            ip.to_string()
        });
    Some(Item::new(
        Mark::Warn,
        "Outbound STUN",
        format!(
            "{}. With a domain, LiveKit asks them for this server's address and will not \
             start without an answer: allow outbound UDP to them, or set rtc.node_ip to \
             {address} (a setup with --ip sets it for you)",
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
        let line = item(&silent).unwrap();
        assert_eq!(line.mark, Mark::Warn);
        assert!(line.detail.starts_with(
            "no STUN server answered within 2s (stun.example.net:3478). With a domain"
        ));
        assert!(
            line.detail.contains("set rtc.node_ip to 203.0.113.7"),
            "{line:?}"
        );
        let unknown = HostFacts {
            public_ip: None,
            ..silent
        };
        assert!(item(&unknown)
            .unwrap()
            .detail
            .contains("set rtc.node_ip to this server's public address"));
    }
}
