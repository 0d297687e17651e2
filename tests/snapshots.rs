//! insta snapshots of every file selkie writes (secret files excepted) and of the plan as JSON,
//! for every preset x proxy mode x domain/IP. Review changes like code.

mod common;

use selkie::render;

#[test]
fn every_written_file_for_every_case() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for case in common::cases() {
            for file in render::public_files(&case.plan) {
                let name = format!("{}__{}", case.name, file.path.replace('/', "_"));
                insta::assert_snapshot!(name, file.contents);
            }
        }
    });
}

#[test]
fn the_plan_as_json_for_every_case() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for case in common::cases() {
            insta::assert_json_snapshot!(format!("{}__plan", case.name), case.plan);
        }
    });
}

#[test]
fn secret_files_have_the_expected_shape() {
    for case in common::cases() {
        let secrets = common::fake_secrets(&case.plan);
        for file in render::secret_files(&case.plan, &secrets).unwrap() {
            assert!(file.secret, "{}: {}", case.name, file.path);
            assert!(
                !file.contents.contains("{{"),
                "{}: {} has an unfilled template",
                case.name,
                file.path
            );
        }
    }
}

#[test]
fn every_cloud_providers_commands() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        let cases = common::cases();
        for name in ["livekit-caddy-domain", "private-caddy-ip"] {
            let case = cases.iter().find(|c| c.name == name).unwrap();
            for provider in selkie::answers::Provider::ALL {
                let mut plan = case.plan.clone();
                plan.firewall.provider = *provider;
                match selkie::render::firewall::cloud(&plan, *provider) {
                    Some(script) => {
                        insta::assert_snapshot!(format!("{name}__cloud-{provider}"), script)
                    }
                    None => assert_eq!(*provider, selkie::answers::Provider::None),
                }
            }
        }
    });
}
