//! How the wizard draws: colour unless `NO_COLOR`, Unicode symbols only in a UTF-8 locale, lines
//! wrapped at spaces to the terminal's width, and a small pager for the whole review.

use std::io::Write;

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal;
use inquire::ui::RenderConfig;

use crate::preflight::Mark;

/// What the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Colours allowed (`NO_COLOR` unset or empty).
    pub color: bool,
    /// The locale is UTF-8, so symbols such as ✓ and ✗ display.
    pub unicode: bool,
}

impl Style {
    /// From the environment of this process.
    pub fn detect() -> Style {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let locale = var("LC_ALL")
            .or_else(|| var("LC_CTYPE"))
            .or_else(|| var("LANG"));
        Style::from_env(var("NO_COLOR").is_some(), locale.as_deref())
    }

    /// From `NO_COLOR` being set and the effective locale (`LC_ALL`, else `LC_CTYPE`, else `LANG`).
    pub fn from_env(no_color: bool, locale: Option<&str>) -> Style {
        let unicode = locale.is_some_and(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("utf-8") || l.contains("utf8")
        });
        Style {
            color: !no_color,
            unicode,
        }
    }

    /// inquire's look: plain when colour is off; ASCII prefixes either way.
    pub fn render_config(&self) -> RenderConfig<'static> {
        if self.color {
            RenderConfig::default_colored()
        } else {
            RenderConfig::empty()
        }
    }

    /// Make every prompt of this process use this style.
    pub fn install(&self) {
        inquire::set_global_render_config(self.render_config());
    }

    /// The checklist symbol for a preflight mark.
    pub fn mark(&self, mark: Mark) -> &'static str {
        match (mark, self.unicode) {
            (Mark::Ok, true) => "✓",
            (Mark::Warn, true) => "!",
            (Mark::Fail, true) => "✗",
            (Mark::Ok, false) => "ok",
            (Mark::Warn, false) => "!",
            (Mark::Fail, false) => "x",
        }
    }

    /// `text` as this terminal can show it: common typography spelled in ASCII when the locale
    /// is not UTF-8, anything else non-ASCII as `?`.
    pub fn text(&self, text: &str) -> String {
        if self.unicode {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                c if c.is_ascii() => out.push(c),
                '—' | '–' | '─' => out.push('-'),
                '…' => out.push_str("..."),
                '×' => out.push('x'),
                '✓' => out.push_str("ok"),
                '✗' => out.push('x'),
                '→' => out.push_str("->"),
                '‘' | '’' => out.push('\''),
                '“' | '”' => out.push('"'),
                _ => out.push('?'),
            }
        }
        out
    }

    /// Print `text` (converted for this terminal).
    pub fn say(&self, text: &str) {
        println!("{}", self.text(text));
    }
}

/// The terminal's width in columns (80 when it cannot be read).
pub fn width() -> usize {
    crate::report::wrap::stdout_width()
}

/// The terminal's height in rows (24 when it cannot be read).
pub fn height() -> usize {
    terminal::size()
        .map(|(_, rows)| usize::from(rows))
        .unwrap_or(24)
}

/// Wrap `text` at spaces to `width` columns, continuing lines with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    crate::report::wrap::wrap(text, width, indent)
}

/// Show `text` a screenful at a time: Enter or Space for more, q or Esc to stop. Returns `false`
/// when the operator pressed Ctrl-C. The terminal leaves raw mode whatever happens.
pub fn page(style: &Style, text: &str) -> std::io::Result<bool> {
    // Two rows stay for the step's title, one for the "more" line.
    let per_page = height().saturating_sub(3).max(5);
    // Long lines wrap at words, indented under their start, so a page never scrolls the
    // terminal; only a single word wider than the screen is split.
    let cols = width();
    let fitted = crate::report::wrap::fit(&style.text(text), cols);
    let lines: Vec<&str> = fitted.lines().collect();
    let mut shown = 0;
    while shown < lines.len() {
        let end = (shown + per_page).min(lines.len());
        for line in &lines[shown..end] {
            println!("{line}");
        }
        shown = end;
        if shown >= lines.len() {
            break;
        }
        let more = format!("-- more ({shown}/{}): Enter, q skips --", lines.len());
        print!("{}", more.chars().take(cols).collect::<String>());
        std::io::stdout().flush()?;
        let key = read_key();
        print!("\r{}\r", " ".repeat(cols.min(more.len())));
        std::io::stdout().flush()?;
        match key? {
            Key::More => {}
            Key::Skip => break,
            Key::Interrupt => return Ok(false),
        }
    }
    Ok(true)
}

enum Key {
    More,
    Skip,
    Interrupt,
}

fn read_key() -> std::io::Result<Key> {
    terminal::enable_raw_mode()?;
    let result = loop {
        match event::read() {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => {
                let ctrl_c =
                    k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c');
                break Ok(match k.code {
                    _ if ctrl_c => Key::Interrupt,
                    KeyCode::Char('q') | KeyCode::Esc => Key::Skip,
                    _ => Key::More,
                });
            }
            Ok(_) => continue,
            Err(e) => break Err(e),
        }
    };
    terminal::disable_raw_mode()?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_and_locale_decide_the_style() {
        let s = Style::from_env(true, Some("C"));
        assert!(!s.color && !s.unicode);
        assert_eq!(s.mark(Mark::Fail), "x");
        assert_eq!(s.text("a — b…"), "a - b...");
        let s = Style::from_env(false, Some("en_US.UTF-8"));
        assert!(s.color && s.unicode);
        assert_eq!(s.mark(Mark::Ok), "✓");
    }
}
