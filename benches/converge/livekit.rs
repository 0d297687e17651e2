//! LiveKit (livekit preset, host networking) recreated with a 100-port and a 10,000-port UDP
//! range: host networking publishes nothing, so the range costs nothing to start.

use std::path::Path;

use selkie::answers::Participants;

use crate::docker;
use crate::run::{
    assert_running, images, line, met, plan, ratio, secs, selkie_down, setup, SELKIE_LABEL,
};

/// LiveKit recreations per range size.
const LIVEKIT_ROUNDS: usize = 3;
/// Participant counts planning exactly 100 and 10,000 UDP ports (checked against the plan).
const SMALL: u32 = 40;
const LARGE: u32 = 4166;

/// The saved plan's UDP range: (ports, "start-end").
fn media(dir: &Path) -> (u64, String) {
    let m = &plan(dir)["media"];
    let (start, end) = (m["start"].as_u64().unwrap(), m["end"].as_u64().unwrap());
    (end - start + 1, format!("{start}-{end}"))
}

pub fn livekit_range() {
    let size = |n: u32| selkie::plan::range_size(Participants::try_from(n).unwrap());
    assert_eq!(size(SMALL), 100, "{SMALL} participants plan 100 ports");
    assert_eq!(size(LARGE), 10_000, "{LARGE} participants: 10,000 ports");
    let dir = tempfile::tempdir().expect("a temporary deployment directory");
    let d = dir.path();
    let (small, large) = (SMALL.to_string(), LARGE.to_string());
    let preset = ["--preset", "livekit", "--ip", "127.0.0.1"];
    setup(
        d,
        &[&["--no-start", "--participants", &small][..], &preset[..]].concat(),
    );
    images(d);
    setup(d, &["--resume"]);
    let services = docker::labelled(SELKIE_LABEL).len();

    let (mut times, mut floor) = ([Vec::new(), Vec::new()], Vec::new());
    let mut ranges = [String::new(), String::new()];
    for _ in 0..LIVEKIT_ROUNDS {
        for (slot, n) in [(1, &large), (0, &small)] {
            let before = docker::labelled(SELKIE_LABEL);
            times[slot].push(setup(d, &["--resume", "--participants", n]));
            let after = docker::labelled(SELKIE_LABEL);
            assert_running(&after, services, "livekit preset");
            for ((name, was), (_, now)) in before.iter().zip(&after) {
                let recreated = was != now;
                assert_eq!(
                    recreated,
                    name == "selkie-livekit",
                    "{name}: {was} -> {now}"
                );
            }
            let (count, range) = media(d);
            assert_eq!(count, size(n.parse().unwrap()) as u64);
            ranges[slot] = format!("{count:>5} UDP ports ({range})");
        }
    }
    for _ in 0..LIVEKIT_ROUNDS {
        floor.push(setup(d, &["--resume"]));
    }
    selkie_down(d);

    println!();
    println!(
        "3. LiveKit's start with a small and a large UDP range (livekit preset, {services} \
         services, host networking): `selkie setup --resume --participants N` recreates LiveKit \
         only and waits until it answers; alternated, {LIVEKIT_ROUNDS} rounds each"
    );
    let a = line(&format!("LiveKit recreated, {}", ranges[0]), &times[0]);
    let b = line(&format!("LiveKit recreated, {}", ranges[1]), &times[1]);
    line("selkie setup --resume, nothing changed (floor)", &floor);
    println!(
        "  ratio 10,000 / 100 ports: {:.2}x   target: does not grow with the range (within \
         25%): {}",
        ratio(b, a),
        met(ratio(b, a) < 1.25)
    );
    println!(
        "  {} of each recreation is selkie's check that a freshly started container stays up \
         (src/docker/wait.rs, STABLE). Participants: {SMALL} -> {} ports, {LARGE} -> {} \
         (2 x participants + {}%, rounded up to ten, at least 100).",
        secs(selkie::docker::wait::STABLE),
        size(SMALL),
        size(LARGE),
        selkie::plan::HEADROOM_PERCENT,
    );
}
