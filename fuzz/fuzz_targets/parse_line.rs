//! One line through `LineParser::parse`, and its text through `parse_text` as written by every
//! daemon mailtrail knows (and some it does not), at every severity. Nothing may panic; the
//! whole result is walked (Debug) so that lazily computed fields are touched too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtrail::envelope::Severity;
use mailtrail::parse::{parse_text, LineParser, Parsed};

const DAEMONS: &[&[u8]] = &[
    b"smtpd",
    b"qmqpd",
    b"smtpd.local",
    b"postscreen",
    b"dnsblog",
    b"tlsproxy",
    b"cleanup",
    b"pickup",
    b"qmgr",
    b"nqmgr",
    b"bounce",
    b"defer",
    b"trace",
    b"master",
    b"postfix-script",
    b"postsuper",
    b"anvil",
    b"scache",
    b"verify",
    b"postscreen_cache",
    b"smtp",
    b"lmtp",
    b"local",
    b"virtual",
    b"pipe",
    b"error",
    b"discard",
    b"retry",
    b"dovecot",
    b"",
    b".",
];

const SEVERITIES: [Severity; 5] = [
    Severity::Info,
    Severity::Warning,
    Severity::Error,
    Severity::Fatal,
    Severity::Panic,
];

fuzz_target!(|data: &[u8]| {
    let parser = LineParser::new(&["mailer".to_string()]);
    let parsed = parser.parse(data);
    let _ = format!("{parsed:?}");
    if let Parsed::Postfix {
        event: Some(event), ..
    } = &parsed
    {
        let _ = event.kind();
    }
    // The bare text as every daemon's: the first byte picks the severity.
    let (severity, text) = match data.split_first() {
        Some((first, rest)) => (SEVERITIES[usize::from(*first) % SEVERITIES.len()], rest),
        None => (Severity::Info, data),
    };
    for daemon in DAEMONS {
        if let Some(event) = parse_text(daemon, severity, text) {
            let _ = event.kind();
            let _ = format!("{event:?}");
        }
    }
});
