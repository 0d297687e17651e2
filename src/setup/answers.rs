//! Flags merged into answers: a fresh deployment fills what the flags leave open from the host and
//! the preset; `--resume` changes only what the flags name, and an empty value clears a saved one.

use crate::answers::{
    AcmeCa, Answers, Cidr, Email, ExtraHosts, HostChanges, HostFirewall, Hostname, ImageRef,
    IpCert, Participants, Provider, ProxyMode, PublicAddress, SshAccess, UdpMode, UdpStart,
};
use crate::error::{Error, Result};
use crate::host::HostFacts;
use crate::preset::{self, Preset};

/// The setup flags, parsed by the validated types (`None`: not given).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub preset: Option<Preset>,
    pub domain: Option<Hostname>,
    pub ip: Option<PublicAddress>,
    pub proxy: Option<ProxyMode>,
    pub participants: Option<Participants>,
    pub udp: Option<UdpMode>,
    pub udp_start: Option<UdpStart>,
    pub provider: Option<Provider>,
    /// `Some(None)`: given empty, which clears the saved value on `--resume`.
    pub email: Option<Option<Email>>,
    /// `Some(None)`: `--acme-ca ''`, back to Let's Encrypt.
    pub acme: Option<Option<AcmeCa>>,
    /// `--ip-cert acme|internal`; `Some(None)`: given empty, back to the default.
    pub ip_cert: Option<Option<IpCert>>,
    /// A `None` reference (`--image NAME=`) removes the override.
    pub images: Vec<(String, Option<ImageRef>)>,
    pub livekit_host: Option<Option<Hostname>>,
    pub turn_host: Option<Option<Hostname>>,
    pub ssh_ports: Vec<u16>,
    pub ssh_from: Option<Option<Cidr>>,
    /// `--apply-firewall[=BOOL]`: consent to apply the host firewall (saved).
    pub apply_firewall: Option<bool>,
    /// `--apply-sysctl[=BOOL]`: consent to install the sysctl drop-in (saved).
    pub apply_sysctl: Option<bool>,
    /// `--host-firewall NAME` (saved); `Some(None)`: given empty, back to the installed one.
    pub host_firewall: Option<Option<HostFirewall>>,
}

/// The consent the flags give over `saved` (a fresh deployment starts from none).
fn host_changes(saved: &HostChanges, flags: &Flags) -> HostChanges {
    HostChanges {
        firewall: flags.apply_firewall.unwrap_or(saved.firewall),
        sysctl: flags.apply_sysctl.unwrap_or(saved.sysctl),
        host_firewall: flags.host_firewall.unwrap_or(saved.host_firewall),
    }
}

/// Answers for a new deployment: the flags, then what the host shows, then the preset's defaults.
pub fn fresh(flags: &Flags, host: &HostFacts) -> Result<(Answers, Preset, Vec<String>)> {
    let found = guess(flags, host)?;
    if found.0.domain.is_none() && found.0.ip.is_none() {
        return Err(Error::invalid(
            "no domain or IP address was given",
            "give --domain NAME (a name that points at this server, for automatic HTTPS) or --ip ADDR",
        ));
    }
    Ok(found)
}

/// The best guess for a new deployment, which may still lack an address: the wizard's defaults.
pub fn guess(flags: &Flags, host: &HostFacts) -> Result<(Answers, Preset, Vec<String>)> {
    let flags = flags.clone();
    let apply = host_changes(&HostChanges::default(), &flags);
    let preset = match flags.preset {
        Some(p) => p,
        None => preset::find(preset::DEFAULT)?,
    };
    let d = &preset.defaults;
    let udp = flags.udp.unwrap_or(d.udp);
    // The preset's own range end holds only while the operator sizes nothing themselves.
    let udp_end = (flags.participants.is_none() && flags.udp_start.is_none() && udp == d.udp)
        .then_some(d.udp_end)
        .flatten();
    let allow_from = match flags.ssh_from {
        Some(given) => given,
        None => d
            .restrict_ssh
            .then_some(host.ssh_client.map(Cidr::host))
            .flatten(),
    };
    let answers = Answers {
        preset: preset.name.clone(),
        domain: flags.domain,
        ip: flags.ip,
        proxy: flags.proxy.unwrap_or(d.proxy),
        participants: flags.participants.unwrap_or(d.participants),
        udp,
        udp_start: flags.udp_start,
        udp_end,
        provider: flags.provider.or(host.provider).unwrap_or(Provider::None),
        email: flags.email.flatten(),
        acme: flags.acme.flatten(),
        ip_cert: flags.ip_cert.flatten(),
        hosts: ExtraHosts {
            livekit: flags.livekit_host.flatten(),
            turn: flags.turn_host.flatten(),
        },
        ssh: SshAccess {
            // What the operator named or the host showed; never the fallback guess, so a later
            // run that can read sshd's configuration is not tied to it.
            ports: if flags.ssh_ports.is_empty() && !host.ssh_guessed {
                host.ssh_ports.clone()
            } else {
                flags.ssh_ports
            },
            allow_from,
        },
        images: flags
            .images
            .into_iter()
            .filter_map(|(name, image)| image.map(|i| (name, i)))
            .collect(),
        apply,
    };
    Ok((answers, preset, Vec::new()))
}

