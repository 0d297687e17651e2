//! The top line (deployment, overall status, Docker) and, while Docker does not answer, a banner
//! saying so: a lost connection is a state of its own, shown over the last known data.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::fit;
use crate::dashboard::app::App;
use crate::dashboard::theme::Theme;
use crate::health::{DockerState, Status};

/// Draws the header into `area` (one line, two with the banner).
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let s = &theme.symbols;
    let [line, banner] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);

    let (status, docker) = match app.snapshot() {
        None => (
            Span::styled(format!("{} probing", s.ellipsis), theme.muted()),
            String::new(),
        ),
        Some(snapshot) => {
            let overall = snapshot.overall();
            let docker = match &snapshot.docker {
                DockerState::Connected { version } => format!("Docker {version}"),
                DockerState::Unreachable { .. } => "Docker unreachable".to_string(),
            };
            let word = Span::styled(
                format!("{} {}", s.bullet, overall.as_str()),
                theme.status(overall),
            );
            (word, docker)
        }
    };
    let right = Line::from(vec![
        status,
        Span::styled(format!("  {docker} "), theme.muted()),
    ]);
    let right_width = (right.width() as u16).min(line.width);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width)]).areas(line);
    let left = format!(" selkie status {} {}", s.sep, app.title());
    let left = fit(&left, left_area.width.saturating_sub(1).into(), theme);
    frame.render_widget(
        Paragraph::new(Span::styled(left, theme.strong())),
        left_area,
    );
    frame.render_widget(Paragraph::new(right), right_area);

    if let Some(reason) = app.docker_unreachable() {
        let head = format!(" {} Docker unreachable: ", s.status(Status::Down));
        let long = format!(" {} retrying; services show their last known state", s.dash);
        let short = format!(" {} retrying", s.dash);
        let width = usize::from(banner.width);
        let used = |tail: &str| head.chars().count() + tail.chars().count();
        // The explanation gives way before the reason is cut.
        let text = if used(&long) + reason.chars().count() <= width {
            format!("{head}{reason}{long}")
        } else {
            let room = width.saturating_sub(used(&short));
            format!("{head}{}{short}", fit(reason, room, theme))
        };
        frame.render_widget(Paragraph::new(text).style(theme.banner()), banner);
    }
}
