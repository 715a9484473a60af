//! bounce(8) / defer / trace: the notifications Postfix writes about a message.

use super::bytes::strip;
use super::queue_id::{lead, Lead, QueueId};
use crate::event::{Event, NotificationKind};

/// Each kind of notification and the text up to its new queue ID.
const KINDS: [(&[u8], NotificationKind); 4] = [
    (
        b"non-delivery notification: ",
        NotificationKind::NonDelivery,
    ),
    (b"delay notification: ", NotificationKind::Delay),
    (
        b"delivery status notification: ",
        NotificationKind::DeliveryStatus,
    ),
    (b"success notification: ", NotificationKind::Success),
];

/// `QID: sender non-delivery notification: NEWID` and its kin.
pub fn parse(text: &[u8]) -> Option<Event<'_>> {
    let (Lead::Id(queue_id), rest) = lead(text) else {
        return None;
    };
    let (to_postmaster, rest) = match strip(rest, b"sender ") {
        Some(r) => (false, r),
        None => (true, strip(rest, b"postmaster ")?),
    };
    let (kind, new_id) = kind(rest)?;
    Some(Event::Notification {
        queue_id,
        kind,
        to_postmaster,
        new_queue_id: QueueId::new(new_id)?,
    })
}

/// The kind of notification `text` starts with and the text after `KIND notification: `.
/// Matched whole: none of the kinds holds ` notification: `, so this is where a search for it
/// would find it first (building a searcher cost more than the rest of the line).
fn kind(text: &[u8]) -> Option<(NotificationKind, &[u8])> {
    KINDS
        .iter()
        .find_map(|&(prefix, kind)| strip(text, prefix).map(|after| (kind, after)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::bytes::split_once;

    #[test]
    fn kinds_matched_whole_read_as_split_at_the_first_notification() {
        let split = |text| {
            let (kind, after) = split_once(text, b" notification: ")?;
            let kind = match kind {
                b"non-delivery" => NotificationKind::NonDelivery,
                b"delay" => NotificationKind::Delay,
                b"delivery status" => NotificationKind::DeliveryStatus,
                b"success" => NotificationKind::Success,
                _ => return None,
            };
            Some((kind, after))
        };
        for text in [
            &b"non-delivery notification: 1A2B3C4D5E"[..],
            b"delay notification: X",
            b"delivery status notification: delay notification: X",
            b"success notification: ",
            b"success notification:",
            b"delay  notification: X",
            b"delayed notification: X",
            b"notification: X",
            b" notification: X",
            b"",
        ] {
            assert_eq!(kind(text), split(text), "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn seed_notification_naming_its_own_id() {
        match parse(b"9K0L1M2N3O: sender non-delivery notification: 9K0L1M2N3O") {
            Some(Event::Notification {
                queue_id,
                kind,
                to_postmaster,
                new_queue_id,
            }) => {
                assert_eq!(queue_id, new_queue_id);
                assert_eq!(kind, NotificationKind::NonDelivery);
                assert!(!to_postmaster);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(b"173ADBC240: sender delivery status notification: 414E3BC238"),
            Some(Event::Notification {
                kind: NotificationKind::DeliveryStatus,
                ..
            })
        ));
        assert!(matches!(
            parse(b"173ADBC240: postmaster delay notification: 414E3BC238"),
            Some(Event::Notification {
                kind: NotificationKind::Delay,
                to_postmaster: true,
                ..
            })
        ));
    }
}
