//! The TCP probe: listening, refused, blackholed, container and public targets; and `run_all`
//! running probes concurrently.

use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

use selkie::health::probes::{self, Context};
use selkie::health::{Check, ProbeKind, Status, Target, Vantage};

use super::blackhole::Blackhole;
use super::{
    assert_verdict, check, closed_tcp_port, ctx, other_loopback_vantage, tcp, timed, LOCALHOST,
};

#[tokio::test]
async fn tcp_listener_is_healthy() {
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (verdict, _) = timed(&tcp(port), &ctx(Duration::from_secs(2))).await;
    assert_eq!(verdict.status, Status::Healthy, "{verdict:?}");
    assert!(verdict.latency.is_some());
}

#[tokio::test]
async fn tcp_closed_port_is_refused_at_once() {
    let (verdict, took) = timed(&tcp(closed_tcp_port()), &ctx(Duration::from_secs(2))).await;
    assert_verdict(&verdict, Status::Down, "connection refused");
    assert!(took < Duration::from_millis(500), "took {took:?}");
}

#[tokio::test]
async fn tcp_blackholed_port_costs_one_timeout() {
    let hole = Blackhole::new();
    let (verdict, took) = timed(&tcp(hole.port), &ctx(Duration::from_secs(1))).await;
    assert_verdict(&verdict, Status::Down, "timed out after 1s");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(1500),
        "took {took:?}"
    );
}

#[tokio::test]
async fn tcp_container_target_uses_the_containers_address() {
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let target = Target::Container {
        service: "postgres".into(),
        port,
    };
    let mut ctx = ctx(Duration::from_secs(1));
    let (verdict, _) = timed(&check(ProbeKind::Tcp, target.clone()), &ctx).await;
    assert_verdict(&verdict, Status::Down, "container not running");
    // The test's "bridge address" is loopback: nothing here may aim anywhere else.
    ctx.container_ips.insert("postgres".into(), LOCALHOST);
    let (verdict, _) = timed(&check(ProbeKind::Tcp, target), &ctx).await;
    assert_eq!(verdict.status, Status::Healthy, "{verdict:?}");
}

#[tokio::test]
async fn tcp_public_port_bound_to_loopback_only_is_down_with_the_fix() {
    let ctx = Context {
        vantage: other_loopback_vantage(),
        ..ctx(Duration::from_secs(1))
    };
    let loopback_only = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = loopback_only.local_addr().unwrap().port();
    let public = |port| check(ProbeKind::Tcp, Target::Public { port });
    let (verdict, took) = timed(&public(port), &ctx).await;
    assert_verdict(
        &verdict,
        Status::Down,
        "listens on 127.0.0.1 only; clients cannot reach it: make test listen on 0.0.0.0",
    );
    assert!(took < Duration::from_millis(500), "took {took:?}");

    let everywhere = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
    let port = everywhere.local_addr().unwrap().port();
    let (verdict, _) = timed(&public(port), &ctx).await;
    assert_verdict(&verdict, Status::Healthy, "accepting connections");

    let (verdict, _) = timed(&public(closed_tcp_port()), &ctx).await;
    assert_verdict(&verdict, Status::Down, "connection refused");

    // No public address at all: what 127.0.0.1 shows, never better than degraded.
    let nowhere = Context {
        vantage: Vantage {
            addresses: Vec::new(),
            how: "this host has no default route".into(),
        },
        ..ctx.clone()
    };
    let (verdict, _) = timed(&public(port), &nowhere).await;
    assert_verdict(&verdict, Status::Degraded, "no default route");
}

#[tokio::test]
async fn run_all_probes_concurrently() {
    let holes = [Blackhole::new(), Blackhole::new(), Blackhole::new()];
    let live = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let mut checks: Vec<Check> = holes.iter().map(|h| tcp(h.port)).collect();
    checks.push(tcp(live.local_addr().unwrap().port()));
    let started = Instant::now();
    let results = probes::run_all(&checks, &ctx(Duration::from_secs(1))).await;
    let took = started.elapsed();
    println!("run_all: 3 blackholed + 1 live TCP check, timeout 1s, took {took:?}");
    let statuses: Vec<Status> = results.iter().map(|r| r.verdict.status).collect();
    assert_eq!(
        statuses,
        [Status::Down, Status::Down, Status::Down, Status::Healthy]
    );
    assert_eq!(
        results[3].check, checks[3],
        "results keep the order of the checks"
    );
    // In sequence the dead ones alone would take 3 s; concurrently about one timeout.
    assert!(took >= Duration::from_millis(900), "took {took:?}");
    assert!(
        took < Duration::from_secs(2),
        "took {took:?}: probes ran one after another"
    );
}
