//! What the operator reads at the end of a setup run.

use crate::secrets;
use crate::setup::Outcome;
use crate::state::FileAction;

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
