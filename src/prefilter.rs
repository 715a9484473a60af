//! The prefilter of `trace`: which lines can belong to the answer, found by searching the bytes
//! instead of parsing and correlating every line.
//!
//! A line can matter to a trace only if it names the query (a queue ID, Message-ID, address or
//! client is always written out in the lines it comes from), a queue ID of a message in the
//! answer (its own lines, and lines that link another message to it: `queued as`, notifications,
//! forwards, requeues), or the smtpd session such a message came in by (the session's lines
//! carry its client, HELO, TLS and commands; a session is the lines of one `tag[pid]` from its
//! `connect` to its `disconnect`). Each of these is a needle; a multi-pattern search over big
//! blocks of bytes finds the lines holding one, and only those lines are parsed. What they name
//! becomes a needle in turn. The first pass keeps the last few MiB it read and searches back in
//! them for the needles it takes in late (the lines of a message or a session nearly always
//! stand close together). A queue ID remembers from which line on it has been searched; a
//! further pass searches the input before that line (in any file) for it. An smtpd process
//! serves one session after another, and only those naming the answer matter: it is searched
//! for in stretches, each ending at a disconnect, and a line of a later session naming the
//! answer wakes it (searched back for from there to that session's start, mostly a few lines).
//! A further pass searches the gaps between the stretches only where lines there can belong to
//! the answer. Passes go on until one finds nothing new: the selection is closed, whatever the
//! distance between lines.
//!
//! The tracker must see the selected lines exactly as it would among all the others. Two things
//! it keeps from every line are rebuilt by the first pass, which looks at each line's stamp:
//! the year of syslog stamps (the clock moves on when the month changes) and the tracker's log
//! time (the latest understood line: it ends lingering messages and decides what is stale). A
//! line with the very stamp of the previous Postfix line changes neither and is not parsed, so
//! that only about one line per second of log is.
//!
//! The prefilter gives up (and `trace` reads everything) where it cannot be sure or would not
//! win: standard input and the journal (one pass only), an input error, a line that is not a
//! syslog line (a full read counts and reports them), a line longer than the
//! reader keeps, a query too short to search for, more matching lines than it holds in memory,
//! or an answer naming more messages than a prefilter can help with.

use crate::envelope::RawStamp;
use crate::event::Event;
use crate::input::{line_end, Source, SourceKind};
use crate::parse::bytes::find_byte;
use crate::parse::queue_id::QueueId;
use crate::parse::{LineParser, Parsed};
use crate::select::Query;
use crate::text::same_bytes;
use crate::time::{Clock, TimeSettings};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::rc::Rc;

/// What the pipeline is given instead of every line, per source, in line order.
pub struct Selection {
    pub sources: Vec<Vec<Mark>>,
}

/// One thing the tracker or the clock must see at a line of a source.
#[derive(Debug)]
pub enum Mark {
    /// A selected line, to be parsed and correlated.
    Line { number: u64, raw: Vec<u8> },
    /// A line not selected whose stamp the clock resolved (its month is not the last one's).
    Clock { number: u64, stamp: RawStamp },
    /// A line not selected that moved the tracker's log time on.
    Tick { number: u64, secs: i64 },
}

impl Mark {
    pub fn number(&self) -> u64 {
        match self {
            Mark::Line { number, .. } | Mark::Clock { number, .. } | Mark::Tick { number, .. } => {
                *number
            }
        }
    }
}

/// The bytes of matching lines kept at most: past it the prefilter gives up.
const MAX_HIT_BYTES: usize = 32 * 1024 * 1024;
/// Passes at most: links rarely chain further than a few hops.
const MAX_PASSES: usize = 16;
/// Clock and tick marks kept at most (about one per second of log).
const MAX_MARKS: usize = 8_000_000;
/// Queue IDs and processes searched for at most: an answer that names more messages is not
/// made faster by a prefilter (each one taken in rebuilds the searcher, and past the patterns
/// Teddy holds an automaton reads every byte: slower than parsing everything).
const MAX_NEEDLES: usize = MAX_PACKED;

/// Why the prefilter gave up.
#[derive(Debug)]
struct GiveUp;

/// An smtpd process on a host: `(host, tag, pid)`, as the tracker keys sessions.
type SessionKey = (Vec<u8>, Vec<u8>, u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionStep {
    Connect,
    Disconnect,
    /// Any other line the tracker reads with the session.
    Within,
}

/// What a line that holds a needle says, as far as the selection needs it.
#[derive(Debug, Default)]
struct Facts {
    /// Holds the query's text.
    query: bool,
    /// The queue ID the line is about.
    own: Option<QueueId>,
    /// Other queue IDs it links to.
    linked: Vec<QueueId>,
    /// The session the tracker reads it with, its step, and the needle naming that process.
    session: Option<(SessionKey, SessionStep, Vec<u8>)>,
    /// `QID: client=…`: a message of the session.
    accepted: bool,
}

struct Hit {
    raw: Vec<u8>,
    facts: Facts,
    selected: bool,
}

/// Position of a line: (source index, line number).
type At = (usize, u64);

/// Before every line of the input.
const START: At = (0, 0);
/// After every line of the input.
const END: At = (usize::MAX, u64::MAX);

/// How the input is cut up and how much of it is kept; tests make both small, to find out
/// that the selection does not depend on them.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Bytes of whole lines searched at a time at most (a longer line alone), within the
    /// blocks the reader hands out.
    piece: usize,
    /// Bytes of the input the first pass keeps, to search back in for what it takes in late:
    /// the lines of a message or of a session nearly always stand close together.
    lookback: usize,
}

impl Limits {
    const DEFAULT: Limits = Limits {
        piece: usize::MAX,
        lookback: 4 * 1024 * 1024,
    };
}

/// Runs of whole lines of `block` (where they stand in it), each of `size` bytes at most
/// unless a line is longer.
fn pieces(block: &[u8], size: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut done = 0;
    std::iter::from_fn(move || {
        let rest = block.get(done..).filter(|r| !r.is_empty())?;
        let cut = match rest.get(..size) {
            Some(head) if size < rest.len() => memchr::memrchr(b'\n', head)
                .or_else(|| memchr::memchr(b'\n', rest))
                .map_or(rest.len(), |i| i + 1),
            _ => rest.len(),
        };
        let piece = done..done + cut;
        done += cut;
        Some(piece)
    })
}

/// The line after `at`.
fn next_line(at: At) -> At {
    (at.0, at.1.saturating_add(1))
}

/// An smtpd process taken in: its sessions the answer needs are searched for, not its others.
struct Process {
    /// `tag[pid]` as it stands in its lines.
    needle: Vec<u8>,
    /// Where every line of the process is a hit: sorted stretches `[from, to)`, apart. One
    /// ends at `END` while the first pass searches on for the process; it ends after a
    /// disconnect, where the next session of the process begins: a busy process serves many
    /// sessions, and only those with a line naming the answer matter (such a line wakes it).
    spans: Vec<(At, At)>,
    /// Taken in or woken since the last look back: to be searched for in the lines kept from
    /// this line on.
    wake: Option<At>,
    /// The latest line of the process found, and its step.
    last: Option<(At, SessionStep)>,
}

