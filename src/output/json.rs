//! `--json`: one object per message per line. The schema is documented in docs/json.md; field
//! names are a contract with users' scripts.

use crate::correlate::message::RawLine;
use crate::correlate::{Attempt, Link, Message, Recipient, Rejection};
use crate::event::Delays;
use serde::{Serialize, Serializer};

/// A slice written as a JSON array of its items' views, each made as it is written: the same
/// output as collecting the views into a `Vec`, without the `Vec`.
struct Each<'a, T, V> {
    items: &'a [T],
    view: fn(&'a T) -> V,
}

impl<'a, T, V> Each<'a, T, V> {
    fn new(items: &'a [T], view: fn(&'a T) -> V) -> Self {
        Each { items, view }
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<'a, T, V: Serialize> Serialize for Each<'a, T, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.items.iter().map(self.view))
    }
}

#[derive(Serialize)]
struct ClientJson<'a> {
    name: &'a str,
    ip: &'a str,
    port: Option<&'a str>,
}

#[derive(Serialize)]
struct SessionJson<'a> {
    connected_at: Option<String>,
    disconnected_at: Option<String>,
    commands: Option<&'a str>,
}

#[derive(Serialize)]
struct DelaysJson {
    before_qmgr: f64,
    in_qmgr: f64,
    conn_setup: f64,
    transmission: f64,
}

fn delays(d: &Option<Delays>) -> Option<DelaysJson> {
    d.map(|d| DelaysJson {
        before_qmgr: d.before_qmgr,
        in_qmgr: d.in_qmgr,
        conn_setup: d.conn_setup,
        transmission: d.transmission,
    })
}

#[derive(Serialize)]
struct AttemptJson<'a> {
    time: String,
    agent: &'a str,
    status: &'static str,
    dsn: Option<&'a str>,
    relay: Option<&'a str>,
    conn_use: Option<u32>,
    delay: Option<f64>,
    delays: Option<DelaysJson>,
    reply: &'a str,
    remote_queue_id: Option<&'a str>,
    after_removal: bool,
}

fn attempt(a: &Attempt) -> AttemptJson<'_> {
    AttemptJson {
        time: a.time.rfc3339(),
        agent: &a.agent,
        status: crate::correlate::RecipientStatus::Delivery(a.status).as_str(),
        dsn: a.dsn.as_deref(),
        relay: a.relay.as_deref(),
        conn_use: a.conn_use,
        delay: a.delay,
        delays: delays(&a.delays),
        reply: &a.reply,
        remote_queue_id: a.remote_queue_id.as_deref(),
        after_removal: a.after_removal,
    }
}

#[derive(Serialize)]
struct RecipientJson<'a> {
    to: &'a str,
    orig_to: Option<&'a str>,
    status: &'static str,
    dsn: Option<&'a str>,
    relay: Option<&'a str>,
    delay: Option<f64>,
    reply: Option<&'a str>,
    deferrals: usize,
    attempts: Each<'a, Attempt, AttemptJson<'a>>,
}

fn recipient(r: &Recipient) -> RecipientJson<'_> {
    let last = r.last_attempt();
    RecipientJson {
        to: &r.to,
        orig_to: r.orig_to.as_deref(),
        status: r.status.as_str(),
        dsn: r.dsn(),
        relay: last.and_then(|a| a.relay.as_deref()),
        delay: last.and_then(|a| a.delay),
        reply: r.reply(),
        deferrals: r.deferrals(),
        attempts: Each::new(&r.attempts, attempt),
    }
}

#[derive(Serialize)]
struct RejectJson<'a> {
    time: String,
    daemon: &'a str,
    action: &'a str,
    stage: &'a str,
    code: Option<u16>,
    dsn: Option<&'a str>,
    reply: &'a str,
    from: Option<&'a str>,
    to: Option<&'a str>,
    matched: Option<&'a str>,
}

fn reject(r: &Rejection) -> RejectJson<'_> {
    RejectJson {
        time: r.time.rfc3339(),
        daemon: &r.daemon,
        action: &r.action,
        stage: &r.stage,
        code: r.code,
        dsn: r.dsn.as_deref(),
        reply: &r.reply,
        from: r.from.as_deref(),
        to: r.to.as_deref(),
        matched: r.matched.as_deref(),
    }
}

