//! The help overlay: every key binding, generated from the key table.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use super::centered;
use crate::dashboard::app::App;
use crate::dashboard::keys;
use crate::dashboard::theme::Theme;

/// Draws the help over `area`'s centre.
pub fn draw(frame: &mut Frame, area: Rect, _app: &App, theme: &Theme) {
    let sections = keys::help_sections(&theme.symbols);
    let key_width = sections
        .iter()
        .flat_map(|(_, rows)| rows.iter().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for (heading, rows) in sections.iter().filter(|(_, rows)| !rows.is_empty()) {
        lines.push(Line::styled(format!(" {heading}"), theme.strong()));
        for (keys, help) in rows {
            lines.push(Line::from(vec![
                Span::styled(format!("   {keys:<key_width$}"), theme.key()),
                Span::raw(format!("  {help}")),
            ]));
        }
    }
    let width = lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 3;
    let popup = centered(area, width, lines.len() as u16 + 2);
    let block = Block::bordered()
        .border_set(theme.symbols.border)
        .border_style(theme.border(true))
        .title(" Keys ");
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
