//! How numbers, durations and foreign text are written on screen.

use std::time::Duration;

/// "12s ago", "5m ago", "3h ago", "2d ago": coarse, so the screen changes rarely.
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s ago"),
        60..3600 => format!("{}m ago", s / 60),
        3600..86400 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86400),
    }
}

/// "45s", "12m", "5h 12m", "3d 4h".
pub fn uptime(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

/// "312MiB", "1.2GiB", "640KiB": the one byte formatter (`report::units::bytes`), without
/// the space, for narrow columns.
pub fn bytes(b: u64) -> String {
    crate::report::units::bytes(b).replace(' ', "")
}

/// "0.4ms", "38ms", "1.2s".
pub fn latency(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1}ms")
    } else if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.1}s", ms / 1000.0)
    }
}

/// "3.4%".
pub fn percent(p: f64) -> String {
    format!("{p:.1}%")
}

/// Text from outside (container logs, error messages) made safe to draw: escape sequences and
/// other control characters are dropped, so a log line cannot move the cursor or recolour an SSH
/// session; tabs become spaces.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push_str("    "),
            '\u{1b}' => match chars.next() {
                // CSI: parameters up to a final byte in '@'..='~'.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ESC \.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_are_short() {
        assert_eq!(age(Duration::from_secs(12)), "12s ago");
        assert_eq!(age(Duration::from_secs(125)), "2m ago");
        assert_eq!(age(Duration::from_secs(7300)), "2h ago");
        assert_eq!(
            uptime(Duration::from_secs(3 * 86400 + 4 * 3600 + 5)),
            "3d 4h"
        );
        assert_eq!(uptime(Duration::from_secs(5 * 3600 + 12 * 60)), "5h 12m");
        assert_eq!(bytes(312 * 1024 * 1024), "312MiB");
        assert_eq!(bytes(1288 * 1024 * 1024), "1.3GiB");
        assert_eq!(latency(Duration::from_micros(420)), "0.4ms");
        assert_eq!(latency(Duration::from_millis(38)), "38ms");
        assert_eq!(percent(3.44), "3.4%");
    }

    #[test]
    fn escape_sequences_and_control_characters_are_dropped() {
        assert_eq!(clean("\u{1b}[31mERROR\u{1b}[0m\tboom\r"), "ERROR    boom");
        assert_eq!(clean("a\u{1b}]0;title\u{7}b\u{1b}]2;x\u{1b}\\c"), "abc");
        assert_eq!(clean("bell\u{7} and nul\u{0}"), "bell and nul");
    }
}
