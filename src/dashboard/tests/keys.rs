//! The key table: lookups by context, and the footer generated from it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::dashboard::keys::Context::{Confirm as InConfirm, Main, View};
use crate::dashboard::keys::*;
use crate::dashboard::theme::Symbols;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn keys_map_to_actions_by_context() {
    assert_eq!(
        action_for(&key(KeyCode::Char('j')), Main),
        Some(Action::Down)
    );
    assert_eq!(action_for(&key(KeyCode::Up), Main), Some(Action::Up));
    assert_eq!(action_for(&key(KeyCode::Esc), Main), Some(Action::Quit));
    assert_eq!(action_for(&key(KeyCode::Esc), View), Some(Action::Cancel));
    assert_eq!(
        action_for(&key(KeyCode::Esc), InConfirm),
        Some(Action::Cancel)
    );
    assert_eq!(action_for(&key(KeyCode::Char('q')), InConfirm), None);
    assert_eq!(action_for(&key(KeyCode::Char('j')), InConfirm), None);
    let shifted = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
    assert_eq!(action_for(&shifted, Main), Some(Action::Help));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    for context in [Main, View, InConfirm] {
        assert_eq!(action_for(&ctrl_c, context), Some(Action::Quit));
    }
    let ctrl_l = KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL);
    assert_eq!(action_for(&ctrl_l, Main), None);
}

#[test]
fn footer_merges_neighbours_with_the_same_hint() {
    let hints = footer_hints(Main, &Symbols::UNICODE);
    assert_eq!(hints[0], ("↑/k ↓/j".to_string(), "move"));
    assert_eq!(hints.last(), Some(&("q/Esc".to_string(), "quit")));
    let ascii = footer_hints(Main, &Symbols::ASCII);
    assert_eq!(ascii[0].0, "Up/k Down/j");
}

#[test]
fn every_footer_hint_is_a_binding_that_works() {
    for context in [Main, View, InConfirm] {
        for b in BINDINGS.iter().filter(|b| b.contexts.contains(&context)) {
            for k in b.keys {
                let event = match *k {
                    Key::Plain(code) => key(code),
                    Key::Ctrl(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
                };
                assert_eq!(
                    action_for(&event, context),
                    Some(b.action),
                    "{k:?} in {context:?}"
                );
            }
        }
    }
}
