//! Delivery agents — smtp, lmtp, local, virtual, pipe, error, discard, retry, and any service
//! named otherwise in master.cf: `to=<…>, relay=…, delay=…, delays=a/b/c/d, dsn=…, status=…`,
//! plus the smtp client's connection trouble.

use super::bytes::{angle_value, find_byte, parse_seconds, parse_u64, split_once, strip, word};
use super::queue_id::{lead, Lead, QueueId};
use crate::event::{Delays, Delivery, DeliveryStatus, Event};
use memchr::memmem::FinderRev;
use std::sync::LazyLock;

pub fn parse(text: &[u8]) -> Option<Event<'_>> {
    match lead(text) {
        (Lead::Id(queue_id), rest) => {
            if rest.starts_with(b"to=") {
                return parse_delivery(queue_id, rest);
            }
            const PROBLEMS: &[&[u8]] = &[
                b"lost connection with ",
                b"conversation with ",
                b"host ",
                b"enabling PIX workarounds",
                b"SASL authentication failed",
                b"TLS is required, but",
                b"Server certificate not verified",
                b"breaking line > ",
                b"sender delivery status notification",
                b"cannot find your hostname",
            ];
            PROBLEMS
                .iter()
                .any(|p| rest.starts_with(p))
                .then_some(Event::DeliveryProblem {
                    queue_id,
                    text: rest,
                })
        }
        (Lead::NoQueue, _) => None,
        (Lead::None, _) => connection(text),
    }
}

/// Lines about one outgoing connection, not tied to a message.
fn connection(text: &[u8]) -> Option<Event<'_>> {
    if let Some(tls) = super::smtpd::tls(text) {
        return Some(tls);
    }
    const NOTES: &[&[u8]] = &[
        b"connect to ",
        b"SSL_connect error to ",
        b"certificate verification failed for ",
        b"server certificate verification failed for ",
        b"untrusted issuer ",
        b"setting up TLS connection to ",
        b"TLS library problem",
        b"Host offered STARTTLS",
        b"host ",
        b"mapping DSN status",
        b"network_biopair_interop",
        b"discarding EHLO keywords: ",
    ];
    NOTES
        .iter()
        .any(|p| text.starts_with(p))
        .then_some(Event::ConnectionProblem { text })
}

/// The fields of a delivery status line, after `QID: `.
pub fn parse_delivery(queue_id: QueueId, text: &[u8]) -> Option<Event<'_>> {
    let mut rest = text;
    let mut to = None;
    let mut orig_to = None;
    let mut relay = None;
    let mut conn_use = None;
    let mut delay = None;
    let mut delays = None;
    let mut dsn = None;
    loop {
        let Some(eq) = find_byte(rest, b'=') else {
            return cut(queue_id, to);
        };
        let key = rest.get(..eq).unwrap_or_default();
        let after = rest.get(eq + 1..).unwrap_or_default();
        if key == b"status" {
            let (status, reply) = word(after);
            let status = DeliveryStatus::parse(status)?;
            // The reply is everything in the outer parentheses; it may itself hold parentheses.
            let reply = reply
                .strip_prefix(b"(")
                .map(|r| r.strip_suffix(b")").unwrap_or(r))
                .unwrap_or(reply);
            return Some(Event::Delivery(Delivery {
                queue_id,
                to: to?,
                orig_to,
                relay,
                conn_use,
                delay,
                delays,
                dsn,
                status,
                reply,
                queued_as: queued_as(reply),
                forwarded_as: strip(reply, b"forwarded as ").and_then(|r| QueueId::new(trim_id(r))),
            }));
        }
        let (value, next) = if let Some(inner) = after.strip_prefix(b"<") {
            match angle_value(inner) {
                Some(found) => found,
                // The line was cut inside the address.
                None => return cut(queue_id, to),
            }
        } else {
            let end = find_byte(after, b',').unwrap_or(after.len());
            (
                after.get(..end).unwrap_or_default(),
                after.get(end..).unwrap_or_default(),
            )
        };
        match key {
            b"to" => to = Some(value),
            b"orig_to" => orig_to = Some(value),
            b"relay" => relay = Some(value),
            b"conn_use" => conn_use = parse_u64(value).and_then(|n| u32::try_from(n).ok()),
            b"delay" => delay = parse_seconds(value),
            b"delays" => delays = parse_delays(value),
            // The seed writes `dsn=2.0.0 (ok)`: keep the code, drop the comment.
            b"dsn" => dsn = Some(word(value).0),
            _ => {}
        }
        rest = next.strip_prefix(b",").unwrap_or(next);
        rest = rest.strip_prefix(b" ").unwrap_or(rest);
        if rest.is_empty() {
            return cut(queue_id, to);
        }
    }
}

/// The line ended before `status=`: keep the recipient when the address itself is whole.
fn cut(queue_id: QueueId, to: Option<&[u8]>) -> Option<Event<'_>> {
    to.filter(|t| !t.is_empty())
        .map(|to| Event::DeliveryCut { queue_id, to })
}