impl Process {
    /// The stretch holding `at`.
    fn span_of(&self, at: At) -> Option<usize> {
        let after = self.spans.partition_point(|&(from, _)| from <= at);
        let i = after.checked_sub(1)?;
        self.spans.get(i).filter(|&&(_, to)| at < to).map(|_| i)
    }

    /// Whether the first pass looks for its lines still (or will, from `wake` on).
    fn searched(&self) -> bool {
        self.wake.is_some() || self.spans.last().is_some_and(|&(_, to)| to == END)
    }

    /// Every line of the process in `[from, to)` is a hit now.
    fn cover(&mut self, from: At, to: At) {
        if from >= to {
            return;
        }
        self.spans.push((from, to));
        self.spans.sort_unstable();
        let mut merged: Vec<(At, At)> = Vec::with_capacity(self.spans.len());
        for &(a, b) in &self.spans {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.spans = merged;
    }

    /// Where a line at `at` (its step `step`) needs the process searched from: its own line
    /// for a connect, else the end of the stretch before it, where the session it is in may
    /// have begun.
    fn wake_from(&self, at: At, step: SessionStep) -> At {
        if step == SessionStep::Connect {
            return at;
        }
        self.spans
            .iter()
            .map(|&(_, to)| to)
            .filter(|&to| to <= at)
            .max()
            .unwrap_or(START)
    }

    /// The first pass has found every line of the process up to its latest, a disconnect:
    /// its stretch ends there until a later line wakes it.
    fn settle(&mut self) {
        if self.wake.is_some() {
            return;
        }
        if let (Some((at, SessionStep::Disconnect)), Some(span)) =
            (self.last, self.spans.last_mut())
        {
            if span.1 == END && span.0 <= at {
                span.1 = next_line(at);
            }
        }
    }
}

/// What a line taken in changed.
#[derive(Debug, Default)]
struct Growth {
    /// A queue ID or a process is searched for that was not.
    needles: bool,
    /// A process is searched for again.
    woken: bool,
}

/// The first pass's searcher for what it took in: the queue IDs, then the processes.
struct Discovered {
    finder: Finder,
    /// Patterns of queue IDs (the first ones).
    ids: usize,
    /// For each pattern after them: the processes with that needle.
    processes: Vec<Vec<usize>>,
}

/// Whole lines of a source as the first pass read them, kept to search back in: a run of
/// the buffer the reader read them into.
struct Block {
    source: usize,
    /// The number of its first line.
    first: u64,
    buffer: Rc<Vec<u8>>,
    range: Range<usize>,
}

impl Block {
    fn bytes(&self) -> &[u8] {
        self.buffer.get(self.range.clone()).unwrap_or_default()
    }

    /// Its first line; `START` for the first of the input.
    fn start(&self) -> At {
        match (self.source, self.first) {
            (0, 1) => START,
            at => at,
        }
    }

    /// Where the line `at` starts in the block if it is one of its lines after the first, else 0.
    fn offset_of(&self, at: At) -> usize {
        let Some(before) =
            at.1.checked_sub(self.first)
                .filter(|&n| n > 0 && at.0 == self.source)
        else {
            return 0;
        };
        let bytes = self.bytes();
        memchr::memchr_iter(b'\n', bytes)
            .nth(usize::try_from(before - 1).unwrap_or(usize::MAX))
            .map_or(bytes.len(), |i| i + 1)
    }
}

struct Search<'a> {
    sources: &'a [Source],
    limits: Limits,
    parser: LineParser,
    time: &'a TimeSettings,
    query: Finder,
    hits: BTreeMap<At, Hit>,
    hit_bytes: usize,
    marks: Vec<Vec<Mark>>,
    ids: HashSet<QueueId>,
    /// For each queue ID searched for: the line from which on every line has been.
    id_from: HashMap<QueueId, At>,
    /// The smtpd processes of the answer's sessions, and where each one is searched for.
    processes: Vec<Process>,
    process_index: HashMap<SessionKey, usize>,
    /// The last blocks of the first pass: `limits.lookback` bytes and the last one read.
    kept: VecDeque<Block>,
    kept_bytes: usize,
    /// Buffers of blocks no longer kept, for the reader to fill again.
    spare: Vec<Vec<u8>>,
    /// Bytes the searches back may still read: twice the input read so far and the bytes kept.
    /// Past it (an answer naming ever more messages), needles taken in are searched for in
    /// the input before them by a further pass instead.
    lookback_budget: usize,
}

/// The lines `query` can need, or `None` where the prefilter cannot be sure or would not win.
pub fn select(
    sources: &[Source],
    query: &Query,
    syslog_names: &[String],
    time: &TimeSettings,
) -> Option<Selection> {
    select_within(sources, query, syslog_names, time, Limits::DEFAULT)
}

fn select_within(
    sources: &[Source],
    query: &Query,
    syslog_names: &[String],
    time: &TimeSettings,
    limits: Limits,
) -> Option<Selection> {
    if sources
        .iter()
        .any(|s| !matches!(s.kind, SourceKind::File(_)))
    {
        return None;
    }
    let needles = query_needles(query)?;
    let query = searcher(&needles, true)?;
    let mut search = Search {
        sources,
        limits,
        parser: LineParser::new(syslog_names),
        time,
        query,
        hits: BTreeMap::new(),
        hit_bytes: 0,
        marks: Vec::new(),
        ids: HashSet::default(),
        id_from: HashMap::default(),
        processes: Vec::new(),
        process_index: HashMap::default(),
        kept: VecDeque::new(),
        kept_bytes: 0,
        spare: Vec::new(),
        lookback_budget: limits.lookback,
    };
    search.run().ok()?;
    Some(search.into_selection())
}

/// The texts a line must hold to name the query: the query as written (trimmed, without the
/// `<>` of a Message-ID), and its lower case for an address (matched ignoring ASCII case
/// against the lower-cased query). `None` when the query is too short to be worth searching,
/// or holds `\xNN`, which stands for a byte that is not UTF-8 in the log.
fn query_needles(query: &Query) -> Option<Vec<Vec<u8>>> {
    let text = query.message_id_form();
    if text.len() < 3 || text.contains("\\x") {
        return None;
    }
    let mut needles = vec![text.as_bytes().to_vec()];
    let lower = query.lower_form();
    if lower.contains('@') && !lower.eq_ignore_ascii_case(text) {
        needles.push(lower.as_bytes().to_vec());
    }
    Some(needles)
}

/// Bytes of each needle a case-insensitive search looks for exactly, spelt out in their case
/// variants (at most 16): Teddy looks at four bytes. A candidate is then checked whole.
const PART_LEN: usize = 4;
/// Patterns Teddy searches for at most.
const MAX_PACKED: usize = 64;

