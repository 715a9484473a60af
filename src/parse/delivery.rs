//! Delivery agents — smtp, lmtp, local, virtual, pipe, error, discard, retry, and any service
//! named otherwise in master.cf: `to=<…>, relay=…, delay=…, delays=a/b/c/d, dsn=…, status=…`,
//! plus the smtp client's connection trouble.

use super::bytes::{
    angle_value, find_byte, head16, leading_seconds, parse_seconds, parse_u32, split_once, strip,
    two_decimals, word, Prefix,
};
use super::queue_id::{lead, Lead, QueueId};
use crate::event::{Delays, Delivery, DeliveryStatus, Event};

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

/// The fields of a delivery line this parser keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    To,
    OrigTo,
    Relay,
    ConnUse,
    Delay,
    Delays,
    Dsn,
    Status,
    Other,
}

/// The fields in the order Postfix writes them (`orig_to` and `conn_use` only sometimes),
/// each with its key and `=`.
const IN_ORDER: [(Prefix, Field); 8] = [
    (Prefix::new(b"to="), Field::To),
    (Prefix::new(b"orig_to="), Field::OrigTo),
    (Prefix::new(b"relay="), Field::Relay),
    (Prefix::new(b"conn_use="), Field::ConnUse),
    (Prefix::new(b"delay="), Field::Delay),
    (Prefix::new(b"delays="), Field::Delays),
    (Prefix::new(b"dsn="), Field::Dsn),
    (Prefix::new(b"status="), Field::Status),
];

/// The field that starts `rest` and the text after its `=`; `None` when no `=` follows.
/// `expected` is where in `IN_ORDER` the next field most likely stands: that field and the
/// one after it are tried by their keys first (one comparison of 16 bytes each), and only a
/// field out of order or unknown is found by searching for its `=`. Either way the key is the
/// text before the first `=` (no key holds one).
fn next_field<'a>(rest: &'a [u8], expected: &mut usize) -> Option<(Field, &'a [u8])> {
    let head = head16(rest);
    // The expected field, or the one after it (when an optional one was left out).
    for i in [*expected, *expected + 1] {
        if let Some(&(key, field)) = IN_ORDER.get(i) {
            if let Some(after) = key.strip(head, rest) {
                *expected = i + 1;
                return Some((field, after));
            }
        }
    }
    let eq = find_byte(rest, b'=')?;
    let field = match rest.get(..eq).unwrap_or_default() {
        b"to" => Field::To,
        b"orig_to" => Field::OrigTo,
        b"relay" => Field::Relay,
        b"conn_use" => Field::ConnUse,
        b"delay" => Field::Delay,
        b"delays" => Field::Delays,
        b"dsn" => Field::Dsn,
        b"status" => Field::Status,
        _ => Field::Other,
    };
    Some((field, rest.get(eq + 1..).unwrap_or_default()))
}

/// What a delivery line says before its `status=`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Fields<'a> {
    to: Option<&'a [u8]>,
    orig_to: Option<&'a [u8]>,
    relay: Option<&'a [u8]>,
    conn_use: Option<u32>,
    delay: Option<f64>,
    delays: Option<Delays>,
    dsn: Option<&'a [u8]>,
}

/// The fields of a delivery status line, after `QID: `.
pub fn parse_delivery(queue_id: QueueId, text: &[u8]) -> Option<Event<'_>> {
    match in_postfix_order(text) {
        Some((fields, status)) => delivery(queue_id, fields, status),
        None => any_order(queue_id, text),
    }
}

