//! Text fitted to the terminal: lines wrapped at spaces to its width (never inside a word, unless
//! one word is wider than the screen), each continuation under its own line's indent. Output that
//! is not a terminal is left as it is, for scripts and logs to read whole.

use std::io::IsTerminal;

use textwrap::{Options, WordSeparator, WordSplitter};

/// The narrowest width wrapping is done for: below it, lines break where the terminal breaks them.
pub const MIN_WIDTH: usize = 20;
/// The width assumed for a terminal whose size cannot be read.
pub const FALLBACK_WIDTH: usize = 80;

/// The terminal's width in columns, when the output is one.
fn terminal_width() -> usize {
    crossterm::terminal::size()
        .map(|(cols, _)| usize::from(cols))
        .ok()
        .filter(|c| *c > 0)
        .unwrap_or(FALLBACK_WIDTH)
        .max(MIN_WIDTH)
}

/// The width to wrap standard output to: the terminal's, or no limit when it is not a terminal.
pub fn stdout_width() -> usize {
    if std::io::stdout().is_terminal() {
        terminal_width()
    } else {
        usize::MAX
    }
}

/// The width to wrap standard error to: the terminal's, or no limit when it is not a terminal.
pub fn stderr_width() -> usize {
    if std::io::stderr().is_terminal() {
        terminal_width()
    } else {
        usize::MAX
    }
}

/// `text` wrapped to `width` columns; the first line keeps its own start, every further line of a
/// paragraph starts with `indent`. Paragraphs (`\n`) are wrapped one by one.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    if width == usize::MAX {
        return text.to_string();
    }
    let width = width.max(MIN_WIDTH);
    let indent = if indent.chars().count() * 2 > width {
        ""
    } else {
        indent
    };
    let options = Options::new(width)
        .word_separator(WordSeparator::AsciiSpace)
        .word_splitter(WordSplitter::NoHyphenation)
        .break_words(true)
        .subsequent_indent(indent);
    text.split('\n')
        .map(|paragraph| {
            if paragraph.trim().is_empty() {
                return String::new();
            }
            textwrap::wrap(paragraph, &options).join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every line of `text` wrapped to `width`, continuing two columns in from where the line's own
/// text starts (so list items, notes and table rows stay readable); a trailing newline is kept.
pub fn fit(text: &str, width: usize) -> String {
    if width == usize::MAX {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let lead = body.chars().take_while(|c| *c == ' ').count();
        let indent = " ".repeat((lead + 2).min(width / 2));
        out.push_str(&wrap(body, width, &indent));
        out.push_str(end);
    }
    out
}

/// Print `text` and a newline on standard output, fitted to the terminal.
pub fn say(text: &str) {
    println!("{}", fit(text, stdout_width()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widest(text: &str) -> usize {
        text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    #[test]
    fn lines_wrap_at_spaces_under_their_indent() {
        let text = "  ! the SSH port could not be read (no SSH session, no readable sshd_config): \
                    the firewall keeps 22 open\nshort\n";
        let out = fit(text, 40);
        assert!(widest(&out) <= 40, "{out}");
        assert!(out.ends_with("short\n"), "{out}");
        let words: Vec<&str> = text.split_whitespace().collect();
        let again: Vec<&str> = out.split_whitespace().collect();
        assert_eq!(words, again, "no word is cut or lost");
        for continuation in out.lines().skip(1).take_while(|l| *l != "short") {
            assert!(continuation.starts_with("    "), "{continuation:?}");
        }
    }

    #[test]
    fn a_word_wider_than_the_screen_is_the_only_thing_split() {
        let out = wrap(&format!("see {}", "x".repeat(50)), 20, "  ");
        assert!(widest(&out) <= 20, "{out}");
        assert_eq!(out.lines().next(), Some("see"));
    }

    #[test]
    fn column_padding_survives_when_a_row_fits() {
        let row = "  7880/tcp  tcp    loopback  livekit";
        assert_eq!(fit(row, 80), row);
        assert_eq!(fit("a\n\nb", 30), "a\n\nb");
        assert_eq!(fit("unlimited", usize::MAX), "unlimited");
    }
}
