//! Postfix queue IDs: short (`1A2B3C4D5E`, hex by default but the seed writes `5F6G7H8I9J`),
//! long (`enable_long_queue_ids`: `4Ybc2m1DTzz9sqk`), and the `NOQUEUE` placeholder.

use super::bytes::{in_range, word_at, HIGHS, LOWS, ONES};
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
        run.id()
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The ID's bytes as words, zeros past its length (so that they say the length too): a
    /// hash of a few multiplications reads them.
    pub fn words(&self) -> [u64; MAX / 8] {
        let mut words = [0; MAX / 8];
        for (word, bytes) in words.iter_mut().zip(self.bytes.chunks_exact(8)) {
            *word = bytes.try_into().map_or(0, u64::from_le_bytes);
        }
        words
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

/// The leading run of `[0-9A-Za-z]` in a text, measured in one pass (at most `WORDS` × 8
/// bytes: a run longer than `MAX` is no queue ID anyway, whatever its exact length).
struct Run {
    len: usize,
    digit: bool,
    lower: bool,
    /// The run's first `MAX` bytes, zeros after: the bytes of the queue ID it may be.
    words: [u64; MAX / 8],
}

/// How many eight-byte words `Run::of` looks at: enough to see past `MAX`.
const WORDS: usize = MAX.div_ceil(8) + 1;

impl Run {
    /// Every Postfix line goes through here: eight bytes at a time, with the tests of the
    /// three classes done on all eight at once (the byte-at-a-time table loop this replaced
    /// cost about 100 instructions a line).
    // Inlined into `lead`: the call and the returned words through memory cost a third of it.
    #[inline(always)]
    fn of(text: &[u8]) -> Run {
        let mut digits = 0u64;
        let mut lowers = 0u64;
        let mut words = [0u64; MAX / 8];
        for word_index in 0..WORDS {
            let at = word_index * 8;
            // Past the text's end stand zero bytes, which end the run.
            let word = word_at(text, at).unwrap_or(0);
            let ascii = word & LOWS;
            let digit = in_range(ascii, b'0', b'9');
            // Upper and lower case letters alike, once bit 0x20 is set; the letters whose
            // bit 0x20 was set already are the lower case ones.
            let letter = in_range(ascii | (ONES * 0x20), b'a', b'z');
            let lower = letter & (ascii << 2);
            // Bytes of 0x80 and above are none of these.
            let alnum = (digit | letter) & !word;
            let others = !alnum & HIGHS;
            // The bytes of this word inside the run: below its first other byte (whose high
            // bit is bit 7 of its byte).
            let (inside, len) = if others == 0 {
                (u64::MAX, 8)
            } else {
                let first = others.trailing_zeros() / 8;
                ((1u64 << (first * 8)) - 1, first as usize)
            };
            digits |= digit & inside;
            lowers |= lower & inside;
            if let Some(kept) = words.get_mut(word_index) {
                *kept = word & inside;
            }
            if others != 0 {
                return Run {
                    len: at + len,
                    digit: digits != 0,
                    lower: lowers != 0,
                    words,
                };
            }
        }
        Run {
            len: WORDS * 8,
            digit: digits != 0,
            lower: lowers != 0,
            words,
        }
    }

    /// The queue ID made of the run's bytes, if the run has the shape of one (see `new`).
    fn id(&self) -> Option<QueueId> {
        if self.len < MIN || self.len > MAX || (!self.digit && self.lower) {
            return None;
        }
        if self.is_noqueue() {
            return None;
        }
        let mut bytes = [0u8; MAX];
        for (to, word) in bytes.chunks_exact_mut(8).zip(self.words) {
            to.copy_from_slice(&word.to_le_bytes());
        }
        Some(QueueId {
            len: self.len as u8,
            bytes,
        })
    }

    fn is_noqueue(&self) -> bool {
        self.len == 7 && self.words.first() == Some(&u64::from_le_bytes(*b"NOQUEUE\0"))
    }
}

/// Splits `QUEUEID: rest` or `NOQUEUE: rest`; the ID must stand first and be followed by `: `.
// Inlined where it is called: one of a few callers per line, and the ID it returns stays out
// of memory.
#[inline(always)]
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
    if run.is_noqueue() {
        return (Lead::NoQueue, rest);
    }
    match run.id() {
        Some(id) => (Lead::Id(id), rest),
        None => (Lead::None, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_the_bytes_and_tell_ids_apart_as_equality_does() {
        let texts: [&[u8]; 7] = [
            b"ABCDE",
            b"ABCDE1",
            b"1ABCDE",
            b"4Ybc2m1DTzz9sqk",
            b"4Ybc2m1DTzz9sqK",
            b"123456789012345678901234",
            b"12345678901234567890123",
        ];
        let ids: Vec<QueueId> = texts.iter().filter_map(|t| QueueId::new(t)).collect();
        assert_eq!(ids.len(), texts.len());
        for a in &ids {
            let bytes: Vec<u8> = a.words().iter().flat_map(|w| w.to_le_bytes()).collect();
            assert_eq!(&bytes[..a.as_bytes().len()], a.as_bytes());
            assert!(bytes[a.as_bytes().len()..].iter().all(|&b| b == 0));
            for b in &ids {
                assert_eq!(a == b, a.words() == b.words(), "{a} {b}");
            }
        }
    }

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

    /// `Run::of` as it was first written, a byte at a time: the word-at-a-time one must agree.
    fn run_by_bytes(text: &[u8]) -> (usize, bool, bool) {
        let len = text
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let run = &text[..len];
        (
            len,
            run.iter().any(u8::is_ascii_digit),
            run.iter().any(u8::is_ascii_lowercase),
        )
    }

    fn agrees(text: &[u8]) {
        let run = Run::of(text);
        let (len, digit, lower) = run_by_bytes(text);
        let shown = String::from_utf8_lossy(text);
        if len > MAX {
            // Too long for an ID: only that it is too long matters.
            assert!(run.len > MAX, "{shown}");
            return;
        }
        assert_eq!(
            (run.len, run.digit, run.lower),
            (len, digit, lower),
            "{shown}"
        );
    }

    #[test]
    fn the_word_at_a_time_run_agrees_with_the_ascii_predicates() {
        // Every byte value after every length of run, in every position of the words.
        for b in 0..=255u8 {
            for prefix in 0..34 {
                for fill in [b'A', b'a', b'7'] {
                    let mut text = vec![fill; prefix];
                    text.push(b);
                    text.extend_from_slice(b"Zz9: removed");
                    agrees(&text);
                    agrees(&text[..prefix + 1]);
                }
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..50_000 {
            crate::parse::bytes::xorshift(&mut state);
            let len = (state % 40) as usize;
            let text: Vec<u8> = (0..len)
                .map(|i| {
                    let b = (state.rotate_left(i as u32 * 7)) as u8;
                    // Mostly alphanumerics, so that runs are long; the class edges often.
                    let edges = [
                        b'/',
                        b'0',
                        b'9',
                        b':',
                        b'@',
                        b'A',
                        b'Z',
                        b'[',
                        b'`',
                        b'a',
                        b'z',
                        b'{',
                        0x80,
                        0xc1,
                        0xe1,
                        b'0' | 0x80,
                    ];
                    if b % 4 == 0 {
                        edges[usize::from(b / 4 % 16)]
                    } else {
                        b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            [usize::from(b) % 62]
                    }
                })
                .collect();
            agrees(&text);
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
