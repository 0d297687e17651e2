//! What the live dashboard asks of Docker: a quick connection, the project's container events,
//! and a restart.

use std::collections::HashMap;
use std::time::Duration;

use bollard::query_parameters::{EventsOptionsBuilder, RestartContainerOptionsBuilder};
use bollard::Docker;
use futures_util::{Stream, StreamExt};

use super::connect;
use super::spec::LABEL_PROJECT;
use crate::plan::PROJECT;

/// A connection within `timeout`, or why there is none, in the operator's words (the daemon
/// may be restarting, or not installed).
pub async fn try_connect(timeout: Duration) -> Result<Docker, String> {
    match tokio::time::timeout(timeout, connect::connect()).await {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(why)) => Err(why.reason()),
        Err(_) => Err(format!(
            "no answer from Docker at {} within {:.1} s",
            connect::endpoint(),
            timeout.as_secs_f64()
        )),
    }
}

/// One item per change to one of the project's containers; an error ends the stream.
pub fn events(docker: &Docker) -> impl Stream<Item = Result<(), String>> {
    let filters = HashMap::from([
        ("label", vec![format!("{LABEL_PROJECT}={PROJECT}")]),
        ("type", vec!["container".to_string()]),
    ]);
    let options = EventsOptionsBuilder::default().filters(&filters).build();
    docker
        .events(Some(options))
        .map(|item| item.map(|_| ()).map_err(|e| e.to_string()))
}

/// Restart one container, giving it 10 seconds to stop.
pub async fn restart(docker: &Docker, container: &str) -> Result<(), String> {
    docker
        .restart_container(
            container,
            Some(RestartContainerOptionsBuilder::default().t(10).build()),
        )
        .await
        .map_err(|e| e.to_string())
}
