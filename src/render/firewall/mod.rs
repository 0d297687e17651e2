//! Firewall outputs: host firewalls, cloud providers' CLIs, and the egress rules clients need.

use crate::answers::{HostFirewall, Provider};
use crate::plan::Plan;

/// The host firewall script (or nftables ruleset) that opens exactly the plan's public ports.
pub fn host(_plan: &Plan, _kind: HostFirewall) -> String {
    String::new()
}

/// The cloud provider's CLI commands, or `None` when the provider has no cloud firewall.
pub fn cloud(_plan: &Plan, _provider: Provider) -> Option<String> {
    None
}

/// What a client network must allow outbound to reach this deployment.
pub fn clients(_plan: &Plan) -> String {
    String::new()
}
