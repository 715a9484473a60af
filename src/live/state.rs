//! `follow --state FILE`: where following stopped, and the messages then in flight.
//!
//! One JSON object, written to `FILE.tmp` and renamed over `FILE` (a crash leaves the old state
//! or the new one, never half of one):
//!
//! - `source`: the input's name; a state saved for another input is not used;
//! - `position`: the file's identity (`dev`, `ino`), the `offset` after the last complete line
//!   handed to the tracker, and `check`, the (at most 64) bytes before it in hex, which tell on
//!   restart whether the file still holds what was read (else it was truncated, and a rotated
//!   copy beside it is looked for); absent for a pipe;
//! - `messages`: every message in flight, with everything the tracker knows of it (origin,
//!   client, session, sender, size, recipients with every attempt, rejects, problems, links,
//!   its end if it ended and waits for late lines).
//!
//! Not saved: smtpd sessions still open (a message accepted after the restart in a session
//! opened before it lacks the connect time, HELO and TLS of the session), `queued as` replies
//! still waiting for their next hop (that link is not made), and the line counts and metrics
//! (counters start again at zero, which Prometheus reads as a restart).

use crate::correlate::message::Ending;
use crate::correlate::{
    Attempt, Link, LinkKind, Message, Origin, Peer, Recipient, RecipientStatus, Rejection, Text,
};
use crate::event::{Delays, DeliveryStatus};
use crate::input::follow::Position;
use crate::parse::queue_id::QueueId;
use crate::time::Stamp;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

const VERSION: u32 = 1;

/// What a state file holds.
pub struct Saved {
    pub source: String,
    pub position: Option<Position>,
    pub messages: Vec<Message>,
}

#[derive(Serialize, Deserialize)]
struct StateJson {
    version: u32,
    source: String,
    saved_at: String,
    position: Option<PositionJson>,
    messages: Vec<MessageJson>,
}

#[derive(Serialize, Deserialize)]
struct PositionJson {
    dev: u64,
    ino: u64,
    offset: u64,
    check: String,
}

/// `[secs, nanos, offset]`.
type StampJson = (i64, u32, i32);

#[derive(Serialize, Deserialize)]
struct PeerJson {
    name: Text,
    ip: Text,
    port: Option<Text>,
}

#[derive(Serialize, Deserialize)]
struct AttemptJson {
    time: StampJson,
    agent: Text,
    status: String,
    dsn: Option<Text>,
    relay: Option<Text>,
    conn_use: Option<u32>,
    delay: Option<f64>,
    delays: Option<[f64; 4]>,
    reply: Text,
    remote_queue_id: Option<Text>,
    after_removal: bool,
}

#[derive(Serialize, Deserialize)]
struct RejectionJson {
    time: StampJson,
    daemon: Text,
    action: Text,
    stage: Text,
    code: Option<u16>,
    dsn: Option<Text>,
    reply: Text,
    from: Option<Text>,
    to: Option<Text>,
    matched: Option<Text>,
}

#[derive(Serialize, Deserialize)]
struct RecipientJson {
    to: Text,
    orig_to: Option<Text>,
    status: String,
    attempts: Vec<AttemptJson>,
    verdict: Option<RejectionJson>,
}

#[derive(Serialize, Deserialize)]
struct LinkJson {
    kind: String,
    queue_id: String,
    host: Option<String>,
    detail: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct MessageJson {
    queue_id: String,
    host: String,
    instance: String,
    first_seen: StampJson,
    last_seen: StampJson,
    origin: Option<String>,
    client: Option<PeerJson>,
    helo: Option<Text>,
    sasl_method: Option<Text>,
    sasl_username: Option<Text>,
    tls: Option<Text>,
    connected_at: Option<StampJson>,
    disconnected_at: Option<StampJson>,
    session_commands: Option<Text>,
    service: Option<Text>,
    uid: Option<u32>,
    from: Option<Text>,
    size: Option<u64>,
    nrcpt: Option<u32>,
    message_id: Option<Text>,
    ending: Option<String>,
    ended_at: Option<StampJson>,
    held: bool,
    expired: Option<String>,
    recipients: Vec<RecipientJson>,
    links: Vec<LinkJson>,
    rejections: Vec<RejectionJson>,
    problems: Vec<(StampJson, String)>,
}

fn stamp(s: Stamp) -> StampJson {
    (s.secs, s.nanos, s.offset)
}

fn unstamp((secs, nanos, offset): StampJson) -> Stamp {
    Stamp {
        secs,
        nanos,
        offset,
    }
}

fn delivery_word(s: DeliveryStatus) -> &'static str {
    RecipientStatus::Delivery(s).as_str()
}

