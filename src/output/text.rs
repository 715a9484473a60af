//! Text for people: the trace of a message, and the one-line-per-message table. Every piece of
//! text that came from the log goes through `text::terminal` first.

use super::verdict::verdict;
use super::Style;
use crate::correlate::{Attempt, Message, Recipient};
use crate::text::terminal;
use std::fmt::Write as _;

fn t(s: &str) -> std::borrow::Cow<'_, str> {
    terminal(s)
}

/// Seconds for people: whole above 100, else at most two decimals (`0.15s`, `83.59s`).
fn seconds(x: f64) -> String {
    if x >= 100.0 || x.fract() == 0.0 {
        format!("{x:.0}s")
    } else {
        let s = format!("{x:.2}");
        format!("{}s", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

fn attempt_line(a: &Attempt, style: &Style) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "{}  {}",
        style.dim(&a.time.rfc3339()),
        style.status(
            super::super::correlate::RecipientStatus::Delivery(a.status).as_str(),
            9
        )
    );
    let _ = write!(out, " {}", t(&a.agent));
    if let Some(dsn) = &a.dsn {
        let _ = write!(out, "  dsn {}", t(dsn));
    }
    if let Some(relay) = &a.relay {
        let _ = write!(out, "  relay {}", t(relay));
    }
    if let Some(delay) = a.delay {
        let _ = write!(out, "  delay {}", seconds(delay));
        if let Some(d) = a.delays {
            let _ = write!(
                out,
                " ({} before qmgr, {} in qmgr, {} connecting, {} sending)",
                seconds(d.before_qmgr),
                seconds(d.in_qmgr),
                seconds(d.conn_setup),
                seconds(d.transmission)
            );
        }
    }
    if a.after_removal {
        let _ = write!(out, "  {}", style.dim("(logged after removal)"));
    }
    out
}

fn recipient_block(r: &Recipient, style: &Style, out: &mut String) {
    let _ = write!(
        out,
        "    {} {}",
        style.status(r.status.as_str(), 13),
        t(&r.to)
    );
    if let Some(o) = &r.orig_to {
        let _ = write!(out, " (originally {})", t(o));
    }
    out.push('\n');
    for a in &r.attempts {
        let _ = writeln!(out, "      {}", attempt_line(a, style));
        if !a.reply.is_empty() {
            let _ = writeln!(out, "        {}", t(&a.reply));
        }
        if let Some(id) = &a.remote_queue_id {
            let _ = writeln!(
                out,
                "        {}",
                style.dim(&format!("remote queue ID {}", t(id)))
            );
        }
    }
    if r.attempts.is_empty() {
        if let Some(v) = &r.verdict {
            let _ = writeln!(
                out,
                "      {}  {} by {} at {}: {}",
                style.dim(&v.time.rfc3339()),
                t(&v.action),
                t(&v.daemon),
                t(&v.stage),
                t(&v.reply)
            );
        }
    }
}

fn label(out: &mut String, style: &Style, name: &str, value: &str) {
    let _ = writeln!(out, "  {} {}", style.bold(&format!("{name:<11}")), value);
}

/// What made a message that Postfix wrote itself.
fn made_by(m: &Message) -> String {
    use crate::correlate::LinkKind;
    for l in &m.links {
        match l.kind {
            LinkKind::NotificationOf => {
                let kind = l.detail.unwrap_or("delivery");
                return format!("Postfix: the {kind} notification about {}", l.queue_id);
            }
            LinkKind::ForwardedFrom => {
                return format!("Postfix: a forwarded copy of {}", l.queue_id)
            }
            _ => {}
        }
    }
    "Postfix itself (a notification or a forward)".to_string()
}

/// The whole trace of one message.
pub fn trace(m: &Message, style: &Style) -> String {
    let mut out = String::new();
    let title = match &m.queue_id {
        Some(q) => format!("{q}"),
        None => "NOQUEUE (rejected before a queue file existed)".to_string(),
    };
    let _ = writeln!(
        out,
        "{}  {} {}  {}",
        style.bold(&title),
        style.dim("on"),
        t(&m.host),
        style.status(m.status().as_str(), 0)
    );
    let when = if m.first_seen == m.last_seen {
        m.first_seen.rfc3339()
    } else {
        format!(
            "{} → {} ({})",
            m.first_seen.rfc3339(),
            m.last_seen.rfc3339(),
            seconds(m.duration())
        )
    };
    label(&mut out, style, "seen", &when);
    if &*m.instance != "postfix" {
        label(&mut out, style, "instance", &t(&m.instance));
    }
    match (&m.client, m.origin) {
        (Some(c), _) => {
            let mut s = format!("{}[{}]", t(&c.name), t(&c.ip));
            if let Some(h) = &m.helo {
                let _ = write!(s, "  helo {}", t(h));
            }
            if let Some(svc) = &m.service {
                let _ = write!(s, "  service {}", t(svc));
            }
            if let Some(u) = &m.sasl_username {
                let _ = write!(s, "  sasl {}", t(u));
            }
            if let Some(tls) = &m.tls {
                let _ = write!(s, "  tls {}", t(tls));
            }
            label(&mut out, style, "client", &s);
            if let Some(at) = m.connected_at {
                let mut session = format!("connected {}", at.rfc3339());
                if let Some(end) = m.disconnected_at {
                    let _ = write!(session, ", disconnected {}", end.rfc3339());
                }
                if let Some(c) = &m.session_commands {
                    let _ = write!(session, " ({})", t(c));
                }
                label(&mut out, style, "session", &session);
            }
        }
        (None, Some(crate::correlate::Origin::Pickup)) => {
            let uid = m.uid.map(|u| format!(" (uid {u})")).unwrap_or_default();
            let requeued = m
                .links
                .iter()
                .find(|l| l.kind == crate::correlate::LinkKind::RequeuedFrom);
            let how = match requeued {
                Some(l) => format!(
                    "requeued from {} by postsuper -r, picked up by pickup{uid}",
                    l.queue_id
                ),
                None => format!("locally with sendmail, picked up by pickup{uid}"),
            };
            label(&mut out, style, "submitted", &how);
        }
        (None, Some(crate::correlate::Origin::Internal)) => {
            label(&mut out, style, "made by", &made_by(m));
        }
        _ => {}
    }
    let mut from = match m.from.as_deref() {
        Some("") => "<> (null sender)".to_string(),
        Some(f) => format!("<{}>", t(f)),
        None => "(not logged)".to_string(),
    };
    if let Some(size) = m.size {
        let _ = write!(from, "  size {size}");
    }
    if let Some(n) = m.nrcpt {
        let _ = write!(from, "  nrcpt {n}");
    }
    label(&mut out, style, "from", &from);
    if let Some(id) = &m.message_id {
        label(&mut out, style, "message-id", &format!("<{}>", t(id)));
    }
    if !m.recipients.is_empty() {
        let _ = writeln!(out, "  {}", style.bold("recipients"));
        for r in &m.recipients {
            recipient_block(r, style, &mut out);
        }
    }
    for v in &m.rejections {
        if m.recipients.iter().any(|r| r.verdict.as_deref() == Some(v)) {
            continue;
        }
        let what = match &v.matched {
            Some(matched) => format!("{} {}", t(&v.stage), t(matched)),
            None => t(&v.stage).into_owned(),
        };
        label(
            &mut out,
            style,
            &t(&v.action),
            &format!(
                "{} by {} at {}: {}",
                style.dim(&v.time.rfc3339()),
                t(&v.daemon),
                what,
                t(&v.reply)
            ),
        );
    }
    for (at, text) in &m.problems {
        label(
            &mut out,
            style,
            "note",
            &format!("{} {}", style.dim(&at.rfc3339()), t(text)),
        );
    }
    for l in &m.links {
        let host = l
            .host
            .as_deref()
            .map(|h| format!(" on {}", t(h)))
            .unwrap_or_default();
        label(
            &mut out,
            style,
            "link",
            &format!(
                "{} {}{host}{}",
                l.kind.as_str(),
                l.queue_id,
                l.detail.map(|d| format!(" ({d})")).unwrap_or_default()
            ),
        );
    }
    if let (Some(ending), Some(at)) = (m.ending, m.ended_at) {
        label(&mut out, style, ending.as_str(), &at.rfc3339());
    }
    let verdicts = verdict(m);
    for (i, v) in verdicts.iter().enumerate() {
        label(&mut out, style, if i == 0 { "verdict" } else { "" }, &t(v));
    }
    if !m.raw.is_empty() {
        let _ = writeln!(out, "  {}", style.bold("lines"));
        for r in &m.raw {
            let _ = writeln!(
                out,
                "    {}  {}",
                style.dim(&format!("{}:{}", t(&r.source), r.line_number)),
                t(&r.text)
            );
        }
    }
    out
}

/// One row of the `messages` table.
pub fn row(m: &Message, style: &Style) -> String {
    let to = match m.recipients.as_slice() {
        [] => String::from("-"),
        [one] => t(&one.to).into_owned(),
        [first, rest @ ..] => format!("{} (+{})", t(&first.to), rest.len()),
    };
    let from = match m.from.as_deref() {
        Some("") => "<>".to_string(),
        Some(f) => t(f).into_owned(),
        None => "?".to_string(),
    };
    let client = m
        .client
        .as_ref()
        .map(|c| format!("{}[{}]", t(&c.name), t(&c.ip)))
        .unwrap_or_else(|| {
            m.origin
                .map(|o| o.as_str().to_string())
                .unwrap_or_else(|| "-".to_string())
        });
    format!(
        "{}  {:<15}  {}  {} → {}  {}",
        m.first_seen.rfc3339(),
        m.queue_id_str(),
        style.status(m.status().as_str(), 13),
        from,
        to,
        style.dim(&client)
    )
}
