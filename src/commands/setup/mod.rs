//! `selkie setup`: from flags (and saved answers on `--resume`) to a written deployment.

pub(crate) mod answers;

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use crate::answers::Answers;
use crate::cli::SetupArgs;
use crate::docker::{connect, converge, PullPolicy};
use crate::error::{Error, Result};
use crate::host::HostFacts;
use crate::plan::Plan;
use crate::render;
use crate::secrets::{self, Secrets};
use crate::state::{self, Deployment, FileAction, Report};

/// Run `selkie setup`.
pub fn run(args: &SetupArgs) -> Result<()> {
    let dir = super::resolve_dir(&args.dir);
    super::report_dir(&dir, run_in(args, &dir))
}

fn run_in(args: &SetupArgs, dir: &Path) -> Result<()> {
    let interactive = !args.non_interactive;
    if interactive && !std::io::stdin().is_terminal() {
        return Err(Error::invalid(
            "setup needs a terminal to ask its questions (standard input is not one)",
            "run `selkie setup --non-interactive --domain NAME` (or --ip ADDR), with --preset, --proxy, \
             --participants and --provider as needed; `selkie setup --help` lists every flag",
        ));
    }
    let policy = match args.pull.as_str() {
        "missing" => PullPolicy::Missing,
        "always" => PullPolicy::Always,
        other => {
            return Err(Error::invalid(
                format!("`--pull {other}` is not a pull policy"),
                "choose --pull missing (the default) or --pull always",
            ))
        }
    };
    let timeout = args
        .health_timeout
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|s| (1..=3600).contains(s))
        .map(Duration::from_secs)
        .ok_or_else(|| {
            Error::invalid(
                format!("`--health-timeout {}` is not a number of seconds", args.health_timeout),
                "give the seconds each service may take to become healthy, from 1 to 3600 (default 120)",
            )
        })?;
    // Flags are checked before anything else (a typo creates nothing); then the lock is taken
    // before anything is read, and held until the run ends.
    answers::check_flags(args)?;
    let _lock = state::lock_if_exists(dir)?;
    if !args.new_secrets && Deployment::new(dir).secrets_missing()? {
        return Err(Error::invalid(
            format!(
                "{} has saved answers but no secrets.toml: new secrets would change the API key every client uses",
                dir.display()
            ),
            "restore secrets.toml from the newest folder under backups/ (it is kept there whenever it changes), \
             or run again with --new-secrets to generate new ones",
        ));
    }
    let host = super::detect_host();
    let (outcome, log, install_docker) = if interactive {
        let (outcome, log, install) = crate::wizard::run(args, dir, &host)?;
        (outcome, Some(log), install)
    } else {
        (apply(args, dir, &host)?, None, false)
    };
    print!("{}", summary(&outcome));
    let result = if args.no_start {
        println!("\nContainers not started (--no-start): `selkie setup --resume` starts them.");
        Ok(())
    } else {
        start(
            &outcome,
            dir,
            args.install_docker || install_docker,
            policy,
            timeout,
        )
        .and_then(|()| show_health(&outcome.plan, dir))
    };
    if let Some(log) = log {
        println!("\nLog of this run: {}", log.display());
    }
    result
}

/// Live health once the stack is up: the dashboard on a terminal, the `--once` table otherwise
/// (informational: setup itself already waited until every service was healthy).
fn show_health(plan: &crate::plan::Plan, dir: &Path) -> Result<()> {
    let probe = Duration::from_secs(2);
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        return super::status_live::run(plan.clone(), dir, Duration::from_secs(2), probe);
    }
    // Setup has just waited for health; its closing table skips Docker's stats sampling.
    let snapshot =
        super::runtime()?.block_on(super::status::once(plan, probe, crate::health::Stats::Skip));
    println!("\n{}", super::status::describe(plan, &snapshot));
    Ok(())
}

