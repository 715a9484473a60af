//! The pipeline: sources → lines → envelope + parse → tracker → a `Sink`.
//!
//! One pass over the bytes. Consumers implement `Sink`, as ripgrep's printers do: they see each
//! line (parsed) and each finished message, and say whether to go on.
//!
//! Two halves: parsing (read, split, envelope, event, timestamp) needs nothing but the line
//! and its source's clock; correlating needs every line in order. With two threads or more the
//! parsing half runs ahead on its own thread, handing over chunks of parsed lines that borrow
//! the chunk's bytes; with one, both halves run in turn on the caller's thread. A sink that
//! needs nothing of the tracker's (`Sink::off_thread`) can run on a third thread of its own,
//! from `SINK_THREAD_FROM` threads on: it is handed each chunk with the messages finished
//! among its lines, and sees the same calls in the same order. A sink whose work on the lines
//! needs only the lines (`Sink::halves`) has that half run on the parsing thread, from
//! `LINE_HALF_FROM` threads on, and its rest on the correlating thread. `run` decides what
//! runs where.

use crate::correlate::{LineContext, Message, Tracker, TrackerConfig, TrackerCounts};
use crate::envelope::StampCache;
use crate::event::Event;
use crate::input::{InputError, LineBlock, Source};
use crate::parse::{LineParser, Parsed};
use crate::prefilter::{Mark, Selection};
use crate::text::owned;
use crate::time::{Clock, Stamp, TimeSettings};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::ops::{ControlFlow, Range};
use std::sync::{mpsc, Arc};

/// One line as read and parsed, for consumers that look at lines.
pub struct LineView<'a> {
    pub source: &'a str,
    pub line_number: u64,
    pub raw: &'a [u8],
    pub parsed: &'a Parsed<'a>,
    /// `None` when the line has no envelope or an impossible date.
    pub time: Option<Stamp>,
}

/// How far the log had come when a message was handed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogTime {
    /// The tracker's log time (`Tracker::now`).
    pub secs: i64,
    /// The latest stamp of the lines the tracker saw (understood Postfix lines with a time).
    pub latest: Option<Stamp>,
}

impl LogTime {
    /// For a message handed on outside the pipeline's run.
    pub const UNKNOWN: LogTime = LogTime {
        secs: i64::MIN,
        latest: None,
    };
}

/// A consumer of the pipeline. `ControlFlow::Break` stops reading.
pub trait Sink {
    fn line(&mut self, _line: &LineView<'_>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn message(&mut self, message: Message) -> ControlFlow<()>;
    /// A finished message, with the log time when it was handed on.
    fn message_at(&mut self, message: Message, _now: LogTime) -> ControlFlow<()> {
        self.message(message)
    }
    /// Called after each line's finished messages were handed on: a sink that holds messages
    /// back (to print them in order) can see what is still in flight.
    fn caught_up(&mut self, _tracker: &Tracker) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    /// This sink as one that may run on a thread of its own (`ReadOnlySink`).
    fn off_thread(&mut self) -> Option<&mut dyn ReadOnlySink> {
        None
    }
    /// This sink as two disjoint halves: one that reads only the lines, which may run on the
    /// parsing thread, and the rest, which is shown the messages as this sink is and must not
    /// depend on the lines (it may be shown them or not). The sink renders from both after the
    /// run.
    fn halves(&mut self) -> Option<Halves<'_>> {
        None
    }
}

/// A sink split in two (`Sink::halves`).
pub struct Halves<'a> {
    pub lines: &'a mut dyn LineSink,
    pub rest: &'a mut dyn Sink,
}

/// The half of a sink that reads every line in order and nothing of the tracker's: it may run
/// on the parsing thread, ahead of the tracker and of the sink's other half, and cannot stop
/// the run (it may be shown lines past the point where the other half asked to stop).
pub trait LineSink: Send {
    fn line(&mut self, line: &LineView<'_>);
}

/// A sink that only reads the lines and messages it is shown and needs nothing from the
/// tracker: the pipeline may run it on a thread of its own (`SINK_THREAD_FROM`), showing it
/// the same lines and messages in the same order, and drop the messages on the thread that
/// made them.
pub trait ReadOnlySink: Send {
    fn line(&mut self, _line: &LineView<'_>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn message(&mut self, message: &Message) -> ControlFlow<()>;
    /// A finished message, with the log time when it was handed on.
    fn message_at(&mut self, message: &Message, _now: LogTime) -> ControlFlow<()> {
        self.message(message)
    }
    /// As `Sink::halves`.
    fn halves(&mut self) -> Option<Halves<'_>> {
        None
    }
}

impl<S: ReadOnlySink> Sink for S {
    fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
        ReadOnlySink::line(self, line)
    }
    fn message(&mut self, message: Message) -> ControlFlow<()> {
        ReadOnlySink::message(self, &message)
    }
    fn message_at(&mut self, message: Message, now: LogTime) -> ControlFlow<()> {
        ReadOnlySink::message_at(self, &message, now)
    }
    fn off_thread(&mut self) -> Option<&mut dyn ReadOnlySink> {
        Some(self)
    }
    fn halves(&mut self) -> Option<Halves<'_>> {
        ReadOnlySink::halves(self)
    }
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
    pub events: EventCounts,
}

/// Understood lines by kind of event, one counter per kind (indexed by `Event::kind_index`):
/// looking the kind up by name for every line cost more than all the rest of the counting.
/// Read and serialized as a map from kind to count, sorted by kind, without the zeros.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventCounts([u64; Event::KINDS.len()]);

impl EventCounts {
    pub fn add(&mut self, event: &Event<'_>) {
        if let Some(n) = self.0.get_mut(event.kind_index()) {
            *n += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&n| n == 0)
    }

