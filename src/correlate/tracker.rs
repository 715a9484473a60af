//! The tracker: turns the stream of events into messages.
//!
//! In flight, messages are keyed by (host, instance, queue ID); smtpd sessions by (host, tag,
//! pid). A message whose life has ended (`removed`, deleted, discarded …) lingers for a while
//! of log time before it is handed on, because lines of different processes arrive slightly out
//! of order: a delivery line may follow `removed`, a notification's own lines may precede the
//! `bounce` line that names it. A queue ID seen again after its life ended starts a new message.

use super::inline::InlineList;
use super::message::{
    insert_small, push_small, Attempt, Ending, Link, LinkKind, Message, Origin, Peer, RawLine,
    RecipientStatus, Rejection,
};
use super::text::{Strings, Text};
use crate::envelope::Envelope;
use crate::event::{Delivery, DeliveryStatus, Event, QueueAction, Verdict};
use crate::parse::bytes::Endpoint;
use crate::parse::queue_id::QueueId;
use crate::parse::verdict::is_refusal;
use crate::text::owned;
use crate::text::same_bytes;
use crate::time::Stamp;
use rustc_hash::FxHashMap as HashMap;
use std::collections::VecDeque;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::ops::ControlFlow;
use std::sync::Arc;

/// How long (log time) before the end of the input a message's last line must lie for a
/// message with no qmgr line to count as incomplete rather than queued.
const STALE_SECS: i64 = 60;

/// How long (log time) an ended message waits for late lines before it is handed on.
pub const DEFAULT_LINGER_SECS: i64 = 300;

/// Read messages kept for reuse at most. Ended messages leave in bursts, when the log's clock
/// passes their linger: with 256 kept, half the new messages of the 100k-line bench log still
/// found none (at 4096, only those made before the first left). A few MiB at most: kept
/// messages are ones no longer in flight.
const SPARE_MESSAGES: usize = 4096;

#[derive(Debug, Clone)]
pub struct TrackerConfig {
    pub linger_secs: i64,
    /// Keep each message's original lines (for `trace --raw`).
    pub keep_raw: bool,
    /// Keep each message's Message-ID (`Message::message_id`; whether cleanup logged one is
    /// known either way).
    pub keep_message_ids: bool,
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
            keep_message_ids: true,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_sessions: DEFAULT_MAX_SESSIONS,
        }
    }
}

/// Where a line came from and what it said, as the tracker needs it.
pub struct LineContext<'a> {
    pub time: Stamp,
    pub envelope: &'a Envelope<'a>,
    pub source: &'a Arc<str>,
    pub line_number: u64,
    pub raw: &'a [u8],
}

/// A message's identity, with its hash computed once: a line looks its message up several
/// times (duplicate check, restart check, the message itself, links), and hashing the queue ID
/// each time cost more than the probing.
#[derive(Debug, Clone, Copy)]
struct MessageKey {
    host: u32,
    instance: u32,
    queue_id: QueueId,
    hash: u64,
}

impl MessageKey {
    fn new(host: u32, instance: u32, queue_id: QueueId) -> MessageKey {
        MessageKey {
            host,
            instance,
            queue_id,
            hash: key_hash(host, instance, queue_id),
        }
    }

    /// Another queue ID on the same host and instance.
    fn with_id(self, queue_id: QueueId) -> MessageKey {
        MessageKey::new(self.host, self.instance, queue_id)
    }
}

/// A message key's hash: the queue ID's words, host and instance, a multiplication each.
/// Made for every line with a queue ID (and for the other keys it names): hashing the ID as
/// bytes, with its length and the array's, cost several times more.
fn key_hash(host: u32, instance: u32, queue_id: QueueId) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write_u64(u64::from(host) | u64::from(instance) << 32);
    for word in queue_id.words() {
        hasher.write_u64(word);
    }
    hasher.finish()
}

impl PartialEq for MessageKey {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash
            && self.queue_id == other.queue_id
            && self.host == other.host
            && self.instance == other.instance
    }
}

impl Eq for MessageKey {}

impl Hash for MessageKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Passes a `MessageKey`'s precomputed hash through.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by `MessageKey`; fold anything else in all the same.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type KeyMap<V> = std::collections::HashMap<MessageKey, V, BuildHasherDefault<KeyHasher>>;

/// The messages in flight by key. Boxed: the table moves small entries when it grows, not
/// whole messages.
///
/// A line looks its message up once (`find`, for the duplicate check) and reaches it again by
/// its slot (`at`, `at_mut`) as long as no message came or left since (`current`): every
/// call that adds or removes messages moves `generation` on.
#[derive(Default)]
struct Live {
    table: hashbrown::HashTable<(MessageKey, Box<Message>)>,
    generation: u64,
}

/// Where a key's message was (or that it was not in flight), as of a generation of `Live`.
#[derive(Debug, Clone, Copy)]
struct Found {
    index: Option<usize>,
    generation: u64,
}

impl Live {
    fn len(&self) -> usize {
        self.table.len()
    }

    fn find(&self, key: &MessageKey) -> Found {
        Found {
            index: self.table.find_bucket_index(key.hash, |(k, _)| k == key),
            generation: self.generation,
        }
    }

    /// `found` still holds: no message came or left since.
    fn current(&self, found: Found) -> bool {
        found.generation == self.generation
    }

