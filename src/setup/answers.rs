//! From flags to answers: a fresh deployment fills what the flags leave open from the host and the
//! preset; `--resume` changes only what the flags name, and an empty value clears a saved one.

use crate::answers::{
    AcmeCa, Answers, Cidr, Email, ExtraHosts, Hostname, ImageRef, Participants, Provider,
    ProxyMode, PublicAddress, SshAccess, UdpMode, UdpStart,
};
use crate::cli::SetupArgs;
use crate::error::{Error, Result};
use crate::host::HostFacts;
use crate::preset::{self, Preset};

/// The flags, parsed by the validated types.
struct Flags {
    preset: Option<Preset>,
    domain: Option<Hostname>,
    ip: Option<PublicAddress>,
    proxy: Option<ProxyMode>,
    participants: Option<Participants>,
    udp: Option<UdpMode>,
    udp_start: Option<UdpStart>,
    provider: Option<Provider>,
    /// `Some(None)`: given empty, which clears the saved value on `--resume`.
    email: Option<Option<Email>>,
    /// `Some(None)`: `--acme-ca ''`, back to Let's Encrypt.
    acme: Option<Option<AcmeCa>>,
    /// A `None` reference (`--image NAME=`) removes the override.
    images: Vec<(String, Option<ImageRef>)>,
    livekit_host: Option<Option<Hostname>>,
    turn_host: Option<Option<Hostname>>,
    ssh_ports: Vec<u16>,
    ssh_from: Option<Option<Cidr>>,
}

/// Check every flag's value without reading or writing anything.
pub(crate) fn check_flags(args: &SetupArgs) -> Result<()> {
    parse_flags(args).map(|_| ())
}

fn parse_flags(args: &SetupArgs) -> Result<Flags> {
    fn opt<T: std::str::FromStr<Err = Error>>(v: &Option<String>) -> Result<Option<T>> {
        v.as_deref().map(str::parse).transpose()
    }
    // An empty value means "clear it".
    fn clearable<T: std::str::FromStr<Err = Error>>(
        v: &Option<String>,
    ) -> Result<Option<Option<T>>> {
        match v.as_deref().map(str::trim) {
            None => Ok(None),
            Some("") => Ok(Some(None)),
            Some(text) => Ok(Some(Some(text.parse()?))),
        }
    }
    let images = args
        .image
        .iter()
        .map(|raw| {
            let (service, reference) = raw.split_once('=').ok_or_else(|| {
                Error::invalid(
                    format!("`--image {raw}` has no `=`"),
                    "write it as --image SERVICE=REF, e.g. --image frontend=registry.example.com/app:1.2",
                )
            })?;
            let reference = match reference.trim() {
                "" => None,
                text => Some(text.parse()?),
            };
            Ok((service.trim().to_string(), reference))
        })
        .collect::<Result<Vec<_>>>()?;
    let ssh_ports = args
        .ssh_port
        .iter()
        .map(|p| crate::answers::ssh_port(p))
        .collect::<Result<Vec<_>>>()?;
    Ok(Flags {
        preset: args.preset.as_deref().map(preset::find).transpose()?,
        domain: opt(&args.domain)?,
        ip: opt(&args.ip)?,
        proxy: opt(&args.proxy)?,
        participants: opt(&args.participants)?,
        udp: opt(&args.udp)?,
        udp_start: opt(&args.udp_start)?,
        provider: opt(&args.provider)?,
        email: clearable(&args.email)?,
        acme: acme_flags(args)?,
        images,
        livekit_host: clearable(&args.livekit_host)?,
        turn_host: clearable(&args.turn_host)?,
        ssh_ports,
        ssh_from: clearable(&args.ssh_from)?,
    })
}

/// `--acme-ca URL [--acme-ca-root FILE]`: the CA, with the root read from the file now.
fn acme_flags(args: &SetupArgs) -> Result<Option<Option<AcmeCa>>> {
    let Some(url) = args.acme_ca.as_deref().map(str::trim) else {
        return Ok(None);
    };
    if url.is_empty() {
        return Ok(Some(None));
    }
    let root = match &args.acme_ca_root {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::invalid(
                    format!("cannot read the ACME CA root {}: {e}", path.display()),
                    "give --acme-ca-root a readable PEM file with the CA's root certificate",
                )
            })?;
            Some(text.parse()?)
        }
    };
    Ok(Some(Some(AcmeCa {
        directory: url.parse()?,
        root,
    })))
}

/// Answers for a new deployment: the flags, then what the host shows, then the preset's defaults.
pub(crate) fn fresh(args: &SetupArgs, host: &HostFacts) -> Result<(Answers, Preset, Vec<String>)> {
    let found = guess(args, host)?;
    if found.0.domain.is_none() && found.0.ip.is_none() {
        return Err(Error::invalid(
            "no domain or IP address was given",
            "give --domain NAME (a name that points at this server, for automatic HTTPS) or --ip ADDR",
        ));
    }
    Ok(found)
}

/// The best guess for a new deployment, which may still lack an address: the wizard's defaults.
pub(crate) fn guess(args: &SetupArgs, host: &HostFacts) -> Result<(Answers, Preset, Vec<String>)> {
    let flags = parse_flags(args)?;
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
    };
    Ok((answers, preset, Vec::new()))
}

/// Saved answers changed by the flags, and notes on what a preset switch reset.
pub(crate) fn resume(saved: &Answers, args: &SetupArgs) -> Result<(Answers, Preset, Vec<String>)> {
    let flags = parse_flags(args)?;
    let mut a = saved.clone();
    let mut notes = Vec::new();
    let preset = match flags.preset {
        Some(p) if p.name != a.preset => {
            // What the old preset chose goes; what the operator chose stays.
            let d = &p.defaults;
            notes.push(format!(
                "preset {} -> {}: UDP sizing and the proxy follow the new preset unless given",
                a.preset, p.name
            ));
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
            p
        }
        Some(p) => p,
        None => preset::find(&a.preset)?,
    };
    if let Some(d) = flags.domain {
        a.domain = Some(d);
        a.ip = None;
    }
    if let Some(ip) = flags.ip {
        a.ip = Some(ip);
        a.domain = None;
    }
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
    if let Some(p) = flags.provider {
        a.provider = p;
    }
    if let Some(e) = flags.email {
        a.email = e;
    }
    if let Some(ca) = flags.acme {
        a.acme = ca;
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
    Ok((a, preset, notes))
}
