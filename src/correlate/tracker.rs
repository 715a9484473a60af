//! The tracker: turns the stream of events into messages.
//!
//! In flight, messages are keyed by (host, instance, queue ID); smtpd sessions by (host, tag,
//! pid). A message whose life has ended (`removed`, deleted, discarded …) lingers for a while
//! of log time before it is handed on, because lines of different processes arrive slightly out
//! of order: a delivery line may follow `removed`, a notification's own lines may precede the
//! `bounce` line that names it. A queue ID seen again after its life ended starts a new message.

use super::message::{
    Attempt, Ending, Link, LinkKind, Message, Origin, Peer, RawLine, RecipientStatus, Rejection,
};
use crate::envelope::Envelope;
use crate::event::{Delivery, DeliveryStatus, Event, QueueAction, Verdict};
use crate::parse::bytes::Endpoint;
use crate::parse::queue_id::QueueId;
use crate::parse::verdict::is_refusal;
use crate::text::owned;
use crate::time::Stamp;
use rustc_hash::FxHashMap as HashMap;
use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::rc::Rc;

/// How long (log time) before the end of the input a message's last line must lie for a
/// message with no qmgr line to count as incomplete rather than queued.
const STALE_SECS: i64 = 60;

/// How long (log time) an ended message waits for late lines before it is handed on.
pub const DEFAULT_LINGER_SECS: i64 = 300;

#[derive(Debug, Clone)]
pub struct TrackerConfig {
    pub linger_secs: i64,
    /// Keep each message's original lines (for `trace --raw`).
    pub keep_raw: bool,
    /// At most this many messages in memory: past it, the oldest (by last line) are handed on
    /// as they are, and counted — a flood of queue IDs that never complete cannot exhaust
    /// memory.
    pub max_in_flight: usize,
    /// At most this many smtpd sessions (connections without their disconnect) remembered.
    pub max_sessions: usize,
}

/// Messages in flight kept at most, by default: far above what a real queue holds in the
/// log's view, far below what exhausts a machine (a message in flight takes 1–2 KiB).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 100_000;
const DEFAULT_MAX_SESSIONS: usize = 100_000;

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            linger_secs: DEFAULT_LINGER_SECS,
            keep_raw: false,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_sessions: DEFAULT_MAX_SESSIONS,
        }
    }
}

/// Where a line came from and what it said, as the tracker needs it.
pub struct LineContext<'a> {
    pub time: Stamp,
    pub envelope: &'a Envelope<'a>,
    pub source: &'a Rc<str>,
    pub line_number: u64,
    pub raw: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct MessageKey {
    host: u32,
    instance: u32,
    queue_id: QueueId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SessionKey {
    host: u32,
    tag: u32,
    pid: u32,
}

/// What an smtpd connection has told so far, handed to each message it receives.
#[derive(Debug, Clone, Default)]
struct Session {
    client: Option<Peer>,
    connected_at: Option<Stamp>,
    helo: Option<String>,
    tls: Option<String>,
    /// The seed document's `sender=<…>` / `recipient=<…>` illustration lines.
    sender: Option<String>,
    recipients: Vec<String>,
    /// Messages accepted in this session, told the command counts at disconnect.
    messages: Vec<MessageKey>,
}

/// Why a line would start a new life of a queue ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Birth {
    None,
    /// smtpd `client=` or pickup `uid=`.
    Origin,
    /// cleanup `message-id=`.
    MessageId,
    /// qmgr `(queue active)`.
    Active,
}

/// Strings seen again and again (hosts, syslog names, tags) stored once.
#[derive(Debug)]
struct Interner {
    ids: HashMap<Vec<u8>, u32>,
    names: Vec<Rc<str>>,
    raw: Vec<Vec<u8>>,
    /// The last few strings looked up: (length, id).
    recent: [(usize, u32); 4],
    next_slot: usize,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            ids: HashMap::default(),
            names: Vec::new(),
            raw: Vec::new(),
            recent: [(usize::MAX, 0); 4],
            next_slot: 0,
        }
    }
}

impl Interner {
    fn id(&mut self, bytes: &[u8]) -> u32 {
        // Most lines repeat the previous line's host, syslog name and tag.
        for &(len, id) in &self.recent {
            if len == bytes.len() && self.bytes_of(id) == bytes {
                return id;
            }
        }
        let id = self.lookup(bytes);
        if let Some(slot) = self.recent.get_mut(self.next_slot) {
            *slot = (bytes.len(), id);
        }
        self.next_slot = (self.next_slot + 1) % self.recent.len();
        id
    }

    fn bytes_of(&self, id: u32) -> &[u8] {
        self.raw
            .get(id as usize)
            .map(|b| b.as_slice())
            .unwrap_or(&[])
    }

