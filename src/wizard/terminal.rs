//! How the wizard draws: colour unless `NO_COLOR`, Unicode symbols only in a UTF-8 locale, lines
//! wrapped to fit an 80-column terminal, and a small pager so long sections fit 24 rows.

use std::io::Write;

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal;
use inquire::ui::RenderConfig;

use crate::preflight::Mark;

/// The width every line is wrapped to (80 columns, less a margin).
pub const WIDTH: usize = 78;

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

/// Wrap `text` to `width` columns, continuing lines with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let fits = line.chars().count() + 1 + word.chars().count() <= width;
            if !line.is_empty() && !fits {
                out.push_str(&line);
                out.push('\n');
                line = indent.to_string();
            } else if !line.is_empty() && line != indent {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.pop();
    out
}

/// Show `text` a screenful at a time: Enter or Space for more, q or Esc to stop. Returns `false`
/// when the operator pressed Ctrl-C. The terminal leaves raw mode whatever happens.
pub fn page(style: &Style, text: &str) -> std::io::Result<bool> {
    // Three rows stay for the step's header, one for the "more" line.
    let (cols, rows) = terminal::size()
        .map(|(c, r)| (usize::from(c), usize::from(r)))
        .unwrap_or((80, 24));
    let per_page = rows.saturating_sub(4).max(5);
    // Long lines wrap at words, indented under their start, so a page never scrolls the
    // terminal; only a single word wider than the screen is split.
    let width = cols.max(20);
    let lines: Vec<String> = text
        .lines()
        .flat_map(|l| {
            let line = style.text(l);
            let lead = line.chars().take_while(|c| *c == ' ').count();
            let indent = " ".repeat((lead + 4).min(width / 2));
            wrap(&line, width, &indent)
                .split('\n')
                .flat_map(|piece| chunks(piece, width))
                .collect::<Vec<_>>()
        })
        .collect();
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
        print!(
            "-- more ({shown}/{}): Enter for more, q to skip --",
            lines.len()
        );
        std::io::stdout().flush()?;
        let key = read_key();
        print!("\r{}\r", " ".repeat(WIDTH));
        std::io::stdout().flush()?;
        match key? {
            Key::More => {}
            Key::Skip => break,
            Key::Interrupt => return Ok(false),
        }
    }
    Ok(true)
}

/// `line` in pieces of at most `width` characters (an empty line stays one empty piece); for a
/// word wider than the screen, which `wrap` cannot break.
fn chunks(line: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars.chunks(width).map(|c| c.iter().collect()).collect()
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
mod wrap_tests {
    use super::{chunks, wrap};

    #[test]
    fn review_lines_wrap_at_words_under_their_indent() {
        let line = "  50000-50119  udp    public    livekit  required  WebRTC media (audio and video) for every participant";
        let wrapped = wrap(line, 60, "      ");
        for piece in wrapped.split('\n') {
            assert!(piece.chars().count() <= 60, "{piece:?}");
        }
        assert!(
            wrapped.contains("\n      "),
            "continuations are indented: {wrapped}"
        );
        assert!(
            !wrapped.split('\n').any(|p| p.ends_with("pa")),
            "no word is cut: {wrapped}"
        );
        assert_eq!(chunks(&"x".repeat(45), 20).len(), 3);
    }
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

    #[test]
    fn wrapping_keeps_lines_within_the_width() {
        let text = "word ".repeat(40);
        for line in wrap(text.trim(), 30, "  ").lines() {
            assert!(line.chars().count() <= 30, "{line:?}");
        }
    }
}
