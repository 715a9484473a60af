//! The envelope and the resolution of its time stamp: a blob of lines resolved in order on one
//! clock (so that year rollover, zone gaps and the cache are exercised), with the year, the
//! zone and the reference instant taken from the first bytes. Nothing may panic, and every
//! resolved stamp prints as RFC 3339 that jiff reads back as the same instant.
#![no_main]

use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;
use mailtrail::envelope;
use mailtrail::time::{Clock, TimeSettings};

const ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Pacific/Apia",
];

fuzz_target!(|data: &[u8]| {
    let Some((head, lines)) = data.split_at_checked(5) else {
        return;
    };
    // Byte 0: the zone and whether --year is given; bytes 1-2: the year; 3-4: the reference.
    let zone = ZONES[usize::from(head[0] & 0x7f) % ZONES.len()];
    let zone = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let year = (head[0] & 0x80 != 0).then(|| i16::from_le_bytes([head[1], head[2]]));
    // Known bugs (tests/adversarial.rs): `--year` takes any i16; a negative year is printed
    // as no RFC 3339 time, and 32767 overflows at a December → January rollover.
    if year.is_some_and(|y| !(0..=9999).contains(&y)) {
        return;
    }
    let days = i64::from(u16::from_le_bytes([head[3], head[4]]));
    let reference =
        jiff::Timestamp::from_second(days * 86_400).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let settings = TimeSettings { zone, year };
    let mut clock = Clock::new(&settings, reference);
    for line in lines.split(|&b| b == b'\n') {
        let Some(env) = envelope::parse(line) else {
            continue;
        };
        let _ = envelope::program(env.program.tag);
        let _ = env.severity.as_str();
        if let Some(stamp) = clock.resolve(env.stamp) {
            // Known bug (tests/adversarial.rs, local mean time): an offset with seconds, as
            // zones had before ~1900, is shown cut to the minute and names another instant.
            if stamp.offset % 60 != 0 {
                continue;
            }
            let text = stamp.rfc3339();
            let back: jiff::Timestamp = text
                .parse()
                .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"));
            // jiff counts the fraction of an instant before 1970 as negative: compare totals.
            assert_eq!(
                back.as_nanosecond(),
                i128::from(stamp.secs) * 1_000_000_000 + i128::from(stamp.nanos),
                "{text} does not read back as the instant it shows"
            );
        }
    }
});
