//! One `Event` → its explanation. The match below has no catch-all arm: a new kind of event
//! does not compile until it is explained.

use super::classify::{diagnostic_class, in_reply_to, reply_class};
use super::codes::{enhanced_after_code, leading_smtp_code, smtp_keys, Dsn};
use super::{Builder, Catalog, Explanation, NoteKind};
use crate::envelope::{Envelope, Severity};
use crate::event::{
    Delivery, DeliveryStatus, Event, Interruption, MasterAction, NotificationKind, QueueAction,
    Screening, Verdict,
};
use crate::parse::bytes::Endpoint;
use crate::parse::delivery::remote_said;
use crate::text::owned;

/// Whose judgement a reply is: our server's on a client, or a remote's (or the network's) on
/// mail of ours. The fix for the same trouble differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    In,
    Out,
}

pub fn explain(cat: &Catalog, envelope: &Envelope<'_>, event: &Event<'_>) -> Explanation {
    let mut b = Builder::new(cat, event.kind());
    b.context(envelope);
    if let Some(q) = event.queue_id() {
        b.field("queue_id", q.as_str());
    }
    match event {
        Event::Connect { client } => {
            endpoint(&mut b, "client", client);
            b.main("connect");
            unknown_name(&mut b, client);
            service(&mut b);
        }
        Event::Disconnect { client, counts } => {
            endpoint(&mut b, "client", client);
            b.field_bytes("counts", counts);
            b.main("disconnect");
            let counts = owned(counts);
            let failed: Vec<&str> = counts
                .split(' ')
                .filter(|c| !c.starts_with("commands=") && c.contains('/'))
                .collect();
            if !counts.is_empty() {
                b.detail("disconnect.counts");
            }
            if !failed.is_empty() {
                let failed = failed.join(" ");
                b.note_with(
                    NoteKind::Detail,
                    "disconnect.failed",
                    &[("failed", &failed)],
                );
            }
        }
        Event::Interrupted {
            kind,
            stage,
            client,
        } => {
            endpoint(&mut b, "client", client);
            b.field_bytes("stage", stage);
            let (key, class) = match kind {
                Interruption::LostConnection => ("interrupted.lost", "lost_connection"),
                Interruption::Timeout => ("interrupted.timeout", "timeout"),
                Interruption::TooManyErrors => ("interrupted.errors", "too_many_errors"),
            };
            b.main(key);
            class_notes(&mut b, class, Side::In);
        }
        Event::ClientAccepted {
            queue_id: _,
            client,
            sasl_method,
            sasl_username,
            orig_client,
            orig_queue_id,
        } => {
            endpoint(&mut b, "client", client);
            b.field_opt("sasl_method", *sasl_method);
            b.field_opt("sasl_username", *sasl_username);
            if let Some(o) = orig_client {
                endpoint(&mut b, "orig_client", o);
            }
            if let Some(q) = orig_queue_id {
                b.field("orig_queue_id", q.as_str());
            }
            b.main("client_accepted");
            service(&mut b);
            if sasl_username.is_some() {
                b.detail("client_accepted.sasl");
            }
            if orig_queue_id.is_some() || orig_client.is_some() {
                b.detail("client_accepted.reinjected");
            }
        }
        Event::Verdict { queue_id, verdict } => verdict_notes(&mut b, queue_id.is_some(), verdict),
        Event::Helo { name } => {
            b.field_bytes("helo", name);
            b.main("helo");
        }
        Event::Sender { address } => {
            b.field_bytes("from", address);
            b.main("sender");
            if address.is_empty() {
                b.detail("from.null");
            }
        }
        Event::Recipient { address } => {
            b.field_bytes("to", address);
            b.main("recipient");
        }
        Event::Tls {
            inbound,
            trust,
            peer,
            protocol,
            cipher,
        } => {
            if let Some(p) = peer {
                endpoint(&mut b, "peer", p);
            }
            b.field_bytes("trust", trust);
            b.field_bytes("protocol", protocol);
            b.field_bytes("cipher", cipher);
            b.main(if *inbound { "tls.in" } else { "tls.out" });
            let trust_key = match *trust {
                b"Anonymous" => "tls.trust.anonymous",
                b"Untrusted" => "tls.trust.untrusted",
                b"Trusted" => "tls.trust.trusted",
                _ => "tls.trust.verified",
            };
            b.detail(trust_key);
        }
        Event::SaslFailed {
            client,
            method,
            reason,
        } => {
            endpoint(&mut b, "client", client);
            b.field_bytes("method", method);
            b.field_bytes("reason", reason);
            b.main("sasl_failed");
            class_notes(&mut b, "auth", Side::In);
        }
        Event::SessionNote { client, note } => {
            if let Some(c) = client {
                endpoint(&mut b, "client", c);
            }
            b.field_bytes("note", note);
            b.main(session_note_key(note));
            if let Some(c) = client {
                if note.starts_with(b"client=") {
                    unknown_name(&mut b, c);
                }
            }
        }
        Event::Screening(s) => screening(&mut b, s),
        Event::DnsblHit { ip, list } => {
            b.field_bytes("ip", ip);
            b.field_bytes("list", list);
            b.main("dnsbl_hit");
        }
        Event::Statistics { text } => {
            b.field_bytes("text", text);
            let key = if text.starts_with(b"cache ") {
                "statistics.cache"
            } else if b.value("daemon") == Some("anvil") {
                "statistics.anvil"
            } else if b.value("daemon") == Some("scache") {
                "statistics.scache"
            } else {
                "statistics"
            };
            b.main(key);
        }
        Event::MessageId {
            queue_id: _,
            message_id,
        } => {
            b.field_bytes("message_id", message_id);
            b.main(if message_id.is_empty() {
                "message_id.empty"
            } else {
                "message_id"
            });
        }
        Event::Pickup {
            queue_id: _,
            uid,
            from,
            orig_id,
        } => {
            if let Some(uid) = uid {
                b.field("uid", uid.to_string());
            }
            b.field_opt("from", *from);
            if let Some(o) = orig_id {
                b.field("orig_id", o.as_str());
            }
            b.main("pickup");
            if orig_id.is_some() {
                b.detail("pickup.orig_id");
            }
        }
        Event::QueueActive {
            queue_id: _,
            from,
            size,
            nrcpt,
            deferred_queue,
        } => {
            b.field_bytes("from", from);
            if let Some(s) = size {
                b.field("size", s.to_string());
            }
            if let Some(n) = nrcpt {
                b.field("nrcpt", n.to_string());
            }
            b.main(if *deferred_queue {
                "queue_active.deferred"
            } else {
                "queue_active"
            });
            if from.is_empty() {
                b.detail("from.null");
            }
        }
        Event::Removed { queue_id: _ } => b.main("removed"),
        Event::ReturnedToSender {
            queue_id: _,
            from,
            status,
        } => {
            b.field_bytes("from", from);
            b.field("status", status_word(*status));
            b.main(match status {
                DeliveryStatus::Expired => "returned.expired",
                DeliveryStatus::ForceExpired => "returned.force_expired",
                _ => "returned.other",
            });
            if from.is_empty() {
                b.detail("returned.null_sender");
            }
        }
        Event::Delivery(d) => delivery(&mut b, d),
        Event::DeliveryCut { queue_id: _, to } => {
            b.field_bytes("to", to);
            b.main("delivery.cut");
        }
        Event::DeliveryProblem { queue_id: _, text } => {
            b.field_bytes("text", text);
            let t = owned(text);
            if let Some((host, said)) = remote_said(text) {
                b.extra("remote", owned(host));
                b.extra("said", owned(said));
                b.main("problem.host_said");
                reply_notes(&mut b, &owned(said), None);
            } else if let Some((host, said)) = refused_to_talk(&t) {
                b.extra("remote", host);
                b.extra("said", said.clone());
                b.main("problem.refused_talk");
                reply_notes(&mut b, &said, None);
            } else {
                b.main(problem_key(text));
            }
            if let Some(class) = reply_class(&t) {
                class_notes(&mut b, class, Side::Out);
            }
        }
        Event::ConnectionProblem { text } => {
            b.field_bytes("text", text);
            b.main(connection_key(text));
            if let Some(class) = reply_class(&owned(text)) {
                class_notes(&mut b, class, Side::Out);
            }
        }
        Event::Notification {
            queue_id: _,
            kind,
            to_postmaster,
            new_queue_id,
        } => {
            b.field("notification", kind.as_str());
            b.field("new_queue_id", new_queue_id.as_str());
            b.main(match kind {
                NotificationKind::NonDelivery => "notify.non_delivery",
                NotificationKind::Delay => "notify.delay",
                NotificationKind::DeliveryStatus => "notify.dsn",
                NotificationKind::Success => "notify.success",
            });
            b.detail(if *to_postmaster {
                "notify.to_postmaster"
            } else {
                "notify.to_sender"
            });
        }
        Event::Master { action, version } => {
            b.field_opt("version", *version);
            b.main(match action {
                MasterAction::Started => "master.started",
                MasterAction::Reload => "master.reload",
                MasterAction::Terminating => "master.terminating",
                MasterAction::Script => "master.script",
            });
        }
        Event::QueueFile {
            queue_id: _,
            action,
        } => b.main(match action {
            QueueAction::Deleted => "queue_file.deleted",
            QueueAction::Requeued => "queue_file.requeued",
            QueueAction::Held => "queue_file.held",
            QueueAction::Released => "queue_file.released",
            QueueAction::Expired => "queue_file.expired",
        }),
        Event::QueueSummary { text } => {
            b.field_bytes("text", text);
            b.main("queue_summary");
        }
        Event::Diagnostic { queue_id: _, text } => {
            b.field_bytes("text", text);
            b.field("severity", envelope.severity.as_str());
            b.main(match envelope.severity {
                Severity::Info => "diag.info",
                Severity::Warning => "diag.warning",
                Severity::Error => "diag.error",
                Severity::Fatal => "diag.fatal",
                Severity::Panic => "diag.panic",
            });
            if let Some(class) = diagnostic_class(&owned(text)) {
                b.note(NoteKind::Cause, &format!("diag.class.{class}"));
                b.note(NoteKind::Fix, &format!("diag.class.{class}.fix"));
            }
        }
    }
    b.finish()
}

