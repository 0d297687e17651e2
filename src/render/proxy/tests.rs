use super::*;
use crate::answers::ProxyMode;
use crate::host::HostFacts;
use crate::plan;
use crate::preset;

fn plan_for(preset: &str, proxy: ProxyMode, address: &str) -> Plan {
    let preset = preset::find(preset).unwrap();
    let answers = crate::testing::answers(&preset, proxy, address);
    plan::build(&answers, &preset, &HostFacts::default()).unwrap()
}

#[test]
fn reflector_strips_the_livekit_prefix_and_keeps_the_others() {
    let plan = plan_for("reflector", ProxyMode::Caddy, "meet.example.com");
    let file = caddyfile(&plan);
    assert!(file.contains("\nmeet.example.com {\n"), "{file}");
    assert!(file.contains("\thandle_path /lk-ws/* {\n\t\treverse_proxy 127.0.0.1:7880\n"));
    assert!(file.contains("\thandle /lk-ws {\n\t\trewrite * /\n"));
    assert!(
        file.contains("\t@v1 path /v1 /v1/*\n\thandle @v1 {\n\t\treverse_proxy 127.0.0.1:1250\n")
    );
    assert!(file.contains("\thandle {\n\t\treverse_proxy 127.0.0.1:3000\n"));
    // A domain on 443 with redirects needs no global options and no internal CA.
    assert!(!file.contains("\n{\n"), "{file}");
    assert!(!file.contains("tls internal"));
    assert!(!file.contains("encode"));
}

#[test]
fn an_ip_site_orders_a_short_lived_certificate_from_the_acme_ca() {
    let plan = plan_for("livekit", ProxyMode::Caddy, "203.0.113.7");
    let file = caddyfile(&plan);
    assert!(
        file.contains(
            "\nhttps://203.0.113.7 {\n\ttls {\n\t\tissuer acme {\n\t\t\tprofile shortlived\n"
        ),
        "{file}"
    );
    assert!(file.contains("default_sni 203.0.113.7\n"));
    assert!(!file.contains("tls internal") && !file.contains("skip_install_trust"));
    assert!(file.contains("\treverse_proxy 127.0.0.1:7880\n"));
}

#[test]
fn an_ip_site_uses_the_internal_ca_when_chosen_and_says_how_to_trust_it() {
    let preset = preset::find("livekit").unwrap();
    let mut answers = crate::testing::answers(&preset, ProxyMode::Caddy, "203.0.113.7");
    answers.ip_cert = Some(crate::answers::IpCert::Internal);
    let plan = plan::build(&answers, &preset, &HostFacts::default()).unwrap();
    let file = caddyfile(&plan);
    assert!(
        file.contains("\nhttps://203.0.113.7 {\n\ttls internal\n"),
        "{file}"
    );
    assert!(file.contains("default_sni 203.0.113.7\n"));
    assert!(file.contains("/data/caddy/pki/authorities/local/root.crt"));
    assert!(!file.contains("profile shortlived"));
}

#[test]
fn an_ipv6_site_keeps_its_brackets_but_default_sni_does_not() {
    let plan = plan_for("livekit", ProxyMode::Caddy, "2001:db8::7");
    let file = caddyfile(&plan);
    assert!(file.contains("\nhttps://[2001:db8::7] {\n"), "{file}");
    assert!(file.contains("default_sni 2001:db8::7\n"));
    let nginx = nginx(&plan);
    assert!(
        nginx.contains("/etc/ssl/selkie/2001:db8::7/fullchain.pem"),
        "{nginx}"
    );
}

#[test]
fn another_https_port_is_in_the_address_and_the_global_options() {
    let plan = plan_for("private", ProxyMode::Caddy, "100.64.0.7");
    assert_eq!((plan.web.https_port, plan.web.redirect_http), (8443, false));
    let file = caddyfile(&plan);
    assert!(file.contains("\thttps_port 8443\n"), "{file}");
    assert!(file.contains("\tauto_https disable_redirects\n"));
    assert!(file.contains("\nhttps://100.64.0.7:8443 {\n"));
}

