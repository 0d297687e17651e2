//! Prints how long `selkie setup` takes to converge a stack through the Docker API, next to
//! `docker-compose up -d` on selkie's own compose export, and how LiveKit's start time depends
//! on its UDP range. Figures only: shared machines are noisy, so nothing here passes or fails on
//! time (it does fail when a run does not do what is being timed).
//!
//! Needs what the Docker end-to-end tests need (a daemon; images from `tests/images/build.sh`
//! where built, else the stand-ins `tests/common/docker.rs` builds), every image of
//! `tests/images/build.sh` for section 2, and Debian's docker-compose 1.29. It holds the Docker
//! tests' lock (selkie's container names are fixed), refuses to start next to a deployment (any
//! container labelled `io.selkie.project=selkie`), removes everything it created when it ends or
//! panics, and checks that nothing is left.
//!
//! 1. The reflector preset with busybox stand-ins for Postgres, Redis and Hatchet
//!    (converge/reflector.rs).
//! 2. The same with the real programs (converge/reflector.rs).
//! 3. LiveKit's start with a small and a large UDP range (converge/livekit.rs).

#[allow(dead_code)]
#[path = "../tests/common/docker.rs"]
mod docker;
#[path = "converge/livekit.rs"]
mod livekit;
#[path = "converge/reflector.rs"]
mod reflector;
#[path = "converge/run.rs"]
mod run;

use std::process::Command;
use std::time::Instant;

use run::{compose_label, secs, SELKIE_LABEL};

/// Removes what the bench may have created: selkie's stack and the compose project's.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        docker::remove_labelled(SELKIE_LABEL);
        docker::remove_labelled(&compose_label());
    }
}

fn main() {
    let _serial = docker::serial();
    docker::require_daemon();
    let compose_version = Command::new("docker-compose")
        .args(["version", "--short"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|e| {
            panic!(
                "cannot run docker-compose: {e}; install it with `apt-get install docker-compose`"
            )
        });
    let daemon = docker::docker_ok(&["version", "--format", "{{.Server.Version}}"]);
    docker::remove_labelled(&compose_label());
    let existing = docker::labelled(SELKIE_LABEL);
    assert!(
        existing.is_empty(),
        "selkie containers already exist ({existing:?}): the bench uses the same fixed names \
         (selkie-<service>), so it cannot run next to a deployment. Remove them with \
         `selkie down --dir DIR` and run it again."
    );
    let cleanup = Cleanup;
    let started = Instant::now();
    println!(
        "selkie converge bench: Docker {daemon}, docker-compose {compose_version}, {} CPUs \
         (figures only; nothing passes or fails on time)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    reflector::converge_reflector(
        1,
        "busybox stand-ins for Postgres, Redis and Hatchet (ready the moment they run: \
         Docker's own cost), the apps' stand-ins",
        &reflector::stand_in_images(),
        false,
    );
    println!(
        "  Docker runs a container's first healthcheck one interval ({} s) after it starts; \
         selkie runs the same command itself as soon as the container runs, and starts each \
         service as soon as what it depends on is ready.\n",
        selkie::plan::HEALTH_INTERVAL_SECS
    );
    reflector::converge_reflector(
        2,
        "every program tests/images/build.sh builds (Postgres, Redis, Hatchet, Garage, LiveKit, \
         Caddy; stand-ins for the two apps, the operators' own)",
        &reflector::real_images(),
        true,
    );
    println!(
        "  Here the programs' own start decides: Postgres initialises its data directory, and \
         Hatchet migrates its database once Postgres is ready. selkie starts Hatchet only then; \
         compose starts both at once, and Hatchet waits for the database by itself.\n"
    );
    livekit::livekit_range();
    drop(cleanup);
    let mut left = docker::labelled_objects(SELKIE_LABEL);
    left.extend(docker::labelled_objects(&compose_label()));
    assert!(left.is_empty(), "left behind: {}", left.join(", "));
    println!("\nLeft behind: nothing. Total {}.", secs(started.elapsed()));
}
