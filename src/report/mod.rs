//! `mailtrail report`: the morning summary, built as one consumer of the pipeline.
//!
//! `Report` implements `pipeline::Sink` in two halves (`Sink::halves`): `LineReport` counts
//! the lines, which needs nothing of the tracker's and may run on the parsing thread, and
//! `MessageReport` the correlated messages. Every section (one file each) owns its counters,
//! in a part of each half where it counts both: lines for facts about the server (rejects,
//! warnings, SMTP sessions, postscreen, master), messages for the correlated messages
//! (received, delivered, deferred, bounced, delays, domains, the queue at the end); the view
//! reads both parts. Nothing is read twice and no counter grows without bound (see `count`).
//! The counting rules and the JSON schema are in docs/report.md.

pub mod count;
pub mod delays;
pub mod domains;
pub mod normalize;
pub mod problems;
pub mod queue;
pub mod sessions;
pub mod table;
pub mod top;
pub mod totals;
pub mod traffic;

use crate::correlate::message::Ending;
use crate::correlate::{Attempt, LinkKind, Message, Origin};
use crate::envelope::{Envelope, Severity};
use crate::event::{DeliveryStatus, Event};
use crate::output::Style;
use crate::parse::Parsed;
use crate::pipeline::{Halves, LineSink, LineStats, LineView, LogTime, ReadOnlySink};
use crate::text::{same_bytes, terminal};
use crate::time::Stamp;
use count::{Hashed, KeptHash};
use normalize::AddressFolding;
use serde::Serialize;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::ControlFlow;

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Rows in each top list.
    pub top: usize,
    pub since: Option<Stamp>,
    pub until: Option<Stamp>,
    /// Only this syslog host (case-insensitive).
    pub host: Option<String>,
    pub folding: AddressFolding,
}

impl Config {
    pub fn in_period(&self, t: Stamp) -> bool {
        !(self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t > u))
    }

    fn host_wanted(&self, host: &str) -> bool {
        self.host
            .as_deref()
            .is_none_or(|h| h.eq_ignore_ascii_case(host))
    }
}

/// The clock hour of a stamp in the log's local time (the offset the stamp carries), as hours
/// since the epoch; days are `hour.div_euclid(24)`.
pub fn local_hour(t: Stamp) -> i64 {
    (t.secs + i64::from(t.offset)).div_euclid(3600)
}

/// One understood Postfix line, as the sections see it.
pub struct LineFacts<'a> {
    pub time: Stamp,
    pub host: &'a str,
    pub envelope: &'a Envelope<'a>,
    pub event: &'a Event<'a>,
}

impl LineFacts<'_> {
    /// `local_hour` of the line: worked out only for the few lines counted by hour.
    pub fn hour(&self) -> i64 {
        local_hour(self.time)
    }
}

/// What one delivery attempt counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `status=sent`: delivered (notifications included).
    Delivered,
    /// local(8) `forwarded as NEWID`: the copy is a new message, delivered on its own.
    Forwarded,
    /// Handed to a content filter that re-injected it here (`queued as` a message of this
    /// host): not a delivery; the re-injected message is delivered where it leaves.
    FilterHop,
    Deferred,
    Bounced,
    /// `expired`, `undeliverable`, `deliverable` (address probes) …
    Other,
}

/// An address as counted (folded, domain in lower case), with where its domain starts and
/// the hashes of both: several sections count by each, so they are worked out once.
#[derive(Clone)]
pub struct Address<'m> {
    pub text: Cow<'m, str>,
    /// Where the domain starts in `text` (after its last `@`; `text.len()` for a bare name).
    domain_at: usize,
    hash: KeptHash,
    domain_hash: KeptHash,
}

