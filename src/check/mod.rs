//! `selkie check`: will people on other networks get through? A real WebRTC join against the
//! deployment's public LiveKit URL, one media transport at a time.
//!
//! The check mints a short-lived join token from the deployment's own keys (or takes one with
//! `--token`), connects to the signalling URL as a browser does (DNS, TCP, TLS verified against
//! the system's roots and, for `tls internal`, the deployment's own CA, then LiveKit's websocket at
//! `/rtc`), and joins a throw-away room. Then each planned transport gets a participant of its own
//! whose peer connection offers ICE candidates of one kind only, so the path that connects is the
//! path under test: UDP (the range or the mux port), ICE over TCP (7881), TURN over UDP (3478).
//! A path passes when ICE connects, DTLS completes and a data channel opens: the channel's open
//! message goes out and LiveKit's acknowledgement comes back over that path (data both ways). The
//! round-trip time is the one ICE measured on the selected pair. Paths run concurrently, each
//! bounded by [`PATH_TIMEOUT`], so a check with every path dead takes one ICE timeout, not the sum.
//!
//! # Choice of WebRTC stack
//! Evaluated for this check (recorded in docs/check.md as well):
//! - `str0m` 0.24 (chosen): sans-IO ICE, DTLS, SCTP and data channels; we own every socket, so a
//!   candidate of exactly one kind is easy to force and the I/O is plain tokio. ICE over TCP is
//!   supported (RFC 4571 framing is the caller's, done in [`io`]); relayed candidates are
//!   supported but str0m has no TURN client, so TURN/UDP allocates through webrtc-rs' `turn` crate
//!   and str0m sends through the relay. With `rust-crypto` (pure Rust DTLS, no cmake, no OpenSSL)
//!   it adds about twenty small crates; actively released (0.2x series through 2026).
//! - `webrtc` (webrtc-rs) 0.14: a port of Pion with its own tasks and a callback API; over
//!   a hundred crates (its own DTLS, SRTP, interceptors, media) for a check that needs none of the
//!   media stack. Its ICE agent gathers TCP only as a passive (server) candidate and relays only
//!   over UDP, so ICE/TCP from a client could not be forced. The project is rewriting it as a
//!   sans-IO stack; the 0.1x line gets fixes only.
//!
//! TURN over TLS (443 behind the layer-4 proxy) uses the same `turn` client over a TLS stream
//! (`turn_tls`: the stream cut back into the client's STUN and ChannelData frames by their own
//! length fields); the certificate is verified as the signalling's is.

mod error;
mod io;
mod join;
mod path;
mod report;
pub mod server;
mod targets;
pub mod token;
mod turn_tls;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::RootCertStore;
use serde::Serialize;

pub use error::CheckError;
pub use join::SignalError;
pub use report::{render, to_json};
pub use targets::{planned, Planned};

/// How long one path may take from joining to an open data channel: one ICE timeout.
pub const PATH_TIMEOUT: Duration = Duration::from_secs(7);
/// How long the signalling connection (DNS, TCP, TLS, websocket, join) may take.
pub const SIGNAL_TIMEOUT: Duration = Duration::from_secs(5);

/// A media transport a browser may use to reach LiveKit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// ICE over UDP to LiveKit's range or mux port.
    Udp,
    /// ICE over TCP to LiveKit's TCP port (7881).
    Tcp,
    /// Relayed through LiveKit's TURN over UDP (3478).
    TurnUdp,
    /// Relayed through LiveKit's TURN over TLS (443 behind the layer-4 proxy).
    TurnTls,
}

impl Transport {
    pub fn label(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "ICE/TCP",
            Transport::TurnUdp => "TURN/UDP",
            Transport::TurnTls => "TURN/TLS",
        }
    }
}

/// What happened on one path.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PathOutcome {
    /// Connected: ICE, DTLS and a data channel opened both ways.
    Ok {
        /// ICE's round-trip time on the selected pair, in milliseconds.
        rtt_ms: Option<f64>,
        /// Our side of the selected pair (for TURN, the relayed address on the TURN server).
        local: String,
        /// The server's side of the selected pair.
        remote: String,
    },
    /// Did not connect.
    Failed {
        reason: String,
        /// Where it broke, when that changes the fix (a port that answered needs no opening).
        #[serde(skip_serializing_if = "FailCause::is_network")]
        cause: FailCause,
    },
    /// Not tried, and why.
    NotChecked { reason: String },
}

/// Where a failed path broke.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailCause {
    /// No answer, a refused connection, a timeout: the network or a firewall.
    #[default]
    Network,
    /// The server answered but the TLS handshake failed: its certificate, not the firewall.
    Certificate,
}

impl FailCause {
    fn is_network(&self) -> bool {
        *self == FailCause::Network
    }
}

