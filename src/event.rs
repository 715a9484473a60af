//! The typed events: the contract between parsing and correlating.
//!
//! Every Postfix line the parser understands becomes one `Event`, borrowing its text from the
//! line. Consumers never re-parse text: when one needs a field, the event grows the field.

use crate::parse::bytes::Endpoint;
use crate::parse::queue_id::QueueId;

/// What a delivery agent or `qmgr` says became of a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeliveryStatus {
    Sent,
    Deferred,
    Bounced,
    Expired,
    ForceExpired,
    Undeliverable,
    Deliverable,
}

impl DeliveryStatus {
    pub fn parse(word: &[u8]) -> Option<DeliveryStatus> {
        Some(match word {
            b"sent" => DeliveryStatus::Sent,
            b"deferred" => DeliveryStatus::Deferred,
            b"bounced" => DeliveryStatus::Bounced,
            b"expired" => DeliveryStatus::Expired,
            b"force-expired" => DeliveryStatus::ForceExpired,
            b"undeliverable" | b"undeliverable-but-not-cached" => DeliveryStatus::Undeliverable,
            b"deliverable" => DeliveryStatus::Deliverable,
            _ => return None,
        })
    }
}

/// The four stages of `delays=a/b/c/d`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Delays {
    /// Before the queue manager (receiving, or waiting in the deferred queue).
    pub before_qmgr: f64,
    /// In the queue manager (waiting for a delivery agent).
    pub in_qmgr: f64,
    /// Connection set-up (DNS, HELO, TLS).
    pub conn_setup: f64,
    /// Transmission.
    pub transmission: f64,
}

/// `to=<…>, relay=…, delay=…, status=…` from any delivery agent.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub queue_id: QueueId,
    pub to: &'a [u8],
    pub orig_to: Option<&'a [u8]>,
    pub relay: Option<&'a [u8]>,
    pub conn_use: Option<u32>,
    pub delay: Option<f64>,
    pub delays: Option<Delays>,
    pub dsn: Option<&'a [u8]>,
    pub status: DeliveryStatus,
    /// The text in parentheses after the status: the remote reply or the agent's own words.
    pub reply: &'a [u8],
    /// `queued as ID` in a 250 reply: the next hop's queue ID.
    pub queued_as: Option<QueueId>,
    /// `forwarded as ID` from local(8): the new message carrying the forwarded copy.
    pub forwarded_as: Option<QueueId>,
}

/// A reply `550 5.1.1 text`: code, enhanced status code, and the whole reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply<'a> {
    pub code: Option<u16>,
    pub dsn: Option<&'a [u8]>,
    pub text: &'a [u8],
}

/// smtpd's (or cleanup's, or postscreen's) verdict on one command or message:
/// `reject: RCPT from C: 550 5.1.1 <x>: …; from=<…> to=<…> proto=… helo=<…>`.
#[derive(Debug, Clone, Copy)]
pub struct Verdict<'a> {
    /// `reject`, `reject_warning`, `defer`, `hold`, `discard`, `filter`, `redirect`, `warning`,
    /// `milter-reject`, `milter-discard`, `milter-hold`, `replace`, `prepend`, `info`.
    pub action: &'a [u8],
    /// The SMTP stage (`RCPT`, `MAIL`, `CONNECT`, `HELO`, `DATA`, `END-OF-MESSAGE`, `VRFY`,
    /// `ETRN`), or for cleanup the matched part (`header`, `body`).
    pub stage: &'a [u8],
    /// For header/body checks: the matched text (`Subject: [HOLD] …`).
    pub matched: Option<&'a [u8]>,
    pub client: Option<Endpoint<'a>>,
    pub reply: Reply<'a>,
    pub from: Option<&'a [u8]>,
    pub to: Option<&'a [u8]>,
    pub proto: Option<&'a [u8]>,
    pub helo: Option<&'a [u8]>,
}

/// `bounce`'s notice that it made a notification message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    NonDelivery,
    Delay,
    DeliveryStatus,
    Success,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::NonDelivery => "non-delivery",
            NotificationKind::Delay => "delay",
            NotificationKind::DeliveryStatus => "delivery status",
            NotificationKind::Success => "success",
        }
    }
}

/// What postsuper did to one queue file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueAction {
    Deleted,
    Requeued,
    Held,
    Released,
    Expired,
}