fn recipient_status(word: &str) -> Option<RecipientStatus> {
    if let Some(d) = DeliveryStatus::parse(word.as_bytes()) {
        return Some(RecipientStatus::Delivery(d));
    }
    [
        RecipientStatus::Queued,
        RecipientStatus::Held,
        RecipientStatus::Deleted,
        RecipientStatus::Discarded,
        RecipientStatus::Rejected,
        RecipientStatus::Requeued,
    ]
    .into_iter()
    .find(|s| s.as_str() == word)
}

fn origin(word: &str) -> Option<Origin> {
    [Origin::Smtpd, Origin::Pickup, Origin::Internal]
        .into_iter()
        .find(|o| o.as_str() == word)
}

fn ending(word: &str) -> Option<Ending> {
    [
        Ending::Removed,
        Ending::Deleted,
        Ending::Requeued,
        Ending::Discarded,
        Ending::Rejected,
        Ending::Abandoned,
    ]
    .into_iter()
    .find(|e| e.as_str() == word)
}

fn link_kind(word: &str) -> Option<LinkKind> {
    [
        LinkKind::ReinjectedAs,
        LinkKind::ReinjectedFrom,
        LinkKind::Notification,
        LinkKind::NotificationOf,
        LinkKind::ForwardedAs,
        LinkKind::ForwardedFrom,
        LinkKind::RequeuedAs,
        LinkKind::RequeuedFrom,
    ]
    .into_iter()
    .find(|k| k.as_str() == word)
}

/// A notification kind's word, as the tracker keeps it.
fn link_detail(word: &str) -> Option<&'static str> {
    ["non-delivery", "delay", "delivery status", "success"]
        .into_iter()
        .find(|d| *d == word)
}

fn rejection_json(r: &Rejection) -> RejectionJson {
    RejectionJson {
        time: stamp(r.time),
        daemon: r.daemon.clone(),
        action: r.action.clone(),
        stage: r.stage.clone(),
        code: r.code,
        dsn: r.dsn.clone(),
        reply: r.reply.clone(),
        from: r.from.clone(),
        to: r.to.clone(),
        matched: r.matched.clone(),
    }
}

fn rejection(r: RejectionJson) -> Rejection {
    Rejection {
        time: unstamp(r.time),
        daemon: r.daemon,
        action: r.action,
        stage: r.stage,
        code: r.code,
        dsn: r.dsn,
        reply: r.reply,
        from: r.from,
        to: r.to,
        matched: r.matched,
    }
}

