//! Lines drawn from `HostFacts` alone: the ephemeral port range, the cloud provider and SSH.

use super::{Item, Mark};
use crate::host::HostFacts;

/// The kernel's ephemeral port range, noting that selkie keeps its media ports out of it.
pub fn ephemeral_item(facts: &HostFacts) -> Item {
    let (lo, hi) = facts.ephemeral;
    Item::new(
        Mark::Ok,
        "Ephemeral ports",
        format!(
            "{lo}-{hi} (outgoing connections); selkie reserves any media ports inside it \
             (net.ipv4.ip_local_reserved_ports)"
        ),
    )
}

/// The cloud provider detected offline from DMI, or none.
pub fn provider_item(facts: &HostFacts) -> Item {
    let detail = match facts.provider {
        Some(p) => format!("{}, from the machine's DMI strings", p.title()),
        None => "none detected (bare metal or an unknown cloud)".to_string(),
    };
    Item::new(Mark::Ok, "Cloud provider", detail)
}

/// The SSH port(s) and where the operator connects from; a warning when no session was seen.
pub fn ssh_item(facts: &HostFacts) -> Item {
    let ports: Vec<String> = facts.ssh_ports.iter().map(u16::to_string).collect();
    let mut on = match ports.as_slice() {
        [one] => format!("SSH on {one}"),
        [init @ .., last] => format!("SSH on {} and {last}", init.join(", ")),
        [] => "SSH on 22".to_string(),
    };
    if facts.ssh_guessed {
        on.push_str(" (assumed: no readable sshd_config)");
    }
    match facts.ssh_client {
        Some(client) => Item::new(
            Mark::Ok,
            "SSH",
            format!("{on}, you are connecting from {client}"),
        ),
        None => Item::new(
            Mark::Warn,
            "SSH",
            format!(
                "{on}; no SSH session seen (a web console, or sudo dropped SSH_CONNECTION): \
                 ask yourself which address you will administer from, so the firewall lets \
                 it in"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::Provider;

    #[test]
    fn ssh_names_ports_and_client() {
        let facts = HostFacts {
            ssh_client: Some("203.0.113.9".parse().unwrap()),
            ..HostFacts::default()
        };
        assert_eq!(
            ssh_item(&facts),
            Item::new(
                Mark::Ok,
                "SSH",
                "SSH on 22, you are connecting from 203.0.113.9"
            )
        );
        let console = HostFacts {
            ssh_ports: vec![22, 2222],
            ..HostFacts::default()
        };
        let item = ssh_item(&console);
        assert_eq!(item.mark, Mark::Warn);
        assert!(item
            .detail
            .starts_with("SSH on 22 and 2222; no SSH session seen"));
        assert!(item
            .detail
            .contains("which address you will administer from"));
        let guessed = HostFacts {
            ssh_guessed: true,
            ..HostFacts::default()
        };
        assert!(ssh_item(&guessed).detail.contains("assumed"));
    }

    #[test]
    fn provider_and_ephemeral_range_are_named() {
        let hetzner = HostFacts {
            provider: Some(Provider::Hetzner),
            ..HostFacts::default()
        };
        assert!(provider_item(&hetzner).detail.starts_with("Hetzner Cloud"));
        assert_eq!(
            provider_item(&HostFacts::default()).detail,
            "none detected (bare metal or an unknown cloud)"
        );
        let eph = ephemeral_item(&HostFacts::default());
        assert_eq!(eph.mark, Mark::Ok);
        assert!(eph.detail.starts_with("32768-60999") && eph.detail.contains("reserves"));
    }
}
