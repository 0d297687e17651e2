//! The run loop on `TestBackend`, fed through the channel as the real terminal would be.

use std::time::Duration;

use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::Terminal;
use tokio::sync::mpsc;

use super::fixtures::*;
use super::text;
use crate::dashboard::app::App;
use crate::dashboard::event::{Command, Event};
use crate::dashboard::theme::Theme;
use crate::dashboard::tui;

/// `TestBackend`, counting the frames and the cells sent to the terminal.
struct Counting {
    inner: TestBackend,
    frames: usize,
    cells: usize,
}

impl Backend for Counting {
    type Error = core::convert::Infallible;

    fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(
        &mut self,
        content: I,
    ) -> Result<(), Self::Error> {
        let content: Vec<_> = content.collect();
        self.frames += 1;
        self.cells += content.len();
        self.inner.draw(content.into_iter())
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}

fn terminal() -> Terminal<Counting> {
    let backend = Counting {
        inner: TestBackend::new(80, 24),
        frames: 0,
        cells: 0,
    };
    match Terminal::new(backend) {
        Ok(t) => t,
        Err(never) => match never {},
    }
}

/// Sends each event, pausing so the loop handles (and draws) it before the next.
async fn feed(events: mpsc::Sender<Event>, script: Vec<Event>) {
    for event in script {
        events.send(event).await.expect("the loop is running");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn a_snapshot_a_key_and_q_end_the_loop_with_the_selection_on_screen() {
    let mut terminal = terminal();
    let theme = Theme::new(true, true);
    let mut app = App::new(TITLE, t0());
    let (events_tx, mut events) = mpsc::channel(16);
    let (commands, mut sent) = mpsc::channel(16);
    let script = vec![
        Event::Snapshot(Box::new(gen_snapshot(true))),
        key(crossterm::event::KeyCode::Down),
        char_key('q'),
    ];
    let (result, ()) = tokio::join!(
        tui::run(&mut terminal, &mut app, &theme, &mut events, &commands),
        feed(events_tx, script),
    );
    assert!(result.is_ok());
    assert_eq!(sent.try_recv().ok(), Some(Command::Quit));
    let screen = text(terminal.backend().inner.buffer());
    assert!(
        screen.lines().any(|l| l.starts_with("▶ ✓ livekit")),
        "{screen}"
    );
}

#[tokio::test]
async fn an_idle_dashboard_does_not_redraw() {
    let mut terminal = terminal();
    let theme = Theme::new(true, true);
    let mut app = App::new(TITLE, t0());
    let (events_tx, mut events) = mpsc::channel(16);
    let (commands, _sent) = mpsc::channel(16);
    let mut script = vec![Event::Snapshot(Box::new(gen_snapshot(true)))];
    script.extend((0..10).map(|_| Event::Tick));
    script.push(Event::Snapshot(Box::new(gen_snapshot(true))));
    script.push(Event::DockerChanged);
    let (result, ()) = tokio::join!(
        tui::run(&mut terminal, &mut app, &theme, &mut events, &commands),
        feed(events_tx, script),
    );
    // The channel closed after the script: the loop ended by itself.
    assert!(result.is_ok());
    let backend = terminal.backend();
    assert_eq!(
        backend.frames, 2,
        "the empty screen and the first snapshot, nothing for ticks"
    );

    // A key that moves the selection rewrites a couple of rows, not the screen.
    let before = terminal.backend().cells;
    let (events_tx, mut events) = mpsc::channel(16);
    let (result, ()) = tokio::join!(
        tui::run(&mut terminal, &mut app, &theme, &mut events, &commands),
        feed(events_tx, vec![char_key('j')]),
    );
    assert!(result.is_ok());
    let changed = terminal.backend().cells - before;
    // Two service rows swap highlight and the detail pane shows another service: a few rows,
    // against 1920 cells for the whole screen.
    assert!(
        changed > 0 && changed < 4 * 80,
        "{changed} cells for one step down"
    );
}
