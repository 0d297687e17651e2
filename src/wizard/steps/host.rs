//! Consent to change the host itself: apply the host firewall selkie wrote (commit-confirmed)
//! and load its kernel settings. One yes/no question, yes by default on a new deployment (the
//! saved answer on `--resume`), saved like `--apply-firewall --apply-sysctl`; not asked when
//! either flag was given.

use std::time::Duration;

use crate::host::installed_host_firewall;
use crate::wizard::prompt::{self, Asked};
use crate::wizard::Wizard;

/// Whether the step is asked: the flags did not already answer it.
pub fn needed(w: &Wizard) -> bool {
    !w.consent_by_flag
}

/// The default: the answer given earlier in this run, else yes on a new deployment and the
/// saved consent on `--resume`.
fn default(w: &Wizard) -> bool {
    let a = &w.answers.apply;
    w.consent.unwrap_or(!w.resume || a.firewall || a.sysctl)
}

/// The one sentence that says what is applied and how the firewall comes back by itself.
pub fn explain(firewall: &str, within: Duration) -> String {
    let keep = if within.is_zero() {
        "it is kept at once (--confirm-within 0), so check that a new SSH login works".to_string()
    } else {
        format!(
            "the firewall reverts by itself after {} unless you confirm it from a new SSH connection",
            minutes(within)
        )
    };
    format!(
        "selkie can apply the host firewall it wrote ({firewall}) and load its kernel settings \
         (/etc/sysctl.d/99-selkie.conf) now; {keep}."
    )
}

/// `5 minutes`, `90 s`.
fn minutes(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        60 => "1 minute".into(),
        _ if s.is_multiple_of(60) => format!("{} minutes", s / 60),
        _ => format!("{s} s"),
    }
}

/// Ask for the consent.
pub fn ask(w: &mut Wizard) -> Asked<()> {
    let kind = w
        .answers
        .apply
        .host_firewall
        .unwrap_or_else(|| installed_host_firewall(w.answers.provider));
    w.say(&explain(&kind.to_string(), w.options.confirm_within));
    println!();
    let yes = prompt::confirm(
        "Apply the host firewall and kernel settings now?",
        default(w),
        prompt::CONFIRM_HELP,
    )?;
    w.consent = Some(yes);
    w.answers.apply.firewall = yes;
    w.answers.apply.sysctl = yes;
    w.log.note(format!("apply firewall and sysctl: {yes}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_names_the_firewall_the_deadline_and_the_way_back() {
        let text = explain("ufw", Duration::from_secs(300));
        assert!(
            text.contains("(ufw)") && text.contains("after 5 minutes"),
            "{text}"
        );
        assert!(text.contains("new SSH connection"), "{text}");
        assert_eq!(text.matches(". ").count(), 0, "one sentence: {text}");
        assert!(explain("nftables", Duration::from_secs(90)).contains("after 90 s"));
        assert!(explain("ufw", Duration::ZERO).contains("kept at once"));
    }
}