/// Finds the next of several patterns: `memmem` for one, SIMD (Teddy) for a few dozen, an
/// automaton beyond.
enum Finder {
    /// Candidates from `parts`, kept where a needle stands whole around them (ignoring ASCII
    /// case if asked). For each pattern of `parts`: the needles holding it, with its offset in
    /// each. The pattern a match reports is the needle's index.
    Verified {
        parts: Box<Finder>,
        places: Vec<Vec<(usize, usize)>>,
        needles: Vec<Vec<u8>>,
        max_offset: usize,
        ignore_case: bool,
    },
    /// Candidates where two bytes of `needle` that are no letters (alike in any case) stand,
    /// found with SIMD as `memmem` finds its candidates, then checked whole (ignoring ASCII
    /// case): one needle is searched for faster so than as case variants.
    #[cfg(target_arch = "x86_64")]
    CaseFreePair {
        pair: memchr::arch::x86_64::avx2::packedpair::Finder,
        needle: Vec<u8>,
    },
    One(memchr::memmem::Finder<'static>),
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Finder {
    /// The start of the leftmost match at or after `from`.
    fn find(&self, haystack: &[u8], from: usize) -> Option<usize> {
        self.find_pattern(haystack, from).map(|(at, _)| at)
    }

    /// The start of the leftmost match at or after `from`, and which pattern it is.
    fn find_pattern(&self, haystack: &[u8], from: usize) -> Option<(usize, usize)> {
        let span = from.min(haystack.len())..haystack.len();
        match self {
            Finder::Verified {
                parts,
                places,
                needles,
                max_offset,
                ignore_case,
            } => {
                // Parts stand at different offsets in their needles: the first whole needle
                // found is the leftmost one only once no candidate further on can start
                // before it.
                let mut best: Option<(usize, usize)> = None;
                let mut at = span.start;
                loop {
                    // Once a needle is found, only a candidate close enough to start before it
                    // matters: the search for one does not run on through the haystack.
                    let end = best.map_or(haystack.len(), |(b, _)| b + max_offset + PART_LEN);
                    let within = haystack.get(..end).unwrap_or(haystack);
                    let Some((candidate, part)) = parts.find_pattern(within, at) else {
                        break;
                    };
                    if best.is_some_and(|(b, _)| candidate > b + max_offset) {
                        break;
                    }
                    at = candidate + 1;
                    for &(needle, offset) in places.get(part).into_iter().flatten() {
                        let Some(start) = candidate.checked_sub(offset) else {
                            continue;
                        };
                        let whole = needles.get(needle).is_some_and(|n| {
                            haystack.get(start..start + n.len()).is_some_and(
                                |w| match ignore_case {
                                    true => w.eq_ignore_ascii_case(n),
                                    false => w == n.as_slice(),
                                },
                            )
                        });
                        if whole && start >= span.start && best.is_none_or(|(b, _)| start < b) {
                            best = Some((start, needle));
                        }
                    }
                }
                best
            }
            #[cfg(target_arch = "x86_64")]
            Finder::CaseFreePair { pair, needle } => {
                let whole = |w: &[u8]| w.eq_ignore_ascii_case(needle);
                let mut at = span.start;
                loop {
                    let rest = haystack.get(at..)?;
                    if rest.len() < pair.min_haystack_len() {
                        // Too short for the vectors.
                        return rest
                            .windows(needle.len())
                            .position(whole)
                            .map(|i| (at + i, 0));
                    }
                    let candidate = at + pair.find_prefilter(rest)?;
                    if haystack
                        .get(candidate..candidate + needle.len())
                        .is_some_and(whole)
                    {
                        return Some((candidate, 0));
                    }
                    at = candidate + 1;
                }
            }
            Finder::One(f) => haystack
                .get(span.start..)
                .and_then(|h| f.find(h))
                .map(|i| (i + span.start, 0)),
            Finder::Packed(s) => s
                .find_in(haystack, span.into())
                .map(|m| (m.start(), m.pattern().as_usize())),
            Finder::Automaton(a) => a
                .find(Input::new(haystack).span(span))
                .map(|m| (m.start(), m.pattern().as_usize())),
        }
    }

    fn is_match(&self, haystack: &[u8]) -> bool {
        self.find(haystack, 0).is_some()
    }

    fn new(patterns: Vec<Vec<u8>>, ignore_case: bool) -> Option<Finder> {
        if let (false, [one]) = (ignore_case, patterns.as_slice()) {
            return Some(Finder::One(memchr::memmem::Finder::new(one).into_owned()));
        }
        if !ignore_case && patterns.len() <= MAX_PACKED {
            let packed = aho_corasick::packed::Config::new()
                .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                .builder()
                .extend(&patterns)
                .build();
            if let Some(p) = packed {
                return Some(Finder::Packed(p));
            }
        }
        AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .ascii_case_insensitive(ignore_case)
            .build(&patterns)
            .ok()
            .map(Finder::Automaton)
    }
}

/// A searcher for any of `needles`; ignoring ASCII case if asked. Queue IDs and processes are
/// written one way (the tracker keys them as written); the query may be written any way.
fn searcher(needles: &[Vec<u8>], ignore_case: bool) -> Option<Finder> {
    let part_len = needles
        .iter()
        .map(Vec::len)
        .min()
        .unwrap_or(0)
        .min(PART_LEN);
    if part_len < 3 || (!ignore_case && needles.len() == 1) {
        return Finder::new(needles.to_vec(), ignore_case);
    }
    #[cfg(target_arch = "x86_64")]
    if let ([needle], true) = (needles, ignore_case) {
        // The first and the last byte that is no letter, if they are two.
        let mut case_free =
            (0..needle.len()).filter(|&i| needle.get(i).is_some_and(|b| !b.is_ascii_alphabetic()));
        let first = case_free.next();
        let pair = first
            .zip(case_free.next_back())
            .and_then(|(a, b)| Some((u8::try_from(a).ok()?, u8::try_from(b).ok()?)))
            .and_then(|(a, b)| memchr::arch::all::packedpair::Pair::with_indices(needle, a, b))
            .and_then(|pair| {
                memchr::arch::x86_64::avx2::packedpair::Finder::with_pair(needle, pair)
            });
        if let Some(pair) = pair {
            return Some(Finder::CaseFreePair {
                pair,
                needle: needle.clone(),
            });
        }
    }
    // The same length for every part: no part can hide another one starting at the same byte.
    let mut variants: Vec<Vec<u8>> = Vec::new();
    let mut places: Vec<Vec<(usize, usize)>> = Vec::new();
    for (index, needle) in needles.iter().enumerate() {
        // Written one way, a needle is searched for by its end: a process's pid and `]` (its
        // start, `postfix/`, stands in every line).
        let offset = match ignore_case {
            true => fewest_letters(needle, part_len),
            false => needle.len() - part_len,
        };
        let part = needle.get(offset..offset + part_len).unwrap_or_default();
        let variants_of_part = match ignore_case {
            true => case_variants(part),
            false => vec![part.to_vec()],
        };
        for variant in variants_of_part {
            match variants.iter().position(|v| *v == variant) {
                Some(i) => places.get_mut(i)?.push((index, offset)),
                None => {
                    variants.push(variant);
                    places.push(vec![(index, offset)]);
                }
            }
        }
    }
    Some(Finder::Verified {
        parts: Box::new(Finder::new(variants, false)?),
        places,
        needles: needles.to_vec(),
        max_offset: needles
            .iter()
            .map(|n| n.len() - part_len)
            .max()
            .unwrap_or(0),
        ignore_case,
    })
}

/// Where the `len` bytes of `needle` with the fewest ASCII letters start (the first such):
/// the fewer letters, the fewer case variants to search for.
fn fewest_letters(needle: &[u8], len: usize) -> usize {
    let letters = |w: &[u8]| w.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let mut best = (usize::MAX, 0);
    for (offset, window) in needle.windows(len).enumerate() {
        best = best.min((letters(window), offset));
    }
    best.1
}

/// `part` in every combination of upper and lower case of its ASCII letters.
fn case_variants(part: &[u8]) -> Vec<Vec<u8>> {
    let lower = part.to_ascii_lowercase();
    let letters: Vec<usize> = (0..lower.len())
        .filter(|&i| lower.get(i).is_some_and(u8::is_ascii_alphabetic))
        .collect();
    (0..1usize << letters.len())
        .map(|mask| {
            let mut v = lower.clone();
            for (bit, &i) in letters.iter().enumerate() {
                if let (true, Some(b)) = (mask & (1 << bit) != 0, v.get_mut(i)) {
                    b.make_ascii_uppercase();
                }
            }
            v
        })
        .collect()
}

/// Whether `line` starts with `stamp` (not empty): nearly every line is compared with the
/// stamp of the line before, and `same_bytes` costs less than a call to `memcmp`.
fn starts_with_stamp(line: &[u8], stamp: &[u8]) -> bool {
    !stamp.is_empty()
        && line
            .get(..stamp.len())
            .is_some_and(|head| same_bytes(head, stamp))
}

/// `\n`s in `bytes`.
fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// The line of `block` around byte `at`: its start and end (before the `\n`).
fn line_around(block: &[u8], at: usize) -> (usize, usize) {
    let start = memchr::memrchr(b'\n', block.get(..at).unwrap_or_default()).map_or(0, |i| i + 1);
    let end =
        memchr::memchr(b'\n', block.get(at..).unwrap_or_default()).map_or(block.len(), |i| at + i);
    (start, end)
}

impl Search<'_> {
    fn run(&mut self) -> Result<(), GiveUp> {
        self.first_pass()?;
        self.kept = VecDeque::new();
        self.spare = Vec::new();
        for _ in 0..MAX_PASSES {
            let wider = self.close();
            if !self.search_rest(&wider)? {
                return Ok(());
            }
        }
        Err(GiveUp)
    }

    /// Searches the input before where each needle was searched from: all of it for the queue
    /// IDs and processes never searched for; for the others, before the end of the last
    /// stretch `wider` names for them. Returns whether there were any.
    fn search_rest(&mut self, wider: &[(usize, At)]) -> Result<bool, GiveUp> {
        let ids: Vec<(QueueId, At)> = self
            .ids
            .iter()
            .map(|q| (*q, self.id_from.get(q).copied().unwrap_or(END)))
            .filter(|(_, from)| *from != START)
            .collect();
        let mut processes: Vec<(usize, At)> = self
            .processes
            .iter()
            .enumerate()
            .filter(|(_, p)| p.spans.is_empty())
            .map(|(i, _)| (i, END))
            .collect();
        processes.extend(wider);
        if ids.is_empty() && processes.is_empty() {
            return Ok(false);
        }
        let stop = ids
            .iter()
            .map(|(_, before)| *before)
            .chain(processes.iter().map(|(_, before)| *before))
            .max()
            .unwrap_or(END);
        let id_needles: Vec<QueueId> = ids.iter().map(|(q, _)| *q).collect();
        let process_needles: Vec<usize> = processes.iter().map(|(i, _)| *i).collect();
        let finder = self.finder_for(&id_needles, &process_needles)?;
        self.pass(&finder, stop)?;
        for q in id_needles {
            self.id_from.insert(q, START);
        }
        for i in process_needles {
            if let Some(p) = self.processes.get_mut(i) {
                p.cover(START, stop);
            }
        }
        Ok(true)
    }

    /// A searcher for these queue IDs and processes (by index), in this order: a match tells
    /// which one it is (the finder is case-sensitive).
    fn finder_for(&self, ids: &[QueueId], processes: &[usize]) -> Result<Finder, GiveUp> {
        if self.ids.len() + self.processes.len() > MAX_NEEDLES {
            return Err(GiveUp);
        }
        let mut needles: Vec<Vec<u8>> = ids.iter().map(|q| q.as_bytes().to_vec()).collect();
        needles.extend(
            processes
                .iter()
                .filter_map(|&i| self.processes.get(i))
                .map(|p| p.needle.clone()),
        );
        searcher(&needles, false).ok_or(GiveUp)
    }

    /// A searcher for every queue ID and process taken in so far (but the queue IDs holding
    /// the query, which the query finds); `None` for none.
    fn discovered(&self) -> Result<Option<Discovered>, GiveUp> {
        let ids: Vec<QueueId> = self
            .ids
            .iter()
            .filter(|q| !self.query.is_match(q.as_bytes()))
            .copied()
            .collect();
        // Processes with the same needle (on other hosts) are one pattern.
        let mut patterns: Vec<usize> = Vec::new();
        let mut processes: Vec<Vec<usize>> = Vec::new();
        let mut by_needle: HashMap<&[u8], usize> = HashMap::default();
        for (i, p) in self.processes.iter().enumerate() {
            match by_needle.get(p.needle.as_slice()) {
                Some(&pattern) => {
                    if let Some(same) = processes.get_mut(pattern) {
                        same.push(i);
                    }
                }
                None => {
                    by_needle.insert(&p.needle, processes.len());
                    patterns.push(i);
                    processes.push(vec![i]);
                }
            }
        }
        if ids.is_empty() && patterns.is_empty() {
            return Ok(None);
        }
        Ok(Some(Discovered {
            finder: self.finder_for(&ids, &patterns)?,
            ids: ids.len(),
            processes,
        }))
    }

    /// The start of the next match of `d` at or after `from` in `bytes`, passing over the
    /// processes the first pass does not search for now (between their sessions).
    fn next_discovered(&self, d: &Discovered, bytes: &[u8], from: usize) -> Option<usize> {
        let mut at = from;
        loop {
            let (found, pattern) = d.finder.find_pattern(bytes, at)?;
            let asleep = pattern.checked_sub(d.ids).is_some_and(|p| {
                d.processes.get(p).is_some_and(|same| {
                    same.iter()
                        .all(|&i| self.processes.get(i).is_some_and(|p| !p.searched()))
                })
            });
            if !asleep {
                return Some(found);
            }
            at = found + 1;
        }
    }

    /// Takes in what the line at `at` names if it names the query or a message taken in
    /// already: its queue IDs and its process; wakes the process if the line stands outside
    /// the stretches it is searched in. `current`: the line is the first pass's own, which
    /// searches on from it. Returns what changed.
    fn grow(&mut self, at: At, current: bool) -> Growth {
        let mut growth = Growth::default();
        let Some(hit) = self.hits.get(&at) else {
            return growth;
        };
        let f = &hit.facts;
        if !names(f, &self.ids) {
            return growth;
        }
        for q in f.own.iter().chain(&f.linked) {
            growth.needles |= self.ids.insert(*q);
        }
        let Some((key, step, needle)) = &f.session else {
            return growth;
        };
        let i = match self.process_index.get(key) {
            Some(&i) => i,
            None => {
                let i = self.processes.len();
                self.processes.push(Process {
                    needle: needle.clone(),
                    spans: Vec::new(),
                    wake: None,
                    last: None,
                });
                self.process_index.insert(key.clone(), i);
                growth.needles = true;
                i
            }
        };
        let Some(p) = self.processes.get_mut(i) else {
            return growth;
        };
        if p.last.is_none_or(|(last, _)| last < at) {
            p.last = Some((at, *step));
        }
        if p.span_of(at).is_some() || p.wake.is_some_and(|w| w <= at) {
            return growth;
        }
        growth.woken = true;
        if current && *step == SessionStep::Connect && p.wake.is_none() {
            // Its session begins here: the first pass searches on for it from this line.
            p.cover(at, END);
        } else {
            let from = p.wake_from(at, *step);
            p.wake = Some(p.wake.map_or(from, |w| w.min(from)));
        }
        growth
    }

    /// Every line for the query, and for what the lines found name from there on (and, in
    /// the blocks kept, before), with the clock and the log time kept up line by line.
    fn first_pass(&mut self) -> Result<(), GiveUp> {
        let mut discovered: Option<Discovered> = None;
        let now = jiff::Timestamp::now();
        let mut log_time = i64::MIN;
        for (index, source) in self.sources.iter().enumerate() {
            let mut reader = source.open().map_err(|_| GiveUp)?;
            let mut clock = Clock::new(self.time, source.mtime.unwrap_or(now));
            let mut marks = Vec::new();
            let mut number = 0u64;
            // The stamp of the last Postfix line, and whether a line with it was understood.
            let mut stamp: Vec<u8> = Vec::new();
            let mut understood = false;
            let mut month = 0u8;
            loop {
                let spare = self.spare.pop().unwrap_or_default();
                let Some((buffer, read)) = reader.next_block_owned(spare).map_err(|_| GiveUp)?
                else {
                    break;
                };
                let buffer = Rc::new(buffer);
                let whole = buffer.get(read.clone()).unwrap_or_default();
                for piece in pieces(whole, self.limits.piece) {
                    let block = Block {
                        source: index,
                        first: number + 1,
                        buffer: Rc::clone(&buffer),
                        range: read.start + piece.start..read.start + piece.end,
                    };
                    let bytes = block.bytes();
                    // The next match of each searcher, looked for again only once passed.
                    let mut next_query = self.query.find(bytes, 0);
                    let mut next_discovered = discovered
                        .as_ref()
                        .and_then(|d| self.next_discovered(d, bytes, 0));
                    let mut at = 0;
                    while at < bytes.len() {
                        let end = memchr::memchr(b'\n', bytes.get(at..).unwrap_or_default())
                            .map_or(bytes.len(), |i| at + i);
                        number += 1;
                        let line = bytes.get(at..line_end(bytes, at, end)).unwrap_or_default();
                        let same_stamp = understood && starts_with_stamp(line, &stamp);
                        // A line cut inside its envelope has no `:` after the stamp: it is not a
                        // syslog line, and a full read counts and reports it.
                        if same_stamp
                            && find_byte(line.get(stamp.len()..).unwrap_or_default(), b':')
                                .is_none()
                        {
                            return Err(GiveUp);
                        }
                        if !same_stamp {
                            let parsed = self.parser.parse(line);
                            if matches!(parsed, Parsed::Malformed) {
                                // Lines that are not syslog lines are counted and reported by a
                                // full read; the prefilter cannot count those it skips.
                                return Err(GiveUp);
                            }
                            if let Parsed::Postfix { envelope, event } = &parsed {
                                let time = clock.resolve(envelope.stamp);
                                let host_at =
                                    envelope.host.as_ptr() as usize - line.as_ptr() as usize;
                                stamp.clear();
                                stamp.extend_from_slice(line.get(..host_at).unwrap_or_default());
                                understood = event.is_some() && time.is_some();
                                // The clock changes its year only when the month changes.
                                let m = match envelope.stamp {
                                    RawStamp::Syslog { month, .. }
                                    | RawStamp::Full { month, .. } => month,
                                };
                                if m != month {
                                    month = m;
                                    marks.push(Mark::Clock {
                                        number,
                                        stamp: envelope.stamp,
                                    });
                                }
                                if let (true, Some(t)) = (understood, time) {
                                    if t.secs > log_time {
                                        log_time = t.secs;
                                        marks.push(Mark::Tick {
                                            number,
                                            secs: t.secs,
                                        });
                                    }
                                }
                            }
                        }
                        let next_hit = next_query.into_iter().chain(next_discovered).min();
                        if next_hit.is_some_and(|h| h <= end) {
                            self.add_hit((index, number), line)?;
                            if next_query.is_some_and(|h| h <= end) {
                                next_query = self.query.find(bytes, end);
                            }
                            let growth = self.grow((index, number), true);
                            if growth.needles {
                                discovered = self.discovered()?;
                            }
                            // A process whose session ended here is passed over from now on.
                            let settled = self.settle_at((index, number));
                            if growth.needles
                                || growth.woken
                                || settled
                                || next_discovered.is_some_and(|h| h <= end)
                            {
                                next_discovered = discovered
                                    .as_ref()
                                    .and_then(|d| self.next_discovered(d, bytes, end));
                            }
                        }
                        at = end + 1;
                    }
                    if marks.len() > MAX_MARKS {
                        return Err(GiveUp);
                    }
                    self.lookback_budget += 2 * bytes.len();
                    self.kept_bytes += bytes.len();
                    self.kept.push_back(block);
                    if self.look_back((index, number + 1))? {
                        discovered = self.discovered()?;
                    }
                    while self.kept_bytes > self.limits.lookback {
                        let Some(old) = self.kept.pop_front() else {
                            break;
                        };
                        self.kept_bytes -= old.range.len();
                        // The last block of its buffer gives it back.
                        if let Ok(buffer) = Rc::try_unwrap(old.buffer) {
                            self.spare.push(buffer);
                        }
                    }
                }
            }
            self.marks.push(marks);
        }
        Ok(())
    }

    /// Searches the blocks kept for the queue IDs taken in that were not searched for yet and
    /// the processes taken in or woken (from where each one must be), and in turn for what
    /// the lines found name; notes from where on each one is searched (`after`, the line after
    /// the last block, if the budget is spent). Returns whether there were any.
    fn look_back(&mut self, after: At) -> Result<bool, GiveUp> {
        let mut any = false;
        loop {
            let (covered, ids): (Vec<QueueId>, Vec<QueueId>) = self
                .ids
                .iter()
                .filter(|q| !self.id_from.contains_key(*q))
                .partition(|q| self.query.is_match(q.as_bytes()));
            let woken: Vec<(usize, At)> = self
                .processes
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.wake.map(|w| (i, w)))
                .collect();
            // A queue ID holding the query: every line with it is found by the query.
            any |= !covered.is_empty();
            for q in covered {
                self.id_from.insert(q, START);
            }
            if ids.is_empty() && woken.is_empty() {
                return Ok(any);
            }
            any = true;
            let mut found = Vec::new();
            if ids.is_empty() {
                for (i, lower) in woken {
                    self.wake_process(i, lower, after, &mut found)?;
                }
            } else {
                // A queue ID: every line kept (the processes woken with it alike).
                let bytes: usize = self.kept.iter().map(|b| b.range.len()).sum();
                let from = match self.kept.front().map(Block::start) {
                    Some(from) if self.lookback_budget >= bytes => {
                        let processes: Vec<usize> = woken.iter().map(|(i, _)| *i).collect();
                        let finder = self.finder_for(&ids, &processes)?;
                        for index in 0..self.kept.len() {
                            self.search_kept(&finder, index, .., &mut found)?;
                        }
                        from
                    }
                    _ => after,
                };
                for q in ids {
                    self.id_from.insert(q, from);
                }
                for (i, wake) in woken {
                    if let Some(p) = self.processes.get_mut(i) {
                        p.wake = None;
                        p.cover(wake.max(from), END);
                    }
                }
            }
            found.sort_unstable();
            for at in found {
                self.grow(at, false);
            }
            for p in &mut self.processes {
                p.settle();
            }
        }
    }

