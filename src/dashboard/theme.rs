//! Colours and symbols. Status is always spelt out by a symbol and a word, so a plain theme
//! (`NO_COLOR`) and an ASCII symbol set (a non-UTF-8 locale) lose nothing but looks.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

use crate::health::Status;

/// The glyphs the dashboard draws, in a Unicode and an ASCII flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbols {
    /// `Status::Healthy`.
    pub healthy: &'static str,
    /// `Status::Degraded`.
    pub degraded: &'static str,
    /// `Status::Down`.
    pub down: &'static str,
    /// `Status::Unknown`.
    pub unknown: &'static str,
    /// Overall status bullet in the header.
    pub bullet: &'static str,
    /// Marks the selected row and the focused panel.
    pub pointer: &'static str,
    /// Ends cut text; "probing…".
    pub ellipsis: &'static str,
    /// Nothing known; also a separator in titles.
    pub dash: &'static str,
    /// Between facts on one line.
    pub sep: &'static str,
    /// The Up arrow key's name.
    pub arrow_up: &'static str,
    /// The Down arrow key's name.
    pub arrow_down: &'static str,
    /// Panel and popup borders.
    pub border: border::Set<'static>,
}

impl Symbols {
    /// For UTF-8 terminals.
    pub const UNICODE: Symbols = Symbols {
        healthy: "✓",
        degraded: "!",
        down: "✗",
        unknown: "?",
        bullet: "●",
        pointer: "▶",
        ellipsis: "…",
        dash: "—",
        sep: "·",
        arrow_up: "↑",
        arrow_down: "↓",
        border: border::PLAIN,
    };

    /// For terminals whose locale is not UTF-8: every glyph is plain ASCII.
    pub const ASCII: Symbols = Symbols {
        healthy: "+",
        degraded: "!",
        down: "x",
        unknown: "?",
        bullet: "*",
        pointer: ">",
        ellipsis: "...",
        dash: "-",
        sep: "|",
        arrow_up: "Up",
        arrow_down: "Down",
        border: border::Set {
            top_left: "+",
            top_right: "+",
            bottom_left: "+",
            bottom_right: "+",
            vertical_left: "|",
            vertical_right: "|",
            horizontal_top: "-",
            horizontal_bottom: "-",
        },
    };

    /// The glyph for a status.
    pub fn status(&self, status: Status) -> &'static str {
        match status {
            Status::Healthy => self.healthy,
            Status::Degraded => self.degraded,
            Status::Down => self.down,
            Status::Unknown => self.unknown,
        }
    }
}

/// Styles and symbols for one run of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// The glyphs to draw with.
    pub symbols: Symbols,
    color: bool,
}

impl Theme {
    /// A theme with or without colour, with Unicode or ASCII symbols.
    pub fn new(color: bool, unicode: bool) -> Self {
        let symbols = if unicode {
            Symbols::UNICODE
        } else {
            Symbols::ASCII
        };
        Theme { symbols, color }
    }

    /// The theme the environment asks for: `NO_COLOR` and the locale.
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// `from_env` with the variables looked up by `var`, for tests.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        // no-color.org: present and not empty disables colour.
        let color = var("NO_COLOR").is_none_or(|v| v.is_empty());
        // POSIX precedence: the first of these that is set and not empty names the locale.
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .find_map(|name| var(name).filter(|v| !v.is_empty()))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let unicode = locale.contains("utf-8") || locale.contains("utf8");
        Theme::new(color, unicode)
    }

    /// Whether this theme uses colour at all.
    pub fn has_color(&self) -> bool {
        self.color
    }

    fn pick(&self, colored: Style, plain: Style) -> Style {
        if self.color {
            colored
        } else {
            plain
        }
    }

    /// A row or word showing this status.
    pub fn status(&self, status: Status) -> Style {
        let fg = match status {
            Status::Healthy => Color::Green,
            Status::Degraded => Color::Yellow,
            Status::Down => Color::Red,
            Status::Unknown => Color::DarkGray,
        };
        let plain = match status {
            Status::Down => Style::new().add_modifier(Modifier::BOLD),
            _ => Style::new(),
        };
        self.pick(Style::new().fg(fg), plain)
    }

    /// Data that is no longer current (Docker unreachable: last known values).
    pub fn stale(&self) -> Style {
        self.pick(
            Style::new().fg(Color::DarkGray),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    /// Secondary text: column headers, hints, "-" for nothing known.
    pub fn muted(&self) -> Style {
        self.pick(Style::new().fg(Color::DarkGray), Style::new())
    }

    /// A panel's border and title; the focused panel stands out (and is also marked by a symbol).
    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            (true, false) => Style::new().add_modifier(Modifier::BOLD),
            (false, _) => self.muted(),
        }
    }

    /// The selected row of the focused panel.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// The "Docker unreachable" banner.
    pub fn banner(&self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    /// Key names in the footer and the help.
    pub fn key(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// Headings and the deployment name.
    pub fn strong(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(vars: &[(&str, &str)]) -> Theme {
        Theme::from_vars(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn no_color_set_and_not_empty_turns_colour_off() {
        assert!(theme(&[]).has_color());
        assert!(theme(&[("NO_COLOR", "")]).has_color());
        assert!(!theme(&[("NO_COLOR", "1")]).has_color());
    }

    #[test]
    fn the_first_set_locale_variable_decides_the_symbols() {
        assert_eq!(theme(&[("LANG", "en_US.UTF-8")]).symbols, Symbols::UNICODE);
        assert_eq!(theme(&[("LANG", "C.utf8")]).symbols, Symbols::UNICODE);
        assert_eq!(theme(&[]).symbols, Symbols::ASCII);
        assert_eq!(
            theme(&[("LC_ALL", "C"), ("LANG", "en_US.UTF-8")]).symbols,
            Symbols::ASCII
        );
        assert_eq!(
            theme(&[("LC_ALL", ""), ("LC_CTYPE", "de_DE.UTF-8"), ("LANG", "C")]).symbols,
            Symbols::UNICODE
        );
    }

    #[test]
    fn ascii_symbols_are_ascii() {
        let s = Symbols::ASCII;
        let all = [
            s.healthy,
            s.degraded,
            s.down,
            s.unknown,
            s.bullet,
            s.pointer,
            s.ellipsis,
            s.dash,
            s.sep,
            s.arrow_up,
            s.arrow_down,
        ];
        assert!(all.iter().all(|g| g.is_ascii()));
    }
}
