//! The server's public address as its cloud's metadata service tells it: the one address clients
//! reach behind a provider's 1:1 NAT (AWS, Google Cloud, Azure), where no interface holds it and
//! LiveKit would otherwise ask public STUN servers at every start.
//!
//! Asked only on a cloud: the provider detected from DMI (its own flavour), or, when DMI names
//! none and no interface holds an internet address, every flavour at once. Every request goes to
//! the link-local metadata address with short timeouts, all flavours concurrently, the whole
//! bounded by [`BUDGET`]; a missing or dead service costs at most that and yields nothing.
//! Oracle Cloud's service lists a VNIC's private address only, so Oracle falls back to the
//! interfaces and STUN.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::{Client, RequestBuilder};

use crate::answers::{Provider, PublicAddress, Reach};

/// Where every supported cloud serves instance metadata.
pub const METADATA_HOST: &str = "169.254.169.254";
/// The most the metadata services may cost a run, all of them together.
pub const BUDGET: Duration = Duration::from_millis(1000);
/// A metadata answer is an address or a small JSON document; more is not read.
const MAX_BODY: usize = 64 * 1024;

/// The providers whose metadata service tells the public address.
pub const FLAVOURS: &[Provider] = &[
    Provider::Aws,
    Provider::Gcp,
    Provider::Azure,
    Provider::DigitalOcean,
    Provider::Hetzner,
    Provider::Linode,
    Provider::Vultr,
];

/// The public address the metadata service of `provider` (or, for `None`, of any cloud that
/// answers) gives, with the provider that gave it. Never takes longer than [`BUDGET`].
pub async fn public_address(provider: Option<Provider>) -> Option<(IpAddr, Provider)> {
    let flavours: Vec<Provider> = match provider {
        Some(p) if FLAVOURS.contains(&p) => vec![p],
        Some(_) => return None,
        None => FLAVOURS.to_vec(),
    };
    let client = crate::http::client(BUDGET).ok()?;
    let asks = flavours.into_iter().map(|p| {
        let client = client.clone();
        Box::pin(async move { ask(&client, p).await.map(|ip| (ip, p)).ok_or(()) })
    });
    let first = futures_util::future::select_ok(asks);
    match tokio::time::timeout(BUDGET, first).await {
        Ok(Ok((found, _))) => Some(found),
        _ => None,
    }
}

/// One provider's answer, when it is an internet address.
async fn ask(client: &Client, provider: Provider) -> Option<IpAddr> {
    let text = match provider {
        Provider::Aws => aws(client).await?,
        Provider::Linode => linode(client).await?,
        _ => {
            let (path, header) = plain(provider)?;
            let mut request = client.get(url(path));
            if let Some((name, value)) = header {
                request = request.header(name, value);
            }
            text(request).await?
        }
    };
    let found = match provider {
        Provider::Vultr => vultr_address(&text)?,
        Provider::Linode => linode_address(&text)?,
        _ => text.trim().parse().ok()?,
    };
    (PublicAddress::from(found).reach() == Reach::Internet).then_some(found)
}

type Header = Option<(&'static str, &'static str)>;

/// The path and header of a provider answered by one GET.
fn plain(provider: Provider) -> Option<(&'static str, Header)> {
    Some(match provider {
        Provider::Gcp => (
            "/computeMetadata/v1/instance/network-interfaces/0/access-configs/0/external-ip",
            Some(("Metadata-Flavor", "Google")),
        ),
        Provider::Azure => (
            "/metadata/instance/network/interface/0/ipv4/ipAddress/0/publicIpAddress\
             ?api-version=2021-02-01&format=text",
            Some(("Metadata", "true")),
        ),
        Provider::DigitalOcean => ("/metadata/v1/interfaces/public/0/ipv4/address", None),
        Provider::Hetzner => ("/hetzner/v1/metadata/public-ipv4", None),
        Provider::Vultr => ("/v1.json", None),
        _ => return None,
    })
}

/// AWS IMDSv2: a session token from a PUT, then the address with it.
async fn aws(client: &Client) -> Option<String> {
    let token = text(
        client
            .put(url("/latest/api/token"))
            .header("X-aws-ec2-metadata-token-ttl-seconds", "60"),
    )
    .await?;
    text(
        client
            .get(url("/latest/meta-data/public-ipv4"))
            .header("X-aws-ec2-metadata-token", token.trim()),
    )
    .await
}

/// Linode (Akamai): a token from a PUT, then the network as JSON with it.
async fn linode(client: &Client) -> Option<String> {
    let token = text(
        client
            .put(url("/v1/token"))
            .header("Metadata-Token-Expiry-Seconds", "60"),
    )
    .await?;
    text(
        client
            .get(url("/v1/network"))
            .header("Metadata-Token", token.trim())
            .header("Accept", "application/json"),
    )
    .await
}

fn url(path: &str) -> String {
    format!("http://{METADATA_HOST}{path}")
}

/// The body of a 200 answer as text; nothing for any other answer or failure.
async fn text(request: RequestBuilder) -> Option<String> {
    let response = request.send().await.ok()?;
    if response.status().as_u16() != 200 {
        return None;
    }
    let body = crate::http::body(response, MAX_BODY).await.ok()?;
    String::from_utf8(body).ok()
}

/// Vultr's `/v1.json`: the first IPv4 address of the public interface.
fn vultr_address(json: &str) -> Option<IpAddr> {
    let doc: serde_json::Value = serde_json::from_str(json).ok()?;
    let interfaces = doc.get("interfaces")?.as_array()?;
    interfaces
        .iter()
        .filter(|i| i.get("network-type").and_then(|t| t.as_str()) != Some("private"))
        .find_map(|i| i.get("ipv4")?.get("address")?.as_str()?.parse().ok())
}

/// Linode's `/v1/network`: the first public IPv4 (`203.0.113.7/32`).
fn linode_address(json: &str) -> Option<IpAddr> {
    let doc: serde_json::Value = serde_json::from_str(json).ok()?;
    let public = doc.get("ipv4")?.get("public")?.as_array()?;
    public
        .iter()
        .filter_map(|v| v.as_str())
        .find_map(|cidr| cidr.split('/').next()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vultr_and_linode_documents_give_their_public_address() {
        let vultr = r#"{"hostname":"h","interfaces":[{"ipv4":{"address":"10.1.96.3"},"network-type":"private"},{"ipv4":{"address":"203.0.113.9","gateway":"203.0.113.1"},"network-type":"public"}]}"#;
        assert_eq!(vultr_address(vultr), Some("203.0.113.9".parse().unwrap()));
        let linode =
            r#"{"ipv4":{"public":["203.0.113.10/32"],"private":["192.168.1.2/17"],"shared":[]}}"#;
        assert_eq!(
            linode_address(linode),
            Some("203.0.113.10".parse().unwrap())
        );
        assert_eq!(linode_address(r#"{"ipv4":{"public":[]}}"#), None);
        assert_eq!(vultr_address("not json"), None);
    }

    #[test]
    fn every_flavour_has_a_way_to_ask() {
        for p in FLAVOURS {
            let special = matches!(p, Provider::Aws | Provider::Linode);
            assert!(special || plain(*p).is_some(), "{p}");
        }
        assert!(plain(Provider::Oracle).is_none());
    }
}
