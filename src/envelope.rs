//! The syslog envelope around every log line: timestamp, host, tag, pid, severity.
//!
//! `Aug 15 08:00:00 mailserver postfix/smtpd[12345]: connect from …` — the envelope is all but
//! the text after `: `. Three timestamp styles are understood: traditional syslog (RFC 3164,
//! no year, no zone), RFC 3339 (rsyslog's high-precision format, journald's `short-iso`), and
//! `2012 Jun 26 08:00:00` with a leading year. A Solaris `[ID n facility.level]` after the tag
//! is skipped. Nothing here allocates; resolving the year and zone is `time`'s job.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::parse::bytes::{
    equal_bytes, find_byte, first_equal_byte, head16, head32, in_range, parse_u64, word, word_at,
    word_digits, HIGHS, LOWS,
};

/// A timestamp as written in the log, before the year and zone are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawStamp {
    /// `Mmm dd hh:mm:ss` — no year, local time.
    Syslog {
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        year: Option<i16>,
    },
    /// RFC 3339: everything known. `offset` in seconds east of UTC; `None` means no zone given.
    Full {
        year: i16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        nanos: u32,
        offset: Option<i32>,
    },
}

/// The severity prefix Postfix puts before the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Error,
    Fatal,
    Panic,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Fatal => "fatal",
            Severity::Panic => "panic",
        }
    }
}

/// The syslog tag split the way Postfix builds it: `postfix[-INSTANCE]/[SERVICE/…/]DAEMON`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program<'a> {
    /// The whole tag before `[pid]`, e.g. `postfix-out/submission/smtpd`.
    pub tag: &'a [u8],
    /// The syslog name, e.g. `postfix` or `postfix-out`.
    pub syslog_name: &'a [u8],
    /// What stands between the syslog name and the daemon, e.g. `submission`, or empty.
    pub service: &'a [u8],
    /// The program's own name, the last component: `smtpd`, `qmgr`, `postfix-script`.
    pub daemon: &'a [u8],
}

/// One log line's envelope and the text it carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Envelope<'a> {
    pub stamp: RawStamp,
    pub host: &'a [u8],
    pub program: Program<'a>,
    pub pid: Option<u32>,
    pub severity: Severity,
    pub text: &'a [u8],
}

