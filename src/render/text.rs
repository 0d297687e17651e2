//! Files for people and the kernel: DNS records and the sysctl drop-in.

use crate::plan::Plan;

/// dns.txt: the records to create, as a table and as zone-file lines.
pub fn dns(plan: &Plan) -> String {
    let mut out = String::from("# DNS records for this deployment, written by selkie.\n");
    if plan.dns.is_empty() {
        out.push_str(&format!(
            "# None needed: clients reach the server by its address, {}.\n",
            plan.address
        ));
        return out;
    }
    out.push_str(
        "# Create them at your DNS provider; certificates are issued once they resolve here.\n#\n",
    );
    let width = plan.dns.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in &plan.dns {
        out.push_str(&format!(
            "# {:width$}  {:4}  {}  ({})\n",
            r.name, r.kind, r.value, r.purpose
        ));
    }
    out.push_str("#\n# Zone-file form:\n");
    for r in &plan.dns {
        out.push_str(&format!("{}.\t300\tIN\t{}\t{}\n", r.name, r.kind, r.value));
    }
    out
}

/// The sysctl drop-in: UDP buffers LiveKit asks for, and plan ports kept out of the ephemeral range.
pub fn sysctl(plan: &Plan) -> String {
    let s = &plan.sysctl;
    let mut out = format!(
        "# Kernel settings for LiveKit, written by selkie.\n\
         # Install: sudo install -m 0644 99-selkie.conf /etc/sysctl.d/ && sudo sysctl --system\n\
         \n\
         # LiveKit asks for UDP socket buffers of at least 5 MB to absorb bursts of media.\n\
         net.core.rmem_max = {}\n\
         net.core.wmem_max = {}\n",
        s.rmem_max, s.wmem_max
    );
    if !s.reserved_ports.is_empty() {
        let spans: Vec<String> = s
            .reserved_ports
            .iter()
            .map(|(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        out.push_str(&format!(
            "\n# These ports of the plan lie inside the kernel's ephemeral range ({}-{}); reserving them\n\
             # keeps outgoing connections from taking them before LiveKit binds them.\n\
             net.ipv4.ip_local_reserved_ports = {}\n",
            s.ephemeral.0,
            s.ephemeral.1,
            spans.join(",")
        ));
    }
    out
}
