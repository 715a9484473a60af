//! Properties on stable, quick enough for every CI run (the fuzz targets in fuzz/ go deeper):
//! arbitrary bytes and mutated real lines never make the parser, the pipeline or the binary
//! panic; JSON output always parses; text output never carries a control character.

use mailtrail::correlate::{Message, TrackerConfig};
use mailtrail::envelope::Severity;
use mailtrail::output::{csv, json, text, Style};
use mailtrail::parse::{parse_text, LineParser, Parsed};
use mailtrail::pipeline::{LineView, Options, Sink};
use mailtrail::text::{owned, terminal};
use mailtrail::time::TimeSettings;
use proptest::prelude::*;
use std::io::Write;
use std::ops::ControlFlow;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

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
];

const SEVERITIES: [Severity; 5] = [
    Severity::Info,
    Severity::Warning,
    Severity::Error,
    Severity::Fatal,
    Severity::Panic,
];

/// Real lines: the seed document and every 7th line of the sample logs of a real Postfix.
fn real_lines() -> &'static [Vec<u8>] {
    static LINES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let read = |p: &str| std::fs::read(format!("{root}/{p}")).unwrap_or_default();
        lines.extend(
            read("tests/fixtures/seed.log")
                .split(|&b| b == b'\n')
                .map(<[u8]>::to_vec),
        );
        for log in ["examples/postlogd.log", "examples/syslog-rfc3339.log"] {
            lines.extend(
                read(log)
                    .split(|&b| b == b'\n')
                    .step_by(7)
                    .map(<[u8]>::to_vec),
            );
        }
        lines.retain(|l| !l.is_empty());
        assert!(lines.len() > 100, "sample logs missing");
        lines
    })
}

/// Bytes that matter to the parsers: field separators, brackets, terminators, escapes, bytes
/// that are not UTF-8.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(
            b"\0\r\n\t <>[]():;=,./@-+'\"\\ \x1b\x07\x7f\x9b\xc3\xff0123456789ABCDEFQZabcxyz"
                .to_vec()
        ),
        1 => any::<u8>(),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Cut(usize),
    Insert(usize, u8),
    Replace(usize, u8),
    Delete(usize, usize),
    Repeat(usize, usize, usize),
    Splice(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>()).prop_map(Mutation::Cut),
        (any::<usize>(), interesting_byte()).prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), interesting_byte()).prop_map(|(a, b)| Mutation::Replace(a, b)),
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), 1usize..40, 1usize..50).prop_map(|(a, n, k)| Mutation::Repeat(a, n, k)),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(a, b, c)| Mutation::Splice(a, b, c)),
    ]
}

fn apply(line: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let lines = real_lines();
    let mut l = line.to_vec();
    for m in mutations {
        let at = |i: usize, l: &Vec<u8>| if l.is_empty() { 0 } else { i % (l.len() + 1) };
        match *m {
            Mutation::Cut(i) => {
                let i = at(i, &l);
                l.truncate(i);
            }
            Mutation::Insert(i, b) => {
                let i = at(i, &l);
                l.insert(i, b);
            }
            Mutation::Replace(i, b) => {
                if !l.is_empty() {
                    let i = i % l.len();
                    l[i] = b;
                }
            }
            Mutation::Delete(i, n) => {
                let i = at(i, &l);
                let end = (i + n).min(l.len());
                l.drain(i..end);
            }
            Mutation::Repeat(i, n, k) => {
                let i = at(i, &l);
                let end = (i + n).min(l.len());
                let piece = l[i..end].repeat(k);
                l.splice(end..end, piece);
            }
            Mutation::Splice(i, other, from) => {
                // The head of this line, the tail of another: fields of one daemon in another's.
                let i = at(i, &l);
                let o = &lines[other % lines.len()];
                let from = from % (o.len() + 1);
                l.truncate(i);
                l.extend_from_slice(&o[from..]);
            }
        }
    }
    l
}

fn mutated_line() -> impl Strategy<Value = Vec<u8>> {
    (any::<usize>(), prop::collection::vec(mutation(), 0..5))
        .prop_map(|(i, ms)| apply(&real_lines()[i % real_lines().len()], &ms))
}

/// A log: mutated real lines (and some whole ones), joined by LF, CRLF, CR or nothing.
fn mutated_log() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        2 => mutated_line(),
        1 => any::<usize>().prop_map(|i| real_lines()[i % real_lines().len()].clone()),
    ];
    let sep = prop_oneof![
        8 => Just(&b"\n"[..]),
        1 => Just(&b"\r\n"[..]),
        1 => Just(&b"\r"[..]),
        1 => Just(&b""[..]),
    ];
    prop::collection::vec((line, sep), 0..40).prop_map(|parts| {
        let mut log = Vec::new();
        for (l, s) in parts {
            log.extend_from_slice(&l);
            log.extend_from_slice(s);
        }
        log
    })
}