    fn lookup(&mut self, bytes: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(bytes) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(Rc::from(owned(bytes)));
        self.raw.push(bytes.to_vec());
        self.ids.insert(bytes.to_vec(), id);
        id
    }

    fn name(&self, id: u32) -> Rc<str> {
        self.names
            .get(id as usize)
            .cloned()
            .unwrap_or_else(|| Rc::from(""))
    }
}

/// Counts the tracker keeps about its own work.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackerCounts {
    pub messages: u64,
    pub noqueue_rejects: u64,
    /// Queue IDs seen again after their message ended: a new life began.
    pub reused_queue_ids: u64,
    /// Delivery lines logged after `removed` and attached to the removed message.
    pub lines_after_removal: u64,
    /// Messages still in the queue when the input ended.
    pub open_at_end: u64,
    /// Messages in flight dropped from memory by `drop_idle`, their fate never known.
    pub dropped_in_flight: u64,
    /// Messages handed on before their life ended because too many were in flight.
    pub evicted_in_flight: u64,
    /// smtpd sessions forgotten because too many were open.
    pub evicted_sessions: u64,
    /// Lines seen twice for the same message (same time, same text) and taken once.
    pub duplicate_lines: u64,
}

pub struct Tracker {
    config: TrackerConfig,
    strings: Interner,
    /// Boxed: the map moves small entries when it grows, not whole messages.
    live: HashMap<MessageKey, Box<Message>>,
    /// Ended messages waiting out their linger: (deadline, key, when it ended).
    closing: VecDeque<(i64, MessageKey, Stamp)>,
    sessions: HashMap<SessionKey, Session>,
    /// `queued as ID` replies whose ID has not (yet) been seen as a local message, by that ID,
    /// and in order of expiry.
    pending_reinjections: HashMap<QueueId, (i64, MessageKey)>,
    pending_order: VecDeque<(i64, QueueId)>,
    /// Messages received by smtpd within the last linger window, by queue ID: where the ID of
    /// a `queued as` reply may live (a content filter's re-injection, a relay in the input).
    births: HashMap<QueueId, Vec<MessageKey>>,
    birth_order: VecDeque<(i64, MessageKey)>,
    ready: VecDeque<Message>,
    now: i64,
    counts: TrackerCounts,
}

impl Tracker {
    pub fn new(config: TrackerConfig) -> Tracker {
        Tracker {
            config,
            strings: Interner::default(),
            live: HashMap::default(),
            closing: VecDeque::new(),
            sessions: HashMap::default(),
            pending_reinjections: HashMap::default(),
            pending_order: VecDeque::new(),
            births: HashMap::default(),
            birth_order: VecDeque::new(),
            ready: VecDeque::new(),
            now: i64::MIN,
            counts: TrackerCounts::default(),
        }
    }

    pub fn counts(&self) -> &TrackerCounts {
        &self.counts
    }

    /// Messages in flight (not yet handed on).
    pub fn in_flight(&self) -> usize {
        self.live.len()
    }

    /// Log time reached: the latest time of an understood line (`i64::MIN` before any).
    pub fn now(&self) -> i64 {
        self.now
    }

    /// The earliest first line among the messages in flight or lingering (a scan of them all).
    pub fn oldest_in_flight(&self) -> Option<Stamp> {
        self.live.values().map(|m| m.first_seen).min()
    }

    /// Drops the messages in flight with no line for `max_age_secs` of log time, and the smtpd
    /// sessions opened that long ago, so that a follower that never ends keeps its memory
    /// bounded. The messages dropped are counted (`dropped_in_flight`); returns how many.
    pub fn drop_idle(&mut self, max_age_secs: i64) -> u64 {
        let cutoff = self.now.saturating_sub(max_age_secs);
        let before = self.live.len();
        self.live.retain(|_, m| m.last_seen.secs >= cutoff);
        self.sessions
            .retain(|_, s| s.connected_at.is_none_or(|t| t.secs >= cutoff));
        let dropped = (before - self.live.len()) as u64;
        self.counts.dropped_in_flight += dropped;
        dropped
    }

    /// Log time has reached `secs` though no line says so (a live follower whose log is quiet):
    /// hands on the messages whose linger is over.
    pub fn advance_to(&mut self, secs: i64) {
        self.advance(secs);
    }

    /// The messages in flight, in no order (for a follower to save them).
    pub fn in_flight_messages(&self) -> impl Iterator<Item = &Message> {
        self.live.values().map(|m| &**m)
    }

