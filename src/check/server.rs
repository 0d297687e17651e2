//! The check as the server runs it: the plan's LiveKit URL and paths, tokens minted from the
//! deployment's keys, and for `tls internal` the deployment's own CA.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;

use super::{token, CheckError, Target, Tokens};
use crate::error::Result;
use crate::health::probes;
use crate::plan::Plan;
use crate::state::Deployment;

/// What the server checks: the plan's LiveKit URL and paths, tokens from its keys.
pub fn target(dir: &Path, plan: &Plan) -> Result<Target> {
    let secrets = Deployment::new(dir)
        .load_secrets()?
        .ok_or_else(|| CheckError::NoSecrets {
            dir: dir.to_path_buf(),
        })?;
    let url = plan.urls.livekit.clone();
    Ok(Target {
        outside_command: Some(format!(
            "selkie check --url {url} --token TOKEN (run `selkie token` here for the token)"
        )),
        url,
        tokens: Tokens::Mint {
            key: secrets.livekit_api_key.clone(),
            secret: secrets.livekit_api_secret.clone(),
            room: token::random_name("selkie-check"),
        },
        roots: probes::system_roots(),
        planned: Some(super::planned(plan)),
        from_server: true,
    })
}

/// For `tls internal`, trust the deployment's own CA too (from Caddy's admin API).
pub async fn with_own_ca(mut target: Target, plan: &Plan) -> Target {
    if !(plan.web.internal_tls && plan.service(&crate::role::Role::Proxy).is_some()) {
        return target;
    }
    let fetched = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        probes::deployment_ca(probes::CADDY_ADMIN),
    )
    .await;
    if let Ok(Ok(own)) = fetched {
        let mut roots = RootCertStore::empty();
        roots.extend(target.roots.roots.iter().cloned());
        roots.extend(own.roots.iter().cloned());
        target.roots = Arc::new(roots);
    }
    target
}

/// The whole check from the server.
pub async fn check(dir: &Path, plan: &Plan) -> Result<super::CheckReport> {
    let target = with_own_ca(target(dir, plan)?, plan).await;
    Ok(super::run(&target).await)
}
