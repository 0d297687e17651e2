//! The ports panel: one row per check (a port or range with its protocol, a TLS host name, a DNS
//! record), in the plan's order. Narrow terminals drop the message and purpose columns; the
//! detail pane shows both for the selected row.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, TableState};
use ratatui::Frame;

use super::{fit, focused, panel};
use crate::dashboard::app::{App, Panel};
use crate::dashboard::format;
use crate::dashboard::theme::Theme;
use crate::health::{CheckResult, Status};

/// Fixed columns: symbol, kind, exposure, result, latency, last change.
const FIXED: [u16; 6] = [1, 5, 8, 8, 7, 8];
/// Below this many spare columns the message is left out; below twice that, the purpose too.
const WIDE_COLUMN: u16 = 16;

/// Draws the ports panel into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let checks = app.checks();
    let is_focused = focused(app, Panel::Ports);
    // Rows past the panel's height are reached by moving the selection; say that they exist.
    let visible = usize::from(area.height.saturating_sub(2));
    let hidden = checks.len().saturating_sub(visible);
    let note = (hidden > 0)
        .then(|| format!("{} {hidden} more, select to scroll", theme.symbols.dash))
        .or_else(|| {
            app.media_check()
                .map(|m| format!("{} {m}", theme.symbols.dash))
        });
    let block = panel("Ports and checks", note, is_focused, theme);
    if checks.is_empty() {
        let text = format!("  {} probing", theme.symbols.ellipsis);
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.muted())).block(block),
            area,
        );
        return;
    }

    let label = checks
        .iter()
        .map(|c| c.check.label.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, 24) as u16;
    // The pointer column (2) and one space between columns.
    let used = 2 + label + FIXED.iter().sum::<u16>() + FIXED.len() as u16;
    let spare = area.width.saturating_sub(used);
    let (message, purpose) = match spare {
        // The message matters more than the purpose: it gets three fifths.
        s if s >= 2 * WIDE_COLUMN + 2 => ((s - 2) * 3 / 5, s - 2 - (s - 2) * 3 / 5),
        s if s > WIDE_COLUMN => (s - 1, 0),
        _ => (0, 0),
    };
    let mut widths = vec![Constraint::Length(FIXED[0]), Constraint::Length(label)];
    widths.extend(FIXED[1..].iter().map(|w| Constraint::Length(*w)));
    let mut header = vec![
        "", "CHECK", "KIND", "EXPOSURE", "RESULT", "LATENCY", "CHANGED",
    ];
    for (width, title) in [(message, "MESSAGE"), (purpose, "PURPOSE")] {
        if width > 0 {
            widths.push(Constraint::Length(width));
            header.push(title);
        }
    }

    let rows = checks.iter().map(|c| {
        let cols = Columns {
            label,
            message,
            purpose,
        };
        row(
            c,
            app.last_change(&c.check.label).map(format::age),
            cols,
            theme,
        )
    });
    let table = super::selectable_table(
        rows,
        widths,
        Row::new(header).style(theme.muted()),
        block,
        is_focused,
        theme,
    );
    let mut state = TableState::new().with_selected(app.selected_check());
    frame.render_stateful_widget(table, area, &mut state);
}

/// The widths of the columns that vary (0: left out).
#[derive(Clone, Copy)]
struct Columns {
    label: u16,
    message: u16,
    purpose: u16,
}

fn row<'a>(c: &CheckResult, changed: Option<String>, cols: Columns, theme: &Theme) -> Row<'a> {
    let dash = theme.symbols.dash;
    let status = c.verdict.status;
    let style = theme.status(status);
    let mut cells = vec![
        Cell::from(theme.symbols.status(status)).style(style),
        Cell::from(fit(&c.check.label, cols.label.into(), theme)),
        Cell::from(c.check.kind.as_str()),
        Cell::from(c.check.exposure.map_or(dash, |e| e.as_str())),
        Cell::from(status.as_str()).style(style),
        Cell::from(c.verdict.latency.map_or(dash.to_string(), format::latency)),
        Cell::from(changed.unwrap_or_else(|| dash.to_string())),
    ];
    if cols.message > 0 {
        cells.push(Cell::from(fit(
            &c.verdict.message,
            cols.message.into(),
            theme,
        )));
    }
    if cols.purpose > 0 {
        cells.push(Cell::from(fit(
            &c.check.purpose,
            cols.purpose.into(),
            theme,
        )));
    }
    let row = Row::new(cells);
    match status {
        Status::Down => row.style(style),
        _ => row,
    }
}