/// `client` = `name[ip]` as logged (with `:port` when there is one), `client_ip`,
/// `client_name`, `client_port` — or the same under another prefix.
fn endpoint(b: &mut Builder<'_>, prefix: &'static str, e: &Endpoint<'_>) {
    let (ip_key, name_key, port_key) = match prefix {
        "client" => ("client_ip", "client_name", "client_port"),
        "orig_client" => ("orig_client_ip", "orig_client_name", "orig_client_port"),
        _ => ("peer_ip", "peer_name", "peer_port"),
    };
    let mut shown = format!("{}[{}]", owned(e.name), owned(e.ip));
    if let Some(p) = e.port {
        shown.push(':');
        shown.push_str(&owned(p));
    }
    b.field(prefix, shown);
    b.field_bytes(ip_key, e.ip);
    if !e.name.is_empty() {
        b.field_bytes(name_key, e.name);
    }
    b.field_opt(port_key, e.port);
}

fn unknown_name(b: &mut Builder<'_>, client: &Endpoint<'_>) {
    if client.name == b"unknown" {
        b.detail("client.unknown_name");
    }
}

fn service(b: &mut Builder<'_>) {
    if b.value("service").is_some() {
        b.detail("service");
    }
}

fn status_word(s: DeliveryStatus) -> &'static str {
    crate::correlate::RecipientStatus::Delivery(s).as_str()
}