/// A delivery line laid out exactly as Postfix writes it — `to=<…>, [orig_to=<…>, ]relay=…,
/// [conn_use=…, ]delay=…, delays=…, dsn=…, status=…` — read at its fixed keys in one pass,
/// without looking for where each field ends twice (about half of what `any_order` costs).
/// `None` at the first byte that differs from that layout: `any_order` then reads the line
/// from its start. Whatever this reads, `any_order` reads the same (a test checks): each value
/// is read the way `any_order` reads it, and only where `any_order` would read it whole.
fn in_postfix_order(text: &[u8]) -> Option<(Fields<'_>, &[u8])> {
    let (to, rest) = angle_value(text.strip_prefix(b"to=<")?)?;
    let mut fields = Fields {
        to: Some(to),
        ..Fields::default()
    };
    let mut rest = rest.strip_prefix(b", ")?;
    if let Some(after) = rest.strip_prefix(b"orig_to=<") {
        let (orig_to, after) = angle_value(after)?;
        fields.orig_to = Some(orig_to);
        rest = after.strip_prefix(b", ")?;
    }
    let (relay, mut rest) = plain_value(rest.strip_prefix(b"relay=")?)?;
    fields.relay = Some(relay);
    if let Some(after) = rest.strip_prefix(b"conn_use=") {
        let (conn_use, after) = plain_value(after)?;
        fields.conn_use = parse_u32(conn_use);
        rest = after;
    }
    // The numbers end where the next key starts: found in the pass that reads them.
    let delay = rest.strip_prefix(b"delay=")?;
    let (seconds, used) = leading_seconds(delay)?;
    fields.delay = Some(seconds);
    let (delays, rest) = read_delays(delay.get(used..)?.strip_prefix(b", delays=")?)?;
    fields.delays = Some(delays);
    let (dsn, rest) = plain_value(rest.strip_prefix(b", dsn=")?)?;
    fields.dsn = Some(dsn_code(dsn));
    Some((fields, rest.strip_prefix(b"status=")?))
}

/// The code of a `dsn=` value. The seed writes `dsn=2.0.0 (ok)`: keep the code, drop the
/// comment.
fn dsn_code(value: &[u8]) -> &[u8] {
    word(value).0
}

/// A value not in angle brackets that ends at a `,`, and the text after that `,` and the
/// space that must follow it; `None` otherwise.
fn plain_value(text: &[u8]) -> Option<(&[u8], &[u8])> {
    if text.first() == Some(&b'<') {
        return None;
    }
    let end = find_byte(text, b',')?;
    Some((
        text.get(..end).unwrap_or_default(),
        text.get(end..).unwrap_or_default().strip_prefix(b", ")?,
    ))
}

/// The fields in any order, known or not, each read up to its end: the last of each wins.
fn any_order(queue_id: QueueId, text: &[u8]) -> Option<Event<'_>> {
    let mut rest = text;
    let mut expected = 0;
    let mut fields = Fields::default();
    loop {
        let Some((field, after)) = next_field(rest, &mut expected) else {
            return cut(queue_id, fields.to);
        };
        if field == Field::Status {
            return delivery(queue_id, fields, after);
        }
        let (value, next) = if let Some(inner) = after.strip_prefix(b"<") {
            match angle_value(inner) {
                Some(found) => found,
                // The line was cut inside the address.
                None => return cut(queue_id, fields.to),
            }
        } else {
            let end = find_byte(after, b',').unwrap_or(after.len());
            (
                after.get(..end).unwrap_or_default(),
                after.get(end..).unwrap_or_default(),
            )
        };
        match field {
            Field::To => fields.to = Some(value),
            Field::OrigTo => fields.orig_to = Some(value),
            Field::Relay => fields.relay = Some(value),
            Field::ConnUse => fields.conn_use = parse_u32(value),
            Field::Delay => fields.delay = parse_seconds(value),
            Field::Delays => fields.delays = parse_delays(value),
            Field::Dsn => fields.dsn = Some(dsn_code(value)),
            Field::Status | Field::Other => {}
        }
        rest = next.strip_prefix(b",").unwrap_or(next);
        rest = rest.strip_prefix(b" ").unwrap_or(rest);
        if rest.is_empty() {
            return cut(queue_id, fields.to);
        }
    }
}

