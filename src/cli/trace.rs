//! `mailtrail trace QUERY`: the messages a queue ID, Message-ID, address or client names,
//! with the messages linked to them, told from first line to verdict.

use super::{
    report_unparsed, run_pipeline_for, write_out, Context, FilterArgs, Finished, InputArgs,
};
use crate::correlate::{Message, Tracker};
use crate::output::{json, text};
use crate::parse::queue_id::QueueId;
use crate::pipeline::{LogTime, Sink};
use crate::select::{Filters, Query};
use crate::time::Stamp;
use clap::Args;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// A queue ID, a Message-ID (with or without <>), an e-mail address, or a client IP or
    /// hostname.
    #[arg(value_name = "QUERY")]
    query: String,
    /// Do not follow linked messages (re-injection, notifications, forwards, requeues).
    #[arg(long)]
    no_follow: bool,
    /// Parse and correlate every line instead of only those that can belong to the answer
    /// (slower; the output is the same — a check of the prefilter).
    #[arg(long)]
    no_prefilter: bool,
    /// Add each message's original log lines, in order, with FILE:LINE.
    #[arg(long)]
    pub raw: bool,
    /// One JSON object per message per line (schema: docs/json.md).
    #[arg(long)]
    json: bool,
    /// Show each message's log lines with what each one means, and the verdict at the end
    /// (with --json: `lines: [{raw, explanation}]`).
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    lang: super::explain::LangArg,
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    input: InputArgs,
}

/// How long (log time, by the tracker's clock) messages that did not match are remembered, in
/// case a matching message links to them later. They reach us a linger after their end.
const RECENT_SECS: i64 = 3 * crate::correlate::tracker::DEFAULT_LINGER_SECS;
/// And at most how many.
const RECENT_MAX: usize = 200_000;
/// Link targets waited for, at most (the oldest are given up first).
const WANTED_MAX: usize = 100_000;
/// How far back (log time) a line may be logged before the latest one: a message that starts
/// later than this behind the log's clock could sort before messages already printed.
const SKEW_SECS: i64 = crate::correlate::tracker::DEFAULT_LINGER_SECS;
/// Found messages held before the first look at what may still sort before them.
const CHECK_EVERY: usize = 1024;

type Key = (Arc<str>, QueueId);
/// Where a message prints: by first line, host and queue ID; the last part keeps equal ones
/// in the order they were found.
type Place = (Stamp, Arc<str>, Option<QueueId>, u64);

/// Writes found messages in the chosen format, separated as the format wants.
struct Printer<'a> {
    out: &'a mut dyn Write,
    ctx: &'a Context,
    json: bool,
    raw: bool,
    explainer: Option<super::explain::TraceExplainer>,
    printed: usize,
}

impl Printer<'_> {
    fn print(&mut self, m: &Message) -> io::Result<()> {
        let first = self.printed == 0;
        self.printed += 1;
        if let Some(x) = &self.explainer {
            let text = match self.json {
                true => x.json(m, self.raw) + "\n",
                false if !first => "\n".to_string() + &x.text(m, &self.ctx.style, self.raw),
                false => x.text(m, &self.ctx.style, self.raw),
            };
            write_out(self.out, &text)
        } else if self.json {
            write_out(self.out, &(json::message(m) + "\n"))
        } else {
            if !first {
                write_out(self.out, "\n")?;
            }
            write_out(self.out, &text::trace(m, &self.ctx.style))
        }
    }
}

/// Picks the messages to show and prints them in order of first sighting as soon as nothing
/// still to come can sort before them, so that memory does not grow with the answer.
struct Tracer<'a> {
    query: Query,
    filters: Filters,
    follow: bool,
    /// Messages that did not match but link to others, in case a match links back later.
    recent: VecDeque<Message>,
    /// Link targets not seen yet, with the queue ID that named them.
    wanted: HashMap<Key, QueueId>,
    wanted_order: VecDeque<Key>,
    /// Found messages not printed yet.
    held: BTreeMap<Place, Message>,
    found: u64,
    /// The place of the last message printed.
    last_printed: Option<(Stamp, Arc<str>, Option<QueueId>)>,
    /// Held messages at which to look again at what may still sort before them.
    next_check: usize,
    /// The tracker's log time when the current message was handed on.
    now: i64,
    printer: Printer<'a>,
    failed: Option<io::Error>,
}

