//! `mailtrail follow`: watch the log as Postfix writes it. One line per message when its life
//! ends, one `problem` line per deferral, bounce, expiry or reject as it is logged, and, with
//! `--metrics`, a Prometheus endpoint.

use super::{write_out, Context, FilterArgs, Finished, UsageError};
use crate::correlate::{Message, Peer, RecipientStatus, Text, TrackerConfig};
use crate::event::{DeliveryStatus, Event};
use crate::input::follow::{FileFollower, Follower, PipeFollower, Start};
use crate::input::{self, InputError, SourceKind};
use crate::live::{self, state, LiveOptions, LiveSink, LiveStatus, Stop};
use crate::metrics::{self, Metrics};
use crate::output::{json, text, Style};
use crate::parse::queue_id::QueueId;
use crate::parse::Parsed;
use crate::pipeline::{LineView, Options, Sink};
use crate::select::Filters;
use crate::text::{owned, terminal};
use crate::time::Stamp;
use clap::Args;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct FollowArgs {
    #[command(flatten)]
    filters: FilterArgs,
    /// Read the file from its start before following it (default: from its end). --since
    /// reads from the start too, and shows what is logged from TIME on.
    #[arg(long)]
    from_start: bool,
    /// One JSON object per line: each message as in `messages --json` with "type":"message",
    /// each problem with "type":"problem" (schema: docs/json.md).
    #[arg(long)]
    json: bool,
    /// Print no messages or problems (to serve --metrics only).
    #[arg(long, short)]
    quiet: bool,
    /// Remember in FILE where following stopped (the file's identity and offset) and the
    /// messages then in flight, and go on from there at the next start: nothing is lost or
    /// shown twice. Saved every few seconds and on SIGTERM/SIGINT. A saved position wins
    /// over --from-start and --since.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Forget messages in flight that had no line for this long (log time), so that memory
    /// stays bounded; they are counted (metric mailtrail_messages_dropped_total).
    /// Like 5d, 12h, 30m, 90s.
    #[arg(long, value_name = "AGE", default_value = "5d")]
    max_age: String,
    /// Serve Prometheus metrics on ADDR: /metrics and /healthz. HOST:PORT, or :PORT (or PORT)
    /// for 127.0.0.1; port 0 picks a free one (the address is told on stderr). Names and
    /// labels: docs/metrics.md.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,
    /// Recipient domains that get a metrics label of their own; the rest count as "other".
    #[arg(long, value_name = "N", default_value_t = metrics::DEFAULT_MAX_DOMAINS)]
    metrics_domains: usize,
    /// How long (log time, seconds) a finished message waits for late lines before it is shown.
    #[arg(long, value_name = "SECONDS", default_value_t = live::LINGER_SECS)]
    linger: i64,
    /// How often a quiet file is looked at again, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 250)]
    poll: u64,
    /// The log file to follow, or '-' for standard input (`journalctl -f -o short-iso -u
    /// postfix | mailtrail follow -`). Default: /var/log/maillog or /var/log/mail.log, else
    /// the journal. The file need not exist yet.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

/// `5d`, `12h`, `30m`, `90s`, or plain seconds.
fn parse_age(text: &str) -> Result<i64, UsageError> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => t.split_at(at),
        None => (t, "s"),
    };
    let n: i64 = number
        .parse()
        .map_err(|_| UsageError(format!("--max-age {text}: not an age (like 5d, 12h, 30m)")))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => {
            return Err(UsageError(format!(
                "--max-age {text}: unknown unit '{unit}' (use s, m, h or d)"
            )))
        }
    };
    Ok(n.saturating_mul(scale))
}

/// What a problem line says.
#[derive(Serialize)]
struct ProblemJson<'a> {
    #[serde(rename = "type")]
    kind_of_record: &'static str,
    time: String,
    host: &'a str,
    queue_id: &'a str,
    /// `deferred`, `bounced`, `expired`, `force-expired`, `rejected`.
    kind: &'static str,
    daemon: &'a str,
    from: Option<&'a str>,
    to: Option<&'a str>,
    client: Option<ClientJson<'a>>,
    relay: Option<&'a str>,
    dsn: Option<&'a str>,
    code: Option<u16>,
    action: Option<&'a str>,
    stage: Option<&'a str>,
    reply: &'a str,
}