    /// The message in slot `index`, found for `key` and `current`.
    fn at(&self, index: usize, key: &MessageKey) -> Option<&Message> {
        let (k, m) = self.table.get_bucket(index)?;
        debug_assert_eq!(k, key);
        Some(m)
    }

    fn at_mut(&mut self, index: usize, key: &MessageKey) -> Option<&mut Message> {
        let (k, m) = self.table.get_bucket_mut(index)?;
        debug_assert_eq!(k, key);
        Some(m)
    }

    fn get(&self, key: &MessageKey) -> Option<&Message> {
        self.table
            .find(key.hash, |(k, _)| k == key)
            .map(|(_, m)| &**m)
    }

    fn get_mut(&mut self, key: &MessageKey) -> Option<&mut Message> {
        self.table
            .find_mut(key.hash, |(k, _)| k == key)
            .map(|(_, m)| &mut **m)
    }

    fn contains_key(&self, key: &MessageKey) -> bool {
        self.find(key).index.is_some()
    }

    fn remove(&mut self, key: &MessageKey) -> Option<Box<Message>> {
        self.remove_if(key, |_| true)
    }

    /// Removes `key`'s message if `take` says so, with one lookup.
    fn remove_if(
        &mut self,
        key: &MessageKey,
        take: impl FnOnce(&Message) -> bool,
    ) -> Option<Box<Message>> {
        let entry = self.table.find_entry(key.hash, |(k, _)| k == key).ok()?;
        if !take(&entry.get().1) {
            return None;
        }
        self.generation += 1;
        Some(entry.remove().0 .1)
    }

    /// Puts `m` in flight as `key`'s message, in place of any other.
    fn insert(&mut self, key: MessageKey, m: Box<Message>) -> &mut Message {
        self.generation += 1;
        let entry = self
            .table
            .entry(key.hash, |(k, _)| *k == key, |(k, _)| k.hash);
        &mut entry.insert((key, m)).into_mut().1
    }

    fn values(&self) -> impl Iterator<Item = &Message> {
        self.table.iter().map(|(_, m)| &**m)
    }

    fn iter(&self) -> impl Iterator<Item = (&MessageKey, &Message)> {
        self.table.iter().map(|(k, m)| (k, &**m))
    }

    fn retain(&mut self, mut keep: impl FnMut(&Message) -> bool) {
        self.generation += 1;
        self.table.retain(|(_, m)| keep(m));
    }

    fn drain(&mut self) -> impl Iterator<Item = Box<Message>> + '_ {
        self.generation += 1;
        self.table.drain().map(|(_, m)| m)
    }
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
    helo: Option<Text>,
    tls: Option<Text>,
    /// The seed document's `sender=<…>` / `recipient=<…>` illustration lines.
    sender: Option<Text>,
    recipients: Vec<Text>,
    /// Messages accepted in this session, told the command counts at disconnect: one in
    /// nearly every session.
    messages: InlineList<MessageKey, 1>,
}

/// The line being taken in, as its own message (the one its queue ID names) sees it.
#[derive(Debug, Clone, Copy)]
struct OwnLine {
    key: MessageKey,
    /// The line's hash: the very same line twice for one message is taken once.
    hash: u64,
    /// Where its message was in flight, when the line came.
    found: Found,
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
    names: Vec<Arc<str>>,
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
            if len == bytes.len() && same_bytes(self.bytes_of(id), bytes) {
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
        self.names.push(Arc::from(owned(bytes)));
        self.raw.push(bytes.to_vec());
        self.ids.insert(bytes.to_vec(), id);
        id
    }

    fn name(&self, id: u32) -> Arc<str> {
        self.shared_name(id)
            .cloned()
            .unwrap_or_else(|| Arc::from(""))
    }

    /// The name interned as `id`, not counted up (every id handed out has one).
    fn shared_name(&self, id: u32) -> Option<&Arc<str>> {
        self.names.get(id as usize)
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
    /// Ended messages handed on before their linger was over because too many were in flight.
    pub handed_on_early: u64,
    /// Lines that came, within the linger, for a message already handed on early: counted and
    /// left out rather than taken for a new message.
    pub lines_after_hand_on: u64,
}

/// The shared-text tables, one per kind of value, so that each stays small and bounded.
#[derive(Debug)]
struct Texts {
    /// Daemons, agents, DSNs, verdict actions and stages, services, SASL methods.
    words: Strings,
    /// Clients, relays, HELO names, TLS, session command counts, SASL users.
    peers: Strings,
    /// Senders and recipients.
    addresses: Strings,
    /// Replies: many repeat (`250 2.0.0 Ok`, a local delivery), some carry a queue ID.
    replies: Strings,
    /// The last client or relay made (`peer`): an smtpd session's `client=` line names the
    /// client its `connect` line did, and most connections come from the same few clients.
    last_peer: Option<Peer>,
}

impl Default for Texts {
    fn default() -> Self {
        Texts {
            words: Strings::new(4096),
            peers: Strings::new(16_384),
            addresses: Strings::new(16_384),
            replies: Strings::new(4096),
            last_peer: None,
        }
    }
}

impl Texts {
    fn peer(&mut self, e: Endpoint<'_>) -> Peer {
        if let Some(last) = self.last_peer.as_ref().filter(|p| is_peer(p, e)) {
            return last.clone();
        }
        let peer = Peer {
            name: self.peers.get(e.name),
            ip: self.peers.get(e.ip),
            port: e.port.map(|p| self.words.get(p)),
        };
        self.last_peer = Some(peer.clone());
        peer
    }

