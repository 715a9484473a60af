//! The correlated message: one life of a queue ID on one host and instance, from its first
//! sighting (`client=`, `uid=`) to `removed`, with every recipient's delivery attempts.

use super::inline::InlineList;
pub use super::text::Text;
use crate::event::{Delays, DeliveryStatus};
use crate::parse::queue_id::QueueId;
use crate::time::Stamp;
use std::sync::Arc;

/// Where a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Received over SMTP (or QMQP) by smtpd.
    Smtpd,
    /// Submitted locally with sendmail/postdrop and picked up by pickup.
    Pickup,
    /// Made by Postfix itself: a bounce/delay notification or a local forward.
    Internal,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Smtpd => "smtpd",
            Origin::Pickup => "pickup",
            Origin::Internal => "internal",
        }
    }
}

/// A client or relay as logged: `name[ip]:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub name: Text,
    pub ip: Text,
    pub port: Option<Text>,
}

impl Peer {
    /// `name[ip]` as Postfix prints it.
    pub fn display(&self) -> String {
        format!("{}[{}]", self.name, self.ip)
    }
}

/// The state of one recipient: Postfix's words, plus what happens without a delivery line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecipientStatus {
    Delivery(DeliveryStatus),
    /// Known (from a verdict's `to=`) but no delivery attempt logged yet.
    Queued,
    Held,
    Deleted,
    Discarded,
    Rejected,
    /// `postsuper -r`: the recipient goes on in the message's new life under a new queue ID.
    Requeued,
}

impl RecipientStatus {
    pub const SENT: RecipientStatus = RecipientStatus::Delivery(DeliveryStatus::Sent);
    pub const DEFERRED: RecipientStatus = RecipientStatus::Delivery(DeliveryStatus::Deferred);

    pub fn as_str(self) -> &'static str {
        match self {
            RecipientStatus::Delivery(d) => match d {
                DeliveryStatus::Sent => "sent",
                DeliveryStatus::Deferred => "deferred",
                DeliveryStatus::Bounced => "bounced",
                DeliveryStatus::Expired => "expired",
                DeliveryStatus::ForceExpired => "force-expired",
                DeliveryStatus::Undeliverable => "undeliverable",
                DeliveryStatus::Deliverable => "deliverable",
            },
            RecipientStatus::Queued => "queued",
            RecipientStatus::Held => "held",
            RecipientStatus::Deleted => "deleted",
            RecipientStatus::Discarded => "discarded",
            RecipientStatus::Rejected => "rejected",
            RecipientStatus::Requeued => "requeued",
        }
    }

    /// Still waiting in the queue: the next event may change it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            RecipientStatus::Queued | RecipientStatus::Held | RecipientStatus::DEFERRED
        )
    }
}

/// One delivery attempt for one recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub time: Stamp,
    /// The delivery agent's name: `smtp`, `local`, `lmtp`, … (the daemon part of the tag).
    pub agent: Text,
    pub status: DeliveryStatus,
    pub dsn: Option<Text>,
    pub relay: Option<Text>,
    pub conn_use: Option<u32>,
    pub delay: Option<f64>,
    pub delays: Option<Delays>,
    pub reply: Text,
    /// The next hop's queue ID from `250 … queued as ID`.
    pub remote_queue_id: Option<Text>,
    /// Logged after the message's `removed` line (lines of different processes interleave).
    pub after_removal: bool,
}

/// A verdict on the message or on one of its recipients (`reject`, `hold`, `milter-reject` …).
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub time: Stamp,
    /// The daemon that said it: `smtpd`, `cleanup`, `postscreen`.
    pub daemon: Text,
    pub action: Text,
    /// SMTP stage (`RCPT`, `DATA` …) or `header`/`body` for cleanup checks.
    pub stage: Text,
    pub code: Option<u16>,
    pub dsn: Option<Text>,
    pub reply: Text,
    pub from: Option<Text>,
    pub to: Option<Text>,
    pub matched: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub to: Text,
    pub orig_to: Option<Text>,
    pub status: RecipientStatus,
    pub attempts: Vec<Attempt>,
    /// The verdict that decided this recipient, when it was rejected, held or discarded.
    /// Boxed: few recipients have one, and every recipient would carry its size.
    pub verdict: Option<Box<Rejection>>,
}