#[derive(Serialize)]
struct ClientJson<'a> {
    name: &'a str,
    ip: &'a str,
    port: Option<&'a str>,
}

struct Problem {
    time: Stamp,
    host: String,
    queue_id: Option<QueueId>,
    status: RecipientStatus,
    daemon: String,
    from: Option<String>,
    to: Option<String>,
    client: Option<Peer>,
    relay: Option<String>,
    dsn: Option<String>,
    code: Option<u16>,
    action: Option<String>,
    stage: Option<String>,
    reply: String,
}

impl Problem {
    fn kind(&self) -> &'static str {
        self.status.as_str()
    }

    /// A message holding just what the line tells, for the filters.
    fn as_message(&self) -> Message {
        let mut m = Message::new(
            self.queue_id,
            Arc::from(self.host.as_str()),
            Arc::from(""),
            self.time,
        );
        m.from = self.from.as_deref().map(Text::from);
        m.client = self.client.clone();
        let r = m.recipient_mut(self.to.as_deref().unwrap_or(""), None);
        r.status = self.status;
        m
    }

    fn text(&self, style: &Style) -> String {
        let t = |s: &str| terminal(s).into_owned();
        let from = match self.from.as_deref() {
            Some("") => "<>".to_string(),
            Some(f) => t(f),
            None => "?".to_string(),
        };
        let to = self.to.as_deref().map(t).unwrap_or_else(|| "-".to_string());
        let mut why = Vec::new();
        if let Some(a) = &self.action {
            let stage = self
                .stage
                .as_deref()
                .map(|s| format!(" at {}", t(s)))
                .unwrap_or_default();
            why.push(format!("{} by {}{stage}", t(a), t(&self.daemon)));
        } else {
            why.push(t(&self.daemon));
        }
        if let Some(d) = &self.dsn {
            why.push(format!("dsn {}", t(d)));
        }
        if let Some(r) = &self.relay {
            why.push(format!("relay {}", t(r)));
        }
        if let Some(c) = &self.client {
            why.push(format!("client {}", t(&c.display())));
        }
        format!(
            "{}  {:<15}  problem {}  {} → {}  {}: {}",
            self.time.rfc3339(),
            self.queue_id
                .map(|q| q.to_string())
                .unwrap_or_else(|| "NOQUEUE".into()),
            style.status(self.kind(), 13),
            from,
            to,
            style.dim(&why.join(", ")),
            t(&self.reply)
        )
    }

    fn json(&self) -> String {
        let p = ProblemJson {
            kind_of_record: "problem",
            time: self.time.rfc3339(),
            host: &self.host,
            queue_id: self
                .queue_id
                .as_ref()
                .map(QueueId::as_str)
                .unwrap_or("NOQUEUE"),
            kind: self.kind(),
            daemon: &self.daemon,
            from: self.from.as_deref(),
            to: self.to.as_deref(),
            client: self.client.as_ref().map(|c| ClientJson {
                name: &c.name,
                ip: &c.ip,
                port: c.port.as_deref(),
            }),
            relay: self.relay.as_deref(),
            dsn: self.dsn.as_deref(),
            code: self.code,
            action: self.action.as_deref(),
            stage: self.stage.as_deref(),
            reply: &self.reply,
        };
        serde_json::to_string(&p).unwrap_or_default()
    }
}

/// The sender and client of a message in flight, for its problem lines.
#[derive(Default)]
struct Known {
    from: Option<String>,
    client: Option<Peer>,
    last: i64,
}

struct Printer<'a> {
    out: &'a mut dyn Write,
    filters: Filters,
    json: bool,
    style: Style,
    known: HashMap<(String, QueueId), Known>,
    max_age_secs: i64,
    error: Option<io::Error>,
}

