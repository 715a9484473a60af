//! `mailtrail trace QUERY`: the messages a queue ID, Message-ID, address or client names,
//! with the messages linked to them, told from first line to verdict.

use super::{report_unparsed, run_pipeline, write_out, Context, FilterArgs, Finished, InputArgs};
use crate::correlate::Message;
use crate::output::{json, text};
use crate::parse::queue_id::QueueId;
use crate::pipeline::Sink;
use crate::select::{Filters, Query};
use clap::Args;
use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::ops::ControlFlow;
use std::rc::Rc;

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// A queue ID, a Message-ID (with or without <>), an e-mail address, or a client IP or
    /// hostname.
    #[arg(value_name = "QUERY")]
    query: String,
    /// Do not follow linked messages (re-injection, notifications, forwards, requeues).
    #[arg(long)]
    no_follow: bool,
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

/// How long (log time) messages that did not match are remembered, in case a matching
/// message links to them later.
const RECENT_SECS: i64 = 2 * crate::correlate::tracker::DEFAULT_LINGER_SECS;
/// And at most how many.
const RECENT_MAX: usize = 200_000;

type Key = (Rc<str>, QueueId);

struct Tracer {
    query: Query,
    filters: Filters,
    follow: bool,
    recent: VecDeque<Message>,
    /// Link targets not seen yet, with the queue ID that named them.
    wanted: HashMap<Key, QueueId>,
    found: Vec<Message>,
}

impl Tracer {
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
        self.found.push(m);
        let Some(own) = own else { return };
        for key in links {
            let linked_back = |c: &Message| c.links.iter().any(|l| l.queue_id == own);
            match self
                .recent
                .iter()
                .position(|c| c.queue_id == Some(key.1) && c.host == key.0 && linked_back(c))
            {
                Some(pos) => {
                    if let Some(c) = self.recent.remove(pos) {
                        self.take(c);
                    }
                }
                None => {
                    self.wanted.insert(key, own);
                }
            }
        }
    }

    fn remember(&mut self, m: Message) {
        let newest = m.last_seen.secs;
        self.recent.push_back(m);
        while self
            .recent
            .front()
            .is_some_and(|f| f.last_seen.secs < newest - RECENT_SECS)
            || self.recent.len() > RECENT_MAX
        {
            self.recent.pop_front();
        }
    }
}

impl Sink for Tracer {
    fn message(&mut self, m: Message) -> ControlFlow<()> {
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
}

pub fn run(
    args: &TraceArgs,
    ctx: &Context,
    out: &mut dyn Write,
) -> Result<Finished, super::Failure> {
    let filters = args.filters.filters(&ctx.zone)?;
    let mut tracer = Tracer {
        query: Query::new(&args.query),
        filters,
        follow: !args.no_follow,
        recent: VecDeque::new(),
        wanted: HashMap::new(),
        found: Vec::new(),
    };
    let (outcome, errors) = run_pipeline(&args.input, ctx, &mut tracer);
    let mut found = tracer.found;
    // The same message can be reached twice (matched, and linked from another match).
    found.sort_by(|a, b| {
        (a.first_seen, &a.host, a.queue_id).cmp(&(b.first_seen, &b.host, b.queue_id))
    });
    found.dedup_by(|a, b| {
        a.queue_id.is_some()
            && a.queue_id == b.queue_id
            && a.host == b.host
            && a.first_seen == b.first_seen
    });
    let explainer = args
        .explain
        .then(|| super::explain::TraceExplainer::new(&args.lang, ctx));
    for (i, m) in found.iter().enumerate() {
        if let Some(x) = &explainer {
            let text = match args.json {
                true => x.json(m, args.raw) + "\n",
                false if i > 0 => "\n".to_string() + &x.text(m, &ctx.style, args.raw),
                false => x.text(m, &ctx.style, args.raw),
            };
            write_out(out, &text)?;
        } else if args.json {
            write_out(out, &(json::message(m) + "\n"))?;
        } else {
            if i > 0 {
                write_out(out, "\n")?;
            }
            write_out(out, &text::trace(m, &ctx.style))?;
        }
    }
    report_unparsed(&outcome);
    Ok(Finished {
        matched: !found.is_empty(),
        errors,
    })
}
