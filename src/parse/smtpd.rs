//! smtpd(8): the SMTP server — connections, the queue ID it gives accepted mail, rejects,
//! TLS and SASL.

use super::bytes::{endpoint, plain_field, split_once, strip, word, Endpoint};
use super::queue_id::{lead, Lead, QueueId};
use super::verdict;
use crate::envelope::Severity;
use crate::event::{Event, Interruption};

pub fn parse(severity: Severity, text: &[u8]) -> Option<Event<'_>> {
    if severity == Severity::Warning {
        return warning(text);
    }
    // Most of smtpd's lines: no queue ID leads them (a space ends their first word), so none
    // is looked for.
    if text.starts_with(b"connect from ") || text.starts_with(b"disconnect from ") {
        return session(text);
    }
    let (lead, rest) = lead(text);
    match lead {
        Lead::Id(queue_id) => queued(queue_id, rest),
        Lead::NoQueue => verdict::parse(rest)
            .map(|verdict| Event::Verdict {
                queue_id: None,
                verdict,
            })
            .or_else(|| session(rest)),
        Lead::None => session(text),
    }
}

/// Lines that lead with a queue ID.
fn queued(queue_id: QueueId, rest: &[u8]) -> Option<Event<'_>> {
    if let Some(after) = strip(rest, b"client=") {
        let (client, tail) = endpoint(after)?;
        let orig_client =
            plain_field(tail, b"orig_client=").and_then(|v| endpoint(v).map(|(e, _)| e));
        return Some(Event::ClientAccepted {
            queue_id,
            client,
            sasl_method: plain_field(tail, b"sasl_method="),
            sasl_username: sasl_username(tail),
            orig_client,
            orig_queue_id: plain_field(tail, b"orig_queue_id=").and_then(QueueId::new),
        });
    }
    verdict::parse(rest).map(|verdict| Event::Verdict {
        queue_id: Some(queue_id),
        verdict,
    })
}

/// `sasl_username=` may hold spaces or commas in theory; it is the last field in practice.
fn sasl_username(tail: &[u8]) -> Option<&[u8]> {
    if tail.is_empty() {
        return None;
    }
    let at = memchr::memmem::find(tail, b"sasl_username=")?;
    let v = tail.get(at + 14..).unwrap_or_default();
    let end = memchr::memmem::find(v, b", ").unwrap_or(v.len());
    Some(v.get(..end).unwrap_or_default())
}

/// `after STAGE[ (N bytes)] from CLIENT`
fn after_stage_from(text: &[u8]) -> Option<(&[u8], Endpoint<'_>)> {
    let (stage_part, client) = super::bytes::rsplit_once(text, b" from ")?;
    let stage = match super::bytes::find_byte(stage_part, b' ') {
        Some(at) => stage_part.get(..at).unwrap_or_default(),
        None => stage_part,
    };
    Some((stage, endpoint(client)?.0))
}

/// Lines about the SMTP session itself.
fn session(text: &[u8]) -> Option<Event<'_>> {
    if let Some(after) = strip(text, b"connect from ") {
        return Some(Event::Connect {
            client: endpoint(after)?.0,
        });
    }
    if let Some(after) = strip(text, b"disconnect from ") {
        let (client, rest) = endpoint(after)?;
        return Some(Event::Disconnect {
            client,
            counts: rest.strip_prefix(b" ").unwrap_or(rest),
        });
    }
    for (prefix, kind) in [
        (&b"lost connection after "[..], Interruption::LostConnection),
        (b"timeout after ", Interruption::Timeout),
        (b"too many errors after ", Interruption::TooManyErrors),
    ] {
        if let Some(after) = strip(text, prefix) {
            let (stage, client) = after_stage_from(after)?;
            return Some(Event::Interrupted {
                kind,
                stage,
                client,
            });
        }
    }
    // The seed shows `client=…` without a queue ID while identifying the client.
    if let Some(after) = strip(text, b"client=") {
        return Some(Event::SessionNote {
            client: Some(endpoint(after)?.0),
            note: text,
        });
    }
    if let Some(name) = strip(text, b"EHLO ").or_else(|| strip(text, b"HELO ")) {
        return Some(Event::Helo { name });
    }
    if let Some(after) = strip(text, b"sender=<") {
        return Some(Event::Sender {
            address: super::bytes::angle_value(after)?.0,
        });
    }
    if let Some(after) = strip(text, b"recipient=<") {
        return Some(Event::Recipient {
            address: super::bytes::angle_value(after)?.0,
        });
    }
    if let Some(tls) = tls(text) {
        return Some(tls);
    }
    for note in [
        &b"improper command pipelining after "[..],
        b"discarding EHLO keywords: ",
        b"setting up TLS connection from ",
        b"SSL_accept error from ",
        b"proxy-accept: ",
        b"proxy-reject: ",
        b"abort: ",
        b"Anonymous TLS connection",
        b"non-SMTP command from ",
        b"too many connections from ",
        b"reject: ",
        b"bare <LF> received after ",
        b"message size ",
    ] {
        if text.starts_with(note) {
            let client = split_once(text, b" from ").and_then(|(_, c)| endpoint(c).map(|(e, _)| e));
            return Some(Event::SessionNote { client, note: text });
        }
    }
    None
}

