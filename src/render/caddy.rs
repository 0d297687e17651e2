//! Proxy configs: the Caddyfile (`caddy`), Caddy JSON with the layer-4 app (`caddy-l4`), and the
//! nginx and Traefik snippets for `external`.

use crate::plan::Plan;

/// The Caddyfile for `caddy` mode.
pub fn caddyfile(_plan: &Plan) -> String {
    String::new()
}

/// Caddy's JSON config with the layer-4 app for `caddy-l4` mode.
pub fn layer4_json(_plan: &Plan) -> String {
    String::new()
}

/// An nginx snippet for `external` mode.
pub fn nginx(_plan: &Plan) -> String {
    String::new()
}

/// A Traefik dynamic configuration (file provider) for `external` mode.
pub fn traefik(_plan: &Plan) -> String {
    String::new()
}