impl<'m> Address<'m> {
    fn new(text: Cow<'m, str>) -> Address<'m> {
        let domain_at = normalize::domain_start(&text);
        let domain = text.get(domain_at..).unwrap_or("");
        Address {
            hash: KeptHash::of(&text),
            domain_hash: KeptHash::of(domain),
            domain_at,
            text,
        }
    }

    pub fn key(&self) -> Hashed<'_> {
        self.hash.key(&self.text)
    }

    /// The domain (`""` for a local name).
    pub fn domain(&self) -> &str {
        self.text.get(self.domain_at..).unwrap_or("")
    }

    pub fn domain_key(&self) -> Hashed<'_> {
        self.domain_hash.key(self.domain())
    }
}

/// One attempt within the period, with its recipient folded for counting.
pub struct AttemptFacts<'m> {
    pub attempt: &'m Attempt,
    pub outcome: Outcome,
    /// The recipient as counted.
    pub to: Address<'m>,
    pub hour: i64,
    /// `delay=` of a delivery placed in its sketch bucket once, for the sections that keep
    /// delays (of deliveries only: `None` for other outcomes).
    pub delay: Option<count::Sample>,
}

impl AttemptFacts<'_> {
    /// The recipient's domain (`""` for a local name).
    pub fn domain(&self) -> &str {
        self.to.domain()
    }

    /// The domain a delivery counts under: the recipient's, or `(local)` for a bare name.
    pub fn counted_domain(&self) -> &str {
        domains::recipient_domain(self.domain())
    }

    /// `counted_domain` as a key.
    pub fn counted_domain_key(&self) -> Hashed<'_> {
        if self.domain().is_empty() {
            Hashed::new(self.counted_domain())
        } else {
            self.to.domain_key()
        }
    }
}

/// What a finished message counts as, worked out once for every section.
pub struct Facts<'m> {
    pub m: &'m Message,
    /// Entered this server (smtpd `client=` or pickup) within the period: not a re-injection
    /// from a content filter, not a requeue.
    pub received: bool,
    /// Received and queued: not refused by cleanup, not abandoned before the end of DATA.
    pub accepted: bool,
    /// The sender as counted (folded); `""` for the null sender.
    pub sender: Option<Address<'m>>,
    pub size: u64,
    pub attempts: Vec<AttemptFacts<'m>>,
    /// In the queue when the input ended.
    pub still_queued: bool,
    /// Its life ended (or its last line was logged) within the period.
    pub ended_in_period: bool,
    pub folding: AddressFolding,
}

fn is_hop(m: &Message, a: &Attempt) -> bool {
    a.remote_queue_id.as_deref().is_some_and(|next| {
        m.links.iter().any(|l| {
            l.kind == LinkKind::ReinjectedAs && l.host.is_none() && l.queue_id.as_str() == next
        })
    })
}