#[derive(Serialize)]
struct LinkJson<'a> {
    kind: &'static str,
    queue_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'static str>,
}

#[derive(Serialize)]
struct ProblemJson<'a> {
    time: String,
    text: &'a str,
}

#[derive(Serialize)]
struct RawJson<'a> {
    source: &'a str,
    line: u64,
    text: &'a str,
}

/// `P`: the problems, an `Each` over whatever pair the message keeps them in.
#[derive(Serialize)]
struct MessageJson<'a, P> {
    queue_id: &'a str,
    host: &'a str,
    instance: &'a str,
    first_seen: String,
    last_seen: String,
    origin: Option<&'static str>,
    service: Option<&'a str>,
    client: Option<ClientJson<'a>>,
    helo: Option<&'a str>,
    sasl_method: Option<&'a str>,
    sasl_username: Option<&'a str>,
    tls: Option<&'a str>,
    session: Option<SessionJson<'a>>,
    uid: Option<u32>,
    from: Option<&'a str>,
    size: Option<u64>,
    nrcpt: Option<u32>,
    message_id: Option<&'a str>,
    removed: bool,
    ended: Option<&'static str>,
    held: bool,
    status: &'static str,
    recipients: Each<'a, Recipient, RecipientJson<'a>>,
    links: Each<'a, Link, LinkJson<'a>>,
    rejects: Each<'a, Rejection, RejectJson<'a>>,
    problems: P,
    #[serde(skip_serializing_if = "Each::is_empty")]
    lines: Each<'a, RawLine, RawJson<'a>>,
}

/// One message as a single line of JSON (no trailing newline).
pub fn message(m: &Message) -> String {
    let mut out = Vec::with_capacity(1024);
    write_message(m, &mut out);
    // serde_json writes UTF-8 from `&str` fields only; the fallback is never taken.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `message`, appended to `out`: `messages --json` serialises every message into one reused
/// buffer instead of a `String` each.
pub fn write_message(m: &Message, out: &mut Vec<u8>) {
    let start = out.len();
    if let Err(e) = serde_json::to_writer(&mut *out, &view(m)) {
        out.truncate(start);
        out.extend_from_slice(format!("{{\"error\":\"{e}\"}}").as_bytes());
    }
}

fn view(m: &Message) -> MessageJson<'_, impl Serialize + '_> {
    MessageJson {
        queue_id: m.queue_id_str(),
        host: &m.host,
        instance: &m.instance,
        first_seen: m.first_seen.rfc3339(),
        last_seen: m.last_seen.rfc3339(),
        origin: m.origin.map(|o| o.as_str()),
        service: m.service.as_deref(),
        client: m.client.as_ref().map(|c| ClientJson {
            name: &c.name,
            ip: &c.ip,
            port: c.port.as_deref(),
        }),
        helo: m.helo.as_deref(),
        sasl_method: m.sasl_method.as_deref(),
        sasl_username: m.sasl_username.as_deref(),
        tls: m.tls.as_deref(),
        session: m.connected_at.map(|c| SessionJson {
            connected_at: Some(c.rfc3339()),
            disconnected_at: m.disconnected_at.map(|d| d.rfc3339()),
            commands: m.session_commands.as_deref(),
        }),
        uid: m.uid,
        from: m.from.as_deref(),
        size: m.size,
        nrcpt: m.nrcpt,
        message_id: m.message_id.as_deref(),
        removed: m.removed(),
        ended: m.ending.map(|e| e.as_str()),
        held: m.held,
        status: m.status().as_str(),
        recipients: Each::new(&m.recipients, recipient),
        links: Each::new(&m.links, |l| LinkJson {
            kind: l.kind.as_str(),
            queue_id: l.queue_id.as_str(),
            host: l.host.as_deref(),
            detail: l.detail,
        }),
        rejects: Each::new(&m.rejections, reject),
        problems: Each::new(&m.problems, |(t, text)| ProblemJson {
            time: t.rfc3339(),
            text,
        }),
        lines: Each::new(&m.raw, |r| RawJson {
            source: &r.source,
            line: r.line_number,
            text: &r.text,
        }),
    }
}
