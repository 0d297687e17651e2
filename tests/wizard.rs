//! The interactive wizard, driven through the real binary in an 80x24 pseudo-terminal (tmux):
//! every prompt is waited for on the screen before it is answered.

mod common;
#[path = "wizard/harness.rs"]
mod harness;
#[path = "lab/helper.rs"]
mod helper;
#[path = "wizard/netns.rs"]
mod netns;

use harness::{read, Host, Term};
use netns::host_firewall;

#[test]
fn a_first_run_in_ip_mode_takes_the_defaults_and_changes_a_step_from_the_summary() {
    let host = Host::new(None);
    let machine = host_firewall();
    let t = Term::start(&host, "--no-start");
    t.preflight();
    t.wait("Which stack should this server run?");
    t.keys(&["Enter"]);
    let screen = t.wait("Domain name or IP address: (203.0.113.7)");
    assert!(
        screen.contains("every device must import") && screen.contains("must point it at"),
        "the address question says what each choice costs:\n{screen}"
    );
    t.keys(&["Enter"]);
    // 203.0.113.7 is a public address: a public CA's six-day certificate is the default.
    let screen = t.wait("six-day public certificate");
    assert!(
        screen.contains("How should browsers reach the services?"),
        "{screen}"
    );
    t.keys(&["Enter"]);
    let screen = t.wait("Expected peak number of people in calls at once: (50)");
    assert!(screen.contains("50 participants x 2 UDP ports"), "{screen}");
    t.keys(&["Enter"]);
    t.wait("Where does this server run?");
    t.keys(&["Enter"]);
    let screen = squash(&t.consent());
    assert!(
        screen.contains("host firewall it wrote (ufw)")
            && screen.contains(
                "reverts by itself after 5 minutes unless you confirm it from a new SSH connection"
            ),
        "one sentence says what is applied and how it comes back:\n{screen}"
    );
    // The one-screen summary comes first; the whole review is a choice on it.
    let summary = t.wait("What now?");
    assert!(!summary.contains("-- more"), "{summary}");
    assert!(
        summary.contains("Host:         firewall (ufw) and kernel settings applied"),
        "{summary}"
    );
    assert!(
        summary.contains("Participants: 50 -> UDP 50000-50119"),
        "{summary}"
    );
    assert!(
        summary.contains("secret ") && summary.contains("****"),
        "{summary}"
    );
    let key = api_key(&summary);
    t.keys(&["Down", "Enter"]);
    let review = t.wait("-- more");
    assert!(
        review.contains("PORT") && review.contains("50000-50119"),
        "{review}"
    );
    t.keys(&["q"]);
    t.wait("What now?");
    // Change a step from the summary, and come straight back to it.
    t.keys(&["Down", "Down", "Enter"]);
    t.wait("Change which answer?");
    t.keys(&["Down", "Down", "Down", "Enter"]);
    t.wait("Expected peak number of people in calls at once: (50)");
    t.typed("80");
    let summary = t.wait("What now?");
    assert!(
        summary.contains("Participants: 80 -> UDP 50000-50199"),
        "{summary}"
    );
    assert_eq!(api_key(&summary), key, "the API key is made once per run");
    t.keys(&["Enter"]);
    let end = t.keep_from_second_login();
    assert_eq!(t.exit_code(), 0, "{end}");
    assert!(end.contains("Log of this run:"), "{end}");
    assert!(
        end.contains("A new SSH connection from 198.51.100.4 to port 22 is open"),
        "{end}"
    );
    // Live in the server's namespace: ufw's chains with the plan's ports; SSH still answers.
    let rules = t.net.ruleset();
    assert!(
        rules.contains("ufw-user-input") && rules.contains("50000-50199"),
        "{rules}"
    );
    assert!(t.net.reaches(22) && !t.net.reaches(9999));
    assert!(t
        .net
        .read("/etc/sysctl.d/99-selkie.conf")
        .contains("50000-50199"));
    assert!(
        t.net
            .read("/proc/sys/net/ipv4/ip_local_reserved_ports")
            .contains("50000-50199"),
        "the kernel setting is loaded in the namespace"
    );
    assert!(host.dir().join("applied/firewall/confirmed").is_file());
    assert_eq!(
        t.net.quiet_within(5),
        Vec::<String>::new(),
        "the revert timer is gone"
    );
    assert_eq!(
        host_firewall(),
        machine,
        "the machine's own firewall changed"
    );
    let answers = read(&host, "selkie.toml");
    assert!(
        answers.contains("[apply]\nfirewall = true\nsysctl = true"),
        "{answers}"
    );
    assert!(answers.contains("ip = \"203.0.113.7\""), "{answers}");
    assert!(answers.contains("participants = 80"), "{answers}");
    assert!(read(&host, "secrets.toml").contains(&key));
    assert!(host.dir().join("caddy/Caddyfile").is_file());
    assert!(!host.dir().join(".selkie-draft.toml").exists());
    let logs: Vec<_> = std::fs::read_dir(host.dir().join("logs"))
        .unwrap()
        .collect();
    assert_eq!(logs.len(), 1);
    let log = std::fs::read_to_string(logs[0].as_ref().unwrap().path()).unwrap();
    let secrets = read(&host, "secrets.toml");
    let secret = secrets
        .lines()
        .find_map(|l| l.strip_prefix("livekit_api_secret = \""))
        .unwrap()
        .trim_end_matches('"');
    assert!(log.contains("check Warn: Docker") && log.contains("livekit/livekit.yaml: Created"));
    assert!(!log.contains(secret), "the log holds the API secret");
}

