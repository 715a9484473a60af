//! Small, allocation-free helpers for reading fields out of log text.
//!
//! Postfix writes its lines for people, not machines: `key=value` pairs separated by `, `,
//! addresses in angle brackets, clients as `name[ip]:port`. These helpers find those shapes in
//! byte slices without copying, and never panic on short or damaged input.

use memchr::memmem;

/// `text` without the leading `prefix`, if it starts with it.
pub fn strip<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    text.strip_prefix(prefix)
}

/// Splits at the first occurrence of `sep`: (before, after).
pub fn split_once<'a>(text: &'a [u8], sep: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let at = memmem::find(text, sep)?;
    Some((
        text.get(..at).unwrap_or_default(),
        text.get(at + sep.len()..).unwrap_or_default(),
    ))
}

/// Splits at the last occurrence of `sep`: (before, after).
pub fn rsplit_once<'a>(text: &'a [u8], sep: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let at = memmem::rfind(text, sep)?;
    Some((
        text.get(..at).unwrap_or_default(),
        text.get(at + sep.len()..).unwrap_or_default(),
    ))
}

/// How many leading bytes `find_byte` looks at itself before it hands over to `memchr`.
const SHORT: usize = 32;

/// Position of the first `needle` in `text`. Most fields of a log line are a few bytes long,
/// and for those setting up a vectorised search costs more than the search: the first `SHORT`
/// bytes are looked at eight at a time in a plain `u64`, then `memchr` takes over, so long
/// input is still scanned fast.
// Small and called for nearly every field of every line: worth inlining across modules.
#[inline]
pub fn find_byte(text: &[u8], needle: u8) -> Option<usize> {
    let mut at = 0;
    while at < SHORT {
        let rest = text.get(at..).unwrap_or_default();
        let Some(chunk) = rest.first_chunk::<8>() else {
            return rest.iter().position(|&b| b == needle).map(|i| at + i);
        };
        // The little-endian load puts the first byte lowest.
        let zeros = first_equal_byte(u64::from_le_bytes(*chunk), needle);
        if zeros != 0 {
            return Some(at + (zeros.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = text.get(at..)?;
    memchr::memchr(needle, tail).map(|i| at + i)
}

/// Eight bytes of `text` from `at` as a little-endian word (the first byte lowest), zero bytes
/// standing in past its end; `None` when `at` is at or past the end.
#[inline]
pub fn word_at(text: &[u8], at: usize) -> Option<u64> {
    let rest = text.get(at..).filter(|rest| !rest.is_empty())?;
    Some(u64::from_le_bytes(padded(rest)))
}

/// The first `N` bytes of `text`, zeros past its end.
#[inline]
fn padded<const N: usize>(text: &[u8]) -> [u8; N] {
    match text.first_chunk::<N>() {
        Some(head) => *head,
        None => {
            let mut padded = [0u8; N];
            if let Some(to) = padded.get_mut(..text.len()) {
                to.copy_from_slice(text);
            }
            padded
        }
    }
}

/// The first 16 bytes of `text` as a number, the first byte lowest, zeros past its end: a
/// short prefix is then compared in one step (`Prefix`).
#[inline]
pub fn head16(text: &[u8]) -> u128 {
    u128::from_le_bytes(padded(text))
}

/// The first 32 bytes of `text` as two numbers (`head16` of them and of the 16 after).
#[inline]
pub fn head32(text: &[u8]) -> [u128; 2] {
    let bytes: [u8; 32] = padded(text);
    let (low, high) = bytes.split_at(16);
    let half = |b: &[u8]| u128::from_le_bytes(b.try_into().unwrap_or_default());
    [half(low), half(high)]
}

/// A constant prefix of up to 16 bytes, none of them zero, tested against a text's `head16`
/// with one mask and one comparison (zeros past a short text's end match no byte of it).
#[derive(Debug, Clone, Copy)]
pub struct Prefix {
    bytes: u128,
    mask: u128,
    len: usize,
}

impl Prefix {
    /// Built at compile time: a prefix too long fails the build.
    pub const fn new(prefix: &[u8]) -> Prefix {
        assert!(!prefix.is_empty() && prefix.len() <= 16);
        let mut bytes = 0u128;
        let mut i = 0;
        while i < prefix.len() {
            // `i` < `prefix.len()`: checked just above, and at compile time.
            #[allow(clippy::indexing_slicing)]
            let b = prefix[i];
            assert!(b != 0);
            bytes |= (b as u128) << (8 * i);
            i += 1;
        }
        Prefix {
            bytes,
            mask: u128::MAX >> (128 - 8 * prefix.len()),
            len: prefix.len(),
        }
    }

    /// `text` after the prefix, when `head` (`head16(text)`) starts with it.
    #[inline]
    pub fn strip<'a>(&self, head: u128, text: &'a [u8]) -> Option<&'a [u8]> {
        if head & self.mask == self.bytes {
            text.get(self.len..)
        } else {
            None
        }
    }
}

/// A word with every byte 0x01, 0x80, 0x7f: the constants of the eight-bytes-at-a-time tests.
pub(crate) const ONES: u64 = u64::from_le_bytes([0x01; 8]);
pub(crate) const HIGHS: u64 = ONES * 0x80;
pub(crate) const LOWS: u64 = ONES * 0x7f;

/// The high bit of each byte of `word` (each below 0x80) that lies in `lo..=hi`. Adding
/// `0x80 - lo` sets a byte's high bit exactly when it is at least `lo`, adding `0x7f - hi`
/// exactly when it is above `hi`; bytes below 0x80 never carry into their neighbour.
pub(crate) const fn in_range(word: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = word.wrapping_add(ONES * (0x80 - lo as u64));
    let above_hi = word.wrapping_add(ONES * (0x7f - hi as u64));
    at_least_lo & !above_hi & HIGHS
}

/// The high bit of each byte of `word` equal to `needle`, and of no other: exact for every
/// byte (unlike the zero-byte test `find_byte` uses, which is exact for the first match only).
#[inline]
pub fn equal_bytes(word: u64, needle: u8) -> u64 {
    let v = word ^ (ONES * u64::from(needle));
    // A byte's high bit ends up set when any of its bits is: adding 0x7f to its low seven bits
    // carries into bit 7 unless they are all zero, and never out of the byte.
    let nonzero = ((v & LOWS).wrapping_add(LOWS) | v) & HIGHS;
    !nonzero & HIGHS
}

/// The high bit of the first byte of `word` equal to `needle` (the lowest byte first), and
/// maybe of some later bytes too: the classic zero-byte test, exact for the first match only
/// (a borrow only ever runs towards later bytes), and cheaper than `equal_bytes`.
#[inline]
pub fn first_equal_byte(word: u64, needle: u8) -> u64 {
    let v = word ^ (ONES * u64::from(needle));
    v.wrapping_sub(ONES) & !v & HIGHS
}

/// The number written by the first `n` bytes of `word` (1 to 7 ASCII digits, the first byte
/// lowest), all converted at once: the digits moved to the top of the word behind zeros, then
/// pairs, fours and eights of them joined by three multiplications.
#[inline]
pub fn word_digits(word: u64, n: usize) -> u32 {
    debug_assert!((1..=7).contains(&n));
    let digits = word << (64 - 8 * n as u32);
    let pairs = ((digits & (ONES * 0x0f)).wrapping_mul(2561)) >> 8;
    let fours = ((pairs & 0x00ff_00ff_00ff_00ff).wrapping_mul(6_553_601)) >> 16;
    ((fours & 0x0000_ffff_0000_ffff).wrapping_mul(42_949_672_960_001) >> 32) as u32
}

/// Position of the first `a` or `b` in `text`: `find_byte` for two needles (eight bytes at a
/// time over the first `SHORT`, then `memchr2`).
#[inline]
pub fn find_either(text: &[u8], a: u8, b: u8) -> Option<usize> {
    let mut at = 0;
    while at < SHORT {
        let rest = text.get(at..).unwrap_or_default();
        let Some(chunk) = rest.first_chunk::<8>() else {
            return rest.iter().position(|&c| c == a || c == b).map(|i| at + i);
        };
        let word = u64::from_le_bytes(*chunk);
        // Each test is exact for its first match: their union is exact for the first of both.
        let found = first_equal_byte(word, a) | first_equal_byte(word, b);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = text.get(at..)?;
    memchr::memchr2(a, b, tail).map(|i| at + i)
}

/// The first word (up to a space) and the rest after the space.
// Small and called for nearly every field of every line: worth inlining across modules.
#[inline]
pub fn word(text: &[u8]) -> (&[u8], &[u8]) {
    match find_byte(text, b' ') {
        Some(at) => (
            text.get(..at).unwrap_or_default(),
            text.get(at + 1..).unwrap_or_default(),
        ),
        None => (text, &[]),
    }
}

pub fn contains(text: &[u8], needle: &[u8]) -> bool {
    memmem::find(text, needle).is_some()
}

/// Parses an unsigned decimal number; `None` for empty or non-digit input or overflow.
// Small and called for nearly every field of every line: worth inlining across modules.
#[inline]
pub fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in text {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    Some(n)
}

/// `parse_u64` of a count that must fit a `u32` (`nrcpt=`, `conn_use=`, `uid=`): `None` when
/// it does not.
#[inline]
pub fn parse_u32(text: &[u8]) -> Option<u32> {
    parse_u64(text).and_then(|n| u32::try_from(n).ok())
}

/// Parses a decimal like `0.15`, `3`, `72` (Postfix delays) into seconds.
// Small and called for nearly every field of every line: worth inlining across modules.
#[inline]
pub fn parse_seconds(text: &[u8]) -> Option<f64> {
    let (seconds, used) = leading_seconds(text)?;
    (used == text.len()).then_some(seconds)
}

/// The decimal at the start of `text` (digits and at most one `.`, up to the first other
/// byte, which is not read) in seconds, and how many bytes it took: `parse_seconds` of those
/// bytes, found in the same pass that reads them. `None` when there are none or more than 18.
#[inline]
pub fn leading_seconds(text: &[u8]) -> Option<(f64, usize)> {
    // The two shapes of nearly every `delay=` and `delays=` number, matched whole instead of
    // a byte at a time: a lone `0`, and `D.DD` (`0.01`).
    match text {
        [b'0', next, ..] if !next.is_ascii_digit() && *next != b'.' => return Some((0.0, 1)),
        [units, b'.', tenths, hundredths, next, ..] if !next.is_ascii_digit() => {
            if let Some(seconds) = two_decimals(*units, *tenths, *hundredths) {
                return Some((seconds, 4));
            }
        }
        _ => {}
    }
    leading_seconds_plain(text)
}

/// The seconds of `U.TH` (`0.01`) from its three digit bytes; `None` when one is no digit.
#[inline]
pub fn two_decimals(units: u8, tenths: u8, hundredths: u8) -> Option<f64> {
    let digits = [
        units.wrapping_sub(b'0'),
        tenths.wrapping_sub(b'0'),
        hundredths.wrapping_sub(b'0'),
    ];
    if digits.iter().any(|&digit| digit >= 10) {
        return None;
    }
    let [units, tenths, hundredths] = digits.map(u32::from);
    // The same exact mantissa and one division as `leading_seconds_plain`.
    Some(f64::from(units * 100 + tenths * 10 + hundredths) / 100.0)
}

/// `leading_seconds` a byte at a time, for every shape.
#[inline]
fn leading_seconds_plain(text: &[u8]) -> Option<(f64, usize)> {
    let mut mantissa: u64 = 0;
    let mut scale: u32 = 0;
    let mut dot = false;
    let mut used = 0;
    for &b in text {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            // Wrapping: past 18 bytes the value is thrown away anyway.
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
            scale += u32::from(dot);
        } else if b == b'.' && !dot {
            dot = true;
        } else {
            break;
        }
        used += 1;
    }
    if used == 0 || used > 18 {
        return None;
    }
    // Both operands are exact (at most 17 digits; powers of ten up to 10^22 are exact too),
    // so the one division is correctly rounded: `2.97` reads back as 2.97.
    const POWERS: [f64; 18] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17,
    ];
    let power = POWERS.get(scale as usize)?;
    Some((mantissa as f64 / power, used))
}

/// The value of `key<...>` (e.g. `from=<`, `to=<`): the text between the opening `<` and the
/// `>` that closes the field (followed by end, `,`, or a space). Searches anywhere in `text`.
pub fn angle_field<'a>(text: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    // Often asked of an empty rest (`client=C` and nothing after): no searcher to build then.
    if text.len() < key.len() {
        return None;
    }
    let mut from = 0;
    while let Some(at) = memmem::find(text.get(from..).unwrap_or_default(), key) {
        let start = from + at;
        // The key must start a field: at the beginning or after a space or comma.
        if start == 0 || matches!(text.get(start - 1), Some(b' ' | b',')) {
            let value_start = start + key.len();
            return angle_value(text.get(value_start..).unwrap_or_default()).map(|(v, _)| v);
        }
        from = start + key.len();
    }
    None
}

