//! The nginx snippet of `external` mode: `server` blocks for the operator's own nginx. A
//! template, since a person pastes and adapts it; the tests check it with the real `nginx -t`.

use crate::plan::{Plan, Route};

use super::{bare_host, describe, http_sites, public_url, Site};

/// The `map` variable that carries WebSocket upgrades; prefixed so that it cannot clash with a
/// `$connection_upgrade` the operator's nginx already defines.
const UPGRADE_VAR: &str = "$selkie_connection_upgrade";

/// Where certbot's webroot plugin puts challenge files for the HTTP server below.
const ACME_WEBROOT: &str = "/var/www/letsencrypt";

/// The nginx snippet for the plan.
pub(super) fn render(plan: &Plan) -> String {
    let sites = http_sites(plan);
    let mut out = header(plan);
    out.push_str(&format!(
        "\n# WebSocket upgrades (LiveKit signalling): forward the client's Upgrade, and close the\n\
         # upstream connection after ordinary requests.\n\
         map $http_upgrade {UPGRADE_VAR} {{\n    default upgrade;\n    ''      close;\n}}\n"
    ));
    if plan.web.redirect_http && !sites.is_empty() {
        out.push('\n');
        redirect_server(plan, &sites, &mut out);
    }
    for site in &sites {
        out.push('\n');
        https_server(plan, site, &mut out);
    }
    out
}

fn header(plan: &Plan) -> String {
    format!(
        "# nginx snippet, written by selkie for the {preset} preset (proxy mode `external`).\n\
         # Paste it into the http context of your nginx on this server; on Debian and Ubuntu save it\n\
         # as /etc/nginx/conf.d/selkie.conf (files there are included inside http {{ }}), then run\n\
         #   sudo nginx -t && sudo systemctl reload nginx\n\
         # The services listen on 127.0.0.1 only, so nginx must run on this host.\n\
         # Certificates are yours to provide: each server block names the files it expects (for a\n\
         # domain, where certbot keeps them). Change the paths if yours live elsewhere.\n",
        preset = plan.preset
    )
}

/// Port 80: certbot's webroot challenges, and a redirect of everything else to HTTPS.
fn redirect_server(plan: &Plan, sites: &[Site<'_>], out: &mut String) {
    let names: Vec<&str> = sites.iter().map(|s| s.host).collect();
    let port = plan.web.port_suffix();
    // Only a domain has certbot challenges to answer.
    let (title, challenges) = if plan.web.bare_ip {
        ("a redirect to HTTPS", String::new())
    } else {
        (
            "certificate challenges, and a redirect to HTTPS for everything else",
            format!(
                "    # For `certbot certonly --webroot -w {ACME_WEBROOT} -d NAME` and its renewals.\n\
                 \x20   location /.well-known/acme-challenge/ {{\n        root {ACME_WEBROOT};\n    }}\n"
            ),
        )
    };
    out.push_str(&format!(
        "# Plain HTTP: {title}.\n\
         server {{\n    listen 80;\n    listen [::]:80;\n    server_name {names};\n\n\
         {challenges}\
         \x20   location / {{\n        return 301 https://$host{port}$request_uri;\n    }}\n}}\n",
        names = names.join(" ")
    ));
}

fn https_server(plan: &Plan, site: &Site<'_>, out: &mut String) {
    let port = plan.web.https_port;
    let name = bare_host(site.host);
    let (cert_dir, cert_note) = if plan.web.bare_ip {
        (
            format!("/etc/ssl/selkie/{name}"),
            format!(
                "# Your certificate for the address {name}: from your own CA (devices must trust it) or\n\
                 \x20   # a public CA that issues certificates for IP addresses.\n\
                 \x20   # Browsers send no server name (SNI) to an IP address, so nginx answers with the\n\
                 \x20   # default server of port {port}: add `default_server` to the listen lines above\n\
                 \x20   # unless another server block of yours already is the default.\n"
            ),
        )
    } else {
        (
            format!("/etc/letsencrypt/live/{name}"),
            format!(
                "# Your certificate for {name}, where certbot keeps it:\n\
                 \x20   #   sudo certbot certonly --webroot -w {ACME_WEBROOT} -d {name}\n"
            ),
        )
    };
    out.push_str(&format!(
        "# {url}\n\
         server {{\n    listen {port} ssl;\n    listen [::]:{port} ssl;\n    server_name {host};\n\n\
         \x20   {cert_note}\
         \x20   ssl_certificate     {cert_dir}/fullchain.pem;\n\
         \x20   ssl_certificate_key {cert_dir}/privkey.pem;\n\n\
         \x20   # No limit on uploads, as with Caddy; nginx's default stops at 1 MB.\n\
         \x20   client_max_body_size 0;\n\n\
         \x20   proxy_http_version 1.1;\n\
         \x20   proxy_set_header Host $host;\n\
         \x20   proxy_set_header X-Real-IP $remote_addr;\n\
         \x20   proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
         \x20   proxy_set_header X-Forwarded-Host $host;\n\
         \x20   proxy_set_header X-Forwarded-Proto $scheme;\n\
         \x20   proxy_set_header Upgrade $http_upgrade;\n\
         \x20   proxy_set_header Connection {UPGRADE_VAR};\n\
         \x20   # A WebSocket stays open for the whole call, which may be quiet for longer than\n\
         \x20   # nginx's default of 60 s.\n\
         \x20   proxy_read_timeout 1h;\n\
         \x20   proxy_send_timeout 1h;\n",
        url = public_url(plan, "https", site.host, None),
        host = site.host,
    ));
    for route in &site.routes {
        out.push('\n');
        location(plan, route, out);
    }
    if !site.has_fallback() {
        out.push_str(
            "\n    # Nothing else is served on this site.\n    location / {\n        return 404;\n    }\n",
        );
    }
    out.push_str("}\n");
}

fn location(plan: &Plan, route: &Route, out: &mut String) {
    let what = describe(plan, route);
    let upstream = &route.upstream;
    match route.path.as_deref() {
        None => out.push_str(&format!(
            "    # Everything else -> {what}.\n\
             \x20   location / {{\n        proxy_pass http://{upstream};\n    }}\n"
        )),
        // A URI part in proxy_pass ("/") replaces the matched prefix: /lk-ws/rtc arrives as /rtc.
        Some(path) if route.strip_prefix => out.push_str(&format!(
            "    # {path} -> {what}.\n\
             \x20   # The prefix is removed (the trailing slash of proxy_pass replaces it):\n\
             \x20   # {path}/x reaches the service as /x.\n\
             \x20   location {path}/ {{\n        proxy_pass http://{upstream}/;\n    }}\n\
             \x20   location = {path} {{\n        proxy_pass http://{upstream}/;\n    }}\n"
        )),
        Some(path) => out.push_str(&format!(
            "    # {path} -> {what}.\n\
             \x20   # The prefix is kept: the service serves its paths under {path}.\n\
             \x20   location {path}/ {{\n        proxy_pass http://{upstream};\n    }}\n\
             \x20   location = {path} {{\n        proxy_pass http://{upstream};\n    }}\n"
        )),
    }
}
