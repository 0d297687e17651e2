//! The bottom line: the keys that work now, generated from the key table, and above it the
//! latest status message when there is one.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::fit;
use crate::dashboard::app::App;
use crate::dashboard::keys;
use crate::dashboard::theme::Theme;

/// Draws the footer into `area` (one line, two with a message).
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [message_area, hints_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    if let Some(message) = app.message() {
        let text = fit(&format!(" {message}"), message_area.width.into(), theme);
        frame.render_widget(Paragraph::new(text).style(theme.strong()), message_area);
    }

    let mut spans = vec![Span::raw(" ")];
    let mut width = 1;
    for (keys, hint) in keys::footer_hints(app.context(), &theme.symbols) {
        let item = keys.chars().count() + hint.chars().count() + 3;
        // Hints that do not fit are left out whole rather than cut.
        if width + item > usize::from(hints_area.width) {
            break;
        }
        width += item;
        spans.push(Span::styled(keys, theme.key()));
        spans.push(Span::raw(format!(" {hint}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), hints_area);
}