impl Printer<'_> {
    fn emit(&mut self, text: String) -> ControlFlow<()> {
        match write_out(self.out, &(text + "\n")) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.error = Some(e);
                ControlFlow::Break(())
            }
        }
    }

    fn known(&mut self, host: &[u8], queue_id: QueueId, time: i64) -> &mut Known {
        let k = self.known.entry((owned(host), queue_id)).or_default();
        k.last = k.last.max(time);
        k
    }

    fn problem(&mut self, line: &LineView<'_>) -> Option<Problem> {
        let Parsed::Postfix {
            envelope,
            event: Some(event),
        } = line.parsed
        else {
            return None;
        };
        let time = line.time?;
        let host = envelope.host;
        let daemon = owned(envelope.program.daemon);
        let lookup = |p: &Self, q: Option<QueueId>| {
            q.and_then(|q| p.known.get(&(owned(host), q)))
                .map(|k| (k.from.clone(), k.client.clone()))
                .unwrap_or_default()
        };
        match *event {
            Event::ClientAccepted {
                queue_id, client, ..
            } => {
                self.known(host, queue_id, time.secs).client = Some(peer(client));
                None
            }
            Event::QueueActive { queue_id, from, .. } => {
                self.known(host, queue_id, time.secs).from = Some(owned(from));
                None
            }
            Event::Pickup {
                queue_id,
                from: Some(from),
                ..
            } => {
                self.known(host, queue_id, time.secs).from = Some(owned(from));
                None
            }
            Event::Delivery(d)
                if matches!(d.status, DeliveryStatus::Deferred | DeliveryStatus::Bounced) =>
            {
                let (from, client) = lookup(self, Some(d.queue_id));
                Some(Problem {
                    time,
                    host: owned(host),
                    queue_id: Some(d.queue_id),
                    status: RecipientStatus::Delivery(d.status),
                    daemon,
                    from,
                    to: Some(owned(d.to)),
                    client,
                    relay: d.relay.map(owned),
                    dsn: d.dsn.map(owned),
                    code: None,
                    action: None,
                    stage: None,
                    reply: owned(d.reply),
                })
            }
            Event::ReturnedToSender {
                queue_id,
                from,
                status,
            } => {
                let (_, client) = lookup(self, Some(queue_id));
                Some(Problem {
                    time,
                    host: owned(host),
                    queue_id: Some(queue_id),
                    status: RecipientStatus::Delivery(status),
                    daemon,
                    from: Some(owned(from)),
                    to: None,
                    client,
                    relay: None,
                    dsn: None,
                    code: None,
                    action: None,
                    stage: None,
                    reply: "returned to sender".to_string(),
                })
            }
            Event::Verdict { queue_id, verdict }
                if crate::parse::verdict::is_refusal(verdict.action) =>
            {
                let (from, client) = lookup(self, queue_id);
                Some(Problem {
                    time,
                    host: owned(host),
                    queue_id,
                    status: RecipientStatus::Rejected,
                    daemon,
                    from: verdict.from.map(owned).or(from),
                    to: verdict.to.map(owned),
                    client: verdict.client.map(peer).or(client),
                    relay: None,
                    dsn: verdict.reply.dsn.map(owned),
                    code: verdict.reply.code,
                    action: Some(owned(verdict.action)),
                    stage: Some(owned(verdict.stage)),
                    reply: owned(verdict.reply.text),
                })
            }
            _ => None,
        }
    }
}

fn peer(e: crate::parse::bytes::Endpoint<'_>) -> Peer {
    Peer {
        name: Text::from_bytes(e.name),
        ip: Text::from_bytes(e.ip),
        port: e.port.map(Text::from_bytes),
    }
}

