//! postscreen(8), and its helpers dnsblog(8) and tlsproxy(8): screening clients before smtpd.

use super::bytes::{endpoint, split_once, strip, word};
use super::queue_id::{lead, Lead};
use super::verdict;
use crate::event::{Event, Screening};

/// The screening actions, longest first where one is a prefix of another.
const ACTIONS: &[&[u8]] = &[
    b"CONNECT",
    b"PASS NEW",
    b"PASS OLD",
    b"ALLOWLIST VETO",
    b"WHITELIST VETO",
    b"ALLOWLISTED",
    b"WHITELISTED",
    b"DENYLISTED",
    b"BLACKLISTED",
    b"PREGREET",
    b"HANGUP",
    b"DNSBL",
    b"DISCONNECT",
    b"NON-SMTP COMMAND",
    b"BARE NEWLINE",
    b"COMMAND PIPELINING",
    b"COMMAND TIME LIMIT",
    b"COMMAND COUNT LIMIT",
    b"COMMAND LENGTH LIMIT",
];

pub fn parse(text: &[u8]) -> Option<Event<'_>> {
    if let (Lead::NoQueue, rest) = lead(text) {
        return verdict::parse(rest).map(|verdict| Event::Verdict {
            queue_id: None,
            verdict,
        });
    }
    if text.starts_with(b"cache ") {
        return Some(Event::Statistics { text });
    }
    let action = ACTIONS
        .iter()
        .find(|a| text.starts_with(a) && text.get(a.len()) == Some(&b' '))?;
    let rest = text.get(action.len() + 1..).unwrap_or_default();
    // The client stands after `from ` or `for `, or right after the action.
    let at = [&b"from "[..], b"for "]
        .iter()
        .find_map(|k| split_once(rest, k).map(|(_, after)| after))
        .unwrap_or(rest);
    let (client, detail) = match endpoint(at) {
        Some((e, after)) => (Some(e), after),
        None => (None, rest),
    };
    Some(Event::Screening(Screening {
        action,
        client,
        detail: detail.strip_prefix(b" ").unwrap_or(detail),
    }))
}

/// dnsblog: `addr 192.0.2.1 listed by domain zen.spamhaus.org as 127.0.0.2`.
pub fn parse_dnsblog(text: &[u8]) -> Option<Event<'_>> {
    let rest = strip(text, b"addr ")?;
    let (ip, rest) = word(rest);
    let rest = strip(rest, b"listed by domain ")?;
    let (list, _) = word(rest);
    Some(Event::DnsblHit { ip, list })
}

/// tlsproxy: `CONNECT from [ip]:port` / `DISCONNECT [ip]:port`.
pub fn parse_tlsproxy(text: &[u8]) -> Option<Event<'_>> {
    let rest = strip(text, b"CONNECT from ").or_else(|| strip(text, b"DISCONNECT "))?;
    Some(Event::SessionNote {
        client: endpoint(rest).map(|(e, _)| e),
        note: text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screening(text: &[u8]) -> Screening<'_> {
        match parse(text) {
            Some(Event::Screening(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn connect_pass_pregreet_dnsbl() {
        let s = screening(b"CONNECT from [127.0.0.1]:57845 to [127.0.0.1]:25");
        assert_eq!(s.client.unwrap().port, Some(&b"57845"[..]));
        assert_eq!(screening(b"PASS NEW [192.0.2.1]:1234").action, b"PASS NEW");
        let s = screening(
            b"PREGREET 29 after 0 from [127.0.0.11]:52317: EHLO pregreet.external.test\\r\\n",
        );
        assert_eq!(s.client.unwrap().ip, b"127.0.0.11");
        let s = screening(b"DNSBL rank 3 for [192.0.2.7]:1234");
        assert_eq!(s.client.unwrap().ip, b"192.0.2.7");
        assert_eq!(
            screening(b"HANGUP after 1.2 from [192.0.2.1]:1 in tests after SMTP handshake").action,
            b"HANGUP"
        );
    }

    #[test]
    fn dnsblog_hit() {
        assert!(matches!(
            parse_dnsblog(b"addr 192.0.2.1 listed by domain zen.spamhaus.org as 127.0.0.2"),
            Some(Event::DnsblHit { list, .. }) if list == b"zen.spamhaus.org"
        ));
    }
}