impl Recipient {
    pub fn last_attempt(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    pub fn dsn(&self) -> Option<&str> {
        match self.last_attempt() {
            Some(a) => a.dsn.as_deref(),
            None => self.verdict.as_ref().and_then(|v| v.dsn.as_deref()),
        }
    }

    pub fn reply(&self) -> Option<&str> {
        match self.last_attempt() {
            Some(a) => Some(&a.reply),
            None => self.verdict.as_ref().map(|v| v.reply.as_str()),
        }
    }

    pub fn deferrals(&self) -> usize {
        self.attempts
            .iter()
            .filter(|a| a.status == DeliveryStatus::Deferred)
            .count()
    }
}

/// How two messages are related.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    ReinjectedAs,
    ReinjectedFrom,
    Notification,
    NotificationOf,
    ForwardedAs,
    ForwardedFrom,
    RequeuedAs,
    RequeuedFrom,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::ReinjectedAs => "reinjected_as",
            LinkKind::ReinjectedFrom => "reinjected_from",
            LinkKind::Notification => "notification",
            LinkKind::NotificationOf => "notification_of",
            LinkKind::ForwardedAs => "forwarded_as",
            LinkKind::ForwardedFrom => "forwarded_from",
            LinkKind::RequeuedAs => "requeued_as",
            LinkKind::RequeuedFrom => "requeued_from",
        }
    }

    pub fn reverse(self) -> LinkKind {
        match self {
            LinkKind::ReinjectedAs => LinkKind::ReinjectedFrom,
            LinkKind::ReinjectedFrom => LinkKind::ReinjectedAs,
            LinkKind::Notification => LinkKind::NotificationOf,
            LinkKind::NotificationOf => LinkKind::Notification,
            LinkKind::ForwardedAs => LinkKind::ForwardedFrom,
            LinkKind::ForwardedFrom => LinkKind::ForwardedAs,
            LinkKind::RequeuedAs => LinkKind::RequeuedFrom,
            LinkKind::RequeuedFrom => LinkKind::RequeuedAs,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub kind: LinkKind,
    pub queue_id: QueueId,
    /// The other message's host, when it differs (a relay whose log is in the input).
    pub host: Option<Arc<str>>,
    /// For notifications: `non-delivery`, `delay`, `delivery status`, `success`.
    pub detail: Option<&'static str>,
}

impl Ending {
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::Removed => "removed",
            Ending::Deleted => "deleted",
            Ending::Requeued => "requeued",
            Ending::Discarded => "discarded",
            Ending::Rejected => "rejected",
            Ending::Abandoned => "abandoned",
        }
    }
}

/// What ended a message's life without a delivery line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// qmgr's `removed`: the normal end.
    Removed,
    /// `postsuper -d`.
    Deleted,
    /// `postsuper -r`: the content comes back under a new queue ID.
    Requeued,
    /// A header/body check or milter `discard`.
    Discarded,
    /// cleanup (header/body checks, milter) rejected it after the queue ID was given.
    Rejected,
    /// The client went away during DATA: smtpd gave up and the queue file was discarded.
    Abandoned,
}

/// One original log line, kept for `trace --raw`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    pub source: Arc<str>,
    pub line_number: u64,
    pub text: String,
}

