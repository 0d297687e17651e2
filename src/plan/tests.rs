use super::*;
use crate::answers::ProxyMode;
use crate::preset;
use crate::role::Role;
use crate::testing::answers;
use crate::transport::Proto;

fn port<'a>(plan: &'a Plan, service: &str, number: u16) -> &'a Port {
    plan.ports
        .iter()
        .find(|p| p.service.as_str() == service && p.port == number)
        .unwrap_or_else(|| panic!("no {service} port {number} in {:#?}", plan.ports))
}

#[test]
fn hearth_routes_three_host_names_by_sni() {
    let preset = preset::find("hearth").unwrap();
    let a = answers(&preset, ProxyMode::CaddyL4, "hearth.example");
    let plan = build(&a, &preset, &HostFacts::default()).unwrap();
    let names: Vec<&str> = plan.dns.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["hearth.example", "lk.hearth.example", "turn.hearth.example"]
    );
    assert_eq!(plan.urls.livekit, "wss://lk.hearth.example");
    let turn = plan.livekit.turn.as_ref().unwrap();
    assert_eq!(
        (turn.domain.as_str(), turn.tls_port),
        ("turn.hearth.example", Some(TURN_TLS_PORT))
    );
    assert_eq!(
        port(&plan, "livekit", TURN_TLS_PORT).exposure,
        Exposure::Proxied
    );
    assert_eq!(port(&plan, "pocketbase", 8090).exposure, Exposure::Proxied);
    assert_eq!(port(&plan, "caddy", 443).exposure, Exposure::Public);
    assert!(plan
        .routes
        .iter()
        .any(|r| r.tcp && r.host == "turn.hearth.example"));
    assert_eq!(
        plan.service(&Role::Proxy).unwrap().image.as_str(),
        CADDY_L4_IMAGE
    );
    assert_eq!(
        plan.livekit.room.as_ref().unwrap().max_participants,
        Some(20)
    );
}

#[test]
fn reflector_keeps_its_own_range_and_serves_livekit_under_lk_ws() {
    let preset = preset::find("reflector").unwrap();
    let a = answers(&preset, ProxyMode::Caddy, "reflector.example.com");
    let plan = build(&a, &preset, &HostFacts::default()).unwrap();
    assert_eq!((plan.media.start, plan.media.end), (44200, 44300));
    assert_eq!(plan.urls.livekit, "wss://reflector.example.com/lk-ws");
    for (service, number, exposure) in [
        ("frontend", 3000, Exposure::Proxied),
        ("backend", 1250, Exposure::Proxied),
        ("livekit", 7880, Exposure::Proxied),
        ("garage", 3900, Exposure::Proxied),
        ("hatchet", 8888, Exposure::Loopback),
        ("hatchet", 7077, Exposure::Internal),
        ("postgres", 5432, Exposure::Internal),
        ("redis", 6379, Exposure::Internal),
    ] {
        assert_eq!(
            port(&plan, service, number).exposure,
            exposure,
            "{service} {number}"
        );
    }
    assert!(
        !plan.ports.iter().any(|p| p.port == 40000),
        "Reflector's own WebRTC only without Caddy"
    );
    let secret_env = &plan
        .service(&Role::from_name("backend"))
        .unwrap()
        .secret_env;
    assert!(secret_env["DATABASE_URL"].contains("{{secret.postgres_password}}"));
    // S3 at the root of its own name: path-style S3 reads the first segment as the bucket.
    let s3 = plan
        .routes
        .iter()
        .find(|r| r.service.as_str() == "garage")
        .expect("a route to Garage");
    assert_eq!(
        (s3.host.as_str(), s3.path.as_deref(), s3.upstream.as_str()),
        ("s3.reflector.example.com", None, "127.0.0.1:3900")
    );
    assert!(plan
        .dns
        .iter()
        .any(|r| r.name == "s3.reflector.example.com"));
    assert!(!plan.routes.iter().any(|r| r.path.as_deref() == Some("/s3")));
    let hatchet = plan.service(&Role::from_name("hatchet")).unwrap();
    assert_eq!(
        hatchet.publish[0].host_ip, "127.0.0.1",
        "{:?}",
        hatchet.publish
    );
    assert_eq!(hatchet.env["SERVER_GRPC_PORT"], "7077");
    assert!(plan
        .next_steps
        .iter()
        .any(|s| s.contains("ssh -L 8888:127.0.0.1:8888")));
    let files: Vec<&str> = plan.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        files,
        ["garage/garage.toml", "postgres-init/10-hatchet.sql"]
    );

    let direct = answers(&preset, ProxyMode::None, "203.0.113.7");
    let plan = build(&direct, &preset, &HostFacts::default()).unwrap();
    for number in [3000, 1250, 7880, 3900, 40000] {
        assert!(
            plan.public_ports().any(|p| p.port == number),
            "{number} is public without a proxy"
        );
    }
    assert!(plan
        .warnings
        .iter()
        .any(|w| w.contains("camera and microphone")));
}

