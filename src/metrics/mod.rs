//! metrics: counters for Prometheus, one more consumer of the pipeline.
//!
//! [`Metrics`] is a `Sink`: it counts each understood line the way postfix_exporter does, under
//! the same names and labels where the meaning is the same, and adds what only correlated
//! messages can tell (outcomes per recipient domain, rejects by class, delays per transport,
//! messages in flight, the age of the newest line). [`http::serve`] shows them on `/metrics`.
//! Every name, and how it differs from postfix_exporter's, is in docs/metrics.md.

pub mod http;
pub mod registry;

use crate::correlate::{Message, RecipientStatus};
use crate::envelope::{Envelope, Severity};
use crate::event::{Delivery, DeliveryStatus, Event, Interruption, NotificationKind, Verdict};
use crate::live::{LiveSink, LiveStatus};
use crate::parse::Parsed;
use crate::pipeline::{LineView, Sink};
use crate::text::owned;
use crate::time::Stamp;
use registry::{Def, Kind, Registry};
use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, MutexGuard};

/// postfix_exporter's delay buckets.
const EXPORTER_DELAYS: &[f64] = &[1e-3, 1e-2, 1e-1, 1.0, 10.0, 60.0, 3600.0, 86400.0, 172800.0];
/// Finer delay buckets for mailtrail's own histograms.
const DELAYS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0,
    86400.0, 259200.0,
];
const RECIPIENTS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];
const SIZES: &[f64] = &[1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const DNSBL_RANKS: &[f64] = &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0];

/// Default cap on the recipient domains that get a label of their own.
pub const DEFAULT_MAX_DOMAINS: usize = 50;

const STAGES: [&str; 4] = [
    "before_queue_manager",
    "queue_manager",
    "connection_setup",
    "transmission",
];

