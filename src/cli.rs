//! The command line. Values arrive as text and are parsed by the same validated types the wizard
//! and `selkie.toml` use, so every rejection carries the same message and hint.

use std::path::PathBuf;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, Parser, Subcommand};

/// What to do about a usage error clap found, in selkie's words: the line after clap's own.
pub fn usage_hint(e: &clap::Error) -> String {
    let given = |kind: ContextKind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(" "),
        _ => String::new(),
    };
    match e.kind() {
        ErrorKind::ArgumentConflict => {
            let both = format!("{} {}", given(ContextKind::InvalidArg), given(ContextKind::PriorArg));
            if both.contains("--domain") && both.contains("--ip") {
                "give either --domain NAME (a name that points at this server) or --ip ADDR, not both".into()
            } else {
                format!("give only one of {both}; `selkie <command> --help` says what each does")
            }
        }
        ErrorKind::InvalidUtf8 => {
            "selkie takes UTF-8 text only: retype the value in plain letters, digits and punctuation (check the terminal's locale)".into()
        }
        ErrorKind::UnknownArgument => {
            "check the flag's spelling; `selkie <command> --help` lists every flag".into()
        }
        ErrorKind::InvalidSubcommand | ErrorKind::MissingSubcommand => {
            "run one of: selkie setup, plan, status, check, token, firewall, confirm, down, cloud-init, completions, man (`selkie --help` describes each)".into()
        }
        ErrorKind::ValueValidation => {
            let arg = given(ContextKind::InvalidArg);
            if arg.starts_with("--interval") || arg.starts_with("--timeout") {
                "give seconds from 0.1 to 3600 (default 2)".into()
            } else if arg.starts_with("--ttl") {
                "give a duration such as 15m, 90s or 2h".into()
            } else if arg.starts_with("--health-timeout") {
                "give the seconds each service may take to become healthy, from 1 to 3600 (default 120)".into()
            } else {
                "`selkie <command> --help` lists every flag and the values it takes".into()
            }
        }
        ErrorKind::InvalidValue if given(ContextKind::InvalidArg).starts_with("--pull") => {
            "choose --pull missing (the default) or --pull always".into()
        }
        ErrorKind::MissingRequiredArgument | ErrorKind::InvalidValue | ErrorKind::NoEquals => {
            "give the flag its value, e.g. --participants 50; `selkie <command> --help` lists every flag and its values".into()
        }
        _ => "`selkie <command> --help` lists every flag and the values it takes".into(),
    }
}

/// When `selkie setup` pulls images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Pull {
    /// Only images not present yet.
    Missing,
    /// Every image, to pick up a moved tag.
    Always,
}

