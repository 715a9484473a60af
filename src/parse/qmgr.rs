//! qmgr(8): a message enters the active queue, is returned to sender on expiry, is removed.

use super::bytes::{angle_field, parse_u64, plain_field, strip};
use super::queue_id::{lead, Lead};
use crate::event::{DeliveryStatus, Event};

pub fn parse(text: &[u8]) -> Option<Event<'_>> {
    let (Lead::Id(queue_id), rest) = lead(text) else {
        return None;
    };
    if rest == b"removed" {
        return Some(Event::Removed { queue_id });
    }
    if rest.starts_with(b"skipped, still being delivered") {
        return Some(Event::Diagnostic {
            queue_id: Some(queue_id),
            text: rest,
        });
    }
    if rest.starts_with(b"to=") {
        // qmgr itself logs deliveries it decides without an agent (suspended transports).
        return super::delivery::parse_delivery(queue_id, rest);
    }
    strip(rest, b"from=")?;
    // Some logs (old versions, hand edits) drop the angle brackets.
    let from = angle_field(rest, b"from=<").or_else(|| plain_field(rest, b"from="))?;
    if let Some(status) = plain_field(rest, b"status=") {
        let status = DeliveryStatus::parse(status)?;
        return Some(Event::ReturnedToSender {
            queue_id,
            from,
            status,
        });
    }
    Some(Event::QueueActive {
        queue_id,
        from,
        size: plain_field(rest, b"size=").and_then(parse_u64),
        nrcpt: plain_field(rest, b"nrcpt=")
            .and_then(parse_u64)
            .and_then(|n| u32::try_from(n).ok()),
        deferred_queue: rest.ends_with(b"(queue deferred)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_active_and_deferred() {
        match parse(b"1A2B3C4D5E: from=<sender@example.org>, size=1234, nrcpt=1 (queue active)") {
            Some(Event::QueueActive {
                from,
                size,
                nrcpt,
                deferred_queue,
                ..
            }) => {
                assert_eq!(from, b"sender@example.org");
                assert_eq!((size, nrcpt, deferred_queue), (Some(1234), Some(1), false));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(b"5F6G7H8I9J: from=<sender@example.org>, size=5678, nrcpt=1 (queue deferred)"),
            Some(Event::QueueActive {
                deferred_queue: true,
                ..
            })
        ));
    }

    #[test]
    fn expiry_and_removal() {
        assert!(matches!(
            parse(
                b"505FCBC259: from=<alice@lab.example>, status=force-expired, returned to sender"
            ),
            Some(Event::ReturnedToSender {
                status: DeliveryStatus::ForceExpired,
                ..
            })
        ));
        assert!(matches!(
            parse(b"1A2B3C4D5E: removed"),
            Some(Event::Removed { .. })
        ));
    }
}
