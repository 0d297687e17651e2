//! The checklist as the wizard prints it: one line per item (wrapped to 80 columns), a mark, a
//! title column and the detail; ASCII marks for terminals whose locale is not UTF-8.

use super::{Checklist, Mark};

/// The widest line, so that the checklist fits an 80-column terminal.
const WIDTH: usize = 80;
/// Titles longer than this put their detail on the next line rather than widen the column.
const MAX_TITLE: usize = 16;

fn mark(mark: Mark, unicode: bool) -> &'static str {
    match (mark, unicode) {
        (Mark::Ok, true) => "✓",
        (Mark::Warn, true) => "!",
        (Mark::Fail, true) => "✗",
        (Mark::Ok, false) => "[ok]",
        (Mark::Warn, false) => "[!!]",
        (Mark::Fail, false) => "[XX]",
    }
}

/// Plain ASCII for a non-UTF-8 terminal: known punctuation spelled out, anything else `?`.
fn ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '—' | '–' | '−' => out.push('-'),
            '…' => out.push_str("..."),
            '‘' | '’' => out.push('\''),
            '“' | '”' => out.push('"'),
            c if c.is_ascii() => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// Words of `text` in lines of at most `width` characters; a word longer than that is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                len = 0;
            }
            let rest = word.split_off(width);
            lines.push(word.into_iter().collect());
            word = rest;
        }
        if len > 0 && len + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
            len = 0;
        }
        if len > 0 {
            line.push(' ');
            len += 1;
        }
        len += word.len();
        line.extend(word);
    }
    if len > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The checklist as lines for the terminal, each at most 80 columns: `✓ Docker  Docker 27.1 …` with
/// Unicode marks (✓ ! ✗), or `[ok] Docker  …` (`[ok]`, `[!!]`, `[XX]`) and plain ASCII text when
/// `unicode` is false. Every line ends in a newline.
pub fn render(checklist: &Checklist, unicode: bool) -> String {
    render_width(checklist, unicode, WIDTH)
}

/// [`render`] for a terminal `width` columns wide (the wizard's own), the detail column narrowed
/// to fit; never narrower than 40 columns.
pub fn render_width(checklist: &Checklist, unicode: bool, width: usize) -> String {
    let width = width.clamp(40, 1000);
    let text = |s: &str| if unicode { s.to_string() } else { ascii(s) };
    let mark_width = if unicode { 1 } else { 4 };
    let title_width = checklist
        .items
        .iter()
        .map(|i| i.title.chars().count())
        .filter(|&n| n <= MAX_TITLE)
        .max()
        .unwrap_or(0);
    // "<mark> <title> <detail>"
    let indent = mark_width + 1 + title_width + 1;
    let detail_width = width.saturating_sub(indent).max(20);
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for item in &checklist.items {
        let title = text(&item.title);
        let head = format!(
            "{} {:<title_width$}",
            mark(item.mark, unicode),
            title,
            title_width = title_width
        );
        let mut lines = wrap(&text(&item.detail), detail_width).into_iter();
        if title.chars().count() > title_width {
            // A long title takes its own line(s); the detail starts below, in its column.
            for (n, part) in wrap(&title, width - mark_width - 1).iter().enumerate() {
                let lead = if n == 0 {
                    mark(item.mark, unicode).to_string()
                } else {
                    " ".repeat(mark_width)
                };
                out.push_str(&format!("{lead} {part}\n"));
            }
        } else if let Some(first) = lines.next() {
            out.push_str(format!("{head} {first}").trim_end());
            out.push('\n');
        }
        for line in lines {
            out.push_str(&pad);
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::Item;

    fn checklist() -> Checklist {
        Checklist {
            items: vec![
                Item::new(
                    Mark::Ok,
                    "System",
                    "Debian GNU/Linux 12 (bookworm), x86_64 (amd64)",
                ),
                Item::new(
                    Mark::Warn,
                    "Port 443/tcp",
                    "port 443/tcp is in use by nginx (pid 123): stop it, or choose --proxy \
                     external to put selkie behind it",
                ),
                Item::new(
                    Mark::Fail,
                    "Docker",
                    "Docker is not installed or not running — `selkie setup --install-docker` \
                     installs it",
                ),
            ],
        }
    }

    #[test]
    fn unicode_marks_and_wrapped_details() {
        let out = render(&checklist(), true);
        let want = "\
✓ System       Debian GNU/Linux 12 (bookworm), x86_64 (amd64)
! Port 443/tcp port 443/tcp is in use by nginx (pid 123): stop it, or choose
               --proxy external to put selkie behind it
✗ Docker       Docker is not installed or not running — `selkie setup
               --install-docker` installs it
";
        assert_eq!(out, want);
    }

    #[test]
    fn ascii_marks_and_text_for_other_locales() {
        let out = render(&checklist(), false);
        assert!(out.starts_with("[ok] System       Debian"), "{out}");
        assert!(out.contains("\n[!!] Port 443/tcp port 443/tcp is in use by nginx"));
        assert!(out.contains("\n[XX] Docker       Docker is not installed or not running -"));
        assert!(out.is_ascii(), "{out}");
        for line in out.lines() {
            assert!(line.chars().count() <= WIDTH, "{line:?}");
        }
    }

    #[test]
    fn everything_fits_80_columns() {
        let long = Checklist {
            items: vec![
                Item::new(
                    Mark::Ok,
                    "A title much longer than the column",
                    "x ".repeat(90),
                ),
                Item::new(Mark::Warn, "Disk", format!("free on /{}", "d".repeat(150))),
            ],
        };
        for unicode in [true, false] {
            let out = render(&long, unicode);
            for line in out.lines() {
                assert!(line.chars().count() <= WIDTH, "{line:?}");
            }
            for line in render_width(&checklist(), unicode, 60).lines() {
                assert!(line.chars().count() <= 60, "{line:?}");
            }
            assert!(out.contains(&"d".repeat(20)));
        }
        assert_eq!(render(&Checklist::default(), true), "");
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("", 10), [""]);
    }
}
