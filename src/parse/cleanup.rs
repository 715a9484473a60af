//! cleanup(8) and pickup(8): the Message-ID, header/body checks and milter verdicts, and
//! local submission.

use super::bytes::{plain_field, strip};
use super::queue_id::{lead, Lead, QueueId};
use super::verdict;
use crate::event::Event;

pub fn parse(text: &[u8]) -> Option<Event<'_>> {
    let (Lead::Id(queue_id), rest) = lead(text) else {
        return None;
    };
    if let Some(after) = strip(rest, b"message-id=") {
        // The header's value as the sender wrote it: usually `<id>`; also empty, `<>`, or a
        // corrupt value (no brackets, text after the `>`, a `<` never closed), kept as it is.
        let message_id = after
            .strip_prefix(b"<")
            .and_then(|v| v.strip_suffix(b">"))
            .unwrap_or(after);
        return Some(Event::MessageId {
            queue_id,
            message_id,
        });
    }
    if strip(rest, b"resent-message-id=").is_some() {
        return Some(Event::Diagnostic {
            queue_id: Some(queue_id),
            text: rest,
        });
    }
    verdict::parse(rest).map(|verdict| Event::Verdict {
        queue_id: Some(queue_id),
        verdict,
    })
}

/// pickup: `QID: uid=1001 from=<alice>[ orig_id=OLDID]`.
pub fn parse_pickup(text: &[u8]) -> Option<Event<'_>> {
    let (Lead::Id(queue_id), rest) = lead(text) else {
        return None;
    };
    let uid = plain_field(rest, b"uid=").and_then(super::bytes::parse_u32);
    let from = super::bytes::angle_field(rest, b"from=<");
    if uid.is_none() && from.is_none() {
        return None;
    }
    let orig_id = plain_field(rest, b"orig_id=").and_then(QueueId::new);
    Some(Event::Pickup {
        queue_id,
        uid,
        from,
        orig_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_normal_empty_and_corrupt() {
        for (text, want) in [
            (
                &b"1A2B3C4D5E: message-id=<test@example.com>"[..],
                &b"test@example.com"[..],
            ),
            (b"1A2B3C4D5E: message-id=<>", b""),
            (b"1A2B3C4D5E: message-id=", b""),
            (b"1A2B3C4D5E: message-id=corrupt@value", b"corrupt@value"),
        ] {
            match parse(text) {
                Some(Event::MessageId { message_id, .. }) => assert_eq!(message_id, want),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn pickup_with_orig_id() {
        match parse_pickup(b"D8240BC255: uid=102 from=<alice@lab.example> orig_id=4D533BC258") {
            Some(Event::Pickup {
                uid, from, orig_id, ..
            }) => {
                assert_eq!(uid, Some(102));
                assert_eq!(from, Some(&b"alice@lab.example"[..]));
                assert_eq!(orig_id.unwrap().as_str(), "4D533BC258");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn header_discard_is_a_verdict() {
        let e = parse(b"2793DBC253: discard: header Subject: [DISCARD] x from localhost[127.0.0.1]; from=<a@b> to=<c@d> proto=ESMTP helo=<h>: Discarded").unwrap();
        assert!(matches!(e, Event::Verdict { verdict, .. } if verdict.action == b"discard"));
    }
}