/// Given text just after an opening `<`, returns (value, rest after the closing `>`), or
/// `None` when the line was cut before the `>` (a cut address is not an address).
/// The closing `>` is the first one followed by end of text, `,`, space, `;` or `:` —
/// addresses may themselves contain `>` inside quotes, which this tolerates in the common case.
pub fn angle_value(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut i = 0;
    while let Some(at) = find_byte(text.get(i..).unwrap_or_default(), b'>') {
        let end = i + at;
        match text.get(end + 1) {
            None | Some(b',') | Some(b' ') | Some(b';') | Some(b':') => {
                return Some((
                    text.get(..end).unwrap_or_default(),
                    text.get(end + 1..).unwrap_or_default(),
                ));
            }
            _ => i = end + 1,
        }
    }
    None
}

/// A `name[address]` or `name[address]:port` client or relay, as Postfix prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint<'a> {
    pub name: &'a [u8],
    pub ip: &'a [u8],
    pub port: Option<&'a [u8]>,
}

/// Parses `name[ip]`, `name[ip]:port` or `[ip]:port` (postscreen) from the start of `text`;
/// returns the endpoint and the rest after it.
pub fn endpoint(text: &[u8]) -> Option<(Endpoint<'_>, &[u8])> {
    // The name holds no space: the first `[` or space must be a `[`. One search for both
    // instead of a search for `[` and another for a space in the name.
    let open = find_either(text, b'[', b' ')?;
    if text.get(open) != Some(&b'[') {
        return None;
    }
    let name = text.get(..open).unwrap_or_default();
    let close = open + 1 + find_byte(text.get(open + 1..).unwrap_or_default(), b']')?;
    let ip = text.get(open + 1..close).unwrap_or_default();
    let mut rest = text.get(close + 1..).unwrap_or_default();
    let mut port = None;
    if let Some(after) = rest.strip_prefix(b":") {
        let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 {
            port = Some(after.get(..digits).unwrap_or_default());
            rest = after.get(digits..).unwrap_or_default();
        }
    }
    Some((Endpoint { name, ip, port }, rest))
}

