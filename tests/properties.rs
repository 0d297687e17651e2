//! Properties of the plan over random answers: determinism, no port clashes, exposure and
//! firewall consistency.

mod common;

use proptest::prelude::*;

use selkie::answers::{ProxyMode, UdpMode};
use selkie::host::HostFacts;
use selkie::plan::{self, Exposure};
use selkie::preset;
use selkie::render;

fn arb_answers() -> impl Strategy<Value = (selkie::preset::Preset, selkie::answers::Answers)> {
    let presets = preset::all();
    (
        0..presets.len(),
        0..ProxyMode::ALL.len(),
        any::<bool>(),
        prop_oneof![1u32..=500, 1u32..=10_000],
        any::<bool>(),
        proptest::option::of(1024u16..=65535),
    )
        .prop_map(move |(p, m, domain, people, mux, start)| {
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
            (preset, answers)
        })
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

        // The firewall opens exactly the public ports, SSH first.
        let public: Vec<_> = plan.public_ports().map(|p| (p.port, p.end, p.proto)).collect();
        let opened: Vec<_> = plan.firewall.all().map(|r| (r.port, r.end, r.proto)).collect();
        let mut a = public.clone(); a.sort();
        let mut b = opened.clone(); b.sort();
        prop_assert_eq!(a, b);
        prop_assert!(plan.firewall.ssh.iter().all(|r| r.service == "sshd"));
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
