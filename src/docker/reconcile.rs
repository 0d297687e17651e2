//! What a converge must do, decided without Docker: the containers the plan wants against the
//! labelled ones that exist, as an ordered list of steps. `converge::apply` carries them out.

use std::collections::BTreeMap;

use super::spec::Desired;

/// What happened to one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Recreated,
    Started,
    Unchanged,
    Removed,
}

impl Change {
    /// The word shown to the operator.
    pub fn word(&self) -> &'static str {
        match self {
            Change::Created => "created",
            Change::Recreated => "recreated (its configuration changed)",
            Change::Started => "started",
            Change::Unchanged => "unchanged",
            Change::Removed => "removed (no longer in the plan)",
        }
    }
}

/// A labelled container of the project, as far as deciding goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actual {
    pub id: String,
    /// The config-hash label it was created with.
    pub hash: Option<String>,
    pub running: bool,
}

/// One Docker change, in the order it must happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A service that left the plan: stopped and removed first, so it frees its ports.
    Remove { service: String, id: String },
    /// No container yet: create and start `desired[index]`.
    Create { index: usize },
    /// Its configuration changed: remove `id`, then create and start `desired[index]`.
    Recreate { index: usize, id: String },
    /// Same configuration but stopped: start `id`.
    Start { index: usize, id: String },
    /// Same configuration and running: nothing to do.
    Keep { index: usize },
}

impl Step {
    /// The desired container the step is about (none for a removal).
    pub fn index(&self) -> Option<usize> {
        match self {
            Step::Remove { .. } => None,
            Step::Create { index }
            | Step::Recreate { index, .. }
            | Step::Start { index, .. }
            | Step::Keep { index } => Some(*index),
        }
    }

    /// What the operator is told about the step.
    pub fn change(&self) -> Change {
        match self {
            Step::Remove { .. } => Change::Removed,
            Step::Create { .. } => Change::Created,
            Step::Recreate { .. } => Change::Recreated,
            Step::Start { .. } => Change::Started,
            Step::Keep { .. } => Change::Unchanged,
        }
    }
}

/// The steps from `actual` (by service label) to `desired`: removals first, then each desired
/// container in plan order.
pub fn reconcile(desired: &[Desired], actual: &BTreeMap<String, Actual>) -> Vec<Step> {
    let mut steps: Vec<Step> = actual
        .iter()
        .filter(|(service, _)| !desired.iter().any(|d| &d.service == *service))
        .map(|(service, c)| Step::Remove {
            service: service.clone(),
            id: c.id.clone(),
        })
        .collect();
    for (index, want) in desired.iter().enumerate() {
        steps.push(match actual.get(&want.service) {
            None => Step::Create { index },
            Some(c) if c.hash.as_deref() != Some(want.hash.as_str()) => Step::Recreate {
                index,
                id: c.id.clone(),
            },
            Some(c) if c.running => Step::Keep { index },
            Some(c) => Step::Start {
                index,
                id: c.id.clone(),
            },
        });
    }
    steps
}

/// For each desired container, the ones it waits for before it starts: its dependencies that
/// are in the plan, on a lower dependency level. Dependency levels: 0 for a service that needs
/// nothing, else one more than its deepest dependency. A dependency that would close a cycle is
/// not waited for (the first service of a cycle in plan order starts first), so nothing waits
/// forever.
pub fn gates(desired: &[Desired]) -> Vec<Vec<usize>> {
    let deps: Vec<Vec<usize>> = desired
        .iter()
        .map(|want| {
            want.depends_on
                .iter()
                .filter_map(|d| desired.iter().position(|other| &other.service == d))
                .collect()
        })
        .collect();
    let mut level: Vec<Option<usize>> = vec![None; desired.len()];
    while level.iter().any(Option::is_none) {
        let placeable: Vec<usize> = (0..desired.len())
            .filter(|&i| level[i].is_none() && deps[i].iter().all(|&d| level[d].is_some()))
            .collect();
        // A cycle: its first service in plan order goes next, waiting only for what is placed.
        let next = match placeable.is_empty() {
            true => level.iter().position(Option::is_none).into_iter().collect(),
            false => placeable,
        };
        for i in next {
            let deepest = deps[i].iter().filter_map(|&d| level[d]).max();
            level[i] = Some(deepest.map_or(0, |l| l + 1));
        }
    }
    deps.iter()
        .enumerate()
        .map(|(i, ds)| {
            ds.iter()
                .copied()
                .filter(|&d| level[d] < level[i])
                .collect()
        })
        .collect()
}

