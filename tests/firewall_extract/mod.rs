//! Read back what a firewall output opens, from its text: (protocol, first port, last port,
//! source). The source is a network (`198.51.100.4/32`) or one family's "anywhere" (`0.0.0.0/0`,
//! `::/0`), so a rule open to everyone shows up once per family and a restricted one once, in its
//! own family. Shared by tests/firewall_outputs.rs and tests/properties.rs.
#![allow(dead_code)]

pub mod cloud;

use std::collections::{BTreeMap, BTreeSet};

use selkie::answers::{Cidr, HostFirewall};
use selkie::plan::Plan;
use selkie::transport::Proto;

/// One opening: protocol, first port, last port, source network.
pub type Rule = (Proto, u16, u16, String);
/// Everything an output opens.
pub type Opened = BTreeSet<Rule>;

/// IPv4's "anywhere".
pub const ANY_V4: &str = "0.0.0.0/0";
/// IPv6's "anywhere".
pub const ANY_V6: &str = "::/0";

/// The plan's public ports, each from its own source (or from anywhere, in both families), read
/// from the port table rather than from `plan.firewall`.
pub fn expected(plan: &Plan) -> Opened {
    let mut out = Opened::new();
    for p in plan.public_ports() {
        for source in sources(p.source) {
            out.insert((p.proto, p.port, p.end, source));
        }
    }
    out
}

/// A source as the extractors report it: the network, or both families' "anywhere".
pub fn sources(source: Option<Cidr>) -> Vec<String> {
    match source {
        Some(s) => vec![s.to_string()],
        None => vec![ANY_V4.to_string(), ANY_V6.to_string()],
    }
}

/// A network in its canonical text (`2001:db8:4::/64`, `198.51.100.4/32`), or "anywhere" as both
/// families for the words tools use for it.
pub fn net(text: &str) -> Vec<String> {
    let text = text.trim().trim_matches('"');
    match text {
        "anywhere" | "any" | "Internet" | "*" => vec![ANY_V4.to_string(), ANY_V6.to_string()],
        _ => {
            let cidr: Cidr = text
                .parse()
                .unwrap_or_else(|e| panic!("not a network: `{text}`: {e}"));
            vec![cidr.to_string()]
        }
    }
}

/// `tcp`/`udp` (any case) or the IANA numbers.
pub fn proto(text: &str) -> Proto {
    match text.to_ascii_lowercase().as_str() {
        "tcp" | "6" => Proto::Tcp,
        "udp" | "17" => Proto::Udp,
        other => panic!("unknown protocol `{other}`"),
    }
}

/// `80` or `50000{sep}50119`.
pub fn range(text: &str, sep: char) -> (u16, u16) {
    let (a, b) = text.split_once(sep).unwrap_or((text, text));
    let parse = |s: &str| {
        s.trim()
            .parse::<u16>()
            .unwrap_or_else(|_| panic!("not a port: `{text}`"))
    };
    (parse(a), parse(b))
}

/// Lines that are not comments, with backslash continuations joined.
pub fn code_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(line);
        out.push(std::mem::take(&mut pending));
    }
    out
}

/// The text after `key` up to the first of `ends`.
pub fn after<'a>(text: &'a str, key: &str, ends: &[char]) -> Option<&'a str> {
    let start = text.find(key)? + key.len();
    let rest = &text[start..];
    Some(rest.split(|c| ends.contains(&c)).next().unwrap_or(rest))
}

/// The token after `flag` in a whitespace-separated line.
pub fn token_after<'a>(tokens: &[&'a str], flag: &str) -> Option<&'a str> {
    tokens
        .iter()
        .position(|t| *t == flag)
        .and_then(|i| tokens.get(i + 1).copied())
}

/// Which family's firewall a line of a host output belongs to; `None` for both (or neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    V4,
    V6,
}

/// One code line of a host output, its scope, and what it opens.
#[derive(Debug, Clone)]
pub struct Line {
    pub text: String,
    pub scope: Option<Scope>,
    pub opened: Opened,
}

/// What a host output opens, line by line (code lines only).
pub fn host_lines(kind: HostFirewall, text: &str) -> Vec<Line> {
    match kind {
        HostFirewall::Ufw => simple(text, ufw),
        HostFirewall::Nftables => simple(text, nft),
        HostFirewall::Iptables => iptables(text),
        HostFirewall::Firewalld => firewalld(text),
    }
}

/// Everything a host output opens.
pub fn host(kind: HostFirewall, text: &str) -> Opened {
    host_lines(kind, text)
        .into_iter()
        .flat_map(|l| l.opened)
        .collect()
}

fn simple(text: &str, read: fn(&str) -> Opened) -> Vec<Line> {
    code_lines(text)
        .into_iter()
        .map(|text| Line {
            opened: read(&text),
            text,
            scope: None,
        })
        .collect()
}