impl<'m> Facts<'m> {
    /// `attempts`: an empty vector to fill (the previous message's, for its allocation).
    pub fn new(
        m: &'m Message,
        config: &Config,
        samples: &mut count::SampleMemo,
        mut attempts: Vec<AttemptFacts<'m>>,
    ) -> Facts<'m> {
        let entered = m.queue_id.is_some()
            && matches!(m.origin, Some(Origin::Smtpd) | Some(Origin::Pickup))
            && !m.links.iter().any(|l| {
                (l.kind == LinkKind::ReinjectedFrom && l.host.is_none())
                    || l.kind == LinkKind::RequeuedFrom
            });
        let received = entered && config.in_period(m.first_seen);
        let reached_queue = m.size.is_some()
            || m.held
            || m.ending == Some(Ending::Discarded)
            || m.recipients.iter().any(|r| !r.attempts.is_empty());
        let accepted = received && m.ending != Some(Ending::Rejected) && reached_queue;
        let sender = m
            .from
            .as_deref()
            .map(|f| Address::new(config.folding.fold(f)));
        attempts.clear();
        for r in &m.recipients {
            // Folded once per recipient, not per attempt (a deferred recipient has many).
            let mut to: Option<Address<'m>> = None;
            for a in &r.attempts {
                if !config.in_period(a.time) {
                    continue;
                }
                let outcome = match a.status {
                    DeliveryStatus::Sent if a.reply.starts_with("forwarded as ") => {
                        Outcome::Forwarded
                    }
                    DeliveryStatus::Sent if is_hop(m, a) => Outcome::FilterHop,
                    DeliveryStatus::Sent => Outcome::Delivered,
                    DeliveryStatus::Deferred => Outcome::Deferred,
                    DeliveryStatus::Bounced => Outcome::Bounced,
                    _ => Outcome::Other,
                };
                let to = to
                    .get_or_insert_with(|| Address::new(config.folding.fold(&r.to)))
                    .clone();
                attempts.push(AttemptFacts {
                    attempt: a,
                    outcome,
                    to,
                    hour: local_hour(a.time),
                    delay: a
                        .delay
                        .filter(|_| outcome == Outcome::Delivered)
                        .and_then(|d| samples.sample(d)),
                });
            }
        }
        let still_queued = m.queue_id.is_some()
            && m.ending.is_none()
            && (m.held
                || m.size.is_some()
                || m.recipients
                    .iter()
                    .any(|r| r.status.is_open() && !r.attempts.is_empty()));
        Facts {
            m,
            received,
            accepted,
            sender,
            size: m.size.unwrap_or(0),
            attempts,
            still_queued,
            ended_in_period: config.in_period(m.ended_at.unwrap_or(m.last_seen)),
            folding: config.folding,
        }
    }
}

/// Hosts listed by name; beyond, lines count under `(other hosts)`.
const MAX_HOSTS: usize = 1000;

/// The whole report: every section, fed by the pipeline in two halves.
pub struct Report {
    lines: LineReport,
    messages: MessageReport,
}

/// The report's line half: what it counts of each line, in order.
struct LineReport {
    config: Config,
    /// Understood Postfix lines by host (all hosts, for the header).
    hosts: BTreeMap<String, u64>,
    /// The earliest and the latest stamp of the lines in the period.
    span: Option<(Stamp, Stamp)>,
    lines_in_period: u64,
    last_host: LastHost,
    sections: LineSections,
}

/// The sections of the line half.
#[derive(Default)]
struct LineSections {
    verdicts: totals::Verdicts,
    rejects: traffic::Rejects,
    problems: problems::Problems,
    sessions: sessions::Sessions,
}

impl LineSections {
    // Out of line: most lines do not get here (`counted_by_sections`), and inlined in
    // `LineReport::line`, the sections made every line save and restore the registers they use.
    #[inline(never)]
    fn line(&mut self, facts: &LineFacts<'_>) {
        self.verdicts.line(facts);
        self.rejects.line(facts);
        self.problems.line(facts);
        self.sessions.line(facts);
    }
}

/// Whether a line goes through the sections of the line half. Most lines (deliveries, the
/// queue manager's, cleanup's, smtpd's `client=` …) are of kinds no section counts: they count
/// for the header alone, without going through every section. Every other line goes through
/// them, so a kind left out here costs time, never a count; a section that comes to count one
/// of these kinds must take it out of here (`sections_see_every_line_they_count` checks this
/// on every log at hand, where these common kinds are all found).
fn counted_by_sections(envelope: &Envelope<'_>, event: &Event<'_>) -> bool {
    envelope.severity != Severity::Info
        || !matches!(
            event,
            Event::Delivery(_)
                | Event::QueueActive { .. }
                | Event::MessageId { .. }
                | Event::Removed { .. }
                | Event::ClientAccepted {
                    sasl_username: None,
                    ..
                }
                | Event::Notification { .. }
                | Event::ReturnedToSender { .. }
                | Event::Pickup { .. }
                | Event::Statistics { .. }
                | Event::Tls { inbound: false, .. }
        )
}