/// Finds `key` (like `helo=<`) and returns its angle value; `key` must include the `<`.
pub fn field_after<'a>(text: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    angle_field(text, key)
}

/// Value of a plain `key=value` field ended by `,` or space, anywhere in `text` at a field start.
pub fn plain_field<'a>(text: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    // Often asked of an empty rest (`client=C` and nothing after): no searcher to build then.
    if text.len() < key.len() {
        return None;
    }
    let mut from = 0;
    while let Some(at) = memmem::find(text.get(from..).unwrap_or_default(), key) {
        let start = from + at;
        if start == 0 || matches!(text.get(start - 1), Some(b' ' | b',')) {
            let v = text.get(start + key.len()..).unwrap_or_default();
            let end = v
                .iter()
                .position(|&b| b == b',' || b == b' ')
                .unwrap_or(v.len());
            return Some(v.get(..end).unwrap_or_default());
        }
        from = start + key.len();
    }
    None
}

/// Strips one pair of surrounding parentheses, if present.
pub fn unparen(text: &[u8]) -> &[u8] {
    match text.strip_prefix(b"(") {
        Some(inner) => inner.strip_suffix(b")").unwrap_or(inner),
        None => text,
    }
}

/// Position of the last occurrence of `needle` in `text`.
pub fn memrfind(text: &[u8], needle: &[u8]) -> Option<usize> {
    memmem::rfind(text, needle)
}

