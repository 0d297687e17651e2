//! `selkie token`: a join-only token for the test room, the link to LiveKit's connection test
//! with URL and token filled in, and the outside check's command line.

use crate::check::token;
use crate::cli::TokenArgs;
use crate::error::{Error, Result};
use crate::state::Deployment;

/// Run `selkie token`.
pub fn run(args: &TokenArgs) -> Result<()> {
    let ttl = token::parse_ttl(&args.ttl).map_err(|e| {
        Error::invalid(
            format!("--ttl: {e}"),
            "give a duration such as 15m, 90s or 2h",
        )
    })?;
    let dir = super::resolve_dir(&args.dir);
    let answers = super::saved_answers(&dir)?;
    let plan = super::plan_for(&answers, &super::detect_host())?;
    let secrets = Deployment::new(&dir)
        .load_secrets()?
        .ok_or_else(|| Error::Other {
            message: format!("no secrets.toml in {}", dir.display()),
            hint: Some("run `selkie setup` first".into()),
        })?;
    let identity = token::random_name("selkie-test");
    let jwt = token::mint(
        &secrets.livekit_api_key,
        &secrets.livekit_api_secret,
        token::TEST_ROOM,
        &identity,
        ttl,
    )
    .map_err(|message| Error::Other {
        message,
        hint: None,
    })?;
    let url = &plan.urls.livekit;
    if args.raw {
        println!("{jwt}");
        return Ok(());
    }
    println!("URL:   {url}");
    println!("Token: {jwt}");
    println!(
        "       join-only, room {}, valid {}",
        token::TEST_ROOM,
        args.ttl.trim()
    );
    println!(
        "Connection test: {}",
        token::connection_test_link(url, &jwt)
    );
    println!("From another machine: selkie check --url {url} --token {jwt}");
    Ok(())
}