/// The overall state of a message, for `status` in the output and `--status` filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageStatus {
    /// All recipients share this status.
    Uniform(RecipientStatus),
    /// Recipients ended differently (some sent, some bounced …).
    Mixed,
    /// In the queue with no delivery attempt seen.
    Queued,
    /// Removed with no delivery line seen (its lines lie outside the input).
    Removed,
    Requeued,
    /// The client went away while sending it; never queued.
    Abandoned,
    /// Its lines stop before it entered the queue (no qmgr line), long before the input ends.
    Incomplete,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Uniform(s) => s.as_str(),
            MessageStatus::Mixed => "mixed",
            MessageStatus::Queued => "queued",
            MessageStatus::Removed => "removed",
            MessageStatus::Requeued => "requeued",
            MessageStatus::Abandoned => "abandoned",
            MessageStatus::Incomplete => "incomplete",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Message {
    /// `None` for a `NOQUEUE` record: a reject before any queue file existed.
    pub queue_id: Option<QueueId>,
    pub host: Arc<str>,
    /// The syslog name, `postfix` or `postfix-INSTANCE`.
    pub instance: Arc<str>,
    pub first_seen: Stamp,
    pub last_seen: Stamp,
    pub origin: Option<Origin>,
    pub client: Option<Peer>,
    pub helo: Option<Text>,
    pub sasl_method: Option<Text>,
    pub sasl_username: Option<Text>,
    /// The smtpd session's TLS, as `TLSv1.3 TLS_AES_256_GCM_SHA384`.
    pub tls: Option<Text>,
    /// When the smtpd session that received it connected.
    pub connected_at: Option<Stamp>,
    /// When that session ended, and its command counts (`ehlo=1 mail=1 rcpt=1 data=1 quit=1
    /// commands=5`), when the disconnect line came while the message was in flight.
    pub disconnected_at: Option<Stamp>,
    pub session_commands: Option<Text>,
    /// smtpd's service name (`submission`, `smtps`) when not plain `smtpd`.
    pub service: Option<Text>,
    pub uid: Option<u32>,
    pub from: Option<Text>,
    pub size: Option<u64>,
    pub nrcpt: Option<u32>,
    /// `None` also when the tracker was told not to keep it (`TrackerConfig::keep_message_ids`).
    pub message_id: Option<Text>,
    /// cleanup logged the message's Message-ID: its content reached the queue.
    pub message_id_logged: bool,
    pub ending: Option<Ending>,
    pub ended_at: Option<Stamp>,
    /// Currently in the hold queue.
    pub held: bool,
    /// The input ended long after its last line, with its life not ended.
    pub stale: bool,
    /// qmgr returned it to the sender: `expired` or `force-expired`.
    pub expired: Option<DeliveryStatus>,
    pub recipients: Vec<Recipient>,
    pub links: Vec<Link>,
    pub rejections: Vec<Rejection>,
    /// Delivery problems and diagnostics logged with this queue ID.
    pub problems: Vec<(Stamp, String)>,
    pub raw: Vec<RawLine>,
    /// Hashes of the lines taken in, so that a line logged twice (overlapping files, a
    /// duplicated log) counts once.
    pub(crate) line_hashes: LineHashes,
    /// The emptied attempt list of a former life's recipient (`Message::renew`), for the next
    /// new recipient to fill without allocating (most messages have one): never read as data.
    spare_attempts: Vec<Attempt>,
}

/// A message's line hashes: eight in place cover nearly every message (a message with one
/// recipient has five lines or so), so that most messages need no allocation for them.
pub(crate) type LineHashes = InlineList<u64, 8>;

impl Message {
    pub fn new(
        queue_id: Option<QueueId>,
        host: Arc<str>,
        instance: Arc<str>,
        time: Stamp,
    ) -> Message {
        Message {
            queue_id,
            host,
            instance,
            first_seen: time,
            last_seen: time,
            origin: None,
            client: None,
            helo: None,
            sasl_method: None,
            sasl_username: None,
            tls: None,
            connected_at: None,
            disconnected_at: None,
            session_commands: None,
            service: None,
            uid: None,
            from: None,
            size: None,
            nrcpt: None,
            message_id: None,
            message_id_logged: false,
            ending: None,
            ended_at: None,
            held: false,
            stale: false,
            expired: None,
            recipients: Vec::new(),
            links: Vec::new(),
            rejections: Vec::new(),
            problems: Vec::new(),
            raw: Vec::new(),
            line_hashes: LineHashes::default(),
            spare_attempts: Vec::new(),
        }
    }