impl Sink for Printer<'_> {
    fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
        let Some(p) = self.problem(line) else {
            return ControlFlow::Continue(());
        };
        if !self.filters.matches(&p.as_message()) {
            return ControlFlow::Continue(());
        }
        let text = if self.json {
            p.json()
        } else {
            p.text(&self.style)
        };
        self.emit(text)
    }

    fn message(&mut self, m: Message) -> ControlFlow<()> {
        let Some(queue_id) = m.queue_id else {
            // A NOQUEUE reject: shown as its problem line when it was logged.
            return ControlFlow::Continue(());
        };
        self.known.remove(&(m.host.to_string(), queue_id));
        if !self.filters.matches(&m) {
            return ControlFlow::Continue(());
        }
        let text = if self.json {
            let object = json::message(&m);
            match object.strip_prefix('{') {
                Some(rest) => format!("{{\"type\":\"message\",{rest}"),
                None => object,
            }
        } else {
            text::row(&m, &self.style)
        };
        self.emit(text)
    }
}

impl LiveSink for Printer<'_> {
    fn status(&mut self, status: &LiveStatus<'_>) -> io::Result<()> {
        if let Some(newest) = status.newest_line {
            let cutoff = newest.secs.saturating_sub(self.max_age_secs);
            self.known.retain(|_, k| k.last >= cutoff);
        }
        self.out.flush()
    }
}

/// The printer and the metrics, each optional, fed together.
struct Consumers<'a> {
    printer: Option<Printer<'a>>,
    metrics: Option<Metrics>,
}

impl Sink for Consumers<'_> {
    fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
        if let Some(m) = self.metrics.as_mut() {
            m.line(line)?;
        }
        match self.printer.as_mut() {
            Some(p) => p.line(line),
            None => ControlFlow::Continue(()),
        }
    }

    fn message(&mut self, message: Message) -> ControlFlow<()> {
        if let Some(m) = self.metrics.as_mut() {
            m.record_message(&message);
        }
        match self.printer.as_mut() {
            Some(p) => p.message(message),
            None => ControlFlow::Continue(()),
        }
    }
}

impl LiveSink for Consumers<'_> {
    fn status(&mut self, status: &LiveStatus<'_>) -> io::Result<()> {
        if let Some(m) = self.metrics.as_mut() {
            m.record_status(status);
        }
        match self.printer.as_mut() {
            Some(p) => p.status(status),
            None => Ok(()),
        }
    }
}

/// The input to follow, started where the state says, or at the start or the end.
fn follower(
    args: &FollowArgs,
    position: Option<input::follow::Position>,
    replay: bool,
) -> Result<Follower, InputError> {
    let start = match position {
        Some(p) => Start::At(p),
        None if replay => Start::Beginning,
        None => Start::End,
    };
    let path = match &args.file {
        Some(p) if p.as_os_str() == "-" => return Ok(Follower::Pipe(PipeFollower::stdin())),
        Some(p) => p.clone(),
        None => match input::default_sources()?.into_iter().next().map(|s| s.kind) {
            Some(SourceKind::File(p)) => p,
            Some(SourceKind::Journal) => return Ok(Follower::Pipe(PipeFollower::journal(replay)?)),
            _ => return Err(InputError::new("no input", "nothing to follow")),
        },
    };
    if path.is_dir() {
        return Err(InputError::new(
            path.display().to_string(),
            "is a directory",
        ));
    }
    Ok(Follower::File(Box::new(FileFollower::new(&path, start))))
}

/// The name a follower of these arguments will have, to match a saved state.
fn input_name(args: &FollowArgs) -> Option<String> {
    match &args.file {
        Some(p) if p.as_os_str() == "-" => Some("<stdin>".to_string()),
        Some(p) => Some(p.display().to_string()),
        None => None,
    }
}

