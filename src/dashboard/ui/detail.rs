//! The detail pane: everything about the selected row that the tables leave out (the probe's
//! message and purpose; a service's state and the tail of its logs), and the full-height logs view.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{fit, panel};
use crate::dashboard::app::{App, Panel};
use crate::dashboard::format;
use crate::dashboard::keys::{self, Action, Context};
use crate::dashboard::theme::Theme;
use crate::health::{CheckResult, ServiceState, Target};

/// Draws the detail of the focused panel's selected row into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = panel("Detail", None, false, theme);
    let inner = indent(block.inner(area));
    frame.render_widget(block, area);
    frame.render_widget(text(app, inner, theme), inner);
}

/// The rows the pane needs at `width` to show all of its text, title included.
pub fn height(app: &App, theme: &Theme, width: u16) -> u16 {
    let area = Rect::new(0, 0, width, 1000);
    let inner = indent(panel("Detail", None, false, theme).inner(area));
    let rows = text(app, inner, theme).line_count(inner.width);
    (area.height - inner.height).saturating_add(u16::try_from(rows).unwrap_or(u16::MAX))
}

/// The pane's text for the selected row, wrapped at the width of `inner`.
fn text<'a>(app: &App, inner: Rect, theme: &Theme) -> Paragraph<'a> {
    let lines = match app.panel() {
        Panel::Services => match app
            .selected_service()
            .and_then(|i| app.services().rows.get(i))
        {
            Some(s) => service_lines(app, s, inner, theme),
            None => waiting(theme),
        },
        Panel::Ports => match app.selected_check().and_then(|i| app.checks().get(i)) {
            Some(c) => check_lines(app, c, theme),
            None => waiting(theme),
        },
    };
    Paragraph::new(lines).wrap(Wrap { trim: false })
}

/// Whether the pane shows a log tail: a service is selected and its logs were fetched.
pub fn shows_logs(app: &App) -> bool {
    app.panel() == Panel::Services
        && app.docker_unreachable().is_none()
        && app
            .selected_service()
            .and_then(|i| app.services().rows.get(i))
            .and_then(|s| app.logs(&s.service))
            .is_some_and(|logs| !logs.is_empty())
}