fn month_number(name: [u8; 3]) -> Option<u8> {
    // One comparison of three bytes at most per month, no loop over a table.
    Some(match &name {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

fn two_digits(b: &[u8]) -> Option<u8> {
    match b {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Some((a - b'0') * 10 + (b - b'0')),
        _ => None,
    }
}

/// `hh:mm:ss` at the start of `b`.
fn clock(b: &[u8]) -> Option<(u8, u8, u8)> {
    let &[h1, h2, b':', m1, m2, b':', s1, s2] = b.first_chunk::<8>()? else {
        return None;
    };
    let (h, m, s) = (
        two_digits(&[h1, h2])?,
        two_digits(&[m1, m2])?,
        two_digits(&[s1, s2])?,
    );
    (h < 24 && m < 60 && s <= 60).then_some((h, m, s))
}

/// `Mmm dd hh:mm:ss ` (day padded with a space or a zero); returns the stamp and the rest.
fn syslog_stamp(line: &[u8], year: Option<i16>) -> Option<(RawStamp, &[u8])> {
    let &[m1, m2, m3, b' ', d1, d2, d3] = line.first_chunk::<7>()? else {
        return None;
    };
    let month = month_number([m1, m2, m3])?;
    // The day is padded with a space or a zero — or, in some exports, not at all (`Jan 6`).
    let (day, at) = match (d1, d2, d3) {
        (b' ', d, b' ') if d.is_ascii_digit() => (d - b'0', 7),
        (a, b, b' ') if a.is_ascii_digit() && b.is_ascii_digit() => {
            ((a - b'0') * 10 + (b - b'0'), 7)
        }
        (d, b' ', _) if d.is_ascii_digit() => (d - b'0', 6),
        _ => return None,
    };
    if !(1..=31).contains(&day) {
        return None;
    }
    let (hour, minute, second) = clock(line.get(at..)?)?;
    let rest = line.get(at + 8..)?.strip_prefix(b" ")?;
    // Some exports put the year after the day: `Jun 26 2012 08:00:00` is rare; not handled.
    Some((
        RawStamp::Syslog {
            month,
            day,
            hour,
            minute,
            second,
            year,
        },
        rest,
    ))
}

/// RFC 3339 `YYYY-MM-DDThh:mm:ss[.frac][Z|±hh:mm|±hhmm] `.
fn rfc3339_stamp(line: &[u8]) -> Option<(RawStamp, &[u8])> {
    let &[y1, y2, y3, y4, b'-', mo1, mo2, b'-', d1, d2, b'T' | b' '] = line.first_chunk::<11>()?
    else {
        return None;
    };
    let year = parse_u64(&[y1, y2, y3, y4])? as i16;
    let month = two_digits(&[mo1, mo2])?;
    let day = two_digits(&[d1, d2])?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (hour, minute, second) = clock(line.get(11..)?)?;
    let mut i = 19;
    let mut nanos: u32 = 0;
    if line.get(i) == Some(&b'.') || line.get(i) == Some(&b',') {
        i += 1;
        let mut digits = 0;
        while let Some(d) = line.get(i).filter(|d| d.is_ascii_digit()) {
            if digits < 9 {
                nanos = nanos * 10 + u32::from(d - b'0');
            }
            digits += 1;
            i += 1;
        }
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }
    let offset = match line.get(i) {
        Some(b'Z') | Some(b'z') => {
            i += 1;
            Some(0)
        }
        Some(&sign @ (b'+' | b'-')) => {
            let h = two_digits(line.get(i + 1..i + 3)?)?;
            let (m, used) = if line.get(i + 3) == Some(&b':') {
                (two_digits(line.get(i + 4..i + 6)?)?, 6)
            } else {
                (two_digits(line.get(i + 3..i + 5)?)?, 5)
            };
            i += used;
            let secs = i32::from(h) * 3600 + i32::from(m) * 60;
            Some(if sign == b'-' { -secs } else { secs })
        }
        _ => None,
    };
    let rest = line.get(i..)?.strip_prefix(b" ")?;
    Some((
        RawStamp::Full {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanos,
            offset,
        },
        rest,
    ))
}

/// Any understood timestamp at the start of the line.
fn stamp(line: &[u8]) -> Option<(RawStamp, &[u8])> {
    match line.first()? {
        b'0'..=b'9' => {
            if let Some(found) = rfc3339_stamp(line) {
                return Some(found);
            }
            // `2012 Jun 26 08:00:00 host …`
            let (y, rest) = word(line);
            if y.len() == 4 {
                let year = parse_u64(y)? as i16;
                return syslog_stamp(rest, Some(year));
            }
            None
        }
        _ => syslog_stamp(line, None),
    }
}

/// Splits a tag `postfix-out/submission/smtpd` into its parts.
pub fn program(tag: &[u8]) -> Program<'_> {
    let mut slashes = Slashes::default();
    for (i, &b) in tag.iter().enumerate() {
        if b == b'/' {
            slashes.see(i);
        }
    }
    slashes.split(tag)
}

/// Where the first and the last `/` of a tag stand, noted as the tag is scanned.
#[derive(Debug, Clone, Copy, Default)]
struct Slashes {
    first: Option<usize>,
    last: Option<usize>,
}

impl Slashes {
    fn see(&mut self, at: usize) {
        self.first = self.first.or(Some(at));
        self.last = Some(at);
    }

    fn split(self, tag: &[u8]) -> Program<'_> {
        match (self.first, self.last) {
            (Some(first), Some(last)) => Program {
                tag,
                syslog_name: tag.get(..first).unwrap_or_default(),
                service: if last > first {
                    tag.get(first + 1..last).unwrap_or_default()
                } else {
                    &[]
                },
                daemon: tag.get(last + 1..).unwrap_or_default(),
            },
            _ => Program {
                tag,
                syslog_name: tag,
                service: &[],
                daemon: tag,
            },
        }
    }
}

/// `tag[pid]: ` or `tag: ` at the start of `text`: the tag split into its parts (in the same
/// pass that finds its end), the pid, and the text after.
#[cfg(test)]
fn tag_and_pid(text: &[u8]) -> Option<(Program<'_>, Option<u32>, &[u8])> {
    let (end, slashes) = tag_end(text)?;
    let program = slashes.split(text.get(..end).unwrap_or_default());
    let (pid, after) = pid_and_text(text.get(end..).unwrap_or_default())?;
    Some((program, pid, after))
}

/// Where the (non-empty) tag at the start of `text` ends — at its first `[`, `:` or space —
/// and its slashes, found in the same pass.
fn tag_end(text: &[u8]) -> Option<(usize, Slashes)> {
    // The tag ends at `[` (pid follows) or at `:`; it holds no spaces. Eight bytes at a time:
    // a byte at a time this loop was two thirds of the envelope's cost.
    let mut slashes = Slashes::default();
    let mut end = None;
    let mut at = 0;
    while let Some(word) = word_at(text, at) {
        // Only the first end matters: each test is exact for its first match, so their union
        // is exact for the first of all.
        let ends = first_equal_byte(word, b'[')
            | first_equal_byte(word, b':')
            | first_equal_byte(word, b' ');
        let mut slash = equal_bytes(word, b'/');
        if ends != 0 {
            // Only the slashes before the end belong to the tag.
            slash &= (1u64 << ends.trailing_zeros()) - 1;
        }
        if slash != 0 {
            slashes.see(at + (slash.trailing_zeros() / 8) as usize);
            slashes.see(at + ((63 - slash.leading_zeros()) / 8) as usize);
        }
        if ends != 0 {
            end = Some(at + (ends.trailing_zeros() / 8) as usize);
            break;
        }
        at += 8;
    }
    let end = end?;
    (end > 0).then_some((end, slashes))
}

/// `[pid]: ` or `: ` at the start of `rest` (where the tag ended): the pid and the text after.
fn pid_and_text(rest: &[u8]) -> Option<(Option<u32>, &[u8])> {
    if let Some(after) = rest.strip_prefix(b"[") {
        let (close, pid) = match short_pid(after) {
            Some(found) => found,
            None => {
                let close = find_byte(after, b']')?;
                let digits = after.get(..close).unwrap_or_default();
                (close, parse_u64(digits).and_then(|p| u32::try_from(p).ok()))
            }
        };
        let after = after.get(close + 1..)?.strip_prefix(b":")?;
        Some((pid, after.strip_prefix(b" ").unwrap_or(after)))
    } else {
        let after = rest.strip_prefix(b":")?;
        Some((None, after.strip_prefix(b" ").unwrap_or(after)))
    }
}

/// A pid of one to seven digits and its `]`, read as one word: most lines'. Where its `]`
/// stands and the pid; `None` for anything else, which `pid_and_text` reads the long way.
fn short_pid(text: &[u8]) -> Option<(usize, Option<u32>)> {
    let word = word_at(text, 0)?;
    let digits = in_range(word & LOWS, b'0', b'9') & !word;
    // The first byte that is no digit: zeros stand past the text's end.
    let end = ((!digits & HIGHS).trailing_zeros() / 8) as usize;
    let close = (word >> (8 * end.min(7))) as u8 == b']';
    ((1..8).contains(&end) && close).then(|| (end, Some(word_digits(word, end))))
}

/// Skips a Solaris `[ID 197553 mail.info] ` marker.
fn skip_solaris_id(text: &[u8]) -> &[u8] {
    if let Some(after) = text.strip_prefix(b"[ID ") {
        if let Some(close) = memchr::memchr(b']', after) {
            let rest = after.get(close + 1..).unwrap_or_default();
            return rest.strip_prefix(b" ").unwrap_or(rest);
        }
    }
    text
}

/// The severity prefix and the text after it.
pub fn severity(text: &[u8]) -> (Severity, &[u8]) {
    // Most lines have no prefix: their first byte already rules out all but one candidate.
    let (prefix, sev): (&[u8], Severity) = match text.first() {
        Some(b'w') => (b"warning: ", Severity::Warning),
        Some(b'e') => (b"error: ", Severity::Error),
        Some(b'f') => (b"fatal: ", Severity::Fatal),
        Some(b'p') => (b"panic: ", Severity::Panic),
        Some(b'i') => (b"info: ", Severity::Info),
        _ => return (Severity::Info, text),
    };
    if let Some(rest) = text.strip_prefix(prefix) {
        return (sev, rest);
    }
    // A line cut right after its severity (`warning:`) is still a warning.
    if text == prefix.get(..prefix.len() - 1).unwrap_or_default() {
        return (sev, &[]);
    }
    (Severity::Info, text)
}

/// The last traditional syslog stamp read and the bytes it was read from. Consecutive lines
/// mostly share their second: when a line starts with the same bytes, its stamp is known
/// without reading it again. Only `Mmm dd hh:mm:ss ` stamps are kept: reading one looks at
/// exactly the bytes it consumes, so equal bytes give an equal stamp (RFC 3339 stamps mostly
/// carry a fraction that differs on every line anyway). Beside it, the origins (host and tag)
/// of the last few lines, which most lines repeat too.
#[derive(Debug, Clone, Default)]
pub struct StampCache {
    origins: Origins,
    /// The `classifier` the origins' classes come from (`parse_classified`).
    classifier: u64,
    /// The stamp's bytes (at most 16, none of them zero), the first lowest, zeros after.
    head: u128,
    /// Ones over the stamp's bytes.
    mask: u128,
    len: usize,
    stamp: Option<(RawStamp, StampKey)>,
    /// The key of the stamp of the line read last, when it is the kept one.
    line_key: Option<StampKey>,
}

/// Names one stamp kept by a `StampCache`: keys are never handed out twice in a process, so
/// lines whose stamps have equal keys have equal stamps (`Clock::resolve_keyed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StampKey(u64);

impl StampKey {
    fn new() -> StampKey {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        StampKey(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl StampCache {
    fn stamp<'l>(&mut self, line: &'l [u8]) -> Option<(RawStamp, &'l [u8])> {
        if let Some((stamp, key)) = self.stamp {
            // Compared as one number: a line shorter than the stamp reads as zeros past its
            // end, which no stamp byte is.
            if head16(line) & self.mask == self.head {
                self.line_key = Some(key);
                return Some((stamp, line.get(self.len..)?));
            }
        }
        self.line_key = None;
        let (stamp, rest) = stamp(line)?;
        if let RawStamp::Syslog { year: None, .. } = stamp {
            let used = line.len() - rest.len();
            if (1..=16).contains(&used) {
                self.mask = u128::MAX >> (128 - 8 * used);
                self.head = head16(line) & self.mask;
                self.len = used;
                let key = StampKey::new();
                self.stamp = Some((stamp, key));
                self.line_key = Some(key);
            }
        }
        Some((stamp, rest))
    }

    /// The key of the stamp of the line read last through this cache, when that stamp is the
    /// one kept (`None` for other stamps, and lines without one).
    pub fn key(&self) -> Option<StampKey> {
        self.line_key
    }
}

/// How many origins `Origins` keeps: a busy server's lines come from a handful of daemons
/// (smtpd, qmgr, cleanup, smtp, on one host), interleaved.
const ORIGINS: usize = 4;

/// The origins (`host tag` and the byte that ends the tag) of recent lines, with where their
/// parts stand: a line that starts (after its stamp) with one's bytes has that host and tag,
/// found without looking for the host's space and the tag's end and slashes again.
#[derive(Debug, Clone, Default)]
struct Origins {
    recent: [Origin; ORIGINS],
    /// The slot the next origin read goes to (round robin).
    next: usize,
}

/// One origin's bytes (at most 32, the tag's end byte last) as two numbers, the first byte
/// lowest, with ones over its bytes in `mask`; where the host ends (at its space) and where
/// the tag ends, counted from the origin's start; the tag's slashes.
#[derive(Debug, Clone, Copy)]
struct Origin {
    head: [u128; 2],
    mask: [u128; 2],
    host_end: usize,
    tag_end: usize,
    slashes: Slashes,
    /// What the reader of the envelope made of its program (`parse_classified`).
    class: u8,
}

impl Default for Origin {
    /// No origin: it matches no line (a head masked by zeros is never one).
    fn default() -> Origin {
        Origin {
            head: [1, 0],
            mask: [0; 2],
            host_end: 0,
            tag_end: 0,
            slashes: Slashes::default(),
            class: 0,
        }
    }
}

impl Origins {
    /// The host and program at the start of `rest` (the line after its stamp), the text from
    /// where the tag ends, and `classify` of the program (kept with the origin, so asked once
    /// per origin kept); `None` without a host and a tag.
    #[inline]
    fn read<'l>(
        &mut self,
        rest: &'l [u8],
        classify: impl FnOnce(&Program<'_>) -> u8,
    ) -> Option<(&'l [u8], Program<'l>, &'l [u8], u8)> {
        let head = head32(rest);
        // A line shorter than an origin reads as zeros where the origin's last byte (the
        // tag's end, never zero) stands: only lines holding all its bytes match it.
        for origin in &self.recent {
            if origin.starts(&head) {
                let (host, program, after) = origin.parts(rest);
                return Some((host, program, after, origin.class));
            }
        }
        let (host, _) = word(rest);
        if host.is_empty() {
            return None;
        }
        let tag_start = host.len() + 1;
        let (end, slashes) = tag_end(rest.get(tag_start..).unwrap_or_default())?;
        let mut origin = Origin {
            head,
            mask: [0; 2],
            host_end: host.len(),
            tag_end: tag_start + end,
            slashes,
            class: 0,
        };
        let (host, program, after) = origin.parts(rest);
        origin.class = classify(&program);
        // Its bytes and the tag's end byte, when they fit.
        let len = origin.tag_end + 1;
        if len <= 32 {
            let mask = [
                u128::MAX >> (128 - 8 * len.min(16)),
                u128::MAX.checked_shr(8 * (32 - len) as u32).unwrap_or(0),
            ];
            let kept = Origin {
                head: [head[0] & mask[0], head[1] & mask[1]],
                mask,
                ..origin
            };
            if let Some(slot) = self.recent.get_mut(self.next) {
                *slot = kept;
            }
            self.next = (self.next + 1) % ORIGINS;
        }
        Some((host, program, after, origin.class))
    }
}

impl Origin {
    /// Whether a line whose first 32 bytes (after its stamp) are `head` starts with this
    /// origin's bytes.
    #[inline]
    fn starts(&self, head: &[u128; 2]) -> bool {
        head[0] & self.mask[0] == self.head[0] && head[1] & self.mask[1] == self.head[1]
    }

    /// The host, the program and the text from the tag's end of a line starting with this
    /// origin's bytes.
    #[inline]
    fn parts<'l>(&self, rest: &'l [u8]) -> (&'l [u8], Program<'l>, &'l [u8]) {
        let tag = rest
            .get(self.host_end + 1..self.tag_end)
            .unwrap_or_default();
        (
            rest.get(..self.host_end).unwrap_or_default(),
            self.slashes.split(tag),
            rest.get(self.tag_end..).unwrap_or_default(),
        )
    }
}

/// Parses the envelope of one line; `None` when the line has no recognisable syslog shape.
pub fn parse(line: &[u8]) -> Option<Envelope<'_>> {
    parse_with(line, &mut StampCache::default())
}

/// `parse`, reusing the stamp of the line before (of the same source) when it is the same.
pub fn parse_with<'a>(line: &'a [u8], stamps: &mut StampCache) -> Option<Envelope<'a>> {
    parse_classified(line, stamps, 0, |_| 0).map(|(envelope, _)| envelope)
}