    /// Takes back a message saved while in flight. One whose life has ended waits out its
    /// linger again. A message without a queue ID (a NOQUEUE record) is never in flight.
    pub fn restore(&mut self, m: Message) {
        let Some(queue_id) = m.queue_id else {
            return;
        };
        let key = MessageKey {
            host: self.strings.id(m.host.as_bytes()),
            instance: self.strings.id(m.instance.as_bytes()),
            queue_id,
        };
        if let (Some(_), Some(at)) = (m.ending, m.ended_at) {
            let deadline = at.secs.saturating_add(self.config.linger_secs);
            let i = self.closing.partition_point(|&(d, _, _)| d <= deadline);
            self.closing.insert(i, (deadline, key, at));
        }
        self.live.insert(key, Box::new(m));
    }

    /// The next finished message, if any.
    pub fn next_ready(&mut self) -> Option<Message> {
        self.ready.pop_front()
    }

    /// Ends the input: every message still held is handed on, ended ones first, then those
    /// still in the queue in order of first sighting.
    pub fn finish(&mut self) {
        while let Some((_, key, ended)) = self.closing.pop_front() {
            self.release_if_ended(key, ended);
        }
        let now = self.now;
        // qmgr takes in new mail within a second or two: a message that never got its qmgr
        // line for a minute before the input ended is not known to be queued at all.
        let linger = STALE_SECS;
        let mut rest: Vec<Message> = self
            .live
            .drain()
            .map(|(_, mut m)| {
                m.stale = m.last_seen.secs.saturating_add(linger) < now;
                *m
            })
            .collect();
        rest.sort_by_key(|m| (m.first_seen, m.queue_id));
        self.counts.open_at_end += rest
            .iter()
            .filter(|m| {
                m.ending.is_none() && m.status() != crate::correlate::MessageStatus::Incomplete
            })
            .count() as u64;
        self.counts.messages += rest.len() as u64;
        self.ready.extend(rest);
    }

    /// Takes in one understood line.
    pub fn observe(&mut self, ctx: &LineContext<'_>, event: &Event<'_>) {
        self.advance(ctx.time.secs);
        let env = ctx.envelope;
        let host = self.strings.id(env.host);
        let instance = self.strings.id(env.program.syslog_name);
        // The very same line (time and all) twice for one message is one line.
        let line_hash = event.queue_id().map(|queue_id| {
            let key = MessageKey {
                host,
                instance,
                queue_id,
            };
            let hash = rustc_hash::FxBuildHasher.hash_one(ctx.raw);
            (key, hash)
        });
        if let Some((key, hash)) = line_hash {
            if self
                .live
                .get(&key)
                .is_some_and(|m| m.line_hashes.contains(&hash))
            {
                self.counts.duplicate_lines += 1;
                return;
            }
        }
        self.observe_event(ctx, event, host, instance);
        if let Some((key, hash)) = line_hash {
            if let Some(m) = self.live.get_mut(&key) {
                m.line_hashes.push(hash);
            }
        }
    }

