//! The wizard's one-line text input, edited as in a shell (readline's emacs keys): Ctrl-U and
//! Ctrl-K kill to the start and the end, Ctrl-W the word before the cursor, Alt-Backspace and
//! Alt-D a word either side, Ctrl-A/Ctrl-E/Home/End and the arrows move. Enter submits, Esc goes
//! back one question, Ctrl-C stops. Drawn wrapped at spaces to the terminal's width.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::report::wrap::wrap;

/// The text being typed and where the cursor stands in it (in characters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    chars: Vec<char>,
    cursor: usize,
}

/// What a key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The text or the cursor may have changed: draw again.
    Edited,
    Submit,
    Back,
    Cancel,
}

impl Line {
    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Apply one key press.
    pub fn key(&mut self, key: KeyEvent) -> Key {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Enter => return Key::Submit,
            KeyCode::Esc => return Key::Back,
            KeyCode::Char('c') if ctrl => return Key::Cancel,
            KeyCode::Char('d') if ctrl && self.chars.is_empty() => return Key::Cancel,
            KeyCode::Char(c) if ctrl => self.control(c),
            KeyCode::Char(c) if alt => self.meta(c),
            KeyCode::Char(c) => {
                self.chars.insert(self.cursor, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if alt || ctrl => self.kill_back(self.word_start()),
            KeyCode::Backspace => self.kill_back(self.cursor.saturating_sub(1)),
            KeyCode::Delete => self.kill_forward(self.cursor + 1),
            KeyCode::Left if alt || ctrl => self.cursor = self.word_start(),
            KeyCode::Right if alt || ctrl => self.cursor = self.word_end(),
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.chars.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.chars.len(),
            _ => {}
        }
        Key::Edited
    }

    /// Ctrl with a letter, as readline binds it.
    fn control(&mut self, c: char) {
        match c {
            'a' => self.cursor = 0,
            'e' => self.cursor = self.chars.len(),
            'b' => self.cursor = self.cursor.saturating_sub(1),
            'f' => self.cursor = (self.cursor + 1).min(self.chars.len()),
            'h' => self.kill_back(self.cursor.saturating_sub(1)),
            'd' => self.kill_forward(self.cursor + 1),
            'u' => self.kill_back(0),
            'k' => self.kill_forward(self.chars.len()),
            'w' => self.kill_back(self.space_word_start()),
            _ => {}
        }
    }

    /// Alt (Meta) with a letter, as readline binds it.
    fn meta(&mut self, c: char) {
        match c {
            'b' => self.cursor = self.word_start(),
            'f' => self.cursor = self.word_end(),
            'd' => self.kill_forward(self.word_end()),
            _ => {}
        }
    }

    /// Remove from `from` up to the cursor.
    fn kill_back(&mut self, from: usize) {
        let from = from.min(self.cursor);
        self.chars.drain(from..self.cursor);
        self.cursor = from;
    }

    /// Remove from the cursor up to `to`.
    fn kill_forward(&mut self, to: usize) {
        let to = to.min(self.chars.len());
        if to > self.cursor {
            self.chars.drain(self.cursor..to);
        }
    }

    /// Ctrl-W's word: back over spaces, then back to the previous space.
    fn space_word_start(&self) -> usize {
        let mut i = self.cursor;
        while i > 0 && self.chars[i - 1].is_whitespace() {
            i -= 1;
        }
        while i > 0 && !self.chars[i - 1].is_whitespace() {
            i -= 1;
        }
        i
    }

    /// Alt-B's word: back over non-word characters, then back over letters and digits.
    fn word_start(&self) -> usize {
        let mut i = self.cursor;
        while i > 0 && !self.chars[i - 1].is_alphanumeric() {
            i -= 1;
        }
        while i > 0 && self.chars[i - 1].is_alphanumeric() {
            i -= 1;
        }
        i
    }

    /// Alt-F's word: forward over non-word characters, then over letters and digits.
    fn word_end(&self) -> usize {
        let mut i = self.cursor;
        let n = self.chars.len();
        while i < n && !self.chars[i].is_alphanumeric() {
            i += 1;
        }
        while i < n && self.chars[i].is_alphanumeric() {
            i += 1;
        }
        i
    }
}

/// A drawn prompt: its rows, none wider than the width, and where the cursor goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub rows: Vec<String>,
    /// (row, column) of the cursor within `rows`.
    pub cursor: (usize, usize),
}