/// The report's message half: what it counts of each finished message.
struct MessageReport {
    config: Config,
    samples: count::SampleMemo,
    /// The last message's `Facts::attempts`, emptied, for the next one.
    spare_attempts: Vec<AttemptFacts<'static>>,
    totals: totals::Totals,
    traffic: traffic::Traffic,
    domains: domains::Domains,
    top: top::Top,
    problems: problems::DeliveryProblems,
    delays: delays::Delays,
    queue: queue::Queue,
}

impl Report {
    pub fn new(config: Config) -> Report {
        Report {
            lines: LineReport {
                hosts: BTreeMap::new(),
                span: None,
                lines_in_period: 0,
                last_host: LastHost {
                    bytes: Vec::new(),
                    text: String::new(),
                    pending: 0,
                    wanted: config.host_wanted(""),
                },
                config: config.clone(),
                sections: LineSections::default(),
            },
            messages: MessageReport {
                config,
                samples: count::SampleMemo::default(),
                spare_attempts: Vec::new(),
                totals: totals::Totals::default(),
                traffic: traffic::Traffic::default(),
                domains: domains::Domains::default(),
                top: top::Top::default(),
                problems: problems::DeliveryProblems::default(),
                delays: delays::Delays::default(),
                queue: queue::Queue::default(),
            },
        }
    }
}

/// The host of the line before: consecutive lines nearly always share it, so its bytes are
/// compared instead of checked as UTF-8, looked up in `LineReport::hosts` and matched against
/// `--host` again for every line.
struct LastHost {
    bytes: Vec<u8>,
    text: String,
    /// Its lines not yet added to `LineReport::hosts` (added when the host changes, or for the view).
    pending: u64,
    /// `Config::host_wanted`.
    wanted: bool,
}

/// Widens `(first, last)` to take in `time`: the earliest stamp and the latest, each the
/// first seen of its equals.
fn widen(span: &mut Option<(Stamp, Stamp)>, time: Stamp) {
    match span {
        // Lines come nearly in order, most in the second of the line before: one comparison
        // with the last stamp settles them. A line later than the last cannot be earlier
        // than the first (no later than the last).
        Some((first, last)) => match time.cmp(last) {
            Ordering::Greater => *last = time,
            Ordering::Less if time < *first => *first = time,
            _ => {}
        },
        None => *span = Some((time, time)),
    }
}

impl LastHost {
    /// Lines of another host from now on: the last host's lines go to `hosts`.
    // Out of line: rare, and inlined it made every line save registers it needs.
    #[cold]
    #[inline(never)]
    fn change(&mut self, host: &[u8], hosts: &mut BTreeMap<String, u64>, config: &Config) {
        count_host(hosts, &self.text, self.pending);
        self.bytes.clear();
        self.bytes.extend_from_slice(host);
        self.text = text_of(host).into_owned();
        self.pending = 0;
        self.wanted = config.host_wanted(&self.text);
    }
}

/// Adds `lines` lines of `host`. Adding a host's consecutive lines at once counts as adding
/// them one by one: the first decides where they go, and the map does not change in between.
fn count_host(hosts: &mut BTreeMap<String, u64>, host: &str, lines: u64) {
    if lines == 0 {
        return;
    }
    if let Some(n) = hosts.get_mut(host) {
        *n += lines;
    } else if hosts.len() < MAX_HOSTS {
        hosts.insert(host.to_string(), lines);
    } else {
        *hosts.entry("(other hosts)".to_string()).or_default() += lines;
    }
}

impl ReadOnlySink for Report {
    fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
        self.lines.line(line);
        ControlFlow::Continue(())
    }

    fn message(&mut self, m: &Message) -> ControlFlow<()> {
        ReadOnlySink::message(&mut self.messages, m)
    }

    fn message_at(&mut self, m: &Message, now: LogTime) -> ControlFlow<()> {
        ReadOnlySink::message_at(&mut self.messages, m, now)
    }

    fn halves(&mut self) -> Option<Halves<'_>> {
        Some(Halves {
            lines: &mut self.lines,
            rest: &mut self.messages,
        })
    }
}