/// selkie: a self-hosted LiveKit deployment on one Linux server, set up and watched.
#[derive(Debug, Parser)]
#[command(name = "selkie", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per run, so the size of the setup variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Plan and write the deployment (interactive, or --non-interactive with flags).
    Setup(SetupArgs),
    /// Show the plan from the saved answers: ports, DNS records, firewall rules, warnings.
    Plan(PlanArgs),
    /// Print the firewall commands for a cloud provider and a host firewall.
    Firewall(FirewallArgs),
    /// Stop and remove the stack's containers (data volumes stay unless --volumes).
    Down(DownArgs),
    /// Live health of every service and port: a dashboard, or --once / --json for scripts.
    Status(StatusArgs),
    /// Keep the firewall setup applied: run it from a NEW ssh connection before the deadline,
    /// or the rules from before come back by themselves.
    Confirm(ConfirmArgs),
    /// Print user-data (cloud-init) that installs selkie on a new server and runs the
    /// non-interactive setup with the given flags on its first boot.
    CloudInit(CloudInitArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print selkie's manual page (roff): `selkie man > /usr/local/share/man/man1/selkie.1`.
    Man,
    /// Join the deployment as a browser would and try each media path on its own (UDP, ICE/TCP,
    /// TURN): will people on other networks get through?
    Check(CheckArgs),
    /// Print a join-only token for the test room and a link to LiveKit's connection test.
    Token(TokenArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Print JSON (same exit codes: 0 when every required path works, 1 otherwise).
    #[arg(long)]
    pub json: bool,
    /// The outside view: check this LiveKit URL (wss://HOST) from any machine; needs --token.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// A join token for --url (`selkie token` on the server prints one).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// How long the token is valid: 15m, 90s, 2h (1m to 24h).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = crate::check::token::parse_ttl)]
    pub ttl: Duration,
    /// Print the token alone.
    #[arg(long)]
    pub raw: bool,
}

/// Where the deployment lives.
#[derive(Debug, Args)]
pub struct DirArg {
    /// Deployment directory [default: /opt/selkie as root, ~/.local/share/selkie otherwise]
    #[arg(long, env = "SELKIE_DIR", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Take every answer from flags and saved state; never prompt.
    #[arg(long)]
    pub non_interactive: bool,
    /// Start from the saved answers; change only what the flags say.
    #[arg(long)]
    pub resume: bool,
    /// Replace files edited by hand (each is backed up first).
    #[arg(long)]
    pub force: bool,
    /// Generate new secrets when an existing deployment's secrets.toml is missing (every client
    /// then needs the new API key and secret).
    #[arg(long)]
    pub new_secrets: bool,
    /// Write the files but do not start containers.
    #[arg(long)]
    pub no_start: bool,
    /// Pull images: missing (only those not present) or always (to pick up moved tags).
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = Pull::Missing)]
    pub pull: Pull,
    /// Install Docker from the distribution's packages if it is missing (consent for scripts).
    #[arg(long)]
    pub install_docker: bool,
    /// Seconds each service may take to become healthy (1 to 3600).
    #[arg(long, value_name = "SECS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub health_timeout: u64,
    /// Skip the media check at the end (`selkie check` runs one at any time). A run that
    /// changed nothing skips it anyway.
    #[arg(long)]
    pub no_check: bool,
    /// Stack to deploy: livekit, reflector, xr-hub, hearth, private.
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub preset: Option<String>,
    /// Domain that points at this server (automatic HTTPS).
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with = "ip",
        allow_hyphen_values = true
    )]
    pub domain: Option<String>,
    /// IP address clients reach this server at (no domain).
    #[arg(long, value_name = "ADDR", allow_hyphen_values = true)]
    pub ip: Option<String>,
    /// Reverse proxy: caddy, caddy-l4, external, none.
    #[arg(long, value_name = "MODE", allow_hyphen_values = true)]
    pub proxy: Option<String>,
    /// Expected peak number of people in calls at once (1-10000); sizes the UDP range.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub participants: Option<String>,
    /// WebRTC media over a UDP port range, or one multiplexed port: range, mux.
    #[arg(long, value_name = "MODE", allow_hyphen_values = true)]
    pub udp: Option<String>,
    /// First UDP port of the media range (or the mux port), 1024-65535.
    #[arg(long, value_name = "PORT", allow_hyphen_values = true)]
    pub udp_start: Option<String>,
    /// Cloud provider, for its firewall commands: digitalocean, aws, hetzner, gcp, azure, oracle,
    /// linode, vultr, scaleway, ovh, none [default: detected].
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub provider: Option<String>,
    /// E-mail for certificate expiry notices.
    #[arg(long, value_name = "ADDR", allow_hyphen_values = true)]
    pub email: Option<String>,
    /// ACME directory of another certificate authority than Let's Encrypt (https://…/directory);
    /// empty to go back to Let's Encrypt.
    #[arg(long, value_name = "URL")]
    pub acme_ca: Option<String>,
    /// PEM file with the root certificate of that CA's HTTPS endpoint, when it is not public.
    #[arg(long, value_name = "FILE", requires = "acme_ca")]
    pub acme_ca_root: Option<std::path::PathBuf>,
    /// Certificate for an IP address: acme (a six-day certificate from a public CA, renewed
    /// automatically; devices need nothing) or internal (Caddy's own CA: import its root on every
    /// device) [default: acme where a public CA can reach the address].
    #[arg(long, value_name = "SOURCE", allow_hyphen_values = true)]
    pub ip_cert: Option<String>,
    /// Image for a service, e.g. --image frontend=registry.example.com/app:1.2 (repeatable).
    #[arg(long, value_name = "SERVICE=REF", allow_hyphen_values = true)]
    pub image: Vec<String>,
    /// Host name for LiveKit signalling when it needs its own [default: lk.DOMAIN].
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub livekit_host: Option<String>,
    /// Host name for TURN/TLS in caddy-l4 mode [default: turn.DOMAIN].
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub turn_host: Option<String>,
    /// Port sshd listens on, kept open first (repeatable) [default: detected].
    #[arg(long, value_name = "PORT", allow_hyphen_values = true)]
    pub ssh_port: Vec<String>,
    /// Allow SSH only from this address or network, e.g. 203.0.113.7 or 203.0.113.0/24.
    #[arg(long, value_name = "CIDR", allow_hyphen_values = true)]
    pub ssh_from: Option<String>,
    /// Apply the host firewall selkie writes, commit-confirmed: it reverts by itself unless
    /// `selkie confirm` runs from a new SSH connection in time (saved; =false withdraws).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub apply_firewall: Option<bool>,
    /// Install the sysctl drop-in into /etc/sysctl.d and load it (saved; =false withdraws).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub apply_sysctl: Option<bool>,
    /// Host firewall to apply to: ufw, firewalld, nftables, iptables [default: the one installed].
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub host_firewall: Option<String>,
    /// How long an applied firewall waits for `selkie confirm` before it reverts: 300s, 5m
    /// (at most 60m; 0 keeps it without asking).
    #[arg(long, value_name = "TIME", default_value = "5m")]
    pub confirm_within: String,
}