fn message_json(m: &Message) -> Option<MessageJson> {
    Some(MessageJson {
        queue_id: m.queue_id?.as_str().to_string(),
        host: m.host.to_string(),
        instance: m.instance.to_string(),
        first_seen: stamp(m.first_seen),
        last_seen: stamp(m.last_seen),
        origin: m.origin.map(|o| o.as_str().to_string()),
        client: m.client.as_ref().map(|c| PeerJson {
            name: c.name.clone(),
            ip: c.ip.clone(),
            port: c.port.clone(),
        }),
        helo: m.helo.clone(),
        sasl_method: m.sasl_method.clone(),
        sasl_username: m.sasl_username.clone(),
        tls: m.tls.clone(),
        connected_at: m.connected_at.map(stamp),
        disconnected_at: m.disconnected_at.map(stamp),
        session_commands: m.session_commands.clone(),
        service: m.service.clone(),
        uid: m.uid,
        from: m.from.clone(),
        size: m.size,
        nrcpt: m.nrcpt,
        message_id: m.message_id.clone(),
        ending: m.ending.map(|e| e.as_str().to_string()),
        ended_at: m.ended_at.map(stamp),
        held: m.held,
        expired: m.expired.map(|s| delivery_word(s).to_string()),
        recipients: m
            .recipients
            .iter()
            .map(|r| RecipientJson {
                to: r.to.clone(),
                orig_to: r.orig_to.clone(),
                status: r.status.as_str().to_string(),
                attempts: r
                    .attempts
                    .iter()
                    .map(|a| AttemptJson {
                        time: stamp(a.time),
                        agent: a.agent.clone(),
                        status: delivery_word(a.status).to_string(),
                        dsn: a.dsn.clone(),
                        relay: a.relay.clone(),
                        conn_use: a.conn_use,
                        delay: a.delay,
                        delays: a
                            .delays
                            .map(|d| [d.before_qmgr, d.in_qmgr, d.conn_setup, d.transmission]),
                        reply: a.reply.clone(),
                        remote_queue_id: a.remote_queue_id.clone(),
                        after_removal: a.after_removal,
                    })
                    .collect(),
                verdict: r.verdict.as_deref().map(rejection_json),
            })
            .collect(),
        links: m
            .links
            .iter()
            .map(|l| LinkJson {
                kind: l.kind.as_str().to_string(),
                queue_id: l.queue_id.as_str().to_string(),
                host: l.host.as_deref().map(str::to_string),
                detail: l.detail.map(str::to_string),
            })
            .collect(),
        rejections: m.rejections.iter().map(rejection_json).collect(),
        problems: m
            .problems
            .iter()
            .map(|(t, text)| (stamp(*t), text.clone()))
            .collect(),
    })
}

fn bad(what: &str, value: &str) -> String {
    format!("unknown {what} '{value}'")
}

fn message(j: MessageJson) -> Result<Message, String> {
    let queue_id =
        QueueId::new(j.queue_id.as_bytes()).ok_or_else(|| bad("queue ID", &j.queue_id))?;
    let mut m = Message::new(
        Some(queue_id),
        Arc::from(j.host.as_str()),
        Arc::from(j.instance.as_str()),
        unstamp(j.first_seen),
    );
    m.last_seen = unstamp(j.last_seen);
    m.origin = match j.origin {
        Some(o) => Some(origin(&o).ok_or_else(|| bad("origin", &o))?),
        None => None,
    };
    m.client = j.client.map(|c| Peer {
        name: c.name,
        ip: c.ip,
        port: c.port,
    });
    m.helo = j.helo;
    m.sasl_method = j.sasl_method;
    m.sasl_username = j.sasl_username;
    m.tls = j.tls;
    m.connected_at = j.connected_at.map(unstamp);
    m.disconnected_at = j.disconnected_at.map(unstamp);
    m.session_commands = j.session_commands;
    m.service = j.service;
    m.uid = j.uid;
    m.from = j.from;
    m.size = j.size;
    m.nrcpt = j.nrcpt;
    // `follow` keeps Message-IDs: one saved is one cleanup logged.
    m.message_id_logged = j.message_id.is_some();
    m.message_id = j.message_id;
    m.ending = match j.ending {
        Some(e) => Some(ending(&e).ok_or_else(|| bad("ending", &e))?),
        None => None,
    };
    m.ended_at = j.ended_at.map(unstamp);
    m.held = j.held;
    m.expired = match j.expired {
        Some(s) => Some(DeliveryStatus::parse(s.as_bytes()).ok_or_else(|| bad("status", &s))?),
        None => None,
    };
    for r in j.recipients {
        let status = recipient_status(&r.status).ok_or_else(|| bad("status", &r.status))?;
        let mut attempts = Vec::with_capacity(r.attempts.len());
        for a in r.attempts {
            attempts.push(Attempt {
                time: unstamp(a.time),
                agent: a.agent,
                status: DeliveryStatus::parse(a.status.as_bytes())
                    .ok_or_else(|| bad("status", &a.status))?,
                dsn: a.dsn,
                relay: a.relay,
                conn_use: a.conn_use,
                delay: a.delay,
                delays: a.delays.map(|d| Delays {
                    before_qmgr: d[0],
                    in_qmgr: d[1],
                    conn_setup: d[2],
                    transmission: d[3],
                }),
                reply: a.reply,
                remote_queue_id: a.remote_queue_id,
                after_removal: a.after_removal,
            });
        }
        m.recipients.push(Recipient {
            to: r.to,
            orig_to: r.orig_to,
            status,
            attempts,
            verdict: r.verdict.map(|v| Box::new(rejection(v))),
        });
    }
    for l in j.links {
        m.links.push(Link {
            kind: link_kind(&l.kind).ok_or_else(|| bad("link kind", &l.kind))?,
            queue_id: QueueId::new(l.queue_id.as_bytes())
                .ok_or_else(|| bad("queue ID", &l.queue_id))?,
            host: l.host.map(|h| Arc::from(h.as_str())),
            detail: l.detail.as_deref().and_then(link_detail),
        });
    }
    m.rejections = j.rejections.into_iter().map(rejection).collect();
    m.problems = j
        .problems
        .into_iter()
        .map(|(t, text)| (unstamp(t), text))
        .collect();
    Ok(m)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Writes the state: to `FILE.tmp`, synced, then renamed over `FILE`.
pub fn save<'a>(
    path: &Path,
    source: &str,
    position: Option<&Position>,
    messages: impl Iterator<Item = &'a Message>,
) -> std::io::Result<()> {
    let state = StateJson {
        version: VERSION,
        source: source.to_string(),
        saved_at: jiff::Timestamp::now().to_string(),
        position: position.map(|p| PositionJson {
            dev: p.dev,
            ino: p.ino,
            offset: p.offset,
            check: hex(&p.check),
        }),
        messages: messages.filter_map(message_json).collect(),
    };
    let text = serde_json::to_vec(&state).map_err(std::io::Error::other)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&text)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Reads a state file; `Ok(None)` when there is none yet.