fn each(proto_text: &str, ports: (u16, u16), from: Vec<String>) -> Opened {
    from.into_iter()
        .map(|s| (proto(proto_text), ports.0, ports.1, s))
        .collect()
}

/// The part of a rule before its comment, whose text may hold any word (`from 198.51.100.4/32`).
pub fn uncommented<'a>(line: &'a str, marker: &str) -> &'a str {
    line.split(marker).next().unwrap_or(line)
}

/// `ufw allow 80/tcp …` (both families) or `ufw allow proto tcp from NET to any port 22 …`.
fn ufw(line: &str) -> Opened {
    let line = uncommented(line.trim_start(), " comment ");
    // `ufw allow in on IFACE` trusts an interface and opens no port.
    if !line.starts_with("ufw allow ") || line.starts_with("ufw allow in on ") {
        return Opened::new();
    }
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let from = token_after(&tokens, "from").map_or_else(|| net("anywhere"), net);
    match (token_after(&tokens, "proto"), token_after(&tokens, "port")) {
        (Some(p), Some(ports)) => each(p, range(ports, ':'), from),
        _ => {
            let (ports, p) = tokens[2].split_once('/').unwrap();
            each(p, range(ports, ':'), from)
        }
    }
}

/// `[ip saddr NET ]tcp dport 80 accept` in an `inet` table (both families without a source).
fn nft(line: &str) -> Opened {
    let tokens: Vec<&str> = uncommented(line, " comment ").split_whitespace().collect();
    let from = token_after(&tokens, "saddr").map_or_else(|| net("anywhere"), net);
    let mut out = Opened::new();
    for (i, t) in tokens.iter().enumerate() {
        if *t == "dport" && i > 0 {
            out.extend(each(tokens[i - 1], range(tokens[i + 1], '-'), from.clone()));
        }
    }
    out
}

/// `-A SELKIE-INPUT -p tcp [-s NET] --dport 80 …` inside the `iptables-restore` (IPv4) or
/// `ip6tables-restore` (IPv6) heredoc; other lines are scoped by the tool they run.
fn iptables(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut heredoc: Option<Scope> = None;
    for text in code_lines(text) {
        let trimmed = text.trim();
        let tokens: Vec<&str> = uncommented(trimmed, " -m comment ")
            .split_whitespace()
            .collect();
        let mut opened = Opened::new();
        let scope = match heredoc {
            Some(scope) => {
                if trimmed == "RULES" {
                    heredoc = None;
                } else if let (Some(&"-A"), Some(p), Some(ports)) = (
                    tokens.first(),
                    token_after(&tokens, "-p"),
                    token_after(&tokens, "--dport"),
                ) {
                    let any = match scope {
                        Scope::V4 => ANY_V4,
                        Scope::V6 => ANY_V6,
                    };
                    let from = token_after(&tokens, "-s").map_or_else(|| vec![any.into()], net);
                    opened = each(p, range(ports, ':'), from);
                }
                Some(scope)
            }
            None => {
                let scope = if trimmed.starts_with("ip6tables") || trimmed.ends_with(" ip6tables") {
                    Some(Scope::V6)
                } else if trimmed.starts_with("iptables") || trimmed.ends_with(" iptables") {
                    Some(Scope::V4)
                } else {
                    None
                };
                if trimmed.ends_with("<<'RULES'") {
                    heredoc = scope;
                }
                scope
            }
        };
        out.push(Line {
            text,
            scope,
            opened,
        });
    }
    out
}

/// `selkie_service NAME PORT…` defines a service; `--add-service=NAME` opens it to everyone and a
/// rich rule `source address="NET" service name="NAME"` to NET. The ports count on the line that
/// defines them, from every source the service is bound to anywhere in the script.
fn firewalld(text: &str) -> Vec<Line> {
    let lines = code_lines(text);
    let mut bound: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in &lines {
        if let Some(name) = after(line, "--add-service=", &[' ']) {
            bound
                .entry(name.into())
                .or_default()
                .extend(net("anywhere"));
        }
        if line.contains("--add-rich-rule=") {
            let source = after(line, "source address=\"", &['"']).unwrap();
            let name = after(line, "service name=\"", &['"']).unwrap();
            bound.entry(name.into()).or_default().extend(net(source));
        }
        assert!(
            !(line.contains("--zone=") && line.contains("--add-port=")),
            "ports go into selkie's services, not the zone: {line}"
        );
    }
    lines
        .into_iter()
        .map(|text| {
            let tokens: Vec<&str> = text.split_whitespace().collect();
            let mut opened = Opened::new();
            if tokens.first() == Some(&"selkie_service") {
                let from = bound.get(tokens[1]).cloned().unwrap_or_default();
                for spec in &tokens[2..] {
                    let (ports, p) = spec.split_once('/').unwrap();
                    opened.extend(each(p, range(ports, '-'), from.clone()));
                }
            }
            Line {
                text,
                scope: None,
                opened,
            }
        })
        .collect()
}
