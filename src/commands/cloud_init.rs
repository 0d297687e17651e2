//! `selkie cloud-init`: print user-data for a new server. The setup flags are checked here with
//! the same parser `selkie setup` uses, so a typo fails now, not on the server's first boot.

use clap::Parser;

use crate::cli::{CloudInitArgs, Command};
use crate::error::{Error, Result};
use crate::host::HostFacts;
use crate::render::cloud_init::{self, FirstBoot};

pub fn run(args: &CloudInitArgs) -> Result<()> {
    print!("{}", cloud_init::user_data(&first_boot(args)?)?);
    Ok(())
}

/// The first boot's plan: the flags as given, plus what an unattended first run needs.
pub fn first_boot(args: &CloudInitArgs) -> Result<FirstBoot> {
    // The address and the hash first: they are this command's own flags.
    cloud_init::check_source(&args.selkie_url, &args.selkie_sha256)?;
    let mut setup = args.setup.clone();
    // A first boot has nobody to answer questions, and a fresh server has no Docker yet.
    for flag in ["--non-interactive", "--install-docker"] {
        if !setup.iter().any(|a| a == flag) {
            setup.push(flag.to_string());
        }
    }
    let parsed = crate::cli::Cli::try_parse_from(
        ["selkie", "setup"]
            .into_iter()
            .map(String::from)
            .chain(setup.iter().cloned()),
    )
    .map_err(|e| {
        Error::invalid(
            format!(
                "the setup flags would be refused on the server: {}",
                clap_message(&e)
            ),
            "give the flags `selkie setup --non-interactive` takes (see `selkie setup --help`), after the cloud-init ones",
        )
    })?;
    let Command::Setup(setup_args) = parsed.command else {
        return Err(Error::invalid(
            "the setup flags did not parse as `selkie setup`",
            "give only flags of `selkie setup` after the cloud-init ones",
        ));
    };
    if setup_args.resume {
        return Err(Error::invalid(
            "--resume has nothing to continue on a new server",
            "leave --resume out: the first boot sets up from the flags",
        ));
    }
    if setup_args.acme_ca_root.is_some() {
        return Err(Error::invalid(
            "--acme-ca-root names a file on this machine, which the new server does not have",
            "leave --acme-ca-root out of cloud-init, or set the server up with `selkie setup` once it runs",
        ));
    }
    // The answers those flags make must plan, as they will on the server (whose facts are not
    // known here: the plan there may differ in what it finds, never in what the flags say).
    let flags = super::setup::flags::parse(&setup_args)?;
    let host = HostFacts::default();
    let (answers, preset, _) = crate::setup::answers::fresh(&flags, &host)?;
    crate::plan::build(&answers, &preset, &host)?;
    let dir = match &setup_args.dir.dir {
        Some(d) => d.display().to_string(),
        None => {
            setup.extend(["--dir".to_string(), cloud_init::DEFAULT_DIR.to_string()]);
            cloud_init::DEFAULT_DIR.to_string()
        }
    };
    Ok(FirstBoot {
        url: args.selkie_url.clone(),
        sha256: args.selkie_sha256.clone(),
        setup_args: setup,
        dir,
        status_timer: args.status_timer,
    })
}

/// clap's complaint without its usage block: "the following required arguments were not
/// provided: --domain <NAME>".
fn clap_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let words: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    words.join(" ").trim_start_matches("error: ").to_string()
}