/// Start (or converge) the stack through the Docker API and wait until it is healthy.
fn start(
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

/// What a setup run produced, for the summary and for tests.
pub struct Outcome {
    pub plan: Plan,
    pub answers: Answers,
    pub secrets: Secrets,
    pub report: Report,
    pub resumed: bool,
    /// What `--resume` changed beyond the flags (a preset switch resets its defaults).
    pub notes: Vec<String>,
    /// Held until the run ends: no second selkie run works on this directory meanwhile.
    pub lock: state::Lock,
}

/// Validate, plan and write, without printing: the whole of `setup --non-interactive`.
pub fn apply(args: &SetupArgs, dir: &Path, host: &HostFacts) -> Result<Outcome> {
    let deployment = Deployment::new(dir);
    let saved = deployment.load_answers()?;
    let (answers, preset, notes) = match (&saved, args.resume) {
        (Some(saved), true) => answers::resume(saved, args)?,
        (None, true) => {
            return Err(Error::invalid(
                format!("there is nothing to resume in {} (no selkie.toml)", dir.display()),
                "run `selkie setup --non-interactive --domain NAME` (or --ip ADDR) first, or point --dir at the deployment",
            ))
        }
        (Some(_), false) => {
            return Err(Error::invalid(
                format!("{} already holds a deployment", dir.display()),
                "change it with `selkie setup --resume` (saved answers and secrets are kept), or choose another --dir",
            ))
        }
        (None, false) => answers::fresh(args, host)?,
    };
    let prepared = prepare(dir, answers, &preset, host, notes, args.resume)?;
    commit(dir, prepared, args.force, &[])
}

/// Everything a run will write, computed but not yet written: what the wizard reviews.
pub struct Prepared {
    pub plan: Plan,
    pub answers: Answers,
    pub secrets: Secrets,
    pub files: Vec<render::RenderedFile>,
    pub resumed: bool,
    pub notes: Vec<String>,
}

/// Plan, keep or make the secrets, and render every file, writing nothing.
pub fn prepare(
    dir: &Path,
    answers: Answers,
    preset: &crate::preset::Preset,
    host: &HostFacts,
    notes: Vec<String>,
    resumed: bool,
) -> Result<Prepared> {
    let deployment = Deployment::new(dir);
    let plan = crate::plan::build(&answers, preset, host)?;
    let secrets = match deployment.load_secrets()? {
        Some(mut s) => {
            s.add_missing(&plan.secrets)?;
            s
        }
        None => Secrets::generate(&plan.secrets)?,
    };
    let files = render::all(&plan, &secrets)?;
    Ok(Prepared {
        plan,
        answers,
        secrets,
        files,
        resumed,
        notes,
    })
}

/// Write what `prepare` computed. `keep` names hand-edited files to leave exactly as they are
/// (not rewritten, and still recorded as edited); `force` replaces every other edited file.
pub fn commit(dir: &Path, prepared: Prepared, force: bool, keep: &[String]) -> Result<Outcome> {
    let Prepared {
        plan,
        answers,
        secrets,
        files,
        resumed,
        notes,
    } = prepared;
    let deployment = Deployment::new(dir);
    let written: Vec<render::RenderedFile> = files
        .into_iter()
        .filter(|f| !keep.contains(&f.path))
        .collect();
    // Usually held since the run began; a new directory is created and locked only now, so
    // invalid input creates nothing. Another run may have written a deployment meanwhile.
    let lock = state::lock(dir)?;
    if !resumed && deployment.load_answers()?.is_some() {
        return Err(Error::invalid(
            format!("{} already holds a deployment", dir.display()),
            "change it with `selkie setup --resume` (saved answers and secrets are kept), or choose another --dir",
        ));
    }
    let mut report = deployment.write(&answers, &secrets, &written, force)?;
    // A kept file is left out of the write, which state reports as "no longer used".
    for (path, action) in &mut report.files {
        if keep.contains(path) && *action == FileAction::LeftEdited {
            *action = FileAction::KeptEdit;
        }
    }
    Ok(Outcome {
        plan,
        answers,
        secrets,
        report,
        resumed,
        notes,
        lock,
    })
}

fn action_word(a: FileAction) -> &'static str {
    match a {
        FileAction::Created => "created",
        FileAction::Updated => "updated",
        FileAction::Unchanged => "unchanged",
        FileAction::KeptEdit => "kept your edit",
        FileAction::ReplacedEdit => "replaced your edit (backed up)",
        FileAction::Removed => "removed (backed up)",
        FileAction::LeftEdited => "no longer used; left in place because you edited it",
    }
}

/// What the operator reads at the end of a run. Secrets appear masked only.
pub fn summary(outcome: &Outcome) -> String {
    let plan = &outcome.plan;
    let mut out = String::new();
    for note in &outcome.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(&super::plan::describe(plan));
    out.push_str("\nFiles\n");
    for (path, action) in &outcome.report.files {
        if outcome.resumed && *action == FileAction::Unchanged {
            continue;
        }
        out.push_str(&format!("  {path:<28} {}\n", action_word(*action)));
    }
    if outcome.resumed && outcome.report.changed().next().is_none() {
        out.push_str("  nothing changed\n");
    }
    if let Some(backup) = &outcome.report.backup {
        out.push_str(&format!("  previous versions: {}\n", backup.display()));
    }
    out.push_str(&format!(
        "\nLiveKit API key:    {}\nLiveKit API secret: {} (in secrets.toml, mode 0600)\n",
        outcome.secrets.livekit_api_key,
        secrets::mask(&outcome.secrets.livekit_api_secret)
    ));
    out.push_str("\nNext steps\n");
    for (i, step) in plan.next_steps.iter().enumerate() {
        out.push_str(&format!("  {}. {step}\n", i + 1));
    }
    out
}
