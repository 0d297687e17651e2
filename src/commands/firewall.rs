//! `selkie firewall`: the commands that open exactly the plan's public ports.

use crate::answers::{HostFirewall, Provider};
use crate::cli::FirewallArgs;
use crate::error::Result;
use crate::render::firewall;

/// The host firewall that is installed here, by the commands on PATH; nftables otherwise.
/// On Oracle Cloud it is always iptables: the images' own REJECT rule makes ufw and nftables
/// rules ineffective.
pub fn installed_host_firewall(provider: Provider) -> HostFirewall {
    if provider == Provider::Oracle {
        return HostFirewall::Iptables;
    }
    let on_path = |cmd: &str| {
        std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(cmd).is_file()))
    };
    if on_path("ufw") {
        HostFirewall::Ufw
    } else if on_path("firewall-cmd") {
        HostFirewall::Firewalld
    } else if on_path("nft") {
        HostFirewall::Nftables
    } else {
        HostFirewall::Iptables
    }
}

/// Run `selkie firewall`.
pub fn run(args: &FirewallArgs) -> Result<()> {
    let dir = super::resolve_dir(&args.dir);
    super::report_dir(&dir, show(args, &dir))
}

fn show(args: &FirewallArgs, dir: &std::path::Path) -> Result<()> {
    let mut answers = super::saved_answers(dir)?;
    let provider: Option<Provider> = args.provider.as_deref().map(str::parse).transpose()?;
    let host_kind: Option<HostFirewall> = args.host.as_deref().map(str::parse).transpose()?;
    if let Some(p) = provider {
        answers.provider = p;
    }
    let plan = super::plan_for(&answers, &super::detect_host())?;
    if args.clients {
        print!("{}", firewall::clients(&plan));
        return Ok(());
    }
    if let Some(cloud) = firewall::cloud(&plan, plan.firewall.provider) {
        println!("{cloud}");
    } else {
        println!(
            "# No cloud firewall commands for provider `{}`: the host firewall below is the one that counts.\n",
            plan.firewall.provider
        );
    }
    let kind = host_kind.unwrap_or_else(|| installed_host_firewall(plan.firewall.provider));
    print!("{}", firewall::host(&plan, kind));
    Ok(())
}
