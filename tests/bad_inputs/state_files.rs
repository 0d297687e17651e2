//! The table of broken state files: selkie.toml, secrets.toml and manifest.toml.

/// State files an operator (or anyone) broke: `(file, text)`. Each must be refused.
pub(super) fn state_cases(key: &str) -> Vec<(&'static str, String)> {
    let answers = |extra: &str| {
        format!(
            "version = 1\npreset = \"livekit\"\ndomain = \"meet.example.com\"\nproxy = \"caddy\"\n\
             participants = 50\nudp = \"range\"\nprovider = \"none\"\n{extra}"
        )
    };
    let secret = |value: &str| {
        format!(
            "livekit_api_key = \"{key}\"\nlivekit_api_secret = {}\n",
            toml::Value::String(value.into())
        )
    };
    let hash = "0".repeat(64);
    let manifest = |path: &str| format!("version = 1\n[files.\"{path}\"]\nsha256 = \"{hash}\"\n");
    vec![
        ("selkie.toml", answers("[ssh]\nports = [0]\n")),
        ("selkie.toml", answers("email = \"`id`@example.com\"\n")),
        ("selkie.toml", answers("email = \"{$HOME}@example.com\"\n")),
        (
            "selkie.toml",
            answers("[images]\nlivekit = \"foo:bar:baz\"\n"),
        ),
        ("selkie.toml", answers("[images]\nlivekit = \"a/../b:1\"\n")),
        (
            "selkie.toml",
            answers("[ssh]\nallow_from = \"10.0.0.0/33\"\n"),
        ),
        ("selkie.toml", answers("udp_start = 80\n")),
        ("selkie.toml", answers("bogus = 1\n")),
        (
            "selkie.toml",
            answers("").replace("participants = 50", "participants = 0"),
        ),
        (
            "selkie.toml",
            answers("").replace("domain = \"meet.example.com\"", "ip = \"255.255.255.255\""),
        ),
        (
            "selkie.toml",
            answers("").replace("domain = \"meet.example.com\"", "ip = \"[2001:db8::1\""),
        ),
        (
            "selkie.toml",
            answers("").replace("version = 1", "version = 2"),
        ),
        ("selkie.toml", answers("").replace("version = 1\n", "")),
        ("selkie.toml", "version = 1\npreset = \"\u{0}\"\n".into()),
        ("selkie.toml", "[[[".into()),
        ("secrets.toml", secret("short")),
        ("secrets.toml", secret("")),
        (
            "secrets.toml",
            secret(&format!(
                "{}\" #x\nAPIevil: {}",
                "a".repeat(40),
                "b".repeat(40)
            )),
        ),
        (
            "secrets.toml",
            secret(&format!("{}{{{{secret.x}}}}", "a".repeat(40))),
        ),
        (
            "secrets.toml",
            secret(&"a".repeat(40)).replace(key, "API: x"),
        ),
        (
            "secrets.toml",
            format!("{}bogus = 1\n", secret(&"a".repeat(40))),
        ),
        (
            "secrets.toml",
            format!(
                "{}[extra]\n\"Bad Name\" = \"{}\"\n",
                secret(&"a".repeat(40)),
                "c".repeat(40)
            ),
        ),
        (
            "secrets.toml",
            format!("{}[extra]\ndb = \"x\\ny\"\n", secret(&"a".repeat(40))),
        ),
        ("manifest.toml", manifest("/etc/passwd")),
        ("manifest.toml", manifest("../outside")),
        ("manifest.toml", manifest("livekit/../../x")),
        ("manifest.toml", manifest("selkie.toml")),
        ("manifest.toml", manifest("a/b/c")),
        (
            "manifest.toml",
            "version = 1\n[files.\"dns.txt\"]\nsha256 = \"zz\"\n".to_string(),
        ),
        ("manifest.toml", "version = 7\n".into()),
    ]
}
