//! Fixtures shared by the integration tests: every preset x proxy mode x domain/IP plan.
#![allow(dead_code)]

pub mod docker;
pub mod run;
#[path = "../../src/testing.rs"]
mod testing;

use selkie::answers::{Answers, ProxyMode};
use selkie::host::HostFacts;
use selkie::plan::{self, Plan};
use selkie::preset::{self, Preset};
use selkie::secrets::Secrets;

/// The domain used by every domain-mode fixture.
pub const DOMAIN: &str = "meet.example.com";
/// A documentation address (RFC 5737) used by every IP-mode fixture.
pub const IP: &str = "203.0.113.7";
/// The operator's address in fixtures that restrict SSH.
pub const ADMIN: &str = "198.51.100.4/32";

/// The answers a non-interactive setup would save for this combination: the library's own
/// fixture (src/testing.rs) at [`DOMAIN`] or [`IP`], SSH restricted to [`ADMIN`] where the
/// preset restricts it.
pub fn answers(preset: &Preset, proxy: ProxyMode, domain: bool) -> Answers {
    let mut answers = testing::answers(preset, proxy, if domain { DOMAIN } else { IP });
    answers.ssh.allow_from = preset.defaults.restrict_ssh.then(|| ADMIN.parse().unwrap());
    answers
}

/// A fixture plan, named `preset-proxy-domain|ip`.
pub struct Case {
    pub name: String,
    pub preset: Preset,
    pub answers: Answers,
    pub plan: Plan,
}

/// Every valid combination of preset, allowed proxy mode and address kind.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for preset in preset::all() {
        for proxy in ProxyMode::ALL.iter().copied().filter(|m| preset.allows(*m)) {
            for domain in [true, false] {
                // Layer-4 routing needs host names; a VPN preset needs its VPN address.
                if (proxy == ProxyMode::CaddyL4 && !domain) || (preset.vpn.is_some() && domain) {
                    continue;
                }
                let answers = answers(&preset, proxy, domain);
                let plan = match plan::build(&answers, &preset, &HostFacts::default()) {
                    Ok(p) => p,
                    Err(e) => panic!("{} {proxy} domain={domain}: {e}", preset.name),
                };
                out.push(Case {
                    name: format!(
                        "{}-{}-{}",
                        preset.name,
                        proxy,
                        if domain { "domain" } else { "ip" }
                    ),
                    preset: preset.clone(),
                    answers,
                    plan,
                });
            }
        }
    }
    out
}

/// Fixed, obviously fake secrets for rendering secret files in tests.
pub fn fake_secrets(plan: &Plan) -> Secrets {
    let mut s = Secrets {
        livekit_api_key: "APIfixturekey".into(),
        livekit_api_secret: "fixture-secret-0123456789abcdefghijklmnopqrstuv".into(),
        extra: Default::default(),
    };
    for name in plan.secrets.iter().filter(|n| *n != "livekit_api_secret") {
        s.extra.insert(name.clone(), format!("fixture-{name}"));
    }
    s
}

/// Fail with an install hint when a tool the tests use is missing (never skip).
pub fn require_tool(cmd: &str, package: &str) {
    assert!(
        selkie::host::on_path(cmd),
        "`{cmd}` is needed by this test: apt-get install {package} (.ci/run installs it)"
    );
}
