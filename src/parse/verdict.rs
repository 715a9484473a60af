//! Verdicts: the one shape smtpd, cleanup, postscreen and milters share for rejects and
//! other actions on a command or message.
//!
//! ```text
//! reject: RCPT from C: 550 5.1.1 <x>: Recipient address rejected: …; from=<s> to=<r> proto=ESMTP helo=<h>
//! hold: header Subject: [HOLD] x from C; from=<s> to=<r> proto=ESMTP helo=<h>: Held by policy
//! milter-reject: END-OF-MESSAGE from C: 5.7.1 Command rejected; from=<s> to=<r> proto=ESMTP helo=<h>
//! reject: RCPT from [ip]:port: 550 5.7.1 Service unavailable; …; from=<s>, to=<r>, proto=ESMTP, helo=<h>   (postscreen)
//! ```

use super::bytes::{angle_field, endpoint, memrfind, parse_u64, plain_field, split_once, word};
use crate::event::{Reply, Verdict};

/// The actions that lead a verdict, as Postfix writes them.
const ACTIONS: &[&[u8]] = &[
    b"reject",
    b"reject_warning",
    b"warn",
    b"defer",
    b"defer_if_permit",
    b"defer_if_reject",
    b"hold",
    b"discard",
    b"filter",
    b"redirect",
    b"warning",
    b"info",
    b"replace",
    b"prepend",
    b"bcc",
    b"milter-reject",
    b"milter-discard",
    b"milter-hold",
    b"proxy-accept",
    b"proxy-reject",
];

/// Actions that refuse mail (rather than warn, tag or redirect it).
pub fn is_refusal(action: &[u8]) -> bool {
    matches!(
        action,
        b"reject"
            | b"defer"
            | b"defer_if_permit"
            | b"defer_if_reject"
            | b"milter-reject"
            | b"proxy-reject"
    )
}

/// Parses a reply such as `550 5.1.1 <x>: text`, `5.7.1 text` or `too many connections`.
pub fn reply(text: &[u8]) -> Reply<'_> {
    let (first, rest) = word(text);
    let (code, after_code) = match first {
        [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            (parse_u64(first).map(|n| n as u16), rest)
        }
        // Multi-line replies: `550-5.7.1 …`.
        [a, b, c, b'-', ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => (
            parse_u64(first.get(..3).unwrap_or_default()).map(|n| n as u16),
            text.get(4..).unwrap_or_default(),
        ),
        _ => (None, text),
    };
    let (maybe_dsn, _) = word(after_code);
    let dsn = is_dsn(maybe_dsn).then_some(maybe_dsn);
    Reply { code, dsn, text }
}