impl LineSink for LineReport {
    fn line(&mut self, line: &LineView<'_>) {
        self.count(line, counted_by_sections);
    }
}

impl LineReport {
    /// Counts a line for the header, and through the sections when `to_sections` says so.
    #[inline(always)]
    fn count(
        &mut self,
        line: &LineView<'_>,
        to_sections: impl Fn(&Envelope<'_>, &Event<'_>) -> bool,
    ) {
        let (
            Parsed::Postfix {
                envelope,
                event: Some(event),
            },
            Some(time),
        ) = (line.parsed, line.time)
        else {
            return;
        };
        let last = &mut self.last_host;
        if !same_bytes(&last.bytes, envelope.host) {
            last.change(envelope.host, &mut self.hosts, &self.config);
        }
        last.pending += 1;
        if !last.wanted || !self.config.in_period(time) {
            return;
        }
        self.lines_in_period += 1;
        widen(&mut self.span, time);
        if to_sections(envelope, event) {
            self.sections.line(&LineFacts {
                time,
                host: &self.last_host.text,
                envelope,
                event,
            });
        }
    }
}

impl ReadOnlySink for MessageReport {
    fn message(&mut self, m: &Message) -> ControlFlow<()> {
        ReadOnlySink::message_at(self, m, LogTime::UNKNOWN)
    }

    fn message_at(&mut self, m: &Message, now: LogTime) -> ControlFlow<()> {
        if !self.config.host_wanted(&m.host) {
            return ControlFlow::Continue(());
        }
        let attempts = emptied(std::mem::take(&mut self.spare_attempts));
        let facts = Facts::new(m, &self.config, &mut self.samples, attempts);
        self.totals.message(&facts);
        self.traffic.message(&facts);
        self.domains.message(&facts);
        self.top.message(&facts);
        self.problems.message(&facts);
        self.delays.message(&facts, &mut self.samples);
        // The last stamp of the input so far: the "now" of the ages of what is still queued.
        let end = now.latest.unwrap_or(m.last_seen);
        self.queue.message(&facts, end);
        self.spare_attempts = emptied(facts.attempts);
        ControlFlow::Continue(())
    }
}

/// The vector emptied, for attempts that borrow from another message. Collecting a vector's
/// own iterator into items of the same size reuses its allocation: no allocation per message.
// Not `filter`: the point is to change the items' lifetime, which only a new item can.
#[allow(clippy::unnecessary_filter_map)]
fn emptied<'a>(attempts: Vec<AttemptFacts<'_>>) -> Vec<AttemptFacts<'a>> {
    attempts.into_iter().filter_map(|_| None).collect()
}

/// What was read, for the report's header and footer.
#[derive(Serialize)]
pub struct InputView {
    pub sources: Vec<String>,
    pub lines: u64,
    pub postfix_lines: u64,
    pub understood: u64,
    pub not_understood: u64,
    pub other_program_lines: u64,
    pub malformed: u64,
    /// Understood Postfix lines within the period and host chosen.
    pub lines_reported: u64,
}

