//! One path: join as a participant of its own, offer a publisher peer connection whose only ICE
//! candidate is of this path's kind, and drive str0m until a data channel opens or the path's
//! deadline passes. Then leave.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use livekit_protocol::{
    signal_request, signal_response, IceServer, SessionDescription, SignalTarget,
};
use rustls::RootCertStore;
use str0m::change::SdpAnswer;
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::sync::mpsc;

use super::io::{self, Incoming, Io, OpenError};
use super::join::{self, Joined};
use super::{FailCause, PathOutcome, Planned, Transport, PATH_TIMEOUT};

/// After the channel opens, how long to wait for ICE's round-trip time to be reported.
const RTT_GRACE: Duration = Duration::from_millis(600);

/// Try one path, within [`PATH_TIMEOUT`] of joining.
pub async fn check(
    url: &str,
    token: &str,
    roots: &Arc<RootCertStore>,
    planned: &Planned,
) -> PathOutcome {
    let mut joined = match join::join(url, token, roots).await {
        Ok(j) => j,
        Err(e) => {
            return PathOutcome::failed(format!("signalling: {e}"));
        }
    };
    let deadline = tokio::time::Instant::now() + PATH_TIMEOUT;
    let servers = joined.response.ice_servers.clone();
    let opened = tokio::time::timeout_at(
        deadline,
        open(planned.transport, joined.peer, &servers, roots),
    )
    .await;
    let outcome = match opened {
        Err(_) => PathOutcome::failed(format!(
            "{} did not answer within {} s",
            planned.transport.label(),
            PATH_TIMEOUT.as_secs()
        )),
        Ok(Err(NotOpened::NotOffered(reason))) if !planned.from_plan => {
            PathOutcome::NotChecked { reason }
        }
        Ok(Err(NotOpened::NotOffered(reason))) => PathOutcome::failed(reason),
        Ok(Err(NotOpened::Failed(OpenError::Network(reason)))) => PathOutcome::failed(reason),
        Ok(Err(NotOpened::Failed(OpenError::Tls(reason)))) => PathOutcome::Failed {
            reason,
            cause: FailCause::Certificate,
        },
        Ok(Ok((io, candidate, rx))) => {
            let mut peer = Peer::new(io, rx, planned);
            let result = peer.connect(&mut joined, candidate, deadline).await;
            peer.io.close().await;
            result
        }
    };
    joined.leave().await;
    outcome
}

enum NotOpened {
    /// The server offers no such transport (outside view: not checked).
    NotOffered(String),
    Failed(OpenError),
}

async fn open(
    transport: Transport,
    peer: IpAddr,
    servers: &[IceServer],
    roots: &Arc<RootCertStore>,
) -> Result<(Io, Candidate, mpsc::Receiver<Incoming>), NotOpened> {
    match transport {
        Transport::Udp => io::udp(peer).await.map_err(|e| NotOpened::Failed(e.into())),
        Transport::Tcp => io::tcp(peer).map_err(|e| NotOpened::Failed(e.into())),
        Transport::TurnUdp | Transport::TurnTls => {
            if servers.is_empty() {
                return Err(NotOpened::NotOffered(
                    "LiveKit's join response lists no TURN server".into(),
                ));
            }
            io::turn(servers, transport == Transport::TurnTls, roots)
                .await
                .map_err(NotOpened::Failed)
        }
    }
}

struct Peer {
    io: Io,
    rx: mpsc::Receiver<Incoming>,
    transport: Transport,
    from_plan: bool,
    /// The server's candidates of this path's protocol, as offered.
    remote: Vec<String>,
    notes: Vec<String>,
    rtt: Option<Duration>,
    selected: Option<String>,
    local: Option<String>,
    opened_at: Option<Instant>,
}

impl Peer {
    fn new(io: Io, rx: mpsc::Receiver<Incoming>, planned: &Planned) -> Peer {
        Peer {
            io,
            rx,
            transport: planned.transport,
            from_plan: planned.from_plan,
            remote: Vec::new(),
            notes: Vec::new(),
            rtt: None,
            selected: None,
            local: None,
            opened_at: None,
        }
    }

    fn protocol(&self) -> Protocol {
        if self.transport == Transport::Tcp {
            Protocol::Tcp
        } else {
            Protocol::Udp
        }
    }