/// The prompt as it is drawn at `width` columns: the problem with the last answer (if any), the
/// question with its default and the text typed so far, and the help line.
pub fn frame(
    question: &str,
    line: &Line,
    problem: Option<&str>,
    help: &str,
    width: usize,
) -> Frame {
    let width = width.max(crate::report::wrap::MIN_WIDTH);
    let mut rows: Vec<String> = Vec::new();
    if let Some(p) = problem {
        rows.extend(
            wrap(&format!("! {p}"), width, "  ")
                .lines()
                .map(String::from),
        );
    }
    // The question wraps at spaces; the typed text follows it, split where the screen ends.
    let asked = wrap(&format!("? {question}"), width, "  ");
    let mut lines: Vec<String> = asked.lines().map(String::from).collect();
    let last = lines.pop().unwrap_or_default();
    let mut typed: Vec<char> = format!("{last} ").chars().collect();
    let before = typed.len();
    typed.extend(line.chars.iter());
    rows.extend(lines);
    let first = rows.len();
    for chunk in typed.chunks(width) {
        rows.push(chunk.iter().collect());
    }
    let at = before + line.cursor;
    let cursor = (first + at / width, at % width);
    if cursor.0 == rows.len() {
        rows.push(String::new());
    }
    rows.extend(
        wrap(&format!("[{help}]"), width, " ")
            .lines()
            .map(String::from),
    );
    Frame { rows, cursor }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &[KeyEvent]) -> Line {
        let mut line = Line::default();
        for k in keys {
            assert_eq!(line.key(*k), Key::Edited);
        }
        line
    }

    fn chars(text: &str) -> Vec<KeyEvent> {
        text.chars()
            .map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
            .collect()
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn ctrl_u_and_ctrl_w_edit_as_a_shell_does() {
        let mut keys = chars("meet.example.com lk");
        keys.push(ctrl('w'));
        assert_eq!(typed(&keys).text(), "meet.example.com ");
        keys.push(ctrl('w'));
        assert_eq!(typed(&keys).text(), "");
        let mut keys = chars("203.0.113.7");
        keys.extend([KeyEvent::from(KeyCode::Left), KeyEvent::from(KeyCode::Left)]);
        keys.push(ctrl('u'));
        let line = typed(&keys);
        assert_eq!((line.text().as_str(), line.cursor()), (".7", 0));
        keys.push(ctrl('e'));
        keys.extend(chars("9"));
        keys.push(ctrl('a'));
        keys.push(ctrl('k'));
        assert_eq!(typed(&keys).text(), "");
        let mut keys = chars("lk.meet");
        keys.push(KeyEvent::new(KeyCode::Backspace, KeyModifiers::ALT));
        assert_eq!(typed(&keys).text(), "lk.");
    }

    #[test]
    fn enter_esc_and_ctrl_c_end_the_line_differently() {
        let mut line = Line::default();
        assert_eq!(line.key(KeyEvent::from(KeyCode::Enter)), Key::Submit);
        assert_eq!(line.key(KeyEvent::from(KeyCode::Esc)), Key::Back);
        assert_eq!(line.key(ctrl('c')), Key::Cancel);
        assert_eq!(line.key(ctrl('u')), Key::Edited, "Ctrl-U types nothing");
        assert_eq!(line.text(), "");
    }

    #[test]
    fn the_frame_fits_the_width_and_places_the_cursor_after_the_text() {
        let mut line = Line::default();
        for k in chars("meet.selkie-test.invalid") {
            line.key(k);
        }
        let f = frame(
            "Domain name or IP address: (203.0.113.7)",
            &line,
            Some("`https://x.com/` is part of a URL: enter just the host name, e.g. x.com"),
            "Enter accepts the default shown; Esc goes back one question; Ctrl-C stops",
            40,
        );
        assert!(f.rows.iter().all(|r| r.chars().count() <= 40), "{f:?}");
        let row = &f.rows[f.cursor.0];
        let before: String = row.chars().take(f.cursor.1).collect();
        assert!(
            before.ends_with("invalid") || f.cursor.1 == 0,
            "{f:?} {before}"
        );
        assert!(f.rows.iter().any(|r| r.starts_with("? Domain")), "{f:?}");
        assert!(f.rows.last().unwrap().ends_with(']'), "{f:?}");
    }
}
