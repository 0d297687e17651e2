//! Preflight against real conditions made by the test: a port held by a listener the test opens,
//! a Docker socket that does not exist, DMI directories with each provider's strings. The facts
//! are gathered for real (`host::detect`, `setup::survey`); the checklist judges them.

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};

use selkie::host::{self, Sources};
use selkie::preflight::{self, Item, Mark};
use selkie::setup::{self, Survey};
use selkie::transport::Proto;

/// The command name the kernel shows for this test process.
fn own_comm() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .unwrap()
        .trim()
        .to_string()
}

/// Sources with the real /proc, a DMI tree at `dmi`, and nothing else to read.
fn sources(dmi: &Path, scratch: &Path) -> Sources {
    Sources {
        dmi_dir: dmi.to_path_buf(),
        proc_dir: PathBuf::from("/proc"),
        sshd_config: scratch.join("no-sshd_config"),
        ssh_connection: Some("203.0.113.9 51234 198.51.100.2 22".into()),
    }
}

/// A survey that never reaches a Docker daemon (the socket does not exist) nor the network.
fn offline(deploy_dir: &Path) -> Survey {
    Survey {
        deploy_dir: deploy_dir.to_path_buf(),
        docker_host: Some("unix:///nonexistent.sock".into()),
        // Off the network: outbound STUN is tested in src/setup/survey.rs.
        stun_servers: Vec::new(),
        ..Survey::default()
    }
}

/// The port lines for `wanted` as this host's sockets show them right now.
fn port_lines(wanted: &[(u16, Proto)], ours: &[u32], resume: bool) -> Vec<Item> {
    preflight::ports::items(&host::listening(Path::new("/proc")), wanted, ours, resume)
}

#[test]
fn a_tcp_port_held_by_this_test_names_this_process() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let items = port_lines(&[(port, Proto::Tcp)], &[], false);
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(item.mark, Mark::Warn);
    assert_eq!(item.title, format!("Port {port}/tcp"));
    let holder = format!("{} (pid {})", own_comm(), std::process::id());
    assert!(
        item.detail
            .starts_with(&format!("port {port}/tcp is in use by {holder}")),
        "{item:?}"
    );
    drop(listener);
    let items = port_lines(&[(port, Proto::Tcp)], &[], false);
    assert_eq!(items[0].mark, Mark::Ok, "{items:?}");
    assert_eq!(items[0].detail, format!("{port}/tcp is free"));
}

#[test]
fn a_udp_port_held_by_this_test_names_this_process() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    let items = port_lines(&[(port, Proto::Udp)], &[], false);
    assert_eq!(items[0].mark, Mark::Warn, "{items:?}");
    assert!(
        items[0]
            .detail
            .contains(&format!("{} (pid {})", own_comm(), std::process::id())),
        "{items:?}"
    );
}

#[test]
fn on_resume_a_port_held_inside_our_containers_is_not_a_conflict() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let wanted = [(port, Proto::Tcp)];
    // Pretend this process's parent is the init of one of selkie's containers: the holder
    // (this process) descends from it.
    let parent = std::os::unix::process::parent_id();
    let resumed = port_lines(&wanted, &[parent], true);
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].mark, Mark::Ok, "{resumed:?}");
    assert!(resumed[0]
        .detail
        .contains("held by selkie's own containers"));
    // A first run is told that a deployment already runs here.
    let fresh = port_lines(&wanted, &[parent], false);
    assert_eq!(fresh[0].mark, Mark::Warn);
    assert!(fresh[0].detail.contains("--resume"), "{fresh:?}");
    drop(listener);
}

