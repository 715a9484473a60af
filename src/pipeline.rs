//! The pipeline: sources → lines → envelope + parse → tracker → a `Sink`.
//!
//! One pass over the bytes. Consumers implement `Sink`, as ripgrep's printers do: they see each
//! line (parsed) and each finished message, and say whether to go on.

use crate::correlate::{LineContext, Message, Tracker, TrackerConfig, TrackerCounts};
use crate::input::{InputError, Source};
use crate::parse::{LineParser, Parsed};
use crate::text::owned;
use crate::time::{Clock, Stamp, TimeSettings};
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::rc::Rc;

/// One line as read and parsed, for consumers that look at lines.
pub struct LineView<'a> {
    pub source: &'a str,
    pub line_number: u64,
    pub raw: &'a [u8],
    pub parsed: &'a Parsed<'a>,
    /// `None` when the line has no envelope or an impossible date.
    pub time: Option<Stamp>,
}

/// A consumer of the pipeline. `ControlFlow::Break` stops reading.
pub trait Sink {
    fn line(&mut self, _line: &LineView<'_>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn message(&mut self, message: Message) -> ControlFlow<()>;
}

/// What was read, and how much of it was understood.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct LineStats {
    pub lines: u64,
    pub postfix_lines: u64,
    pub understood: u64,
    pub not_understood: u64,
    /// Postfix lines not understood, by daemon.
    pub not_understood_by_daemon: BTreeMap<String, u64>,
    /// Lines of other programs (amavis, dovecot …), by program: counted and skipped.
    pub other_programs: BTreeMap<String, u64>,
    pub other_program_lines: u64,
    /// Lines without a syslog envelope (garbage, cut lines, foreign formats).
    pub malformed: u64,
    /// Postfix lines whose date is impossible (Feb 30): counted as not understood.
    pub bad_timestamps: u64,
    /// Understood lines by kind of event.
    pub events: BTreeMap<&'static str, u64>,
}

pub struct Options {
    pub time: TimeSettings,
    pub syslog_names: Vec<String>,
    pub tracker: TrackerConfig,
}

pub struct Outcome {
    pub stats: LineStats,
    pub counts: TrackerCounts,
    pub errors: Vec<InputError>,
    /// The sink asked to stop before the input ended.
    pub stopped: bool,
    /// Names of the sources read.
    pub sources: Vec<String>,
}

/// Reads every source in order through one tracker into `sink`.
pub fn run(sources: &[Source], options: &Options, sink: &mut dyn Sink) -> Outcome {
    let parser = LineParser::new(&options.syslog_names);
    let mut tracker = Tracker::new(options.tracker.clone());
    let mut stats = LineStats::default();
    let mut errors = Vec::new();
    let mut stopped = false;
    let now = jiff::Timestamp::now();
    'sources: for source in sources {
        let mut reader = match source.open() {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let name: Rc<str> = Rc::from(source.name.as_str());
        let mut clock = Clock::new(&options.time, source.mtime.unwrap_or(now));
        let mut line_number = 0u64;
        loop {
            let line = match reader.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(e) => {
                    errors.push(e);
                    break;
                }
            };
            line_number += 1;
            let flow = one_line(
                line,
                line_number,
                &name,
                &parser,
                &mut clock,
                &mut tracker,
                &mut stats,
                sink,
            );
            if flow.is_break() || drain(&mut tracker, sink).is_break() {
                stopped = true;
                break 'sources;
            }
        }
    }
    if !stopped {
        tracker.finish();
        stopped = drain(&mut tracker, sink).is_break();
    }
    Outcome {
        stats,
        counts: tracker.counts().clone(),
        errors,
        stopped,
        sources: sources.iter().map(|s| s.name.clone()).collect(),
    }
}

/// One line through the parser and the tracker, then to the sink (also the live driver's step).
#[allow(clippy::too_many_arguments)]
pub(crate) fn one_line(
    line: &[u8],
    line_number: u64,
    source: &Rc<str>,
    parser: &LineParser,
    clock: &mut Clock,
    tracker: &mut Tracker,
    stats: &mut LineStats,
    sink: &mut dyn Sink,
) -> ControlFlow<()> {
    stats.lines += 1;
    let parsed = parser.parse(line);
    let mut time = None;
    match &parsed {
        Parsed::Malformed => stats.malformed += 1,
        Parsed::Foreign { envelope } => {
            stats.other_program_lines += 1;
            count(&mut stats.other_programs, envelope.program.syslog_name);
        }
        Parsed::Postfix { envelope, event } => {
            stats.postfix_lines += 1;
            time = clock.resolve(envelope.stamp);
            match (event, time) {
                (Some(event), Some(t)) => {
                    stats.understood += 1;
                    *stats.events.entry(event.kind()).or_default() += 1;
                    let ctx = LineContext {
                        time: t,
                        envelope,
                        source,
                        line_number,
                        raw: line,
                    };
                    tracker.observe(&ctx, event);
                }
                (_, t) => {
                    if t.is_none() {
                        stats.bad_timestamps += 1;
                    }
                    stats.not_understood += 1;
                    count(&mut stats.not_understood_by_daemon, envelope.program.daemon);
                }
            }
        }
    }
    sink.line(&LineView {
        source,
        line_number,
        raw: line,
        parsed: &parsed,
        time,
    })
}

fn count(map: &mut BTreeMap<String, u64>, key: &[u8]) {
    // Most lines hit an existing key: look up without allocating.
    match std::str::from_utf8(key).ok().and_then(|k| map.get_mut(k)) {
        Some(n) => *n += 1,
        None => *map.entry(owned(key)).or_default() += 1,
    }
}

fn drain(tracker: &mut Tracker, sink: &mut dyn Sink) -> ControlFlow<()> {
    while let Some(m) = tracker.next_ready() {
        sink.message(m)?;
    }
    ControlFlow::Continue(())
}
