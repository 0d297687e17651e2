//! The restart question, asked before anything is restarted.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::centered;
use crate::dashboard::keys::{self, Context};
use crate::dashboard::theme::Theme;

/// Draws "Restart `service`?" over `area`'s centre.
pub fn draw(frame: &mut Frame, area: Rect, theme: &Theme, service: &str) {
    let mut answers = vec![Span::raw(" ")];
    for (keys, hint) in keys::footer_hints(Context::Confirm, &theme.symbols) {
        answers.push(Span::styled(keys, theme.key()));
        answers.push(Span::raw(format!(" {hint}   ")));
    }
    let lines = vec![
        Line::styled(format!(" Restart {service}?"), theme.strong()),
        Line::raw(" Docker restarts its container; it is down meanwhile."),
        Line::raw(""),
        Line::from(answers),
    ];
    let popup = centered(area, 60, lines.len() as u16 + 2);
    let block = Block::bordered()
        .border_set(theme.symbols.border)
        .border_style(theme.status(crate::health::Status::Degraded))
        .title(" Restart ");
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        popup,
    );
}