#[derive(Debug, Args)]
pub struct ConfirmArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Confirm from a session that is not SSH (a provider's console), where SSH does not matter.
    #[arg(long)]
    pub without_ssh: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Machine-readable output with keys services, ports, dns, firewall, warnings.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Probe once and print a table (exit 0 when healthy, 1 when degraded or down).
    #[arg(long)]
    pub once: bool,
    /// Probe once and print JSON (same exit codes as --once).
    #[arg(long)]
    pub json: bool,
    /// Seconds between refreshes of the dashboard.
    #[arg(long, value_name = "SECS", default_value = "2", value_parser = status_seconds)]
    pub interval: Duration,
    /// Seconds each probe may take.
    #[arg(long, value_name = "SECS", default_value = "2", value_parser = status_seconds)]
    pub timeout: Duration,
}

/// Seconds for `selkie status`: 0.1 to 3600, fractions allowed.
fn status_seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| (0.1..=3600.0).contains(s))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("`{text}` is not a number of seconds from 0.1 to 3600"))
}

#[derive(Debug, Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Also remove the data volumes (databases, certificates): their data is lost.
    #[arg(long)]
    pub volumes: bool,
    /// Do not ask before removing volumes.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct FirewallArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Cloud provider whose commands to print [default: the saved answer].
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Host firewall: ufw, firewalld, nftables, iptables [default: the one installed].
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Print the egress rules a client network needs to reach this deployment instead.
    #[arg(long)]
    pub clients: bool,
}

#[derive(Debug, Args)]
pub struct CloudInitArgs {
    /// The https:// address of the selkie binary the new server downloads (its architecture's).
    #[arg(long, value_name = "URL")]
    pub selkie_url: String,
    /// That binary's SHA-256 (`sha256sum selkie`): the server runs no other file.
    #[arg(long, value_name = "HEX")]
    pub selkie_sha256: String,
    /// Also install a systemd timer that runs `selkie status --once` every five minutes.
    #[arg(long)]
    pub status_timer: bool,
    /// The flags for `selkie setup` on the server, after `--`: e.g. `-- --domain meet.example.com`.
    /// --non-interactive and --install-docker are added; --dir defaults to /opt/selkie.
    #[arg(last = true, value_name = "SETUP FLAGS")]
    pub setup: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