fn parse_delays(value: &[u8]) -> Option<Delays> {
    // `a/b/c/d`, read left to right; anything after a fourth slash is ignored. The field is
    // short: its slashes are found by a plain loop.
    let mut parts = [0.0; 4];
    let mut rest = value;
    for part in &mut parts {
        let end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
        *part = parse_seconds(rest.get(..end)?)?;
        rest = rest.get(end + 1..).unwrap_or_default();
    }
    let [before_qmgr, in_qmgr, conn_setup, transmission] = parts;
    Some(Delays {
        before_qmgr,
        in_qmgr,
        conn_setup,
        transmission,
    })
}

/// The searcher for `queued as `, built once: building one for every delivery line cost more
/// than the search itself.
static QUEUED_AS: LazyLock<FinderRev<'static>> = LazyLock::new(|| FinderRev::new(b"queued as "));

/// The ID in `… queued as ID` (the last one: a filter's reply may quote the next hop's).
fn queued_as(reply: &[u8]) -> Option<QueueId> {
    let at = QUEUED_AS.rfind(reply)?;
    QueueId::new(trim_id(reply.get(at + 10..).unwrap_or_default()))
}

/// The leading `[0-9A-Za-z]` run of a token.
fn trim_id(text: &[u8]) -> &[u8] {
    let end = text
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(text.len());
    text.get(..end).unwrap_or_default()
}

/// Splits `host H[ip] said: REPLY (in reply to X command)` into the remote's words.
pub fn remote_said(reply: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = strip(reply, b"host ")?;
    let (host, said) = split_once(rest, b" said: ")?;
    Some((host, said))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(text: &[u8]) -> Delivery<'_> {
        match parse(text) {
            Some(Event::Delivery(d)) => d,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn seed_sent_line_with_dsn_comment() {
        let d = delivery(b"1A2B3C4D5E: to=<recipient@example.com>, relay=mail.example.com[203.0.113.1]:25, delay=3, delays=0.01/0.01/0.01/2.97, dsn=2.0.0 (ok), status=sent (250 2.0.0 Ok: queued as 12345ABCDE)");
        assert_eq!(d.to, b"recipient@example.com");
        assert_eq!(d.relay, Some(&b"mail.example.com[203.0.113.1]:25"[..]));
        assert_eq!(d.dsn, Some(&b"2.0.0"[..]));
        assert_eq!(d.delay, Some(3.0));
        assert_eq!(d.delays.unwrap().transmission, 2.97);
        assert_eq!(d.status, DeliveryStatus::Sent);
        assert_eq!(d.reply, b"250 2.0.0 Ok: queued as 12345ABCDE");
        assert_eq!(d.queued_as.unwrap().as_str(), "12345ABCDE");
    }

    #[test]
    fn deferred_reply_with_nested_parentheses() {
        let d = delivery(b"5F6G7H8I9J: to=<recipient@example.com>, relay=mail.example.com[203.0.113.1]:25, delay=5, delays=0.01/0.01/0.01/4.97, dsn=4.0.0 (temporary failure), status=deferred (host mail.example.com[203.0.113.1] said: 450 4.7.1 Service unavailable - try again later (in reply to RCPT TO command))");
        assert_eq!(d.status, DeliveryStatus::Deferred);
        assert!(d.reply.ends_with(b"(in reply to RCPT TO command)"));
        let (host, said) = remote_said(d.reply).unwrap();
        assert_eq!(host, b"mail.example.com[203.0.113.1]");
        assert!(said.starts_with(b"450 4.7.1"));
    }

    #[test]
    fn orig_to_conn_use_and_filter_chain() {
        let d = delivery(b"2959ABC256: to=<a@filtered.test>, orig_to=<b@x.test>, relay=127.0.0.1[127.0.0.1]:10025, conn_use=2, delay=0.13, delays=0/0.01/0.05/0.08, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10026): 250 2.0.0 Ok: queued as 48AD0BC257)");
        assert_eq!(d.orig_to, Some(&b"b@x.test"[..]));
        assert_eq!(d.conn_use, Some(2));
        assert_eq!(d.queued_as.unwrap().as_str(), "48AD0BC257");
    }

    #[test]
    fn local_forward() {
        let d = delivery(b"36219BC260: to=<fwd@lab.example>, relay=local, delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (forwarded as 3757BBC25F)");
        assert_eq!(d.forwarded_as.unwrap().as_str(), "3757BBC25F");
        assert_eq!(d.queued_as, None);
    }

    #[test]
    fn delays_need_four_numbers_and_ignore_a_fifth() {
        let d = parse_delays(b"0.5/1/2.25/3/9").unwrap();
        assert_eq!(
            (d.before_qmgr, d.in_qmgr, d.conn_setup, d.transmission),
            (0.5, 1.0, 2.25, 3.0)
        );
        for bad in [&b"1/2/3"[..], b"1/2/3/", b"1//3/4", b"", b"1/x/3/4"] {
            assert!(parse_delays(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn truncated_delivery_keeps_the_recipient() {
        assert!(
            matches!(parse(b"1A2B3C4D5E: to=<a@b>, relay=x, delay="), Some(Event::DeliveryCut { to, .. }) if to == b"a@b")
        );
        assert!(matches!(
            parse(b"1A2B3C4D5E: to=<a@b>,"),
            Some(Event::DeliveryCut { .. })
        ));
        assert!(parse(b"1A2B3C4D5E: to=<>, orig_to=<>").is_none());
        assert!(parse(b"1A2B3C4D5E: to=<a@b>, status=weird (x)").is_none());
    }
}
