//! What tests/images/build.sh built: its cache directory and the values it wrote to
//! `paths.env` there (image references, binaries). One reader for every test binary and bench
//! (included by path where `common` is not).

use std::path::PathBuf;

/// The image cache: `$SELKIE_IMAGE_CACHE`, default /var/cache/selkie-images.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("SELKIE_IMAGE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/selkie-images"))
}

/// The value of `key` in `paths.env` (`SELKIE_LAB_FRONTEND_IMAGE`, `SELKIE_LAB_CADDY` …);
/// panics, naming the script, when it has not run.
pub fn built_value(key: &str) -> String {
    let env = cache_dir().join("paths.env");
    let text = std::fs::read_to_string(&env).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run tests/images/build.sh first (it builds the real \
             images and the lab's client; .ci/run does)",
            env.display()
        )
    });
    let value = text
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .next_back()
        .unwrap_or_else(|| {
            panic!(
                "{} names no {key}: rerun tests/images/build.sh",
                env.display()
            )
        });
    value.trim().trim_matches(['"', '\'']).to_string()
}