/// How an smtpd connection ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    LostConnection,
    Timeout,
    TooManyErrors,
}

/// master's life-cycle events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MasterAction {
    Started,
    Reload,
    Terminating,
    /// postfix-script: starting / stopping / refreshing the mail system.
    Script,
}

/// A postscreen decision about a connecting client.
#[derive(Debug, Clone, Copy)]
pub struct Screening<'a> {
    /// `CONNECT`, `PASS NEW`, `PASS OLD`, `ALLOWLISTED`, `DENYLISTED`, `PREGREET`, `HANGUP`,
    /// `DNSBL`, `DISCONNECT`, `NON-SMTP COMMAND`, `BARE NEWLINE`, `COMMAND PIPELINING`, …
    pub action: &'a [u8],
    pub client: Option<Endpoint<'a>>,
    /// The rest: DNSBL rank, timings, the stage of a failed test.
    pub detail: &'a [u8],
}

/// One understood line.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    // ---- smtpd
    Connect {
        client: Endpoint<'a>,
    },
    Disconnect {
        client: Endpoint<'a>,
        counts: &'a [u8],
    },
    Interrupted {
        kind: Interruption,
        stage: &'a [u8],
        client: Endpoint<'a>,
    },
    /// `QID: client=…` — smtpd (or qmqpd) gave the message its queue ID.
    ClientAccepted {
        queue_id: QueueId,
        client: Endpoint<'a>,
        sasl_method: Option<&'a [u8]>,
        sasl_username: Option<&'a [u8]>,
        orig_client: Option<Endpoint<'a>>,
        orig_queue_id: Option<QueueId>,
    },
    /// A verdict before any queue file exists (`NOQUEUE: reject: …`) or on a message.
    Verdict {
        queue_id: Option<QueueId>,
        verdict: Verdict<'a>,
    },
    /// `EHLO name` / `HELO name`, as the seed document shows smtpd logging it.
    Helo {
        name: &'a [u8],
    },
    /// `sender=<…>` without a queue ID (the seed's illustration of MAIL FROM).
    Sender {
        address: &'a [u8],
    },
    /// `recipient=<…>` without a queue ID (the seed's illustration of RCPT TO).
    Recipient {
        address: &'a [u8],
    },
    /// `… TLS connection established from|to PEER: PROTOCOL with cipher CIPHER (…)`.
    Tls {
        inbound: bool,
        trust: &'a [u8],
        peer: Option<Endpoint<'a>>,
        protocol: &'a [u8],
        cipher: &'a [u8],
    },
    SaslFailed {
        client: Endpoint<'a>,
        method: &'a [u8],
        reason: &'a [u8],
    },
    /// Other understood smtpd remarks: improper pipelining, proxy-accept, non-SMTP command, …
    SessionNote {
        client: Option<Endpoint<'a>>,
        note: &'a [u8],
    },

    // ---- postscreen, dnsblog, anvil, tlsproxy, scache: facts about the server, not messages
    Screening(Screening<'a>),
    DnsblHit {
        ip: &'a [u8],
        list: &'a [u8],
    },
    Statistics {
        text: &'a [u8],
    },

    // ---- cleanup, pickup
    MessageId {
        queue_id: QueueId,
        message_id: &'a [u8],
    },
    Pickup {
        queue_id: QueueId,
        uid: Option<u32>,
        from: Option<&'a [u8]>,
        orig_id: Option<QueueId>,
    },

    // ---- qmgr
    QueueActive {
        queue_id: QueueId,
        from: &'a [u8],
        size: Option<u64>,
        nrcpt: Option<u32>,
        deferred_queue: bool,
    },
    Removed {
        queue_id: QueueId,
    },
    ReturnedToSender {
        queue_id: QueueId,
        from: &'a [u8],
        status: DeliveryStatus,
    },

    // ---- delivery agents
    Delivery(Delivery<'a>),
    /// A delivery line cut short (syslog truncates long lines) before its `status=`: the
    /// recipient is known, the outcome is not.
    DeliveryCut {
        queue_id: QueueId,
        to: &'a [u8],
    },
    /// smtp/lmtp trouble tied to a message: `QID: lost connection with H while …`,
    /// `QID: host H said: …`, `QID: conversation with H timed out …`.
    DeliveryProblem {
        queue_id: QueueId,
        text: &'a [u8],
    },
    /// `connect to H[ip]:25: Connection refused` and other per-connection trouble.
    ConnectionProblem {
        text: &'a [u8],
    },

    // ---- bounce
    Notification {
        queue_id: QueueId,
        kind: NotificationKind,
        to_postmaster: bool,
        new_queue_id: QueueId,
    },

    // ---- master, postfix-script, postsuper
    Master {
        action: MasterAction,
        version: Option<&'a [u8]>,
    },
    QueueFile {
        queue_id: QueueId,
        action: QueueAction,
    },
    QueueSummary {
        text: &'a [u8],
    },

    /// `warning:`, `error:`, `fatal:`, `panic:` lines (and a few free-text info lines):
    /// understood as diagnostics, with the queue ID when one leads the text.
    Diagnostic {
        queue_id: Option<QueueId>,
        text: &'a [u8],
    },
}

impl Event<'_> {
    /// Every kind's name (see `kind`), at its `kind_index`.
    pub const KINDS: [&'static str; 28] = [
        "connect",
        "disconnect",
        "interrupted",
        "client",
        "verdict",
        "helo",
        "sender",
        "recipient",
        "tls",
        "sasl-failed",
        "session-note",
        "postscreen",
        "dnsbl",
        "statistics",
        "message-id",
        "pickup",
        "queue-active",
        "removed",
        "returned-to-sender",
        "delivery",
        "delivery-problem",
        "delivery-cut",
        "connection-problem",
        "notification",
        "master",
        "queue-file",
        "queue-summary",
        "diagnostic",
    ];

    /// A short stable name for the kind of event, for counting and for `--json`.
    pub fn kind(&self) -> &'static str {
        Event::KINDS
            .get(self.kind_index())
            .copied()
            .unwrap_or_default()
    }

    /// The kind as a small number, the index of its name in `KINDS`: counting lines by kind
    /// per line is then one array increment, not a lookup by name.
    pub fn kind_index(&self) -> usize {
        match self {
            Event::Connect { .. } => 0,
            Event::Disconnect { .. } => 1,
            Event::Interrupted { .. } => 2,
            Event::ClientAccepted { .. } => 3,
            Event::Verdict { .. } => 4,
            Event::Helo { .. } => 5,
            Event::Sender { .. } => 6,
            Event::Recipient { .. } => 7,
            Event::Tls { .. } => 8,
            Event::SaslFailed { .. } => 9,
            Event::SessionNote { .. } => 10,
            Event::Screening(_) => 11,
            Event::DnsblHit { .. } => 12,
            Event::Statistics { .. } => 13,
            Event::MessageId { .. } => 14,
            Event::Pickup { .. } => 15,
            Event::QueueActive { .. } => 16,
            Event::Removed { .. } => 17,
            Event::ReturnedToSender { .. } => 18,
            Event::Delivery(_) => 19,
            Event::DeliveryProblem { .. } => 20,
            Event::DeliveryCut { .. } => 21,
            Event::ConnectionProblem { .. } => 22,
            Event::Notification { .. } => 23,
            Event::Master { .. } => 24,
            Event::QueueFile { .. } => 25,
            Event::QueueSummary { .. } => 26,
            Event::Diagnostic { .. } => 27,
        }
    }

    /// The queue ID the event is about, if any.
    pub fn queue_id(&self) -> Option<QueueId> {
        match *self {
            Event::ClientAccepted { queue_id, .. }
            | Event::MessageId { queue_id, .. }
            | Event::Pickup { queue_id, .. }
            | Event::QueueActive { queue_id, .. }
            | Event::Removed { queue_id }
            | Event::ReturnedToSender { queue_id, .. }
            | Event::DeliveryProblem { queue_id, .. }
            | Event::DeliveryCut { queue_id, .. }
            | Event::Notification { queue_id, .. }
            | Event::QueueFile { queue_id, .. } => Some(queue_id),
            Event::Delivery(d) => Some(d.queue_id),
            Event::Verdict { queue_id, .. } | Event::Diagnostic { queue_id, .. } => queue_id,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_distinct() {
        let mut names = Event::KINDS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Event::KINDS.len());
        let removed = Event::Removed {
            queue_id: QueueId::new(b"1A2B3C4D5E").unwrap(),
        };
        assert_eq!(removed.kind(), "removed");
        assert_eq!(Event::KINDS[removed.kind_index()], "removed");
    }
}