/// `X.Y.Z` with X in 2, 4, 5.
pub fn is_dsn(w: &[u8]) -> bool {
    let mut parts = w.split(|&b| b == b'.');
    let (Some(class), Some(subject), Some(detail), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    matches!(class, b"2" | b"4" | b"5")
        && (1..=3).contains(&subject.len())
        && (1..=3).contains(&detail.len())
        && subject.iter().chain(detail).all(u8::is_ascii_digit)
}

/// Parses `ACTION: …` into a verdict; `None` when the text does not lead with a known action.
pub fn parse(text: &[u8]) -> Option<Verdict<'_>> {
    let (action, rest) = split_once(text, b": ")?;
    if !ACTIONS.contains(&action) && !action.starts_with(b"milter-") {
        return None;
    }
    // The envelope part `; from=<…> to=<…> proto=… helo=<…>` closes the verdict (cleanup adds
    // `: text` after it). It is found from the right, since reply text may hold `;`.
    let (head, envelope) = match memrfind(rest, b"; from=<") {
        Some(at) => (
            rest.get(..at).unwrap_or_default(),
            Some(rest.get(at + 2..).unwrap_or_default()),
        ),
        None => (rest, None),
    };
    let (stage, after_stage) = word(head);
    let mut matched = None;
    let mut client = None;
    let mut reply_text: &[u8] = &[];
    if stage == b"header" || stage == b"body" {
        // `header Subject: x from C` — the client is after the last ` from `.
        match memrfind(after_stage, b" from ") {
            Some(at) => {
                matched = Some(after_stage.get(..at).unwrap_or_default());
                client = endpoint(after_stage.get(at + 6..).unwrap_or_default()).map(|(e, _)| e);
            }
            None => matched = Some(after_stage),
        }
    } else if let Some(after_from) = after_stage.strip_prefix(b"from ") {
        if let Some((e, after)) = endpoint(after_from) {
            client = Some(e);
            reply_text = after.strip_prefix(b": ").unwrap_or(after);
        }
    } else {
        // `proxy-accept: END-OF-MESSAGE: 250 …`
        reply_text = after_stage.strip_prefix(b": ").unwrap_or(after_stage);
    }
    let (mut from, mut to, mut proto, mut helo) = (None, None, None, None);
    if let Some(env) = envelope {
        from = angle_field(env, b"from=<");
        to = angle_field(env, b"to=<");
        proto = plain_field(env, b"proto=");
        helo = angle_field(env, b"helo=<");
        // cleanup: `helo=<h>: Held by lab header policy`
        if reply_text.is_empty() {
            if let Some(at) = memrfind(env, b">: ") {
                reply_text = env.get(at + 3..).unwrap_or_default();
            }
        }
    }
    Some(Verdict {
        action,
        stage,
        matched,
        client,
        reply: reply(reply_text),
        from,
        to,
        proto,
        helo,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtpd_rcpt_reject() {
        let v = parse(b"reject: RCPT from localhost[127.0.0.1]: 550 5.1.1 <nosuch@lab.example>: Recipient address rejected: User unknown in local recipient table; from=<bob@lab.example> to=<nosuch@lab.example> proto=ESMTP helo=<client.lab.example>").unwrap();
        assert_eq!(v.action, b"reject");
        assert_eq!(v.stage, b"RCPT");
        assert_eq!(v.client.unwrap().ip, b"127.0.0.1");
        assert_eq!(v.reply.code, Some(550));
        assert_eq!(v.reply.dsn, Some(&b"5.1.1"[..]));
        assert_eq!(v.from, Some(&b"bob@lab.example"[..]));
        assert_eq!(v.to, Some(&b"nosuch@lab.example"[..]));
        assert_eq!(v.helo, Some(&b"client.lab.example"[..]));
        assert!(v.reply.text.ends_with(b"local recipient table"));
    }

    #[test]
    fn cleanup_header_hold() {
        let v = parse(b"hold: header Subject: [HOLD] lab S34 from localhost[127.0.0.1]; from=<alice@lab.example> to=<ok-hold-s34@remote.test> proto=ESMTP helo=<client.lab.example>: Held by lab header policy").unwrap();
        assert_eq!(v.stage, b"header");
        assert_eq!(v.matched, Some(&b"Subject: [HOLD] lab S34"[..]));
        assert_eq!(v.reply.text, b"Held by lab header policy");
        assert_eq!(v.to, Some(&b"ok-hold-s34@remote.test"[..]));
    }

    #[test]
    fn postscreen_reject_with_commas_and_semicolons_in_reply() {
        let v = parse(b"reject: RCPT from [192.0.2.5]:4321: 550 5.7.1 Service unavailable; client [192.0.2.5] blocked using zen.spamhaus.org; from=<a@b.c>, to=<d@e.f>, proto=ESMTP, helo=<x>").unwrap();
        assert_eq!(v.client.unwrap().port, Some(&b"4321"[..]));
        assert_eq!(v.to, Some(&b"d@e.f"[..]));
        assert_eq!(v.proto, Some(&b"ESMTP"[..]));
        assert!(v.reply.text.ends_with(b"zen.spamhaus.org"));
    }

    #[test]
    fn milter_reject_has_dsn_without_code() {
        let v = parse(b"milter-reject: END-OF-MESSAGE from m[1.2.3.4]: 5.7.1 Command rejected; from=<a@b> to=<c@d> proto=ESMTP helo=<m>").unwrap();
        assert_eq!(v.reply.code, None);
        assert_eq!(v.reply.dsn, Some(&b"5.7.1"[..]));
    }

    #[test]
    fn unknown_actions_are_not_verdicts() {
        assert!(parse(b"client=x[1.2.3.4]").is_none());
        assert!(parse(b"removed").is_none());
    }
}