pub fn run(
    args: &FollowArgs,
    ctx: &Context,
    out: &mut dyn Write,
) -> Result<Finished, super::Failure> {
    let filters = args.filters.filters(&ctx.zone)?;
    let max_age_secs = parse_age(&args.max_age)?;
    if args.linger < 0 {
        return Err(UsageError("--linger: must not be negative".into()).into());
    }
    let saved = match &args.state {
        Some(path) => state::load(path).map_err(|e| {
            UsageError(format!(
                "--state {}: {e} (remove the file to start afresh)",
                path.display()
            ))
        })?,
        None => None,
    };
    let metrics_addr = args
        .metrics
        .as_deref()
        .map(metrics::http::parse_addr)
        .transpose()
        .map_err(UsageError)?;
    let (position, restored) = match saved {
        Some(s) => {
            let expected = input_name(args);
            if expected.is_none() || expected.as_deref() == Some(s.source.as_str()) {
                (s.position, s.messages)
            } else {
                crate::cli::warn(&format!(
                    "the state in {} was saved while following {}, not this input: not used",
                    args.state
                        .as_deref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    s.source
                ));
                (None, Vec::new())
            }
        }
        None => (None, Vec::new()),
    };
    let replay = args.from_start || filters.since.is_some();
    let mut follower = match follower(args, position, replay) {
        Ok(f) => f,
        Err(e) => {
            return Ok(Finished {
                matched: false,
                errors: vec![e],
            })
        }
    };
    let registry = metrics_addr.map(|_| metrics::new_registry());
    if let (Some(addr), Some(shared)) = (metrics_addr, &registry) {
        let bound = metrics::http::serve(addr, shared.clone())
            .map_err(|e| UsageError(format!("--metrics {addr}: {}", input::io_message(&e))))?;
        crate::cli::warn(&format!("metrics on http://{bound}/metrics"));
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // A second signal while stopping ends at once.
        let _ = signal_hook::flag::register_conditional_shutdown(signal, 1, stop.clone());
        let _ = signal_hook::flag::register(signal, stop.clone());
    }
    let options = LiveOptions {
        pipeline: Options {
            time: ctx.options.time.clone(),
            syslog_names: ctx.options.syslog_names.clone(),
            tracker: TrackerConfig {
                linger_secs: args.linger,
                keep_raw: false,
                ..TrackerConfig::default()
            },
            // The live driver reads one line at a time, on one thread.
            threads: 1,
        },
        max_age_secs,
        poll: Duration::from_millis(args.poll.clamp(10, 60_000)),
        state: args.state.clone(),
    };
    let since = filters.since;
    let mut consumers = Consumers {
        printer: (!args.quiet).then(|| Printer {
            out,
            filters,
            json: args.json,
            style: ctx.style,
            known: HashMap::new(),
            max_age_secs,
            error: None,
        }),
        metrics: registry
            .as_ref()
            .map(|shared| Metrics::new(shared.clone(), args.metrics_domains, since)),
    };
    crate::cli::warn(&format!(
        "following {}{}",
        follower.name(),
        if restored.is_empty() {
            String::new()
        } else {
            format!(" ({} messages in flight restored)", restored.len())
        }
    ));
    let outcome = live::run(&mut follower, &options, restored, &mut consumers, &stop);
    if let Some(e) = consumers.printer.and_then(|p| p.error) {
        return Err(e.into());
    }
    let mut errors = Vec::new();
    if let (Some(e), Some(path)) = (outcome.state_error, &args.state) {
        errors.push(InputError::new(path.display().to_string(), e));
    }
    if outcome.stop == Stop::InputEnded {
        crate::cli::warn(&format!("{}: the input ended", follower.name()));
    }
    let s = &outcome.stats;
    crate::cli::warn(&format!(
        "{} lines read ({} Postfix lines not understood), {} messages ended, {} in flight, {} dropped after --max-age {}",
        s.lines,
        s.not_understood,
        outcome.counts.messages,
        outcome.in_flight,
        outcome.counts.dropped_in_flight,
        args.max_age
    ));
    Ok(Finished {
        matched: true,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("5d").unwrap(), 432_000);
        assert_eq!(parse_age("12h").unwrap(), 43_200);
        assert_eq!(parse_age("90").unwrap(), 90);
        assert!(parse_age("5y").is_err());
        assert!(parse_age("d").is_err());
    }
}