#[test]
fn the_layer4_config_routes_every_host_by_sni() {
    let plan = plan_for("hearth", ProxyMode::CaddyL4, "hearth.example");
    let json: serde_json::Value = serde_json::from_str(&layer4_json(&plan)).unwrap();
    let server = &json["apps"]["layer4"]["servers"]["tls_by_server_name"];
    assert_eq!(server["listen"], serde_json::json!([":443"]));
    let routes = server["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 3);
    let turn = routes
        .iter()
        .find(|r| r["match"][0]["tls"]["sni"][0] == "turn.hearth.example")
        .unwrap();
    assert_eq!(turn["handle"][0], serde_json::json!({"handler": "tls"}));
    assert_eq!(
        turn["handle"][1]["upstreams"][0]["dial"][0],
        "127.0.0.1:5349"
    );
    let app = routes
        .iter()
        .find(|r| r["match"][0]["tls"]["sni"][0] == "hearth.example")
        .unwrap();
    assert_eq!(
        app["handle"][0]["connection_policies"][0]["alpn"],
        serde_json::json!(["http/1.1"])
    );
    assert_eq!(
        json["apps"]["tls"]["certificates"]["automate"],
        serde_json::json!(["hearth.example", "lk.hearth.example", "turn.hearth.example"])
    );
    let redirect = &json["apps"]["http"]["servers"]["http_redirect"];
    assert_eq!(redirect["listen"], serde_json::json!([":80"]));
    assert_eq!(json["storage"]["root"], "/data");
}

#[test]
fn nginx_strips_with_a_trailing_slash_and_upgrades_websockets() {
    let plan = plan_for("reflector", ProxyMode::External, "meet.example.com");
    let conf = nginx(&plan);
    assert!(
        conf.contains("location /lk-ws/ {\n        proxy_pass http://127.0.0.1:7880/;"),
        "{conf}"
    );
    assert!(conf.contains("location /v1/ {\n        proxy_pass http://127.0.0.1:1250;"));
    assert!(conf.contains("map $http_upgrade $selkie_connection_upgrade"));
    assert!(conf.contains("proxy_set_header Connection $selkie_connection_upgrade;"));
    assert!(conf.contains("/etc/letsencrypt/live/meet.example.com/fullchain.pem"));
    assert!(conf.contains("return 301 https://$host$request_uri;"));
}

#[test]
fn traefik_routers_point_at_their_services_and_middlewares() {
    let plan = plan_for("reflector", ProxyMode::External, "meet.example.com");
    let yaml = traefik(&plan);
    let value: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
    let lk = &value["http"]["routers"]["selkie-livekit"];
    assert_eq!(
        lk["rule"],
        "Host(`meet.example.com`) && (Path(`/lk-ws`) || PathPrefix(`/lk-ws/`))"
    );
    assert_eq!(
        lk["middlewares"],
        serde_json::json!(["selkie-livekit-strip"])
    );
    assert_eq!(lk["tls"], serde_json::json!({}));
    assert_eq!(
        value["http"]["middlewares"]["selkie-livekit-strip"]["stripPrefix"]["prefixes"],
        serde_json::json!(["/lk-ws"])
    );
    assert_eq!(
        value["http"]["services"]["selkie-frontend"]["loadBalancer"]["servers"][0]["url"],
        "http://127.0.0.1:3000"
    );
}

#[test]
fn outputs_are_deterministic() {
    let plan = plan_for("reflector", ProxyMode::External, "meet.example.com");
    assert_eq!(nginx(&plan), nginx(&plan));
    assert_eq!(traefik(&plan), traefik(&plan));
    let plan = plan_for("hearth", ProxyMode::CaddyL4, "hearth.example");
    assert_eq!(layer4_json(&plan), layer4_json(&plan));
}

#[test]
fn matcher_names_are_caddyfile_words() {
    assert_eq!(caddyfile::matcher_name("/v1"), "v1");
    assert_eq!(caddyfile::matcher_name("/api/rooms-2"), "api_rooms_2");
    assert_eq!(caddyfile::matcher_name("/"), "root");
}

#[test]
fn a_site_without_a_fallback_answers_404_elsewhere() {
    let mut plan = plan_for("reflector", ProxyMode::External, "meet.example.com");
    plan.routes.retain(|r| r.path.is_some());
    assert!(nginx(&plan).contains("    location / {\n        return 404;\n    }\n"));
    plan.proxy = ProxyMode::Caddy;
    assert!(caddyfile(&plan).contains("\thandle {\n\t\trespond 404\n\t}\n"));
}

#[test]
fn the_turn_route_stays_out_of_http_proxies() {
    let mut plan = plan_for("hearth", ProxyMode::CaddyL4, "hearth.example");
    assert!(layer4_json(&plan).contains("127.0.0.1:5349"));
    plan.proxy = ProxyMode::External;
    for text in [caddyfile(&plan), nginx(&plan), traefik(&plan)] {
        assert!(!text.contains("5349"), "{text}");
        assert!(!text.contains("turn.hearth.example"), "{text}");
    }
}