/// For each desired container, the longest chain of services that wait on it, one after
/// another ([`gates`]): 0 when nothing waits for it. Among the services that need nothing, the
/// one heading the longest chain starts first, so the chain that decides when a run ends is
/// not queued behind services that have time to spare (Docker starts containers on a network
/// one after another, about half a second each).
pub fn chain_below(gates: &[Vec<usize>]) -> Vec<usize> {
    let mut below = vec![0; gates.len()];
    // Gates only point at lower dependency levels, so this settles within one pass per level.
    for _ in 0..gates.len() {
        let mut changed = false;
        for (waiter, deps) in gates.iter().enumerate() {
            for &d in deps {
                if below[d] < below[waiter] + 1 {
                    below[d] = below[waiter] + 1;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    below
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(service: &str, hash: &str) -> Desired {
        Desired {
            service: service.into(),
            container: format!("selkie-{service}"),
            image: "img".into(),
            body: Default::default(),
            hash: hash.into(),
            depends_on: Vec::new(),
            has_healthcheck: false,
            probe: None,
        }
    }

    fn needing(service: &str, deps: &[&str]) -> Desired {
        Desired {
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            ..want(service, "h")
        }
    }

    /// Reflector's shape: the app waits for its backend, the backend for the databases and
    /// Hatchet, Hatchet for Postgres; LiveKit and the proxy need nothing.
    fn reflector_shape() -> [Desired; 7] {
        [
            needing("postgres", &[]),
            needing("redis", &[]),
            needing("hatchet", &["postgres"]),
            needing("backend", &["postgres", "redis", "hatchet", "gone"]),
            needing("livekit", &[]),
            needing("frontend", &["backend", "livekit"]),
            needing("caddy", &[]),
        ]
    }

    #[test]
    fn each_service_waits_for_its_dependencies_in_the_plan() {
        assert_eq!(
            gates(&reflector_shape()),
            vec![
                vec![],
                vec![],
                vec![0],
                vec![0, 1, 2],
                vec![],
                vec![3, 4],
                vec![]
            ]
        );
    }

    #[test]
    fn the_head_of_the_longest_chain_counts_the_most_services_waiting_behind_it() {
        // Postgres heads postgres > hatchet > backend > frontend.
        assert_eq!(
            chain_below(&gates(&reflector_shape())),
            vec![3, 2, 2, 1, 1, 0, 0]
        );
        assert_eq!(chain_below(&[]), Vec::<usize>::new());
        // Gates of a cycle never loop here either.
        assert_eq!(
            chain_below(&[vec![], vec![0], vec![1], vec![]]),
            vec![2, 1, 0, 0]
        );
    }

    #[test]
    fn a_dependency_cycle_never_waits_forever() {
        let desired = [
            needing("a", &["b"]),
            needing("b", &["a"]),
            needing("c", &["b"]),
            needing("d", &["d"]),
        ];
        let gates = gates(&desired);
        assert_eq!(gates, vec![vec![], vec![0], vec![1], vec![]]);
    }

    fn actual(id: &str, hash: Option<&str>, running: bool) -> Actual {
        Actual {
            id: id.into(),
            hash: hash.map(str::to_string),
            running,
        }
    }

    #[test]
    fn an_empty_host_creates_everything_in_plan_order() {
        let desired = [want("redis", "h1"), want("livekit", "h2")];
        assert_eq!(
            reconcile(&desired, &BTreeMap::new()),
            vec![Step::Create { index: 0 }, Step::Create { index: 1 }]
        );
    }

    #[test]
    fn each_container_gets_the_least_change_and_departed_services_go_first() {
        let desired = [
            want("livekit", "same"),
            want("caddy", "new"),
            want("redis", "same"),
            want("app", "h"),
        ];
        let existing = BTreeMap::from([
            ("livekit".to_string(), actual("a", Some("same"), true)),
            ("caddy".to_string(), actual("b", Some("old"), true)),
            ("redis".to_string(), actual("c", Some("same"), false)),
            ("garage".to_string(), actual("d", Some("x"), true)),
        ]);
        let steps = reconcile(&desired, &existing);
        assert_eq!(
            steps,
            vec![
                Step::Remove {
                    service: "garage".into(),
                    id: "d".into()
                },
                Step::Keep { index: 0 },
                Step::Recreate {
                    index: 1,
                    id: "b".into()
                },
                Step::Start {
                    index: 2,
                    id: "c".into()
                },
                Step::Create { index: 3 },
            ]
        );
        let words: Vec<Change> = steps.iter().map(Step::change).collect();
        assert_eq!(
            words,
            [
                Change::Removed,
                Change::Unchanged,
                Change::Recreated,
                Change::Started,
                Change::Created
            ]
        );
    }

    #[test]
    fn a_container_without_a_hash_label_is_recreated() {
        let desired = [want("livekit", "h")];
        let existing = BTreeMap::from([("livekit".to_string(), actual("a", None, true))]);
        assert_eq!(
            reconcile(&desired, &existing),
            vec![Step::Recreate {
                index: 0,
                id: "a".into()
            }]
        );
    }
}