    /// Searches the lines kept for the woken process `i` (`lower`: the end of its stretch
    /// before, or the connect that woke it): from its first line naming the answer outside
    /// its stretches on, and from there back only to where that session began (its connect,
    /// or the disconnect before it), mostly a few lines. The first pass searches on for it.
    fn wake_process(
        &mut self,
        i: usize,
        lower: At,
        after: At,
        found: &mut Vec<At>,
    ) -> Result<(), GiveUp> {
        let target = self
            .hits
            .range(lower..)
            .find(|(at, hit)| {
                self.process_of(hit) == Some(i)
                    && names(&hit.facts, &self.ids)
                    && self
                        .processes
                        .get(i)
                        .is_some_and(|p| p.span_of(**at).is_none())
            })
            .map_or(lower, |(at, _)| *at);
        let mut index = self
            .kept
            .iter()
            .rposition(|b| (b.source, b.first) <= target)
            .unwrap_or(0);
        let finder = self.finder_for(&[], &[i])?;
        // From the target on, if the budget allows.
        let offset = self.kept.get(index).map_or(0, |b| b.offset_of(target));
        let bytes: usize = self.kept.iter().skip(index).map(|b| b.range.len()).sum();
        let mut from = match self.kept.get(index) {
            Some(_) if offset > 0 => target,
            Some(block) => block.start(),
            None => after,
        };
        if from == after || self.lookback_budget < bytes - offset {
            from = after;
        } else {
            self.search_kept(&finder, index, offset.., found)?;
            for later in index + 1..self.kept.len() {
                self.search_kept(&finder, later, .., found)?;
            }
            // Back, a block at a time, to where the session began.
            loop {
                if let Some(start) = self.session_start(i, from, target) {
                    from = start;
                    break;
                }
                if from <= lower {
                    from = lower;
                    break;
                }
                let Some(block) = self.kept.get(index) else {
                    break;
                };
                let searched = if from > block.start() {
                    // The lines of this block before `from`.
                    let before = block.offset_of(from);
                    self.search_kept(&finder, index, ..before, found)?
                } else if index > 0 {
                    index -= 1;
                    self.search_kept(&finder, index, .., found)?
                } else {
                    false
                };
                match (searched, self.kept.get(index)) {
                    (true, Some(block)) => from = block.start(),
                    _ => break,
                }
            }
        }
        if let Some(p) = self.processes.get_mut(i) {
            p.wake = None;
            p.cover(from, END);
        }
        Ok(())
    }

