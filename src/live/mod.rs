//! The live driver: `pipeline::run` for an input that never ends.
//!
//! Lines from a [`Follower`] go through the same parser and the same `Tracker` into a sink, one
//! at a time, until the stop flag is raised (SIGTERM, SIGINT) or a pipe closes. When the input
//! is quiet, log time is moved on by the wall clock, so that a finished message is handed on a
//! few seconds after its last line rather than when the next line comes. Messages with no line
//! for `max_age` are dropped from memory and counted. With a state file, the position and the
//! messages in flight are saved every few seconds and at the end (see [`state`]).

pub mod state;

use crate::correlate::{Message, Tracker, TrackerCounts};
use crate::input::follow::{Follower, Next};
use crate::parse::LineParser;
use crate::pipeline::{self, LineStats, LineView, Options, Sink};
use crate::time::{Clock, Stamp};
use std::io;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long (log time) a finished message waits for late lines when following: lines of other
/// processes about it come within a second or two.
pub const LINGER_SECS: i64 = 5;

/// How often messages idle longer than `max_age` are looked for: every minute of wall
/// clock, and every minute of log time (a replay goes through days in seconds).
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// (Or every `max_age` of log time, when that is shorter.)
const PRUNE_EVERY_LOG_SECS: i64 = 60;
/// While lines keep coming, the state is saved this often.
const SAVE_BUSY: Duration = Duration::from_secs(5);
/// When the input is caught up, the state is saved this soon after the last change (the
/// sink is told the status at every poll).
const SAVE_IDLE: Duration = Duration::from_millis(500);

pub struct LiveOptions {
    pub pipeline: Options,
    /// Messages with no line for this long (log time) are dropped.
    pub max_age_secs: i64,
    /// How often a quiet file is looked at again.
    pub poll: Duration,
    pub state: Option<PathBuf>,
}

/// How the follower is doing, told to the sink every so often.
pub struct LiveStatus<'a> {
    pub stats: &'a LineStats,
    pub counts: &'a TrackerCounts,
    pub in_flight: usize,
    /// The log time of the newest line read.
    pub newest_line: Option<Stamp>,
    /// When (wall clock) the last line was read.
    pub last_read: Option<jiff::Timestamp>,
}

/// A consumer of the live pipeline.
pub trait LiveSink: Sink {
    /// Called when the input is caught up and every few seconds while it is not. Output must be
    /// flushed here: the state is saved right after, and counts what was handed on as done.
    fn status(&mut self, _status: &LiveStatus<'_>) -> io::Result<()> {
        Ok(())
    }
}

/// Why following stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The stop flag was raised.
    Signal,
    /// The pipe was closed.
    InputEnded,
    /// The sink could not go on (its output went away).
    Sink,
}

pub struct LiveOutcome {
    pub stop: Stop,
    pub stats: LineStats,
    pub counts: TrackerCounts,
    /// Messages in flight when following stopped.
    pub in_flight: usize,
    /// Saving the state failed (the last error).
    pub state_error: Option<String>,
}

/// Remembers the newest line time on its way to the real sink.
struct Timed<'a> {
    inner: &'a mut dyn LiveSink,
    newest: Option<Stamp>,
}

impl Sink for Timed<'_> {
    fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
        if let Some(t) = line.time {
            if self.newest.is_none_or(|n| t > n) {
                self.newest = Some(t);
            }
        }
        self.inner.line(line)
    }

    fn message(&mut self, message: Message) -> ControlFlow<()> {
        self.inner.message(message)
    }
}

struct Driver<'a> {
    options: &'a LiveOptions,
    tracker: Tracker,
    stats: LineStats,
    last_read: Option<jiff::Timestamp>,
    state_error: Option<String>,
}

