//! Drawing: one file per panel, each a pure function of the state and the theme. This file lays
//! them out; it works from 80x24 up and follows resizes (the layout is recomputed every frame).

mod confirm;
mod detail;
mod footer;
mod header;
mod help;
mod ports;
mod services;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use ratatui::Frame;

use super::app::{App, Overlay, Panel};
use super::theme::Theme;

/// Lines the detail pane keeps at the least: its title and four lines of text.
const DETAIL_MIN: u16 = 5;
/// Lines the ports panel keeps at the least when the detail pane needs more than its minimum
/// for a long message: its title, its header and three rows (it scrolls to the selection).
const PORTS_MIN: u16 = 5;
/// Lines the services panel keeps at the least when a check's long message needs its room:
/// its title, its header and three rows.
const SERVICES_MIN: u16 = 5;
/// The same when it shows a service's log tail: room for the facts and four log lines, even if
/// the last ports rows then need scrolling to (the panel says so).
const DETAIL_WITH_LOGS: u16 = 8;

/// Draws the whole dashboard.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let banner = u16::from(app.docker_unreachable().is_some());
    let message = u16::from(app.message().is_some());
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1 + banner),
        Constraint::Min(0),
        Constraint::Length(1 + message),
    ])
    .areas(frame.area());
    header::draw(frame, top, app, theme);
    footer::draw(frame, bottom, app, theme);

    let mut services_height = (app.services().rows.len().max(1) as u16 + 2).min(body.height);
    // A long message (a certificate's reason can take six lines) grows the detail pane, so the
    // probe and purpose lines below it are not cut: the ports panel gives rows down to three,
    // then, while the checks have the keyboard, the services panel too.
    let shows_logs = detail::shows_logs(app);
    let detail_needs = (!shows_logs).then(|| detail::height(app, theme, body.width));
    let checks_have_keys = app.panel() == Panel::Ports && matches!(app.overlay(), Overlay::None);
    if let (Some(needs), true) = (detail_needs, checks_have_keys) {
        let left = body.height.saturating_sub(services_height);
        let spare = services_height.saturating_sub(SERVICES_MIN);
        services_height -= (needs + PORTS_MIN).saturating_sub(left).min(spare);
    }
    let [services_area, rest] =
        Layout::vertical([Constraint::Length(services_height), Constraint::Min(0)]).areas(body);
    services::draw(frame, services_area, app, theme);
    if let Overlay::Logs(service) = app.overlay() {
        detail::draw_logs(frame, rest, app, theme, service);
        return;
    }
    // The ports panel takes what its rows need, as long as the detail pane keeps its minimum.
    let wanted = app.checks().len().max(1) as u16 + 2;
    let detail_min = match detail_needs {
        None => DETAIL_WITH_LOGS,
        Some(needs) => {
            let room = rest.height.saturating_sub(PORTS_MIN).max(DETAIL_MIN);
            needs.clamp(DETAIL_MIN, room)
        }
    };
    let ports_height = wanted.min(rest.height.saturating_sub(detail_min));
    let [ports_area, detail_area] =
        Layout::vertical([Constraint::Length(ports_height), Constraint::Min(0)]).areas(rest);
    ports::draw(frame, ports_area, app, theme);
    detail::draw(frame, detail_area, app, theme);

    match app.overlay() {
        Overlay::Help => help::draw(frame, frame.area(), app, theme),
        Overlay::Confirm(service) => confirm::draw(frame, frame.area(), theme, service),
        Overlay::None | Overlay::Logs(_) => {}
    }
}

/// A panel: a rule on top carrying the title; the focused panel's title is marked by the pointer
/// symbol as well as by style.
fn panel<'a>(title: &str, note: Option<String>, focused: bool, theme: &Theme) -> Block<'a> {
    let marker = if focused { theme.symbols.pointer } else { " " };
    let mut spans = vec![Span::raw(format!("{marker} {title} "))];
    if let Some(note) = note {
        spans.push(Span::styled(format!("{note} "), theme.stale()));
    }
    Block::new()
        .borders(Borders::TOP)
        .border_set(theme.symbols.border)
        .border_style(theme.border(focused))
        .title(Line::from(spans))
}

/// Whether a panel has the keyboard (no view covers it).
/// A list panel's table with the selection pointer: the services and the checks both use it, so
/// the two panels select and highlight rows the same way.
fn selectable_table<'a>(
    rows: impl IntoIterator<Item = ratatui::widgets::Row<'a>>,
    widths: impl IntoIterator<Item = Constraint>,
    header: ratatui::widgets::Row<'a>,
    block: Block<'a>,
    is_focused: bool,
    theme: &Theme,
) -> ratatui::widgets::Table<'a> {
    let pointer = if is_focused {
        format!("{} ", theme.symbols.pointer)
    } else {
        "  ".into()
    };
    ratatui::widgets::Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .highlight_symbol(pointer)
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
        .row_highlight_style(if is_focused {
            theme.selected()
        } else {
            ratatui::style::Style::new()
        })
}

fn focused(app: &App, panel: Panel) -> bool {
    app.panel() == panel && matches!(app.overlay(), Overlay::None | Overlay::Confirm(_))
}

/// `text` cut to `width` columns, ending in an ellipsis when cut.
fn fit(text: &str, width: usize, theme: &Theme) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let ellipsis = theme.symbols.ellipsis;
    let keep = width.saturating_sub(ellipsis.chars().count());
    let mut out: String = text.chars().take(keep).collect();
    if width >= ellipsis.chars().count() {
        out.push_str(ellipsis);
    }
    out
}

/// A centred rectangle of at most `width` x `height` inside `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    area.centered(
        Constraint::Length(width.min(area.width)),
        Constraint::Length(height.min(area.height)),
    )
}