    async fn connect(
        &mut self,
        joined: &mut Joined,
        candidate: Candidate,
        deadline: tokio::time::Instant,
    ) -> PathOutcome {
        let mut rtc = Rtc::builder()
            .set_stats_interval(Some(Duration::from_millis(100)))
            .build(Instant::now());
        rtc.add_local_candidate(candidate);
        let mut api = rtc.sdp_api();
        api.add_channel("_reliable".to_string());
        let Some((offer, pending)) = api.apply() else {
            return PathOutcome::failed("no offer to make");
        };
        let offer = SessionDescription {
            r#type: "offer".into(),
            sdp: offer.to_sdp_string(),
            ..Default::default()
        };
        if let Err(e) = join::send(&mut joined.ws, signal_request::Message::Offer(offer)).await {
            return PathOutcome::failed(e);
        }
        let mut pending = Some(pending);
        loop {
            let wake = match self.drain(&mut rtc).await {
                Ok(t) => t,
                Err(reason) => return PathOutcome::failed(reason),
            };
            if let Some(at) = self.opened_at {
                if self.rtt.is_some() || at.elapsed() > RTT_GRACE {
                    rtc.disconnect();
                    return PathOutcome::Ok {
                        rtt_ms: self
                            .rtt
                            .map(|d| (d.as_secs_f64() * 10_000.0).round() / 10.0),
                        local: self.local.clone().unwrap_or_default(),
                        remote: self.selected.clone().unwrap_or_default(),
                    };
                }
            }
            let wake = tokio::time::Instant::from_std(wake);
            tokio::select! {
                msg = join::next(&mut joined.ws) => {
                    if let Err(reason) = self.signal(&mut rtc, &mut pending, msg) {
                        return PathOutcome::failed(reason);
                    }
                }
                incoming = self.rx.recv() => match incoming {
                    Some(Incoming::Packet { proto, source, destination, data }) => {
                        if let Ok(r) = Receive::new(proto, source, destination, &data) {
                            let _ = rtc.handle_input(Input::Receive(Instant::now(), r));
                        }
                    }
                    Some(Incoming::Note(n)) => self.notes.push(n),
                    None => return PathOutcome::failed("the transport closed"),
                },
                _ = tokio::time::sleep_until(wake) => {
                    let _ = rtc.handle_input(Input::Timeout(Instant::now()));
                }
                _ = tokio::time::sleep_until(deadline) => {
                    return self.timed_out();
                }
            }
        }
    }

    /// Poll str0m until it wants to be woken again; sends what it transmits.
    async fn drain(&mut self, rtc: &mut Rtc) -> Result<Instant, String> {
        loop {
            match rtc.poll_output().map_err(|e| format!("WebRTC: {e}"))? {
                Output::Timeout(t) => return Ok(t),
                Output::Transmit(t) => self.io.send(&t).await,
                Output::Event(Event::ChannelOpen(..)) => {
                    self.opened_at.get_or_insert_with(Instant::now);
                }
                Output::Event(Event::PeerStats(s)) => {
                    if let Some(pair) = s.selected_candidate_pair {
                        self.selected = Some(format!("{}/{}", pair.remote.addr, pair.protocol));
                        self.local = Some(pair.local.addr.to_string());
                        self.rtt = pair.current_round_trip_time.or(self.rtt);
                    }
                }
                Output::Event(_) => {}
            }
        }
    }

    /// Handle one signalling message: the answer, trickled candidates, a leave.
    fn signal(
        &mut self,
        rtc: &mut Rtc,
        pending: &mut Option<str0m::change::SdpPendingOffer>,
        msg: Option<signal_response::Message>,
    ) -> Result<(), String> {
        match msg {
            None => Err("LiveKit closed the signalling connection".into()),
            Some(signal_response::Message::Leave(l)) => Err(format!(
                "LiveKit sent the participant away (reason {})",
                l.reason
            )),
            Some(signal_response::Message::Answer(answer)) => {
                for line in answer.sdp.lines().filter_map(|l| l.strip_prefix("a=")) {
                    self.note_remote(line);
                }
                let sdp = SdpAnswer::from_sdp_string(&answer.sdp)
                    .map_err(|e| format!("LiveKit's answer: {e}"))?;
                let Some(p) = pending.take() else {
                    return Ok(());
                };
                rtc.sdp_api()
                    .accept_answer(p, sdp)
                    .map_err(|e| format!("LiveKit's answer: {e}"))
            }
            Some(signal_response::Message::Trickle(t))
                if t.target == SignalTarget::Publisher as i32 =>
            {
                #[derive(serde::Deserialize)]
                struct Init {
                    candidate: String,
                }
                let Ok(init) = serde_json::from_str::<Init>(&t.candidate_init) else {
                    return Ok(());
                };
                let line = init.candidate.trim_start_matches("a=");
                if let Ok(c) = Candidate::from_sdp_string(line) {
                    self.note_remote(line);
                    rtc.add_remote_candidate(c);
                }
                Ok(())
            }
            Some(_) => Ok(()),
        }
    }

    fn note_remote(&mut self, line: &str) {
        let Ok(c) = Candidate::from_sdp_string(line) else {
            return;
        };
        if c.proto() == self.protocol() {
            let addr: SocketAddr = c.addr();
            let text = format!("{addr}/{}", c.proto());
            if !self.remote.contains(&text) {
                self.remote.push(text);
            }
        }
    }

    fn timed_out(&self) -> PathOutcome {
        if self.remote.is_empty() && !self.from_plan {
            return PathOutcome::NotChecked {
                reason: format!("LiveKit offered no {} candidate", self.protocol()),
            };
        }
        PathOutcome::failed(self.timeout_reason())
    }

    fn timeout_reason(&self) -> String {
        let secs = PATH_TIMEOUT.as_secs();
        let mut reason = if self.remote.is_empty() {
            format!(
                "LiveKit offered no {} candidate within {secs} s",
                self.protocol()
            )
        } else if self.opened_at.is_none() && self.selected.is_some() {
            format!(
                "ICE connected to {} but DTLS or the data channel did not complete within {secs} s",
                self.selected.clone().unwrap_or_default()
            )
        } else {
            format!("no answer from {} within {secs} s", self.remote.join(", "))
        };
        if !self.notes.is_empty() {
            reason.push_str(&format!(" ({})", self.notes.join("; ")));
        }
        reason
    }
}
