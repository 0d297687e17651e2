//! Properties of the plan over random answers: determinism, no port clashes, exposure, and host
//! firewall outputs that open exactly the public ports, each from its own source.

mod common;
mod firewall_extract;

use proptest::prelude::*;

use selkie::answers::{HostFirewall, Provider, ProxyMode, UdpMode};
use selkie::host::HostFacts;
use selkie::plan::{self, Exposure};
use selkie::preset;
use selkie::render;
use selkie::render::firewall;

fn arb_answers() -> impl Strategy<Value = (selkie::preset::Preset, selkie::answers::Answers)> {
    let presets = preset::all();
    (
        0..presets.len(),
        0..ProxyMode::ALL.len(),
        any::<bool>(),
        prop_oneof![1u32..=500, 1u32..=10_000],
        any::<bool>(),
        proptest::option::of(1024u16..=65535),
        0..3usize,
        0..Provider::ALL.len(),
    )
        .prop_map(
            move |(p, m, domain, people, mux, start, ssh_from, provider)| {
                let preset = presets[p].clone();
                let allowed: Vec<ProxyMode> = ProxyMode::ALL
                    .iter()
                    .copied()
                    .filter(|x| preset.allows(*x))
                    .collect();
                let proxy = allowed[m % allowed.len()];
                let mut answers =
                    common::answers(&preset, proxy, domain || proxy == ProxyMode::CaddyL4);
                answers.participants = people.try_into().unwrap();
                answers.udp = if mux { UdpMode::Mux } else { UdpMode::Range };
                answers.udp_start = start.map(|s| s.try_into().unwrap());
                answers.udp_end = None;
                // SSH (and the admin ports that follow it) open to everyone, or limited to a network.
                answers.ssh.allow_from = [None, Some(common::ADMIN), Some("2001:db8:4::/64")]
                    [ssh_from]
                    .map(|s| s.parse().unwrap());
                answers.provider = Provider::ALL[provider];
                (preset, answers)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn plans_are_deterministic_and_consistent((preset, answers) in arb_answers()) {
        let host = HostFacts::default();
        let first = plan::build(&answers, &preset, &host);
        let second = plan::build(&answers, &preset, &host);
        let plan = match (first, second) {
            (Ok(a), Ok(b)) => { prop_assert_eq!(&a, &b); a }
            (Err(a), Err(b)) => {
                // Only input the operator can fix is refused, and always the same way.
                prop_assert_eq!(a.exit_code(), 2, "{}", a);
                prop_assert_eq!(a.to_string(), b.to_string());
                return Ok(());
            }
            _ => { prop_assert!(false, "build is not deterministic"); unreachable!() }
        };
        prop_assert_eq!(render::public_files(&plan), render::public_files(&plan));

        // No two services claim one port on the host.
        let bound: Vec<_> = plan.ports.iter().filter(|p| p.exposure.binds_host()).collect();
        for (i, a) in bound.iter().enumerate() {
            for b in &bound[i + 1..] {
                prop_assert!(!a.overlaps(b), "{:?} and {:?} clash", a, b);
            }
        }

        // Each host firewall output opens exactly the public ports of the port table, each from
        // its own source (a limited port appears limited, an open one open in both families).
        let want = firewall_extract::expected(&plan);
        for kind in HostFirewall::ALL {
            let text = firewall::host(&plan, *kind);
            let opened = firewall_extract::host(*kind, &text);
            prop_assert!(
                opened == want,
                "{} opens the wrong ports or sources:\n  missing: {:?}\n  extra: {:?}",
                kind,
                want.difference(&opened).collect::<Vec<_>>(),
                opened.difference(&want).collect::<Vec<_>>()
            );
        }
        prop_assert!(plan.firewall.ssh.iter().all(|r| r.service == selkie::role::Role::Ssh));
        prop_assert!(!plan.firewall.ssh.is_empty());

        // Nothing internal, proxied or loopback is ever published beyond 127.0.0.1.
        for service in &plan.services {
            for publish in &service.publish {
                let row = plan.ports.iter().find(|p| p.service == service.name && p.port == publish.port);
                let exposure = row.map(|r| r.exposure);
                prop_assert!(exposure != Some(Exposure::Internal), "{} publishes an internal port", service.name);
                if publish.host_ip != "127.0.0.1" {
                    prop_assert_eq!(exposure, Some(Exposure::Public));
                }
            }
        }

        // The media ports fit the participants unless a preset fixed the range.
        let media = &plan.media;
        prop_assert!(media.start >= 1024 && media.end >= media.start);
        if media.mode == UdpMode::Range {
            prop_assert!(media.count() >= 2 * media.participants);
        } else {
            prop_assert_eq!(media.count(), 1);
        }
    }
}