    /// The process (by index) a hit is a line of.
    fn process_of(&self, hit: &Hit) -> Option<usize> {
        let (key, _, _) = hit.facts.session.as_ref()?;
        self.process_index.get(key).copied()
    }

    /// Where the session of process `i` holding the line `at` begins, if its lines from
    /// `from` to `at` (all found) show it: its connect, or the disconnect before it (the
    /// lines after a disconnect are a session of their own).
    fn session_start(&self, i: usize, from: At, at: At) -> Option<At> {
        if from > at {
            return None;
        }
        self.hits
            .range(from..=at)
            .rev()
            .filter(|(_, hit)| self.process_of(hit) == Some(i))
            .find_map(|(line, hit)| match hit.facts.session.as_ref()?.1 {
                SessionStep::Connect => Some(*line),
                SessionStep::Disconnect if *line < at => Some(*line),
                _ => None,
            })
    }

    /// Searches the bytes `part` of the kept block `index` (whole lines) for `finder`, if the
    /// budget allows. Returns whether it did.
    fn search_kept(
        &mut self,
        finder: &Finder,
        index: usize,
        part: impl std::ops::RangeBounds<usize> + std::slice::SliceIndex<[u8], Output = [u8]>,
        found: &mut Vec<At>,
    ) -> Result<bool, GiveUp> {
        let Some(block) = self.kept.get(index) else {
            return Ok(false);
        };
        let (source, first, buffer) = (block.source, block.first, Rc::clone(&block.buffer));
        let whole = buffer.get(block.range.clone()).unwrap_or_default();
        let start = match part.start_bound() {
            std::ops::Bound::Included(&s) => s,
            _ => 0,
        };
        let bytes = whole.get(part).unwrap_or_default();
        if self.lookback_budget < bytes.len() {
            return Ok(false);
        }
        self.lookback_budget -= bytes.len();
        let line = first + newlines(whole.get(..start).unwrap_or_default());
        self.search_block(finder, source, line, bytes, found)?;
        Ok(true)
    }

