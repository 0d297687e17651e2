//! The placeholders a preset's service environment may use (`{{public_url}}`,
//! `{{service_url.NAME}}`, `{{secret.NAME}}` ...) and what they expand to in this plan.

use std::collections::BTreeMap;

use crate::answers::{Address, Answers, ProxyMode};
use crate::preset::{Expose, Preset};

use super::Urls;

/// The secrets a value names, as `{{secret.NAME}}` or a hex form derived from one.
pub(super) fn secret_names(value: &str) -> Vec<&str> {
    value
        .split("{{secret")
        .skip(1)
        .filter_map(|rest| rest.split_once("}}").map(|(name, _)| name))
        .filter_map(|name| {
            [".", "_hex.", "_hex24."]
                .iter()
                .find_map(|form| name.strip_prefix(form))
        })
        .collect()
}

/// The WebSocket form of an HTTP URL.
fn websocket_url(url: &str) -> String {
    url.replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1)
}

/// Where each web service is reached from a browser: the site itself behind a proxy (services
/// share its origin and are told apart by path), the service's own port without one.
pub(super) fn service_urls(
    answers: &Answers,
    preset: &Preset,
    urls: &Urls,
) -> BTreeMap<String, String> {
    let address = answers.address().ok();
    let host = address.as_ref().map(|a| a.url_host()).unwrap_or_default();
    preset
        .services
        .iter()
        .filter_map(|s| {
            let web = s.ports.iter().find(|p| p.expose == Expose::Web)?;
            let url = match (&web.subdomain, &address) {
                _ if answers.proxy == ProxyMode::None => {
                    Some(format!("http://{host}:{}", web.port))
                }
                // Its own host name, at the root (S3 signs the path, so it takes no prefix).
                (Some(sub), Some(Address::Domain(domain))) => Some(format!(
                    "https://{sub}.{domain}{}",
                    if preset.web.https_port == 443 {
                        String::new()
                    } else {
                        format!(":{}", preset.web.https_port)
                    }
                )),
                // No host name of its own without a domain: browsers cannot reach it.
                (Some(_), _) => None,
                (None, _) => urls.site.clone(),
            };
            url.map(|u| (s.name.clone(), u))
        })
        .collect()
}

/// Replace the plan's placeholders; `{{secret.*}}` stay for the renderer, which has the values.
/// Returns the unknown placeholder's name on failure.
pub(super) fn expand(
    value: &str,
    urls: &Urls,
    service_urls: &BTreeMap<String, String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let name = &after[..close];
        let replacement = match name {
            "public_url" => urls.site.clone(),
            "public_wss" => urls.site.as_deref().map(websocket_url),
            "livekit_url" => Some(urls.livekit.clone()),
            // Both live in secrets.toml; the renderer fills them into the service's 0600 env file.
            "livekit_api_key" => Some("{{livekit_api_key}}".to_string()),
            n if n.starts_with("secret.")
                || n.starts_with("secret_hex.")
                || n.starts_with("secret_hex24.") =>
            {
                Some(format!("{{{{{n}}}}}"))
            }
            n if n.starts_with("service_url.") => service_urls.get(&n[12..]).cloned(),
            n if n.starts_with("service_wss.") => {
                service_urls.get(&n[12..]).map(|u| websocket_url(u))
            }
            _ => None,
        };
        match replacement {
            Some(r) => out.push_str(&r),
            None => return Err(name.to_string()),
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}