const fn counter(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Def {
    Def {
        name,
        help,
        labels,
        kind: Kind::Counter,
    }
}

const fn gauge(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Def {
    Def {
        name,
        help,
        labels,
        kind: Kind::Gauge,
    }
}

const fn histogram(
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    buckets: &'static [f64],
) -> Def {
    Def {
        name,
        help,
        labels,
        kind: Kind::Histogram(buckets),
    }
}

const TLS_LABELS: &[&str] = &[
    "trust",
    "protocol",
    "cipher",
    "secret_bits",
    "algorithm_bits",
];

/// Every family, in the order of the scrape.
pub static DEFS: &[Def] = &[
    // ---- postfix_exporter's names
    counter("postfix_smtpd_connects_total", "Total number of incoming connections.", &[]),
    counter("postfix_smtpd_disconnects_total", "Total number of incoming disconnections.", &[]),
    counter("postfix_smtpd_forward_confirmed_reverse_dns_errors_total", "Total number of connections for which forward-confirmed DNS cannot be resolved.", &[]),
    counter("postfix_smtpd_connections_lost_total", "Total number of connections lost.", &["after_stage"]),
    counter("postfix_smtpd_messages_processed_total", "Total number of messages processed.", &["sasl_method"]),
    counter("postfix_smtpd_messages_rejected_total", "Total number of rejects by smtpd (NOQUEUE or with a queue ID, any stage), by reply code.", &["code"]),
    counter("postfix_smtpd_sasl_authentication_failures_total", "Total number of SASL authentication failures.", &[]),
    counter("postfix_smtpd_tls_connections_total", "Total number of incoming TLS connections.", TLS_LABELS),
    counter("postfix_cleanup_messages_processed_total", "Total number of messages processed by cleanup.", &[]),
    counter("postfix_cleanup_messages_rejected_total", "Total number of messages rejected by cleanup.", &[]),
    histogram("postfix_qmgr_messages_inserted_recipients", "Number of recipients per message inserted into the mail queues.", &[], RECIPIENTS),
    histogram("postfix_qmgr_messages_inserted_receipients", "Legacy metric, please switch to postfix_qmgr_messages_inserted_recipients.", &[], RECIPIENTS),
    histogram("postfix_qmgr_messages_inserted_size_bytes", "Size of messages inserted into the mail queues in bytes.", &[], SIZES),
    counter("postfix_qmgr_messages_removed_total", "Total number of messages removed from mail queues.", &[]),
    counter("postfix_qmgr_messages_expired_total", "Total number of messages expired from mail queues.", &[]),
    histogram("postfix_smtp_delivery_delay_seconds", "SMTP message processing time in seconds.", &["stage"], EXPORTER_DELAYS),
    histogram("postfix_lmtp_delivery_delay_seconds", "LMTP message processing time in seconds.", &["stage"], EXPORTER_DELAYS),
    histogram("postfix_pipe_delivery_delay_seconds", "Pipe message processing time in seconds.", &["relay", "stage"], EXPORTER_DELAYS),
    counter("postfix_smtp_messages_processed_total", "Total number of messages that have been processed by the smtp process.", &["status"]),
    counter("postfix_smtp_deferred_messages_by_dsn_total", "Total number of messages that have been deferred on SMTP by DSN.", &["dsn"]),
    counter("postfix_smtp_bounced_messages_by_dsn_total", "Total number of messages that have been bounced on SMTP by DSN.", &["dsn"]),
    counter("postfix_smtp_status_deferred", "Total number of messages deferred.", &[]),
    counter("postfix_smtp_connection_timed_out_total", "Total number of connections that timed out on SMTP.", &[]),
    counter("postfix_smtp_tls_connections_total", "Total number of outgoing TLS connections.", TLS_LABELS),
    counter("postfix_bounce_non_delivery_notification_total", "Total number of non delivery notification sent by bounce.", &[]),
    counter("postfix_virtual_delivered_total", "Total number of mail delivered to a virtual mailbox.", &[]),
    counter("postfix_postscreen_connects_total", "Total number of connections handled by postscreen.", &[]),
    counter("postfix_postscreen_connects_rejected_total", "Total number of connections rejected by postscreen, by reject reason.", &["reason"]),
    counter("postfix_postscreen_passes_total", "Total number of clients passed by postscreen, by allowlist status (new/old).", &["type"]),
    histogram("postfix_postscreen_dnsbl_rank", "DNSBL rank assigned to clients by postscreen.", &[], DNSBL_RANKS),
    counter("postfix_postscreen_messages_rejected_total", "Total number of RCPT rejects by postscreen, by reply code.", &["code"]),
    counter("postfix_postscreen_tests_failed_total", "Total number of postscreen tests failed, by test.", &["test"]),
    counter("postfix_postscreen_hangups_total", "Total number of clients that hung up during postscreen tests.", &[]),
    counter("postfix_postscreen_access_list_matches_total", "Total number of postscreen access list matches, by action.", &["action"]),
    counter("postfix_unsupported_log_entries_total", "Postfix log lines mailtrail did not understand, by daemon and level.", &["service", "level"]),
    counter("opendkim_signatures_added_total", "Total number of messages signed.", &["subject", "domain"]),
    // ---- mailtrail's own
    counter("mailtrail_lines_total", "Lines read, by kind: postfix, other_program, malformed.", &["kind"]),
    counter("mailtrail_lines_not_understood_total", "Postfix lines not understood, by daemon.", &["daemon"]),
    counter("mailtrail_messages_total", "Messages whose life ended (removed, deleted, discarded, rejected, requeued, abandoned), by final status.", &["status"]),
    counter("mailtrail_recipients_total", "Final outcome of each recipient of the messages whose life ended (NOQUEUE rejects included), by recipient domain (capped; the rest under other).", &["domain", "status"]),
    counter("mailtrail_rejects_total", "Refusals (reject, defer, milter-reject …) by the daemon that said them and the kind of reason.", &["daemon", "class"]),
    counter("mailtrail_deliveries_total", "Delivery attempts, by transport (master.cf service name, else the delivery agent) and status.", &["transport", "status"]),
    histogram("mailtrail_delivery_delay_seconds", "Delivery delays by transport and stage (total is delay=, the others the four parts of delays=).", &["transport", "stage"], DELAYS),
    gauge("mailtrail_messages_in_flight", "Messages in the queue, or ended and waiting for late lines.", &[]),
    counter("mailtrail_messages_dropped_total", "Messages in flight dropped from memory after --max-age without a line.", &[]),
    gauge("mailtrail_newest_line_timestamp_seconds", "Log time of the newest line read (Unix seconds).", &[]),
    gauge("mailtrail_newest_line_age_seconds", "Seconds between now and the log time of the newest line read: a stalled log grows it.", &[]),
    gauge("mailtrail_last_read_timestamp_seconds", "When (wall clock, Unix seconds) the last line was read.", &[]),
    gauge("mailtrail_build_info", "mailtrail's version.", &["version"]),
];

/// The registry shared by the pipeline thread and the HTTP thread.
pub type Shared = Arc<Mutex<Registry>>;

pub fn new_registry() -> Shared {
    let mut r = Registry::new(DEFS);
    r.set("mailtrail_build_info", &[env!("CARGO_PKG_VERSION")], 1.0);
    Arc::new(Mutex::new(r))
}

/// The registry, even if a thread panicked while holding it (counts stay usable).
pub fn lock(shared: &Shared) -> MutexGuard<'_, Registry> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The scrape, with the age of the newest line as of now.
pub fn render(shared: &Shared) -> String {
    let mut r = lock(shared);
    let newest = r.value("mailtrail_newest_line_timestamp_seconds", &[]);
    if let Some(t) = newest.filter(|t| *t > 0.0) {
        let now = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
        r.set("mailtrail_newest_line_age_seconds", &[], (now - t).max(0.0));
    }
    r.render()
}

/// Counts lines and finished messages into the shared registry.
pub struct Metrics {
    shared: Shared,
    max_domains: usize,
    domains: HashSet<String>,
    /// Lines and messages before this are not counted (`--since`).
    since: Option<Stamp>,
}

impl Metrics {
    pub fn new(shared: Shared, max_domains: usize, since: Option<Stamp>) -> Metrics {
        Metrics {
            shared,
            max_domains,
            domains: HashSet::new(),
            since,
        }
    }

    /// Counts one message whose life ended.
    pub fn record_message(&mut self, m: &Message) {
        if self.since.is_some_and(|s| m.last_seen < s) {
            return;
        }
        let mut labels: Vec<(String, &'static str)> = Vec::with_capacity(m.recipients.len());
        for rcpt in &m.recipients {
            let domain = rcpt
                .to
                .rsplit_once('@')
                .map(|(_, d)| d.to_ascii_lowercase())
                .unwrap_or_else(|| "none".to_string());
            let domain = if self.domains.contains(&domain) {
                domain
            } else if self.domains.len() < self.max_domains {
                self.domains.insert(domain.clone());
                domain
            } else {
                "other".to_string()
            };
            labels.push((domain, rcpt.status.as_str()));
        }
        let mut r = lock(&self.shared);
        if m.queue_id.is_some() {
            r.inc("mailtrail_messages_total", &[m.status().as_str()]);
        }
        for (domain, status) in &labels {
            r.inc("mailtrail_recipients_total", &[domain, status]);
        }
    }

    /// Sets the gauges from the live driver's status.
    pub fn record_status(&mut self, s: &LiveStatus<'_>) {
        let mut r = lock(&self.shared);
        r.set("mailtrail_messages_in_flight", &[], s.in_flight as f64);
        r.set(
            "mailtrail_messages_dropped_total",
            &[],
            s.counts.dropped_in_flight as f64,
        );
        if let Some(t) = s.newest_line {
            r.set("mailtrail_newest_line_timestamp_seconds", &[], t.as_f64());
        }
        if let Some(t) = s.last_read {
            r.set(
                "mailtrail_last_read_timestamp_seconds",
                &[],
                t.as_millisecond() as f64 / 1000.0,
            );
        }
    }
}

impl Sink for Metrics {
    fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
        if self.since.is_some_and(|s| line.time.is_some_and(|t| t < s)) {
            return ControlFlow::Continue(());
        }
        let mut r = lock(&self.shared);
        count_line(&mut r, line);
        ControlFlow::Continue(())
    }

    fn message(&mut self, m: Message) -> ControlFlow<()> {
        self.record_message(&m);
        ControlFlow::Continue(())
    }
}

impl LiveSink for Metrics {
    fn status(&mut self, status: &LiveStatus<'_>) -> std::io::Result<()> {
        self.record_status(status);
        Ok(())
    }
}

fn text(b: &[u8]) -> String {
    owned(b)
}

/// Counts one line.
fn count_line(r: &mut Registry, line: &LineView<'_>) {
    let (envelope, event) = match line.parsed {
        Parsed::Malformed => {
            r.inc("mailtrail_lines_total", &["malformed"]);
            return;
        }
        Parsed::Foreign { envelope } => {
            r.inc("mailtrail_lines_total", &["other_program"]);
            if envelope.program.syslog_name == b"opendkim" {
                if let Some((selector, domain)) = dkim_signature(envelope.text) {
                    r.inc("opendkim_signatures_added_total", &[&selector, &domain]);
                }
            }
            return;
        }
        Parsed::Postfix { envelope, event } => (envelope, event),
    };
    r.inc("mailtrail_lines_total", &["postfix"]);
    let daemon = text(envelope.program.daemon);
    let event = match (event, line.time) {
        (Some(e), Some(_)) => e,
        _ => {
            let level = match envelope.severity {
                Severity::Info => "",
                s => s.as_str(),
            };
            r.inc("postfix_unsupported_log_entries_total", &[&daemon, level]);
            r.inc("mailtrail_lines_not_understood_total", &[&daemon]);
            return;
        }
    };
    match *event {
        Event::Connect { .. } if daemon == "smtpd" => r.inc("postfix_smtpd_connects_total", &[]),
        Event::Disconnect { .. } if daemon == "smtpd" => {
            r.inc("postfix_smtpd_disconnects_total", &[])
        }
        Event::Interrupted {
            kind: Interruption::LostConnection,
            stage,
            ..
        } if daemon == "smtpd" => {
            r.inc("postfix_smtpd_connections_lost_total", &[&text(stage)]);
        }
        Event::ClientAccepted { sasl_method, .. } if daemon == "smtpd" => {
            // postfix_exporter: an empty label without SASL.
            let method = sasl_method.map(text).unwrap_or_default();
            r.inc("postfix_smtpd_messages_processed_total", &[&method]);
        }
        Event::SaslFailed { .. } => r.inc("postfix_smtpd_sasl_authentication_failures_total", &[]),
        Event::Tls {
            inbound,
            trust,
            protocol,
            cipher,
            ..
        } => {
            let (secret, algorithm) = tls_bits(envelope.text);
            let name = if inbound {
                "postfix_smtpd_tls_connections_total"
            } else {
                "postfix_smtp_tls_connections_total"
            };
            r.inc(
                name,
                &[
                    &text(trust),
                    &text(protocol),
                    &text(cipher),
                    &secret,
                    &algorithm,
                ],
            );
        }
        Event::Diagnostic { text: t, .. }
            if daemon == "smtpd"
                && t.starts_with(b"hostname ")
                && memchr::memmem::find(t, b" does not resolve to address ").is_some() =>
        {
            r.inc(
                "postfix_smtpd_forward_confirmed_reverse_dns_errors_total",
                &[],
            );
        }
        Event::Verdict { queue_id, verdict } => {
            verdict_metrics(r, &daemon, queue_id.is_none(), &verdict)
        }
        Event::MessageId { .. } if daemon == "cleanup" => {
            r.inc("postfix_cleanup_messages_processed_total", &[])
        }
        Event::QueueActive { size, nrcpt, .. } => {
            if let Some(n) = nrcpt {
                r.observe(
                    "postfix_qmgr_messages_inserted_recipients",
                    &[],
                    f64::from(n),
                );
                r.observe(
                    "postfix_qmgr_messages_inserted_receipients",
                    &[],
                    f64::from(n),
                );
            }
            if let Some(s) = size {
                r.observe("postfix_qmgr_messages_inserted_size_bytes", &[], s as f64);
            }
        }
        Event::Removed { .. } if daemon == "qmgr" => {
            r.inc("postfix_qmgr_messages_removed_total", &[])
        }
        Event::ReturnedToSender {
            status: DeliveryStatus::Expired | DeliveryStatus::ForceExpired,
            ..
        } => {
            r.inc("postfix_qmgr_messages_expired_total", &[]);
        }
        Event::Delivery(d) => delivery_metrics(r, &daemon, envelope, &d),
        Event::ConnectionProblem { text: t }
            if daemon == "smtp"
                && t.starts_with(b"connect to ")
                && t.ends_with(b": Connection timed out") =>
        {
            r.inc("postfix_smtp_connection_timed_out_total", &[]);
        }
        Event::Notification {
            kind: NotificationKind::NonDelivery,
            to_postmaster: false,
            ..
        } => r.inc("postfix_bounce_non_delivery_notification_total", &[]),
        Event::Screening(s) => match s.action {
            b"CONNECT" => r.inc("postfix_postscreen_connects_total", &[]),
            b"PASS NEW" => r.inc("postfix_postscreen_passes_total", &["new"]),
            b"PASS OLD" => r.inc("postfix_postscreen_passes_total", &["old"]),
            b"HANGUP" => r.inc("postfix_postscreen_hangups_total", &[]),
            b"DNSBL" => {
                if let Some(rank) = dnsbl_rank(envelope.text) {
                    r.observe("postfix_postscreen_dnsbl_rank", &[], rank);
                }
            }
            b"ALLOWLISTED" | b"WHITELISTED" => {
                r.inc("postfix_postscreen_access_list_matches_total", &["allow"])
            }
            b"DENYLISTED" | b"BLACKLISTED" => {
                r.inc("postfix_postscreen_access_list_matches_total", &["deny"])
            }
            b"PREGREET"
            | b"NON-SMTP COMMAND"
            | b"COMMAND PIPELINING"
            | b"COMMAND TIME LIMIT"
            | b"COMMAND COUNT LIMIT"
            | b"COMMAND LENGTH LIMIT"
            | b"BARE NEWLINE" => {
                let test = text(s.action).replace(['-', ' '], "_");
                r.inc("postfix_postscreen_tests_failed_total", &[&test]);
            }
            _ => {}
        },
        _ => {}
    }
}

fn verdict_metrics(r: &mut Registry, daemon: &str, noqueue: bool, v: &Verdict<'_>) {
    if !crate::parse::verdict::is_refusal(v.action) {
        return;
    }
    r.inc(
        "mailtrail_rejects_total",
        &[daemon, reject_class(daemon, v)],
    );
    let code = v.reply.code.map(|c| c.to_string()).unwrap_or_default();
    match daemon {
        "smtpd" if v.action == b"reject" => {
            r.inc("postfix_smtpd_messages_rejected_total", &[&code]);
        }
        "cleanup" if matches!(v.action, b"reject" | b"milter-reject") => {
            r.inc("postfix_cleanup_messages_rejected_total", &[]);
        }
        "postscreen" if noqueue && v.stage == b"CONNECT" => {
            r.inc(
                "postfix_postscreen_connects_rejected_total",
                &[&text(v.reply.text)],
            );
        }
        "postscreen" if noqueue && v.stage == b"RCPT" => {
            r.inc("postfix_postscreen_messages_rejected_total", &[&code]);
        }
        _ => {}
    }
}

/// What kind of reason a refusal gave, from Postfix's standard reply texts.
pub fn reject_class(daemon: &str, v: &Verdict<'_>) -> &'static str {
    let has = |needle: &[u8]| memchr::memmem::find(v.reply.text, needle).is_some();
    if v.action.starts_with(b"milter") {
        "milter"
    } else if daemon == "cleanup"
        && matches!(
            v.stage,
            b"header" | b"body" | b"mime-header" | b"nested-header"
        )
    {
        "content"
    } else if daemon == "postscreen" {
        "postscreen"
    } else if has(b"blocked using") {
        "blocklist"
    } else if has(b"User unknown") || has(b"Recipient address rejected: undeliverable") {
        "unknown_user"
    } else if has(b"Relay access denied") {
        "relay_denied"
    } else if has(b"Sender address rejected") {
        "sender"
    } else if has(b"Recipient address rejected") {
        "recipient"
    } else if has(b"Client host rejected") {
        "client"
    } else if has(b"Helo command rejected") {
        "helo"
    } else if has(b"Greylist") || has(b"greylist") {
        "greylist"
    } else if has(b"Protocol error") || has(b"Improper use of SMTP command pipelining") {
        "protocol"
    } else if v.reply.code.is_some_and(|c| (400..500).contains(&c)) {
        "temporary"
    } else {
        "other"
    }
}

fn delivery_metrics(r: &mut Registry, daemon: &str, envelope: &Envelope<'_>, d: &Delivery<'_>) {
    let status = RecipientStatus::Delivery(d.status).as_str();
    let transport = if envelope.program.service.is_empty() {
        daemon.to_string()
    } else {
        // `postfix/relay/smtp`: the master.cf service is the transport.
        let service = text(envelope.program.service);
        service.rsplit('/').next().unwrap_or(&service).to_string()
    };
    r.inc("mailtrail_deliveries_total", &[&transport, status]);
    if let Some(delay) = d.delay {
        r.observe(
            "mailtrail_delivery_delay_seconds",
            &[&transport, "total"],
            delay,
        );
    }
    let stages = d
        .delays
        .map(|x| [x.before_qmgr, x.in_qmgr, x.conn_setup, x.transmission]);
    if let Some(values) = stages {
        for (stage, value) in STAGES.iter().zip(values) {
            r.observe(
                "mailtrail_delivery_delay_seconds",
                &[&transport, stage],
                value,
            );
        }
    }
    match daemon {
        "smtp" => {
            r.inc("postfix_smtp_messages_processed_total", &[status]);
            let dsn = d.dsn.map(text).unwrap_or_default();
            match d.status {
                DeliveryStatus::Deferred => {
                    r.inc("postfix_smtp_status_deferred", &[]);
                    r.inc("postfix_smtp_deferred_messages_by_dsn_total", &[&dsn]);
                }
                DeliveryStatus::Bounced => {
                    r.inc("postfix_smtp_bounced_messages_by_dsn_total", &[&dsn]);
                }
                _ => {}
            }
            if let Some(values) = stages {
                for (stage, value) in STAGES.iter().zip(values) {
                    r.observe("postfix_smtp_delivery_delay_seconds", &[stage], value);
                }
            }
        }
        "lmtp" => {
            if let Some(values) = stages {
                for (stage, value) in STAGES.iter().zip(values) {
                    r.observe("postfix_lmtp_delivery_delay_seconds", &[stage], value);
                }
            }
        }
        "pipe" => {
            let relay = d.relay.map(text).unwrap_or_default();
            if let Some(values) = stages {
                for (stage, value) in STAGES.iter().zip(values) {
                    r.observe(
                        "postfix_pipe_delivery_delay_seconds",
                        &[&relay, stage],
                        value,
                    );
                }
            }
        }
        "virtual" if d.status == DeliveryStatus::Sent => {
            r.inc("postfix_virtual_delivered_total", &[]);
        }
        _ => {}
    }
}

/// `… with cipher C (256/256 bits)`: the secret and algorithm bits. The event keeps the
/// protocol and cipher; the bits are only wanted here, as postfix_exporter's labels.
fn tls_bits(line_text: &[u8]) -> (String, String) {
    let bits = memchr::memmem::find(line_text, b" with cipher ").and_then(|at| {
        let rest = line_text.get(at..).unwrap_or_default();
        let open = memchr::memchr(b'(', rest)?;
        let rest = rest.get(open + 1..).unwrap_or_default();
        let end = memchr::memmem::find(rest, b" bits)")?;
        let (secret, algorithm) = rest
            .get(..end)
            .unwrap_or_default()
            .split_at(memchr::memchr(b'/', rest.get(..end).unwrap_or_default())?);
        Some((text(secret), text(algorithm.get(1..).unwrap_or_default())))
    });
    bits.unwrap_or_default()
}

/// postscreen's `DNSBL rank N for [ip]:port`.
fn dnsbl_rank(line_text: &[u8]) -> Option<f64> {
    let rest = line_text.strip_prefix(b"DNSBL rank ")?;
    let end = rest.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(rest.get(..end).unwrap_or_default())
        .ok()?
        .parse()
        .ok()
}

/// opendkim's `QID: DKIM-Signature field added (s=SELECTOR, d=DOMAIN)`.
fn dkim_signature(line_text: &[u8]) -> Option<(String, String)> {
    let at = memchr::memmem::find(line_text, b"DKIM-Signature field added (s=")?;
    let rest = line_text
        .get(at + b"DKIM-Signature field added (s=".len()..)
        .unwrap_or_default();
    let comma = memchr::memmem::find(rest, b", d=")?;
    let domain = rest
        .get(comma + 4..)
        .unwrap_or_default()
        .strip_suffix(b")")?;
    Some((text(rest.get(..comma).unwrap_or_default()), text(domain)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_text_pieces() {
        assert_eq!(
            tls_bits(b"Anonymous TLS connection established from x[1.2.3.4]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519"),
            ("256".to_string(), "256".to_string())
        );
        assert_eq!(tls_bits(b"no bits here"), (String::new(), String::new()));
        assert_eq!(dnsbl_rank(b"DNSBL rank 3 for [192.0.2.7]:1234"), Some(3.0));
        assert_eq!(
            dkim_signature(b"4F1A2B: DKIM-Signature field added (s=mail, d=example.com)"),
            Some(("mail".to_string(), "example.com".to_string()))
        );
    }

    #[test]
    fn every_family_renders() {
        let shared = new_registry();
        let text = lock(&shared).render();
        for d in DEFS {
            assert!(text.contains(&format!("# TYPE {} ", d.name)), "{}", d.name);
        }
    }
}
