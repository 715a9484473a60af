//! Postfix queue IDs: short (`1A2B3C4D5E`, hex by default but the seed writes `5F6G7H8I9J`),
//! long (`enable_long_queue_ids`: `4Ybc2m1DTzz9sqk`), and the `NOQUEUE` placeholder.

use std::fmt;

/// The longest queue ID kept. Long IDs are 12–17 characters; 24 leaves room for oddities.
const MAX: usize = 24;
const MIN: usize = 5;

/// A queue ID stored inline: `Copy`, hashable, no allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId {
    len: u8,
    bytes: [u8; MAX],
}

impl QueueId {
    /// A queue ID from its text, if it has the shape of one: 5 to 24 characters of
    /// `[0-9A-Za-z]`, holding a digit or all upper case — so that words like `statistics`,
    /// `warning` or `Deleted` that also stand before `: ` are not taken for IDs.
    pub fn new(text: &[u8]) -> Option<QueueId> {
        if text.len() < MIN || text.len() > MAX || !text.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        let has_digit = text.iter().any(u8::is_ascii_digit);
        let all_upper = text
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !has_digit && !all_upper {
            return None;
        }
        if text == b"NOQUEUE" {
            return None;
        }
        let mut bytes = [0u8; MAX];
        bytes.get_mut(..text.len())?.copy_from_slice(text);
        Some(QueueId {
            len: text.len() as u8,
            bytes,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics are ever stored.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QueueId({})", self.as_str())
    }
}

/// What leads a message text: a queue ID, `NOQUEUE`, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lead {
    Id(QueueId),
    NoQueue,
    None,
}

/// Splits `QUEUEID: rest` or `NOQUEUE: rest`; the ID must stand first and be followed by `: `.
pub fn lead(text: &[u8]) -> (Lead, &[u8]) {
    let head = text.get(..text.len().min(MAX + 1)).unwrap_or_default();
    let Some(colon) = memchr::memchr(b':', head) else {
        return (Lead::None, text);
    };
    if text.get(colon + 1) != Some(&b' ') {
        return (Lead::None, text);
    }
    let word = text.get(..colon).unwrap_or_default();
    let rest = text.get(colon + 2..).unwrap_or_default();
    if word == b"NOQUEUE" {
        return (Lead::NoQueue, rest);
    }
    match QueueId::new(word) {
        Some(id) => (Lead::Id(id), rest),
        None => (Lead::None, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_long_and_seed_ids() {
        for id in [
            &b"1A2B3C4D5E"[..],
            b"5F6G7H8I9J",
            b"4Ybc2m1DTzz9sqk",
            b"BABABABABABA",
            b"7CF31BC232",
        ] {
            let line = [id, &b": removed"[..]].concat();
            let (l, rest) = lead(&line);
            assert_eq!(
                l,
                Lead::Id(QueueId::new(id).unwrap()),
                "{}",
                String::from_utf8_lossy(id)
            );
            assert_eq!(rest, b"removed");
        }
    }

    #[test]
    fn words_are_not_ids() {
        for text in [
            &b"statistics: max connection rate"[..],
            b"warning: x",
            b"Deleted: 1 message",
            b"Requeued: 1 message",
        ] {
            assert_eq!(
                lead(text).0,
                Lead::None,
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        assert_eq!(lead(b"NOQUEUE: reject: RCPT").0, Lead::NoQueue);
        assert_eq!(lead(b"1A2B3C4D5E:removed").0, Lead::None);
    }
}