#[derive(Serialize)]
pub struct PeriodView {
    pub first: Option<String>,
    pub last: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

/// The report as one JSON object (schema in docs/report.md).
#[derive(Serialize)]
pub struct ReportView {
    pub report_version: u32,
    /// Nothing to report: no Postfix line (within the period and host chosen).
    pub empty: bool,
    pub input: InputView,
    pub period: PeriodView,
    /// Syslog hosts seen, with their understood Postfix lines.
    pub hosts: BTreeMap<String, u64>,
    pub host: Option<String>,
    pub totals: totals::TotalsView,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub totals_by_host: BTreeMap<String, totals::Counts>,
    pub traffic: traffic::TrafficView,
    pub domains: domains::DomainsView,
    pub senders: top::ListView,
    pub recipients: top::ListView,
    pub sasl_users: top::SaslView,
    pub problems: problems::ProblemsView,
    pub delays: delays::DelaysView,
    pub queue: queue::QueueView,
    pub smtp: sessions::SmtpView,
    pub postscreen: sessions::PostscreenView,
}

impl LineReport {
    /// Understood Postfix lines by host, the last host's lines included.
    fn hosts(&self) -> BTreeMap<String, u64> {
        let mut hosts = self.hosts.clone();
        count_host(&mut hosts, &self.last_host.text, self.last_host.pending);
        hosts
    }
}

impl Report {
    pub fn view(&self, sources: &[String], stats: &LineStats) -> ReportView {
        let (lines, messages) = (&self.lines, &self.messages);
        let config = &lines.config;
        let top = config.top;
        let hosts = lines.hosts();
        let by_host = messages.totals.by_host(&lines.sections.verdicts);
        ReportView {
            report_version: 1,
            empty: lines.lines_in_period == 0,
            input: InputView {
                sources: sources.to_vec(),
                lines: stats.lines,
                postfix_lines: stats.postfix_lines,
                understood: stats.understood,
                not_understood: stats.not_understood,
                other_program_lines: stats.other_program_lines,
                malformed: stats.malformed,
                lines_reported: lines.lines_in_period,
            },
            period: PeriodView {
                first: lines.span.map(|(first, _)| first.rfc3339()),
                last: lines.span.map(|(_, last)| last.rfc3339()),
                since: config.since.map(|t| t.rfc3339()),
                until: config.until.map(|t| t.rfc3339()),
            },
            // As the log spells it, when it holds that host.
            host: config.host.as_ref().map(|h| {
                hosts
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case(h))
                    .unwrap_or(h)
                    .clone()
            }),
            hosts,
            totals: messages.totals.view(&lines.sections.verdicts),
            totals_by_host: if by_host.len() > 1 {
                by_host
            } else {
                BTreeMap::new()
            },
            traffic: messages.traffic.view(&lines.sections.rejects),
            domains: messages.domains.view(top),
            senders: messages.top.senders_view(top),
            recipients: messages.top.recipients_view(top),
            sasl_users: messages.top.sasl_view(top),
            problems: lines.sections.problems.view(&messages.problems, top),
            delays: messages.delays.view(top),
            queue: messages.queue.view(top),
            smtp: lines.sections.sessions.smtp_view(top),
            postscreen: lines.sections.sessions.postscreen_view(top),
        }
    }
}

/// Options of the text rendering.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    pub style: Style,
    pub problems_first: bool,
}

