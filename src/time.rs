//! Turning the log's timestamps into instants: the year syslog leaves out, and the zone.
//!
//! Traditional syslog stamps carry neither year nor zone. The year comes from `--year`, else
//! from the file's modification time (a file last written in January that starts in December
//! started last year), and it moves on when the months wrap (December → January). Stamps
//! without a zone are local time, or the zone given with `--tz` / `--utc`.

use crate::envelope::{RawStamp, StampKey};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use std::fmt::Write as _;

/// An instant with the UTC offset it is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Stamp {
    pub secs: i64,
    pub nanos: u32,
    /// Seconds east of UTC, for display.
    pub offset: i32,
}

impl PartialOrd for Stamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Stamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.secs, self.nanos).cmp(&(other.secs, other.nanos))
    }
}

impl Stamp {
    /// Seconds as a float, for durations between stamps.
    pub fn as_f64(&self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    /// RFC 3339 with the stamp's own offset: `2026-11-28T17:27:35+00:00`, with a fraction only
    /// when the log had one.
    pub fn rfc3339(&self) -> String {
        let mut out = String::with_capacity(32);
        self.write_rfc3339(&mut out);
        out
    }

    pub fn write_rfc3339(&self, out: &mut String) {
        // RFC 3339 offsets have no seconds: an old local mean time offset (before ~1900) is
        // shown in UTC rather than cut to the minute, which would name another instant.
        let offset = if self.offset % 60 == 0 {
            self.offset
        } else {
            0
        };
        let local = self.secs + i64::from(offset);
        let days = local.div_euclid(86_400);
        let sod = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        // Digits written by hand: `write!` with padding costs some thousand instructions a
        // stamp, and `messages --json` writes several stamps per message.
        match u32::try_from(y) {
            Ok(y) => digits(out, y, 4),
            Err(_) => {
                let _ = write!(out, "{y:04}");
            }
        }
        out.push('-');
        digits(out, m, 2);
        out.push('-');
        digits(out, d, 2);
        out.push('T');
        // `sod` is in 0..86_400.
        let sod = u32::try_from(sod).unwrap_or(0);
        digits(out, sod / 3600, 2);
        out.push(':');
        digits(out, (sod / 60) % 60, 2);
        out.push(':');
        digits(out, sod % 60, 2);
        if self.nanos != 0 {
            // Nine digits, trailing zeros dropped.
            let mut frac = self.nanos;
            let mut width = 9usize;
            while frac % 10 == 0 {
                frac /= 10;
                width = width.saturating_sub(1);
            }
            out.push('.');
            digits(out, frac, width);
        }
        out.push(if offset < 0 { '-' } else { '+' });
        let off = offset.unsigned_abs();
        digits(out, off / 3600, 2);
        out.push(':');
        digits(out, (off / 60) % 60, 2);
    }
}

/// Days since 1970-01-01 → (year, month, day); Howard Hinnant's civil_from_days.
/// `n` in decimal, zero-padded to at least `width` digits, as `{n:0width$}` writes it.
fn digits(out: &mut String, n: u32, width: usize) {
    // The fields of a stamp: two digits, four for the year, by division by constants.
    match (width, n) {
        (2, 0..=99) => return two_digits(out, n),
        (4, 0..=9999) => {
            two_digits(out, n / 100);
            return two_digits(out, n % 100);
        }
        _ => {}
    }
    let len = n.checked_ilog10().map_or(1, |l| l as usize + 1);
    for _ in len..width {
        out.push('0');
    }
    for place in (0..len as u32).rev() {
        let digit = (n / 10u32.pow(place)) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

/// `n` (under 100) as two digits.
fn two_digits(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// How stamps without a zone are read, and what year syslog stamps get.
#[derive(Debug, Clone)]
pub struct TimeSettings {
    pub zone: TimeZone,
    pub year: Option<i16>,
}

impl Default for TimeSettings {
    fn default() -> Self {
        TimeSettings {
            zone: TimeZone::system(),
            year: None,
        }
    }
}

/// Resolves one source's stamps in order, keeping the year as it goes.
pub struct Clock {
    zone: TimeZone,
    fixed_year: Option<i16>,
    /// When the source was last written (or now): no syslog stamp lies after it.
    reference: jiff::ZonedDateTime,
    year: Option<i16>,
    last_month: u8,
    /// The last civil minute resolved and the instant it starts at, with its offset.
    cache: Option<(MinuteKey, i64, i32)>,
    /// The last stamp resolved and what it resolved to. Consecutive lines mostly share their
    /// second, and resolving a stamp equal to the one before changes nothing (same year,
    /// same month), so the answer can be given again as it is.
    last: Option<(RawStamp, Option<Stamp>)>,
    /// The key of the last stamp resolved, when it came with one (`resolve_keyed`).
    last_key: Option<StampKey>,
}

type MinuteKey = (i16, u8, u8, u8, u8, Option<i32>);

impl Clock {
    pub fn new(settings: &TimeSettings, reference: jiff::Timestamp) -> Clock {
        Clock {
            zone: settings.zone.clone(),
            fixed_year: settings.year,
            reference: reference.to_zoned_datetime(settings.zone.clone()),
            year: None,
            last_month: 0,
            cache: None,
            last: None,
            last_key: None,
        }
    }

    /// `resolve` for a stamp read through a `StampCache`, with its key: the stamp of the line
    /// before is recognised by its key, without comparing it field by field (most lines share
    /// it; the comparison and the call cost about 70 instructions a line).
    pub fn resolve_keyed(&mut self, raw: RawStamp, key: Option<StampKey>) -> Option<Stamp> {
        if let (Some(key), Some((_, stamp))) = (key, self.last) {
            if self.last_key == Some(key) {
                return stamp;
            }
        }
        let stamp = self.resolve(raw);
        self.last_key = key;
        stamp
    }

    /// The instant of a raw stamp; `None` for an impossible date (Feb 30).
    pub fn resolve(&mut self, raw: RawStamp) -> Option<Stamp> {
        self.last_key = None;
        if let Some((prev, stamp)) = self.last {
            if prev == raw {
                return stamp;
            }
        }
        let stamp = self.resolve_anew(raw);
        self.last = Some((raw, stamp));
        stamp
    }

    fn resolve_anew(&mut self, raw: RawStamp) -> Option<Stamp> {
        match raw {
            RawStamp::Full {
                year,
                month,
                day,
                hour,
                minute,
                second,
                nanos,
                offset,
            } => {
                let (base, off) = self.minute((year, month, day, hour, minute, offset))?;
                Some(Stamp {
                    secs: base + i64::from(second),
                    nanos,
                    offset: off,
                })
            }
            RawStamp::Syslog {
                month,
                day,
                hour,
                minute,
                second,
                year,
            } => {
                let year = match year {
                    Some(y) => y,
                    None => self.syslog_year(month, day),
                };
                let (base, off) = self.minute((year, month, day, hour, minute, None))?;
                Some(Stamp {
                    secs: base + i64::from(second),
                    nanos: 0,
                    offset: off,
                })
            }
        }
    }

    fn syslog_year(&mut self, month: u8, day: u8) -> i16 {
        let year = match self.year {
            None => match self.fixed_year {
                Some(y) => y,
                None => {
                    let ry = self.reference.year();
                    // A date after the reference (allowing a day for zones) is last year's.
                    let later = (month, day)
                        > (self.reference.month() as u8, self.reference.day() as u8 + 1);
                    if later {
                        ry - 1
                    } else {
                        ry
                    }
                }
            },
            // December → January (or any jump back of half a year or more) is a new year.
            Some(y) if month < self.last_month && self.last_month - month >= 6 => {
                y.saturating_add(1)
            }
            // A December line after January ones is a straggler from the old year: it does not
            // move the year the lines after it are in.
            Some(y) if month > self.last_month && month - self.last_month >= 6 => {
                return y.saturating_sub(1)
            }
            Some(y) => y,
        };
        self.year = Some(year);
        self.last_month = month;
        year
    }

    fn minute(&mut self, key: MinuteKey) -> Option<(i64, i32)> {
        if let Some((k, base, off)) = self.cache {
            if k == key {
                return Some((base, off));
            }
        }
        let (year, month, day, hour, minute, offset) = key;
        let dt =
            DateTime::new(year, month as i8, day as i8, hour as i8, minute as i8, 0, 0).ok()?;
        let zone = match offset {
            Some(secs) => TimeZone::fixed(jiff::tz::Offset::from_seconds(secs).ok()?),
            None => self.zone.clone(),
        };
        let zoned = dt.to_zoned_datetime(zone).ok()?;
        let base = zoned.timestamp().as_second();
        let off = zoned.offset().seconds();
        self.cache = Some((key, base, off));
        Some((base, off))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc_clock(year: Option<i16>, reference: &str) -> Clock {
        let settings = TimeSettings {
            zone: TimeZone::UTC,
            year,
        };
        Clock::new(&settings, reference.parse().unwrap())
    }

    fn syslog(month: u8, day: u8) -> RawStamp {
        RawStamp::Syslog {
            month,
            day,
            hour: 8,
            minute: 0,
            second: 0,
            year: None,
        }
    }

    #[test]
    fn digits_pad_as_format_does() {
        for (n, width) in [
            (0, 2),
            (7, 2),
            (42, 2),
            (123, 2),
            (5, 4),
            (2026, 4),
            (12345, 4),
            (5, 3),
            (15, 1),
            (1, 0),
        ] {
            let mut out = String::new();
            digits(&mut out, n, width);
            assert_eq!(out, format!("{n:0width$}"));
        }
        let odd = Stamp {
            secs: -62_198_755_200,
            nanos: 1_500_000_000,
            offset: -3600,
        };
        assert_eq!(odd.rfc3339(), "-002-12-31T23:00:00.15-01:00");
    }

    #[test]
    fn year_from_reference_and_rollover() {
        let mut c = utc_clock(None, "2027-01-02T00:00:00Z");
        assert_eq!(
            c.resolve(syslog(12, 31)).unwrap().rfc3339(),
            "2026-12-31T08:00:00+00:00"
        );
        assert_eq!(
            c.resolve(syslog(1, 1)).unwrap().rfc3339(),
            "2027-01-01T08:00:00+00:00"
        );
    }

    #[test]
    fn a_straggler_from_the_old_year_does_not_move_the_year() {
        let mut c = utc_clock(Some(2026), "2027-06-01T00:00:00Z");
        assert_eq!(
            c.resolve(syslog(12, 31)).unwrap().rfc3339(),
            "2026-12-31T08:00:00+00:00"
        );
        assert_eq!(
            c.resolve(syslog(1, 1)).unwrap().rfc3339(),
            "2027-01-01T08:00:00+00:00"
        );
        assert_eq!(
            c.resolve(syslog(12, 31)).unwrap().rfc3339(),
            "2026-12-31T08:00:00+00:00"
        );
        assert_eq!(
            c.resolve(syslog(1, 2)).unwrap().rfc3339(),
            "2027-01-02T08:00:00+00:00"
        );
    }

    #[test]
    fn fixed_year_wins() {
        let mut c = utc_clock(Some(2020), "2027-01-02T00:00:00Z");
        assert_eq!(
            c.resolve(syslog(8, 15)).unwrap().rfc3339(),
            "2020-08-15T08:00:00+00:00"
        );
    }

    #[test]
    fn named_zone_and_fraction() {
        let settings = TimeSettings {
            zone: TimeZone::get("Asia/Tokyo").unwrap(),
            year: Some(2026),
        };
        let mut c = Clock::new(&settings, "2026-12-01T00:00:00Z".parse().unwrap());
        assert_eq!(
            c.resolve(syslog(8, 15)).unwrap().rfc3339(),
            "2026-08-15T08:00:00+09:00"
        );
        let full = RawStamp::Full {
            year: 2026,
            month: 11,
            day: 28,
            hour: 17,
            minute: 29,
            second: 16,
            nanos: 308_429_000,
            offset: Some(-3600),
        };
        assert_eq!(
            c.resolve(full).unwrap().rfc3339(),
            "2026-11-28T17:29:16.308429-01:00"
        );
    }

    #[test]
    fn impossible_date_is_none() {
        let mut c = utc_clock(Some(2026), "2026-12-01T00:00:00Z");
        assert!(c.resolve(syslog(2, 30)).is_none());
        assert!(c.resolve(syslog(2, 30)).is_none());
    }

    #[test]
    fn a_repeated_stamp_resolves_as_the_first_did_across_a_new_year() {
        let mut c = utc_clock(None, "2027-01-02T00:00:00Z");
        for (month, day, want) in [
            (12, 31, "2026-12-31T08:00:00+00:00"),
            (12, 31, "2026-12-31T08:00:00+00:00"),
            (1, 1, "2027-01-01T08:00:00+00:00"),
            (1, 1, "2027-01-01T08:00:00+00:00"),
            (12, 31, "2026-12-31T08:00:00+00:00"),
            (12, 31, "2026-12-31T08:00:00+00:00"),
            (1, 1, "2027-01-01T08:00:00+00:00"),
        ] {
            assert_eq!(c.resolve(syslog(month, day)).unwrap().rfc3339(), want);
        }
    }

    #[test]
    fn a_keyed_stamp_resolves_as_a_compared_one() {
        use crate::envelope::{parse_with, StampCache};
        // Across a new year, stamps repeated, an RFC 3339 stamp between, a stamp resolved
        // without key between (a prefilter's clock mark), and caches made afresh for each line
        // (the live reader) sharing one clock: keyed and compared answers always agree.
        let lines = [
            "Dec 31 08:00:00 h postfix/qmgr[1]: a",
            "Dec 31 08:00:00 h postfix/qmgr[1]: b",
            "Jan  1 08:00:00 h postfix/qmgr[1]: c",
            "2027-01-01T08:00:00Z h postfix/qmgr[1]: d",
            "Jan  1 08:00:00 h postfix/qmgr[1]: e",
            "Dec 31 08:00:00 h postfix/qmgr[1]: f",
            "Dec 31 08:00:00 h postfix/qmgr[1]: g",
            "Jan  1 08:00:00 h postfix/qmgr[1]: h",
            "Jan  1 08:00:00 h postfix/qmgr[1]: i",
        ];
        for mark_at in [None, Some(1), Some(4), Some(7)] {
            for fresh_caches in [false, true] {
                let mut keyed = utc_clock(None, "2027-01-02T00:00:00Z");
                let mut compared = utc_clock(None, "2027-01-02T00:00:00Z");
                let mut cache = StampCache::default();
                for (i, line) in lines.iter().enumerate() {
                    if mark_at == Some(i) {
                        let mark = syslog(12, 31);
                        assert_eq!(keyed.resolve(mark), compared.resolve(mark));
                    }
                    if fresh_caches {
                        cache = StampCache::default();
                    }
                    let e = parse_with(line.as_bytes(), &mut cache).unwrap();
                    assert_eq!(
                        keyed.resolve_keyed(e.stamp, cache.key()),
                        compared.resolve(e.stamp),
                        "{line} {mark_at:?} {fresh_caches}"
                    );
                }
            }
        }
        // Equal bytes share a key, other bytes and RFC 3339 stamps do not get it.
        let mut cache = StampCache::default();
        let key = |cache: &mut StampCache, line: &str| {
            parse_with(line.as_bytes(), cache).unwrap();
            cache.key()
        };
        let first = key(&mut cache, lines[0]);
        assert!(first.is_some());
        assert_eq!(key(&mut cache, lines[1]), first);
        assert_ne!(key(&mut cache, lines[2]), first);
        assert_eq!(key(&mut cache, lines[3]), None);
        assert_ne!(key(&mut cache, lines[0]), first);
    }
}
