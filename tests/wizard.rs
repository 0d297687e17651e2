//! The interactive wizard, driven through the real binary in an 80x24 pseudo-terminal (tmux):
//! every prompt is waited for on the screen before it is answered.

mod common;
#[path = "wizard/first_run.rs"]
mod first_run;
#[path = "wizard/harness.rs"]
mod harness;
#[path = "lab/helper.rs"]
mod helper;
#[path = "wizard/netns.rs"]
mod netns;
#[path = "wizard/resume.rs"]
mod resume;
#[path = "wizard/steps.rs"]
mod steps;

use harness::{read, Host, Term};
use netns::host_firewall;

#[test]
fn a_typo_is_explained_and_asked_again_in_an_ascii_locale() {
    let mut host = Host::new(None);
    host.lang = "C";
    let t = Term::start(&host, "--no-start");
    t.preflight();
    let screen = t.screen();
    assert!(
        screen.is_ascii(),
        "a non-UTF-8 locale gets ASCII only:\n{screen}"
    );
    t.enter_at("Which stack should this server run?");
    t.wait("Domain name or IP address:");
    t.typed("https://x.com/");
    let screen = t.wait("is part of a URL");
    assert!(
        screen.contains("enter just the host name, e.g. x.com"),
        "{screen}"
    );
    assert!(screen.contains("? Domain name or IP address:"), "{screen}");
    t.clear();
    t.typed("203.0.113.7");
    t.enter_at("How should browsers reach the services?");
    t.wait("Expected peak number of people in calls at once:");
    t.typed("lots");
    let screen = t.wait("is not a number of participants");
    assert!(screen.contains("whole number from 1 to 10000"), "{screen}");
    t.clear();
    t.typed("0");
    t.wait("out of range");
    t.clear();
    t.typed("10");
    t.wait("Where does this server run?");
    // Esc goes back one question, to the answer just given.
    t.keys(&["Escape"]);
    t.wait("Expected peak number of people in calls at once: (10)");
    // Ctrl-C ends the wizard, keeping a draft.
    t.keys(&["C-c"]);
    assert_eq!(t.exit_code(), 1);
    assert!(!host.dir().join("selkie.toml").exists());
    assert!(host.dir().join(".selkie-draft.toml").exists());
}

#[test]
fn missing_docker_blocks_only_a_run_that_would_start_containers() {
    let host = Host::new(None);
    let t = Term::start(&host, "");
    // Docker is missing and containers are to be started: selkie offers to install it.
    let offer = t.wait("Install it from your distribution's packages");
    assert!(offer.contains("✗ Docker"), "{offer}");
    t.keys(&["n", "Enter"]);
    let screen = t.wait("DONE-");
    assert!(screen.contains("setup cannot go on"), "{screen}");
    assert_eq!(t.exit_code(), 1, "{screen}");
    assert!(!host.dir().exists(), "nothing is written");
}

/// `--image` flags giving a stand-in reference for each service of `preset` without a public one
/// (the operator's own image; the wizard offers it as its default).
fn stand_in_images(preset: &str) -> String {
    let p = selkie::preset::find(preset).unwrap();
    p.services
        .iter()
        .filter(|s| s.image.is_none())
        .map(|s| format!(" --image {0}=registry.example.com/{0}:1", s.name))
        .collect()
}

#[test]
fn enter_alone_writes_every_preset_in_at_most_eight_presses_at_80x24() {
    let machine = host_firewall();
    for preset in selkie::preset::all() {
        let name = preset.name.clone();
        let host = Host::new(None);
        let args = format!("--no-start --preset {name}{}", stand_in_images(&name));
        let t = Term::start(&host, &args);
        let (presses, screens) = t.enter_until_done(8);
        let last = screens.last().cloned().unwrap_or_default();
        // Written, and the firewall live in the namespace, waiting to be kept.
        assert!(host.dir().join("manifest.toml").is_file(), "{name}: {last}");
        assert!(t.net.ruleset().contains("ufw-user-input"), "{name}: {last}");
        println!("{name}: {presses} key presses to a written deployment");
        t.keep_from_second_login();
        assert_eq!(t.exit_code(), 0, "{name}: {}", t.screen());
        assert!(presses <= 8, "{name}: {presses} presses");
        let answers = read(&host, "selkie.toml");
        assert!(
            answers.contains(&format!("preset = \"{name}\"")),
            "{answers}"
        );
        assert!(host.dir().join("manifest.toml").is_file(), "{name}");
        for screen in screens.iter().chain([&t.screen()]) {
            let over = t.overflowing(screen);
            assert!(over.is_empty(), "{name}: lines past 80 columns: {over:#?}");
        }
    }
    assert_eq!(
        host_firewall(),
        machine,
        "the machine's own firewall changed"
    );
}