    fn observe_event(
        &mut self,
        ctx: &LineContext<'_>,
        event: &Event<'_>,
        host: u32,
        instance: u32,
    ) {
        let env = ctx.envelope;
        let key_of = |queue_id| MessageKey {
            host,
            instance,
            queue_id,
        };
        match *event {
            Event::Connect { client } => {
                let key = self.session_key(ctx);
                let session = Session {
                    client: Some(peer(client)),
                    connected_at: Some(ctx.time),
                    ..Session::default()
                };
                if self.sessions.len() >= self.config.max_sessions.max(2)
                    && !self.sessions.contains_key(&key)
                {
                    self.evict_sessions();
                }
                self.sessions.insert(key, session);
            }
            Event::Disconnect { counts, .. } => {
                let key = self.session_key(ctx);
                if let Some(session) = self.sessions.remove(&key) {
                    let counts = owned(counts);
                    for k in session.messages {
                        if let Some(m) = self.live.get_mut(&k) {
                            m.disconnected_at = Some(ctx.time);
                            m.session_commands = Some(counts.clone());
                        }
                    }
                }
            }
            Event::Interrupted { stage, .. }
                if matches!(stage, b"MAIL" | b"RCPT" | b"DATA" | b"BDAT") =>
            {
                // The client went away in the middle of a transaction: smtpd aborts it and
                // cleanup throws the queue file away, logging nothing more about it. Before
                // DATA no content (no message-id) can have reached cleanup.
                let skey = self.session_key(ctx);
                let last = self
                    .sessions
                    .get(&skey)
                    .and_then(|s| s.messages.last().copied());
                if let Some(key) = last {
                    if let Some(m) = self.live.get_mut(&key) {
                        let in_data = matches!(stage, b"DATA" | b"BDAT");
                        if m.ending.is_none()
                            && m.nrcpt.is_none()
                            && (in_data || m.message_id.is_none())
                        {
                            m.ending = Some(Ending::Abandoned);
                            m.ended_at = Some(ctx.time);
                            m.problems
                                .push((ctx.time, format!("client lost during {}", owned(stage))));
                            self.schedule_close(key, ctx.time);
                        }
                    }
                }
            }
            Event::Helo { name } => {
                let key = self.session_key(ctx);
                self.sessions.entry(key).or_default().helo = Some(owned(name));
            }
            Event::Sender { address } => {
                let key = self.session_key(ctx);
                self.sessions.entry(key).or_default().sender = Some(owned(address));
            }
            Event::Recipient { address } => {
                let key = self.session_key(ctx);
                self.sessions
                    .entry(key)
                    .or_default()
                    .recipients
                    .push(owned(address));
            }
            Event::Tls {
                inbound: true,
                protocol,
                cipher,
                ..
            } => {
                let key = self.session_key(ctx);
                let tls = format!("{} {}", owned(protocol), owned(cipher));
                self.sessions.entry(key).or_default().tls = Some(tls.trim_end().to_string());
            }
            Event::ClientAccepted {
                queue_id,
                client,
                sasl_method,
                sasl_username,
                orig_queue_id,
                ..
            } => {
                let skey = self.session_key(ctx);
                let key = key_of(queue_id);
                // What the session told so far; the seed's sender/recipient lines belong to
                // this transaction and move with it.
                let session = self.sessions.get_mut(&skey).map(|s| {
                    s.messages.push(key);
                    (
                        s.connected_at,
                        s.helo.clone(),
                        s.tls.clone(),
                        s.sender.take(),
                        std::mem::take(&mut s.recipients),
                    )
                });
                let m = self.message(key, ctx, Birth::Origin);
                m.origin = Some(Origin::Smtpd);
                m.client = Some(peer(client));
                m.sasl_method = sasl_method.map(owned);
                m.sasl_username = sasl_username.map(owned);
                if !env.program.service.is_empty() {
                    m.service = Some(owned(env.program.service));
                }
                if let Some((connected_at, helo, tls, sender, recipients)) = session {
                    m.connected_at = connected_at;
                    m.helo = m.helo.take().or(helo);
                    m.tls = tls;
                    if m.from.is_none() {
                        m.from = sender;
                    }
                    for to in &recipients {
                        m.recipient_mut(to, None);
                    }
                }
                if let Some(orig) = orig_queue_id {
                    self.link(
                        key,
                        LinkKind::ReinjectedFrom,
                        MessageKey {
                            queue_id: orig,
                            ..key
                        },
                    );
                }
                self.claim_reinjection(key);
            }
            Event::Verdict {
                queue_id: Some(queue_id),
                verdict,
            } => {
                let key = key_of(queue_id);
                let daemon = env.program.daemon;
                let rejection = rejection(ctx.time, daemon, &verdict);
                let m = self.message(key, ctx, Birth::None);
                apply_verdict(m, &verdict, rejection, daemon, ctx.time);
                if m.ending.is_some() && m.ended_at == Some(ctx.time) {
                    self.schedule_close(key, ctx.time);
                }
            }
            Event::Verdict {
                queue_id: None,
                verdict,
            } if is_refusal(verdict.action) => {
                let skey = self.session_key(ctx);
                let session = self.sessions.get(&skey).cloned();
                self.noqueue_record(ctx, host, instance, &verdict, session);
            }
            Event::MessageId {
                queue_id,
                message_id,
            } => {
                let m = self.message(key_of(queue_id), ctx, Birth::MessageId);
                m.message_id = Some(owned(message_id));
            }
            Event::Pickup {
                queue_id,
                uid,
                from,
                orig_id,
            } => {
                let key = key_of(queue_id);
                let m = self.message(key, ctx, Birth::Origin);
                m.origin = Some(Origin::Pickup);
                m.uid = uid;
                if m.from.is_none() {
                    m.from = from.map(owned);
                }
                if let Some(old) = orig_id {
                    self.link(
                        key,
                        LinkKind::RequeuedFrom,
                        MessageKey {
                            queue_id: old,
                            ..key
                        },
                    );
                }
            }
            Event::QueueActive {
                queue_id,
                from,
                size,
                nrcpt,
                ..
            } => {
                let m = self.message(key_of(queue_id), ctx, Birth::Active);
                m.from = Some(owned(from));
                m.size = size.or(m.size);
                m.nrcpt = nrcpt.or(m.nrcpt);
            }
            Event::Removed { queue_id } => {
                let key = key_of(queue_id);
                let m = self.message(key, ctx, Birth::None);
                if m.ending.is_none() || m.ending == Some(Ending::Removed) {
                    m.ending = Some(Ending::Removed);
                    m.ended_at = Some(ctx.time);
                    m.held = false;
                    self.schedule_close(key, ctx.time);
                }
            }
            Event::ReturnedToSender {
                queue_id,
                from,
                status,
            } => {
                let m = self.message(key_of(queue_id), ctx, Birth::None);
                if m.from.is_none() {
                    m.from = Some(owned(from));
                }
                m.expired = Some(status);
                for r in m.recipients.iter_mut().filter(|r| r.status.is_open()) {
                    r.status = RecipientStatus::Delivery(status);
                }
            }
            Event::Delivery(d) => self.delivery(ctx, key_of(d.queue_id), &d),
            Event::DeliveryCut { queue_id, to } => {
                let m = self.message(key_of(queue_id), ctx, Birth::None);
                m.recipient_mut(&owned(to), None);
                m.problems.push((
                    ctx.time,
                    format!("delivery line to <{}> cut short in the log", owned(to)),
                ));
            }
            Event::DeliveryProblem { queue_id, text } => {
                let m = self.message(key_of(queue_id), ctx, Birth::None);
                m.problems.push((ctx.time, owned(text)));
            }
            Event::Diagnostic {
                queue_id: Some(queue_id),
                text,
            } => {
                let key = key_of(queue_id);
                if self.live.contains_key(&key) {
                    let m = self.message(key, ctx, Birth::None);
                    let severity = env.severity.as_str();
                    m.problems
                        .push((ctx.time, format!("{severity}: {}", owned(text))));
                }
            }
            Event::Notification {
                queue_id,
                new_queue_id,
                kind,
                ..
            } => {
                let key = key_of(queue_id);
                self.message(key, ctx, Birth::None);
                let target = MessageKey {
                    queue_id: new_queue_id,
                    ..key
                };
                self.link(key, LinkKind::Notification, target);
                self.describe_link(key, target, kind.as_str());
            }
            Event::QueueFile { queue_id, action } => {
                let key = key_of(queue_id);
                let m = self.message(key, ctx, Birth::None);
                let note = match action {
                    QueueAction::Deleted => "deleted by postsuper -d",
                    QueueAction::Requeued => "requeued by postsuper -r",
                    QueueAction::Held => "placed on hold by postsuper -h",
                    QueueAction::Released => "released from hold by postsuper -H",
                    QueueAction::Expired => "force-expired by postsuper -f",
                };
                m.problems.push((ctx.time, note.to_string()));
                let ends = match action {
                    QueueAction::Deleted => Some(Ending::Deleted),
                    QueueAction::Requeued => {
                        set_open(m, RecipientStatus::Requeued);
                        Some(Ending::Requeued)
                    }
                    QueueAction::Held => {
                        m.held = true;
                        set_open(m, RecipientStatus::Held);
                        None
                    }
                    QueueAction::Released => {
                        m.held = false;
                        for r in m
                            .recipients
                            .iter_mut()
                            .filter(|r| r.status == RecipientStatus::Held)
                        {
                            r.status = RecipientStatus::Queued;
                        }
                        None
                    }
                    QueueAction::Expired => None,
                };
                if let Some(ending) = ends {
                    if ending == Ending::Deleted {
                        set_open(m, RecipientStatus::Deleted);
                    }
                    m.ending = Some(ending);
                    m.ended_at = Some(ctx.time);
                    m.held = false;
                    self.schedule_close(key, ctx.time);
                }
            }
            _ => {}
        }
    }

