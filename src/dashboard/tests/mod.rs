//! Dashboard tests: the state machine, every panel rendered on `TestBackend`, and the run loop,
//! over the fixtures (a deployment in a few named states).

mod app;
mod fixtures;
mod keys;
mod render;
mod run;

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;

use super::app::App;
use super::theme::Theme;
use super::ui;

/// The dashboard drawn once at `width` x `height`.
fn render(app: &App, theme: &Theme, width: u16, height: u16) -> Buffer {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    let frame = terminal.draw(|f| ui::draw(f, app, theme));
    match frame {
        Ok(done) => done.buffer.clone(),
        Err(never) => match never {},
    }
}

/// The buffer as text, one line per row, trailing blanks trimmed.
fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let line: String = (area.left()..area.right())
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