    /// Makes this message, whose consumer is done with it, a new one as `Message::new` makes
    /// it, keeping only the room its lists grew (and its recipients' attempt lists, emptied)
    /// so that the new life fills them without allocating. Nothing else of the old life is
    /// kept: every field is `Message::new`'s.
    ///
    /// Field by field, in place: building a whole new `Message` to move over this one copied
    /// its 600-odd bytes twice (and dropped the old one as a whole besides). The pattern names
    /// every field, so that a field added later cannot be left out.
    pub(crate) fn renew(
        &mut self,
        queue_id: Option<QueueId>,
        host: &Arc<str>,
        instance: &Arc<str>,
        time: Stamp,
    ) {
        let Message {
            queue_id: old_queue_id,
            host: old_host,
            instance: old_instance,
            first_seen,
            last_seen,
            origin,
            client,
            helo,
            sasl_method,
            sasl_username,
            tls,
            connected_at,
            disconnected_at,
            session_commands,
            service,
            uid,
            from,
            size,
            nrcpt,
            message_id,
            message_id_logged,
            ending,
            ended_at,
            held,
            stale,
            expired,
            recipients,
            links,
            rejections,
            problems,
            raw,
            line_hashes,
            spare_attempts,
        } = self;
        *old_queue_id = queue_id;
        // Nearly always the same host and instance as the former life: the shared names are
        // left as they are instead of counted down and up again (their counts sit beside the
        // text the consumer's thread reads, so each count moved that cache line between cores).
        if !Arc::ptr_eq(old_host, host) {
            *old_host = Arc::clone(host);
        }
        if !Arc::ptr_eq(old_instance, instance) {
            *old_instance = Arc::clone(instance);
        }
        *first_seen = time;
        *last_seen = time;
        *origin = None;
        *client = None;
        *helo = None;
        *sasl_method = None;
        *sasl_username = None;
        *tls = None;
        *connected_at = None;
        *disconnected_at = None;
        *session_commands = None;
        *service = None;
        *uid = None;
        *from = None;
        *size = None;
        *nrcpt = None;
        *message_id = None;
        *message_id_logged = false;
        *ending = None;
        *ended_at = None;
        *held = false;
        *stale = false;
        *expired = None;
        for r in recipients.drain(..) {
            if r.attempts.capacity() > spare_attempts.capacity() {
                *spare_attempts = r.attempts;
            }
        }
        empty_keeping_room(spare_attempts);
        empty_keeping_room(recipients);
        empty_keeping_room(links);
        empty_keeping_room(rejections);
        empty_keeping_room(problems);
        empty_keeping_room(raw);
        *line_hashes = LineHashes::default();
    }

    /// `qmgr` logged `removed` (or postsuper deleted it): the queue file is gone.
    pub fn removed(&self) -> bool {
        matches!(self.ending, Some(Ending::Removed) | Some(Ending::Deleted))
    }

    pub fn queue_id_str(&self) -> &str {
        match &self.queue_id {
            Some(q) => q.as_str(),
            None => "NOQUEUE",
        }
    }