/// The delivery the fields describe, given the text after `status=`.
fn delivery<'a>(queue_id: QueueId, fields: Fields<'a>, status: &'a [u8]) -> Option<Event<'a>> {
    let (status, reply) = status_and_reply(status)?;
    // The reply is everything in the outer parentheses; it may itself hold parentheses.
    let reply = reply
        .strip_prefix(b"(")
        .map(|r| r.strip_suffix(b")").unwrap_or(r))
        .unwrap_or(reply);
    Some(Event::Delivery(Delivery {
        queue_id,
        to: fields.to?,
        orig_to: fields.orig_to,
        relay: fields.relay,
        conn_use: fields.conn_use,
        delay: fields.delay,
        delays: fields.delays,
        dsn: fields.dsn,
        status,
        reply,
        queued_as: queued_as(reply),
        forwarded_as: strip(reply, b"forwarded as ").and_then(|r| QueueId::new(trim_id(r))),
    }))
}

/// The status word of `status=WORD REPLY` and the text after its space. `sent`, most lines',
/// matched with its space: the first space, where `word` would split.
fn status_and_reply(text: &[u8]) -> Option<(DeliveryStatus, &[u8])> {
    if let Some(reply) = text.strip_prefix(b"sent ") {
        return Some((DeliveryStatus::Sent, reply));
    }
    let (status, reply) = word(text);
    Some((DeliveryStatus::parse(status)?, reply))
}

/// The line ended before `status=`: keep the recipient when the address itself is whole.
fn cut(queue_id: QueueId, to: Option<&[u8]>) -> Option<Event<'_>> {
    to.filter(|t| !t.is_empty())
        .map(|to| Event::DeliveryCut { queue_id, to })
}

fn parse_delays(value: &[u8]) -> Option<Delays> {
    // Anything after a fourth slash is ignored.
    let (delays, rest) = read_delays(value)?;
    matches!(rest.first(), None | Some(b'/')).then_some(delays)
}

/// `a/b/c/d` at the start of `text`, read left to right, each number in the pass that finds
/// the slash after it; the delays and the text after the fourth number.
fn read_delays(text: &[u8]) -> Option<(Delays, &[u8])> {
    let (before_qmgr, rest) = stage_before_slash(text)?;
    let (in_qmgr, rest) = stage_before_slash(rest)?;
    let (conn_setup, rest) = stage_before_slash(rest)?;
    let (transmission, used) = leading_seconds(rest)?;
    let rest = rest.get(used..).unwrap_or_default();
    Some((
        Delays {
            before_qmgr,
            in_qmgr,
            conn_setup,
            transmission,
        },
        rest,
    ))
}

/// One of the first three numbers of `delays=`, which must end at a slash, and the text after
/// that slash.
// Always inlined: called three times in a row, it was kept out of line and returned through
// memory.
#[inline(always)]
fn stage_before_slash(text: &[u8]) -> Option<(f64, &[u8])> {
    // `0/` and `0.01/`, most stages: matched with the slash, without a reading and a second
    // look.
    match text {
        [b'0', b'/', rest @ ..] => return Some((0.0, rest)),
        [units, b'.', tenths, hundredths, b'/', rest @ ..] => {
            if let Some(seconds) = two_decimals(*units, *tenths, *hundredths) {
                return Some((seconds, rest));
            }
        }
        _ => {}
    }
    let (seconds, used) = leading_seconds(text)?;
    Some((seconds, text.get(used..)?.strip_prefix(b"/")?))
}

