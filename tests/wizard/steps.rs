//! The flow of steps: a question asked because something did not fit stays in the flow once
//! answered, so the count in each title holds and Esc goes back to it.

use crate::harness::{Host, Term};

#[test]
fn a_step_asked_because_the_range_did_not_fit_stays_in_the_flow_once_settled() {
    let host = Host::new(None);
    let t = Term::start(&host, "--no-start");
    t.preflight();
    t.enter_at("Which stack should this server run?");
    t.wait("Domain name or IP address:");
    t.typed("203.0.113.7");
    t.enter_at("How should browsers reach the services?");
    t.wait("participants (4 of 6)");
    // 10000 participants need 24000 ports: from 50000 the range runs past 65535.
    t.typed("10000");
    let screen = t.wait("UDP ports (5 of 7)");
    assert!(screen.contains("runs past port 65535"), "{screen}");
    t.wait("Use one multiplexed UDP port instead");
    t.keys(&["Down", "Enter"]);
    t.enter_at("Accept one UDP port, 7882 (mux)");
    // With one multiplexed port the participants no longer size anything: that step leaves the
    // flow, the settled UDP step stays in it.
    t.wait("cloud provider (5 of 6)");
    t.keys(&["Escape"]);
    let screen = t.wait("UDP ports (4 of 6)");
    assert!(
        screen.contains("Accept one UDP port, 7882 (mux)"),
        "{screen}"
    );
    t.keys(&["Enter"]);
    t.enter_at("cloud provider (5 of 6)");
    let screen = t.wait("host firewall (6 of 6)");
    assert!(screen.contains("Apply the host firewall"), "{screen}");
    t.keys(&["C-c"]);
    assert_eq!(t.exit_code(), 1);
}

/// A preset without a public image asks for the operator's; a question with no default says
/// so in its help line, and an empty answer is explained and asked again.
#[test]
fn an_image_question_has_no_default_to_take_and_an_empty_answer_is_asked_again() {
    let host = Host::new(None);
    let t = Term::start(&host, "--no-start");
    t.preflight();
    t.wait("Which stack should this server run?");
    t.keys(&["Down", "Enter"]);
    let screen = t.wait("Image for frontend:");
    assert!(screen.contains("type the answer, then Enter"), "{screen}");
    assert!(!screen.contains("the default in ()"), "{screen}");
    t.keys(&["Enter"]);
    let screen = t.wait("it is empty");
    assert!(screen.contains("Image for frontend:"), "{screen}");
    t.typed("registry.example.com/reflector-frontend:1.0.0");
    t.wait("Image for backend:");
    t.keys(&["C-c"]);
    assert_eq!(t.exit_code(), 1);
}
