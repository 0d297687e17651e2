//! What the operator does after the files are written, in order.

use crate::answers::{Address, Answers, ProxyMode};
use crate::preset::Preset;

use super::web::behind_proxy;
use super::{DnsRecord, Web};

/// The next steps the plan lists: DNS, firewall, kernel settings, the proxy, trust, the VPN, the
/// containers, then the preset's own.
pub(super) fn next_steps(
    answers: &Answers,
    preset: &Preset,
    addr: &Address,
    dns: &[DnsRecord],
    web: &Web,
) -> Vec<String> {
    let mut steps = Vec::new();
    if !dns.is_empty() {
        let names: Vec<&str> = dns.iter().map(|r| r.name.as_str()).collect();
        steps.push(format!(
            "Point DNS at this server: {} record(s) for {} (see dns.txt); certificates are issued once they resolve here.",
            dns[0].kind,
            names.join(", ")
        ));
    }
    steps.push(
        "Open the firewall: run the script for your host firewall under firewall/ (SSH is allowed first), \
         and your cloud provider's commands if it has a cloud firewall."
            .into(),
    );
    steps.push(
        "Install the kernel settings: sudo install -m 0644 sysctl/99-selkie.conf /etc/sysctl.d/ && sudo sysctl --system"
            .into(),
    );
    if answers.proxy == ProxyMode::External {
        steps.push(
            "Add the routes to your own proxy: proxy/nginx.conf or proxy/traefik.yml, ready to paste.".into(),
        );
    }
    if web.internal_tls && behind_proxy(answers.proxy) && answers.proxy != ProxyMode::External {
        steps.push(format!(
            "Trust Caddy's own certificate authority on every device that connects to {addr}: \
             docker exec selkie-caddy cat /data/caddy/pki/authorities/local/root.crt > selkie-root.crt, \
             then import selkie-root.crt as a trusted root (browsers only allow camera and microphone over trusted HTTPS)."
        ));
    }
    if preset.vpn.is_some() {
        steps.push(
            "Join the server to your tailnet: `docker logs selkie-tailscale` shows the login URL \
             (or run docker exec -it selkie-tailscale tailscale --socket=/tmp/tailscaled.sock up); \
             tailscaled listens on 41641/udp, the port the firewall opens."
                .into(),
        );
    }
    steps.push(
        "Containers: selkie starts them and waits until they are healthy (skip with --no-start); \
         `docker compose up -d` in the deployment directory runs the same stack for compose users."
            .into(),
    );
    let host = addr.url_host();
    steps.extend(
        preset
            .services
            .iter()
            .flat_map(|s| &s.next_steps)
            .map(|step| step.replace("{{host}}", &host)),
    );
    steps
}
