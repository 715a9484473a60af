//! bounce(8) / defer / trace: the notifications Postfix writes about a message.

use super::bytes::{split_once, strip};
use super::queue_id::{lead, Lead, QueueId};
use crate::event::{Event, NotificationKind};

/// `QID: sender non-delivery notification: NEWID` and its kin.
pub fn parse(text: &[u8]) -> Option<Event<'_>> {
    let (Lead::Id(queue_id), rest) = lead(text) else {
        return None;
    };
    let (to_postmaster, rest) = match strip(rest, b"sender ") {
        Some(r) => (false, r),
        None => (true, strip(rest, b"postmaster ")?),
    };
    let (kind, new_id) = split_once(rest, b" notification: ")?;
    let kind = match kind {
        b"non-delivery" => NotificationKind::NonDelivery,
        b"delay" => NotificationKind::Delay,
        b"delivery status" => NotificationKind::DeliveryStatus,
        b"success" => NotificationKind::Success,
        _ => return None,
    };
    Some(Event::Notification {
        queue_id,
        kind,
        to_postmaster,
        new_queue_id: QueueId::new(new_id)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