    /// (kind, count) of every kind seen, sorted by kind.
    pub fn iter(&self) -> std::vec::IntoIter<(&'static str, u64)> {
        let mut seen: Vec<(&'static str, u64)> = Event::KINDS
            .iter()
            .zip(self.0)
            .filter(|&(_, n)| n > 0)
            .map(|(&k, n)| (k, n))
            .collect();
        seen.sort_unstable();
        seen.into_iter()
    }
}

impl IntoIterator for &EventCounts {
    type Item = (&'static str, u64);
    type IntoIter = std::vec::IntoIter<(&'static str, u64)>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for EventCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

pub struct Options {
    pub time: TimeSettings,
    pub syslog_names: Vec<String>,
    pub tracker: TrackerConfig,
    /// 1: everything on the caller's thread; 2 or more: parsing on a thread of its own;
    /// `SINK_THREAD_FROM` or more: the sink too, when it can (`Sink::off_thread`).
    pub threads: usize,
}

pub struct Outcome {
    pub stats: LineStats,
    pub counts: TrackerCounts,
    pub errors: Vec<InputError>,
    /// The sink asked to stop before the input ended.
    pub stopped: bool,
    /// Names of the sources read.
    pub sources: Vec<String>,
    /// Only the lines a prefilter selected were read: `stats` counts those.
    pub prefiltered: bool,
}

/// One line after parsing, before correlating.
pub struct ParsedLine<'a> {
    pub raw: &'a [u8],
    pub line_number: u64,
    pub parsed: Parsed<'a>,
    /// `None` when the line has no envelope or an impossible date.
    pub time: Option<Stamp>,
}

/// The parsing half for one source: the parser and the source's clock (the year of syslog
/// stamps depends on the lines before).
struct SourceParser<'p> {
    parser: &'p LineParser,
    clock: Clock,
    /// The stamp of the source's line before, which most lines share.
    stamps: StampCache,
}

impl<'p> SourceParser<'p> {
    fn new(parser: &'p LineParser, clock: Clock) -> SourceParser<'p> {
        SourceParser {
            parser,
            clock,
            stamps: StampCache::default(),
        }
    }

    /// Parses `line.raw` into `line`, in place.
    fn parse_into(&mut self, line: &mut ParsedLine<'_>) {
        parse_into(self.parser, &mut self.clock, &mut self.stamps, line);
    }
}

/// The parsing half of one line: envelope, event, and the timestamp on the source's clock.
pub(crate) fn parse_line<'a>(
    parser: &LineParser,
    clock: &mut Clock,
    stamps: &mut StampCache,
    raw: &'a [u8],
    line_number: u64,
) -> ParsedLine<'a> {
    let mut line = ParsedLine::unparsed(raw, line_number);
    parse_into(parser, clock, stamps, &mut line);
    line
}

/// `parse_line` into a line already in place (in a chunk's list): the 400-byte parse is
/// written where it stays instead of being moved there, twice, as a returned value was.
fn parse_into(
    parser: &LineParser,
    clock: &mut Clock,
    stamps: &mut StampCache,
    line: &mut ParsedLine<'_>,
) {
    parser.parse_into(line.raw, stamps, &mut line.parsed);
    line.time = match &line.parsed {
        Parsed::Postfix { envelope, .. } => clock.resolve_keyed(envelope.stamp, stamps.key()),
        _ => None,
    };
}

impl<'a> ParsedLine<'a> {
    /// The line before parsing.
    fn unparsed(raw: &'a [u8], line_number: u64) -> ParsedLine<'a> {
        ParsedLine {
            raw,
            line_number,
            parsed: Parsed::Malformed,
            time: None,
        }
    }
}

/// Counts one parsed line and hands its event to the tracker, moving `latest` on to the
/// line's time when the tracker saw it (`LogTime::latest`).
fn account(
    stats: &mut LineStats,
    tracker: &mut Tracker,
    latest: &mut Option<Stamp>,
    source: &Arc<str>,
    line: &ParsedLine<'_>,
) {
    stats.lines += 1;
    match &line.parsed {
        Parsed::Malformed => stats.malformed += 1,
        Parsed::Foreign { envelope } => {
            stats.other_program_lines += 1;
            count(&mut stats.other_programs, envelope.program.syslog_name);
        }
        Parsed::Postfix { envelope, event } => {
            stats.postfix_lines += 1;
            match (event, line.time) {
                (Some(event), Some(time)) => {
                    stats.understood += 1;
                    stats.events.add(event);
                    let ctx = LineContext {
                        time,
                        envelope,
                        source,
                        line_number: line.line_number,
                        raw: line.raw,
                    };
                    tracker.observe(&ctx, event);
                    if latest.is_none_or(|l| time > l) {
                        *latest = Some(time);
                    }
                }
                (_, time) => {
                    if time.is_none() {
                        stats.bad_timestamps += 1;
                    }
                    stats.not_understood += 1;
                    count(&mut stats.not_understood_by_daemon, envelope.program.daemon);
                }
            }
        }
    }
}

fn view<'a>(source: &'a str, line: &'a ParsedLine<'a>) -> LineView<'a> {
    LineView {
        source,
        line_number: line.line_number,
        raw: line.raw,
        parsed: &line.parsed,
        time: line.time,
    }
}

/// One line through the parser and the tracker, then to the sink: the live driver's step
/// (it drains finished messages itself).
#[allow(clippy::too_many_arguments)]
pub(crate) fn one_line(
    raw: &[u8],
    line_number: u64,
    source: &Arc<str>,
    parser: &LineParser,
    clock: &mut Clock,
    tracker: &mut Tracker,
    stats: &mut LineStats,
    sink: &mut dyn Sink,
) -> ControlFlow<()> {
    // Lines come one at a time from files that may rotate under us: no stamp is carried over.
    let line = parse_line(parser, clock, &mut StampCache::default(), raw, line_number);
    account(stats, tracker, &mut None, source, &line);
    sink.line(&view(source, &line))
}

/// The correlating half: counts every line, feeds the tracker, hands lines and finished
/// messages to the sink.
struct Correlator<'s, S: ?Sized> {
    tracker: Tracker,
    stats: LineStats,
    /// `LogTime::latest`.
    latest: Option<Stamp>,
    sink: &'s mut S,
    /// Whether `sink` is shown the lines: not when it is the rest of a sink whose line half
    /// sees them (a call per line for nothing).
    shows_lines: bool,
}