impl Tracer<'_> {
    /// Keeps a message, and pulls in (or waits for) the messages it links to.
    fn take(&mut self, m: Message) {
        let own = m.queue_id;
        let links: Vec<Key> = match own {
            Some(own) if self.follow => m
                .links
                .iter()
                .map(|l| (l.host.clone().unwrap_or_else(|| m.host.clone()), l.queue_id))
                .filter(|(host, q)| !(*q == own && *host == m.host))
                .collect(),
            _ => Vec::new(),
        };
        self.hold(m);
        let Some(own) = own else { return };
        let horizon = self.now.saturating_sub(RECENT_SECS);
        for key in links {
            let linked_back = |c: &Message| c.links.iter().any(|l| l.queue_id == own);
            match self.recent.iter().position(|c| {
                c.queue_id == Some(key.1)
                    && c.host == key.0
                    && c.last_seen.secs >= horizon
                    && linked_back(c)
            }) {
                Some(pos) => {
                    if let Some(c) = self.recent.remove(pos) {
                        self.take(c);
                    }
                }
                None => {
                    self.wanted_order.push_back(key.clone());
                    self.wanted.insert(key, own);
                    while self.wanted.len() > WANTED_MAX {
                        match self.wanted_order.pop_front() {
                            Some(old) => {
                                self.wanted.remove(&old);
                            }
                            None => break,
                        }
                    }
                }
            }
        }
    }

    /// A found message waits for its turn. The same message can be reached twice (matched,
    /// and linked from another match): it is printed once.
    fn hold(&mut self, m: Message) {
        let (first_seen, host, queue_id) = (m.first_seen, m.host.clone(), m.queue_id);
        if queue_id.is_some() {
            let printed = self
                .last_printed
                .as_ref()
                .is_some_and(|(t, h, q)| *t == first_seen && *h == host && *q == queue_id);
            let from = (first_seen, host.clone(), queue_id, 0);
            let to = (first_seen, host.clone(), queue_id, u64::MAX);
            if printed || self.held.range(from..=to).next().is_some() {
                return;
            }
        }
        self.found += 1;
        self.held
            .insert((first_seen, host, queue_id, self.found), m);
    }

    /// Prints the held messages that sort before `before` (all of them with `None`).
    fn release(&mut self, before: Option<Stamp>) -> io::Result<()> {
        while let Some(entry) = self.held.first_entry() {
            if before.is_some_and(|b| entry.key().0 >= b) {
                break;
            }
            let ((t, host, q, _), m) = entry.remove_entry();
            self.printer.print(&m)?;
            self.last_printed = Some((t, host, q));
        }
        Ok(())
    }

    fn remember(&mut self, m: Message) {
        // Only a message with links can be pulled in by another.
        if m.links.is_empty() {
            return;
        }
        self.recent.push_back(m);
        let horizon = self.now.saturating_sub(RECENT_SECS);
        while self
            .recent
            .front()
            .is_some_and(|f| f.last_seen.secs < horizon)
            || self.recent.len() > RECENT_MAX
        {
            self.recent.pop_front();
        }
    }
}

impl Sink for Tracer<'_> {
    fn message_at(&mut self, m: Message, now: LogTime) -> ControlFlow<()> {
        self.now = now.secs;
        self.message(m)
    }

    fn message(&mut self, m: Message) -> ControlFlow<()> {
        if self.failed.is_some() {
            return ControlFlow::Break(());
        }
        if self.query.matches(&m) && self.filters.matches(&m) {
            self.take(m);
            return ControlFlow::Continue(());
        }
        if let Some(q) = m.queue_id {
            let key = (m.host.clone(), q);
            if let Some(&source) = self.wanted.get(&key) {
                if m.links.iter().any(|l| l.queue_id == source) {
                    self.wanted.remove(&key);
                    self.take(m);
                    return ControlFlow::Continue(());
                }
            }
        }
        if self.follow {
            self.remember(m);
        }
        ControlFlow::Continue(())
    }

    fn caught_up(&mut self, tracker: &Tracker) -> ControlFlow<()> {
        if self.held.len() < self.next_check {
            return ControlFlow::Continue(());
        }
        // What may still be found sorts no earlier than the oldest message in flight, the
        // oldest one remembered, or a line logged a little behind the latest.
        let mut before = Stamp {
            secs: tracker.now().saturating_sub(SKEW_SECS),
            ..Stamp::default()
        };
        let in_flight = tracker.oldest_in_flight();
        let remembered = self.recent.iter().map(|m| m.first_seen).min();
        for t in [in_flight, remembered].into_iter().flatten() {
            before = before.min(t);
        }
        if let Err(e) = self.release(Some(before)) {
            self.failed = Some(e);
            return ControlFlow::Break(());
        }
        // Looking costs a scan of what is in flight: look again after as many more.
        self.next_check =
            self.held.len() + CHECK_EVERY.max((tracker.in_flight() + self.recent.len()) / 2);
        ControlFlow::Continue(())
    }
}

pub fn run(
    args: &TraceArgs,
    ctx: &Context,
    out: &mut dyn Write,
) -> Result<Finished, super::Failure> {
    let filters = args.filters.filters(&ctx.zone)?;
    let query = Query::new(&args.query);
    let prefilter = (!args.no_prefilter).then(|| query.clone());
    let mut tracer = Tracer {
        query,
        filters,
        follow: !args.no_follow,
        recent: VecDeque::new(),
        wanted: HashMap::new(),
        wanted_order: VecDeque::new(),
        held: BTreeMap::new(),
        found: 0,
        last_printed: None,
        next_check: CHECK_EVERY,
        now: i64::MIN,
        printer: Printer {
            out,
            ctx,
            json: args.json,
            raw: args.raw,
            explainer: args
                .explain
                .then(|| super::explain::TraceExplainer::new(&args.lang, ctx)),
            printed: 0,
        },
        failed: None,
    };
    let (outcome, errors) = run_pipeline_for(&args.input, ctx, &mut tracer, prefilter.as_ref());
    if let Some(e) = tracer.failed.take() {
        return Err(e.into());
    }
    tracer.release(None)?;
    report_unparsed(&outcome);
    Ok(Finished {
        matched: tracer.printer.printed > 0,
        errors,
    })
}
