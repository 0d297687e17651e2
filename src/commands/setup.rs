//! `selkie setup`: from flags (and saved answers on `--resume`) to a written deployment.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use crate::answers::{
    Answers, Cidr, Email, ExtraHosts, Hostname, ImageRef, Participants, Provider, PublicAddress,
    SshAccess, UdpMode, UdpStart,
};
use crate::cli::SetupArgs;
use crate::docker::{connect, converge, PullPolicy};
use crate::error::{Error, Result};
use crate::host::HostFacts;
use crate::plan::Plan;
use crate::preset::{self, Preset};
use crate::render;
use crate::secrets::{self, Secrets};
use crate::state::{self, Deployment, FileAction, Report};

/// Run `selkie setup`.
pub fn run(args: &SetupArgs) -> Result<()> {
    let dir = super::resolve_dir(&args.dir);
    super::report_dir(&dir, run_in(args, &dir))
}

fn run_in(args: &SetupArgs, dir: &Path) -> Result<()> {
    if !args.non_interactive {
        let hint = "run `selkie setup --non-interactive --domain NAME` (or --ip ADDR), with --preset, --proxy, \
                    --participants and --provider as needed; `selkie setup --help` lists every flag";
        return Err(if std::io::stdin().is_terminal() {
            Error::invalid(
                "the interactive wizard is not part of this version yet",
                hint,
            )
        } else {
            Error::invalid(
                "setup needs a terminal to ask its questions (standard input is not one)",
                hint,
            )
        });
    }
    let policy = match args.pull.as_str() {
        "missing" => PullPolicy::Missing,
        "always" => PullPolicy::Always,
        other => {
            return Err(Error::invalid(
                format!("`--pull {other}` is not a pull policy"),
                "choose --pull missing (the default) or --pull always",
            ))
        }
    };
    let timeout = args
        .health_timeout
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|s| (1..=3600).contains(s))
        .map(Duration::from_secs)
        .ok_or_else(|| {
            Error::invalid(
                format!("`--health-timeout {}` is not a number of seconds", args.health_timeout),
                "give the seconds each service may take to become healthy, from 1 to 3600 (default 120)",
            )
        })?;
    let host = super::detect_host();
    let outcome = apply(args, dir, &host)?;
    print!("{}", summary(&outcome));
    let result = if args.no_start {
        println!("\nContainers not started (--no-start): `selkie setup --resume` starts them.");
        Ok(())
    } else {
        start(&outcome, dir, args.install_docker, policy, timeout)
    };
    result
}

/// Start (or converge) the stack through the Docker API and wait until it is healthy.
fn start(
    outcome: &Outcome,
    dir: &Path,
    install_docker: bool,
    policy: PullPolicy,
    timeout: Duration,
) -> Result<()> {
    super::runtime()?.block_on(async {
        let docker = match connect::connect().await {
            Ok(d) => d,
            Err(connect::Unreachable::NoSocket(_)) if install_docker => {
                println!("\nDocker is not installed; installing it from the distribution's packages:");
                connect::install()?;
                connect::connect()
                    .await
                    .map_err(connect::Unreachable::into_error)?
            }
            Err(e) => return Err(e.into_error()),
        };
        println!("\nStarting the stack through Docker ({})", connect::endpoint());
        let result = converge::converge(&docker, &outcome.plan, dir, &outcome.secrets, policy, timeout).await?;
        if result.failures.is_empty() {
            println!(
                "All {} services are healthy. LiveKit: {}",
                outcome.plan.services.len(),
                outcome.plan.urls.livekit
            );
            return Ok(());
        }
        for failure in &result.failures {
            eprintln!("\n{}", failure.report());
        }
        let names: Vec<&str> = result.failures.iter().map(|f| f.service.as_str()).collect();
        Err(Error::Other {
            message: format!(
                "{} did not become healthy; the services that are healthy keep running",
                names.join(", ")
            ),
            hint: Some(
                "fix the cause shown above (its log lines end the report), then run `selkie setup --resume`: \
                 only what is not running as planned is touched"
                    .into(),
            ),
        })
    })
}

/// What a setup run produced, for the summary and for tests.
pub struct Outcome {
    pub plan: Plan,
    pub answers: Answers,
    pub secrets: Secrets,
    pub report: Report,
    pub resumed: bool,
    /// What `--resume` changed beyond the flags (a preset switch resets its defaults).
    pub notes: Vec<String>,
    /// Held until the run ends: no second selkie run works on this directory meanwhile.
    pub lock: state::Lock,
}

