//! `selkie plan`: the plan from the saved answers, for people or (`--json`) for scripts.

use super::CommandError;
use crate::cli::PlanArgs;
use crate::error::Result;
use crate::report;

/// Run `selkie plan`.
pub fn run(args: &PlanArgs) -> Result<()> {
    let dir = super::resolve_dir(&args.dir);
    super::report_dir(&dir, show(args, &dir))
}

fn show(args: &PlanArgs, dir: &std::path::Path) -> Result<()> {
    let answers = super::saved_answers(dir)?;
    let plan = super::plan_for(&answers, &super::detect_host())?;
    if args.json {
        let json = serde_json::to_string_pretty(&plan).map_err(|source| CommandError::Json {
            what: "plan",
            source,
        })?;
        println!("{json}");
    } else {
        print!("{}", report::plan::describe(&plan));
    }
    Ok(())
}