    fn session_key(&mut self, ctx: &LineContext<'_>) -> SessionKey {
        SessionKey {
            host: self.strings.id(ctx.envelope.host),
            tag: self.strings.id(ctx.envelope.program.tag),
            pid: ctx.envelope.pid.unwrap_or(0),
        }
    }

    /// Moves log time on and hands on the messages whose linger is over.
    fn advance(&mut self, secs: i64) {
        if secs <= self.now {
            return;
        }
        self.now = secs;
        while let Some(&(deadline, key, ended)) = self.closing.front() {
            if deadline >= secs {
                break;
            }
            self.closing.pop_front();
            self.release_if_ended(key, ended);
        }
        while let Some(&(deadline, key)) = self.birth_order.front() {
            if deadline >= secs {
                break;
            }
            self.birth_order.pop_front();
            if let Some(keys) = self.births.get_mut(&key.queue_id) {
                keys.retain(|k| *k != key);
                if keys.is_empty() {
                    self.births.remove(&key.queue_id);
                }
            }
        }
        while let Some(&(deadline, id)) = self.pending_order.front() {
            if deadline >= secs {
                break;
            }
            self.pending_order.pop_front();
            if self
                .pending_reinjections
                .get(&id)
                .is_some_and(|&(d, _)| d == deadline)
            {
                self.pending_reinjections.remove(&id);
            }
        }
    }

