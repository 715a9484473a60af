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
//! becomes a needle in turn. Needles found late are searched for in another pass over the whole
//! input (so that lines *before* the line that revealed them, in any file, are found too), until
//! a pass finds nothing new: the selection is closed, whatever the distance between lines.
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
use crate::parse::queue_id::QueueId;
use crate::parse::{LineParser, Parsed};
use crate::select::Query;
use crate::time::{Clock, TimeSettings};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::BTreeMap;

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
/// made faster by a prefilter (and each one taken in rebuilds the searcher).
const MAX_NEEDLES: usize = 512;

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

struct Search<'a> {
    sources: &'a [Source],
    parser: LineParser,
    time: &'a TimeSettings,
    query: Finder,
    hits: BTreeMap<At, Hit>,
    hit_bytes: usize,
    marks: Vec<Vec<Mark>>,
    ids: HashSet<QueueId>,
    sessions: HashMap<SessionKey, Vec<u8>>,
    /// Needles every line has been searched for.
    searched_ids: HashSet<QueueId>,
    searched_sessions: HashSet<SessionKey>,
}

/// The lines `query` can need, or `None` where the prefilter cannot be sure or would not win.
pub fn select(
    sources: &[Source],
    query: &Query,
    syslog_names: &[String],
    time: &TimeSettings,
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
        parser: LineParser::new(syslog_names),
        time,
        query,
        hits: BTreeMap::new(),
        hit_bytes: 0,
        marks: Vec::new(),
        ids: HashSet::default(),
        sessions: HashMap::default(),
        searched_ids: HashSet::default(),
        searched_sessions: HashSet::default(),
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

/// Case variants a case-insensitive search is spelt out into at most: a few dozen exact
/// patterns are searched with SIMD (Teddy), far faster than a case-folding automaton.
const MAX_VARIANTS: usize = 64;

/// Finds the next of several patterns: `memmem` for one, SIMD (Teddy) for a few dozen, an
/// automaton beyond.
enum Finder {
    /// Candidates from `prefixes`, kept where one of `needles` stands whole (ignoring case).
    Verified {
        prefixes: Box<Finder>,
        needles: Vec<Vec<u8>>,
    },
    One(memchr::memmem::Finder<'static>),
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Finder {
    /// The start of the next match at or after `from`.
    fn find(&self, haystack: &[u8], from: usize) -> Option<usize> {
        let span = from.min(haystack.len())..haystack.len();
        match self {
            Finder::Verified { prefixes, needles } => {
                let mut from = span.start;
                loop {
                    let at = prefixes.find(haystack, from)?;
                    let here = haystack.get(at..).unwrap_or_default();
                    let whole = |n: &Vec<u8>| {
                        here.get(..n.len())
                            .is_some_and(|w| w.eq_ignore_ascii_case(n))
                    };
                    if needles.iter().any(whole) {
                        return Some(at);
                    }
                    from = at + 1;
                }
            }
            Finder::One(f) => haystack
                .get(span.start..)
                .and_then(|h| f.find(h))
                .map(|i| i + span.start),
            Finder::Packed(s) => s.find_in(haystack, span.into()).map(|m| m.start()),
            Finder::Automaton(a) => a.find(Input::new(haystack).span(span)).map(|m| m.start()),
        }
    }

    fn is_match(&self, haystack: &[u8]) -> bool {
        self.find(haystack, 0).is_some()
    }

    fn new(patterns: Vec<Vec<u8>>, ignore_case: bool) -> Option<Finder> {
        if let (false, [one]) = (ignore_case, patterns.as_slice()) {
            return Some(Finder::One(memchr::memmem::Finder::new(one).into_owned()));
        }
        if !ignore_case && patterns.len() <= MAX_VARIANTS {
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
    if !ignore_case {
        return Finder::new(needles.to_vec(), false);
    }
    // Each needle's longest beginning with few enough letters for its case variants to stay
    // within the budget; a match of a variant is a candidate, checked whole.
    let letters_each = (MAX_VARIANTS / needles.len().max(1)).max(1).ilog2() as usize;
    let mut variants: Vec<Vec<u8>> = Vec::new();
    let mut whole = true;
    for needle in needles {
        let letters: Vec<usize> = (0..needle.len())
            .filter(|&i| needle.get(i).is_some_and(u8::is_ascii_alphabetic))
            .collect();
        let len = letters.get(letters_each).copied().unwrap_or(needle.len());
        if len < 3 {
            return Finder::new(needles.to_vec(), true);
        }
        whole &= len == needle.len();
        let prefix = needle.get(..len).unwrap_or_default().to_ascii_lowercase();
        let letters: Vec<usize> = letters.into_iter().take_while(|&i| i < len).collect();
        for mask in 0..1usize << letters.len() {
            let mut v = prefix.clone();
            for (bit, &i) in letters.iter().enumerate() {
                if mask & (1 << bit) != 0 {
                    if let Some(b) = v.get_mut(i) {
                        b.make_ascii_uppercase();
                    }
                }
            }
            variants.push(v);
        }
    }
    let prefixes = Finder::new(variants, false)?;
    if whole {
        return Some(prefixes);
    }
    Some(Finder::Verified {
        prefixes: Box::new(prefixes),
        needles: needles.to_vec(),
    })
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
        // The first pass takes in needles as it finds them and searches on for them from
        // there: it leaves the input before the last one found to search for them.
        if let Some(stop) = self.first_pass()? {
            self.search_unsearched(Some(stop))?;
        }
        for _ in 0..MAX_PASSES {
            self.close();
            if !self.search_unsearched(None)? {
                return Ok(());
            }
        }
        Err(GiveUp)
    }

    /// Searches the input (up to the line `stop`) for the needles not searched for yet.
    /// Returns whether there were any.
    fn search_unsearched(&mut self, stop: Option<At>) -> Result<bool, GiveUp> {
        let ids: Vec<QueueId> = self.ids.difference(&self.searched_ids).copied().collect();
        let sessions: Vec<SessionKey> = self
            .sessions
            .keys()
            .filter(|k| !self.searched_sessions.contains(*k))
            .cloned()
            .collect();
        if ids.is_empty() && sessions.is_empty() {
            return Ok(false);
        }
        if self.ids.len() + self.sessions.len() > MAX_NEEDLES {
            return Err(GiveUp);
        }
        let mut needles: Vec<Vec<u8>> = ids.iter().map(|q| q.as_bytes().to_vec()).collect();
        needles.extend(
            sessions
                .iter()
                .filter_map(|k| self.sessions.get(k).cloned()),
        );
        let finder = searcher(&needles, false).ok_or(GiveUp)?;
        self.pass(&finder, stop)?;
        self.searched_ids.extend(ids);
        self.searched_sessions.extend(sessions);
        Ok(true)
    }

    /// A searcher for every queue ID and process taken in so far.
    fn discovered(&self) -> Result<Finder, GiveUp> {
        if self.ids.len() + self.sessions.len() > MAX_NEEDLES {
            return Err(GiveUp);
        }
        let mut needles: Vec<Vec<u8>> = self.ids.iter().map(|q| q.as_bytes().to_vec()).collect();
        needles.extend(self.sessions.values().cloned());
        searcher(&needles, false).ok_or(GiveUp)
    }

    /// Takes in what the line at `at` names if it names the query or a message taken in
    /// already. Returns whether a needle was added.
    fn grow(&mut self, at: At) -> bool {
        let Some(hit) = self.hits.get(&at) else {
            return false;
        };
        let f = &hit.facts;
        let named = f.own.iter().chain(&f.linked).any(|q| self.ids.contains(q));
        if !(f.query || named) {
            return false;
        }
        let mut grew = false;
        for q in f.own.iter().chain(&f.linked) {
            grew |= self.ids.insert(*q);
        }
        if let Some((key, _, needle)) = &f.session {
            if !self.sessions.contains_key(key) {
                self.sessions.insert(key.clone(), needle.clone());
                grew = true;
            }
        }
        grew
    }

    /// Every line for the query, and for what the lines found name from there on, with the
    /// clock and the log time kept up line by line. Returns the line where the last needle
    /// was taken in.
    fn first_pass(&mut self) -> Result<Option<At>, GiveUp> {
        let mut frontier = None;
        let mut discovered: Option<Finder> = None;
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
            while let Some(block) = reader.next_block().map_err(|_| GiveUp)? {
                let next = |query: &Finder, discovered: &Option<Finder>, from: usize| {
                    let q = query.find(block, from);
                    let d = discovered.as_ref().and_then(|d| d.find(block, from));
                    q.into_iter().chain(d).min()
                };
                let mut next_hit = next(&self.query, &discovered, 0);
                let mut at = 0;
                while at < block.len() {
                    let end = memchr::memchr(b'\n', block.get(at..).unwrap_or_default())
                        .map_or(block.len(), |i| at + i);
                    number += 1;
                    let line = block.get(at..line_end(block, at, end)).unwrap_or_default();
                    let same_stamp = understood && !stamp.is_empty() && line.starts_with(&stamp);
                    // A line cut inside its envelope has no `:` after the stamp: it is not a
                    // syslog line, and a full read counts and reports it.
                    if same_stamp
                        && memchr::memchr(b':', line.get(stamp.len()..).unwrap_or_default())
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
                            let host_at = envelope.host.as_ptr() as usize - line.as_ptr() as usize;
                            stamp.clear();
                            stamp.extend_from_slice(line.get(..host_at).unwrap_or_default());
                            understood = event.is_some() && time.is_some();
                            // The clock changes its year only when the month changes.
                            let m = match envelope.stamp {
                                RawStamp::Syslog { month, .. } | RawStamp::Full { month, .. } => {
                                    month
                                }
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
                    if next_hit.is_some_and(|h| h <= end) {
                        self.add_hit((index, number), line)?;
                        if self.grow((index, number)) {
                            discovered = Some(self.discovered()?);
                            frontier = Some((index, number));
                        }
                        next_hit = next(&self.query, &discovered, end);
                    }
                    at = end + 1;
                }
                if marks.len() > MAX_MARKS {
                    return Err(GiveUp);
                }
            }
            self.marks.push(marks);
        }
        Ok(frontier)
    }

    /// Every line for the needles of `finder`, up to the block holding the line `stop`.
    fn pass(&mut self, finder: &Finder, stop: Option<At>) -> Result<(), GiveUp> {
        for (index, source) in self.sources.iter().enumerate() {
            if stop.is_some_and(|(i, _)| index > i) {
                break;
            }
            let mut reader = source.open().map_err(|_| GiveUp)?;
            let mut before = 0u64;
            while let Some(block) = reader.next_block().map_err(|_| GiveUp)? {
                if stop.is_some_and(|(i, n)| index == i && before >= n) {
                    break;
                }
                let mut from = 0;
                let mut counted = 0;
                let mut lines = before;
                while let Some(m) = finder.find(block, from) {
                    let (start, end) = line_around(block, m);
                    lines += newlines(block.get(counted..start).unwrap_or_default());
                    counted = start;
                    let line = block
                        .get(start..line_end(block, start, end))
                        .unwrap_or_default();
                    self.add_hit((index, lines + 1), line)?;
                    from = (end + 1).min(block.len());
                }
                before = lines + newlines(block.get(counted..).unwrap_or_default());
            }
        }
        Ok(())
    }

    fn add_hit(&mut self, at: At, line: &[u8]) -> Result<(), GiveUp> {
        if self.hits.contains_key(&at) {
            return Ok(());
        }
        self.hit_bytes += line.len() + 64;
        if self.hit_bytes > MAX_HIT_BYTES {
            return Err(GiveUp);
        }
        let facts = self.facts(line);
        self.hits.insert(
            at,
            Hit {
                raw: line.to_vec(),
                facts,
                selected: false,
            },
        );
        Ok(())
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
    /// nothing changes.
    fn close(&mut self) {
        loop {
            let mut grew = false;
            let ids = &mut self.ids;
            let sessions = &mut self.sessions;
            // A line about a message of the answer, or naming the query.
            for hit in self.hits.values_mut() {
                let f = &hit.facts;
                let named = f.own.iter().chain(&f.linked).any(|q| ids.contains(q));
                if !(f.query || named) {
                    continue;
                }
                hit.selected = true;
                for q in f.own.iter().chain(&f.linked) {
                    grew |= ids.insert(*q);
                }
                if let Some((key, _, needle)) = &f.session {
                    if !sessions.contains_key(key) {
                        sessions.insert(key.clone(), needle.clone());
                        grew = true;
                    }
                }
            }
            // The sessions those messages came by, once all their lines are known: each one
            // from its connect to its disconnect. A session holding the query (its client, or
            // the sender=/recipient= lines of the seed) may hand it to any message it accepted.
            let mut runs: HashMap<&SessionKey, Vec<At>> = HashMap::default();
            let mut done: Vec<Vec<At>> = Vec::new();
            for (at, hit) in &self.hits {
                if let Some((key, step, _)) = &hit.facts.session {
                    if self.searched_sessions.contains(key) {
                        let run = runs.entry(key).or_default();
                        if *step == SessionStep::Connect && !run.is_empty() {
                            // Lines after a disconnect (or before the first connect known)
                            // are a session of their own.
                            done.push(std::mem::take(run));
                        }
                        run.push(*at);
                        if *step == SessionStep::Disconnect {
                            done.push(std::mem::take(run));
                        }
                    }
                }
            }
            done.extend(runs.into_values());
            for run in done {
                grew |= take_session(&mut self.hits, ids, &run);
            }
            if !grew {
                return;
            }
        }
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

/// One session's lines (a run from a connect, or from the first line known): selected when one
/// of them is about a message of the answer or names the query. Returns whether `ids` grew.
fn take_session(hits: &mut BTreeMap<At, Hit>, ids: &mut HashSet<QueueId>, run: &[At]) -> bool {
    let mut anchored = false;
    let mut names_query = false;
    for at in run {
        if let Some(hit) = hits.get(at) {
            let f = &hit.facts;
            anchored |= f.query || f.own.iter().chain(&f.linked).any(|q| ids.contains(q));
            names_query |= f.query;
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