    pub fn status(&self) -> MessageStatus {
        match self.ending {
            Some(Ending::Requeued) => return MessageStatus::Requeued,
            Some(Ending::Abandoned) => return MessageStatus::Abandoned,
            None if self.stale
                && self.nrcpt.is_none()
                && !self.held
                && self.recipients.iter().all(|r| r.attempts.is_empty()) =>
            {
                return MessageStatus::Incomplete
            }
            Some(Ending::Deleted) if self.recipients.is_empty() => {
                return MessageStatus::Uniform(RecipientStatus::Deleted)
            }
            Some(Ending::Discarded) if self.recipients.is_empty() => {
                return MessageStatus::Uniform(RecipientStatus::Discarded)
            }
            Some(Ending::Rejected) if self.recipients.is_empty() => {
                return MessageStatus::Uniform(RecipientStatus::Rejected)
            }
            _ => {}
        }
        if self.held && self.recipients.is_empty() {
            return MessageStatus::Uniform(RecipientStatus::Held);
        }
        let mut statuses = self.recipients.iter().map(|r| r.status);
        let Some(first) = statuses.next() else {
            return if self.removed() {
                MessageStatus::Removed
            } else {
                MessageStatus::Queued
            };
        };
        if statuses.all(|s| s == first) {
            return MessageStatus::Uniform(first);
        }
        // Anything still waiting makes the message still queued, as the administrator sees it.
        if !self.removed()
            && self
                .recipients
                .iter()
                .any(|r| r.status == RecipientStatus::DEFERRED)
        {
            return MessageStatus::Uniform(RecipientStatus::DEFERRED);
        }
        MessageStatus::Mixed
    }

    pub fn recipient_mut(&mut self, to: &str, orig_to: Option<&str>) -> &mut Recipient {
        self.recipient(&Text::from(to), orig_to.map(Text::from).as_ref())
    }

    /// The recipient `to` (with `orig_to`, when known), added when not there yet.
    pub(crate) fn recipient(&mut self, to: &Text, orig_to: Option<&Text>) -> &mut Recipient {
        let found = self.recipients.iter().position(|r| {
            r.to == *to
                && (orig_to.is_none() || r.orig_to.is_none() || r.orig_to.as_ref() == orig_to)
        });
        let index = match found {
            Some(i) => i,
            None => {
                push_small(
                    &mut self.recipients,
                    Recipient {
                        to: to.clone(),
                        orig_to: orig_to.cloned(),
                        status: RecipientStatus::Queued,
                        attempts: std::mem::take(&mut self.spare_attempts),
                        verdict: None,
                    },
                );
                self.recipients.len() - 1
            }
        };
        // In bounds: a position found above, or the one just pushed.
        #[allow(clippy::indexing_slicing)]
        let r = &mut self.recipients[index];
        if r.orig_to.is_none() {
            r.orig_to = orig_to.cloned();
        }
        r
    }

    /// qmgr told how many recipients the message has (`nrcpt=`): room for them all at once,
    /// instead of the list growing one reallocation at a time as delivery lines name them.
    /// Only a hint: a log line's count is trusted up to `RECIPIENT_ROOM_AT_MOST`.
    pub(crate) fn expect_recipients(&mut self, count: u32) {
        let count = usize::try_from(count)
            .map_or(RECIPIENT_ROOM_AT_MOST, |n| n.min(RECIPIENT_ROOM_AT_MOST));
        self.recipients
            .reserve_exact(count.saturating_sub(self.recipients.len()));
    }

    pub fn add_link(&mut self, link: Link) {
        if !self
            .links
            .iter()
            .any(|l| l.kind == link.kind && l.queue_id == link.queue_id)
        {
            push_small(&mut self.links, link);
        }
    }

    /// Total seconds from the first to the last line.
    pub fn duration(&self) -> f64 {
        self.last_seen.as_f64() - self.first_seen.as_f64()
    }
}

/// Empties the list, keeping its room unless that room is more than most messages need: a
/// message renewed again and again would keep the most any of its lives took.
fn empty_keeping_room<T>(v: &mut Vec<T>) {
    if v.capacity() > LIST_ROOM_KEPT {
        *v = Vec::new();
    } else {
        v.clear();
    }
}

/// The most room a renewed message keeps in each of its lists: most messages need one or two
/// of each. At four, peak memory on the 1M-line bench log rose from 20 MiB to 24 MiB (every
/// message in flight carried room for four attempts); at two, 21 MiB.
const LIST_ROOM_KEPT: usize = 2;

/// The most recipients `Message::expect_recipients` makes room for ahead.
const RECIPIENT_ROOM_AT_MOST: usize = 64;

