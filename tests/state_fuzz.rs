//! A proptest corpus over the state files' parsers (`selkie.toml`, `secrets.toml`,
//! `manifest.toml`): random text and mutations of real files never panic, never hang, and reading
//! them through the deployment directory writes nothing.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use selkie::state::{check_manifest, parse_answers, parse_secrets, Deployment};

const ANSWERS: &str = "version = 1\npreset = \"reflector\"\ndomain = \"meet.example.com\"\nproxy = \"caddy\"\n\
participants = 50\nudp = \"range\"\nudp_start = 44200\nprovider = \"aws\"\nemail = \"ops@example.com\"\n\
[hosts]\nlivekit = \"lk.example.com\"\n[ssh]\nports = [22, 2222]\nallow_from = \"198.51.100.0/24\"\n\
[images]\nfrontend = \"registry.example.com/app:1.0\"\n";
const SECRETS: &str = "livekit_api_key = \"APIabcdefabcdef\"\n\
livekit_api_secret = \"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV\"\n\
[extra]\npostgres_password = \"abcdefghijklmnopqrstuvwxyz012345\"\n";
const MANIFEST: &str = "version = 1\n[files.\"livekit/livekit.yaml\"]\n\
sha256 = \"e0a7d6bf9894d32482020a05b5551034bc1814208afa398b1f106ecce15a3649\"\n\
[files.\"livekit/keys.yaml\"]\n\
sha256 = \"e0a7d6bf9894d32482020a05b5551034bc1814208afa398b1f106ecce15a3649\"\nsecret = true\n";

/// A valid file with a few random edits: bytes replaced, inserted or removed.
fn mutated(base: &'static str) -> impl Strategy<Value = String> {
    let edits =
        proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..6);
    edits.prop_map(move |edits| {
        let mut chars: Vec<char> = base.chars().collect();
        for (at, kind, c) in edits {
            if chars.is_empty() {
                chars.push(c);
                continue;
            }
            let i = at.index(chars.len());
            match kind {
                0 => chars[i] = c,
                1 => chars.insert(i, c),
                _ => {
                    chars.remove(i);
                }
            }
        }
        chars.into_iter().collect()
    })
}

/// Text made of TOML's own pieces, more likely to reach the value checks than random bytes.
fn tomlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("version = 1\n".to_string()),
        Just("[ssh]\n".to_string()),
        Just("[files.\"".to_string()),
        Just("\"]\n".to_string()),
        Just("sha256 = \"".to_string()),
        Just("ports = [0, 65535, -1]\n".to_string()),
        Just("livekit_api_secret = \"".to_string()),
        Just("{{secret.".to_string()),
        Just("../".to_string()),
        Just("/etc/".to_string()),
        Just("[[[".to_string()),
        Just("\"\"\"".to_string()),
        "[ -~]{0,40}",
        "\\PC{0,10}",
    ];
    proptest::collection::vec(piece, 0..20).prop_map(|v| v.concat())
}

/// Every parser on `text`, each bounded in time.
fn parse_all(text: &str) -> Result<(), TestCaseError> {
    let started = Instant::now();
    let _ = parse_answers(text);
    let _ = parse_secrets(text);
    let _ = check_manifest(text);
    prop_assert!(
        started.elapsed() < Duration::from_secs(2),
        "parsing took {:?}",
        started.elapsed()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,300}") {
        parse_all(&text)?;
    }

    #[test]
    fn toml_pieces_never_panic(text in tomlish()) {
        parse_all(&text)?;
    }

    #[test]
    fn mutated_answers_never_panic(text in mutated(ANSWERS)) {
        parse_all(&text)?;
    }

    #[test]
    fn mutated_secrets_never_panic_or_show_a_value(text in mutated(SECRETS)) {
        parse_all(&text)?;
        if let Err(message) = parse_secrets(&text) {
            prop_assert!(!message.contains("abcdefghijklmnopqrstuvwxyzABCD"), "{}", message);
        }
    }

    #[test]
    fn mutated_manifests_never_panic_and_keep_paths_inside(text in mutated(MANIFEST)) {
        parse_all(&text)?;
        // A manifest that is accepted names only plain relative paths.
        if check_manifest(&text).is_ok() {
            let table: toml::Table = toml::from_str(&text).unwrap();
            if let Some(files) = table.get("files").and_then(|f| f.as_table()) {
                for path in files.keys() {
                    prop_assert!(!path.starts_with('/') && !path.split('/').any(|p| p == ".." || p == "."), "{}", path);
                }
            }
        }
    }
}

fn state_of(dir: &Path) -> BTreeMap<String, (u32, i64, Vec<u8>)> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let m = e.metadata().unwrap();
        let bytes = if m.is_file() {
            std::fs::read(e.path()).unwrap()
        } else {
            Vec::new()
        };
        out.insert(
            e.file_name().to_string_lossy().into_owned(),
            (m.mode(), m.mtime_nsec(), bytes),
        );
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// Reading broken state files through the deployment directory writes nothing.
    #[test]
    fn reading_broken_state_writes_nothing(
        answers in mutated(ANSWERS),
        secrets in mutated(SECRETS),
        manifest in mutated(MANIFEST),
    ) {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path();
        std::fs::write(dir.join("selkie.toml"), &answers).unwrap();
        std::fs::write(dir.join("secrets.toml"), &secrets).unwrap();
        // 0600 as selkie writes it (a looser file is tightened on purpose when read).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join("secrets.toml"), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(dir.join("manifest.toml"), &manifest).unwrap();
        std::fs::write(dir.join(".selkie.lock"), "").unwrap();
        let before = state_of(dir);
        let d = Deployment::new(dir);
        let _ = d.load_answers();
        let _ = d.load_secrets();
        let _ = d.hand_edited(&[]);
        prop_assert_eq!(state_of(dir), before);
    }
}