/// The report for people.
pub fn text(v: &ReportView, o: &TextOptions) -> String {
    let mut out = String::new();
    let style = &o.style;
    let title = match &v.host {
        Some(h) => format!("mailtrail report for {}", terminal(h)),
        None => "mailtrail report".to_string(),
    };
    let _ = writeln!(out, "{}", style.bold(&title));
    if v.empty {
        let i = &v.input;
        let what = if i.postfix_lines == 0 {
            "No Postfix lines in the input"
        } else if v.host.is_some()
            && !v
                .hosts
                .keys()
                .any(|h| v.host.as_deref().is_some_and(|w| w.eq_ignore_ascii_case(h)))
        {
            "No Postfix lines of that host in the input"
        } else {
            "No Postfix lines in the period asked for"
        };
        let _ = writeln!(
            out,
            "{what}: {} lines read ({} Postfix, {} of other programs, {} without syslog form). Nothing to report.",
            i.lines, i.postfix_lines, i.other_program_lines, i.malformed
        );
        return out;
    }
    let period = match (&v.period.first, &v.period.last) {
        (Some(f), Some(l)) => format!("{f} → {l}"),
        _ => String::new(),
    };
    let _ = writeln!(out, "{}", style.dim(&period));
    if v.period.since.is_some() || v.period.until.is_some() {
        let asked = format!(
            "period asked: {} → {}",
            v.period.since.as_deref().unwrap_or("start"),
            v.period.until.as_deref().unwrap_or("end")
        );
        let _ = writeln!(out, "{}", style.dim(&asked));
    }
    if v.hosts.len() > 1 || v.host.is_some() {
        let hosts: Vec<String> = v
            .hosts
            .iter()
            .map(|(h, n)| format!("{} ({n} lines)", terminal(h)))
            .collect();
        let _ = writeln!(
            out,
            "{}",
            style.dim(&format!("hosts: {}", hosts.join(", ")))
        );
    }
    out.push('\n');
    totals::text(&v.totals, &v.totals_by_host, style, &mut out);
    if o.problems_first {
        problems::text(&v.problems, style, &mut out);
    }
    traffic::text(&v.traffic, style, &mut out);
    domains::text(&v.domains, style, &mut out);
    top::text(&v.senders, &v.recipients, &v.sasl_users, style, &mut out);
    if !o.problems_first {
        problems::text(&v.problems, style, &mut out);
    }
    delays::text(&v.delays, style, &mut out);
    queue::text(&v.queue, style, &mut out);
    sessions::text(&v.smtp, &v.postscreen, style, &mut out);
    let i = &v.input;
    let _ = writeln!(
        out,
        "{}",
        style.dim(&format!(
            "{} lines read: {} Postfix ({} understood, {} not), {} of other programs, {} without syslog form.",
            i.lines, i.postfix_lines, i.understood, i.not_understood, i.other_program_lines, i.malformed
        ))
    );
    out
}

/// Log bytes as text, borrowed when they are UTF-8 (they nearly always are).
pub fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    match crate::text::utf8(bytes) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(crate::text::owned(bytes)),
    }
}

/// `1 line`, `2 lines`.
pub fn plural(n: impl std::fmt::Display + PartialEq<u64> + Copy, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A section heading.
pub fn heading(out: &mut String, style: &Style, title: &str) {
    let _ = writeln!(out, "{}", style.bold(title));
    let _ = writeln!(out, "{}", "-".repeat(title.chars().count()));
}

/// Seconds for people: `0.12s`, `42s`, `3.5m`, `2.0h`, `1.5d`.
pub fn human_secs(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.2}s")
    } else if x < 100.0 {
        format!("{x:.0}s")
    } else if x < 3600.0 {
        format!("{:.1}m", x / 60.0)
    } else if x < 86400.0 {
        format!("{:.1}h", x / 3600.0)
    } else {
        format!("{:.1}d", x / 86400.0)
    }
}

/// Bytes for people: `512`, `1.5k`, `3.2M`, `1.1G`.
pub fn human_bytes(n: u64) -> String {
    let x = n as f64;
    if n < 1024 {
        n.to_string()
    } else if x < 1024.0 * 1024.0 {
        format!("{:.1}k", x / 1024.0)
    } else if x < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1}M", x / 1024.0 / 1024.0)
    } else {
        format!("{:.1}G", x / 1024.0 / 1024.0 / 1024.0)
    }
}

/// A float kept to `digits` decimals, for JSON.
pub fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

/// `2026-11-28 17:00` for a local hour index.
pub fn hour_label(hour: i64) -> String {
    match jiff::Timestamp::from_second(hour * 3600) {
        Ok(ts) => ts.strftime("%Y-%m-%d %H:00").to_string(),
        Err(_) => hour.to_string(),
    }
}