impl PathOutcome {
    /// A failure on the way (no answer, refused, timed out).
    pub fn failed(reason: impl Into<String>) -> Self {
        PathOutcome::Failed {
            reason: reason.into(),
            cause: FailCause::Network,
        }
    }
}

/// One path's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathResult {
    pub transport: Transport,
    /// Where it goes: `50000-50119/udp`, `7881/tcp`.
    pub target: String,
    pub required: bool,
    #[serde(flatten)]
    pub outcome: PathOutcome,
    /// What to do when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The whole check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    pub url: String,
    /// Run on the server itself (a cloud firewall cannot be seen from there).
    pub from_server: bool,
    /// The signalling connection failed: nothing else was tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signalling_error: Option<SignalFailure>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub server_version: String,
    pub paths: Vec<PathResult>,
    pub elapsed_ms: u64,
    /// The command to run from another machine for the outside view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_command: Option<String>,
}

/// Why signalling failed, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignalFailure {
    pub error: String,
    pub fix: String,
    /// The TLS handshake failed (the URL answered): a certificate, not the network.
    #[serde(skip)]
    pub tls: bool,
}

impl CheckReport {
    /// Signalling worked and no required path failed. A path that could not be checked is
    /// listed as such and neither passes nor fails the check.
    pub fn passed(&self) -> bool {
        self.signalling_error.is_none()
            && !self
                .paths
                .iter()
                .any(|p| p.required && matches!(p.outcome, PathOutcome::Failed { .. }))
    }

    /// Something failed only because a TLS handshake did: right after setup, the proxy may
    /// still be obtaining that name's certificate.
    pub fn waits_for_certificate(&self) -> bool {
        self.signalling_error.as_ref().is_some_and(|e| e.tls)
            || self.paths.iter().any(|p| {
                matches!(
                    p.outcome,
                    PathOutcome::Failed {
                        cause: FailCause::Certificate,
                        ..
                    }
                )
            })
    }
}

/// Where the token for each participant comes from.
#[derive(Clone)]
pub enum Tokens {
    /// Minted per participant from the deployment's keys (never printed).
    Mint {
        key: String,
        secret: String,
        room: String,
    },
    /// One token given with `--token`: one identity, so the paths run one after another.
    Given(String),
}

impl Tokens {
    fn for_path(&self, name: &str) -> Result<String, String> {
        match self {
            Tokens::Mint { key, secret, room } => token::mint(
                key,
                secret,
                room,
                &format!("selkie-check-{name}"),
                token::CHECK_TTL,
            ),
            Tokens::Given(t) => Ok(t.clone()),
        }
    }
}

/// What to check.
#[derive(Clone)]
pub struct Target {
    pub url: String,
    pub tokens: Tokens,
    /// The roots a browser here trusts, plus the deployment's own CA when it has one.
    pub roots: Arc<RootCertStore>,
    /// The planned paths; `None` (outside view) takes them from what LiveKit offers.
    pub planned: Option<Vec<Planned>>,
    pub from_server: bool,
    pub outside_command: Option<String>,
}

/// Run the check: join once for signalling, then every path.
pub async fn run(target: &Target) -> CheckReport {
    let started = Instant::now();
    let mut report = CheckReport {
        url: target.url.clone(),
        from_server: target.from_server,
        signalling_error: None,
        server_version: String::new(),
        paths: Vec::new(),
        elapsed_ms: 0,
        outside_command: target.outside_command.clone(),
    };
    let first = match target.tokens.for_path("signal") {
        Ok(t) => join::join(&target.url, &t, &target.roots).await,
        Err(e) => Err(SignalError::Token(e)),
    };
    let joined = match first {
        Ok(j) => j,
        Err(e) => {
            report.signalling_error = Some(SignalFailure {
                error: e.to_string(),
                fix: e.fix(),
                tls: matches!(e, SignalError::Tls(_)),
            });
            report.elapsed_ms = millis(started.elapsed());
            return report;
        }
    };
    report.server_version = joined.server_version.clone();
    let planned = match &target.planned {
        Some(p) => p.clone(),
        None => targets::offered(&joined.response),
    };
    joined.leave().await;
    report.paths = run_paths(target, &planned).await;
    report.elapsed_ms = millis(started.elapsed());
    report
}

async fn run_paths(target: &Target, planned: &[Planned]) -> Vec<PathResult> {
    let one = |p: &Planned| {
        let p = p.clone();
        let target = target.clone();
        async move {
            let outcome = match target.tokens.for_path(p.transport_name()) {
                Ok(token) => path::check(&target.url, &token, &target.roots, &p).await,
                Err(e) => PathOutcome::NotChecked { reason: e },
            };
            p.result(outcome)
        }
    };
    match target.tokens {
        Tokens::Mint { .. } => futures_util::future::join_all(planned.iter().map(one)).await,
        Tokens::Given(_) => {
            let mut out = Vec::new();
            for p in planned {
                out.push(one(p).await);
            }
            out
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