    /// Settles the process of the hit at `at` (see `Process::settle`). Returns whether its
    /// stretch ended there.
    fn settle_at(&mut self, at: At) -> bool {
        let Some((key, SessionStep::Disconnect, _)) =
            self.hits.get(&at).and_then(|h| h.facts.session.as_ref())
        else {
            return false;
        };
        let Some(p) = self
            .process_index
            .get(key)
            .and_then(|&i| self.processes.get_mut(i))
        else {
            return false;
        };
        if p.last.is_none_or(|(last, _)| last < at) {
            p.last = Some((at, SessionStep::Disconnect));
        }
        let searched = p.searched();
        p.settle();
        searched && !p.searched()
    }

    /// Every line for the needles of `finder` before the line `stop`.
    fn pass(&mut self, finder: &Finder, stop: At) -> Result<(), GiveUp> {
        let mut found = Vec::new();
        for (index, source) in self.sources.iter().enumerate() {
            let mut reader = source.open().map_err(|_| GiveUp)?;
            let mut before = 0u64;
            while let Some(read) = reader.next_block().map_err(|_| GiveUp)? {
                for piece in pieces(read, self.limits.piece) {
                    let block = read.get(piece).unwrap_or_default();
                    if (index, before + 1) >= stop {
                        return Ok(());
                    }
                    self.search_block(finder, index, before + 1, block, &mut found)?;
                    before += newlines(block);
                }
            }
        }
        Ok(())
    }