#[test]
fn the_xr_hub_multiplexes_media_and_keeps_signalling_on_loopback() {
    let preset = preset::find("xr-hub").unwrap();
    let a = answers(&preset, ProxyMode::None, "203.0.113.7");
    let plan = build(&a, &preset, &HostFacts::default()).unwrap();
    assert_eq!(
        (plan.media.mode, plan.media.start, plan.media.end),
        (UdpMode::Mux, 7882, 7882)
    );
    assert_eq!(port(&plan, "livekit", 7880).exposure, Exposure::Loopback);
    // SDKs append /rtc themselves.
    assert_eq!(plan.urls.livekit, "wss://203.0.113.7:8080");
    assert!(plan.livekit.loopback_only && plan.livekit.turn.is_none());
    let public: Vec<(u16, Proto)> = plan.public_ports().map(|p| (p.port, p.proto)).collect();
    assert_eq!(
        public,
        [
            (22, Proto::Tcp),
            (7881, Proto::Tcp),
            (8080, Proto::Tcp),
            (48322, Proto::Tcp),
            (7882, Proto::Udp)
        ]
    );
    assert!(
        !plan.warnings.iter().any(|w| w.contains("camera")),
        "the hub serves HTTPS itself"
    );
}

#[test]
fn the_private_preset_opens_only_ssh_and_wireguard() {
    let preset = preset::find("private").unwrap();
    let mut a = answers(&preset, ProxyMode::Caddy, "100.101.102.103");
    a.ssh.allow_from = Some("198.51.100.4".parse().unwrap());
    let plan = build(&a, &preset, &HostFacts::default()).unwrap();
    let public: Vec<(u16, Proto)> = plan.public_ports().map(|p| (p.port, p.proto)).collect();
    assert_eq!(public, [(22, Proto::Tcp), (41641, Proto::Udp)]);
    assert_eq!(port(&plan, "sshd", 22).source, a.ssh.allow_from);
    assert_eq!(port(&plan, "caddy", 8443).exposure, Exposure::Vpn);
    assert!(
        !plan.ports.iter().any(|p| p.port == 80),
        "no HTTP listener on a VPN-only host"
    );
    assert_eq!(
        plan.firewall.trusted_interface.as_deref(),
        Some("tailscale0")
    );
    assert_eq!(plan.urls.livekit, "wss://100.101.102.103:8443");
    assert!(plan.warnings.iter().any(|w| w.contains("100.64.0.0/10")));
}

#[test]
fn an_ip_deployment_gets_a_short_lived_public_certificate_unless_told_otherwise() {
    let preset = preset::find("livekit").unwrap();
    let mut a = answers(&preset, ProxyMode::Caddy, "203.0.113.7");
    let plan = build(&a, &preset, &HostFacts::default()).unwrap();
    assert!(plan.web.bare_ip && !plan.web.internal_tls);
    assert_eq!(plan.web.acme_profile.as_deref(), Some("shortlived"));
    assert!(plan.dns.is_empty());
    assert_eq!(plan.livekit.node_ip, Some("203.0.113.7".parse().unwrap()));
    assert!(!plan.livekit.use_external_ip);
    assert!(!plan.next_steps.iter().any(|s| s.contains("root.crt")));

    a.ip_cert = Some(crate::answers::IpCert::Internal);
    let plan = build(&a, &preset, &HostFacts::default()).unwrap();
    assert!(plan.web.internal_tls && plan.web.acme_profile.is_none());
    assert!(plan.next_steps.iter().any(|s| s.contains("root.crt")));
}