/// `parse_with`, and `classify` of the envelope's program: worked out for a program read
/// afresh, remembered for one whose origin (host and tag) was kept, as most lines' is.
/// `classify` must depend on the program alone; `classifier` names it (0 is `parse_with`'s),
/// so that a cache read through with another one forgets the classes it kept.
#[inline]
pub fn parse_classified<'a>(
    line: &'a [u8],
    stamps: &mut StampCache,
    classifier: u64,
    classify: impl FnOnce(&Program<'_>) -> u8,
) -> Option<(Envelope<'a>, u8)> {
    if stamps.classifier != classifier {
        stamps.origins = Origins::default();
        stamps.classifier = classifier;
    }
    let (stamp, rest) = stamps.stamp(line)?;
    let (host, program, rest, class) = stamps.origins.read(rest, classify)?;
    let (pid, text) = pid_and_text(rest)?;
    let text = skip_solaris_id(text);
    let (severity, text) = severity(text);
    let envelope = Envelope {
        stamp,
        host,
        program,
        pid,
        severity,
        text,
    };
    Some((envelope, class))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_syslog_line() {
        let e = parse(
            b"Aug 15 08:00:00 mailserver postfix/smtpd[12345]: connect from unknown[192.168.1.100]",
        )
        .unwrap();
        assert_eq!(
            e.stamp,
            RawStamp::Syslog {
                month: 8,
                day: 15,
                hour: 8,
                minute: 0,
                second: 0,
                year: None
            }
        );
        assert_eq!(e.host, b"mailserver");
        assert_eq!(e.program.daemon, b"smtpd");
        assert_eq!(e.program.syslog_name, b"postfix");
        assert_eq!(e.pid, Some(12345));
        assert_eq!(e.text, b"connect from unknown[192.168.1.100]");
    }

    #[test]
    fn space_padded_day_and_zero_padded_day() {
        for line in [
            &b"Aug  5 08:00:00 h postfix/qmgr[1]: x"[..],
            b"Aug 05 08:00:00 h postfix/qmgr[1]: x",
            b"Aug 5 08:00:00 h postfix/qmgr[1]: x",
        ] {
            match parse(line).unwrap().stamp {
                RawStamp::Syslog { day, .. } => assert_eq!(day, 5),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn rfc3339_with_fraction_and_offsets() {
        let e =
            parse(b"2026-11-28T17:29:16.308429+00:00 mail postfix/master[2101]: daemon started")
                .unwrap();
        assert_eq!(
            e.stamp,
            RawStamp::Full {
                year: 2026,
                month: 11,
                day: 28,
                hour: 17,
                minute: 29,
                second: 16,
                nanos: 308_429_000,
                offset: Some(0)
            }
        );
        let e = parse(b"2026-11-28T17:29:16+0200 mail postfix/qmgr[1]: x").unwrap();
        assert!(matches!(
            e.stamp,
            RawStamp::Full {
                offset: Some(7200),
                ..
            }
        ));
        let e = parse(b"2026-11-28T17:29:16Z mail postfix/qmgr[1]: x").unwrap();
        assert!(matches!(
            e.stamp,
            RawStamp::Full {
                offset: Some(0),
                nanos: 0,
                ..
            }
        ));
    }

    #[test]
    fn instance_service_and_daemon() {
        let p = program(b"postfix-out/submission/smtpd");
        assert_eq!(
            (p.syslog_name, p.service, p.daemon),
            (&b"postfix-out"[..], &b"submission"[..], &b"smtpd"[..])
        );
        let p = program(b"postfix/smtp");
        assert_eq!(
            (p.syslog_name, p.service, p.daemon),
            (&b"postfix"[..], &b""[..], &b"smtp"[..])
        );
        let p = program(b"postfix/a/b/cleanup");
        assert_eq!(p.service, b"a/b");
    }

    #[test]
    fn solaris_id_and_severity() {
        let e = parse(b"Jan  1 00:00:00 h postfix/smtpd[9]: [ID 197553 mail.warning] warning: hostname x does not resolve").unwrap();
        assert_eq!(e.severity, Severity::Warning);
        assert_eq!(e.text, b"hostname x does not resolve");
    }

    #[test]
    fn severities_and_their_lookalikes() {
        assert_eq!(severity(b"warning: x"), (Severity::Warning, &b"x"[..]));
        assert_eq!(severity(b"error: x"), (Severity::Error, &b"x"[..]));
        assert_eq!(severity(b"fatal: x"), (Severity::Fatal, &b"x"[..]));
        assert_eq!(severity(b"panic: x"), (Severity::Panic, &b"x"[..]));
        assert_eq!(severity(b"info: x"), (Severity::Info, &b"x"[..]));
        assert_eq!(severity(b"warning:"), (Severity::Warning, &b""[..]));
        assert_eq!(
            severity(b"warnings: x"),
            (Severity::Info, &b"warnings: x"[..])
        );
        assert_eq!(severity(b"panicky"), (Severity::Info, &b"panicky"[..]));
        assert_eq!(severity(b""), (Severity::Info, &b""[..]));
    }

    #[test]
    fn every_month_name() {
        for (i, name) in [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .iter()
        .enumerate()
        {
            let line = format!("{name} 15 08:00:00 h postfix/qmgr[1]: x");
            match parse(line.as_bytes()).unwrap().stamp {
                RawStamp::Syslog { month, .. } => assert_eq!(usize::from(month), i + 1),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(parse(b"jan 15 08:00:00 h postfix/qmgr[1]: x").is_none());
    }

    #[test]
    fn a_cached_stamp_is_reused_only_for_the_same_bytes() {
        let lines: [&[u8]; 9] = [
            b"Aug  5 08:00:00 h postfix/qmgr[1]: a",
            b"Aug  5 08:00:00 other postfix/smtpd[2]: b",
            b"Aug  5 08:00:01 h postfix/qmgr[1]: c",
            b"Aug 5 08:00:01 h postfix/qmgr[1]: d",
            b"Aug 5 08:00:01 h postfix/qmgr[1]: e",
            b"Aug 5 08:00:01",
            b"2026-08-05T08:00:01Z h postfix/qmgr[1]: f",
            b"2012 Aug  5 08:00:01 h postfix/qmgr[1]: g",
            b"Aug  5 08:00:01 h postfix/qmgr[1]: h",
        ];
        let mut cache = StampCache::default();
        for line in lines {
            let fresh = parse(line).map(|e| (e.stamp, e.host, e.text));
            let cached = parse_with(line, &mut cache).map(|e| (e.stamp, e.host, e.text));
            assert_eq!(cached, fresh, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn no_origin_matches_no_line() {
        let none = Origin::default();
        for rest in [
            &b""[..],
            b"\x01",
            &[0; 40],
            &[1; 40],
            b"h postfix/smtpd[1]: x",
        ] {
            let head = head32(rest);
            assert!(!none.starts(&head));
            assert_eq!(
                Origins::default()
                    .read(rest, |_| 7)
                    .map(|(.., class)| class),
                {
                    let (host, _) = word(rest);
                    (!host.is_empty()
                        && tag_end(rest.get(host.len() + 1..).unwrap_or_default()).is_some())
                    .then_some(7)
                }
            );
        }
    }

    #[test]
    fn kept_origins_read_as_a_fresh_parse_does() {
        // Lines from a few origins, interleaved, some of them damaged where the host and tag
        // stand (an end byte moved in or out, a zero, a cut), read in turn through one cache:
        // each must read as it does alone (no origin kept then).
        let hosts = ["mail", "h", "mx1.example", "a-rather-long-host.example.org"];
        let tags = [
            "postfix/smtpd",
            "postfix/qmgr",
            "postfix-out/submission/smtpd",
            "postfix",
            "pf/",
            "amavis",
        ];
        let ends = ["[123]: text", ": text", "[1]:", " x", "", "[", "/x[2]: y"];
        let swaps = [b'[', b':', b' ', b'/', 0, b'x', b']'];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut cache = StampCache::default();
        let mut hits = 0;
        for _ in 0..20_000 {
            crate::parse::bytes::xorshift(&mut state);
            let pick = |shift: u32, n: usize| (state >> shift) as usize % n;
            // Three lines in four from one host's two busiest daemons, as in a real log.
            let common = pick(48, 4) != 0;
            let (host, tag, end) = if common {
                (hosts[0], tags[pick(8, 2)], ends[0])
            } else {
                (
                    hosts[pick(0, hosts.len())],
                    tags[pick(8, tags.len())],
                    ends[pick(16, ends.len())],
                )
            };
            let mut line = format!("Aug  5 08:00:00 {host} {tag}{end}").into_bytes();
            match pick(24, 8) {
                0 => {
                    let at = 16 + pick(32, 40);
                    if let Some(b) = line.get_mut(at) {
                        *b = swaps[pick(40, swaps.len())];
                    }
                }
                1 => line.truncate(16 + pick(32, 40)),
                _ => {}
            }
            let fresh = parse(&line);
            let before = cache.origins.recent;
            assert_eq!(parse_with(&line, &mut cache), fresh, "{line:?}");
            let head = head32(line.get(16..).unwrap_or_default());
            hits += usize::from(before.iter().any(|o| o.starts(&head)));
        }
        // Most lines were read through a kept origin.
        assert!(hits > 8_000, "{hits}");
    }

    #[test]
    fn tag_without_slash_and_with_a_cut() {
        let e = parse(b"Aug 15 08:00:00 h postfix[1]: x").unwrap();
        assert_eq!(
            (e.program.syslog_name, e.program.daemon),
            (&b"postfix"[..], &b"postfix"[..])
        );
        assert!(parse(b"Aug 15 08:00:00 h postfix/smtpd").is_none());
        assert!(parse(b"Aug 15 08:00:00 h [1]: x").is_none());
    }

    #[test]
    fn the_tag_read_eight_bytes_at_a_time_splits_as_program_does() {
        // Tags of every length around the word boundaries, with no, one and several slashes,
        // each ended every way a tag ends — and not ended at all.
        let names = [
            "p",
            "postfix",
            "postfix-out",
            "a/b",
            "postfix/smtpd",
            "postfix/a/b/cleanup",
        ];
        for name in names {
            for pad in 0..17 {
                let tag = format!("{name}{}", "x/".repeat(pad / 2) + &"y".repeat(pad % 2));
                let want = program(tag.as_bytes());
                for (end, after) in [("[42]: ", "text"), (": ", "text"), ("[7]:", ""), (" ", "")] {
                    let text = format!("{tag}{end}{after}");
                    match tag_and_pid(text.as_bytes()) {
                        Some((got, _, rest)) => {
                            assert_eq!(got, want, "{text}");
                            assert_eq!(rest, after.as_bytes(), "{text}");
                        }
                        // A space ends the tag but no `:` follows: no envelope.
                        None => assert_eq!(end, " ", "{text}"),
                    }
                }
                assert!(tag_and_pid(tag.as_bytes()).is_none(), "{tag}");
                assert!(tag_and_pid(format!("{tag}/").as_bytes()).is_none(), "{tag}");
            }
        }
        // Slashes after the end are not the tag's.
        let (p, pid, rest) = tag_and_pid(b"postfix/smtpd[1]: a/b/c").unwrap();
        assert_eq!(
            (p.daemon, pid, rest),
            (&b"smtpd"[..], Some(1), &b"a/b/c"[..])
        );
        let (p, _, _) = tag_and_pid(b"pf/x:/y/z").unwrap();
        assert_eq!((p.syslog_name, p.daemon), (&b"pf"[..], &b"x"[..]));
    }

    #[test]
    fn pids_short_and_long_read_alike() {
        for (pid, want) in [
            ("", None),
            ("0", Some(0)),
            ("7", Some(7)),
            ("123456789", Some(123_456_789)),
            ("1234567890", Some(1_234_567_890)),
            ("4294967295", Some(u32::MAX)),
            ("4294967296", None),
            ("12a", None),
            ("a12", None),
            ("99999999999999999999", None),
        ] {
            let text = format!("postfix/smtpd[{pid}]: x");
            let (_, got, rest) = tag_and_pid(text.as_bytes()).unwrap();
            assert_eq!((got, rest), (want, &b"x"[..]), "{text}");
        }
        assert!(tag_and_pid(b"postfix/smtpd[123").is_none());
        assert!(tag_and_pid(b"postfix/smtpd[123]x").is_none());
        assert_eq!(short_pid(b"12]"), Some((2, Some(12))));
        assert_eq!(short_pid(b"]"), None);
        assert_eq!(short_pid(b"1234567890]"), None);
        assert_eq!(short_pid(b"1234567]: x"), Some((7, Some(1_234_567))));
        assert_eq!(short_pid(b"12345678]"), None);
    }

    #[test]
    fn a_pid_read_as_one_word_reads_as_digit_by_digit() {
        // Every length around the word's, each digit in each place, every byte after.
        let mut state = 0x5851_f42d_4c95_7f2d_u64;
        for len in 0..12 {
            for _ in 0..2_000 {
                crate::parse::bytes::xorshift(&mut state);
                let mut text: Vec<u8> = (0..len)
                    .map(|i| b'0' + (state.rotate_left(i as u32 * 5) % 10) as u8)
                    .collect();
                text.push((state >> 56) as u8);
                text.extend_from_slice(b": x");
                let end = text.iter().position(|b| !b.is_ascii_digit()).unwrap();
                let want = (end > 0 && text[end] == b']').then(|| {
                    (
                        end,
                        parse_u64(&text[..end]).and_then(|p| u32::try_from(p).ok()),
                    )
                });
                match short_pid(&text) {
                    Some(got) => assert_eq!(Some(got), want, "{text:?}"),
                    None => assert!(want.is_none() || end > 7, "{text:?}"),
                }
            }
        }
    }

    #[test]
    fn garbage_is_not_an_envelope() {
        assert!(parse(b"").is_none());
        assert!(parse(b"lalala Aug 15 08:00:00").is_none());
        assert!(parse(b"Aug 15 08:00:00").is_none());
        assert!(parse(b"Aug 15 28:00:00 h p[1]: x").is_none());
        assert!(parse(b"2026-13-01T00:00:00Z h p[1]: x").is_none());
    }
}