/// The next of a xorshift sequence of pseudo-random numbers in `state`: the tests that compare
/// a fast scan with a plain one on many made-up texts draw them from it.
#[cfg(test)]
pub(crate) fn xorshift(state: &mut u64) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angle_field_finds_addresses_and_null_sender() {
        let t = b"from=<alice@lab.example>, size=488, nrcpt=1 (queue active)";
        assert_eq!(angle_field(t, b"from=<"), Some(&b"alice@lab.example"[..]));
        assert_eq!(angle_field(b"x from=<>, size=1", b"from=<"), Some(&b""[..]));
        assert_eq!(angle_field(b"xfrom=<a>", b"from=<"), None);
        assert_eq!(angle_field(b"", b"from=<"), None);
        assert_eq!(angle_field(b"from=<", b"from=<"), None);
        assert_eq!(angle_field(b"from=<>", b"from=<"), Some(&b""[..]));
        assert_eq!(plain_field(b"", b"size="), None);
        assert_eq!(plain_field(b"size", b"size="), None);
        assert_eq!(plain_field(b"size=", b"size="), Some(&b""[..]));
        assert_eq!(plain_field(b"a=1, size=2 x", b"size="), Some(&b"2"[..]));
    }

    #[test]
    fn endpoint_parses_names_ips_and_ports() {
        let (e, rest) = endpoint(b"mail.example.com[203.0.113.1]:25, delay=3").unwrap();
        assert_eq!(e.name, b"mail.example.com");
        assert_eq!(e.ip, b"203.0.113.1");
        assert_eq!(e.port, Some(&b"25"[..]));
        assert_eq!(rest, b", delay=3");
        let (e, _) = endpoint(b"[127.0.0.1]:57845 to [127.0.0.1]:25").unwrap();
        assert_eq!(e.name, b"");
        assert!(endpoint(b"no brackets here").is_none());
        assert!(endpoint(b"broken[1.2.3.4").is_none());
    }

    #[test]
    fn find_byte_agrees_with_memchr_on_both_sides_of_the_short_scan() {
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 100] {
            for at in 0..len {
                let mut text = vec![b'a'; len];
                text[at] = b'x';
                if at + 1 < len {
                    text[len - 1] = b'x';
                }
                assert_eq!(find_byte(&text, b'x'), memchr::memchr(b'x', &text));
            }
            assert_eq!(find_byte(&vec![b'a'; len], b'x'), None);
        }
        // Every byte value as needle and as haystack, high bytes included (the zero-byte test
        // must not take a neighbour of a match, or a byte >= 0x80, for a match).
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            crate::parse::bytes::xorshift(&mut state);
            let len = (state % 48) as usize;
            let text: Vec<u8> = (0..len)
                .map(|i| {
                    let b = (state >> (i % 8 * 8)) as u8;
                    // Few distinct values, so that needles are often found, twice or more.
                    [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, b'=', b','][usize::from(b % 8)]
                })
                .collect();
            let needle = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, b'=', b','][(state >> 61) as usize];
            assert_eq!(find_byte(&text, needle), memchr::memchr(needle, &text));
        }
    }

    #[test]
    fn equal_bytes_flags_every_match_and_nothing_else() {
        let values = [
            0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff, b'/', b'[', b':', b' ',
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            crate::parse::bytes::xorshift(&mut state);
            let bytes: [u8; 8] =
                std::array::from_fn(|i| values[(state >> (i * 4)) as usize % values.len()]);
            let needle = values[(state >> 60) as usize % values.len()];
            let want = bytes
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == needle)
                .fold(0u64, |m, (i, _)| m | 0x80 << (i * 8));
            assert_eq!(
                equal_bytes(u64::from_le_bytes(bytes), needle),
                want,
                "{bytes:?} {needle}"
            );
        }
        assert_eq!(word_at(b"abc", 3), None);
        assert_eq!(
            word_at(b"abc", 1),
            Some(u64::from_le_bytes(*b"bc\0\0\0\0\0\0"))
        );
        assert_eq!(
            word_at(b"abcdefghi", 0),
            Some(u64::from_le_bytes(*b"abcdefgh"))
        );
    }

    #[test]
    fn prefixes_match_as_starts_with_does() {
        let prefixes: [&[u8]; 4] = [b"to=", b"conn_use=", b"0123456789abcdef", b"x"];
        let texts: [&[u8]; 9] = [
            b"",
            b"t",
            b"to",
            b"to=",
            b"to=<a>",
            b"tox=",
            b"conn_use=3",
            b"0123456789abcdef!",
            b"0123456789abcdeF",
        ];
        for p in prefixes {
            let prefix = Prefix::new(p);
            for t in texts {
                assert_eq!(prefix.strip(head16(t), t), t.strip_prefix(p), "{p:?} {t:?}");
            }
        }
    }

    #[test]
    fn find_either_agrees_with_memchr2() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            crate::parse::bytes::xorshift(&mut state);
            let len = (state % 80) as usize;
            let text: Vec<u8> = (0..len)
                .map(|i| {
                    let b = state.rotate_left(i as u32 * 3) as u8;
                    [b'[', b' ', b'Z', b'\\', 0x80, 0xfb, b'a', b'x'][usize::from(b % 8)]
                })
                .collect();
            let (a, b) = [(b'[', b' '), (b'x', 0x80), (0xfb, b'[')][(state >> 62) as usize % 3];
            assert_eq!(
                find_either(&text, a, b),
                memchr::memchr2(a, b, &text),
                "{text:?}"
            );
        }
        // The endpoint's name holds no space.
        assert!(endpoint(b"a b[1.2.3.4]").is_none());
        assert!(endpoint(b"ab [1.2.3.4]").is_none());
        assert_eq!(endpoint(b"ab[1.2.3.4] x").unwrap().0.name, b"ab");
    }

    #[test]
    fn numbers_parse_and_reject_garbage() {
        assert_eq!(parse_seconds(b"0.15"), Some(0.15));
        assert_eq!(parse_seconds(b"72"), Some(72.0));
        assert_eq!(parse_seconds(b"1.2.3"), None);
        assert_eq!(parse_seconds(b"0.0000000000000001"), Some(1e-16));
        assert_eq!(parse_seconds(b"."), Some(0.0));
        // A lone zero, and zeros that go on.
        for (text, want) in [
            (&b"0/0"[..], Some((0.0, 1))),
            (b"0, dsn", Some((0.0, 1))),
            (b"0", Some((0.0, 1))),
            (b"0.5/", Some((0.5, 3))),
            (b"01/", Some((1.0, 2))),
            (b"0\xb0", Some((0.0, 1))),
            (b"/0", None),
        ] {
            assert_eq!(leading_seconds(text), want, "{text:?}");
        }
        assert_eq!(parse_u64(b"99999999999999999999"), None);
        assert_eq!(parse_u64(b"488"), Some(488));
    }

    /// `leading_seconds` (with its shortcuts for `0` and `D.DD`) against its plain reading,
    /// and both against `str::parse::<f64>` for every whole number they take.
    #[test]
    fn leading_seconds_shortcuts_read_as_the_plain_way() {
        fn check(number: &[u8], after: &[u8]) {
            let text = [number, after].concat();
            let got = leading_seconds(&text);
            assert_eq!(got, leading_seconds_plain(&text), "{text:?}");
            if let Some((seconds, used)) = got {
                let read = std::str::from_utf8(text.get(..used).unwrap()).unwrap();
                // `str::parse` wants a digit somewhere (`.` alone reads as zero here), and the
                // one division is exact only for mantissas below 2^53 (15 digits surely).
                let digits = read.bytes().filter(u8::is_ascii_digit).count();
                if read != "." && digits <= 15 {
                    let want: f64 = read.parse().unwrap();
                    assert_eq!(seconds.to_bits(), want.to_bits(), "{text:?}");
                }
            }
        }
        let ends: [&[u8]; 8] = [b"", b"/0", b", dsn=2.0.0", b".", b"5", b"x", b"\xff", b" "];
        for hundredths in 0..10_000 {
            let number = format!("{}.{:02}", hundredths / 100, hundredths % 100);
            for end in ends {
                check(number.as_bytes(), end);
                check(format!("{}", hundredths / 100).as_bytes(), end);
                check(
                    format!("{}.{}", hundredths / 100, hundredths % 10).as_bytes(),
                    end,
                );
            }
        }
        let odd: [&[u8]; 14] = [
            b"",
            b".",
            b"0",
            b"00",
            b"0.",
            b"5.",
            b".5",
            b"0.0.1",
            b"1..2",
            b"a.12",
            b"1.a2",
            b"99999999999999999",
            b"123456789012345678",
            b"0.0000000000000001",
        ];
        for number in odd {
            for end in ends {
                check(number, end);
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..50_000 {
            crate::parse::bytes::xorshift(&mut state);
            let len = (state % 19) as usize + 1;
            let dot = (state >> 8) as usize % (len + 1);
            let text: Vec<u8> = (0..len)
                .map(|i| {
                    let digit = (state.rotate_left(i as u32 * 5) % 10) as u8;
                    if i == dot {
                        b'.'
                    } else {
                        b'0' + digit
                    }
                })
                .collect();
            check(&text, b"/");
        }
    }
}