impl<'s, S: HandOn + ?Sized> Correlator<'s, S> {
    fn new(options: &Options, sink: &'s mut S) -> Correlator<'s, S> {
        Correlator {
            tracker: Tracker::new(options.tracker.clone()),
            stats: LineStats::default(),
            latest: None,
            sink,
            shows_lines: true,
        }
    }

    fn line(&mut self, source: &Arc<str>, line: &ParsedLine<'_>) -> ControlFlow<()> {
        account(
            &mut self.stats,
            &mut self.tracker,
            &mut self.latest,
            source,
            line,
        );
        if self.shows_lines {
            self.sink.line(&view(source, line))?;
        }
        self.drain()
    }

    fn drain(&mut self) -> ControlFlow<()> {
        if self.tracker.has_ready() {
            let now = LogTime {
                secs: self.tracker.now(),
                latest: self.latest,
            };
            match self.sink.off_thread() {
                // A sink that only reads them lends the messages: the tracker renews them as
                // later messages instead of freeing them and allocating new ones.
                Some(sink) => self.tracker.lend_ready(|m| sink.message_at(m, now))?,
                None => {
                    while let Some(m) = self.tracker.next_ready_boxed() {
                        self.sink.take(m, now)?;
                    }
                }
            }
        }
        self.sink.give_back(&mut self.tracker);
        self.sink.caught_up(&self.tracker)
    }

    fn finish(mut self, errors: Vec<InputError>, stopped: bool, sources: &[Source]) -> Outcome {
        let mut stopped = stopped;
        if !stopped {
            self.tracker.finish();
            stopped = self.drain().is_break() || self.sink.hand_on(None).is_break();
        }
        Outcome {
            stats: self.stats,
            counts: self.tracker.counts().clone(),
            errors,
            stopped,
            sources: sources.iter().map(|s| s.name.clone()).collect(),
            prefiltered: false,
        }
    }
}

/// From this many threads on, a sink that can (`Sink::off_thread`) runs on a thread of its own.
/// Not from 2: on two busy cores, three threads sharing them cost more than they gained —
/// `report` on the 1M-line log took about 20 % more CPU time and 25 % more wall time than
/// with the sink on the correlating thread, and still 10 % more CPU time on one core alone:
/// the sink reads each chunk's lines and each message a second time, out of cache.
pub const SINK_THREAD_FROM: usize = 3;

/// From this many threads on, a sink's line half (`Sink::halves`) runs on the parsing thread.
/// `report` over 100k lines with two threads: the correlating thread 210 M instructions → 179 M,
/// the parsing thread 158 M → 186 M (the report's line half is 26 M there, its hand-over 2 M).
/// Raise it when parsing is the slower half.
///
/// The rest of such a sink stays on the correlating thread, which finishes the messages: it
/// reads them while they are in its cache. From session 5 to 6 it ran on the parsing thread,
/// fed the finished messages through a `Relay` (the correlating thread was then the busier);
/// once parsing got cheaper (`report`, 100k lines: parsing thread 152 M instructions, the
/// correlating one 98 M), that thread was the busier, and the rest back here took `report` on
/// the 1M-line log from 2.85 × `grep -c status=` to 2.69 × (medians of 31 runs, taken in
/// turn, three times), its CPU time 4 % lower.
pub const LINE_HALF_FROM: usize = 2;

/// Reads every source in order through one tracker into `sink`. What runs where is decided
/// here: with one thread, everything on the caller's; from two, parsing on a thread of its
/// own, with the sink's line half from `LINE_HALF_FROM`; from `SINK_THREAD_FROM`, the rest of
/// the sink on a thread of its own, when it can (`Sink::off_thread`); the tracker, and the
/// rest of the sink below `SINK_THREAD_FROM`, on the caller's.
pub fn run(sources: &[Source], options: &Options, sink: &mut dyn Sink) -> Outcome {
    if options.threads <= 1 {
        return run_inline(sources, options, Correlator::new(options, sink));
    }
    let split = if options.threads >= LINE_HALF_FROM {
        sink.halves()
    } else {
        None
    };
    let (lines, rest): (Option<&mut dyn LineSink>, &mut dyn Sink) = match split {
        Some(Halves { lines, rest }) => (Some(lines), rest),
        None => (None, sink),
    };
    if options.threads >= SINK_THREAD_FROM {
        if let Some(rest) = rest.off_thread() {
            return run_with_sink_thread(sources, options, lines, rest);
        }
    }
    let mut correlator = Correlator::new(options, rest);
    correlator.shows_lines = lines.is_none();
    run_threaded(sources, options, lines, correlator)
}

/// Reads only the lines a prefilter selected (`crate::prefilter`), in their order, with the
/// clock and the tracker's log time moved on where the lines left out move them: the tracker
/// sees what it would see among all the lines.
pub fn run_selected(
    sources: &[Source],
    options: &Options,
    selection: Selection,
    sink: &mut dyn Sink,
) -> Outcome {
    let mut correlator = Correlator::new(options, sink);
    let parser = LineParser::new(&options.syslog_names);
    let now = jiff::Timestamp::now();
    let mut stopped = false;
    'sources: for (source, marks) in sources.iter().zip(selection.sources) {
        let name: Arc<str> = Arc::from(source.name.as_str());
        let mut clock = Clock::new(&options.time, source.mtime.unwrap_or(now));
        // Compares the stamp's bytes, so it is right across the lines left out too.
        let mut stamps = StampCache::default();
        for mark in marks {
            let flow = match mark {
                Mark::Clock { stamp, .. } => {
                    clock.resolve(stamp);
                    ControlFlow::Continue(())
                }
                Mark::Tick { secs, .. } => {
                    correlator.tracker.advance_to(secs);
                    correlator.drain()
                }
                Mark::Line { number, raw } => {
                    let line = parse_line(&parser, &mut clock, &mut stamps, &raw, number);
                    correlator.line(&name, &line)
                }
            };
            if flow.is_break() {
                stopped = true;
                break 'sources;
            }
        }
    }
    Outcome {
        prefiltered: true,
        ..correlator.finish(Vec::new(), stopped, sources)
    }
}

