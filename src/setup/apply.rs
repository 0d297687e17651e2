//! Apply: start (or converge) the stack through the Docker API and wait until it is healthy.

use std::path::Path;
use std::time::Duration;

use super::Outcome;
use crate::docker::{connect, converge, PullPolicy};
use crate::error::{Error, Result};

/// Bring the written deployment up; installs Docker first when it is missing and allowed.
pub fn apply(
    outcome: &Outcome,
    dir: &Path,
    install_docker: bool,
    policy: PullPolicy,
    timeout: Duration,
) -> Result<()> {
    super::runtime()?.block_on(async {
        let docker = match connect::connect().await {
            Ok(d) => d,
            Err(connect::Unreachable::NoSocket(_)) if install_docker => {
                println!("\nDocker is not installed; installing it from the distribution's packages:");
                connect::install()?;
                connect::connect()
                    .await
                    .map_err(connect::Unreachable::into_error)?
            }
            Err(e) => return Err(e.into_error()),
        };
        println!("\nStarting the stack through Docker ({})", connect::endpoint());
        let result = converge::converge(&docker, &outcome.plan, dir, &outcome.secrets, policy, timeout).await?;
        if result.failures.is_empty() {
            println!(
                "All {} services are healthy. LiveKit: {}",
                outcome.plan.services.len(),
                outcome.plan.urls.livekit
            );
            return Ok(());
        }
        for failure in &result.failures {
            eprintln!("\n{}", failure.report());
        }
        let names: Vec<&str> = result.failures.iter().map(|f| f.service.as_str()).collect();
        Err(Error::Other {
            message: format!(
                "{} did not become healthy; the services that are healthy keep running",
                names.join(", ")
            ),
            hint: Some(
                "fix the cause shown above (its log lines end the report), then run `selkie setup --resume`: \
                 only what is not running as planned is touched"
                    .into(),
            ),
        })
    })
}