pub fn load(path: &Path) -> Result<Option<Saved>, String> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(crate::input::io_message(&e)),
    };
    let state: StateJson = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
    if state.version != VERSION {
        return Err(format!("state version {} is not {VERSION}", state.version));
    }
    let position = match state.position {
        Some(p) => {
            let check = unhex(&p.check)
                .filter(|c| c.len() <= 64 && c.len() as u64 <= p.offset)
                .ok_or("bad check bytes")?;
            Some(Position {
                dev: p.dev,
                ino: p.ino,
                offset: p.offset,
                check,
            })
        }
        None => None,
    };
    let messages = state
        .messages
        .into_iter()
        .map(message)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Saved {
        source: state.source,
        position,
        messages,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(load(&path).unwrap().is_none());
        let mut m = Message::new(
            QueueId::new(b"4ABC123DEF"),
            Arc::from("mail"),
            Arc::from("postfix"),
            Stamp {
                secs: 1_795_886_000,
                nanos: 5,
                offset: 3600,
            },
        );
        m.origin = Some(Origin::Smtpd);
        m.ending = Some(Ending::Removed);
        m.ended_at = Some(m.first_seen);
        m.from = Some("a@b.example".into());
        m.recipient_mut("c@d.example", None).status = RecipientStatus::DEFERRED;
        m.links.push(Link {
            kind: LinkKind::Notification,
            queue_id: QueueId::new(b"5DEF0").unwrap(),
            host: None,
            detail: Some("delay"),
        });
        let pos = Position {
            dev: 1,
            ino: 2,
            offset: 10,
            check: b"ab\ncd\n".to_vec(),
        };
        save(&path, "mail.log", Some(&pos), std::iter::once(&m)).unwrap();
        let back = load(&path).unwrap().unwrap();
        assert_eq!(back.source, "mail.log");
        assert_eq!(back.position, Some(pos));
        let r = &back.messages[0];
        assert_eq!(r.queue_id, m.queue_id);
        assert_eq!(r.first_seen, m.first_seen);
        assert_eq!(r.first_seen.offset, 3600);
        assert_eq!(r.ending, Some(Ending::Removed));
        assert_eq!(r.recipients, m.recipients);
        assert_eq!(r.links, m.links);
        std::fs::write(&path, "{").unwrap();
        assert!(load(&path).is_err());
        let bad = r#"{"version":1,"source":"x","saved_at":"","position":{"dev":1,"ino":2,"offset":1,"check":"6162"},"messages":[]}"#;
        std::fs::write(&path, bad).unwrap();
        assert!(load(&path).is_err());
    }
}