    fn release_if_ended(&mut self, key: MessageKey, ended: Stamp) {
        if self
            .live
            .get(&key)
            .is_some_and(|m| m.ended_at == Some(ended))
        {
            if let Some(m) = self.live.remove(&key).map(|m| *m) {
                self.counts.messages += 1;
                self.ready.push_back(m);
            }
        }
    }

    /// Too many messages in flight: the oldest tenth (by last line) are handed on as they are.
    fn evict_in_flight(&mut self) {
        let mut ages: Vec<(Stamp, MessageKey)> =
            self.live.iter().map(|(k, m)| (m.last_seen, *k)).collect();
        let n = (ages.len() / 10).max(1);
        if n < ages.len() {
            ages.select_nth_unstable_by_key(n, |&(t, _)| t);
        }
        ages.truncate(n);
        ages.sort_unstable_by_key(|&(t, _)| t);
        for (_, key) in ages {
            if let Some(m) = self.live.remove(&key).map(|m| *m) {
                self.counts.evicted_in_flight += 1;
                self.counts.messages += 1;
                self.ready.push_back(m);
            }
        }
    }

    /// Too many smtpd sessions without their disconnect: the older half is forgotten.
    fn evict_sessions(&mut self) {
        let mut times: Vec<Stamp> = self
            .sessions
            .values()
            .map(|s| s.connected_at.unwrap_or_default())
            .collect();
        let mid = times.len() / 2;
        let (_, &mut cutoff, _) = times.select_nth_unstable(mid);
        let before = self.sessions.len();
        self.sessions
            .retain(|_, s| s.connected_at.unwrap_or_default() > cutoff);
        self.counts.evicted_sessions += (before - self.sessions.len()) as u64;
    }

    fn schedule_close(&mut self, key: MessageKey, at: Stamp) {
        self.closing
            .push_back((at.secs.saturating_add(self.config.linger_secs), key, at));
    }

    /// The message a line belongs to, starting a new one where the line begins a new life.
    fn message(&mut self, key: MessageKey, ctx: &LineContext<'_>, birth: Birth) -> &mut Message {
        let restart = match self.live.get(&key) {
            None => false,
            Some(m) => {
                // Lines of different processes within one second come in any order: a life
                // that ended in this very second may still get its own first lines. Postfix
                // does not reuse a queue ID within a second (the ID encodes the time).
                let ended_earlier = m.ended_at.is_some_and(|t| t.secs < ctx.time.secs);
                match birth {
                    Birth::None => false,
                    Birth::Origin => {
                        matches!(m.origin, Some(Origin::Smtpd) | Some(Origin::Pickup))
                            || (m.removed() && ended_earlier)
                    }
                    Birth::MessageId => m.message_id.is_some() || (m.removed() && ended_earlier),
                    Birth::Active => ended_earlier,
                }
            }
        };
        if restart {
            if let Some(old) = self.live.remove(&key).map(|m| *m) {
                self.counts.reused_queue_ids += 1;
                self.counts.messages += 1;
                self.ready.push_back(old);
            }
        }
        if self.live.len() >= self.config.max_in_flight.max(1) && !self.live.contains_key(&key) {
            self.evict_in_flight();
        }
        let keep_raw = self.config.keep_raw;
        let host = self.strings.name(key.host);
        let instance = self.strings.name(key.instance);
        let m = self.live.entry(key).or_insert_with(|| {
            Box::new(Message::new(Some(key.queue_id), host, instance, ctx.time))
        });
        if ctx.time < m.first_seen {
            m.first_seen = ctx.time;
        }
        if ctx.time > m.last_seen {
            m.last_seen = ctx.time;
        }
        if keep_raw {
            m.raw.push(RawLine {
                source: ctx.source.clone(),
                line_number: ctx.line_number,
                text: owned(ctx.raw),
            });
        }
        m
    }

