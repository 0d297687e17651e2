//! Coming back to the wizard (tests/wizard.rs): the draft Ctrl-C keeps and the next run continues
//! from, and `--resume` over a written deployment (only what depends on a change changes; a
//! hand-edited file is shown and kept).

use std::path::PathBuf;

use crate::harness::{read, Host, Term};

/// A run stopped with Ctrl-C at the participants step: it keeps a draft, and only that.
fn stop_at_the_participants_step(host: &Host) {
    {
        let t = Term::start(host, "--no-start");
        t.preflight();
        t.wait("Which stack should this server run?");
        t.keys(&["Down", "Up", "Enter"]);
        t.enter_at("Domain name or IP address:");
        t.enter_at("How should browsers reach the services?");
        t.wait("Expected peak number of people in calls at once:");
        t.keys(&["C-c"]);
        let screen = t.wait("DONE-");
        assert_eq!(t.exit_code(), 1, "{screen}");
        assert!(
            screen.contains("continue from the participants step"),
            "{screen}"
        );
    }
    let files = host.files();
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        vec![".selkie-draft.toml"],
        "only the draft is written"
    );
}

#[test]
fn ctrl_c_keeps_a_draft_and_the_next_run_continues_from_it() {
    let host = Host::new(None);
    stop_at_the_participants_step(&host);
    let t = Term::start(&host, "--no-start");
    t.preflight();
    t.enter_at("A setup stopped at the participants step was found.");
    let screen = t.wait("Expected peak number of people in calls at once:");
    assert!(screen.contains("participants (4 of 6)"), "{screen}");
    assert!(
        screen.contains("so far: livekit, 203.0.113.7, proxy caddy"),
        "{screen}"
    );
    t.typed("120");
    t.enter_at("Where does this server run?");
    t.consent();
    let summary = t.review_and_write();
    assert!(
        summary.contains("Participants: 120 -> UDP 50000-50289 (290 ports)"),
        "{summary}"
    );
    t.keep_from_second_login();
    assert_eq!(t.exit_code(), 0, "{}", t.screen());
    assert!(read(&host, "selkie.toml").contains("participants = 120"));
    assert!(!host.dir().join(".selkie-draft.toml").exists());
}

#[test]
fn declining_a_draft_starts_over_from_the_first_step() {
    let host = Host::new(None);
    stop_at_the_participants_step(&host);
    let t = Term::start(&host, "--no-start");
    t.preflight();
    t.wait("A setup stopped at the participants step was found.");
    t.keys(&["n", "Enter"]);
    let screen = t.wait("Which stack should this server run?");
    assert!(screen.contains("(1 of 6)"), "{screen}");
    assert!(
        !host.dir().join(".selkie-draft.toml").exists(),
        "the declined draft is removed"
    );
}

/// Through a `--resume` run, changing only the participants to 200.
fn resume_with_200(t: &Term) {
    t.preflight();
    t.enter_at("Which stack should this server run?");
    let screen = t.wait("Domain name or IP address: (203.0.113.7)");
    assert!(screen.contains("changing deployment"), "{screen}");
    t.keys(&["Enter"]);
    t.enter_at("How should browsers reach the services?");
    t.wait("Expected peak number of people in calls at once: (50)");
    t.typed("200");
    t.enter_at("Where does this server run?");
    // The saved deployment was written without consent: no stays the default.
    let screen = t.consent();
    assert!(screen.contains("(y/N)"), "{screen}");
}

#[test]
fn resume_changing_the_participants_changes_only_what_depends_on_them() {
    let host = Host::new(Some("Hetzner"));
    host.setup_non_interactive();
    let before = host.files();
    let t = Term::start(&host, "--resume --no-start");
    resume_with_200(&t);
    // The summary names each changed file first; the lines are a choice on it.
    let summary = t.wait("What now?");
    assert!(summary.contains("livekit/livekit.yaml (+"), "{summary}");
    assert!(
        summary.contains("Show the changes line by line"),
        "{summary}"
    );
    t.keys(&["Down", "Enter"]);
    t.wait_gone("What now?");
    let seen = t.page_until("What now?");
    assert!(
        seen.contains("+  port_range_end: 50479"),
        "no diff of livekit.yaml:\n{seen}"
    );
    t.keys(&["Enter"]);
    assert_eq!(t.exit_code(), 0, "{}", t.screen());
    let after = host.files();
    let changed: Vec<&String> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    let expected = [
        "firewall/clients.md",
        "firewall/cloud-hetzner.sh",
        "firewall/firewalld.sh",
        "firewall/iptables.sh",
        "firewall/nftables.nft",
        "firewall/ufw.sh",
        "livekit/livekit.yaml",
        "manifest.toml",
        "selkie.toml",
        "sysctl/99-selkie.conf",
    ];
    assert_eq!(changed, expected.iter().collect::<Vec<_>>());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    assert_eq!(before["secrets.toml"], after["secrets.toml"]);
    assert_eq!(before["livekit/keys.yaml"], after["livekit/keys.yaml"]);
}

/// A deployment written with flags, `line` appended by hand to its file `rel`, then a
/// `--resume` run through [`resume_with_200`]: the host, the file's path, its edited contents
/// and the terminal.
fn resumed_after_a_hand_edit(rel: &str, line: &str) -> (Host, PathBuf, String, Term) {
    let host = Host::new(None);
    host.setup_non_interactive();
    let path = host.dir().join(rel);
    let edited = format!("{}{line}\n", std::fs::read_to_string(&path).unwrap());
    std::fs::write(&path, &edited).unwrap();
    let t = Term::start(&host, "--resume --no-start");
    resume_with_200(&t);
    (host, path, edited, t)
}

#[test]
fn a_hand_edited_file_is_shown_and_kept_on_resume() {
    let (host, yaml, edited, t) =
        resumed_after_a_hand_edit("livekit/livekit.yaml", "# my own tuning");
    t.review_and_write();
    let seen = t.page_until("What should happen to livekit/livekit.yaml?");
    assert!(seen.contains("-# my own tuning"), "{seen}");
    let screen = t.screen();
    assert!(screen.contains("Keep mine"), "{screen}");
    t.keys(&["Enter"]);
    assert_eq!(t.exit_code(), 0, "{}", t.screen());
    assert_eq!(
        std::fs::read_to_string(&yaml).unwrap(),
        edited,
        "the edit survives"
    );
    assert!(read(&host, "selkie.toml").contains("participants = 200"));
    assert!(read(&host, "sysctl/99-selkie.conf").contains("50000-50479"));
}

#[test]
fn a_hand_edit_the_plan_leaves_alone_is_reviewed_as_kept_not_as_a_change() {
    let (_host, caddyfile, edited, t) =
        resumed_after_a_hand_edit("caddy/Caddyfile", "# my own site block");
    let summary = t.wait("What now?");
    assert!(
        summary.contains("Your edits:   caddy/Caddyfile (kept as you left them"),
        "{summary}"
    );
    assert!(!summary.contains("caddy/Caddyfile (+"), "{summary}");
    // The line-by-line changes do not show the edit going away.
    t.keys(&["Down", "Enter"]);
    t.wait("livekit/livekit.yaml (now)");
    let diffs = t.page_until("What now?");
    assert!(!diffs.contains("my own site block"), "{diffs}");
    t.review_and_write();
    assert_eq!(t.exit_code(), 0, "{}", t.screen());
    assert_eq!(
        std::fs::read_to_string(&caddyfile).unwrap(),
        edited,
        "the edit survives"
    );
}