/// Saved answers changed by the flags, and notes on what a preset switch reset.
pub fn resume(saved: &Answers, flags: &Flags) -> Result<(Answers, Preset, Vec<String>)> {
    let flags = flags.clone();
    let mut a = saved.clone();
    a.apply = host_changes(&a.apply, &flags);
    let mut notes = Vec::new();
    let preset = match flags.preset.clone() {
        Some(p) if p.name != a.preset => {
            notes.extend(switch_preset(&mut a, &p));
            p
        }
        Some(p) => p,
        None => preset::find(&a.preset)?,
    };
    change_address(&mut a, &flags);
    change_media(&mut a, &flags);
    change_rest(&mut a, flags);
    Ok((a, preset, notes))
}

/// Move saved answers to preset `p`: what the old preset chose goes, what the operator chose
/// stays. Returns notes on what was reset.
fn switch_preset(a: &mut Answers, p: &Preset) -> Vec<String> {
    let d = &p.defaults;
    let mut notes = vec![format!(
        "preset {} -> {}: UDP sizing and the proxy follow the new preset unless given",
        a.preset, p.name
    )];
    a.preset = p.name.clone();
    a.udp = d.udp;
    a.udp_start = None;
    a.udp_end = d.udp_end;
    if !p.allows(a.proxy) {
        notes.push(format!(
            "proxy {} does not work with {}: using {}",
            a.proxy, p.name, d.proxy
        ));
        a.proxy = d.proxy;
    }
    let known: Vec<&str> = p.services.iter().map(|s| s.name.as_str()).collect();
    let dropped: Vec<String> = a
        .images
        .keys()
        .filter(|k| !known.contains(&k.as_str()) && *k != "livekit" && *k != "caddy")
        .cloned()
        .collect();
    for name in dropped {
        a.images.remove(&name);
        notes.push(format!(
            "image override for `{name}` removed: {} has no such service",
            p.name
        ));
    }
    notes
}

/// A new domain replaces a saved IP address and the other way round.
fn change_address(a: &mut Answers, flags: &Flags) {
    if let Some(d) = flags.domain.clone() {
        a.domain = Some(d);
        a.ip = None;
    }
    if let Some(ip) = flags.ip {
        a.ip = Some(ip);
        a.domain = None;
    }
}

/// The proxy and the media sizing; a flag that sizes the UDP range drops the saved range end.
fn change_media(a: &mut Answers, flags: &Flags) {
    if let Some(p) = flags.proxy {
        a.proxy = p;
    }
    if let Some(p) = flags.participants {
        a.participants = p;
        a.udp_end = None;
    }
    if let Some(u) = flags.udp.filter(|u| *u != a.udp) {
        a.udp = u;
        a.udp_start = None;
        a.udp_end = None;
    }
    if let Some(s) = flags.udp_start {
        a.udp_start = Some(s);
        a.udp_end = None;
    }
}

/// Everything else the flags name: provider, certificates, host names, SSH and images.
fn change_rest(a: &mut Answers, flags: Flags) {
    if let Some(p) = flags.provider {
        a.provider = p;
    }
    if let Some(e) = flags.email {
        a.email = e;
    }
    if let Some(ca) = flags.acme {
        a.acme = ca;
    }
    if let Some(source) = flags.ip_cert {
        a.ip_cert = source;
    }
    if let Some(h) = flags.livekit_host {
        a.hosts.livekit = h;
    }
    if let Some(h) = flags.turn_host {
        a.hosts.turn = h;
    }
    if !flags.ssh_ports.is_empty() {
        a.ssh.ports = flags.ssh_ports;
    }
    if let Some(c) = flags.ssh_from {
        a.ssh.allow_from = c;
    }
    for (name, image) in flags.images {
        match image {
            Some(i) => a.images.insert(name, i),
            None => a.images.remove(&name),
        };
    }
}