fn parse_everything(line: &[u8]) {
    let parser = LineParser::new(&["mailer".to_string()]);
    let parsed = parser.parse(line);
    let _ = format!("{parsed:?}");
    if let Parsed::Postfix {
        envelope,
        event: Some(event),
    } = &parsed
    {
        let _ = (event.kind(), envelope.severity.as_str());
    }
    let (severity, text) = match line.split_first() {
        Some((b, rest)) => (SEVERITIES[usize::from(*b) % SEVERITIES.len()], rest),
        None => (Severity::Info, line),
    };
    for daemon in DAEMONS {
        if let Some(event) = parse_text(daemon, severity, text) {
            let _ = format!("{event:?}");
        }
    }
}

fn assert_no_control(what: &str, s: &str) {
    if let Some(c) = s.chars().find(|&c| c.is_control() && c != '\n') {
        panic!("{what} carries the raw control character {c:?}: {s:?}");
    }
}

struct Check;

impl Sink for Check {
    fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
        assert_no_control("an unparsed line", &terminal(&owned(line.raw)));
        ControlFlow::Continue(())
    }

    fn message(&mut self, m: Message) -> ControlFlow<()> {
        let line = json::message(&m);
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("invalid JSON ({e}): {line}"));
        assert!(v.get("error").is_none(), "{line}");
        let style = Style { color: false };
        assert_no_control("the trace", &text::trace(&m, &style));
        assert_no_control("the row", &text::row(&m, &style));
        let _ = csv::rows(&m);
        ControlFlow::Continue(())
    }
}

fn pipeline(log: &[u8], keep_raw: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mail.log");
    std::fs::write(&path, log).expect("write");
    let options = Options {
        time: TimeSettings {
            zone: jiff::tz::TimeZone::UTC,
            year: Some(2026),
        },
        syslog_names: Vec::new(),
        tracker: TrackerConfig {
            keep_raw,
            ..TrackerConfig::default()
        },
        threads: 2,
    };
    let (sources, errors) = mailtrail::input::sources_from_args(&[path]);
    assert!(errors.is_empty(), "{errors:?}");
    let outcome = mailtrail::pipeline::run(&sources, &options, &mut Check);
    let s = &outcome.stats;
    assert_eq!(s.postfix_lines, s.understood + s.not_understood);
    assert_eq!(
        s.lines,
        s.postfix_lines + s.other_program_lines + s.malformed
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_parser_takes_any_bytes(line in prop::collection::vec(any::<u8>(), 0..400)) {
        parse_everything(&line);
    }

    #[test]
    fn the_parser_takes_mutated_real_lines(line in mutated_line()) {
        parse_everything(&line);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_pipeline_takes_mutated_logs(log in mutated_log(), keep_raw in any::<bool>()) {
        pipeline(&log, keep_raw);
    }

    #[test]
    fn the_pipeline_takes_any_bytes(log in prop::collection::vec(any::<u8>(), 0..2000)) {
        pipeline(&log, true);
    }
}

fn binary(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailtrail"))
        .args(["--year", "2026", "--utc", "--color", "never"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mailtrail");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_binary_takes_mutated_logs(log in mutated_log()) {
        let out = binary(&["messages", "--json", "-"], &log);
        let err = String::from_utf8_lossy(&out.stderr);
        prop_assert!(matches!(out.status.code(), Some(0 | 1)), "{:?}: {}", out.status, err);
        prop_assert!(!err.contains("panicked"), "{}", err);
        let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
        for line in stdout.lines() {
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(line);
            prop_assert!(parsed.is_ok(), "not JSON: {}", line);
        }
        // Text output of every message: `trace` with a query every message of the sample
        // logs matches (their client), and the table.
        for args in [&["trace", "--raw", "127.0.0.1", "-"][..], &["messages", "-"], &["stats", "--unparsed", "-"]] {
            let out = binary(args, &log);
            let err = String::from_utf8_lossy(&out.stderr);
            prop_assert!(matches!(out.status.code(), Some(0 | 1)), "{:?} {:?}: {}", args, out.status, err);
            let text = String::from_utf8(out.stdout).expect("UTF-8 output");
            prop_assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{:?}: raw control character in {:?}", args, text
            );
        }
    }
}