    fn delivery(&mut self, ctx: &LineContext<'_>, key: MessageKey, d: &Delivery<'_>) {
        let agent = owned(ctx.envelope.program.daemon);
        let m = self.message(key, ctx, Birth::None);
        let after_removal = m.removed();
        let standing = match (m.expired, m.ending, m.held) {
            (Some(e), _, _) => Some(RecipientStatus::Delivery(e)),
            (_, Some(Ending::Deleted), _) => Some(RecipientStatus::Deleted),
            (_, Some(Ending::Requeued), _) => Some(RecipientStatus::Requeued),
            (_, None, true) => Some(RecipientStatus::Held),
            _ => None,
        };
        let attempt = Attempt {
            time: ctx.time,
            agent,
            status: d.status,
            dsn: d.dsn.map(owned),
            relay: d.relay.map(owned),
            conn_use: d.conn_use,
            delay: d.delay,
            delays: d.delays,
            reply: owned(d.reply),
            remote_queue_id: d.queued_as.map(|q| q.as_str().to_string()),
            after_removal,
        };
        let to = owned(d.to);
        let orig_to = d.orig_to.map(owned);
        let r = m.recipient_mut(&to, orig_to.as_deref());
        // The same line twice (a duplicated log) is one attempt.
        if !r.attempts.contains(&attempt) {
            // Attempts in the order they happened. Two delivery agents may log in the same
            // second in either order; `delay=` (time since arrival) tells which came later.
            let order = |a: &Attempt| (a.time, a.delay.map(|d| (d * 1000.0) as i64));
            let at = r.attempts.partition_point(|a| order(a) <= order(&attempt));
            r.attempts.insert(at, attempt);
            let last = r.attempts.last().map(|a| a.status).unwrap_or(d.status);
            // A deferral does not undo what another process logged in the same moment: qmgr's
            // expiry, postsuper's delete, requeue or hold.
            r.status = match (last, standing) {
                (DeliveryStatus::Deferred, Some(s)) => s,
                (s, _) => RecipientStatus::Delivery(s),
            };
            r.verdict = None;
        }
        if after_removal {
            self.counts.lines_after_removal += 1;
        }
        if let Some(next) = d.forwarded_as {
            self.link(
                key,
                LinkKind::ForwardedAs,
                MessageKey {
                    queue_id: next,
                    ..key
                },
            );
        }
        if let Some(next) = d.queued_as {
            self.reinjection(key, next);
        }
    }

    /// `queued as NEXT`: if NEXT is a message of this input received by smtpd around now,
    /// this message was re-injected as it (a content filter, or a relay whose log is here).
    fn reinjection(&mut self, from: MessageKey, next: QueueId) {
        let window = self.config.linger_secs;
        let now = self.now;
        // The same host and instance first (a content filter), then the others (a relay whose
        // log is in the input): only the messages smtpd received under that ID lately.
        let mut candidates = self.births.get(&next).cloned().unwrap_or_default();
        candidates.sort_by_key(|k| {
            (
                k.host != from.host,
                k.instance != from.instance,
                k.host,
                k.instance,
            )
        });
        let found = candidates.into_iter().find(|k| {
            *k != from
                && self.live.get(k).is_some_and(|m| {
                    m.origin == Some(Origin::Smtpd)
                        && (m.first_seen.secs - now).abs() <= window
                        && !m.links.iter().any(|l| {
                            l.kind == LinkKind::ReinjectedFrom && l.queue_id != from.queue_id
                        })
                })
        });
        match found {
            Some(target) => self.link(from, LinkKind::ReinjectedAs, target),
            None => {
                let deadline = now.saturating_add(window);
                self.pending_reinjections.insert(next, (deadline, from));
                self.pending_order.push_back((deadline, next));
            }
        }
    }

    /// A message just received by smtpd may be the next hop of an earlier `queued as`, or of
    /// one still to come.
    fn claim_reinjection(&mut self, key: MessageKey) {
        let keys = self.births.entry(key.queue_id).or_default();
        if !keys.contains(&key) {
            keys.push(key);
            self.birth_order
                .push_back((self.now.saturating_add(self.config.linger_secs), key));
        }
        match self.pending_reinjections.get(&key.queue_id) {
            Some(&(_, from)) if from != key => {
                self.pending_reinjections.remove(&key.queue_id);
                self.link(from, LinkKind::ReinjectedAs, key);
            }
            _ => {}
        }
    }

    /// Records a link on both messages. The target is created (as a message Postfix made
    /// itself) when it has not been seen yet — notifications and forwards are logged by the
    /// daemon that made them just after the new message's first lines, or just before.
    fn link(&mut self, from: MessageKey, kind: LinkKind, to: MessageKey) {
        let target_host = (to.host != from.host).then(|| self.strings.name(to.host));
        if let Some(m) = self.live.get_mut(&from) {
            m.add_link(Link {
                kind,
                queue_id: to.queue_id,
                host: target_host,
                detail: None,
            });
        }
        if from == to {
            return;
        }
        let creates = matches!(kind, LinkKind::Notification | LinkKind::ForwardedAs);
        if !self.live.contains_key(&to) {
            if !creates {
                return;
            }
            let time = self
                .live
                .get(&from)
                .map(|m| m.last_seen)
                .unwrap_or_default();
            let mut m = Message::new(
                Some(to.queue_id),
                self.strings.name(to.host),
                self.strings.name(to.instance),
                time,
            );
            m.origin = Some(Origin::Internal);
            self.live.insert(to, Box::new(m));
        }
        let back_host = (to.host != from.host).then(|| self.strings.name(from.host));
        if let Some(m) = self.live.get_mut(&to) {
            if m.origin.is_none() && creates {
                m.origin = Some(Origin::Internal);
            }
            m.add_link(Link {
                kind: kind.reverse(),
                queue_id: from.queue_id,
                host: back_host,
                detail: None,
            });
        }
    }

