//! The whole pipeline over a blob of bytes, as a file (so that decompression by magic bytes is
//! fuzzed too): every finished message must serialise to JSON that parses back, its text for
//! people must carry no control character but the newline, and CSV must be written.
#![no_main]

use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;
use mailtrail::correlate::{Message, TrackerConfig};
use mailtrail::input::sources_from_args;
use mailtrail::output::{csv, json, text, Style};
use mailtrail::pipeline::{run, LineView, Options, Sink};
use mailtrail::text::{owned, terminal};
use mailtrail::time::TimeSettings;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::OnceLock;

struct Check {
    messages: usize,
}

fn assert_terminal_safe(what: &str, s: &str) {
    if let Some(c) = s.chars().find(|&c| c.is_control() && c != '\n') {
        panic!("{what} carries the raw control character {c:?}: {s:?}");
    }
}

impl Sink for Check {
    fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
        // What `stats --unparsed` prints.
        let raw = owned(line.raw);
        assert_terminal_safe("an unparsed line", &terminal(&raw));
        ControlFlow::Continue(())
    }

    fn message(&mut self, m: Message) -> ControlFlow<()> {
        self.messages += 1;
        let line = json::message(&m);
        let value: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("invalid JSON ({e}): {line}"));
        assert!(
            value.get("error").is_none(),
            "JSON serialisation failed: {line}"
        );
        assert!(!line.contains('\n'), "a JSON message spans lines: {line}");
        let style = Style { color: false };
        assert_terminal_safe("the trace", &text::trace(&m, &style));
        assert_terminal_safe("the row", &text::row(&m, &style));
        for row in csv::rows(&m) {
            let _ = row;
        }
        ControlFlow::Continue(())
    }
}

fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("mailtrail-fuzz-{}.log", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the settings; the rest is the file.
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let path = scratch();
    if std::fs::write(path, body).is_err() {
        return;
    }
    let zone = if flags & 1 == 0 {
        TimeZone::UTC
    } else {
        TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::UTC)
    };
    let options = Options {
        time: TimeSettings {
            zone,
            year: Some(2026),
        },
        syslog_names: vec!["mailer".to_string()],
        tracker: TrackerConfig {
            keep_raw: flags & 2 != 0,
            // Short lingers make the fuzzer reach the hand-over paths with few lines.
            linger_secs: if flags & 4 == 0 {
                300
            } else {
                i64::from(flags >> 3)
            },
            ..TrackerConfig::default()
        },
        threads: 1 + usize::from(flags & 1),
    };
    let (sources, _errors) = sources_from_args(std::slice::from_ref(path));
    let mut check = Check { messages: 0 };
    let outcome = run(&sources, &options, &mut check);
    assert!(!outcome.stopped);
    assert!(outcome.stats.lines >= outcome.stats.postfix_lines);
    assert_eq!(
        outcome.stats.postfix_lines,
        outcome.stats.understood + outcome.stats.not_understood,
        "every Postfix line is understood or not"
    );
});
