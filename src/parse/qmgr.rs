//! qmgr(8): a message enters the active queue, is returned to sender on expiry, is removed.

use super::bytes::{angle_value, find_byte, parse_u32, parse_u64, strip};
use super::queue_id::{lead, Lead};
use crate::event::{DeliveryStatus, Event};

pub fn parse(text: &[u8]) -> Option<Event<'_>> {
    let (Lead::Id(queue_id), rest) = lead(text) else {
        return None;
    };
    // The most frequent first: a message enters the active queue once, and is removed once.
    let Some(after) = strip(rest, b"from=") else {
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
        return None;
    };
    // One pass, left to right: `from=<s>, size=N, nrcpt=N (queue active)` or
    // `from=<s>, status=expired, returned to sender`.
    let (from, tail) = match after.strip_prefix(b"<") {
        Some(inner) => angle_value(inner)?,
        // Some logs (old versions, hand edits) drop the angle brackets.
        None => {
            let end = find_byte(after, b',').unwrap_or(after.len());
            (
                after.get(..end).unwrap_or_default(),
                after.get(end..).unwrap_or_default(),
            )
        }
    };
    let tail = tail.strip_prefix(b", ").unwrap_or(tail);
    if let Some(status) = strip(tail, b"status=") {
        let word = status
            .get(
                ..status
                    .iter()
                    .position(|&b| b == b',' || b == b' ')
                    .unwrap_or(status.len()),
            )
            .unwrap_or_default();
        return Some(Event::ReturnedToSender {
            queue_id,
            from,
            status: DeliveryStatus::parse(word)?,
        });
    }
    let (size, nrcpt) = sizes(tail);
    Some(Event::QueueActive {
        queue_id,
        from,
        size,
        nrcpt,
        deferred_queue: tail.ends_with(b"(queue deferred)"),
    })
}

/// `size=N` and `nrcpt=N` from the fields after the sender.
fn sizes(tail: &[u8]) -> (Option<u64>, Option<u32>) {
    // Exactly as qmgr writes it, `size=N, nrcpt=N (queue active)`: read in place. Nothing else
    // follows, so the general reading below would find the same two fields.
    if let Some((size, after)) = strip(tail, b"size=").map(number) {
        if let Some((nrcpt, rest)) = strip(after, b", nrcpt=").map(number) {
            if rest == b" (queue active)" || rest == b" (queue deferred)" {
                return (size, nrcpt.and_then(|n| u32::try_from(n).ok()));
            }
        }
    }
    // Any order, any other fields: the last of each wins.
    let mut size = None;
    let mut nrcpt = None;
    for field in tail.split(|&b| b == b',' || b == b' ') {
        if let Some(v) = strip(field, b"size=") {
            size = parse_u64(v);
        } else if let Some(v) = strip(field, b"nrcpt=") {
            nrcpt = parse_u32(v);
        }
    }
    (size, nrcpt)
}

/// The number the leading digits of `text` write, read as `parse_u64` reads them (`None` for
/// none, or more than 19), in the pass that finds where they end; and the rest.
fn number(text: &[u8]) -> (Option<u64>, &[u8]) {
    let mut value: u64 = 0;
    let mut used = 0;
    for &b in text {
        let digit = b.wrapping_sub(b'0');
        if digit >= 10 {
            break;
        }
        // Wrapping: past 19 digits the value is thrown away anyway.
        value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
        used += 1;
    }
    (
        (1..=19).contains(&used).then_some(value),
        text.get(used..).unwrap_or_default(),
    )
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
    fn sizes_as_qmgr_writes_them_and_otherwise() {
        for (tail, want) in [
            (
                &b"size=401, nrcpt=1 (queue active)"[..],
                (Some(401), Some(1)),
            ),
            (b"size=5, nrcpt=2 (queue deferred)", (Some(5), Some(2))),
            (b"size=, nrcpt=2 (queue active)", (None, Some(2))),
            (b"size=5, nrcpt=99999999999 (queue active)", (Some(5), None)),
            (b"nrcpt=3, size=7 (queue active)", (Some(7), Some(3))),
            (b"size=1, nrcpt=2 (queue active) size=9", (Some(9), Some(2))),
            (b"size=1x, nrcpt=2 (queue active)", (None, Some(2))),
            (b"", (None, None)),
        ] {
            assert_eq!(sizes(tail), want, "{}", String::from_utf8_lossy(tail));
        }
    }

    #[test]
    fn a_number_read_where_it_stands_reads_as_parse_u64() {
        for text in [
            &b""[..],
            b"x",
            b"0",
            b"401, nrcpt=1",
            b"18446744073709551615",
            b"9999999999999999999 x",
            b"10000000000000000000",
            b"123456789012345678901234",
            b"12a",
        ] {
            let n = text.iter().take_while(|b| b.is_ascii_digit()).count();
            assert_eq!(
                number(text),
                (parse_u64(&text[..n]), &text[n..]),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn from_without_brackets_and_null_sender() {
        assert!(matches!(
            parse(b"ED373F8043E: from=rory@rory-dev.localdomain, size=270, nrcpt=1 (queue active)"),
            Some(Event::QueueActive { from, size: Some(270), .. }) if from == b"rory@rory-dev.localdomain"
        ));
        assert!(matches!(
            parse(b"6B3A2BC257: from=<>, status=expired, returned to sender"),
            Some(Event::ReturnedToSender { from, status: DeliveryStatus::Expired, .. }) if from.is_empty()
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