    /// Notes what kind of notification a link stands for, on both sides.
    fn describe_link(&mut self, from: MessageKey, to: MessageKey, detail: &'static str) {
        for (at, other) in [(from, to), (to, from)] {
            if let Some(m) = self.live.get_mut(&at) {
                for l in m
                    .links
                    .iter_mut()
                    .filter(|l| l.queue_id == other.queue_id && l.detail.is_none())
                {
                    l.detail = Some(detail);
                }
            }
        }
    }

    /// A reject before any queue file existed becomes a record of its own.
    fn noqueue_record(
        &mut self,
        ctx: &LineContext<'_>,
        host: u32,
        instance: u32,
        verdict: &Verdict<'_>,
        session: Option<Session>,
    ) {
        let mut m = Message::new(
            None,
            self.strings.name(host),
            self.strings.name(instance),
            ctx.time,
        );
        m.origin = Some(Origin::Smtpd);
        m.client = verdict
            .client
            .map(peer)
            .or_else(|| session.as_ref().and_then(|s| s.client.clone()));
        m.helo = verdict
            .helo
            .map(owned)
            .or_else(|| session.as_ref().and_then(|s| s.helo.clone()));
        m.connected_at = session.as_ref().and_then(|s| s.connected_at);
        m.tls = session.and_then(|s| s.tls);
        if !ctx.envelope.program.service.is_empty() {
            m.service = Some(owned(ctx.envelope.program.service));
        }
        m.from = verdict.from.map(owned);
        let rejection = rejection(ctx.time, ctx.envelope.program.daemon, verdict);
        if let Some(to) = verdict.to {
            let r = m.recipient_mut(&owned(to), None);
            r.status = RecipientStatus::Rejected;
            r.verdict = Some(rejection.clone());
        }
        m.rejections.push(rejection);
        m.ending = Some(Ending::Rejected);
        m.ended_at = Some(ctx.time);
        if self.config.keep_raw {
            m.raw.push(RawLine {
                source: ctx.source.clone(),
                line_number: ctx.line_number,
                text: owned(ctx.raw),
            });
        }
        self.counts.noqueue_rejects += 1;
        self.ready.push_back(m);
    }
}

fn peer(e: Endpoint<'_>) -> Peer {
    Peer {
        name: owned(e.name),
        ip: owned(e.ip),
        port: e.port.map(owned),
    }
}

fn rejection(time: Stamp, daemon: &[u8], v: &Verdict<'_>) -> Rejection {
    Rejection {
        time,
        daemon: owned(daemon),
        action: owned(v.action),
        stage: owned(v.stage),
        code: v.reply.code,
        dsn: v.reply.dsn.map(owned),
        reply: owned(v.reply.text),
        from: v.from.map(owned),
        to: v.to.map(owned),
        matched: v.matched.map(owned),
    }
}

fn set_open(m: &mut Message, status: RecipientStatus) {
    for r in m.recipients.iter_mut().filter(|r| r.status.is_open()) {
        r.status = status;
    }
}

/// What a verdict with a queue ID does to the message.
fn apply_verdict(
    m: &mut Message,
    v: &Verdict<'_>,
    rejection: Rejection,
    daemon: &[u8],
    time: Stamp,
) {
    if m.helo.is_none() {
        m.helo = v.helo.map(owned);
    }
    if m.from.is_none() {
        m.from = v.from.map(owned);
    }
    let to = v.to.map(owned);
    let per_recipient = daemon == b"smtpd" && matches!(v.stage, b"RCPT" | b"VRFY");
    let (recipient_status, ending) = match v.action {
        a if is_refusal(a) && per_recipient => (Some(RecipientStatus::Rejected), None),
        a if is_refusal(a) => (Some(RecipientStatus::Rejected), Some(Ending::Rejected)),
        b"hold" | b"milter-hold" => {
            m.held = true;
            (Some(RecipientStatus::Held), None)
        }
        b"discard" | b"milter-discard" => {
            (Some(RecipientStatus::Discarded), Some(Ending::Discarded))
        }
        _ => (None, None),
    };
    if let (Some(status), Some(to)) = (recipient_status, to) {
        let r = m.recipient_mut(&to, None);
        if r.attempts.is_empty() {
            r.status = status;
            r.verdict = Some(rejection.clone());
        }
    }
    if let Some(ending) = ending {
        if let Some(status) = recipient_status {
            set_open(m, status);
        }
        if m.ending.is_none() {
            m.ending = Some(ending);
            m.ended_at = Some(time);
        }
    }
    m.rejections.push(rejection);
}