fn run_inline(
    sources: &[Source],
    options: &Options,
    mut correlator: Correlator<'_, dyn Sink + '_>,
) -> Outcome {
    let parser = LineParser::new(&options.syslog_names);
    let now = jiff::Timestamp::now();
    let mut errors = Vec::new();
    let mut stopped = false;
    'sources: for source in sources {
        let mut reader = match source.open() {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let name: Arc<str> = Arc::from(source.name.as_str());
        let mut half = SourceParser::new(
            &parser,
            Clock::new(&options.time, source.mtime.unwrap_or(now)),
        );
        let mut line_number = 0u64;
        // Read a block at a time, as the parsing thread does, into the same two buffers.
        let mut spare = LineBlock::default();
        loop {
            let block = match reader.next_lines(spare, BLOCK_LINES) {
                Ok(Some(block)) => block,
                Ok(None) => break,
                Err(e) => {
                    errors.push(e);
                    break;
                }
            };
            for raw in block.lines(0..block.len()) {
                line_number += 1;
                let mut line = ParsedLine::unparsed(raw, line_number);
                half.parse_into(&mut line);
                if correlator.line(&name, &line).is_break() {
                    stopped = true;
                    break 'sources;
                }
            }
            spare = block;
        }
    }
    correlator.finish(errors, stopped, sources)
}

/// A run of consecutive lines of one source: lines `lines` of a block read at once, which
/// the block's other chunks share.
struct ChunkBytes {
    source: usize,
    first_line: u64,
    block: Arc<LineBlock>,
    lines: Range<usize>,
}

type ParsedLines<'a> = Vec<ParsedLine<'a>>;

self_cell::self_cell!(
    /// A chunk of lines with their parse, which borrows the chunk's bytes.
    struct ParsedChunk {
        owner: ChunkBytes,
        #[covariant]
        dependent: ParsedLines,
    }
);

enum Handover {
    /// Shared with the sink's thread, when it has one, which replays the lines to the sink.
    Lines(Arc<ParsedChunk>),
    Error(InputError),
}

/// Lines per chunk: large enough to make the hand-over cheap, small enough that a chunk and
/// its parse (about 520 bytes a line) stay in a core's 512 KiB L2 cache while the next thread
/// reads them. 2,048-line chunks (1 MiB) cost the threads together a quarter more CPU time.
const CHUNK_LINES: usize = 512;
/// Chunks in flight between the threads.
const CHUNKS_AHEAD: usize = 4;

/// `lines`: the sink's line half, run on the parsing thread.
fn run_threaded<S: HandOn + ?Sized>(
    sources: &[Source],
    options: &Options,
    lines: Option<&mut dyn LineSink>,
    mut correlator: Correlator<'_, S>,
) -> Outcome {
    let (tx, rx) = mpsc::sync_channel::<Handover>(CHUNKS_AHEAD);
    let parser = LineParser::new(&options.syslog_names);
    let time = options.time.clone();
    let names: Vec<Arc<str>> = sources.iter().map(|s| Arc::from(s.name.as_str())).collect();
    std::thread::scope(|scope| {
        let mut to_correlator = ChunkSender {
            tx,
            lines,
            names: names.clone(),
        };
        let reader = scope.spawn(move || {
            parse_sources(sources, &parser, &time, &mut to_correlator);
        });
        let mut errors = Vec::new();
        let mut stopped = false;
        'chunks: for handover in rx.iter() {
            match handover {
                Handover::Error(e) => errors.push(e),
                Handover::Lines(chunk) => {
                    let Some(name) = names.get(chunk.borrow_owner().source) else {
                        continue;
                    };
                    for line in chunk.borrow_dependent() {
                        if correlator.line(name, line).is_break() {
                            stopped = true;
                            break 'chunks;
                        }
                    }
                    if correlator.sink.hand_on(Some(chunk)).is_break() {
                        stopped = true;
                        break 'chunks;
                    }
                }
            }
        }
        // Dropping the receiver makes the parsing thread's next hand-over fail: it stops.
        drop(rx);
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        correlator.finish(errors, stopped, sources)
    })
}

/// `outcome` once `thread`, which ran part of the sink and says whether it asked to stop, has
/// ended: stopped if either stopped; a panic there is raised again here.
fn joined(outcome: Outcome, thread: std::thread::ScopedJoinHandle<'_, bool>) -> Outcome {
    let sink_stopped = thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    Outcome {
        stopped: outcome.stopped || sink_stopped,
        ..outcome
    }
}

/// The parsing thread's end of the hand-over: each chunk goes to the correlating thread, then
/// its lines to the sink's line half, if it has one, while the correlating thread works.
struct ChunkSender<'a> {
    tx: mpsc::SyncSender<Handover>,
    lines: Option<&'a mut dyn LineSink>,
    names: Vec<Arc<str>>,
}

impl ChunkSender<'_> {
    fn send(&mut self, handover: Handover) -> ControlFlow<()> {
        let chunk = match (&handover, self.lines.is_some()) {
            (Handover::Lines(chunk), true) => Some(Arc::clone(chunk)),
            _ => None,
        };
        if self.tx.send(handover).is_err() {
            return ControlFlow::Break(());
        }
        if let (Some(chunk), Some(sink)) = (chunk, self.lines.as_deref_mut()) {
            let name = self
                .names
                .get(chunk.borrow_owner().source)
                .map_or("", |n| &**n);
            for line in chunk.borrow_dependent() {
                sink.line(&view(name, line));
            }
        }
        ControlFlow::Continue(())
    }
}

/// Most lines read into one block: a block of short lines (a 256 KiB read of empty lines) is
/// handed over in several, its list of lines bounded.
const BLOCK_LINES: usize = 16 * CHUNK_LINES;

