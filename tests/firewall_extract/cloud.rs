//! What a cloud provider's script opens, with each rule's source.

use serde_json::Value;

use selkie::answers::Provider;

use super::{after, code_lines, net, proto, range, token_after, Opened, ANY_V4, ANY_V6};

/// Everything a provider's script opens.
pub fn cloud(provider: Provider, text: &str) -> Opened {
    let mut out = Opened::new();
    let mut block = false;
    for line in code_lines(text) {
        let trimmed = line.trim();
        let tokens: Vec<&str> = trimmed.split_whitespace().collect();
        match provider {
            Provider::DigitalOcean => {
                if trimmed.starts_with("INBOUND=(") {
                    block = true;
                } else if trimmed.starts_with(')') {
                    block = false;
                } else if block {
                    out.extend(digitalocean(trimmed.trim_matches('"')));
                }
            }
            Provider::Aws if trimmed.starts_with("allow '") => {
                let json = trimmed.trim_start_matches("allow ").trim_matches('\'');
                for rule in parse(json).as_array().unwrap() {
                    out.extend(aws(rule));
                }
            }
            Provider::Hetzner if trimmed.starts_with("{\"direction\"") => {
                let rule = parse(trimmed.trim_end_matches(','));
                let (a, b) = range(rule["port"].as_str().unwrap(), '-');
                for source in rule["source_ips"].as_array().unwrap() {
                    out.extend(one(
                        rule["protocol"].as_str().unwrap(),
                        (a, b),
                        source.as_str().unwrap(),
                    ));
                }
            }
            Provider::Oracle if trimmed.starts_with("{\"protocol\"") => {
                let rule = parse(trimmed.trim_end_matches(','));
                let options = rule
                    .get("tcpOptions")
                    .or_else(|| rule.get("udpOptions"))
                    .unwrap();
                let span = &options["destinationPortRange"];
                let ports = (port(&span["min"]), port(&span["max"]));
                out.extend(one(
                    rule["protocol"].as_str().unwrap(),
                    ports,
                    rule["source"].as_str().unwrap(),
                ));
            }
            Provider::Linode if trimmed.starts_with("{\"label\"") => {
                let rule = parse(trimmed.trim_end_matches(','));
                let p = rule["protocol"].as_str().unwrap();
                for family in ["ipv4", "ipv6"] {
                    let Some(list) = rule["addresses"].get(family) else {
                        continue;
                    };
                    for source in list.as_array().unwrap() {
                        for ports in rule["ports"].as_str().unwrap().split(',') {
                            out.extend(one(p, range(ports, '-'), source.as_str().unwrap()));
                        }
                    }
                }
            }
            Provider::Gcp if trimmed.starts_with("fw_rule ") => {
                let sources = after(trimmed, "--source-ranges=", &[' ']).unwrap();
                for spec in after(trimmed, "--allow=", &[' ']).unwrap().split(',') {
                    let (p, ports) = spec.split_once(':').unwrap();
                    for source in sources.split(',') {
                        out.extend(one(p, range(ports, '-'), source));
                    }
                }
            }
            Provider::Azure if trimmed.starts_with("nsg_rule ") => {
                let p = token_after(&tokens, "--protocol").unwrap();
                let source = token_after(&tokens, "--source-address-prefixes").unwrap();
                let start = tokens
                    .iter()
                    .position(|t| *t == "--destination-port-ranges")
                    .unwrap();
                for ports in tokens[start + 1..]
                    .iter()
                    .take_while(|t| !t.starts_with("--"))
                {
                    out.extend(one(p, range(ports, '-'), source));
                }
            }
            Provider::Vultr if trimmed.starts_with("vultr-cli firewall rule create") => {
                let source = format!(
                    "{}/{}",
                    token_after(&tokens, "--subnet").unwrap(),
                    token_after(&tokens, "--size").unwrap()
                );
                out.extend(one(
                    token_after(&tokens, "--protocol").unwrap(),
                    range(token_after(&tokens, "--port").unwrap(), ':'),
                    &source,
                ));
            }
            Provider::Scaleway | Provider::Ovh => {
                if trimmed.starts_with("cat <<'RULES'") {
                    block = true;
                } else if trimmed == "RULES" {
                    block = false;
                } else if block && matches!(tokens.first(), Some(&"tcp") | Some(&"udp")) {
                    out.extend(one(tokens[0], range(tokens[1], '-'), tokens[2]));
                }
            }
            _ => {}
        }
    }
    out
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON: {e}: {json}"))
}

fn port(v: &Value) -> u16 {
    v.as_u64().and_then(|n| u16::try_from(n).ok()).unwrap()
}

/// One rule from one source (a network, `0.0.0.0/0`, `::/0`, or a word for both families).
fn one(p: &str, ports: (u16, u16), source: &str) -> Opened {
    net(source)
        .into_iter()
        .map(|s| (proto(p), ports.0, ports.1, s))
        .collect()
}

/// `protocol:tcp,ports:22,address:NET[,address:NET]` or `…,$W` (both families' anywhere).
fn digitalocean(rule: &str) -> Opened {
    let mut p = None;
    let mut ports = None;
    let mut from = Vec::new();
    for field in rule.split(',') {
        match field.split_once(':') {
            Some(("protocol", v)) => p = Some(v),
            Some(("ports", v)) => ports = Some(range(v, '-')),
            Some(("address", v)) => from.push(v.to_string()),
            _ if field == "$W" => from.extend([ANY_V4.to_string(), ANY_V6.to_string()]),
            _ => panic!("unknown field `{field}` in `{rule}`"),
        }
    }
    let (p, ports) = (p.unwrap(), ports.unwrap());
    from.iter().flat_map(|s| one(p, ports, s)).collect()
}

/// One AWS IpPermission: its ranges of both families.
fn aws(rule: &Value) -> Opened {
    let p = rule["IpProtocol"].as_str().unwrap();
    let ports = (port(&rule["FromPort"]), port(&rule["ToPort"]));
    let mut out = Opened::new();
    for (list, key) in [("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6")] {
        for r in rule
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.extend(one(p, ports, r[key].as_str().unwrap()));
        }
    }
    out
}