#[tokio::test]
async fn a_missing_docker_socket_blocks_setup_with_what_to_do() {
    let scratch = tempfile::tempdir().unwrap();
    let src = sources(&scratch.path().join("dmi"), scratch.path());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let how = offline(&scratch.path().join("selkie"));
    let facts = setup::survey(host::detect(&src), &src, &how).await;
    let report = preflight::check(&facts, &[(port, Proto::Tcp)], false);
    let titles: Vec<&str> = report.items.iter().map(|i| i.title.as_str()).collect();
    let port_title = format!("Port {port}/tcp");
    assert_eq!(
        titles,
        [
            "System",
            "Memory",
            "Disk",
            "Docker",
            port_title.as_str(),
            "Ephemeral ports",
            "Cloud provider",
            "SSH"
        ]
    );
    let docker = &report.items[3];
    assert_eq!(docker.mark, Mark::Fail);
    assert_eq!(docker.finding, preflight::Finding::DockerMissing);
    assert!(
        docker.detail.contains("not installed or not running"),
        "{docker:?}"
    );
    assert!(docker.detail.contains("selkie setup --install-docker"));
    assert!(report.blocking());
    assert_eq!(
        report.items[7].detail,
        "SSH on 22, you are connecting from 203.0.113.9"
    );
    let text = preflight::render(&report, false);
    assert!(text.contains("[XX] Docker"), "{text}");
    assert!(text.lines().all(|l| l.len() <= 80), "{text}");
    drop(listener);
}

#[test]
fn the_provider_is_named_from_an_overridden_dmi_directory() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("sys_vendor", "Hetzner"), ("product_name", "vServer")],
            "Hetzner Cloud",
        ),
        (
            &[("sys_vendor", "DigitalOcean"), ("product_name", "Droplet")],
            "DigitalOcean",
        ),
        (
            &[("sys_vendor", "Amazon EC2"), ("product_name", "t3.small")],
            "AWS",
        ),
        (
            &[
                ("sys_vendor", "Google"),
                ("product_name", "Google Compute Engine"),
            ],
            "Google Cloud",
        ),
        (
            &[
                ("sys_vendor", "Microsoft Corporation"),
                ("product_name", "Virtual Machine"),
                ("chassis_asset_tag", "7783-7084-3265-9085-8269-3286-77"),
            ],
            "Azure",
        ),
        (
            &[
                ("sys_vendor", "QEMU"),
                ("chassis_asset_tag", "OracleCloud.com"),
            ],
            "Oracle Cloud",
        ),
        (&[("sys_vendor", "Linode")], "Linode (Akamai)"),
        (&[("sys_vendor", "Vultr")], "Vultr"),
        (&[("sys_vendor", "QEMU")], "none detected"),
    ];
    for (files, want) in cases {
        let scratch = tempfile::tempdir().unwrap();
        let dmi = scratch.path().join("dmi");
        std::fs::create_dir(&dmi).unwrap();
        for (name, value) in *files {
            std::fs::write(dmi.join(name), format!("{value}\n")).unwrap();
        }
        let src = sources(&dmi, scratch.path());
        let report = preflight::check(&host::detect(&src), &[], false);
        let provider = report
            .items
            .iter()
            .find(|i| i.title == "Cloud provider")
            .unwrap();
        assert_eq!(provider.mark, Mark::Ok);
        assert!(provider.detail.starts_with(want), "{files:?}: {provider:?}");
    }
}

/// The real checklist of the machine running the tests (`--nocapture` shows it): whatever the
/// host, every check reports, in order, and the rendering fits 80 columns in both symbol sets.
#[tokio::test]
async fn this_hosts_checklist_renders() {
    let src = Sources::system();
    let started = std::time::Instant::now();
    let facts = setup::survey(host::detect(&src), &src, &Survey::default()).await;
    let took = started.elapsed();
    let report = preflight::check(&facts, &preflight::first_run_ports(), false);
    assert!(took < std::time::Duration::from_secs(8), "{took:?}");
    let titles: Vec<&str> = report.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles[..4], ["System", "Memory", "Disk", "Docker"]);
    assert_eq!(
        titles[titles.len() - 3..],
        ["Ephemeral ports", "Cloud provider", "SSH"]
    );
    for unicode in [true, false] {
        let text = preflight::render(&report, unicode);
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        println!("{text}");
    }
    println!("({took:?})");
}
