//! The write. On `--resume` a file edited by hand that the plan would change
//! is shown as a diff, and the operator keeps theirs (the file is left exactly as it is), takes
//! the new one (theirs is backed up first), or stops without writing anything.

use super::prompt::{self, choice, Asked};
use super::steps::Step;
use super::terminal;
use super::Wizard;
use crate::error::Error;
use crate::setup::{self, review as diff, Committed, Prepared};
use crate::state::Deployment;
use crate::wizard::WizardError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Keep,
    Take,
    Stop,
}

/// Settle hand edits, then write through the same path as `--non-interactive`.
pub fn run(w: &mut Wizard, prepared: Prepared) -> Asked<Committed> {
    let edited = Deployment::new(w.dir).hand_edited(&prepared.files)?;
    let mut keep = Vec::new();
    let mut take = false;
    if !w.options.force {
        for path in edited {
            w.header(&format!("a file you edited: {path}"), Step::Review);
            let Some(file) = prepared.files.iter().find(|f| f.path == path) else {
                continue;
            };
            let change = diff::compare(w.dir, std::slice::from_ref(file))?;
            match change.into_iter().next().map(|(_, c)| c) {
                Some(diff::Change::Changed(Some(d))) => {
                    w.say(&format!(
                        "{path} was changed by hand since selkie wrote it, and the new plan \
                         changes it too. From your version to the new one:"
                    ));
                    if !terminal::page(&w.style, &d).unwrap_or(true) {
                        return Err(prompt::Stop::Cancelled);
                    }
                }
                _ => w.say(&format!(
                    "{path} holds secrets and was changed by hand; the new plan changes it too."
                )),
            }
            let decision = prompt::choose(
                &format!("What should happen to {path}?"),
                vec![
                    choice("Keep mine (leave the file exactly as it is)", Edit::Keep),
                    choice("Take the new one (mine is backed up first)", Edit::Take),
                    choice("Stop (write nothing)", Edit::Stop),
                ],
                Some(&Edit::Keep),
                prompt::MENU_HELP,
            )?;
            w.log.note(format!("hand-edited {path}: {decision:?}"));
            match decision {
                Edit::Keep => keep.push(path),
                Edit::Take => take = true,
                Edit::Stop => return Err(Error::from(WizardError::StoppedAtEdit { path }).into()),
            }
        }
    }
    let outcome = setup::commit(w.dir, prepared, w.options.force || take, &keep)?;
    Ok(outcome)
}
