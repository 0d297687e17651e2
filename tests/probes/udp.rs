//! The UDP-bound probe: socket tables in a fake /proc, loopback-only public ports, a real socket.

use std::net::UdpSocket;
use std::path::Path;
use std::time::Duration;

use selkie::health::probes::Context;
use selkie::health::{ProbeKind, Status, Target, Vantage};

use super::{assert_verdict, check, ctx, timed, udp_range, LOCALHOST};

/// A /proc tree whose net/udp lists these (port, state) sockets; udp6 is empty.
fn fake_proc(sockets: &[(u16, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("net")).unwrap();
    let mut udp = String::from(
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n",
    );
    for (i, (port, state)) in sockets.iter().enumerate() {
        udp.push_str(&format!(
            "  {i}: 00000000:{port:04X} 00000000:0000 {state} 00000000:00000000 00:00000000 00000000     0        0 {} 2 0000000000000000 0\n",
            1000 + i
        ));
    }
    std::fs::write(dir.path().join("net/udp"), udp).unwrap();
    std::fs::write(
        dir.path().join("net/udp6"),
        "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n",
    )
    .unwrap();
    dir
}

fn proc_ctx(dir: &Path) -> Context {
    Context {
        proc_dir: dir.to_path_buf(),
        ..ctx(Duration::from_secs(1))
    }
}

#[tokio::test]
async fn udp_bound_reads_the_socket_tables() {
    // 3478 bound; 50001 connected (an outgoing client, not a service); 50005 bound.
    let proc = fake_proc(&[(3478, "07"), (50001, "01"), (50005, "07")]);
    let ctx = proc_ctx(proc.path());
    let (verdict, _) = timed(&udp_range(3478, 3478), &ctx).await;
    assert_eq!(verdict.status, Status::Healthy, "{verdict:?}");
    let (verdict, _) = timed(&udp_range(7881, 7881), &ctx).await;
    assert_verdict(&verdict, Status::Down, "nothing is bound on 7881/udp");
    let (verdict, _) = timed(&udp_range(50000, 50099), &ctx).await;
    assert_verdict(&verdict, Status::Healthy, "1 of 100 ports in use");
    let (verdict, _) = timed(&udp_range(60000, 60099), &ctx).await;
    assert_verdict(
        &verdict,
        Status::Unknown,
        "idle: LiveKit binds these per connection",
    );

    let empty = tempfile::tempdir().unwrap();
    let (verdict, _) = timed(&udp_range(3478, 3478), &proc_ctx(empty.path())).await;
    assert_verdict(&verdict, Status::Unknown, "cannot read");
}

#[tokio::test]
async fn udp_public_ports_bound_to_loopback_only_are_down() {
    let dir = fake_proc(&[(3478, "07")]);
    // 3479 and a range port on 127.0.0.1 only; 50010 on ::1 and on the wildcard.
    let v4 = "\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  0: 0100007F:0D97 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 0
  1: 0100007F:C351 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2 2 0000000000000000 0
";
    let v6 = "\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  0: 00000000000000000000000001000000:C35A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3 2 0000000000000000 0
  1: 00000000000000000000000000000000:C35A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4 2 0000000000000000 0
";
    std::fs::write(dir.path().join("net/udp"), v4).unwrap();
    std::fs::write(dir.path().join("net/udp6"), v6).unwrap();
    let ctx = Context {
        vantage: Vantage {
            addresses: vec!["203.0.113.7".parse().unwrap()],
            how: "a test address".into(),
        },
        ..proc_ctx(dir.path())
    };
    let public = |port, end| {
        check(
            ProbeKind::UdpBound,
            Target::HostRange {
                port,
                end,
                public: true,
            },
        )
    };
    let (verdict, _) = timed(&public(3479, 3479), &ctx).await;
    assert_verdict(
        &verdict,
        Status::Down,
        "bound on 127.0.0.1 only; clients cannot reach it: make test bind 0.0.0.0 (or 203.0.113.7)",
    );
    let (verdict, _) = timed(&public(50000, 50009), &ctx).await;
    assert_verdict(
        &verdict,
        Status::Down,
        "1 of 10 ports bound on 127.0.0.1 only",
    );
    let (verdict, _) = timed(&public(50000, 50019), &ctx).await;
    assert_verdict(&verdict, Status::Healthy, "1 of 20 ports in use");
    // On loopback exposure the same socket is exactly what was planned.
    let (verdict, _) = timed(&udp_range(3479, 3479), &ctx).await;
    assert_verdict(&verdict, Status::Healthy, "bound");
}

#[tokio::test]
async fn udp_bound_sees_a_real_socket_in_proc() {
    let socket = UdpSocket::bind((LOCALHOST, 0)).unwrap();
    let port = socket.local_addr().unwrap().port();
    let (verdict, _) = timed(&udp_range(port, port), &ctx(Duration::from_secs(1))).await;
    assert_eq!(verdict.status, Status::Healthy, "{verdict:?}");
    drop(socket);
    let (verdict, _) = timed(&udp_range(port, port), &ctx(Duration::from_secs(1))).await;
    assert_verdict(&verdict, Status::Down, "nothing is bound");
}
