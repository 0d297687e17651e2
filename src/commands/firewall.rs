//! `selkie firewall`: the commands that open exactly the plan's public ports.

use crate::answers::{HostFirewall, Provider};
use crate::cli::FirewallArgs;
use crate::error::Result;
use crate::host::installed_host_firewall;
use crate::render::firewall;

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