    fn rejection(&mut self, time: Stamp, daemon: &[u8], v: &Verdict<'_>) -> Rejection {
        Rejection {
            time,
            daemon: self.words.get(daemon),
            action: self.words.get(v.action),
            stage: self.words.get(v.stage),
            code: v.reply.code,
            dsn: v.reply.dsn.map(|d| self.words.get(d)),
            reply: self.replies.get(v.reply.text),
            from: v.from.map(|a| self.addresses.get(a)),
            to: v.to.map(|a| self.addresses.get(a)),
            matched: v.matched.map(Text::from_bytes),
        }
    }
}

/// Whether `peer` has the bytes of `e`, as the text tables hand them out (`Strings::get`).
fn is_peer(peer: &Peer, e: Endpoint<'_>) -> bool {
    same_bytes(peer.name.as_bytes(), e.name)
        && same_bytes(peer.ip.as_bytes(), e.ip)
        && match (&peer.port, e.port) {
            (Some(port), Some(bytes)) => same_bytes(port.as_bytes(), bytes),
            (None, None) => true,
            _ => false,
        }
}

/// The bytes last interned for one part of a line, and their ID: consecutive lines nearly
/// always repeat the previous line's host and syslog name, and smtpd's lines its tag, so one
/// comparison with the last bytes costs less than the interner's lookup.
#[derive(Debug, Default)]
struct LastId {
    bytes: Vec<u8>,
    /// `None` before any bytes were interned.
    id: Option<u32>,
}

impl LastId {
    #[inline]
    fn id(&mut self, bytes: &[u8], strings: &mut Interner) -> u32 {
        match self.id {
            Some(id) if same_bytes(&self.bytes, bytes) => id,
            _ => self.intern(bytes, strings),
        }
    }