    /// Takes in the lines of `block` (of `source`, from line `first` on) holding a match of
    /// `finder`; adds where the new ones stand to `found`.
    fn search_block(
        &mut self,
        finder: &Finder,
        source: usize,
        first: u64,
        block: &[u8],
        found: &mut Vec<At>,
    ) -> Result<(), GiveUp> {
        let mut from = 0;
        let mut counted = 0;
        let mut before = first - 1;
        while let Some(m) = finder.find(block, from) {
            let (start, end) = line_around(block, m);
            before += newlines(block.get(counted..start).unwrap_or_default());
            counted = start;
            let line = block
                .get(start..line_end(block, start, end))
                .unwrap_or_default();
            if self.add_hit((source, before + 1), line)? {
                found.push((source, before + 1));
            }
            from = (end + 1).min(block.len());
        }
        Ok(())
    }

    /// Keeps the line at `at` as a hit. Returns whether it is new.
    fn add_hit(&mut self, at: At, line: &[u8]) -> Result<bool, GiveUp> {
        if self.hits.contains_key(&at) {
            return Ok(false);
        }
        self.hit_bytes += line.len() + 64;
        if self.hit_bytes > MAX_HIT_BYTES {
            return Err(GiveUp);
        }
        let facts = self.facts(line);
        if let Some((key, step, _)) = &facts.session {
            let p = self
                .process_index
                .get(key)
                .and_then(|&i| self.processes.get_mut(i));
            if let Some(p) = p.filter(|p| p.last.is_none_or(|(last, _)| last < at)) {
                p.last = Some((at, *step));
            }
        }
        self.hits.insert(
            at,
            Hit {
                raw: line.to_vec(),
                facts,
                selected: false,
            },
        );
        Ok(true)
    }

    fn facts(&self, line: &[u8]) -> Facts {
        let mut facts = Facts {
            query: self.query.is_match(line),
            ..Facts::default()
        };
        let Parsed::Postfix {
            envelope,
            event: Some(event),
        } = self.parser.parse(line)
        else {
            return facts;
        };
        facts.own = event.queue_id();
        let step = match event {
            Event::Connect { .. } => Some(SessionStep::Connect),
            Event::Disconnect { .. } => Some(SessionStep::Disconnect),
            Event::Interrupted { .. }
            | Event::Helo { .. }
            | Event::Sender { .. }
            | Event::Recipient { .. }
            | Event::Tls { inbound: true, .. }
            | Event::ClientAccepted { .. }
            | Event::Verdict { queue_id: None, .. } => Some(SessionStep::Within),
            _ => None,
        };
        match event {
            Event::ClientAccepted { orig_queue_id, .. } => {
                facts.accepted = true;
                facts.linked.extend(orig_queue_id);
            }
            Event::Pickup { orig_id, .. } => facts.linked.extend(orig_id),
            Event::Notification { new_queue_id, .. } => facts.linked.push(new_queue_id),
            Event::Delivery(d) => facts
                .linked
                .extend(d.queued_as.into_iter().chain(d.forwarded_as)),
            _ => {}
        }
        if let Some(step) = step {
            // The process as it stands in the line: `tag[pid]`.
            let tag_at = envelope.program.tag.as_ptr() as usize - line.as_ptr() as usize;
            let after = line.get(tag_at..).unwrap_or_default();
            let len = match envelope.pid {
                Some(_) => memchr::memchr(b']', after).map_or(after.len(), |i| i + 1),
                None => envelope.program.tag.len(),
            };
            let key = (
                envelope.host.to_vec(),
                envelope.program.tag.to_vec(),
                envelope.pid.unwrap_or(0),
            );
            facts.session = Some((key, step, after.get(..len).unwrap_or_default().to_vec()));
        }
        facts
    }

    /// Selects the lines the needles name and takes in the needles those lines name, until
    /// nothing changes. Returns the processes to search for before a line (see
    /// `wider_sessions`).
    fn close(&mut self) -> Vec<(usize, At)> {
        loop {
            let mut grew = false;
            let ids = &mut self.ids;
            // A line about a message of the answer, or naming the query.
            for hit in self.hits.values_mut() {
                let f = &hit.facts;
                if !names(f, ids) {
                    continue;
                }
                hit.selected = true;
                for q in f.own.iter().chain(&f.linked) {
                    grew |= ids.insert(*q);
                }
                if let Some((key, _, needle)) = &f.session {
                    if !self.process_index.contains_key(key) {
                        self.process_index.insert(key.clone(), self.processes.len());
                        self.processes.push(Process {
                            needle: needle.clone(),
                            spans: Vec::new(),
                            wake: None,
                            last: None,
                        });
                        grew = true;
                    }
                }
            }
            // The sessions those messages came by, once all their lines are known: each one
            // from its connect to its disconnect, within a stretch where every line of the
            // process is known (the lines outside are searched for where they may belong to
            // the answer, see below). A session holding the query (its client, or the
            // sender=/recipient= lines of the seed) may hand it to any message it accepted.
            let mut runs: HashMap<(usize, usize), Vec<At>> = HashMap::default();
            let mut done: Vec<Vec<At>> = Vec::new();
            for (at, hit) in &self.hits {
                let Some((key, step, _)) = &hit.facts.session else {
                    continue;
                };
                let Some(&i) = self.process_index.get(key) else {
                    continue;
                };
                let Some(span) = self.processes.get(i).and_then(|p| p.span_of(*at)) else {
                    continue;
                };
                let run = runs.entry((i, span)).or_default();
                if *step == SessionStep::Connect && !run.is_empty() {
                    // Lines after a disconnect (or before the first connect known) are a
                    // session of their own.
                    done.push(std::mem::take(run));
                }
                run.push(*at);
                if *step == SessionStep::Disconnect {
                    done.push(std::mem::take(run));
                }
            }
            done.extend(runs.into_values());
            for run in done {
                grew |= take_session(&mut self.hits, &mut self.ids, &run);
            }
            if !grew {
                return self.wider_sessions();
            }
        }
    }

