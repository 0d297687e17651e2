//! The services panel: one row per container of the plan, in the plan's order.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, TableState};
use ratatui::Frame;

use super::{fit, focused, panel};
use crate::dashboard::app::{App, Panel};
use crate::dashboard::format;
use crate::dashboard::theme::Theme;
use crate::health::{ServiceState, Status};

const HEADER: [&str; 8] = [
    "", "SERVICE", "STATE", "HEALTH", "RESTARTS", "UPTIME", "CPU", "MEMORY",
];

/// Draws the services panel into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = app.services();
    let is_focused = focused(app, Panel::Services);
    // Rows past the panel's height (it gives room to a long check message) are counted.
    let hidden = rows
        .rows
        .len()
        .saturating_sub(usize::from(area.height.saturating_sub(2)));
    let note = match (rows.stale, hidden) {
        (true, _) => Some(format!("{} last known, stale", theme.symbols.dash)),
        (false, 0) => None,
        (false, n) if is_focused => {
            Some(format!("{} {n} more, select to scroll", theme.symbols.dash))
        }
        (false, n) => Some(format!("{} {n} more, Tab shows them", theme.symbols.dash)),
    };
    let block = panel("Services", note, is_focused, theme);
    if rows.rows.is_empty() {
        let text = format!("  {} probing", theme.symbols.ellipsis);
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.muted())).block(block),
            area,
        );
        return;
    }

    let name_width = rows
        .rows
        .iter()
        .map(|s| s.service.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(7, 20);
    let widths = [
        Constraint::Length(1),
        Constraint::Length(name_width as u16),
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(7),
    ];
    let table_rows = rows
        .rows
        .iter()
        .map(|s| row(s, name_width, rows.stale, theme));
    let header = Row::new(HEADER).style(theme.muted());
    let table = super::selectable_table(table_rows, widths, header, block, is_focused, theme);
    let mut state = TableState::new().with_selected(app.selected_service());
    frame.render_stateful_widget(table, area, &mut state);
}

fn row<'a>(s: &ServiceState, name_width: usize, stale: bool, theme: &Theme) -> Row<'a> {
    let dash = theme.symbols.dash;
    // Stale rows are greyed whole; their symbols and words still say what was last seen.
    let status_style = if stale {
        Style::new()
    } else {
        theme.status(s.status)
    };
    let cells = [
        Cell::from(theme.symbols.status(s.status)).style(status_style),
        Cell::from(fit(&s.service, name_width, theme)),
        Cell::from(fit(&s.state, 10, theme)).style(status_style),
        Cell::from(
            s.health
                .as_deref()
                .map_or(dash.to_string(), |h| fit(h, 9, theme)),
        ),
        Cell::from(s.restarts.to_string()),
        Cell::from(s.uptime.map_or(dash.to_string(), format::uptime)),
        Cell::from(s.cpu_percent.map_or(dash.to_string(), format::percent)),
        Cell::from(s.memory_bytes.map_or(dash.to_string(), format::bytes)),
    ];
    let row = Row::new(cells);
    match (stale, s.status) {
        (true, _) => row.style(theme.stale()),
        (false, Status::Down | Status::Degraded) => row.style(theme.status(s.status)),
        (false, _) => row,
    }
}
