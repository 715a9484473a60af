//! Log bytes to text, and text to what may safely reach a terminal.
//!
//! Log lines are bytes: most are UTF-8, some are Latin-1 or garbage, and parts of them (EHLO
//! names, addresses, remote replies) are written by strangers. Owned text keeps valid UTF-8 and
//! shows each invalid byte as `\xNN`; terminal output further escapes control characters so that
//! no log line can move the cursor, change colours or set the window title.

use crate::parse::bytes::{in_range, LOWS};
use std::borrow::Cow;
use std::fmt::Write as _;

/// The bytes as a `str`, when they are UTF-8. Log text is nearly all ASCII, which `is_ascii`
/// checks a word at a time for a fraction of what `from_utf8`'s general check costs on short
/// strings (message IDs, problems, lines kept for `trace --raw`); the rest is left to it.
#[inline]
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    if bytes.is_ascii() {
        // SAFETY: ASCII bytes are valid UTF-8.
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).ok()
}

/// The bytes as a `String`, invalid UTF-8 bytes written as `\xNN`.
pub fn owned(bytes: &[u8]) -> String {
    match utf8(bytes) {
        Some(s) => s.to_string(),
        None => {
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                for b in chunk.invalid() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
            out
        }
    }
}

/// Text made safe for a terminal: C0/C1 control characters, DEL and Unicode bidi overrides
/// are shown as `\xNN` / `\u{NNNN}`; everything else passes.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) {
            if (c as u32) < 0x100 {
                let _ = write!(out, "\\x{:02x}", c as u32);
            } else {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Whether two byte strings are equal. The strings compared for each line (hosts, syslog
/// names, agents, relays, addresses) are short: eight bytes at a time in place cost less than
/// a call to `memcmp` each.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        let mut i = 0;
        while i + 8 < n {
            if word_at(a, i) != word_at(b, i) {
                return false;
            }
            i += 8;
        }
        // The last eight bytes, overlapping the words before when the length is no multiple.
        word_at(a, n - 8) == word_at(b, n - 8)
    } else if n >= 4 {
        half_at(a, 0) == half_at(b, 0) && half_at(a, n - 4) == half_at(b, n - 4)
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
    }
}

/// The eight bytes at `i` as a number (0 past the end, which the callers never ask).
#[inline]
fn word_at(s: &[u8], i: usize) -> u64 {
    s.get(i..i + 8)
        .and_then(|w| w.try_into().ok())
        .map_or(0, u64::from_ne_bytes)
}

/// Whether any byte is an ASCII capital letter, eight bytes at a time: the addresses checked
/// for every counted message are short, and a byte-at-a-time look costs several times more.
pub(crate) fn has_ascii_uppercase(bytes: &[u8]) -> bool {
    // The low seven bits of each byte in `A..=Z`; `!w` leaves out bytes that are not ASCII.
    let upper_in = |w: u64| in_range(w & LOWS, b'A', b'Z') & !w != 0;
    // As in `same_bytes`: whole words, the last one overlapping the words before.
    let n = bytes.len();
    if n >= 8 {
        let mut found = false;
        let mut i = 0;
        while i + 8 < n {
            found |= upper_in(word_at(bytes, i));
            i += 8;
        }
        found | upper_in(word_at(bytes, n - 8))
    } else if n >= 4 {
        upper_in(u64::from(half_at(bytes, 0)) | u64::from(half_at(bytes, n - 4)) << 32)
    } else {
        bytes.iter().any(u8::is_ascii_uppercase)
    }
}

/// The four bytes at `i` as a number (0 past the end, which the callers never ask).
#[inline]
fn half_at(s: &[u8], i: usize) -> u32 {
    s.get(i..i + 4)
        .and_then(|w| w.try_into().ok())
        .map_or(0, u32::from_ne_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_as_from_utf8_says() {
        let mut texts: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"<x02.20261128181934.postlogd.c0@client.lab.example>".to_vec(),
            "caf\u{e9} \u{65e5}\u{672c}".as_bytes().to_vec(),
            b"caf\xe9".to_vec(),
            b"\xf0\x9f\x98".to_vec(),
            b"\x7f\x80".to_vec(),
        ];
        for n in 0..40 {
            for b in [b'a', 0x7f, 0x80, 0xc3, 0xff] {
                let mut t = vec![b'x'; n];
                t.push(b);
                texts.push(t);
            }
        }
        for t in &texts {
            assert_eq!(utf8(t), std::str::from_utf8(t).ok(), "{t:?}");
        }
    }

    #[test]
    fn uppercase_found_as_byte_by_byte() {
        for n in 0..40usize {
            for c in [
                b'@', b'A', b'M', b'Z', b'[', b'a', b'z', 0xc1, 0xda, 0xff, 0x5a,
            ] {
                for i in 0..n {
                    let mut a: Vec<u8> = (0..n).map(|k| b'a' + (k % 26) as u8).collect();
                    a[i] = c;
                    let plain = a.iter().any(u8::is_ascii_uppercase);
                    assert_eq!(has_ascii_uppercase(&a), plain, "{a:?}");
                }
            }
        }
        for b in 0..=255u8 {
            assert_eq!(has_ascii_uppercase(&[b; 11]), b.is_ascii_uppercase(), "{b}");
        }
    }

    #[test]
    fn short_bytes_compare_as_slices_do() {
        let texts: Vec<Vec<u8>> = (0..40)
            .flat_map(|n| {
                let base: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
                let mut first = base.clone();
                let mut last = base.clone();
                if let Some(b) = first.first_mut() {
                    *b = b'Z';
                }
                if let Some(b) = last.last_mut() {
                    *b = b'Z';
                }
                let mut middle = base.clone();
                if let Some(b) = middle.get_mut(n / 2) {
                    *b = b'Z';
                }
                [base, first, last, middle]
            })
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(same_bytes(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn same_bytes_tells_every_difference() {
        for n in 0..40 {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_bytes(&a, &a.clone()));
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x20;
                assert!(!same_bytes(&a, &b), "length {n}, byte {i}");
            }
            assert!(!same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }

    #[test]
    fn invalid_utf8_is_escaped_not_rejected() {
        assert_eq!(owned(b"caf\xe9 ok"), "caf\\xe9 ok");
        assert_eq!(owned("日本".as_bytes()), "日本");
    }

    #[test]
    fn terminal_escapes_control_sequences() {
        assert_eq!(terminal("a\x1b[31mred\x07"), "a\\x1b[31mred\\x07");
        assert_eq!(terminal("plain"), "plain");
        assert_eq!(terminal("x\u{202e}y"), "x\\u{202e}y");
    }
}
