//! Join tokens from the deployment's own keys: join-only (one room, no admin, no publishing of
//! tracks), short-lived. Signed by `livekit-api`'s access tokens.

use std::time::Duration;

use livekit_api::access_token::{AccessToken, VideoGrants};

/// A check's tokens live as long as a check can take, and a little more.
pub const CHECK_TTL: Duration = Duration::from_secs(120);
/// The room `selkie token` gives access to.
pub const TEST_ROOM: &str = "selkie-check";
/// The longest `selkie token --ttl` allows.
pub const MAX_TTL: Duration = Duration::from_secs(24 * 3600);

/// A join-only token for `identity` in `room`, valid for `ttl`.
pub fn mint(
    key: &str,
    secret: &str,
    room: &str,
    identity: &str,
    ttl: Duration,
) -> Result<String, String> {
    let grants = VideoGrants {
        room_join: true,
        room: room.to_string(),
        can_publish: Some(false),
        can_publish_data: Some(true),
        can_subscribe: Some(true),
        ..Default::default()
    };
    AccessToken::with_api_key(key, secret)
        .with_identity(identity)
        .with_name("selkie check")
        .with_ttl(ttl)
        .with_grants(grants)
        .to_jwt()
        .map_err(|e| format!("cannot sign a join token with the deployment's keys: {e}"))
}

/// A throw-away name: `prefix-` and eight random hex digits.
pub fn random_name(prefix: &str) -> String {
    let mut bytes = [0u8; 4];
    // A failed getrandom leaves zeros: the name is still valid, only less unique.
    let _ = getrandom::fill(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

/// `15m`, `90s`, `2h`, or plain seconds; between one minute and a day.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("`{text}` has an unknown unit (use s, m or h)")),
    };
    let d = Duration::from_secs(secs);
    if d < Duration::from_secs(60) || d > MAX_TTL {
        return Err(format!("`{text}` is outside 1m to 24h"));
    }
    Ok(d)
}

/// LiveKit's web connection test with the URL and token filled in.
pub fn connection_test_link(url: &str, token: &str) -> String {
    format!(
        "https://livekit.io/connection-test?url={}&token={}",
        encode(url),
        encode(token)
    )
}

/// Percent-encoding for a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use livekit_api::access_token::TokenVerifier;

    #[test]
    fn a_minted_token_joins_one_room_and_nothing_else() {
        let secret = "s".repeat(40);
        let jwt = mint("APIkey", &secret, "room-1", "who", CHECK_TTL).unwrap();
        let claims = TokenVerifier::with_api_key("APIkey", &secret)
            .verify(&jwt)
            .unwrap();
        assert_eq!(claims.sub, "who");
        assert!(claims.video.room_join);
        assert_eq!(claims.video.room, "room-1");
        assert!(!claims.video.room_admin && !claims.video.room_create);
        assert_eq!(claims.video.can_publish, Some(false));
        assert!(TokenVerifier::with_api_key("APIkey", &"x".repeat(40))
            .verify(&jwt)
            .is_err());
    }

    #[test]
    fn ttls_are_read_with_units_and_bounded() {
        assert_eq!(parse_ttl("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_ttl("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_ttl("120"), Ok(Duration::from_secs(120)));
        assert!(parse_ttl("10s").unwrap_err().contains("1m to 24h"));
        assert!(parse_ttl("2d").unwrap_err().contains("unit"));
        assert!(parse_ttl("soon").is_err());
    }

    #[test]
    fn the_link_carries_url_and_token_encoded() {
        let link = connection_test_link("wss://meet.example.org", "a.b-c");
        assert!(
            link.ends_with("?url=wss%3A%2F%2Fmeet.example.org&token=a.b-c"),
            "{link}"
        );
        assert_ne!(random_name("x"), random_name("x"));
    }
}