#[test]
fn the_media_range_is_checked_against_the_ephemeral_range_and_other_ports() {
    let preset = preset::find("livekit").unwrap();
    let a = answers(&preset, ProxyMode::Caddy, "meet.example.com");
    let plan = build(&a, &preset, &HostFacts::default()).unwrap();
    assert!(plan.warnings.iter().any(|w| w.contains("ephemeral")));
    assert_eq!(plan.sysctl.reserved_ports, [(50000, 50119)]);

    let narrow = HostFacts {
        ephemeral: (61000, 65000),
        ..HostFacts::default()
    };
    let plan = build(&a, &preset, &narrow).unwrap();
    assert!(!plan.warnings.iter().any(|w| w.contains("ephemeral")));
    assert!(plan.sysctl.reserved_ports.is_empty());

    let mut clash = a.clone();
    clash.udp_start = Some(3400.try_into().unwrap());
    let err = build(&clash, &preset, &HostFacts::default()).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("3478/udp"), "{err}");
    assert!(
        err.hint().unwrap().contains("--udp-start 50000"),
        "{:?}",
        err.hint()
    );
}

#[test]
fn a_restricted_admin_port_follows_the_ssh_source() {
    let preset = preset::find("reflector").unwrap();
    let mut a = answers(&preset, ProxyMode::Caddy, "r.example.com");
    a.ssh.allow_from = Some("198.51.100.0/24".parse().unwrap());
    let plan = build(&a, &preset, &HostFacts::default()).unwrap();
    // The plain-HTTP dashboard is on 127.0.0.1, reached through an SSH tunnel: nothing to open.
    let row = port(&plan, "hatchet", 8888);
    assert_eq!((row.exposure, row.admin), (Exposure::Loopback, true));
    assert!(!plan.firewall.all().any(|r| r.port == 8888));
    assert!(!plan
        .warnings
        .iter()
        .any(|w| w.contains("bypasses host firewalls")));
}

#[test]
fn a_vpn_preset_needs_the_vpn_address_and_dns_uses_the_public_one() {
    let preset = preset::find("private").unwrap();
    let a = answers(&preset, ProxyMode::Caddy, "meet.tailnet.example");
    let err = build(&a, &preset, &HostFacts::default()).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.hint().unwrap().contains("--ip"), "{:?}", err.hint());

    let host = HostFacts {
        public_ip: Some("203.0.113.7".parse().unwrap()),
        ..HostFacts::default()
    };
    let public = preset::find("livekit").unwrap();
    let a = answers(&public, ProxyMode::Caddy, "meet.example.com");
    let plan = build(&a, &public, &host).unwrap();
    assert!(!plan.web.internal_tls);
    assert_eq!(
        (plan.dns[0].kind.as_str(), plan.dns[0].value.as_str()),
        ("A", "203.0.113.7")
    );
}

#[test]
fn external_mode_opens_the_operators_own_proxy() {
    let preset = preset::find("livekit").unwrap();
    let a = answers(&preset, ProxyMode::External, "meet.example.com");
    let plan = build(&a, &preset, &HostFacts::default()).unwrap();
    for number in [443, 80] {
        let p = port(&plan, ports::EXTERNAL_PROXY, number);
        assert_eq!(p.exposure, Exposure::Public);
    }
    assert_eq!(
        port(&plan, "livekit", SIGNAL_PORT).exposure,
        Exposure::Proxied
    );
}

#[test]
fn the_layer4_proxy_dials_turn_on_an_address_of_the_host_never_loopback_when_it_has_one() {
    let preset = preset::find("livekit").unwrap();
    let a = answers(&preset, ProxyMode::CaddyL4, "meet.example.com");
    let turn_route = |host: &HostFacts| {
        let plan = build(&a, &preset, host).unwrap();
        plan.routes
            .iter()
            .find(|r| r.tcp)
            .map(|r| r.upstream.clone())
            .unwrap()
    };
    // The internet address on an interface (also LiveKit's node_ip).
    let public = HostFacts {
        public_ip: Some("203.0.113.7".parse().unwrap()),
        local_ipv4: Some("203.0.113.7".parse().unwrap()),
        ..HostFacts::default()
    };
    assert_eq!(turn_route(&public), "203.0.113.7:5349");
    // Behind a 1:1 NAT: the private address on the interface.
    let nat = HostFacts {
        local_ipv4: Some("10.0.0.4".parse().unwrap()),
        ..HostFacts::default()
    };
    assert_eq!(turn_route(&nat), "10.0.0.4:5349");
    // LiveKit asks STUN from that address and gathers on it alone.
    let plan = build(&a, &preset, &nat).unwrap();
    assert!(plan.livekit.use_external_ip);
    assert_eq!(plan.livekit.gather_on, Some("10.0.0.4".parse().unwrap()));
    // Nothing known (a plan made away from the host): loopback, as before.
    assert_eq!(turn_route(&HostFacts::default()), "127.0.0.1:5349");
}