/// Draws the logs of `service`, as many of the latest lines as fit, into `area`.
pub fn draw_logs(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, service: &str) {
    let close = keys::keys_for(Action::Cancel, Context::View, &theme.symbols);
    let title = format!("Logs of {service} ({close} closes)");
    let block = panel(&title, None, true, theme);
    let inner = indent(block.inner(area));
    frame.render_widget(block, area);
    let lines = match app.logs(service) {
        Some([]) => vec![Line::styled("(no log lines)", theme.muted())],
        Some(logs) => wrapped_tail(logs, inner),
        None => vec![Line::styled(
            format!("fetching{}", theme.symbols.ellipsis),
            theme.muted(),
        )],
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `area` less one column on the left: a margin rather than leading spaces, so that wrapped
/// lines line up too.
fn indent(area: Rect) -> Rect {
    let x = area.x.saturating_add(1).min(area.right());
    Rect {
        x,
        width: area.right() - x,
        ..area
    }
}

/// The newest log lines that fit in `area`, each broken into rows of the area's width (by
/// characters, so the count is exact), none cut.
fn wrapped_tail<'a>(logs: &[String], area: Rect) -> Vec<Line<'a>> {
    let width = usize::from(area.width.max(1));
    let mut rows: Vec<Line<'a>> = Vec::new();
    for line in logs.iter().rev() {
        let chars: Vec<char> = line.chars().collect();
        let mut pieces: Vec<Line<'a>> = chars
            .chunks(width)
            .map(|c| Line::raw(c.iter().collect::<String>()))
            .collect();
        if pieces.is_empty() {
            pieces.push(Line::raw(""));
        }
        if rows.len() + pieces.len() > usize::from(area.height) {
            break;
        }
        pieces.reverse();
        rows.extend(pieces);
    }
    rows.reverse();
    rows
}

fn waiting<'a>(theme: &Theme) -> Vec<Line<'a>> {
    let text = format!(
        "Waiting for the first probe round{}",
        theme.symbols.ellipsis
    );
    vec![Line::styled(text, theme.muted())]
}

fn service_lines<'a>(app: &App, s: &ServiceState, area: Rect, theme: &Theme) -> Vec<Line<'a>> {
    let sym = &theme.symbols;
    let mut facts = vec![s.state.clone(), format!("restarts {}", s.restarts)];
    if let Some(health) = &s.health {
        facts.insert(1, format!("health {health}"));
    }
    if let Some(up) = s.uptime {
        facts.push(format!("up {}", format::uptime(up)));
    }
    let sep = format!(" {} ", sym.sep);
    let head = format!(
        "{} {} {}",
        sym.status(s.status),
        s.service,
        s.status.as_str()
    );
    let mut lines = vec![
        Line::from(vec![
            Span::styled(head, theme.status(s.status)),
            Span::raw(format!("{sep}{}", facts.join(&sep))),
        ]),
        Line::raw(format!("container {}", s.container)),
    ];
    if let Some(reason) = app.docker_unreachable() {
        let text = format!(
            "Last known state: Docker unreachable ({})",
            format::clean(reason)
        );
        lines.push(Line::styled(text, theme.stale()));
        return lines;
    }
    match app.logs(&s.service) {
        Some(logs) if !logs.is_empty() => {
            lines.push(Line::styled("Recent logs:", theme.muted()));
            // The first line may wrap; what is left is for the newest log lines, each cut to one.
            let head_height = lines[0].width().div_ceil(usize::from(area.width.max(1)));
            let room = usize::from(area.height).saturating_sub(head_height + 2);
            lines.extend(tail(logs, room as u16, area.width, theme));
        }
        _ => {
            let key = keys::keys_for(Action::Logs, Context::Main, sym);
            let restart = keys::keys_for(Action::Restart, Context::Main, sym);
            lines.push(Line::styled(
                format!("{key}: recent logs   {restart}: restart"),
                theme.muted(),
            ));
        }
    }
    lines
}

fn check_lines<'a>(app: &App, c: &CheckResult, theme: &Theme) -> Vec<Line<'a>> {
    let sym = &theme.symbols;
    let status = c.verdict.status;
    let need = if c.check.required {
        "required"
    } else {
        "optional"
    };
    let exposure = c
        .check
        .exposure
        .map_or(String::new(), |e| format!(" {} {}", sym.sep, e.as_str()));
    let latency = c
        .verdict
        .latency
        .map_or(String::new(), |d| format!(" in {}", format::latency(d)));
    let changed = app
        .last_change(&c.check.label)
        .map_or("no change seen".to_string(), |d| {
            format!("changed {}", format::age(d))
        });
    vec![
        Line::from(vec![
            Span::styled(
                format!(
                    "{} {} {}",
                    sym.status(status),
                    c.check.label,
                    status.as_str()
                ),
                theme.status(status),
            ),
            Span::raw(format!(
                ": {}{latency} {} {changed}",
                format::clean(&c.verdict.message),
                sym.sep
            )),
        ]),
        Line::raw(format!(
            "{} probe of {}{}{exposure} {} {need}",
            c.check.kind.as_str(),
            c.check.service,
            aimed_at(app, &c.check.target),
            sym.sep
        )),
        Line::raw(format!("Purpose: {}", c.check.purpose)),
    ]
}

/// ` at 203.0.113.7` for a check aimed where clients connect, ` on 127.0.0.1` for one aimed at
/// loopback, nothing for the rest.
fn aimed_at(app: &App, target: &Target) -> String {
    match target {
        Target::Public { .. }
        | Target::Tls { public: true, .. }
        | Target::HostRange { public: true, .. } => app
            .snapshot()
            .map_or(String::new(), |s| format!(" at {}", s.judged_from.show())),
        Target::Loopback { .. } | Target::Tls { .. } => " on 127.0.0.1".into(),
        _ => String::new(),
    }
}

fn tail<'a>(logs: &[String], height: u16, width: u16, theme: &Theme) -> Vec<Line<'a>> {
    let skip = logs.len().saturating_sub(height.into());
    logs[skip..]
        .iter()
        .map(|l| Line::raw(fit(l, width.into(), theme)))
        .collect()
}
