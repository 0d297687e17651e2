//! `selkie token`: a join-only token for the test room, the link to LiveKit's connection test
//! with URL and token filled in, and the outside check's command line.

use super::CommandError;
use crate::check::token;
use crate::cli::TokenArgs;
use crate::error::Result;
use crate::state::Deployment;

/// Run `selkie token`.
pub fn run(args: &TokenArgs) -> Result<()> {
    let ttl = args.ttl;
    let dir = super::resolve_dir(&args.dir);
    let answers = super::saved_answers(&dir)?;
    let plan = super::plan_for(&answers, &super::detect_host())?;
    let secrets = Deployment::new(&dir)
        .load_secrets()?
        .ok_or_else(|| CommandError::NoSecrets { dir: dir.clone() })?;
    let identity = token::random_name("selkie-test");
    let jwt = token::mint(
        &secrets.livekit_api_key,
        &secrets.livekit_api_secret,
        token::TEST_ROOM,
        &identity,
        ttl,
    )
    .map_err(CommandError::Token)?;
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
        show_ttl(ttl)
    );
    println!(
        "Connection test: {}",
        token::connection_test_link(url, &jwt)
    );
    println!("From another machine: selkie check --url {url} --token {jwt}");
    Ok(())
}

/// A validity as it was likely typed: whole hours, else whole minutes, else seconds.
fn show_ttl(d: std::time::Duration) -> String {
    match d.as_secs() {
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::show_ttl;
    use std::time::Duration;

    #[test]
    fn validity_reads_in_the_largest_whole_unit() {
        assert_eq!(show_ttl(Duration::from_secs(900)), "15m");
        assert_eq!(show_ttl(Duration::from_secs(90)), "90s");
        assert_eq!(show_ttl(Duration::from_secs(7200)), "2h");
    }
}