impl Driver<'_> {
    /// Hands on the finished messages; `Break` when the sink stops, else how many.
    fn drain(&mut self, sink: &mut dyn Sink) -> ControlFlow<(), usize> {
        let mut n = 0;
        while let Some(m) = self.tracker.next_ready() {
            if sink.message(m).is_break() {
                return ControlFlow::Break(());
            }
            n += 1;
        }
        ControlFlow::Continue(n)
    }

    /// Tells the sink (which flushes), then saves the state if asked.
    fn checkpoint(
        &mut self,
        follower: &Follower,
        sink: &mut Timed<'_>,
        save: bool,
    ) -> ControlFlow<()> {
        let status = LiveStatus {
            stats: &self.stats,
            counts: self.tracker.counts(),
            in_flight: self.tracker.in_flight(),
            newest_line: sink.newest,
            last_read: self.last_read,
        };
        if sink.inner.status(&status).is_err() {
            return ControlFlow::Break(());
        }
        if let (Some(path), true) = (&self.options.state, save) {
            let saved = state::save(
                path,
                follower.name(),
                follower.position().as_ref(),
                self.tracker.in_flight_messages(),
            );
            match saved {
                Ok(()) => self.state_error = None,
                Err(e) => {
                    let text = format!("{}: {}", path.display(), crate::input::io_message(&e));
                    if self.state_error.as_deref() != Some(text.as_str()) {
                        crate::cli::warn(&format!("saving the state: {text}"));
                    }
                    self.state_error = Some(text);
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// Follows until stopped. `restored` are the messages in flight saved by an earlier run.
pub fn run(
    follower: &mut Follower,
    options: &LiveOptions,
    restored: Vec<Message>,
    sink: &mut dyn LiveSink,
    stop: &AtomicBool,
) -> LiveOutcome {
    let parser = LineParser::new(&options.pipeline.syslog_names);
    let mut driver = Driver {
        options,
        tracker: Tracker::new(options.pipeline.tracker.clone()),
        stats: LineStats::default(),
        last_read: None,
        state_error: None,
    };
    // Log time resumes where the saved messages left it, so that those whose life ended wait
    // out their linger even if no new line comes.
    let resumed = restored.iter().map(|m| m.last_seen).max();
    for m in restored {
        driver.tracker.restore(m);
    }
    let name: Arc<str> = Arc::from(follower.name());
    let mut clock = Clock::new(&options.pipeline.time, jiff::Timestamp::now());
    let mut sink = Timed {
        inner: sink,
        newest: resumed,
    };
    let mut line_number = 0u64;
    let mut last_save = Instant::now();
    let mut last_prune = Instant::now();
    let mut next_prune_log = i64::MIN;
    let mut changed = false;
    let mut idle_since: Option<Instant> = None;
    let stopped = loop {
        if stop.load(Ordering::Relaxed) {
            break Stop::Signal;
        }
        match follower.next_line(options.poll) {
            Next::Line(line) => {
                line_number += 1;
                let flow = pipeline::one_line(
                    line,
                    line_number,
                    &name,
                    &parser,
                    &mut clock,
                    &mut driver.tracker,
                    &mut driver.stats,
                    &mut sink,
                );
                driver.last_read = Some(jiff::Timestamp::now());
                changed = true;
                idle_since = None;
                if flow.is_break() || driver.drain(&mut sink).is_break() {
                    break Stop::Sink;
                }
                if let Some(newest) = sink.newest.filter(|n| n.secs >= next_prune_log) {
                    if next_prune_log != i64::MIN {
                        driver.tracker.drop_idle(options.max_age_secs);
                    }
                    let every = PRUNE_EVERY_LOG_SECS.min(options.max_age_secs.max(1));
                    next_prune_log = newest.secs.saturating_add(every);
                }
                if last_save.elapsed() >= SAVE_BUSY {
                    if driver.checkpoint(follower, &mut sink, true).is_break() {
                        break Stop::Sink;
                    }
                    last_save = Instant::now();
                    changed = false;
                }
            }
            Next::Idle => {
                let since = *idle_since.get_or_insert_with(Instant::now);
                let quiet = since.elapsed().as_secs() as i64;
                if let (Some(newest), true) = (sink.newest, quiet > 0) {
                    driver.tracker.advance_to(newest.secs.saturating_add(quiet));
                }
                match driver.drain(&mut sink) {
                    ControlFlow::Break(()) => break Stop::Sink,
                    ControlFlow::Continue(n) => changed |= n > 0,
                }
                for note in follower.take_notes() {
                    crate::cli::warn(&note.to_string());
                }
                if last_prune.elapsed() >= PRUNE_EVERY {
                    driver.tracker.drop_idle(options.max_age_secs);
                    last_prune = Instant::now();
                }
                let save = changed && last_save.elapsed() >= SAVE_IDLE;
                if driver.checkpoint(follower, &mut sink, save).is_break() {
                    break Stop::Sink;
                }
                if save {
                    last_save = Instant::now();
                    changed = false;
                }
                if !follower.waits() {
                    std::thread::sleep(options.poll);
                }
            }
            Next::Ended => break Stop::InputEnded,
        }
    };
    for note in follower.take_notes() {
        crate::cli::warn(&note.to_string());
    }
    if stopped != Stop::Sink {
        if options.state.is_none() {
            // Nothing will take up the messages in flight: hand on those whose fate is known.
            driver.tracker.advance_to(i64::MAX);
            let _ = driver.drain(&mut sink);
        }
        let _ = driver.checkpoint(follower, &mut sink, true);
    }
    LiveOutcome {
        stop: stopped,
        stats: driver.stats,
        counts: driver.tracker.counts().clone(),
        in_flight: driver.tracker.in_flight(),
        state_error: driver.state_error,
    }
}