/// The screen's words, one space between each (wrapped lines joined).
fn squash(screen: &str) -> String {
    screen.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The API key on the summary's screen.
fn api_key(summary: &str) -> String {
    summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("API key:"))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no API key on the summary:\n{summary}"))
        .to_string()
}

#[test]
fn a_first_run_in_domain_mode_explains_dns_and_writes_the_domain() {
    let host = Host::new(Some("DigitalOcean"));
    let t = Term::start(&host, "--no-start");
    t.preflight();
    t.wait("Which stack should this server run?");
    t.keys(&["Enter"]);
    t.wait("Domain name or IP address:");
    t.clear();
    t.typed("meet.selkie-test.invalid");
    let screen = t.wait("Use this name anyway?");
    assert!(
        screen.contains("HTTPS certificates will fail until DNS points here"),
        "{screen}"
    );
    t.keys(&["Enter"]);
    let screen = t.wait("How should browsers reach the services?");
    assert!(screen.contains("automatic certificates"), "{screen}");
    t.keys(&["Enter"]);
    t.wait("Expected peak number of people in calls at once:");
    t.keys(&["Enter"]);
    let screen = t.wait("Where does this server run?");
    assert!(screen.contains("DigitalOcean (detected)"), "{screen}");
    t.keys(&["Enter"]);
    t.wait("Apply the host firewall and kernel settings now?");
    t.keys(&["n", "Enter"]);
    let summary = t.review_and_write();
    assert!(
        summary.contains("Host:         nothing applied (firewall/, sysctl/ by hand)"),
        "{summary}"
    );
    assert_eq!(t.exit_code(), 0, "{}", t.screen());
    assert!(!t.net.ruleset().contains("ufw"), "{}", t.net.ruleset());
    assert!(!host.dir().join("applied").exists());
    let answers = read(&host, "selkie.toml");
    assert!(!answers.contains("[apply]"), "{answers}");
    assert!(
        answers.contains("domain = \"meet.selkie-test.invalid\""),
        "{answers}"
    );
    assert!(answers.contains("provider = \"digitalocean\""), "{answers}");
    assert!(read(&host, "dns.txt").contains("meet.selkie-test.invalid"));
    assert!(host.dir().join("firewall/cloud-digitalocean.sh").is_file());
}

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
    t.wait("Which stack should this server run?");
    t.keys(&["Enter"]);
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
    t.wait("How should browsers reach the services?");
    t.keys(&["Enter"]);
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
fn ctrl_c_keeps_a_draft_and_the_next_run_continues_from_it() {
    let host = Host::new(None);
    {
        let t = Term::start(&host, "--no-start");
        t.preflight();
        t.wait("Which stack should this server run?");
        t.keys(&["Down", "Up", "Enter"]);
        t.wait("Domain name or IP address:");
        t.keys(&["Enter"]);
        t.wait("How should browsers reach the services?");
        t.keys(&["Enter"]);
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
    let t = Term::start(&host, "--no-start");
    t.preflight();
    t.wait("A setup stopped at the participants step was found.");
    t.keys(&["Enter"]);
    let screen = t.wait("Expected peak number of people in calls at once:");
    assert!(screen.contains("participants (4 of 6)"), "{screen}");
    assert!(
        screen.contains("so far: livekit, 203.0.113.7, proxy caddy"),
        "{screen}"
    );
    t.typed("120");
    t.wait("Where does this server run?");
    t.keys(&["Enter"]);
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

/// Through a `--resume` run, changing only the participants to 200.
fn resume_with_200(t: &Term) {
    t.preflight();
    t.wait("Which stack should this server run?");
    t.keys(&["Enter"]);
    let screen = t.wait("Domain name or IP address: (203.0.113.7)");
    assert!(screen.contains("changing deployment"), "{screen}");
    t.keys(&["Enter"]);
    t.wait("How should browsers reach the services?");
    t.keys(&["Enter"]);
    t.wait("Expected peak number of people in calls at once: (50)");
    t.typed("200");
    t.wait("Where does this server run?");
    t.keys(&["Enter"]);
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

#[test]
fn a_hand_edited_file_is_shown_and_kept_on_resume() {
    let host = Host::new(None);
    host.setup_non_interactive();
    let yaml = host.dir().join("livekit/livekit.yaml");
    let edited = format!(
        "{}# my own tuning\n",
        std::fs::read_to_string(&yaml).unwrap()
    );
    std::fs::write(&yaml, &edited).unwrap();
    let t = Term::start(&host, "--resume --no-start");
    resume_with_200(&t);
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
    t.wait("Which stack should this server run?");
    t.keys(&["Enter"]);
    t.wait("Domain name or IP address: (203.0.113.7)");
    t.keys(&["Enter"]);
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
    t.wait("How should browsers reach the services?");
    t.keys(&["Enter"]);
    t.wait("Expected peak number of people in calls at once:");
    t.keys(&["Enter"]);
    t.wait("Where does this server run?");
    t.keys(&["Enter"]);
    t.consent();
    t.wait("What now?");
    t.keys(&["Escape"]);
    t.wait("Apply the host firewall and kernel settings now?");
    t.keys(&["Escape"]);
    t.wait("Where does this server run?");
    t.keys(&["Enter"]);
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
    t.wait("Which stack should this server run?");
    t.keys(&["Enter"]);
    t.wait("Domain name or IP address: (meet.selkie-test.invalid)");
    t.keys(&["Enter"]);
    t.wait("Use this name anyway?");
    t.keys(&["Enter"]);
    t.wait("How should browsers reach the services?");
    t.keys(&["Enter"]);
    let screen = t.wait("Host names:");
    assert!(
        screen.contains("LiveKit at lk.meet.selkie-test.invalid")
            && screen.contains("turn.meet.selkie-test.invalid"),
        "{screen}"
    );
    t.keys(&["Enter"]);
    t.wait("Expected peak number of people in calls at once:");
    t.keys(&["Enter"]);
    t.wait("Where does this server run?");
    t.keys(&["Enter"]);
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