/// `2026-11-28` for a local day index.
pub fn day_label(day: i64) -> String {
    match jiff::Timestamp::from_second(day * 86400) {
        Ok(ts) => ts.strftime("%Y-%m-%d").to_string(),
        Err(_) => day.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::LineParser;
    use crate::pipeline::LineStats;
    use std::path::PathBuf;

    /// The logs at hand: the examples, the test fixtures and the lab's (when present).
    fn logs() -> Vec<PathBuf> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut logs = Vec::new();
        for dir in [
            root.join("examples"),
            root.join("tests/fixtures"),
            root.join("../shared/corpus/lab"),
        ] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            logs.extend(
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "log")),
            );
        }
        logs.sort();
        logs
    }

    #[test]
    fn span_is_the_first_and_the_last_stamp() {
        // Out of order, equal stamps with other offsets (the first seen is kept).
        let stamps = [
            (5, 0),
            (5, 1),
            (3, 0),
            (9, 0),
            (9, 2),
            (3, 3),
            (1, 0),
            (9, 4),
            (4, 0),
        ];
        let mut span = None;
        let (mut first, mut last): (Option<Stamp>, Option<Stamp>) = (None, None);
        for (i, (secs, offset)) in stamps.into_iter().enumerate() {
            let time = Stamp {
                secs,
                nanos: 0,
                offset,
            };
            widen(&mut span, time);
            if first.is_none_or(|f| time < f) {
                first = Some(time);
            }
            if last.is_none_or(|l| time > l) {
                last = Some(time);
            }
            let plain = first.zip(last);
            let key =
                |s: Option<(Stamp, Stamp)>| s.map(|(f, l)| (f.secs, f.offset, l.secs, l.offset));
            assert_eq!(key(span), key(plain), "{i}");
        }
    }

    #[test]
    fn sections_see_every_line_they_count() {
        let config = Config {
            top: 20,
            ..Config::default()
        };
        let (mut picked, mut every) = (Report::new(config.clone()), Report::new(config));
        let parser = LineParser::new(&[]);
        let (mut lines, mut skipped) = (0u64, 0u64);
        for log in logs() {
            let Ok(text) = std::fs::read(&log) else {
                continue;
            };
            for raw in text.split(|&b| b == b'\n') {
                lines += 1;
                let parsed = parser.parse(raw);
                if let Parsed::Postfix {
                    envelope,
                    event: Some(event),
                } = &parsed
                {
                    skipped += u64::from(!counted_by_sections(envelope, event));
                }
                let line = LineView {
                    source: "",
                    line_number: lines,
                    raw,
                    parsed: &parsed,
                    // Seconds apart, so that sessions last and hours change.
                    time: Some(Stamp {
                        secs: 1_790_000_000 + 7 * lines as i64,
                        nanos: 0,
                        offset: 0,
                    }),
                };
                picked.lines.count(&line, counted_by_sections);
                every.lines.count(&line, |_, _| true);
            }
        }
        assert!(lines > 1000 && skipped > lines / 4, "{lines} {skipped}");
        let json = |r: &Report| {
            serde_json::to_string(&r.view(&[], &LineStats::default())).unwrap_or_default()
        };
        let (picked, every) = (json(&picked), json(&every));
        assert!(every.contains("\"connections\""), "{every}");
        assert_eq!(picked, every);
    }

    #[test]
    fn host_lines_added_at_once_count_as_one_by_one() {
        let lines = ["a", "a", "b", "a", "c", "c", "d", "b", "e", "e", "a"];
        let (mut one_by_one, mut at_once) = (BTreeMap::new(), BTreeMap::new());
        let mut run: Option<(&str, u64)> = None;
        for host in lines {
            count_host(&mut one_by_one, host, 1);
            match &mut run {
                Some((h, n)) if *h == host => *n += 1,
                _ => {
                    if let Some((h, n)) = run {
                        count_host(&mut at_once, h, n);
                    }
                    run = Some((host, 1));
                }
            }
        }
        if let Some((h, n)) = run {
            count_host(&mut at_once, h, n);
        }
        assert_eq!(one_by_one, at_once);
    }
}
