//! What the operator reads at the end of a setup run.

use crate::answers::HostChanges;
use crate::plan::Plan;
use crate::render::{cloud_firewall_path, firewall};
use crate::secrets;
use crate::setup::Committed;
use crate::state::FileAction;

fn action_word(a: FileAction) -> &'static str {
    match a {
        FileAction::Created => "created",
        FileAction::Updated => "updated",
        FileAction::Unchanged => "unchanged",
        FileAction::KeptEdit => "kept your edit",
        FileAction::ReplacedEdit => "replaced your edit (backed up)",
        FileAction::Removed => "removed (backed up)",
        FileAction::LeftEdited => "no longer used; left in place because you edited it",
    }
}

/// What the operator reads at the end of a run. Secrets appear masked only.
pub fn summary(outcome: &Committed) -> String {
    let plan = &outcome.plan;
    let mut out = String::new();
    for note in &outcome.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(&super::plan::describe(plan));
    out.push_str("\nFiles\n");
    for (path, action) in &outcome.report.files {
        if outcome.resumed && *action == FileAction::Unchanged {
            continue;
        }
        out.push_str(&format!("  {path:<28} {}\n", action_word(*action)));
    }
    if outcome.resumed && outcome.report.changed().next().is_none() {
        out.push_str("  nothing changed\n");
    }
    if let Some(backup) = &outcome.report.backup {
        out.push_str(&format!("  previous versions: {}\n", backup.display()));
    }
    out.push_str(&format!(
        "\nLiveKit API key:    {}\nLiveKit API secret: {} (in secrets.toml, mode 0600)\n",
        outcome.secrets.livekit_api_key,
        secrets::mask(&outcome.secrets.livekit_api_secret)
    ));
    out.push_str("\nNext steps\n");
    let steps = next_steps(plan, &outcome.answers.apply);
    if steps.is_empty() {
        out.push_str("  none by hand: selkie does the rest below\n");
    }
    for (i, step) in steps.iter().enumerate() {
        out.push_str(&format!("  {}. {step}\n", i + 1));
    }
    out
}

/// The plan's next steps less what this run does itself: the host firewall and the kernel
/// settings when the operator consented (the cloud firewall stays, as a step of its own, since
/// selkie drives no provider's API), and starting the containers, which setup always does
/// (`--no-start` says so on its own line).
pub fn next_steps(plan: &Plan, consent: &HostChanges) -> Vec<String> {
    let mut steps = Vec::new();
    for step in &plan.next_steps {
        if step.starts_with("Containers:") {
            continue;
        }
        if consent.sysctl && step.starts_with("Install the kernel settings:") {
            continue;
        }
        if consent.firewall && step.starts_with("Open the firewall:") {
            if firewall::cloud(plan, plan.firewall.provider).is_some() {
                steps.push(format!(
                    "Open {}'s cloud firewall (selkie applied the host firewall, not this one): run \
                     {} with the provider's CLI signed in, or open the same ports in its console.",
                    plan.firewall.provider.title(),
                    cloud_firewall_path(plan.firewall.provider)
                ));
            }
            continue;
        }
        steps.push(step.clone());
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::{Provider, ProxyMode};
    use crate::render::firewall::tests::plan;

    /// The figure: what a domain deployment with consent leaves to the operator, per
    /// provider (printed with `cargo test --lib report::setup -- --nocapture`).
    #[test]
    fn with_consent_only_dns_and_a_cloud_firewall_are_left() {
        let consent = HostChanges {
            firewall: true,
            sysctl: true,
            host_firewall: None,
        };
        for provider in [Provider::None, Provider::Aws, Provider::Hetzner] {
            let mut p = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
            p.firewall.provider = provider;
            let steps = next_steps(&p, &consent);
            println!(
                "next steps left, livekit with a domain, provider {provider}: {}",
                steps.len()
            );
            for s in &steps {
                println!("  - {s}");
            }
            assert!(
                steps[0].starts_with("Point DNS at this server"),
                "{steps:?}"
            );
            let cloud = firewall::cloud(&p, provider).is_some();
            assert_eq!(steps.len(), 1 + usize::from(cloud), "{steps:?}");
            if cloud {
                assert!(
                    steps[1].contains(&cloud_firewall_path(provider)),
                    "{steps:?}"
                );
            }
        }
    }

    #[test]
    fn without_consent_the_host_steps_stay() {
        let p = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        let steps = next_steps(&p, &HostChanges::default());
        assert!(
            steps.iter().any(|s| s.starts_with("Open the firewall:")),
            "{steps:?}"
        );
        assert!(
            steps
                .iter()
                .any(|s| s.starts_with("Install the kernel settings:")),
            "{steps:?}"
        );
        assert!(
            !steps.iter().any(|s| s.starts_with("Containers:")),
            "{steps:?}"
        );
    }
}
