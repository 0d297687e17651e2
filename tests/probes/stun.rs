//! The STUN probe: real coturn, a silent socket, a closed port, a lost first request.

use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::time::Duration;

use selkie::health::probes::Context;
use selkie::health::{ProbeKind, Status, Target};

use super::{
    assert_verdict, check, common, ctx, free_udp_port, other_loopback_vantage, stun, timed,
    wait_for, Killed, LOCALHOST,
};

#[tokio::test]
async fn stun_real_coturn_answers_a_binding() {
    common::require_tool("turnserver", "coturn");
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let mut coturn = Killed(
        Command::new("turnserver")
            .args([
                "-n",
                "--listening-ip=127.0.0.1",
                &format!("--listening-port={port}"),
                "--no-tls",
                "--no-dtls",
                "--log-file=stdout",
                "--simple-log",
                "--no-cli",
            ])
            // Its own pid file and user database, so parallel runs and CI share nothing.
            .arg(format!(
                "--pidfile={}",
                dir.path().join("turn.pid").display()
            ))
            .arg(format!("--userdb={}", dir.path().join("turndb").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ctx = ctx(Duration::from_secs(1));
    let verdict = wait_for(&stun(port), &ctx, &mut coturn, |o| {
        o.status == Status::Healthy
    })
    .await;
    assert_verdict(&verdict, Status::Healthy, "mapped address 127.0.0.1:");
    assert!(verdict.latency.is_some());

    // Judged as public at another address of this host, coturn (bound to 127.0.0.1 only)
    // does not answer, and the socket table says why.
    let public = Context {
        vantage: other_loopback_vantage(),
        ..ctx.clone()
    };
    let check = check(ProbeKind::Stun, Target::Public { port });
    let (verdict, _) = timed(&check, &public).await;
    assert_verdict(&verdict, Status::Down, "listens on 127.0.0.1 only");
}

#[tokio::test]
async fn stun_silent_socket_costs_one_timeout() {
    let silent = UdpSocket::bind((LOCALHOST, 0)).unwrap();
    let port = silent.local_addr().unwrap().port();
    let (verdict, took) = timed(&stun(port), &ctx(Duration::from_secs(1))).await;
    assert_verdict(&verdict, Status::Down, "no STUN answer");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(1500),
        "took {took:?}"
    );
}

#[tokio::test]
async fn stun_closed_port_is_refused_at_once() {
    let (verdict, took) = timed(&stun(free_udp_port()), &ctx(Duration::from_secs(2))).await;
    assert_verdict(&verdict, Status::Down, "no STUN answer");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

#[tokio::test]
async fn stun_retries_once_when_the_first_request_is_lost() {
    // A responder that drops the first request, as a lossy path would, and answers the second.
    let socket = UdpSocket::bind((LOCALHOST, 0)).unwrap();
    let port = socket.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        let _ = socket.recv_from(&mut buf);
        let (n, from) = socket.recv_from(&mut buf).unwrap();
        assert_eq!(n, 20, "a binding request is a bare header");
        let SocketAddr::V4(from) = from else {
            panic!("{from}")
        };
        let mut answer = vec![0x01, 0x01, 0x00, 0x0c];
        answer.extend_from_slice(&buf[4..20]);
        answer.extend_from_slice(&[0x00, 0x20, 0x00, 0x08, 0x00, 0x01]);
        answer.extend_from_slice(&(from.port() ^ 0x2112).to_be_bytes());
        let cookie = 0x2112_A442u32.to_be_bytes();
        answer.extend(from.ip().octets().iter().zip(cookie).map(|(a, c)| a ^ c));
        socket.send_to(&answer, from).unwrap();
    });
    let (verdict, took) = timed(&stun(port), &ctx(Duration::from_secs(1))).await;
    assert_verdict(&verdict, Status::Healthy, "mapped address 127.0.0.1:");
    assert!(
        took >= Duration::from_millis(450),
        "answered before any retry: {took:?}"
    );
}
