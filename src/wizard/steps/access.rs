//! SSH access: the port sshd listens on, asked when it cannot be seen (no SSH session, no Port in
//! a readable sshd_config), and the address SSH (with a preset's admin ports) is open to, asked
//! where the preset restricts it to the operator's own address and that address is not known.
//! From the summary, both are asked.

use crate::answers::{ssh_port, Cidr};
use crate::error::Error;
use crate::wizard::prompt::{self, Asked};
use crate::wizard::Wizard;

/// The answer for an SSH port open to every address.
const ANYWHERE: &str = "anywhere";

/// Nothing but the operator tells the SSH port: not yet answered, or answered in this run.
fn port_unknown(w: &Wizard) -> bool {
    w.host.ssh_guessed && (w.answers.ssh.ports.is_empty() || asked_here(w))
}

/// The preset opens SSH only to the operator's address, which nothing but the operator tells.
fn address_unknown(w: &Wizard) -> bool {
    w.preset.defaults.restrict_ssh && (w.answers.ssh.allow_from.is_none() || asked_here(w))
}

/// This run asked the step already: its questions stay in the flow once answered.
fn asked_here(w: &Wizard) -> bool {
    w.asked.contains(&super::Step::Access)
}

/// Whether the step is asked in the run's flow.
pub fn needed(w: &Wizard) -> bool {
    port_unknown(w) || address_unknown(w)
}

/// Ask what is not known (`all`: both questions, as from the summary).
pub fn ask(w: &mut Wizard, all: bool) -> Asked<()> {
    w.say("Every firewall selkie writes lets SSH in before anything else, so this session stays open.");
    if all || port_unknown(w) {
        if port_unknown(w) {
            w.say(
                "The SSH port could not be seen: no SSH session, and no Port line in sshd_config.",
            );
        }
        let now = ports_now(w);
        println!();
        let ports = prompt::text("Port(s) sshd listens on:", Some(&now), parse_ports)?;
        w.answers.ssh.ports = ports;
    }
    if all || address_unknown(w) {
        if w.preset.defaults.restrict_ssh {
            w.say(&format!(
                "The {} preset lets SSH in only from your own address (or network).",
                w.preset.name
            ));
        }
        let now = w
            .answers
            .ssh
            .allow_from
            .or(w.host.ssh_client.map(Cidr::host))
            .filter(|_| all || w.preset.defaults.restrict_ssh)
            .map_or_else(|| ANYWHERE.to_string(), |c| c.to_string());
        println!();
        w.answers.ssh.allow_from = prompt::text(
            "Allow SSH from (an address, a network, or anywhere):",
            Some(&now),
            parse_from,
        )?;
    }
    w.log.note(format!(
        "ssh: ports {:?}, from {}",
        w.answers.ssh.ports,
        w.answers
            .ssh
            .allow_from
            .map_or_else(|| ANYWHERE.to_string(), |c| c.to_string())
    ));
    Ok(())
}

/// The ports as saved, else as seen, else sshd's default.
fn ports_now(w: &Wizard) -> String {
    let ports = if w.answers.ssh.ports.is_empty() {
        &w.host.ssh_ports
    } else {
        &w.answers.ssh.ports
    };
    let shown: Vec<String> = ports.iter().map(u16::to_string).collect();
    if shown.is_empty() {
        "22".into()
    } else {
        shown.join(", ")
    }
}

/// `22` or `22, 2222`.
fn parse_ports(text: &str) -> Result<Vec<u16>, Error> {
    let mut ports = Vec::new();
    for part in text.split([',', ' ']).filter(|p| !p.is_empty()) {
        ports.push(ssh_port(part)?);
    }
    if ports.is_empty() {
        return Err(Error::invalid(
            "no SSH port was given",
            "enter the port sshd listens on, e.g. 22 (several: 22, 2222)",
        ));
    }
    ports.sort_unstable();
    ports.dedup();
    Ok(ports)
}

/// An address or network, or `anywhere`.
fn parse_from(text: &str) -> Result<Option<Cidr>, Error> {
    if text.trim().eq_ignore_ascii_case(ANYWHERE) {
        return Ok(None);
    }
    text.parse().map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_sources_parse_as_typed() {
        assert_eq!(parse_ports("2222, 22").unwrap(), vec![22, 2222]);
        assert!(parse_ports("0").is_err());
        assert!(parse_ports(" ").is_err());
        assert_eq!(parse_from("Anywhere").unwrap(), None);
        assert_eq!(
            parse_from("198.51.100.4").unwrap().map(|c| c.to_string()),
            Some("198.51.100.4/32".into())
        );
        assert!(parse_from("my laptop").is_err());
    }
}
