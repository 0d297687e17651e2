//! docker-compose.yml equivalent to what selkie runs.

use crate::plan::Plan;

/// The compose file.
pub fn compose(_plan: &Plan) -> String {
    String::new()
}