/// `Anonymous TLS connection established from C: TLSv1.3 with cipher X (256/256 bits) …` and the
/// smtp client's `… established to H: …`.
pub fn tls(text: &[u8]) -> Option<Event<'_>> {
    let (trust, rest) = word(text);
    if !matches!(
        trust,
        b"Anonymous" | b"Trusted" | b"Verified" | b"Untrusted"
    ) {
        return None;
    }
    let rest = strip(rest, b"TLS connection established ")?;
    let (inbound, rest) = match strip(rest, b"from ") {
        Some(r) => (true, r),
        None => (false, strip(rest, b"to ")?),
    };
    let (peer, rest) = match endpoint(rest) {
        Some((e, r)) => (Some(e), r),
        None => (
            None,
            split_once(rest, b": ").map(|(_, r)| r).unwrap_or(rest),
        ),
    };
    let rest = rest.strip_prefix(b": ").unwrap_or(rest);
    let (protocol, rest) = word(rest);
    let cipher = strip(rest, b"with cipher ")
        .map(|c| word(c).0)
        .unwrap_or(&[]);
    Some(Event::Tls {
        inbound,
        trust,
        peer,
        protocol,
        cipher,
    })
}

fn warning(text: &[u8]) -> Option<Event<'_>> {
    // `C: SASL LOGIN authentication failed: reason`
    if let Some((client, rest)) = endpoint(text) {
        if let Some(rest) = rest.strip_prefix(b": SASL ") {
            let (method, rest) = word(rest);
            if let Some(reason) = strip(rest, b"authentication failed") {
                let reason = reason.strip_prefix(b": ").unwrap_or(reason);
                return Some(Event::SaslFailed {
                    client,
                    method,
                    reason,
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(text: &[u8]) -> Event<'_> {
        parse(Severity::Info, text)
            .unwrap_or_else(|| panic!("not understood: {}", String::from_utf8_lossy(text)))
    }

    #[test]
    fn connect_and_disconnect_with_counts() {
        assert!(
            matches!(info(b"connect from unknown[192.168.1.100]"), Event::Connect { client } if client.ip == b"192.168.1.100")
        );
        match info(b"disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=0/1 commands=2/3") {
            Event::Disconnect { counts, .. } => {
                assert_eq!(counts, b"ehlo=1 mail=1 rcpt=0/1 commands=2/3")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lost_connection_with_byte_count() {
        match info(b"lost connection after DATA (80 bytes) from localhost[127.0.0.1]") {
            Event::Interrupted {
                kind,
                stage,
                client,
            } => {
                assert_eq!(kind, Interruption::LostConnection);
                assert_eq!(stage, b"DATA");
                assert_eq!(client.name, b"localhost");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn client_with_sasl() {
        match info(b"4Ybc2m1DTzz9sqk: client=mx[192.0.2.1], sasl_method=PLAIN, sasl_username=bob@example.com") {
            Event::ClientAccepted { queue_id, sasl_method, sasl_username, .. } => {
                assert_eq!(queue_id.as_str(), "4Ybc2m1DTzz9sqk");
                assert_eq!(sasl_method, Some(&b"PLAIN"[..]));
                assert_eq!(sasl_username, Some(&b"bob@example.com"[..]));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn seed_illustrations() {
        assert!(
            matches!(info(b"EHLO example.org"), Event::Helo { name } if name == b"example.org")
        );
        assert!(
            matches!(info(b"sender=<sender@example.org>"), Event::Sender { address } if address == b"sender@example.org")
        );
        assert!(matches!(
            info(b"recipient=<recipient@example.com>"),
            Event::Recipient { .. }
        ));
    }

    #[test]
    fn tls_and_sasl_failure() {
        match info(b"Anonymous TLS connection established from localhost[127.0.0.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)") {
            Event::Tls { inbound, protocol, cipher, .. } => {
                assert!(inbound);
                assert_eq!(protocol, b"TLSv1.3");
                assert_eq!(cipher, b"TLS_AES_256_GCM_SHA384");
            }
            other => panic!("{other:?}"),
        }
        let e = parse(
            Severity::Warning,
            b"unknown[192.0.2.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
        )
        .unwrap();
        assert!(matches!(e, Event::SaslFailed { method, .. } if method == b"LOGIN"));
    }

    #[test]
    fn noqueue_reject() {
        match info(b"NOQUEUE: reject: RCPT from x[192.0.2.3]: 554 5.7.1 <a@b>: Relay access denied; from=<s@t> to=<a@b> proto=ESMTP helo=<x>") {
            Event::Verdict { queue_id: None, verdict } => assert_eq!(verdict.reply.code, Some(554)),
            other => panic!("{other:?}"),
        }
    }
}
