//! A first run of the wizard (tests/wizard.rs), in IP mode with the defaults and a step changed
//! from the summary, and in domain mode with the DNS explained.

use crate::harness::{read, Host, Term};
use crate::netns::host_firewall;

#[test]
fn a_first_run_in_ip_mode_takes_the_defaults_and_changes_a_step_from_the_summary() {
    let host = Host::new(None);
    let machine = host_firewall();
    let t = Term::start(&host, "--no-start");
    t.preflight();
    t.enter_at("Which stack should this server run?");
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
    t.enter_at("Where does this server run?");
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
        summary.contains("Host:         apply the firewall (ufw) and kernel settings"),
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
    applied_and_written(&t, &host, &machine, &key);
}

/// After the IP-mode run: what is live in the server's namespace (ufw's chains with the plan's
/// ports; SSH still answers), the machine's own firewall untouched, and what was written.
fn applied_and_written(t: &Term, host: &Host, machine: &str, key: &str) {
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
    let answers = read(host, "selkie.toml");
    assert!(
        answers.contains("[apply]\nfirewall = true\nsysctl = true"),
        "{answers}"
    );
    assert!(answers.contains("ip = \"203.0.113.7\""), "{answers}");
    assert!(answers.contains("participants = 80"), "{answers}");
    assert!(read(host, "secrets.toml").contains(key));
    assert!(host.dir().join("caddy/Caddyfile").is_file());
    assert!(!host.dir().join(".selkie-draft.toml").exists());
    let logs: Vec<_> = std::fs::read_dir(host.dir().join("logs"))
        .unwrap()
        .collect();
    assert_eq!(logs.len(), 1);
    let log = std::fs::read_to_string(logs[0].as_ref().unwrap().path()).unwrap();
    let secrets = read(host, "secrets.toml");
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
    t.enter_at("Which stack should this server run?");
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
    t.enter_at("Expected peak number of people in calls at once:");
    let screen = t.wait("Where does this server run?");
    assert!(screen.contains("DigitalOcean (detected)"), "{screen}");
    t.keys(&["Enter"]);
    t.wait("Apply the host firewall and kernel settings now?");
    t.keys(&["n", "Enter"]);
    let summary = t.review_and_write();
    assert!(
        summary.contains("Host:         apply nothing (firewall/, sysctl/ by hand)"),
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
