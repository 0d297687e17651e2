mod common;

#[test]
fn every_preset_plans_with_every_allowed_proxy_mode() {
    let cases = common::cases();
    assert!(cases.len() >= 15, "only {} cases", cases.len());
}