/// Seconds as Postfix writes them: `3`, `2.97`.
pub(crate) fn seconds(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// `host H refused to talk to me: 421 …` → (`H`, `421 …`): a server that refused the session in
/// its greeting.
fn refused_to_talk(text: &str) -> Option<(String, String)> {
    const WORDS: &str = " refused to talk to me: ";
    let at = text.find(WORDS)?;
    let host = text[..at].strip_prefix("host ").unwrap_or(&text[..at]);
    Some((host.to_string(), text[at + WORDS.len()..].to_string()))
}

/// The class's cause and fix.
fn class_notes(b: &mut Builder<'_>, class: &str, side: Side) {
    let cat = b.cat();
    b.note(NoteKind::Cause, &format!("class.{class}"));
    let sided = format!(
        "class.{class}.fix.{}",
        if side == Side::In { "in" } else { "out" }
    );
    let fix = if cat.has(&sided) {
        sided
    } else {
        format!("class.{class}.fix")
    };
    b.note(NoteKind::Fix, &fix);
}

/// An enhanced status code explained under `key` (`dsn.line`, `dsn.recorded`, `dsn.reply`).
fn dsn_note(b: &mut Builder<'_>, key: &str, code: &str) {
    let Some(d) = Dsn::parse(code) else { return };
    let cat = b.cat();
    let pick = |k: String, unknown: &str| {
        if cat.has(&k) {
            cat.text(&k)
        } else {
            cat.text(unknown)
        }
    };
    let class = cat.text(&d.class_key());
    let subject = pick(d.subject_key(), "dsn.subject.unknown");
    let detail = pick(d.detail_key(), "dsn.detail.unknown");
    b.note_with(
        NoteKind::Detail,
        key,
        &[
            ("code", code),
            ("class", &class),
            ("subject", &subject),
            ("detail", &detail),
        ],
    );
}

fn smtp_note(b: &mut Builder<'_>, code: u16) {
    let cat = b.cat();
    let (exact, by_class) = smtp_keys(code);
    let meaning = cat.text(if cat.has(&exact) { &exact } else { &by_class });
    let code = code.to_string();
    b.note_with(
        NoteKind::Detail,
        "smtp.line",
        &[("code", &code), ("meaning", &meaning)],
    );
}

/// The reply code, its enhanced code (when it differs from the one Postfix recorded), and the
/// command it answered.
fn reply_notes(b: &mut Builder<'_>, reply: &str, recorded: Option<&str>) {
    if let Some(code) = leading_smtp_code(reply) {
        smtp_note(b, code);
    }
    let enhanced = enhanced_after_code(reply).or_else(|| {
        // A milter's or cleanup's reply may start with the enhanced code alone.
        let first = reply.split(' ').next().unwrap_or("");
        Dsn::parse(first).map(|_| first)
    });
    if let Some(e) = enhanced {
        match recorded {
            Some(r) if r == e => {}
            Some(_) => dsn_note(b, "dsn.reply", e),
            None => dsn_note(b, "dsn.line", e),
        }
    }
    if let Some(command) = in_reply_to(reply) {
        b.detail(&format!("in_reply.{command}"));
    }
}

fn delivery(b: &mut Builder<'_>, d: &Delivery<'_>) {
    b.field_bytes("to", d.to);
    b.field_opt("orig_to", d.orig_to);
    b.field_opt("relay", d.relay);
    if let Some(n) = d.conn_use {
        b.field("conn_use", n.to_string());
    }
    if let Some(x) = d.delay {
        b.field("delay", seconds(x));
    }
    if let Some(ds) = d.delays {
        b.field(
            "delays",
            format!(
                "{}/{}/{}/{}",
                seconds(ds.before_qmgr),
                seconds(ds.in_qmgr),
                seconds(ds.conn_setup),
                seconds(ds.transmission)
            ),
        );
    }
    b.field_opt("dsn", d.dsn);
    b.field("status", status_word(d.status));
    b.field_bytes("reply", d.reply);
    if let Some(q) = d.queued_as {
        b.field("queued_as", q.as_str());
    }
    if let Some(q) = d.forwarded_as {
        b.field("forwarded_as", q.as_str());
    }
    let reply = owned(d.reply);
    let relay_is_host = d.relay.is_some_and(|r| r.contains(&b'['));
    let main = match d.status {
        DeliveryStatus::Sent => {
            if d.forwarded_as.is_some() {
                "delivery.sent.forwarded"
            } else if reply.starts_with("delivered to mailbox")
                || reply.starts_with("delivered to maildir")
            {
                "delivery.sent.mailbox"
            } else if reply.starts_with("delivered to file") {
                "delivery.sent.file"
            } else if reply.starts_with("delivered to command") {
                "delivery.sent.command"
            } else if b.value("daemon") == Some("discard") {
                "delivery.sent.discarded"
            } else if relay_is_host {
                "delivery.sent.remote"
            } else {
                "delivery.sent.via"
            }
        }
        DeliveryStatus::Deferred => "delivery.deferred",
        DeliveryStatus::Bounced => "delivery.bounced",
        DeliveryStatus::Expired => "delivery.expired",
        DeliveryStatus::ForceExpired => "delivery.force_expired",
        DeliveryStatus::Undeliverable => "delivery.undeliverable",
        DeliveryStatus::Deliverable => "delivery.deliverable",
    };
    b.main(main);
    if d.orig_to.is_some_and(|o| o != d.to) {
        b.detail("delivery.orig_to");
    }
    let recorded = d.dsn.map(owned);
    let failed = d.status != DeliveryStatus::Sent;
    if let Some((host, said)) = remote_said(d.reply) {
        b.extra("remote", owned(host));
        b.extra("said", owned(said));
        b.detail("reply.remote_said");
        reply_notes(b, &owned(said), recorded.as_deref());
    } else if let Some((host, said)) = refused_to_talk(&reply) {
        b.extra("remote", host);
        b.extra("said", said.clone());
        b.detail("reply.refused_talk");
        reply_notes(b, &said, recorded.as_deref());
    } else if leading_smtp_code(&reply).is_some() {
        reply_notes(b, &reply, recorded.as_deref());
    } else if failed {
        b.detail("reply.reason");
    }
    if failed && d.relay == Some(b"none") {
        b.detail("delivery.relay_none");
    }
    if let Some(code) = &recorded {
        dsn_note(b, "dsn.recorded", code);
    }
    if d.queued_as.is_some() {
        b.detail("delivery.queued_as");
    }
    if d.delays.is_some() && d.delay.is_some() {
        let ds = d.delays.unwrap_or_default();
        let parts = [
            ("before_qmgr", seconds(ds.before_qmgr)),
            ("in_qmgr", seconds(ds.in_qmgr)),
            ("conn_setup", seconds(ds.conn_setup)),
            ("transmission", seconds(ds.transmission)),
        ];
        let vars: Vec<(&str, &str)> = parts.iter().map(|(n, v)| (*n, v.as_str())).collect();
        b.note_with(NoteKind::Detail, "delivery.delays", &vars);
    }
    if d.conn_use.is_some() {
        b.detail("delivery.conn_use");
    }
    if failed {
        if let Some(class) = reply_class(&reply) {
            class_notes(b, class, Side::Out);
        } else if d.status == DeliveryStatus::Deferred {
            b.note(NoteKind::Fix, "delivery.deferred.fix");
        } else if d.status == DeliveryStatus::Bounced {
            b.note(NoteKind::Fix, "delivery.bounced.fix");
        }
    }
}

fn verdict_notes(b: &mut Builder<'_>, queued: bool, v: &Verdict<'_>) {
    // `proxy-accept: END-OF-MESSAGE: 250 …` leaves the colon on the stage.
    let stage = v.stage.strip_suffix(b":").unwrap_or(v.stage);
    b.field_bytes("action", v.action);
    b.field_bytes("stage", stage);
    b.field_opt("matched", v.matched);
    if let Some(c) = &v.client {
        endpoint(b, "client", c);
    }
    b.field_bytes("reply", v.reply.text);
    if let Some(code) = v.reply.code {
        b.field("code", code.to_string());
    }
    b.field_opt("dsn", v.reply.dsn);
    b.field_opt("from", v.from);
    b.field_opt("to", v.to);
    b.field_opt("proto", v.proto);
    b.field_opt("helo", v.helo);
    let content = matches!(v.stage, b"header" | b"body");
    let refusal = matches!(
        v.action,
        b"reject" | b"defer" | b"defer_if_permit" | b"defer_if_reject" | b"milter-reject"
    );
    let main = match v.action {
        b"reject" => match v.stage {
            b"RCPT" => "verdict.reject.rcpt",
            b"MAIL" => "verdict.reject.mail",
            b"CONNECT" => "verdict.reject.connect",
            b"HELO" | b"EHLO" => "verdict.reject.helo",
            b"DATA" => "verdict.reject.data",
            b"END-OF-MESSAGE" => "verdict.reject.end_of_message",
            b"header" | b"body" => "verdict.reject.content",
            _ => "verdict.reject.other",
        },
        b"reject_warning" => "verdict.reject_warning",
        b"warn" | b"warning" => "verdict.warn",
        b"defer" | b"defer_if_permit" | b"defer_if_reject" => "verdict.defer",
        b"hold" => "verdict.hold",
        b"discard" => "verdict.discard",
        b"filter" => "verdict.filter",
        b"redirect" => "verdict.redirect",
        b"info" => "verdict.info",
        b"replace" => "verdict.replace",
        b"prepend" => "verdict.prepend",
        b"bcc" => "verdict.bcc",
        b"milter-reject" => "verdict.milter_reject",
        b"milter-discard" => "verdict.milter_discard",
        b"milter-hold" => "verdict.milter_hold",
        b"proxy-accept" => "verdict.proxy_accept",
        b"proxy-reject" => "verdict.proxy_reject",
        _ => "verdict.milter_other",
    };
    b.main(main);
    if content {
        b.detail(if v.stage == b"header" {
            "stage.header"
        } else {
            "stage.body"
        });
    } else if !main.starts_with("verdict.reject.") && !stage.is_empty() {
        b.detail("stage.command");
    }
    if v.from.is_some() || v.to.is_some() {
        b.detail("verdict.envelope");
    }
    match (queued, refusal) {
        (false, true) => b.detail("verdict.noqueue"),
        (false, false) => b.detail("verdict.noqueue_pending"),
        (true, true) if stage == b"RCPT" => b.detail("verdict.queued_rcpt"),
        _ => {}
    }
    if !v.reply.text.is_empty() {
        reply_notes(b, &owned(v.reply.text), None);
    }
    if refusal || v.action == b"reject_warning" {
        let class = if content {
            Some("content_check")
        } else {
            reply_class(&owned(v.reply.text))
        };
        if let Some(class) = class {
            class_notes(b, class, Side::In);
        }
    }
}

fn screening(b: &mut Builder<'_>, s: &Screening<'_>) {
    b.field_bytes("action", s.action);
    if let Some(c) = &s.client {
        endpoint(b, "client", c);
    }
    b.field_bytes("detail", s.detail);
    let key = match s.action {
        b"CONNECT" => "screen.connect",
        b"PASS NEW" => "screen.pass_new",
        b"PASS OLD" => "screen.pass_old",
        b"ALLOWLISTED" | b"WHITELISTED" => "screen.allowlisted",
        b"ALLOWLIST VETO" | b"WHITELIST VETO" => "screen.allowlist_veto",
        b"DENYLISTED" | b"BLACKLISTED" => "screen.denylisted",
        b"PREGREET" => "screen.pregreet",
        b"HANGUP" => "screen.hangup",
        b"DNSBL" => "screen.dnsbl",
        b"DISCONNECT" => "screen.disconnect",
        b"NON-SMTP COMMAND" => "screen.non_smtp",
        b"BARE NEWLINE" => "screen.bare_newline",
        b"COMMAND PIPELINING" => "screen.pipelining",
        b"COMMAND TIME LIMIT" | b"COMMAND COUNT LIMIT" | b"COMMAND LENGTH LIMIT" => {
            "screen.command_limit"
        }
        _ => "screen.other",
    };
    b.main(key);
    if s.action == b"DNSBL" {
        class_notes(b, "dnsbl", Side::In);
    }
}

fn session_note_key(note: &[u8]) -> &'static str {
    const KEYS: &[(&[u8], &str)] = &[
        (b"client=", "note.client"),
        (b"improper command pipelining after ", "note.pipelining"),
        (b"discarding EHLO keywords: ", "note.ehlo_keywords"),
        (b"setting up TLS connection from ", "note.tls_setup"),
        (b"SSL_accept error from ", "note.ssl_accept"),
        (b"proxy-accept: ", "note.proxy_accept"),
        (b"proxy-reject: ", "note.proxy_reject"),
        (b"abort: ", "note.abort"),
        (b"non-SMTP command from ", "note.non_smtp"),
        (b"too many connections from ", "note.too_many_connections"),
        (b"reject: ", "note.reject"),
        (b"bare <LF> received after ", "note.bare_lf"),
        (b"message size ", "note.message_size"),
        (b"CONNECT from ", "note.tlsproxy_connect"),
        (b"DISCONNECT ", "note.tlsproxy_disconnect"),
    ];
    KEYS.iter()
        .find(|(prefix, _)| note.starts_with(prefix))
        .map(|(_, key)| *key)
        .unwrap_or("note.other")
}

