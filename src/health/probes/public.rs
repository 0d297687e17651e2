//! Public ports, probed where clients connect: at each address of the vantage. A port that does
//! not answer there but does on 127.0.0.1 listens on loopback only, which no client can reach;
//! saying so names the fix.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};

use tokio::net::TcpStream;

use super::{io_reason, loopback, show_duration, stun, udp, Context};
use crate::health::{Check, Status, Verdict};

/// Why a public address did not take the connection.
enum Unreached {
    Refused(String),
    TimedOut,
}

/// A TCP port (plain, HTTP or TLS): connect at each public address, then run `probe` there.
pub(super) async fn tcp<F, Fut>(check: &Check, ctx: &Context, port: u16, probe: F) -> Verdict
where
    F: Fn(SocketAddr) -> Fut,
    Fut: Future<Output = Verdict>,
{
    let addrs = &ctx.vantage.addresses;
    if addrs.is_empty() {
        return nowhere(ctx, probe(loopback(port)).await);
    }
    // A quarter of the time is kept for asking 127.0.0.1 when a public address fails.
    let budget = ctx.timeout - ctx.timeout / 4;
    let reached = futures_util::future::join_all(addrs.iter().map(|ip| {
        let probe = &probe;
        async move {
            let addr = SocketAddr::new(*ip, port);
            match tokio::time::timeout(budget, TcpStream::connect(addr)).await {
                Err(_) => Err(Unreached::TimedOut),
                Ok(Err(e)) => Err(Unreached::Refused(io_reason(&e))),
                Ok(Ok(stream)) => {
                    drop(stream);
                    Ok(probe(addr).await)
                }
            }
        }
    }))
    .await;
    let loopback_answers = if reached.iter().any(Result::is_err) {
        let wait = ctx.timeout / 4;
        matches!(
            tokio::time::timeout(wait, TcpStream::connect(loopback(port))).await,
            Ok(Ok(_))
        )
    } else {
        false
    };
    let verdicts = addrs.iter().zip(reached).map(|(ip, r)| {
        let verdict = match r {
            Ok(verdict) => verdict,
            Err(_) if loopback_answers => loopback_only(check, *ip),
            Err(Unreached::Refused(reason)) => Verdict::new(Status::Down, reason),
            Err(Unreached::TimedOut) => Verdict::new(
                Status::Down,
                format!("timed out after {}", show_duration(budget)),
            ),
        };
        (*ip, verdict)
    });
    combine(verdicts.collect())
}

/// STUN on a public UDP port: a binding request to each public address. When none answers and
/// the port is bound to loopback only, that is why.
pub(super) async fn stun(check: &Check, ctx: &Context, port: u16) -> Verdict {
    let addrs = &ctx.vantage.addresses;
    if addrs.is_empty() {
        return nowhere(ctx, stun::probe(loopback(port), ctx.timeout).await);
    }
    let verdicts = futures_util::future::join_all(
        addrs
            .iter()
            .map(|ip| stun::probe(SocketAddr::new(*ip, port), ctx.timeout)),
    )
    .await;
    let failed = verdicts.iter().any(|o| o.status == Status::Down);
    let on_loopback_only =
        failed && udp::bound_on_loopback_only(&ctx.proc_dir, port).await == Some(true);
    combine(
        addrs
            .iter()
            .zip(verdicts)
            .map(|(ip, o)| match o.status {
                Status::Down if on_loopback_only => (*ip, loopback_only(check, *ip)),
                _ => (*ip, o),
            })
            .collect(),
    )
}

/// The verdict of a public port that only 127.0.0.1 answers on, with the fix.
fn loopback_only(check: &Check, public: IpAddr) -> Verdict {
    Verdict::new(
        Status::Down,
        format!(
            "listens on 127.0.0.1 only; clients cannot reach it: make {} listen on 0.0.0.0 \
             (or {public})",
            check.service
        ),
    )
}

/// Without a public address to stand at, what 127.0.0.1 shows, never better than degraded.
fn nowhere(ctx: &Context, on_loopback: Verdict) -> Verdict {
    match on_loopback.status {
        Status::Healthy => Verdict {
            status: Status::Degraded,
            message: format!(
                "answers on 127.0.0.1, but whether clients reach it cannot be told: {}",
                ctx.vantage.how
            ),
            ..on_loopback
        },
        _ => on_loopback,
    }
}

/// One verdict for every address: the worst, naming its address when there are several.
fn combine(mut verdicts: Vec<(IpAddr, Verdict)>) -> Verdict {
    let several = verdicts.len() > 1;
    let Some(worst) = (0..verdicts.len()).max_by_key(|i| {
        // The first of equals, so IPv4 speaks for a healthy pair.
        (verdicts[*i].1.status, std::cmp::Reverse(*i))
    }) else {
        return Verdict::new(Status::Unknown, "no address to probe");
    };
    let (ip, verdict) = verdicts.swap_remove(worst);
    if several && verdict.status != Status::Healthy {
        Verdict {
            message: format!("at {}: {}", show_ip(ip), verdict.message),
            ..verdict
        }
    } else {
        verdict
    }
}

/// `203.0.113.7` or `[2001:db8::7]`, as it reads before a colon.
fn show_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_address_speaks_and_is_named_when_there_are_several() {
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        let v6: IpAddr = "2001:db8::7".parse().unwrap();
        let ok = Verdict::new(Status::Healthy, "accepting connections");
        let refused = Verdict::new(Status::Down, "connection refused");
        let both = combine(vec![(v4, ok.clone()), (v6, refused.clone())]);
        assert_eq!(both.status, Status::Down);
        assert_eq!(both.message, "at [2001:db8::7]: connection refused");
        let healthy = combine(vec![(v4, ok.clone()), (v6, ok.clone())]);
        assert_eq!(healthy, ok);
        let alone = combine(vec![(v4, refused.clone())]);
        assert_eq!(alone, refused, "one address needs no naming");
    }
}