/// The parsing thread: reads and parses every source, hands over chunks in order.
///
/// Lines are read a block at a time (`LineReader::next_lines`), which chunks share: the lines
/// stay where they were read instead of each being copied into its chunk.
fn parse_sources(
    sources: &[Source],
    parser: &LineParser,
    time: &TimeSettings,
    tx: &mut ChunkSender<'_>,
) {
    let now = jiff::Timestamp::now();
    let mut spares = Spares::default();
    for (index, source) in sources.iter().enumerate() {
        let mut reader = match source.open() {
            Ok(r) => r,
            Err(e) => {
                if tx.send(Handover::Error(e)).is_break() {
                    return;
                }
                continue;
            }
        };
        let mut half = SourceParser::new(parser, Clock::new(time, source.mtime.unwrap_or(now)));
        let mut line_number = 0u64;
        loop {
            let block = match reader.next_lines(spares.block(), BLOCK_LINES) {
                Ok(Some(block)) => Arc::new(block),
                Ok(None) => break,
                Err(e) => {
                    if tx.send(Handover::Error(e)).is_break() {
                        return;
                    }
                    break;
                }
            };
            for lines in chunks_of(block.len()) {
                let chunk = ChunkBytes {
                    source: index,
                    first_line: line_number + 1,
                    block: Arc::clone(&block),
                    lines,
                };
                line_number += chunk.lines.len() as u64;
                let parsed = parse_chunk(chunk, &mut half, spares.list());
                spares.keep(&parsed);
                if tx.send(Handover::Lines(parsed)).is_break() {
                    return;
                }
            }
        }
    }
}

/// `lines` lines cut into chunks of `CHUNK_LINES` at most, all of about the same size.
fn chunks_of(lines: usize) -> impl Iterator<Item = Range<usize>> {
    let size = lines.div_ceil(lines.div_ceil(CHUNK_LINES).max(1)).max(1);
    (0..lines)
        .step_by(size)
        .map(move |from| from..lines.min(from + size))
}

/// Chunks handed over, kept until the threads they went to let go of them, then taken apart
/// to reuse their block (read into again) and their list of parsed lines: no new buffer
/// (allocated and zeroed) per block and no new list per chunk, each freed on the thread
/// that allocated it.
#[derive(Default)]
struct Spares {
    /// Chunks handed over, oldest first.
    sent: VecDeque<Arc<ParsedChunk>>,
    blocks: Vec<LineBlock>,
    lists: Vec<ParsedLines<'static>>,
}

impl Spares {
    /// Chunks kept: more than are in flight between the threads (`CHUNKS_AHEAD` queued, one
    /// at work, `REPLAYS_AHEAD` to a sink's thread), so that the oldest is let go of by the
    /// time it is looked at.
    const KEPT: usize = 2 * (CHUNKS_AHEAD + REPLAYS_AHEAD);

    fn keep(&mut self, chunk: &Arc<ParsedChunk>) {
        if self.sent.len() >= Self::KEPT {
            // Still held: freed by its last holder.
            self.sent.pop_front();
        }
        self.sent.push_back(Arc::clone(chunk));
    }

    /// A block to read into: one no chunk holds any more, or a new one.
    fn block(&mut self) -> LineBlock {
        // Chunks are let go of in the order they were handed over.
        while let Some(oldest) = self.sent.pop_front() {
            match Arc::try_unwrap(oldest) {
                Ok(chunk) => self.take_apart(chunk),
                Err(held) => {
                    self.sent.push_front(held);
                    break;
                }
            }
        }
        self.blocks.pop().unwrap_or_default()
    }

    /// A list for a chunk's parsed lines: an emptied one, or a new one.
    fn list(&mut self) -> ParsedLines<'static> {
        self.lists.pop().unwrap_or_default()
    }

    fn take_apart(&mut self, mut chunk: ParsedChunk) {
        self.lists
            .push(chunk.with_dependent_mut(|_, lines| emptied(std::mem::take(lines))));
        // The block's last chunk frees it.
        if let Ok(block) = Arc::try_unwrap(chunk.into_owner().block) {
            self.blocks.push(block);
        }
    }
}

