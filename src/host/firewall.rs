//! Which host firewall is installed, and which commands are on PATH.

use crate::answers::{HostFirewall, Provider};

/// Whether `cmd` is on PATH.
pub fn on_path(cmd: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(cmd).is_file()))
}

/// The host firewall that is installed here, by the commands on PATH; nftables otherwise.
/// On Oracle Cloud it is always iptables: the images' own REJECT rule makes ufw and nftables
/// rules ineffective.
pub fn installed_host_firewall(provider: Provider) -> HostFirewall {
    if provider == Provider::Oracle {
        return HostFirewall::Iptables;
    }
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