/// Validate, plan and write, without printing: the whole of `setup --non-interactive`.
pub fn apply(args: &SetupArgs, dir: &Path, host: &HostFacts) -> Result<Outcome> {
    let deployment = Deployment::new(dir);
    let saved = deployment.load_answers()?;
    let (answers, preset, notes) = match (&saved, args.resume) {
        (Some(saved), true) => resume(saved, args)?,
        (None, true) => {
            return Err(Error::invalid(
                format!("there is nothing to resume in {} (no selkie.toml)", dir.display()),
                "run `selkie setup --non-interactive --domain NAME` (or --ip ADDR) first, or point --dir at the deployment",
            ))
        }
        (Some(_), false) => {
            return Err(Error::invalid(
                format!("{} already holds a deployment", dir.display()),
                "change it with `selkie setup --resume` (saved answers and secrets are kept), or choose another --dir",
            ))
        }
        (None, false) => fresh(args, host)?,
    };
    let plan = crate::plan::build(&answers, &preset, host)?;
    let secrets = match deployment.load_secrets()? {
        Some(mut s) => {
            s.add_missing(&plan.secrets)?;
            s
        }
        None => Secrets::generate(&plan.secrets)?,
    };
    let files = render::all(&plan, &secrets)?;
    // Taken only now: invalid input has been refused without creating anything.
    let lock = state::lock(dir)?;
    let report = deployment.write(&answers, &secrets, &files, args.force)?;
    Ok(Outcome {
        plan,
        answers,
        secrets,
        report,
        resumed: args.resume,
        notes,
        lock,
    })
}

/// The flags, parsed by the validated types.
struct Flags {
    preset: Option<Preset>,
    domain: Option<Hostname>,
    ip: Option<PublicAddress>,
    proxy: Option<crate::answers::ProxyMode>,
    participants: Option<Participants>,
    udp: Option<UdpMode>,
    udp_start: Option<UdpStart>,
    provider: Option<Provider>,
    /// `Some(None)`: given empty, which clears the saved value on `--resume`.
    email: Option<Option<Email>>,
    /// A `None` reference (`--image NAME=`) removes the override.
    images: Vec<(String, Option<ImageRef>)>,
    livekit_host: Option<Option<Hostname>>,
    turn_host: Option<Option<Hostname>>,
    ssh_ports: Vec<u16>,
    ssh_from: Option<Option<Cidr>>,
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
        .map(|p| {
            p.trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| {
                    Error::invalid(
                        format!("`{p}` is not a port number"),
                        "give the port sshd listens on, e.g. --ssh-port 22",
                    )
                })
        })
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
        images,
        livekit_host: clearable(&args.livekit_host)?,
        turn_host: clearable(&args.turn_host)?,
        ssh_ports,
        ssh_from: clearable(&args.ssh_from)?,
    })
}

fn fresh(args: &SetupArgs, host: &HostFacts) -> Result<(Answers, Preset, Vec<String>)> {
    let flags = parse_flags(args)?;
    let preset = match flags.preset {
        Some(p) => p,
        None => preset::find(preset::DEFAULT)?,
    };
    if flags.domain.is_none() && flags.ip.is_none() {
        return Err(Error::invalid(
            "no domain or IP address was given",
            "give --domain NAME (a name that points at this server, for automatic HTTPS) or --ip ADDR",
        ));
    }
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
fn resume(saved: &Answers, args: &SetupArgs) -> Result<(Answers, Preset, Vec<String>)> {
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

fn action_word(a: FileAction) -> &'static str {
    match a {
        FileAction::Created => "created",
        FileAction::Updated => "updated",
        FileAction::Unchanged => "unchanged",
        FileAction::KeptEdit => "kept your edit",
        FileAction::ReplacedEdit => "replaced your edit (backed up)",
        FileAction::Removed => "removed (backed up)",
        FileAction::LeftEdited => "no longer used; left in place because you edited it",
    }
}

/// What the operator reads at the end of a run. Secrets appear masked only.
pub fn summary(outcome: &Outcome) -> String {
    let plan = &outcome.plan;
    let mut out = String::new();
    for note in &outcome.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(&super::plan::describe(plan));
    out.push_str("\nFiles\n");
    for (path, action) in &outcome.report.files {
        if outcome.resumed && *action == FileAction::Unchanged {
            continue;
        }
        out.push_str(&format!("  {path:<28} {}\n", action_word(*action)));
    }
    if outcome.resumed && outcome.report.changed().next().is_none() {
        out.push_str("  nothing changed\n");
    }
    if let Some(backup) = &outcome.report.backup {
        out.push_str(&format!("  previous versions: {}\n", backup.display()));
    }
    out.push_str(&format!(
        "\nLiveKit API key:    {}\nLiveKit API secret: {} (in secrets.toml, mode 0600)\n",
        outcome.secrets.livekit_api_key,
        secrets::mask(&outcome.secrets.livekit_api_secret)
    ));
    out.push_str("\nNext steps\n");
    for (i, step) in plan.next_steps.iter().enumerate() {
        out.push_str(&format!("  {}. {step}\n", i + 1));
    }
    out
}