#[test]
fn at_60x20_nothing_breaks_mid_word_and_the_so_far_line_fits() {
    let host = Host::new(Some("Hetzner"));
    let t = Term::sized(&host, "--no-start", 60, 20);
    let (presses, mut screens) = t.enter_until_done(8);
    t.keep_from_second_login();
    screens.push(t.screen());
    assert_eq!(t.exit_code(), 0, "{:?}", screens.last());
    assert!(presses <= 8, "{presses}");
    let mut so_far = 0;
    for screen in &screens {
        let over = t.overflowing(screen);
        assert!(
            over.is_empty(),
            "lines past 60 columns: {over:#?}\n{screen}"
        );
        so_far += usize::from(screen.contains("so far:"));
    }
    assert!(so_far > 0, "no question showed the answers so far");
    assert!(read(&host, "selkie.toml").contains("provider = \"hetzner\""));
}

#[test]
fn esc_goes_back_one_question_and_the_summary_back_to_the_last() {
    let host = Host::new(None);
    let t = Term::start(&host, "--no-start");
    t.preflight();
    t.enter_at("Which stack should this server run?");
    t.enter_at("Domain name or IP address: (203.0.113.7)");
    t.wait("How should browsers reach the services?");
    t.keys(&["Escape"]);
    let screen = t.wait("Domain name or IP address: (203.0.113.7)");
    assert!(!screen.contains("How should browsers"), "{screen}");
    // Shell line editing: Ctrl-W takes back the last word, Ctrl-U the whole line.
    t.tmux(&["send-keys", "-l", "meet.example.com wrong"]);
    t.keys(&["C-w", "C-w"]);
    t.tmux(&["send-keys", "-l", "198.51.100.9"]);
    t.keys(&["C-u"]);
    t.tmux(&["send-keys", "-l", "203.0.113.8"]);
    t.keys(&["Enter"]);
    t.enter_at("How should browsers reach the services?");
    t.enter_at("Expected peak number of people in calls at once:");
    t.enter_at("Where does this server run?");
    t.consent();
    t.wait("What now?");
    t.keys(&["Escape"]);
    t.wait("Apply the host firewall and kernel settings now?");
    t.keys(&["Escape"]);
    t.enter_at("Where does this server run?");
    t.consent();
    t.review_and_write();
    t.keep_from_second_login();
    assert_eq!(t.exit_code(), 0, "{}", t.screen());
    assert!(read(&host, "selkie.toml").contains("ip = \"203.0.113.8\""));
}

#[test]
fn caddy_l4_host_names_are_used_as_shown() {
    let host = Host::new(None);
    let t = Term::start(
        &host,
        "--no-start --proxy caddy-l4 --domain meet.selkie-test.invalid",
    );
    t.preflight();
    t.enter_at("Which stack should this server run?");
    t.enter_at("Domain name or IP address: (meet.selkie-test.invalid)");
    t.enter_at("Use this name anyway?");
    t.enter_at("How should browsers reach the services?");
    let screen = t.wait("Host names:");
    assert!(
        screen.contains("LiveKit at lk.meet.selkie-test.invalid")
            && screen.contains("turn.meet.selkie-test.invalid"),
        "{screen}"
    );
    t.keys(&["Enter"]);
    t.enter_at("Expected peak number of people in calls at once:");
    t.enter_at("Where does this server run?");
    t.consent();
    let summary = t.review_and_write();
    assert!(
        summary.contains("wss://lk.meet.selkie-test.invalid"),
        "{summary}"
    );
    t.keep_from_second_login();
    assert_eq!(t.exit_code(), 0, "{}", t.screen());
    let answers = read(&host, "selkie.toml");
    assert!(
        answers.contains("livekit = \"lk.meet.selkie-test.invalid\""),
        "{answers}"
    );
    assert!(read(&host, "dns.txt").contains("lk.meet.selkie-test.invalid"));
}

#[test]
fn a_wizard_killed_while_the_firewall_waits_leaves_the_revert_to_its_timer() {
    let host = Host::new(None);
    let machine = host_firewall();
    let t = Term::start(&host, "--no-start --confirm-within 10s");
    assert!(t.net.reaches(22) && t.net.reaches(9999), "before anything");
    let (presses, _) = t.enter_until_done(8);
    let screen = t.wait(harness::KEEP_PROMPT);
    assert!(presses <= 8, "{presses}");
    assert!(!t.net.reaches(9999), "the firewall is not live:\n{screen}");
    let pending = read(&host, "applied/firewall/pending.toml");
    assert!(pending.contains("kind = \"detached\""), "{pending}");
    // selkie dies (not a clean exit): the revert does not depend on it.
    let pid = t.net.selkie_pid().expect("selkie runs in the namespace");
    // SAFETY: a signal to the selkie process this test started.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) }, 0);
    assert_eq!(t.exit_code(), 137);
    let start = std::time::Instant::now();
    let reverted = host.dir().join("applied/firewall/reverted");
    while !reverted.exists() && start.elapsed() < std::time::Duration::from_secs(30) {
        assert!(t.net.reaches(22), "SSH stopped answering");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let log =
        std::fs::read_to_string(host.dir().join("applied/firewall/revert.log")).unwrap_or_default();
    assert!(reverted.exists(), "no revert by itself; log:\n{log}");
    assert!(
        log.contains("reverting the ufw firewall applied at"),
        "{log}"
    );
    assert!(
        t.net.reaches(22) && t.net.reaches(9999),
        "the rules from before are back"
    );
    assert_eq!(
        host_firewall(),
        machine,
        "the machine's own firewall changed"
    );
}
