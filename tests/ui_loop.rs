//! The full-screen loop without a terminal: it redraws after events only, ticks only while a
//! clock on screen would change (once a minute on a checkpoint, once a second while terraform
//! runs), skips unchanged snapshots, handles keys in batches, and, driven by keys over the real
//! runtime and a fake world, goes from the first screen to done.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "ui_support/fixtures.rs"]
mod fixtures;
#[path = "ui_support/screen_text.rs"]
mod screen_text;
#[path = "ui_support/tui_state.rs"]
mod tui_state;
mod ui_support;

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use fixtures::*;
use futures_core::Stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use screen_text::*;
use siteup::ui::{Clock, Control, LoopEnv, LoopStats, UiState, run_loop};
use siteup::wizard::{Event, Journey, Mode, Status, StepId};
use tokio::sync::{mpsc, watch};
use tui_state::*;
use ui_support::*;

/// Terminal events from a channel.
struct Keys(mpsc::UnboundedReceiver<io::Result<TermEvent>>);

impl Stream for Keys {
    type Item = io::Result<TermEvent>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

fn key(c: KeyCode) -> io::Result<TermEvent> {
    Ok(TermEvent::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

struct Harness {
    keys: mpsc::UnboundedSender<io::Result<TermEvent>>,
    snapshots: watch::Sender<Journey>,
    events: mpsc::UnboundedReceiver<Event>,
    draws: Arc<Mutex<u64>>,
    task: tokio::task::JoinHandle<(LoopStats, Terminal<TestBackend>)>,
    control: mpsc::UnboundedSender<Control>,
}

/// Starts the loop on a journey, with tokio's (paused) clock lined up with the fixtures'.
fn start(j: Journey, ui: UiState) -> Harness {
    let (keys_tx, keys_rx) = mpsc::unbounded_channel();
    let (snap_tx, snap_rx) = watch::channel(j);
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
    let draws = Arc::new(Mutex::new(0));
    let counter = draws.clone();
    let task = tokio::spawn(async move {
        let mut ui = ui;
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        let mut suspend = |_: &mut Terminal<TestBackend>| Ok(());
        let mut on_draw = move |n: u64| *counter.lock().expect("lock") = n;
        let stats = run_loop(
            &mut terminal,
            Keys(keys_rx),
            snap_rx,
            ev_tx,
            &mut ui,
            ctl_rx,
            LoopEnv {
                clock: Clock::tokio_from(now()),
                copy: Arc::new(|_: &str| "copied (test)".to_string()),
                suspend: &mut suspend,
                on_draw: Some(&mut on_draw),
            },
        )
        .await
        .expect("loop");
        (stats, terminal)
    });
    Harness {
        keys: keys_tx,
        snapshots: snap_tx,
        events: ev_rx,
        draws,
        task,
        control: ctl_tx,
    }
}

impl Harness {
    fn draws(&self) -> u64 {
        *self.draws.lock().expect("lock")
    }
    async fn finish(self) -> (LoopStats, Terminal<TestBackend>) {
        drop(self.snapshots);
        self.task.await.expect("loop task")
    }
}

#[tokio::test(start_paused = true)]
async fn idle_on_a_checkpoint_wakes_once_a_minute() {
    let j = nameservers_waiting();
    let u = ui();
    // The clocks on screen are minute clocks: the next change is within a minute.
    let mut probe = u.clone();
    probe.now = now();
    let tick = probe.next_tick(&j).expect("a wait clock is on screen");
    assert!(tick <= Duration::from_secs(61), "{tick:?}");
    let h = start(j, u);
    tokio::time::sleep(Duration::from_secs(601)).await;
    let draws = h.draws();
    let (stats, terminal) = h.finish().await;
    // One first frame and one per minute: nothing in between.
    assert!(
        (11..=12).contains(&draws),
        "draws over 10 idle minutes: {draws}"
    );
    assert!(stats.wakeups <= 12, "wakeups: {}", stats.wakeups);
    let screen = screen(&terminal);
    assert!(screen.contains("22m"), "the wait clock moved on: {screen}");
}

#[tokio::test(start_paused = true)]
async fn nothing_on_screen_moves_so_nothing_wakes() {
    let j = all_done();
    let u = ui();
    let mut probe = u.clone();
    probe.now = now();
    assert_eq!(probe.next_tick(&j), None, "no clock on the done screen");
    let h = start(j.clone(), u);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(h.draws(), 1);
    // Identical snapshots (a poll that found nothing new) do not redraw either.
    for _ in 0..50 {
        h.snapshots.send(j.clone()).expect("send");
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(h.draws(), 1);
    let (stats, _) = h.finish().await;
    assert_eq!(stats.draws, 1);
}

#[tokio::test(start_paused = true)]
async fn running_terraform_ticks_every_second() {
    let h = start(applying(6), ui());
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    let draws = h.draws();
    let (_, terminal) = h.finish().await;
    assert!(
        (11..=12).contains(&draws),
        "draws over 10 s of apply: {draws}"
    );
    // The running rows' own timers moved on between terraform's reports.
    assert!(
        screen(&terminal).contains("4m20s/~15m"),
        "{}",
        screen(&terminal)
    );
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_keys_is_one_batch_and_one_frame() {
    let mut h = start(nameservers_waiting(), ui());
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(h.draws(), 1);
    for _ in 0..30 {
        h.keys.send(key(KeyCode::Char('.'))).expect("key");
    }
    h.keys.send(key(KeyCode::Char('n'))).expect("key");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(h.draws(), 2, "one frame for the whole burst");
    assert_eq!(
        h.events.recv().await,
        Some(Event::CheckNow(StepId::Nameservers))
    );
    let (stats, _) = h.finish().await;
    assert_eq!(stats.draws, 2);
}

#[tokio::test(start_paused = true)]
async fn a_flip_elsewhere_shows_without_a_key() {
    let mut j = nameservers_waiting();
    let mut u = ui();
    u.selected = Some(StepId::SesProduction);
    let h = start(j.clone(), u);
    tokio::time::sleep(Duration::from_millis(10)).await;
    let st = j.steps.get_mut(&StepId::Nameservers).expect("step");
    st.status = Status::Done;
    h.snapshots.send(j).expect("send");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(h.draws(), 2);
    let (_, terminal) = h.finish().await;
    let rows = rows(&terminal);
    let row = rows
        .iter()
        .find(|r| r.contains("Nameservers at"))
        .expect("row");
    assert!(row.contains("new"), "{row}");
}

#[tokio::test(start_paused = true)]
async fn sigterm_quits_cleanly() {
    let mut h = start(nameservers_waiting(), ui());
    h.control
        .send(Control::Terminate("SIGTERM"))
        .expect("control");
    assert_eq!(h.events.recv().await, Some(Event::Quit));
    let (_, terminal) = h.finish().await;
    assert!(screen(&terminal).contains("Quitting"));
}

/// The loop and the real runtime over a fake world, driven by keys from the first screen to
/// done, in the sandbox: the four nameservers are on screen at the checkpoint, and after the
/// sandbox plays the registrar the verdict flips without another key.
#[tokio::test(start_paused = true)]
async fn keys_drive_the_sandbox_journey_to_done() {
    let world = FakeWorld::new();
    let handlers = world.handlers(true);
    let (snap_tx, snap_rx) = watch::channel(Journey::new(Mode::Interactive));
    let mut watch_rx = snap_tx.subscribe();
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let first = Event::Resume {
        records: vec![],
        site_answered: false,
        state_migrated: false,
        profile: Some("sandbox".into()),
        sandbox: true,
    };
    let runtime = tokio::spawn(siteup::runtime::run(
        Journey::new(Mode::Interactive),
        first,
        handlers,
        None,
        Some(snap_tx),
        in_rx,
    ));
    let (keys_tx, keys_rx) = mpsc::unbounded_channel();
    let (_ctl_tx, ctl_rx) = mpsc::unbounded_channel();
    let screens: Arc<Mutex<Vec<String>>> = Arc::default();
    let ui_task = {
        let screens = screens.clone();
        tokio::spawn(async move {
            let mut o = opts(true, true);
            o.site = None;
            let mut ui = UiState::new(&o, now());
            let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
            let mut suspend = |_: &mut Terminal<TestBackend>| Ok(());
            let stats = run_loop(
                &mut terminal,
                Keys(keys_rx),
                snap_rx,
                in_tx,
                &mut ui,
                ctl_rx,
                LoopEnv {
                    clock: Clock::Wall,
                    copy: Arc::new(|_: &str| "copied (test)".to_string()),
                    suspend: &mut suspend,
                    on_draw: None,
                },
            )
            .await
            .expect("loop");
            screens.lock().expect("lock").push(screen(&terminal));
            stats
        })
    };
    let send = |c: KeyCode| keys_tx.send(key(c)).expect("key");
    // Waits until the journey satisfies `f`.
    async fn until(rx: &mut watch::Receiver<Journey>, f: impl Fn(&Journey) -> bool) -> Journey {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let j = rx.borrow_and_update().clone();
            if f(&j) {
                return j;
            }
            tokio::select! {
                r = rx.changed() => r.expect("runtime alive"),
                _ = tokio::time::sleep_until(deadline) => panic!("timed out; journey: {:?}", j.steps),
            }
        }
    }
    until(&mut watch_rx, |j| {
        j.status(StepId::Site) == Status::WaitingOnYou
    })
    .await;
    for c in "example.com".chars() {
        send(KeyCode::Char(c));
    }
    keys_tx
        .send(Ok(TermEvent::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::CONTROL,
        ))))
        .expect("key");
    let phase = siteup::wizard::Phase::Foundation;
    until(&mut watch_rx, |j| {
        j.facts.pending_plan.as_ref().map(|p| p.0) == Some(phase)
    })
    .await;
    send(KeyCode::Enter); // the default is No...
    until(&mut watch_rx, |j| j.facts.pending_plan.is_none()).await;
    assert_eq!(world.state.lock().expect("lock").applies.len(), 0);
    send(KeyCode::Char('r')); // ...so plan again, and apply with y.
    until(&mut watch_rx, |j| {
        j.facts.pending_plan.as_ref().map(|p| p.0) == Some(phase)
    })
    .await;
    send(KeyCode::Char('y'));
    until(&mut watch_rx, |j| {
        j.status(StepId::Nameservers) == Status::WaitingOnYou
    })
    .await;
    send(KeyCode::Esc);
    tokio::time::sleep(Duration::from_millis(50)).await;
    send(KeyCode::Char('p'));
    until(&mut watch_rx, |j| j.is_done(StepId::Nameservers)).await;
    until(&mut watch_rx, |j| {
        j.facts.pending_plan.as_ref().map(|p| p.0) == Some(siteup::wizard::Phase::Full)
    })
    .await;
    send(KeyCode::Char('y'));
    until(&mut watch_rx, |j| j.is_done(StepId::Stack)).await;
    for step in [StepId::Inbox, StepId::Alerts, StepId::SesProduction] {
        // Open the checkpoint's pane and let the sandbox play it.
        let j = watch_rx.borrow().clone();
        if !j.is_done(step) {
            send(KeyCode::Esc);
            while {
                let j = watch_rx.borrow().clone();
                !j.is_done(step) && j.current_step() != step
            } {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            send(KeyCode::Char('p'));
            until(&mut watch_rx, |j| j.is_done(step)).await;
        }
    }
    let j = until(&mut watch_rx, siteup::wizard::Journey::all_done).await;
    assert!(j.all_done());
    send(KeyCode::Char('q'));
    let (final_journey, stop) = runtime.await.expect("runtime");
    let stats = ui_task.await.expect("ui");
    assert_eq!(
        siteup::ui::final_stop(&final_journey, stop),
        siteup::wizard::Stop::Done
    );
    assert!(stats.draws > 5);
    let w = world.state.lock().expect("lock");
    assert_eq!(w.saved_site.as_deref(), Some("example.com"));
    assert_eq!(
        w.applies.len(),
        2,
        "the foundation (with the state bucket), then the stack"
    );
    assert!(w.played.contains(&StepId::Nameservers));
    let last = screens.lock().expect("lock").pop().unwrap_or_default();
    assert!(last.contains("Your stack is up"), "{last}");
}