/// The ID in `… queued as ID` (the last one: a filter's reply may quote the next hop's).
fn queued_as(reply: &[u8]) -> Option<QueueId> {
    // Found by its `q`s, from the start: most replies (`250 2.0.0 Ok`, `delivered to
    // maildir`) are short and hold none, and a substring searcher, or `memrchr`, cost more
    // to set up than this whole scan.
    const QUEUED_AS: &[u8] = b"queued as ";
    let mut last = None;
    let mut from = 0;
    while let Some(at) = find_byte(reply.get(from..).unwrap_or_default(), b'q') {
        let start = from + at;
        let after = reply.get(start..).unwrap_or_default();
        if let Some(id) = after.strip_prefix(QUEUED_AS) {
            last = Some(id);
        }
        from = start + 1;
    }
    QueueId::new(trim_id(last?))
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

    /// The delays and seconds as first written (split at slashes, then each number read on
    /// its own), and `queued as` found by a substring searcher: the one-pass readers agree.
    fn delays_by_parts(value: &[u8]) -> Option<[f64; 4]> {
        fn seconds(text: &[u8]) -> Option<f64> {
            if text.is_empty() || text.len() > 18 {
                return None;
            }
            let mut mantissa: u64 = 0;
            let mut scale: Option<u32> = None;
            for &b in text {
                match b {
                    b'0'..=b'9' => {
                        mantissa = mantissa * 10 + u64::from(b - b'0');
                        if let Some(s) = scale.as_mut() {
                            *s += 1;
                        }
                    }
                    b'.' if scale.is_none() => scale = Some(0),
                    _ => return None,
                }
            }
            Some(mantissa as f64 / 10f64.powi(scale.unwrap_or(0) as i32))
        }
        let mut parts = [0.0; 4];
        let mut rest = value;
        for part in &mut parts {
            let end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
            *part = seconds(&rest[..end])?;
            assert_eq!(parse_seconds(&rest[..end]), Some(*part));
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        Some(parts)
    }

    #[test]
    fn one_pass_delays_and_queued_as_agree_with_the_split_ones() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..100_000 {
            crate::parse::bytes::xorshift(&mut state);
            let len = (state % 24) as usize;
            let text: Vec<u8> = (0..len)
                .map(|i| b"0123456789./x/1.00"[(state.rotate_left(i as u32 * 5) % 18) as usize])
                .collect();
            let got = parse_delays(&text)
                .map(|d| [d.before_qmgr, d.in_qmgr, d.conn_setup, d.transmission]);
            assert_eq!(
                got,
                delays_by_parts(&text),
                "{}",
                String::from_utf8_lossy(&text)
            );
            let reply: Vec<u8> = (0..len * 2)
                .map(|i| {
                    [b'q', b'u', b'e', b'd', b' ', b'a', b's', b'1', b'A', b'q']
                        [(state.rotate_left(i as u32 * 3) % 10) as usize]
                })
                .chain(*b"queued as ")
                .chain((0..len).map(|i| {
                    b"queued as 1A2B3C4D5E"[(state.rotate_left(i as u32 * 7) % 20) as usize]
                }))
                .collect();
            let want = memchr::memmem::rfind(&reply, b"queued as ")
                .and_then(|at| QueueId::new(trim_id(&reply[at + 10..])));
            assert_eq!(
                queued_as(&reply),
                want,
                "{}",
                String::from_utf8_lossy(&reply)
            );
        }
        assert_eq!(queued_as(b"250 2.0.0 Ok"), None);
        assert_eq!(queued_as(b"queued as ABCDE12345 queued as !"), None);
        assert_eq!(
            queued_as(b"queued as ABCDE12345, then queued as FEDCB54321)")
                .unwrap()
                .as_str(),
            "FEDCB54321"
        );
    }

    #[test]
    fn fields_out_of_order_unknown_or_repeated_are_read_by_their_key() {
        // Postfix's own order is read key by key; any other order, unknown keys and a repeated
        // key go through the search for `=` and must read the same.
        let d = delivery(b"1A2B3C4D5E: to=<a@b>, delays=1/2/3/4, x=1, relay=r, dsn=5.0.0, delay=7, conn_use=3, orig_to=<o@b>, to=<c@d>, status=bounced (no)");
        assert_eq!(d.to, b"c@d");
        assert_eq!(d.orig_to, Some(&b"o@b"[..]));
        assert_eq!(d.relay, Some(&b"r"[..]));
        assert_eq!(
            (d.conn_use, d.delay, d.dsn),
            (Some(3), Some(7.0), Some(&b"5.0.0"[..]))
        );
        assert_eq!(d.delays.unwrap().transmission, 4.0);
        assert_eq!(d.status, DeliveryStatus::Bounced);
        // Keys that begin like others (`delay` and `delays`, `to` and `tox`).
        let d =
            delivery(b"1A2B3C4D5E: to=<a@b>, tox=<z@z>, delays=1/2/3/4, delay=2, status=sent (ok)");
        assert_eq!((d.to, d.delay), (&b"a@b"[..], Some(2.0)));
        assert_eq!(d.delays.unwrap().before_qmgr, 1.0);
        let d = delivery(
            b"1A2B3C4D5E: to=<a@b>, relay=none, delay=2, delays=1/2/3/4x, status=sent (ok)",
        );
        assert!(d.delays.is_none());
    }

    /// Delivery lines as Postfix writes them, each field that may be left out both ways.
    const IN_ORDER_LINES: [&[u8]; 6] = [
        b"to=<ok-s02@vol-ok.test>, relay=127.0.0.2[127.0.0.2]:2525, delay=0.04, delays=0.01/0.02/0.01/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
        b"to=<a@filtered.test>, orig_to=<b@x.test>, relay=127.0.0.1[127.0.0.1]:10025, conn_use=2, delay=0.13, delays=0/0.01/0.05/0.08, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10026): 250 2.0.0 Ok: queued as 48AD0BC257)",
        b"to=<fwd@lab.example>, orig_to=<x@lab.example>, relay=local, delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (forwarded as 3757BBC25F)",
        b"to=<r@example.com>, relay=mail.example.com[203.0.113.1]:25, conn_use=12, delay=5, delays=0.01/0.01/0.01/4.97, dsn=4.0.0 (temporary failure), status=deferred (host mail.example.com[203.0.113.1] said: 450 4.7.1 Try again (in reply to RCPT TO command))",
        b"to=<>, relay=none, delay=123456.5, delays=123456/0.5/0/0, dsn=5.4.4, status=bounced (Host or domain name not found)",
        b"to=<\"odd>x\"@q.test>, relay=local, delay=0, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to maildir)",
    ];

    #[test]
    fn read_in_postfix_order_or_in_any_order_alike() {
        let id = QueueId::new(b"1A2B3C4D5E").unwrap();
        let alike = |text: &[u8]| {
            assert_eq!(
                format!("{:?}", parse_delivery(id, text)),
                format!("{:?}", any_order(id, text)),
                "{}",
                String::from_utf8_lossy(text)
            );
        };
        for line in IN_ORDER_LINES {
            assert!(
                in_postfix_order(line).is_some(),
                "{}",
                String::from_utf8_lossy(line)
            );
            // Every cut, every byte left out, and every byte changed for one that ends,
            // starts or separates a field or a number.
            for at in 0..=line.len() {
                alike(&line[..at]);
                if at == line.len() {
                    break;
                }
                let mut without = line.to_vec();
                without.remove(at);
                alike(&without);
                for b in *b",; <>=/.:09xs()" {
                    let mut changed = line.to_vec();
                    changed[at] = b;
                    alike(&changed);
                }
            }
        }
    }

    #[test]
    fn sent_matched_with_its_space_reads_as_its_word() {
        for text in [
            &b"sent (250 2.0.0 Ok)"[..],
            b"sent ",
            b"sent",
            b"sent  (x)",
            b"sentx (x)",
            b"sen",
            b"deferred (x)",
            b"",
        ] {
            let (status, reply) = word(text);
            assert_eq!(
                status_and_reply(text),
                DeliveryStatus::parse(status).map(|s| (s, reply)),
                "{}",
                String::from_utf8_lossy(text)
            );
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