    /// The processes whose lines outside the stretches they were searched in can belong to
    /// the answer, each with the end of the last such gap: those with a line there about a
    /// message of the answer or naming the query, and those whose session open at the start
    /// of a stretch (the lines from it up to the first connect or disconnect) holds one. Every
    /// other session in a gap has none (once every queue ID is searched for everywhere), so
    /// none of its lines is selected.
    fn wider_sessions(&self) -> Vec<(usize, At)> {
        let mut wider: Vec<Option<At>> = vec![None; self.processes.len()];
        // Per process: the stretch whose open session is being read, and whether it is read.
        let mut open: Vec<(Option<usize>, bool)> = vec![(None, false); self.processes.len()];
        for (at, hit) in &self.hits {
            let Some((key, step, _)) = &hit.facts.session else {
                continue;
            };
            let Some(&i) = self.process_index.get(key) else {
                continue;
            };
            let (Some(p), Some(need), Some(open)) =
                (self.processes.get(i), wider.get_mut(i), open.get_mut(i))
            else {
                continue;
            };
            if p.spans.is_empty() {
                continue;
            }
            let named = names(&hit.facts, &self.ids);
            let Some(span) = p.span_of(*at) else {
                if named {
                    // Before the next stretch.
                    let to = p
                        .spans
                        .iter()
                        .map(|&(from, _)| from)
                        .find(|&from| from > *at)
                        .unwrap_or(END);
                    *need = (*need).max(Some(to));
                }
                continue;
            };
            let from = p.spans.get(span).map_or(START, |&(from, _)| from);
            if open.0 != Some(span) {
                *open = (Some(span), from == START);
            }
            if open.1 || *step == SessionStep::Connect {
                open.1 = true;
                continue;
            }
            if named {
                *need = (*need).max(Some(from));
            }
            open.1 = *step == SessionStep::Disconnect;
        }
        wider
            .into_iter()
            .enumerate()
            .filter_map(|(i, need)| need.map(|to| (i, to)))
            .collect()
    }

    fn into_selection(self) -> Selection {
        let mut sources: Vec<Vec<Mark>> = self.marks;
        let mut selected: Vec<Vec<Mark>> = sources.iter().map(|_| Vec::new()).collect();
        for ((index, number), hit) in self.hits {
            if let (true, Some(lines)) = (hit.selected, selected.get_mut(index)) {
                lines.push(Mark::Line {
                    number,
                    raw: hit.raw,
                });
            }
        }
        for (marks, lines) in sources.iter_mut().zip(selected) {
            // A selected line is read whole: its own clock and tick marks go.
            let taken: HashSet<u64> = lines.iter().map(Mark::number).collect();
            marks.retain(|m| !taken.contains(&m.number()));
            marks.extend(lines);
            marks.sort_by_key(Mark::number);
        }
        Selection { sources }
    }
}

/// Whether a line is about a message of the answer or names the query.
fn names(f: &Facts, ids: &HashSet<QueueId>) -> bool {
    f.query || f.own.iter().chain(&f.linked).any(|q| ids.contains(q))
}

/// One session's lines (a run from a connect, or from the first line known): selected when one
/// of them is about a message of the answer or names the query. Returns whether `ids` grew.
fn take_session(hits: &mut BTreeMap<At, Hit>, ids: &mut HashSet<QueueId>, run: &[At]) -> bool {
    let mut anchored = false;
    let mut names_query = false;
    for at in run {
        if let Some(hit) = hits.get(at) {
            anchored |= names(&hit.facts, ids);
            names_query |= hit.facts.query;
        }
    }
    if !anchored {
        return false;
    }
    let mut grew = false;
    for at in run {
        if let Some(hit) = hits.get_mut(at) {
            hit.selected = true;
            if names_query && hit.facts.accepted {
                for q in hit.facts.own.iter().chain(&hit.facts.linked) {
                    grew |= ids.insert(*q);
                }
            }
        }
    }
    grew
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Queries taken from a log's lines: the queue IDs, the addresses in `<>`, the clients'
    /// IPs in `[]`.
    fn queries(log: &[u8]) -> Vec<String> {
        let mut found = std::collections::BTreeSet::new();
        for line in log.split(|&b| b == b'\n') {
            let text = String::from_utf8_lossy(line);
            if let Some((_, rest)) = text.split_once("]: ") {
                if let Some((id, _)) = rest.split_once(':') {
                    if id.len() >= 10 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        found.insert(id.to_string());
                    }
                }
            }
            for (open, close) in [('<', '>'), ('[', ']')] {
                for part in text.split(open).skip(1) {
                    if let Some((inner, _)) = part.split_once(close) {
                        if inner.len() >= 3 && !inner.contains(' ') {
                            found.insert(inner.to_string());
                        }
                    }
                }
            }
        }
        found.into_iter().collect()
    }

    #[test]
    fn the_selection_does_not_depend_on_pieces_or_lookback() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let logs = [
            "examples/postlogd.log",
            "examples/syslog-traditional.log",
            "examples/syslog-rfc3339.log",
            "tests/fixtures/report-two-hosts.log",
            // One smtpd process serving 300 sessions in turn, messages re-injected through a
            // second one, deferred ones delivered many sessions later: a process searched for
            // only within the sessions the answer needs, across pieces and look-backs.
            "tests/fixtures/busy-smtpd.log",
        ];
        let time = TimeSettings::default();
        let small = [
            Limits {
                piece: 700,
                lookback: 0,
            },
            Limits {
                piece: 300,
                lookback: 2_000,
            },
            Limits {
                piece: 4_000,
                lookback: 9_000,
            },
        ];
        let mut compared = 0;
        let mut selected = 0;
        for log in logs {
            let path = root.join(log);
            let bytes = std::fs::read(&path).expect("sample log");
            let (sources, errors) = crate::input::sources_from_args(&[path]);
            assert!(errors.is_empty(), "{errors:?}");
            // Every twentieth query: each is four full selections, three in small pieces; every
            // third took four minutes in a debug build.
            for q in queries(&bytes).iter().step_by(20) {
                let query = Query::new(q);
                let whole = select_within(&sources, &query, &[], &time, Limits::DEFAULT)
                    .map(|s| format!("{:?}", s.sources));
                for limits in small {
                    let cut = select_within(&sources, &query, &[], &time, limits)
                        .map(|s| format!("{:?}", s.sources));
                    assert_eq!(cut, whole, "{log}: {q} with {limits:?}");
                    selected += usize::from(whole.as_ref().is_some_and(|w| w.contains("Line")));
                    compared += 1;
                }
            }
        }
        assert!(compared > 40, "only {compared} compared");
        assert!(
            selected * 2 > compared,
            "only {selected} of {compared} selected lines"
        );
    }

    #[test]
    fn pieces_are_whole_lines() {
        let block = b"aaaa\nbb\ncccccccc\nd\n";
        let cut: Vec<&[u8]> = pieces(block, 6).map(|r| &block[r]).collect();
        assert_eq!(
            cut,
            [&b"aaaa\n"[..], b"bb\n", b"cccccccc\n", b"d\n"],
            "a line longer than a piece stands alone"
        );
        assert_eq!(pieces(block, usize::MAX).count(), 1);
        let short = b"x\ny";
        let cut: Vec<&[u8]> = pieces(short, 2).map(|r| &short[r]).collect();
        assert_eq!(cut, [&b"x\n"[..], b"y"]);
    }
}
