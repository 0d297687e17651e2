//! Pulling images with progress: one bar per layer, and a line per image when done.

use std::collections::HashMap;

use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::DockerError;

/// Why a pull failed, in the operator's words.
pub fn cause(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("unauthorized") || m.contains("denied") || m.contains("authentication required") {
        "unauthorised: log in with `docker login REGISTRY`, or check the image name"
    } else if m.contains("not found")
        || m.contains("manifest unknown")
        || m.contains("does not exist")
    {
        "not found: check the image name and tag"
    } else if m.contains("dial tcp")
        || m.contains("connection refused")
        || m.contains("no such host")
        || m.contains("timeout")
        || m.contains("network is unreachable")
        || m.contains("tls handshake")
        || m.contains("server misbehaving")
        || m.contains("temporary failure")
    {
        "no network: this server cannot reach the registry"
    } else {
        "the registry refused it"
    }
}

fn layer_style() -> ProgressStyle {
    ProgressStyle::with_template("  {prefix:>12} {bar:30} {bytes:>10}/{total_bytes:<10} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// Pull `image`, drawing progress on `bars` (hidden when stderr is not a terminal).
pub async fn pull(docker: &Docker, image: &str, bars: &MultiProgress) -> Result<(), DockerError> {
    let options = CreateImageOptionsBuilder::default()
        .from_image(image)
        .build();
    let mut stream = docker.create_image(Some(options), None, None);
    // The image's total: layers done out of layers seen so far.
    let header = bars.add(ProgressBar::new(0));
    header.set_style(
        ProgressStyle::with_template("{msg} [{pos}/{len} layers]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    header.set_message(format!("pulling {image}"));
    let mut layers: HashMap<String, ProgressBar> = HashMap::new();
    let fail = |raw: String| DockerError::Pull {
        image: image.to_string(),
        cause: cause(&raw),
        raw,
    };
    while let Some(item) = stream.next().await {
        let info = match item {
            Ok(info) => info,
            Err(e) => {
                header.finish_and_clear();
                return Err(fail(e.to_string()));
            }
        };
        if let Some(detail) = info.error_detail {
            header.finish_and_clear();
            return Err(fail(detail.message.unwrap_or_default()));
        }
        let (Some(id), Some(status)) = (info.id, info.status) else {
            continue;
        };
        let bar = layers.entry(id.clone()).or_insert_with(|| {
            header.inc_length(1);
            let bar = bars.add(ProgressBar::new(0));
            bar.set_style(layer_style());
            bar.set_prefix(id.chars().take(12).collect::<String>());
            bar
        });
        if let Some(p) = info.progress_detail {
            if let (Some(current), Some(total)) = (p.current, p.total) {
                bar.set_length(u64::try_from(total).unwrap_or(0));
                bar.set_position(u64::try_from(current).unwrap_or(0));
            }
        }
        bar.set_message(status.clone());
        if (status.starts_with("Pull complete") || status.starts_with("Already exists"))
            && !bar.is_finished()
        {
            bar.finish();
            header.inc(1);
        }
    }
    for bar in layers.values() {
        bar.finish_and_clear();
    }
    header.finish_and_clear();
    eprintln!("  pulled {image}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::cause;

    #[test]
    fn pull_failures_are_named() {
        assert!(cause("manifest for x:1 not found: manifest unknown").starts_with("not found"));
        assert!(cause("pull access denied for x").starts_with("unauthorised"));
        assert!(
            cause("Get \"https://r/v2/\": dial tcp: lookup r: no such host")
                .starts_with("no network")
        );
    }
}