/// `lines` emptied, for lines that borrow anything: collected in place, the list keeps its
/// room.
// `filter` would keep the lines' lifetime; `filter_map` makes lines of another.
#[allow(clippy::unnecessary_filter_map)]
fn emptied(lines: ParsedLines<'_>) -> ParsedLines<'static> {
    lines.into_iter().filter_map(|_| None).collect()
}

/// `list`: an empty list to parse the lines into.
// Out of line, as the loop it sits in was before blocks: inlined there, it took the parser in
// with it and left the parser's own parts (envelope, text) out instead, 6.7 M instructions
// more per 100k lines.
#[inline(never)]
fn parse_chunk(
    bytes: ChunkBytes,
    half: &mut SourceParser<'_>,
    list: ParsedLines<'static>,
) -> Arc<ParsedChunk> {
    Arc::new(ParsedChunk::new(bytes, |owner| {
        let mut lines: ParsedLines<'_> = list;
        lines.reserve(owner.lines.len());
        for (number, raw) in (owner.first_line..).zip(owner.block.lines(owner.lines.clone())) {
            lines.push(ParsedLine::unparsed(raw, number));
            if let Some(line) = lines.last_mut() {
                half.parse_into(line);
            }
        }
        lines
    }))
}

/// What the correlating half does after each chunk (`Some`) and at the end of the input
/// (`None`), once the chunk's lines and the messages they finished went to the sink: nothing
/// for a sink on the same thread; for a sink on a thread of its own, hand them on.
trait HandOn: Sink {
    fn hand_on(&mut self, _chunk: Option<Arc<ParsedChunk>>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }

    /// A finished message as the tracker keeps it, boxed. A sink that gives its messages back
    /// once read keeps the box; any other takes the message.
    fn take(&mut self, message: Box<Message>, now: LogTime) -> ControlFlow<()> {
        self.message_at(*message, now)
    }

    /// Gives the messages read since back to the tracker, to be renewed as new ones.
    fn give_back(&mut self, _tracker: &mut Tracker) {}
}

impl HandOn for dyn Sink + '_ {}

/// A finished message, after how many of its chunk's lines it was handed on, and when.
type Finished = (usize, LogTime, Box<Message>);

/// A chunk's lines and the messages finished among them, for the sink's thread to replay.
struct Replay {
    chunk: Option<Arc<ParsedChunk>>,
    messages: Vec<Finished>,
}

/// Replays in flight between the correlating thread and the sink's.
const REPLAYS_AHEAD: usize = 4;

/// The sink of the correlating thread when the consumer has a thread of its own: it notes
/// what the consumer is to see, and sends it over at the end of each chunk.
///
/// The messages come back, read, to be renewed by the tracker (or dropped) here, where it
/// allocated them and counted up their shared texts (agents, relays, hosts …). Dropped on the
/// sink's thread
/// (profiled once, report on the 1M-line log), they cost that thread about 15 % more time
/// and the correlating thread none less: frees of another thread's memory take glibc's
/// locked path, leave the allocating thread's cache empty (`_int_malloc` 9 % of all samples,
/// from 7 %), and every shared text's count moves between the cores.
struct Relay {
    /// Closed after the last replay, at the end of the input.
    to_sink: Option<mpsc::SyncSender<Replay>>,
    /// Read messages, with the vectors that carried them (reused).
    read: mpsc::Receiver<Vec<Finished>>,
    /// Read messages, for the tracker to take back as it keeps them: boxed.
    #[allow(clippy::vec_box)]
    returned: Vec<Box<Message>>,
    /// Vectors that carried read messages back, emptied, for the next chunks' messages: all
    /// of them are kept (a few, as many as replays in flight), so that a chunk's messages do
    /// not fill a new vector, growing it from nothing, whenever two came back at once.
    emptied: Vec<Vec<Finished>>,
    /// The current chunk's lines seen so far.
    lines: usize,
    messages: Vec<Finished>,
}

impl Relay {
    fn new(to_sink: mpsc::SyncSender<Replay>, read: mpsc::Receiver<Vec<Finished>>) -> Relay {
        Relay {
            to_sink: Some(to_sink),
            read,
            returned: Vec::new(),
            emptied: Vec::new(),
            lines: 0,
            messages: Vec::new(),
        }
    }
}

impl Sink for Relay {
    fn line(&mut self, _line: &LineView<'_>) -> ControlFlow<()> {
        self.lines += 1;
        ControlFlow::Continue(())
    }
    fn message(&mut self, message: Message) -> ControlFlow<()> {
        self.message_at(message, LogTime::UNKNOWN)
    }
    fn message_at(&mut self, message: Message, now: LogTime) -> ControlFlow<()> {
        self.take(Box::new(message), now)
    }
}

impl HandOn for Relay {
    fn take(&mut self, message: Box<Message>, now: LogTime) -> ControlFlow<()> {
        self.messages.push((self.lines, now, message));
        ControlFlow::Continue(())
    }

    fn give_back(&mut self, tracker: &mut Tracker) {
        for m in self.returned.drain(..) {
            tracker.give_back(m);
        }
    }

    fn hand_on(&mut self, chunk: Option<Arc<ParsedChunk>>) -> ControlFlow<()> {
        for mut read in self.read.try_iter() {
            self.returned.extend(read.drain(..).map(|(_, _, m)| m));
            self.emptied.push(read);
        }
        let end = chunk.is_none();
        let next = self.emptied.pop().unwrap_or_default();
        let replay = Replay {
            chunk,
            messages: std::mem::replace(&mut self.messages, next),
        };
        self.lines = 0;
        // The consumer is gone only when the sink asked to stop.
        let sent = self
            .to_sink
            .as_ref()
            .is_some_and(|to_sink| to_sink.send(replay).is_ok());
        if end {
            // Closing the channel ends the consumer once it has replayed everything.
            self.to_sink = None;
        }
        if sent {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    }
}

/// Three threads: parsing, correlating (the caller's), and `sink`'s.
fn run_with_sink_thread(
    sources: &[Source],
    options: &Options,
    lines: Option<&mut dyn LineSink>,
    sink: &mut dyn ReadOnlySink,
) -> Outcome {
    let names: Vec<Arc<str>> = sources.iter().map(|s| Arc::from(s.name.as_str())).collect();
    let (to_sink, replays) = mpsc::sync_channel::<Replay>(REPLAYS_AHEAD);
    // Unbounded, yet never more than the replays in flight: each hand-over empties it.
    let (to_drop, read) = mpsc::channel::<Vec<Finished>>();
    let replayer = Replayer::new(names, replays, to_drop, sink);
    std::thread::scope(|scope| {
        let consumer = scope.spawn(|| replayer.replay_all());
        let mut relay = Relay::new(to_sink, read);
        let outcome = run_threaded(
            sources,
            options,
            lines,
            Correlator::new(options, &mut relay),
        );
        // Closed already unless the run stopped; the messages the sink's thread sends back
        // until it ends are dropped here, with the relay.
        relay.to_sink = None;
        joined(outcome, consumer)
    })
}

/// The consumer's end of a `Relay`: replays each chunk's lines with the messages finished
/// among them to the sink, in the order the correlating thread saw them, and sends the
/// messages back to be dropped or renewed there.
struct Replayer<'a> {
    names: Vec<Arc<str>>,
    replays: mpsc::Receiver<Replay>,
    to_drop: mpsc::Sender<Vec<Finished>>,
    sink: &'a mut dyn ReadOnlySink,
    /// The sink asked to stop.
    stopped: bool,
}

impl<'a> Replayer<'a> {
    fn new(
        names: Vec<Arc<str>>,
        replays: mpsc::Receiver<Replay>,
        to_drop: mpsc::Sender<Vec<Finished>>,
        sink: &'a mut dyn ReadOnlySink,
    ) -> Replayer<'a> {
        Replayer {
            names,
            replays,
            to_drop,
            sink,
            stopped: false,
        }
    }

    fn replay(&mut self, replay: Replay) -> ControlFlow<()> {
        let flow = replay_one(&self.names, &replay, &mut *self.sink);
        // Fails only when the correlating thread has stopped: they are dropped here then.
        let _ = self.to_drop.send(replay.messages);
        self.stopped = flow.is_break();
        flow
    }

    /// Replays everything until the correlating thread closes the channel. Returns whether
    /// the sink asked to stop.
    fn replay_all(mut self) -> bool {
        while let Ok(replay) = self.replays.recv() {
            if self.replay(replay).is_break() {
                return true;
            }
        }
        false
    }
}

