//! The DNS probe, on local names only.

use std::net::IpAddr;
use std::time::Duration;

use selkie::health::Status;

use super::{assert_verdict, ctx, dns, timed, LOCALHOST};

#[tokio::test]
async fn dns_resolves_local_names_only() {
    let ctx = ctx(Duration::from_secs(3));
    let (verdict, _) = timed(&dns("localhost", None), &ctx).await;
    assert_verdict(&verdict, Status::Healthy, "127.0.0.1");
    let (verdict, _) = timed(&dns("localhost", Some(LOCALHOST)), &ctx).await;
    assert_verdict(&verdict, Status::Healthy, "resolves to");
    // A documentation address (RFC 5737): only compared with, never contacted.
    let elsewhere: IpAddr = "192.0.2.1".parse().unwrap();
    let (verdict, _) = timed(&dns("localhost", Some(elsewhere)), &ctx).await;
    assert_verdict(&verdict, Status::Degraded, "not 192.0.2.1");
    assert!(verdict.message.contains("127.0.0.1"), "{verdict:?}");
    // `.invalid` never resolves (RFC 2606); offline, the answer may also be a timeout.
    let (verdict, _) = timed(&dns("nothing.invalid", None), &ctx).await;
    assert_verdict(&verdict, Status::Down, "certificates will fail until it");
}