    /// Other bytes than last time: rare, kept out of line.
    #[inline(never)]
    fn intern(&mut self, bytes: &[u8], strings: &mut Interner) -> u32 {
        let id = strings.id(bytes);
        self.bytes.clear();
        self.bytes.extend_from_slice(bytes);
        self.id = Some(id);
        id
    }
}

/// The previous line's host and syslog name, and the last smtpd line's tag, as interned.
#[derive(Debug, Default)]
struct LastIds {
    host: LastId,
    syslog_name: LastId,
    session_tag: LastId,
}

pub struct Tracker {
    config: TrackerConfig,
    strings: Interner,
    last_ids: LastIds,
    texts: Texts,
    live: Live,
    /// Ended messages handed on before their linger was over (memory pressure), with the
    /// second their life ended: a late line for one is recognised, not taken for a new message.
    handed_on: KeyMap<i64>,
    handed_on_order: VecDeque<(i64, MessageKey)>,
    /// Ended messages waiting out their linger: (deadline, key, when it ended).
    closing: VecDeque<(i64, MessageKey, Stamp)>,
    sessions: HashMap<SessionKey, Session>,
    /// `queued as ID` replies whose ID has not (yet) been seen as a local message, by that ID,
    /// and in order of expiry.
    pending_reinjections: HashMap<QueueId, (i64, MessageKey)>,
    pending_order: VecDeque<(i64, QueueId)>,
    /// Messages received by smtpd within the last linger window, by queue ID: where the ID of
    /// a `queued as` reply may live (a content filter's re-injection, a relay in the input).
    births: HashMap<QueueId, InlineList<MessageKey, 1>>,
    birth_order: VecDeque<(i64, MessageKey)>,
    /// Boxed as in `live`: handing a message on moves a pointer, and a whole input's worth of
    /// messages at its end is not copied out of their boxes all at once.
    ready: VecDeque<Box<Message>>,
    /// Finished messages a consumer only read (`lend_ready`), kept to be renewed as new ones:
    /// their box and lists are reused instead of freed and allocated again (glibc's malloc is
    /// slow for objects freed minutes of log time after they were made). Boxed: they go back
    /// in flight as boxes.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<Message>>,
    /// The line being taken in, until `message` records its hash in the message it finds
    /// (every event with a queue ID asks for its message there).
    line: Option<OwnLine>,
    now: i64,
    counts: TrackerCounts,
}

impl Tracker {
    pub fn new(config: TrackerConfig) -> Tracker {
        Tracker {
            config,
            strings: Interner::default(),
            last_ids: LastIds::default(),
            texts: Texts::default(),
            live: Live::default(),
            handed_on: KeyMap::default(),
            handed_on_order: VecDeque::new(),
            closing: VecDeque::new(),
            sessions: HashMap::default(),
            pending_reinjections: HashMap::default(),
            pending_order: VecDeque::new(),
            births: HashMap::default(),
            birth_order: VecDeque::new(),
            ready: VecDeque::new(),
            spare: Vec::new(),
            line: None,
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
        self.live.retain(|m| m.last_seen.secs >= cutoff);
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
        self.live.values()
    }

    /// Takes back a message saved while in flight. One whose life has ended waits out its
    /// linger again. A message without a queue ID (a NOQUEUE record) is never in flight.
    pub fn restore(&mut self, m: Message) {
        let Some(queue_id) = m.queue_id else {
            return;
        };
        let key = MessageKey::new(
            self.strings.id(m.host.as_bytes()),
            self.strings.id(m.instance.as_bytes()),
            queue_id,
        );
        self.handed_on.remove(&key);
        if let (Some(_), Some(at)) = (m.ending, m.ended_at) {
            let deadline = at.secs.saturating_add(self.config.linger_secs);
            let i = self.closing.partition_point(|&(d, _, _)| d <= deadline);
            self.closing.insert(i, (deadline, key, at));
        }
        self.live.insert(key, Box::new(m));
    }

    /// The next finished message, if any.
    pub fn next_ready(&mut self) -> Option<Message> {
        self.ready.pop_front().map(|m| *m)
    }

    /// The next finished message as the tracker keeps it, boxed: a consumer that only reads
    /// it can give it back (`give_back`).
    pub fn next_ready_boxed(&mut self) -> Option<Box<Message>> {
        self.ready.pop_front()
    }

    /// Whether finished messages wait to be handed on.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Takes back a finished message its consumer is done with, to make a later message of
    /// (`Message::renew`), or drops it when enough are kept.
    pub fn give_back(&mut self, message: Box<Message>) {
        if self.spare.len() < SPARE_MESSAGES {
            self.spare.push(message);
        }
    }

    /// Shows the finished messages, in order, to a consumer that only reads them, and keeps
    /// them to make later messages of (`Message::renew`). Stops where `read` says so.
    pub fn lend_ready(
        &mut self,
        mut read: impl FnMut(&Message) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        while let Some(m) = self.ready.pop_front() {
            let flow = read(&m);
            self.give_back(m);
            flow?;
        }
        ControlFlow::Continue(())
    }

    /// A new message: a spare one renewed when there is one, else a fresh box.
    fn new_message(
        &mut self,
        queue_id: Option<QueueId>,
        host: u32,
        instance: u32,
        time: Stamp,
    ) -> Box<Message> {
        let names = (
            self.strings.shared_name(host),
            self.strings.shared_name(instance),
        );
        if let (Some(host), Some(instance)) = names {
            if let Some(mut m) = self.spare.pop() {
                m.renew(queue_id, host, instance, time);
                return m;
            }
        }
        let (host, instance) = (self.strings.name(host), self.strings.name(instance));
        Box::new(Message::new(queue_id, host, instance, time))
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
        let mut rest: Vec<Box<Message>> = self
            .live
            .drain()
            .map(|mut m| {
                m.stale = m.last_seen.secs.saturating_add(linger) < now;
                m
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
        let (host, instance) = self.origin_ids(env.host, env.program.syslog_name);
        // The line's own message: the key (and its hash) made once per line.
        let own = event
            .queue_id()
            .map(|queue_id| MessageKey::new(host, instance, queue_id));
        // The very same line (time and all) twice for one message is one line.
        self.line = own.map(|key| OwnLine {
            key,
            hash: rustc_hash::FxBuildHasher.hash_one(ctx.raw),
            found: self.live.find(&key),
        });
        if let Some(OwnLine {
            key,
            hash,
            found: Found {
                index: Some(index), ..
            },
        }) = self.line
        {
            if self
                .live
                .at(index, &key)
                .is_some_and(|m| m.line_hashes.contains(&hash))
            {
                self.counts.duplicate_lines += 1;
                return;
            }
        }
        self.observe_event(ctx, event, host, instance, own);
    }

    fn observe_event(
        &mut self,
        ctx: &LineContext<'_>,
        event: &Event<'_>,
        host: u32,
        instance: u32,
        own: Option<MessageKey>,
    ) {
        let env = ctx.envelope;
        let key_of = |queue_id| match own {
            Some(k) if k.queue_id == queue_id => k,
            _ => MessageKey::new(host, instance, queue_id),
        };
        match *event {
            Event::Connect { client } => {
                let key = self.session_key(ctx, host);
                let session = Session {
                    client: Some(self.texts.peer(client)),
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
                let key = self.session_key(ctx, host);
                if let Some(session) = self.sessions.remove(&key) {
                    let counts = self.texts.peers.get(counts);
                    for k in session.messages.iter() {
                        if let Some(m) = self.live.get_mut(k) {
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
                let skey = self.session_key(ctx, host);
                let last = self
                    .sessions
                    .get(&skey)
                    .and_then(|s| s.messages.last().copied());
                if let Some(key) = last {
                    if let Some(m) = self.live.get_mut(&key) {
                        let in_data = matches!(stage, b"DATA" | b"BDAT");
                        if m.ending.is_none()
                            && m.nrcpt.is_none()
                            && (in_data || !m.message_id_logged)
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
                let key = self.session_key(ctx, host);
                let name = self.texts.peers.get(name);
                self.sessions.entry(key).or_default().helo = Some(name);
            }
            Event::Sender { address } => {
                let key = self.session_key(ctx, host);
                let address = self.texts.addresses.get(address);
                self.sessions.entry(key).or_default().sender = Some(address);
            }
            Event::Recipient { address } => {
                let key = self.session_key(ctx, host);
                let address = self.texts.addresses.get(address);
                self.sessions
                    .entry(key)
                    .or_default()
                    .recipients
                    .push(address);
            }
            Event::Tls {
                inbound: true,
                protocol,
                cipher,
                ..
            } => {
                let key = self.session_key(ctx, host);
                let tls = format!("{} {}", owned(protocol), owned(cipher));
                let tls = self.texts.peers.get_str(tls.trim_end());
                self.sessions.entry(key).or_default().tls = Some(tls);
            }
            Event::ClientAccepted {
                queue_id,
                client,
                sasl_method,
                sasl_username,
                orig_queue_id,
                ..
            } => {
                let skey = self.session_key(ctx, host);
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
                let client = self.texts.peer(client);
                let sasl_method = sasl_method.map(|t| self.texts.words.get(t));
                let sasl_username = sasl_username.map(|t| self.texts.peers.get(t));
                let service = (!env.program.service.is_empty())
                    .then(|| self.texts.words.get(env.program.service));
                let Some(m) = self.message(key, ctx, Birth::Origin) else {
                    return;
                };
                m.origin = Some(Origin::Smtpd);
                m.client = Some(client);
                m.sasl_method = sasl_method;
                m.sasl_username = sasl_username;
                if service.is_some() {
                    m.service = service;
                }
                if let Some((connected_at, helo, tls, sender, recipients)) = session {
                    m.connected_at = connected_at;
                    m.helo = m.helo.take().or(helo);
                    m.tls = tls;
                    if m.from.is_none() {
                        m.from = sender;
                    }
                    for to in &recipients {
                        m.recipient(to, None);
                    }
                }
                if let Some(orig) = orig_queue_id {
                    self.link(key, LinkKind::ReinjectedFrom, key.with_id(orig));
                }
                self.claim_reinjection(key);
            }
            Event::Verdict {
                queue_id: Some(queue_id),
                verdict,
            } => {
                let key = key_of(queue_id);
                let daemon = env.program.daemon;
                let rejection = self.texts.rejection(ctx.time, daemon, &verdict);
                let helo = verdict.helo.map(|h| self.texts.peers.get(h));
                let Some(m) = self.message(key, ctx, Birth::None) else {
                    return;
                };
                apply_verdict(m, &verdict, rejection, helo, daemon, ctx.time);
                if m.ending.is_some() && m.ended_at == Some(ctx.time) {
                    self.schedule_close(key, ctx.time);
                }
            }
            Event::Verdict {
                queue_id: None,
                verdict,
            } if is_refusal(verdict.action) => {
                let skey = self.session_key(ctx, host);
                let session = self.sessions.get(&skey).cloned();
                self.noqueue_record(ctx, host, instance, &verdict, session);
            }
            Event::MessageId {
                queue_id,
                message_id,
            } => {
                let keep = self.config.keep_message_ids;
                if let Some(m) = self.message(key_of(queue_id), ctx, Birth::MessageId) {
                    m.message_id_logged = true;
                    if keep {
                        m.message_id = Some(Text::from_bytes(message_id));
                    }
                }
            }
            Event::Pickup {
                queue_id,
                uid,
                from,
                orig_id,
            } => {
                let key = key_of(queue_id);
                let from = from.map(|f| self.texts.addresses.get(f));
                let Some(m) = self.message(key, ctx, Birth::Origin) else {
                    return;
                };
                m.origin = Some(Origin::Pickup);
                m.uid = uid;
                if m.from.is_none() {
                    m.from = from;
                }
                if let Some(old) = orig_id {
                    self.link(key, LinkKind::RequeuedFrom, key.with_id(old));
                }
            }
            Event::QueueActive {
                queue_id,
                from,
                size,
                nrcpt,
                ..
            } => {
                let from = self.texts.addresses.get(from);
                if let Some(m) = self.message(key_of(queue_id), ctx, Birth::Active) {
                    m.from = Some(from);
                    m.size = size.or(m.size);
                    m.nrcpt = nrcpt.or(m.nrcpt);
                    if let Some(n) = nrcpt {
                        m.expect_recipients(n);
                    }
                }
            }
            Event::Removed { queue_id } => {
                let key = key_of(queue_id);
                let Some(m) = self.message(key, ctx, Birth::None) else {
                    return;
                };
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
                let from = self.texts.addresses.get(from);
                let Some(m) = self.message(key_of(queue_id), ctx, Birth::None) else {
                    return;
                };
                if m.from.is_none() {
                    m.from = Some(from);
                }
                m.expired = Some(status);
                for r in m.recipients.iter_mut().filter(|r| r.status.is_open()) {
                    r.status = RecipientStatus::Delivery(status);
                }
            }
            Event::Delivery(d) => self.delivery(ctx, key_of(d.queue_id), &d),
            Event::DeliveryCut { queue_id, to } => {
                let address = self.texts.addresses.get(to);
                let Some(m) = self.message(key_of(queue_id), ctx, Birth::None) else {
                    return;
                };
                m.recipient(&address, None);
                m.problems.push((
                    ctx.time,
                    format!("delivery line to <{}> cut short in the log", owned(to)),
                ));
            }
            Event::DeliveryProblem { queue_id, text } => {
                if let Some(m) = self.message(key_of(queue_id), ctx, Birth::None) {
                    m.problems.push((ctx.time, owned(text)));
                }
            }
            Event::Diagnostic {
                queue_id: Some(queue_id),
                text,
            } => {
                let key = key_of(queue_id);
                if self.live.contains_key(&key) {
                    if let Some(m) = self.message(key, ctx, Birth::None) {
                        let severity = env.severity.as_str();
                        m.problems
                            .push((ctx.time, format!("{severity}: {}", owned(text))));
                    }
                }
            }
            Event::Notification {
                queue_id,
                new_queue_id,
                kind,
                ..
            } => {
                let key = key_of(queue_id);
                if self.message(key, ctx, Birth::None).is_none() {
                    return;
                }
                let target = key.with_id(new_queue_id);
                self.link(key, LinkKind::Notification, target);
                self.describe_link(key, target, kind.as_str());
            }
            Event::QueueFile { queue_id, action } => {
                let key = key_of(queue_id);
                let Some(m) = self.message(key, ctx, Birth::None) else {
                    return;
                };
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

    /// The IDs of a line's host and syslog name.
    fn origin_ids(&mut self, host: &[u8], syslog_name: &[u8]) -> (u32, u32) {
        let last = &mut self.last_ids;
        (
            last.host.id(host, &mut self.strings),
            last.syslog_name.id(syslog_name, &mut self.strings),
        )
    }

    /// The smtpd session of a line whose host is `host` (its interned ID, found once per line).
    fn session_key(&mut self, ctx: &LineContext<'_>, host: u32) -> SessionKey {
        SessionKey {
            host,
            tag: self
                .last_ids
                .session_tag
                .id(ctx.envelope.program.tag, &mut self.strings),
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
        while let Some(&(deadline, key)) = self.handed_on_order.front() {
            if deadline >= secs {
                break;
            }
            self.handed_on_order.pop_front();
            self.forget_handed_on(key, deadline);
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

    /// Hands on the message `key` if its life still ends at `ended` (it did not start anew);
    /// says whether it did.
    fn release_if_ended(&mut self, key: MessageKey, ended: Stamp) -> bool {
        match self.live.remove_if(&key, |m| m.ended_at == Some(ended)) {
            Some(m) => {
                self.counts.messages += 1;
                self.ready.push_back(m);
                true
            }
            None => false,
        }
    }

    /// Too many messages in flight. Ended messages waiting out their linger go first, those
    /// whose every recipient is final: they are complete, and only a late line (counted, see
    /// `handed_on`) could still have changed them. Only when that frees nothing are the oldest
    /// unfinished messages evicted.
    fn relieve_pressure(&mut self) {
        // A tenth at a time, so that the scan is paid once per many new messages.
        let want = (self.live.len() / 10).max(1);
        let mut freed = 0;
        let mut kept = VecDeque::with_capacity(self.closing.len());
        while let Some((deadline, key, ended)) = self.closing.pop_front() {
            let complete = freed < want
                && self.live.get(&key).is_some_and(|m| {
                    m.ended_at == Some(ended) && !m.recipients.iter().any(|r| r.status.is_open())
                });
            if complete && self.release_if_ended(key, ended) {
                freed += 1;
                self.counts.handed_on_early += 1;
                self.remember_handed_on(key, ended.secs, deadline);
            } else {
                kept.push_back((deadline, key, ended));
            }
        }
        self.closing = kept;
        if self.live.len() >= self.config.max_in_flight.max(1) {
            self.evict_in_flight();
        }
    }

    /// Keeps, until its linger would have ended, that `key` was handed on early. Bounded like
    /// the messages themselves: past the cap the oldest are forgotten, and a late line for one
    /// of those starts a message of its own, as it did before there was a record.
    fn remember_handed_on(&mut self, key: MessageKey, ended_secs: i64, deadline: i64) {
        if self.handed_on.len() >= self.config.max_in_flight.max(1) {
            if let Some((d, old)) = self.handed_on_order.pop_front() {
                self.forget_handed_on(old, d);
            }
        }
        self.handed_on.insert(key, ended_secs);
        self.handed_on_order.push_back((deadline, key));
    }

    fn forget_handed_on(&mut self, key: MessageKey, deadline: i64) {
        if self
            .handed_on
            .get(&key)
            .is_some_and(|&ended| ended.saturating_add(self.config.linger_secs) == deadline)
        {
            self.handed_on.remove(&key);
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
            if let Some(m) = self.live.remove(&key) {
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
    /// `None` for a late line of a message already handed on early (counted, not applied).
    fn message(
        &mut self,
        key: MessageKey,
        ctx: &LineContext<'_>,
        birth: Birth,
    ) -> Option<&mut Message> {
        // The line's own message was looked up when the line came; any other is looked up.
        let own = self.line.filter(|l| l.key == key);
        let index = match own {
            Some(line) if self.live.current(line.found) => line.found.index,
            _ => self.live.find(&key).index,
        };
        let restart = index.and_then(|i| self.live.at(i, &key)).is_some_and(|m| {
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
                Birth::MessageId => m.message_id_logged || (m.removed() && ended_earlier),
                Birth::Active => ended_earlier,
            }
        });
        let m = match index {
            Some(i) if !restart => self.live.at_mut(i, &key)?,
            _ => {
                if restart {
                    if let Some(old) = self.live.remove(&key) {
                        self.counts.reused_queue_ids += 1;
                        self.counts.messages += 1;
                        self.ready.push_back(old);
                    }
                }
                if !self.handed_on.is_empty() {
                    if let Some(&ended) = self.handed_on.get(&key) {
                        // The message was handed on before its linger was over. Only a line
                        // that begins a life, in a later second than the old life ended, is a
                        // new message; anything else is a late line of the old one.
                        if birth == Birth::None || ctx.time.secs <= ended {
                            self.counts.lines_after_hand_on += 1;
                            return None;
                        }
                        self.handed_on.remove(&key);
                    }
                }
                if self.live.len() >= self.config.max_in_flight.max(1) {
                    self.relieve_pressure();
                }
                let m = self.new_message(Some(key.queue_id), key.host, key.instance, ctx.time);
                self.live.insert(key, m)
            }
        };
        if ctx.time < m.first_seen {
            m.first_seen = ctx.time;
        }
        if ctx.time > m.last_seen {
            m.last_seen = ctx.time;
        }
        if let Some(line) = own {
            m.line_hashes.push(line.hash);
            self.line = None;
        }
        if self.config.keep_raw {
            m.raw.push(RawLine {
                source: ctx.source.clone(),
                line_number: ctx.line_number,
                text: owned(ctx.raw),
            });
        }
        Some(m)
    }

    fn delivery(&mut self, ctx: &LineContext<'_>, key: MessageKey, d: &Delivery<'_>) {
        let t = &mut self.texts;
        let agent = t.words.get(ctx.envelope.program.daemon);
        let dsn = d.dsn.map(|x| t.words.get(x));
        let relay = d.relay.map(|x| t.peers.get(x));
        let reply = t.replies.get(d.reply);
        let to = t.addresses.get(d.to);
        let orig_to = d.orig_to.map(|x| t.addresses.get(x));
        let Some(m) = self.message(key, ctx, Birth::None) else {
            return;
        };
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
            dsn,
            relay,
            conn_use: d.conn_use,
            delay: d.delay,
            delays: d.delays,
            reply,
            remote_queue_id: d.queued_as.map(|q| Text::from(q.as_str())),
            after_removal,
        };
        let r = m.recipient(&to, orig_to.as_ref());
        // The same line twice (a duplicated log) is one attempt.
        if !r.attempts.contains(&attempt) {
            // Attempts in the order they happened. Two delivery agents may log in the same
            // second in either order; `delay=` (time since arrival) tells which came later.
            let order = |a: &Attempt| (a.time, a.delay.map(|d| (d * 1000.0) as i64));
            let at = r.attempts.partition_point(|a| order(a) <= order(&attempt));
            insert_small(&mut r.attempts, at, attempt);
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
            self.link(key, LinkKind::ForwardedAs, key.with_id(next));
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
        // The candidates are distinct keys of one queue ID: their (host, instance) differ, so
        // the least of those that qualify is the first of them in this order.
        let found = self
            .births
            .get(&next)
            .into_iter()
            .flat_map(|keys| keys.iter().copied())
            .filter(|k| {
                *k != from
                    && self.live.get(k).is_some_and(|m| {
                        m.origin == Some(Origin::Smtpd)
                            && (m.first_seen.secs - now).abs() <= window
                            && !m.links.iter().any(|l| {
                                l.kind == LinkKind::ReinjectedFrom && l.queue_id != from.queue_id
                            })
                    })
            })
            .min_by_key(|k| {
                (
                    k.host != from.host,
                    k.instance != from.instance,
                    k.host,
                    k.instance,
                )
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
            // Not for a message handed on early: that would be a second, bogus copy of it.
            if !creates || self.handed_on.contains_key(&to) {
                return;
            }
            let time = self
                .live
                .get(&from)
                .map(|m| m.last_seen)
                .unwrap_or_default();
            if self.live.len() >= self.config.max_in_flight.max(1) {
                self.relieve_pressure();
            }
            let mut m = self.new_message(Some(to.queue_id), to.host, to.instance, time);
            m.origin = Some(Origin::Internal);
            self.live.insert(to, m);
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
        let mut m = self.new_message(None, host, instance, ctx.time);
        m.origin = Some(Origin::Smtpd);
        let t = &mut self.texts;
        m.client = verdict
            .client
            .map(|c| t.peer(c))
            .or_else(|| session.as_ref().and_then(|s| s.client.clone()));
        m.helo = verdict
            .helo
            .map(|h| t.peers.get(h))
            .or_else(|| session.as_ref().and_then(|s| s.helo.clone()));
        m.connected_at = session.as_ref().and_then(|s| s.connected_at);
        m.tls = session.and_then(|s| s.tls);
        if !ctx.envelope.program.service.is_empty() {
            m.service = Some(t.words.get(ctx.envelope.program.service));
        }
        let rejection = t.rejection(ctx.time, ctx.envelope.program.daemon, verdict);
        m.from = rejection.from.clone();
        if let Some(to) = &rejection.to {
            let r = m.recipient(to, None);
            r.status = RecipientStatus::Rejected;
            r.verdict = Some(Box::new(rejection.clone()));
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
    helo: Option<Text>,
    daemon: &[u8],
    time: Stamp,
) {
    if m.helo.is_none() {
        m.helo = helo;
    }
    if m.from.is_none() {
        m.from = rejection.from.clone();
    }
    let to = rejection.to.clone();
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
        let r = m.recipient(&to, None);
        if r.attempts.is_empty() {
            r.status = status;
            r.verdict = Some(Box::new(rejection.clone()));
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
    push_small(&mut m.rejections, rejection);
}

#[cfg(test)]
mod tests {
    use crate::correlate::Message;
    use crate::output::json;
    use crate::pipeline::{run, ReadOnlySink, Sink};
    use std::ops::ControlFlow;
    use std::path::{Path, PathBuf};

    /// Keeps each message's JSON, and lends the messages back (renewed as later ones).
    #[derive(Default)]
    struct Reader(Vec<String>);

    impl ReadOnlySink for Reader {
        fn message(&mut self, m: &Message) -> ControlFlow<()> {
            self.0.push(json::message(m));
            ControlFlow::Continue(())
        }
    }

    /// Keeps each message's JSON, and takes the messages (none is renewed).
    #[derive(Default)]
    struct Taker(Reader);

    impl Sink for Taker {
        fn message(&mut self, m: Message) -> ControlFlow<()> {
            ReadOnlySink::message(&mut self.0, &m)
        }
    }

    /// The sample logs, and the shared corpus's when it is there.
    fn logs() -> Vec<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dirs = ["examples", "tests/fixtures", "../shared/corpus/lines"];
        let dirs = dirs
            .iter()
            .chain(&["../shared/corpus/mixed", "../shared/corpus/damaged"]);
        let mut logs: Vec<PathBuf> = dirs
            .flat_map(|d| std::fs::read_dir(dir.join(d)).into_iter().flatten())
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .collect();
        logs.sort();
        logs
    }

    /// A client or relay comes from the last one made only when it has the same bytes, and
    /// is the one the text tables make.
    #[test]
    fn the_last_peer_is_handed_out_again_only_for_the_same_endpoint() {
        use super::{Endpoint, Texts};
        let endpoints = [
            (&b"localhost"[..], &b"127.0.0.1"[..], None),
            (b"localhost", b"127.0.0.1", None),
            (b"localhost", b"127.0.0.1", Some(&b"25"[..])),
            (b"localhost", b"127.0.0.1", Some(b"25")),
            (b"localhost", b"127.0.0.1", Some(b"26")),
            (b"localhost", b"127.0.0.2", Some(b"26")),
            (b"localhosts", b"127.0.0.2", Some(b"26")),
            (b"caf\xe9", b"::1", None),
            (b"caf\xe9", b"::1", None),
            (b"caf\\xe9", b"::1", None),
            (b"localhost", b"127.0.0.1", None),
        ];
        let mut texts = Texts::default();
        for (name, ip, port) in endpoints {
            let e = Endpoint { name, ip, port };
            let peer = texts.peer(e);
            let plain = Texts::default().peer(e);
            assert_eq!(peer, plain);
        }
    }

    /// Keeps each message's JSON with its Message-ID left out, and how many had one.
    #[derive(Default)]
    struct WithoutMessageIds(Vec<String>, usize);

    impl Sink for WithoutMessageIds {
        fn message(&mut self, mut m: Message) -> ControlFlow<()> {
            self.1 += usize::from(m.message_id.take().is_some());
            self.0.push(json::message(&m));
            ControlFlow::Continue(())
        }
    }

    /// Messages tracked without their Message-IDs (`report`, `stats`) are the messages
    /// tracked with them, but for the Message-ID itself: cleanup's line still counts.
    #[test]
    fn messages_without_their_message_ids_are_the_same_messages() {
        let mut with_ids = 0;
        for log in &logs() {
            let (sources, _) = crate::input::sources_from_args(std::slice::from_ref(log));
            let [mut kept, mut left] = [WithoutMessageIds::default(), Default::default()];
            let options = |keep_message_ids| {
                let tracker = super::TrackerConfig {
                    keep_message_ids,
                    ..super::TrackerConfig::default()
                };
                crate::pipeline::testing::options(1, tracker)
            };
            run(&sources, &options(true), &mut kept);
            run(&sources, &options(false), &mut left);
            assert_eq!(kept.0, left.0, "{}", log.display());
            assert_eq!(left.1, 0);
            with_ids += kept.1;
        }
        assert!(with_ids > 1000, "{with_ids}");
    }

    #[test]
    fn messages_lent_and_renewed_read_as_messages_made_afresh() {
        let logs = logs();
        assert!(logs.len() >= 5, "{logs:?}");
        let mut messages = 0;
        for log in &logs {
            let (sources, _) = crate::input::sources_from_args(std::slice::from_ref(log));
            // Three threads: the messages come back from the sink's thread to be renewed.
            for threads in [1, 2, crate::pipeline::SINK_THREAD_FROM] {
                let options = crate::pipeline::testing::options(threads, Default::default());
                let mut lent = Reader::default();
                run(&sources, &options, &mut lent);
                let mut taken = Taker::default();
                run(&sources, &options, &mut taken);
                assert_eq!(lent.0, taken.0 .0, "{}", log.display());
                messages += lent.0.len();
            }
        }
        assert!(messages > 1000, "{messages}");
    }
}
