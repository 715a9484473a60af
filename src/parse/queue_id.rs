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
        let run = Run::of(text);
        if run.len != text.len() {
            return None;
        }
        run.id(text)
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

/// The leading run of `[0-9A-Za-z]` in a text, measured in one pass (at most `MAX + 1`
/// bytes: a longer run is no queue ID anyway).
struct Run {
    len: usize,
    digit: bool,
    lower: bool,
}

const UPPER: u8 = 1;
const DIGIT: u8 = 2;
const LOWER: u8 = 4;

/// What each byte is to a queue ID: 0 (not part of one), `UPPER`, `DIGIT` or `LOWER`. One
/// table look-up per byte instead of three range tests: every Postfix line goes through here.
// Built at compile time: an index out of bounds would fail the build, never panic at run time.
#[allow(clippy::indexing_slicing)]
const CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        class[b] = match b as u8 {
            b'A'..=b'Z' => UPPER,
            b'0'..=b'9' => DIGIT,
            b'a'..=b'z' => LOWER,
            _ => 0,
        };
        b += 1;
    }
    class
};

impl Run {
    fn of(text: &[u8]) -> Run {
        let mut len = 0;
        let mut seen = 0u8;
        for &b in text.iter().take(MAX + 1) {
            let class = CLASS.get(usize::from(b)).copied().unwrap_or(0);
            if class == 0 {
                break;
            }
            seen |= class;
            len += 1;
        }
        Run {
            len,
            digit: seen & DIGIT != 0,
            lower: seen & LOWER != 0,
        }
    }

    /// The queue ID made of the run's bytes, if the run has the shape of one (see `new`).
    fn id(&self, text: &[u8]) -> Option<QueueId> {
        if self.len < MIN || self.len > MAX || (!self.digit && self.lower) {
            return None;
        }
        let word = text.get(..self.len)?;
        if word == b"NOQUEUE" {
            return None;
        }
        let mut bytes = [0u8; MAX];
        bytes.get_mut(..self.len)?.copy_from_slice(word);
        Some(QueueId {
            len: self.len as u8,
            bytes,
        })
    }
}

/// Splits `QUEUEID: rest` or `NOQUEUE: rest`; the ID must stand first and be followed by `: `.
pub fn lead(text: &[u8]) -> (Lead, &[u8]) {
    // A queue ID is all alphanumerics, so the run ends exactly where the `: ` must stand; one
    // pass over it both finds that end and checks the ID's shape.
    let run = Run::of(text);
    let Some(rest) = text
        .get(run.len..)
        .and_then(|after| after.strip_prefix(b": "))
    else {
        return (Lead::None, text);
    };
    if text.get(..run.len) == Some(b"NOQUEUE") {
        return (Lead::NoQueue, rest);
    }
    match run.id(text) {
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
    fn the_class_table_agrees_with_the_ascii_predicates() {
        for b in 0..=255u8 {
            let want = if b.is_ascii_uppercase() {
                UPPER
            } else if b.is_ascii_digit() {
                DIGIT
            } else if b.is_ascii_lowercase() {
                LOWER
            } else {
                0
            };
            assert_eq!(CLASS[usize::from(b)], want, "{b}");
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
        // Not alphanumeric before the colon, too short, too long, lower case without a digit.
        for text in [
            &b"1A2B-3C4D5E: removed"[..],
            b"1A2B: removed",
            b"1234567890123456789012345: removed",
            b"abcdefg: removed",
            b"NOQUEUE:reject",
            b"",
        ] {
            assert_eq!(lead(text), (Lead::None, text));
        }
        let longest = b"123456789012345678901234: removed";
        assert!(matches!(lead(longest), (Lead::Id(_), b"removed")));
        assert!(QueueId::new(b"1A2B3C4D5E ").is_none());
        assert!(QueueId::new(b"NOQUEUE").is_none());
        assert!(QueueId::new(b"ABCDEF").is_some());
    }
}
