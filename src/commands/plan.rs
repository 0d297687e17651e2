//! `selkie plan`: the plan from the saved answers, for people or (`--json`) for scripts.

use crate::cli::PlanArgs;
use crate::error::{Error, Result};
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
        let json = serde_json::to_string_pretty(&plan).map_err(|e| Error::Other {
            message: format!("cannot encode the plan as JSON: {e}"),
            hint: None,
        })?;
        println!("{json}");
    } else {
        print!("{}", report::plan::describe(&plan));
    }
    Ok(())
}