fn replay_one(names: &[Arc<str>], replay: &Replay, sink: &mut dyn ReadOnlySink) -> ControlFlow<()> {
    let (name, lines) = match &replay.chunk {
        Some(chunk) => (
            names.get(chunk.borrow_owner().source).map_or("", |n| &**n),
            chunk.borrow_dependent().as_slice(),
        ),
        None => ("", &[][..]),
    };
    let mut replayed = 0;
    for (after, now, message) in &replay.messages {
        for line in lines.get(replayed..*after).unwrap_or_default() {
            sink.line(&view(name, line))?;
        }
        replayed = replayed.max(*after);
        sink.message_at(message, *now)?;
    }
    for line in lines.get(replayed..).unwrap_or_default() {
        sink.line(&view(name, line))?;
    }
    ControlFlow::Continue(())
}

fn count(map: &mut BTreeMap<String, u64>, key: &[u8]) {
    // Most lines hit an existing key: look up without allocating.
    match std::str::from_utf8(key).ok().and_then(|k| map.get_mut(k)) {
        Some(n) => *n += 1,
        None => *map.entry(owned(key)).or_default() += 1,
    }
}

/// Set-up shared by the tests that run the pipeline over sample logs.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Options, Source, TimeSettings, TrackerConfig};

    /// Options for a test run: UTC, syslog stamps in 2026.
    pub(crate) fn options(threads: usize, tracker: TrackerConfig) -> Options {
        Options {
            time: TimeSettings {
                zone: jiff::tz::TimeZone::UTC,
                year: Some(2026),
            },
            syslog_names: Vec::new(),
            tracker,
            threads,
        }
    }

    /// The sources of files named from the crate's root, which must all be there.
    pub(crate) fn sources(files: &[&str]) -> Vec<Source> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let paths: Vec<_> = files.iter().map(|f| root.join(f)).collect();
        let (sources, errors) = crate::input::sources_from_args(&paths);
        assert!(errors.is_empty());
        sources
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::queue_id::QueueId;

    /// The sample logs the pipeline tests run over.
    const EXAMPLES: [&str; 2] = ["examples/postlogd.log", "examples/syslog-traditional.log"];

    /// What a sink was shown, in order.
    #[derive(Default)]
    struct Calls(Vec<String>);

    impl ReadOnlySink for Calls {
        fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
            self.0.push(format!("{}:{}", line.source, line.line_number));
            ControlFlow::Continue(())
        }
        fn message(&mut self, message: &Message) -> ControlFlow<()> {
            self.0.push(format!(
                "{} {}",
                message.queue_id_str(),
                message.first_seen.secs
            ));
            ControlFlow::Continue(())
        }
    }

    #[test]
    fn a_sink_on_a_thread_of_its_own_is_shown_the_same_calls_in_the_same_order() {
        let sources = testing::sources(&EXAMPLES);
        let calls = |threads: usize| {
            let options = testing::options(threads, TrackerConfig::default());
            let mut calls = Calls::default();
            let outcome = run(&sources, &options, &mut calls);
            assert!(!outcome.stopped);
            (calls.0, outcome.stats)
        };
        let (one, stats) = calls(1);
        assert!(one.len() > 2 * CHUNK_LINES, "{}", one.len());
        assert_eq!(calls(SINK_THREAD_FROM), (one, stats));
    }

    /// A sink in two halves: the lines it was shown, and the messages with their log time.
    #[derive(Default)]
    struct Split {
        lines: LinesSeen,
        messages: MessagesSeen,
    }

    /// The lines a line half was shown, and the threads it ran on.
    #[derive(Default)]
    struct LinesSeen(Vec<String>, Threads);

    /// The messages a rest was shown, the threads it ran on, and after how many messages it
    /// asks to stop, if it does.
    #[derive(Default)]
    struct MessagesSeen(Vec<String>, Threads, Option<usize>);

    #[derive(Default, Debug, PartialEq)]
    struct Threads(Vec<std::thread::ThreadId>);

    impl Threads {
        fn note(&mut self) {
            let current = std::thread::current().id();
            if !self.0.contains(&current) {
                self.0.push(current);
            }
        }
    }

    impl LineSink for LinesSeen {
        fn line(&mut self, line: &LineView<'_>) {
            self.1.note();
            self.0.push(format!("{}:{}", line.source, line.line_number));
        }
    }

    impl ReadOnlySink for MessagesSeen {
        fn message(&mut self, message: &Message) -> ControlFlow<()> {
            ReadOnlySink::message_at(self, message, LogTime::UNKNOWN)
        }
        fn message_at(&mut self, message: &Message, now: LogTime) -> ControlFlow<()> {
            self.1.note();
            self.0.push(format!("{} {now:?}", message.queue_id_str()));
            match self.2 {
                Some(stop_after) if self.0.len() >= stop_after => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            }
        }
    }

    impl Sink for Split {
        fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
            LineSink::line(&mut self.lines, line);
            ControlFlow::Continue(())
        }
        fn message(&mut self, message: Message) -> ControlFlow<()> {
            Sink::message(&mut self.messages, message)
        }
        fn message_at(&mut self, message: Message, now: LogTime) -> ControlFlow<()> {
            Sink::message_at(&mut self.messages, message, now)
        }
        fn halves(&mut self) -> Option<Halves<'_>> {
            Some(Halves {
                lines: &mut self.lines,
                rest: &mut self.messages,
            })
        }
    }

    /// Runs a `Split` over two example logs, its rest asking to stop after `stop_after`
    /// messages if given.
    fn run_split(threads: usize, stop_after: Option<usize>) -> (Split, Outcome) {
        let sources = testing::sources(&EXAMPLES);
        let options = testing::options(threads, TrackerConfig::default());
        let mut split = Split::default();
        split.messages.2 = stop_after;
        let outcome = run(&sources, &options, &mut split);
        (split, outcome)
    }

    #[test]
    fn a_sink_in_halves_sees_the_same_lines_and_messages_with_any_threads() {
        let seen = |threads: usize| {
            let (split, outcome) = run_split(threads, None);
            assert!(!outcome.stopped);
            (split.lines.0, split.messages.0, outcome.stats)
        };
        let one = seen(1);
        assert!(one.0.len() > 2 * CHUNK_LINES, "{}", one.0.len());
        assert!(
            one.1.iter().all(|m| m.contains("latest: Some")),
            "{:?}",
            one.1
        );
        assert_eq!(seen(LINE_HALF_FROM), one);
        assert_eq!(seen(SINK_THREAD_FROM), one);
    }

    #[test]
    fn with_two_threads_the_line_half_runs_on_the_parsing_thread_and_the_rest_on_the_callers() {
        let caller = Threads(vec![std::thread::current().id()]);
        let (one, _) = run_split(1, None);
        assert_eq!((&one.lines.1, &one.messages.1), (&caller, &caller));
        let (two, _) = run_split(LINE_HALF_FROM, None);
        assert_eq!(two.lines.1 .0.len(), 1);
        assert_ne!(two.lines.1, caller);
        assert_eq!(two.messages.1, caller);
    }

    #[test]
    fn the_rest_of_a_sink_in_halves_stops_the_run_at_the_same_message_with_any_threads() {
        let (all, _) = run_split(1, None);
        let stop_after = 5;
        let first = all.messages.0.get(..stop_after).unwrap();
        for threads in [1, LINE_HALF_FROM, SINK_THREAD_FROM] {
            let (split, outcome) = run_split(threads, Some(stop_after));
            assert!(outcome.stopped, "{threads} threads");
            assert_eq!(split.messages.0, first, "{threads} threads");
        }
    }

    /// Every line a sink was shown, as read.
    #[derive(Default)]
    struct RawLines(Vec<(String, u64, Vec<u8>)>);

    impl ReadOnlySink for RawLines {
        fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
            self.0
                .push((line.source.to_string(), line.line_number, line.raw.to_vec()));
            ControlFlow::Continue(())
        }
        fn message(&mut self, _message: &Message) -> ControlFlow<()> {
            ControlFlow::Continue(())
        }
    }

    /// The parsing thread cuts the blocks it reads into chunks; one thread reads them whole:
    /// both see the lines `next_line` reads one by one, numbered alike, whatever their
    /// terminators and lengths.
    #[test]
    fn lines_read_in_blocks_are_the_lines_read_one_by_one() {
        let sample = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/postlogd.log"),
        )
        .unwrap();
        let mut text = Vec::new();
        for (i, line) in sample
            .split(|&b| b == b'\n')
            .cycle()
            .take(40_000)
            .enumerate()
        {
            text.extend_from_slice(line);
            match i % 5 {
                0 => text.extend_from_slice(b"\r\n"),
                1 => text.extend_from_slice(b"\n\n"),
                _ => text.push(b'\n'),
            }
            if i == 20_000 {
                // Longer than a read, so read over several.
                text.extend_from_slice(&vec![b'x'; 600 * 1024]);
                text.extend_from_slice(b"\r\n");
            }
        }
        text.extend_from_slice(b"Aug 15 08:00:00 mx postfix/qmgr[2]: no newline\r");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mixed.log");
        std::fs::write(&path, &text).unwrap();
        let mut sources = testing::sources(&EXAMPLES[..1]);
        let (mixed, errors) = crate::input::sources_from_args(&[path]);
        assert!(errors.is_empty());
        sources.extend(mixed);
        let lines = |threads: usize| {
            let options = testing::options(threads, TrackerConfig::default());
            let mut lines = RawLines::default();
            let outcome = run(&sources, &options, &mut lines);
            assert!(outcome.errors.is_empty());
            lines.0
        };
        let mut one_by_one = Vec::new();
        for source in &sources {
            let mut reader = source.open().unwrap();
            while let Some(raw) = reader.next_line().unwrap().map(<[u8]>::to_vec) {
                one_by_one.push((source.name.clone(), reader.line_number(), raw));
            }
        }
        let one = lines(1);
        assert!(one == one_by_one);
        assert!(one.len() > 48_000, "{}", one.len());
        assert!(one.iter().any(|(_, _, raw)| raw.len() == 600 * 1024));
        assert!(one.last().unwrap().2.ends_with(b"newline\r"));
        for threads in [LINE_HALF_FROM, SINK_THREAD_FROM] {
            assert!(lines(threads) == one, "{threads} threads");
        }
    }

    #[test]
    fn an_emptied_list_of_lines_keeps_its_room() {
        let raw = b"not a log line".to_vec();
        let lines: ParsedLines<'_> = (1..=CHUNK_LINES as u64)
            .map(|number| ParsedLine::unparsed(&raw, number))
            .collect();
        let room = lines.capacity();
        let list = emptied(lines);
        assert!(list.is_empty());
        assert_eq!(list.capacity(), room);
    }

    #[test]
    fn event_counts_read_and_serialize_as_the_map_by_kind() {
        let id = QueueId::new(b"1A2B3C4D5E").unwrap();
        let events = [
            Event::Removed { queue_id: id },
            Event::Statistics { text: b"x" },
            Event::Removed { queue_id: id },
            Event::Diagnostic {
                queue_id: None,
                text: b"y",
            },
        ];
        let mut counts = EventCounts::default();
        let mut map: BTreeMap<&'static str, u64> = BTreeMap::new();
        assert!(counts.is_empty());
        for e in &events {
            counts.add(e);
            *map.entry(e.kind()).or_default() += 1;
        }
        assert!(!counts.is_empty());
        assert_eq!(
            counts.iter().collect::<Vec<_>>(),
            map.clone().into_iter().collect::<Vec<_>>()
        );
        assert_eq!(
            serde_json::to_string(&counts).unwrap(),
            serde_json::to_string(&map).unwrap()
        );
    }
}