fn problem_key(text: &[u8]) -> &'static str {
    const KEYS: &[(&[u8], &str)] = &[
        (b"lost connection with ", "problem.lost_connection"),
        (b"conversation with ", "problem.conversation"),
        (b"host ", "problem.host"),
        (b"enabling PIX workarounds", "problem.pix"),
        (b"SASL authentication failed", "problem.sasl"),
        (b"TLS is required, but", "problem.tls_required"),
        (b"Server certificate not verified", "problem.certificate"),
        (b"breaking line > ", "problem.breaking_line"),
        (
            b"sender delivery status notification",
            "problem.dsn_notification",
        ),
        (b"cannot find your hostname", "problem.hostname"),
    ];
    KEYS.iter()
        .find(|(prefix, _)| text.starts_with(prefix))
        .map(|(_, key)| *key)
        .unwrap_or("problem.other")
}

fn connection_key(text: &[u8]) -> &'static str {
    const KEYS: &[(&[u8], &str)] = &[
        (b"connect to ", "conn.connect_to"),
        (b"SSL_connect error to ", "conn.ssl_connect"),
        (b"certificate verification failed for ", "conn.certificate"),
        (
            b"server certificate verification failed for ",
            "conn.certificate",
        ),
        (b"untrusted issuer ", "conn.untrusted_issuer"),
        (b"setting up TLS connection to ", "conn.tls_setup"),
        (b"TLS library problem", "conn.tls_library"),
        (b"Host offered STARTTLS", "conn.starttls_offered"),
        (b"host ", "conn.host"),
        (b"mapping DSN status", "conn.mapping_dsn"),
        (b"network_biopair_interop", "conn.tls_library"),
        (b"discarding EHLO keywords: ", "conn.ehlo_keywords"),
    ];
    KEYS.iter()
        .find(|(prefix, _)| text.starts_with(prefix))
        .map(|(_, key)| *key)
        .unwrap_or("conn.other")
}