/// Pushes onto a list that is short in nearly every message (recipients, attempts, links,
/// rejections): the capacity doubles from one instead of jumping to four, so
/// that a message in flight does not carry room for three more of each.
pub(crate) fn push_small<T>(v: &mut Vec<T>, item: T) {
    insert_small(v, v.len(), item);
}

/// `push_small`'s growth, for an insertion at `index` (at most the length).
pub(crate) fn insert_small<T>(v: &mut Vec<T>, index: usize, item: T) {
    if v.len() == v.capacity() {
        v.reserve_exact(v.len().max(1));
    }
    v.insert(index.min(v.len()), item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{run, testing, Sink};
    use std::ops::ControlFlow;

    /// Every message of the sample logs, as the tracker made it.
    fn sample_messages() -> Vec<Message> {
        struct Keep(Vec<Message>);
        impl Sink for Keep {
            fn message(&mut self, m: Message) -> ControlFlow<()> {
                self.0.push(m);
                ControlFlow::Continue(())
            }
        }
        let sources =
            testing::sources(&["examples/postlogd.log", "tests/fixtures/explain-kinds.log"]);
        let tracker = crate::correlate::TrackerConfig {
            keep_raw: true,
            ..Default::default()
        };
        let options = testing::options(1, tracker);
        let mut keep = Keep(Vec::new());
        run(&sources, &options, &mut keep);
        keep.0
    }

    #[test]
    fn room_made_for_the_recipients_told_changes_nothing_else() {
        let new = || {
            Message::new(
                QueueId::new(b"4ABCD12345"),
                Arc::from("mx.example"),
                Arc::from("postfix"),
                Stamp::default(),
            )
        };
        for told in [0, 1, 3, u32::MAX] {
            let (mut plain, mut told_ahead) = (new(), new());
            told_ahead.expect_recipients(told);
            assert!(told_ahead.recipients.capacity() <= RECIPIENT_ROOM_AT_MOST);
            if told <= 3 {
                assert_eq!(told_ahead.recipients.capacity(), told as usize);
            }
            for m in [&mut plain, &mut told_ahead] {
                for to in ["a@b.example", "c@d.example", "a@b.example", "e@f.example"] {
                    m.recipient_mut(to, None);
                }
            }
            assert_eq!(format!("{told_ahead:?}"), format!("{plain:?}"));
        }
    }

    #[test]
    fn a_renewed_message_is_a_new_one_with_nothing_of_its_former_life() {
        let messages = sample_messages();
        assert!(messages.iter().any(|m| m.recipients.len() > 1));
        assert!(messages.iter().any(|m| !m.links.is_empty()));
        assert!(messages.iter().any(|m| !m.rejections.is_empty()));
        assert!(messages.iter().any(|m| !m.problems.is_empty()));
        let host: Arc<str> = Arc::from("mx.example");
        let instance: Arc<str> = Arc::from("postfix");
        let time = Stamp::default();
        let queue_id = QueueId::new(b"4ABCD12345");
        let fresh = Message::new(queue_id, host.clone(), instance.clone(), time);
        let mut reused = 0;
        for mut m in messages {
            let room = m.recipients.iter().map(|r| r.attempts.capacity()).max();
            m.renew(queue_id, &host, &instance, time);
            assert!(m.spare_attempts.is_empty());
            let room = room.filter(|&n| n <= LIST_ROOM_KEPT).unwrap_or(0);
            assert_eq!(m.spare_attempts.capacity(), room);
            // A recipient of the new life fills the spare attempt list, empty.
            let r = m.recipient_mut("a@b.example", None);
            assert!(r.attempts.is_empty());
            reused += usize::from(r.attempts.capacity() > 0);
            m = Message {
                spare_attempts: Vec::new(),
                ..m
            };
            m.recipients.clear();
            assert_eq!(format!("{m:?}"), format!("{fresh:?}"));
        }
        assert!(reused > 0);
    }
}
