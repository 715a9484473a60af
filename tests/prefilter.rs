//! `trace` reads only the lines that can belong to its answer (the prefilter, src/prefilter.rs);
//! `trace --no-prefilter` parses and correlates every line. Both must print the very same bytes
//! for every query, in every format: the proof that the prefilter leaves nothing out.
//!
//! The queries are taken from the logs themselves (`messages --json`, which the prefilter does
//! not touch): every queue ID, Message-ID, sender and recipient address and client IP. By
//! default a deterministic spread of them is checked, each in one of the output formats in turn
//! (a debug build takes a while per run); `MAILTRAIL_PREFILTER_ALL=1` checks every query in
//! every format.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mailtrail");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The output formats of `trace`.
const FORMATS: &[&[&str]] = &[
    &[],
    &["--json"],
    &["--raw"],
    &["--explain"],
    &["--json", "--raw", "--explain"],
];

/// Queries checked per log by default, spread over the log's queries of every kind.
const SAMPLE: usize = 60;

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "--year",
        "2026",
        "--utc",
        "--color",
        "never",
        "--threads",
        "1",
    ])
    .args(args)
    .stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn mailtrail");
    if let Some(bytes) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(bytes)
            .expect("write stdin");
    }
    child.wait_with_output().expect("mailtrail runs")
}

/// Runs `trace ARGS` with and without the prefilter and asserts the same stdout and status.
fn same_both_ways(args: &[&str]) {
    let with = run(&[&["trace"], args].concat(), None);
    let without = run(&[&["trace", "--no-prefilter"], args].concat(), None);
    assert_eq!(
        with.status.code(),
        without.status.code(),
        "exit status of trace {args:?}\nstderr with the prefilter: {}",
        String::from_utf8_lossy(&with.stderr)
    );
    assert!(
        with.stdout == without.stdout,
        "trace {args:?} differs with the prefilter\n--- without:\n{}\n--- with:\n{}",
        String::from_utf8_lossy(&without.stdout),
        String::from_utf8_lossy(&with.stdout)
    );
}

/// Every queue ID, Message-ID, address and client IP the messages of `log` carry.
fn queries(log: &Path) -> Vec<String> {
    let out = run(&["messages", "--json", &log.to_string_lossy()], None);
    let mut q = BTreeSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let m: serde_json::Value = serde_json::from_str(line).expect("messages --json");
        for field in ["queue_id", "message_id", "from"] {
            if let Some(s) = m[field].as_str() {
                q.insert(s.to_string());
            }
        }
        if let Some(ip) = m["client"]["ip"].as_str() {
            q.insert(ip.to_string());
        }
        for r in m["recipients"].as_array().into_iter().flatten() {
            for field in ["to", "orig_to"] {
                if let Some(s) = r[field].as_str() {
                    q.insert(s.to_string());
                }
            }
        }
    }
    q.retain(|s| !s.is_empty());
    q.into_iter().collect()
}

fn logs() -> Vec<PathBuf> {
    let mut logs = Vec::new();
    for dir in ["examples", "tests/fixtures"] {
        logs.extend(common::files_in(&Path::new(ROOT).join(dir)));
    }
    if let Some(shared) = common::shared() {
        logs.extend(common::files_in(&shared.join("corpus/lab")));
    }
    logs.retain(|p| p.extension().is_some_and(|e| e == "log"));
    logs.sort();
    logs
}

#[test]
fn every_query_of_the_real_logs_traces_the_same_with_and_without_the_prefilter() {
    let all = std::env::var("MAILTRAIL_PREFILTER_ALL").is_ok_and(|v| v == "1");
    let logs = logs();
    assert!(logs.len() >= 4, "{logs:?}");
    let mut checked = 0;
    for log in &logs {
        let queries = queries(log);
        assert!(!queries.is_empty(), "no queries in {}", log.display());
        // A deterministic spread: every n-th query, so that every kind is among them.
        let step = if all {
            1
        } else {
            queries.len().div_ceil(SAMPLE).max(1)
        };
        let path = log.to_string_lossy().to_string();
        let picked: Vec<(usize, &String)> = queries.iter().step_by(step).enumerate().collect();
        std::thread::scope(|s| {
            for half in picked.chunks(picked.len().div_ceil(2).max(1)) {
                let path = &path;
                s.spawn(move || {
                    for (i, q) in half {
                        let formats: Vec<&[&str]> = if all {
                            FORMATS.to_vec()
                        } else {
                            vec![FORMATS[i % FORMATS.len()]]
                        };
                        for format in formats {
                            same_both_ways(&[format, &[q.as_str(), path.as_str()]].concat());
                        }
                    }
                });
            }
        });
        checked += queries.len().div_ceil(step);
    }
    assert!(checked > 300, "only {checked} queries checked");
}

#[test]
fn filters_and_no_follow_trace_the_same_with_and_without_the_prefilter() {
    let log = format!("{ROOT}/examples/postlogd.log");
    for args in [
        &["--no-follow", "bob@lab.example"][..],
        &["--host", "mail", "alice@lab.example"],
        &["--host", "elsewhere", "alice@lab.example"],
        &["--since", "2026-11-28 18:19:50", "bob@lab.example"],
        &["--until", "2026-11-28 18:19:38", "--json", "127.0.0.1"],
        &["--status", "bounced", "--raw", "lab.example"],
        &[
            "--from",
            "bob@lab.example",
            "--to",
            "remote.test",
            "localhost",
        ],
        &["--no-follow", "--json", "BAC6C98C501"],
        &["bac6c98c501"],
        &["no-such-thing@nowhere.example"],
    ] {
        same_both_ways(&[args, &[log.as_str()]].concat());
    }
}

#[test]
fn split_compressed_and_piped_input_traces_the_same() {
    let log = std::fs::read(format!("{ROOT}/examples/postlogd.log")).expect("sample log");
    let dir = tempfile::tempdir().expect("tempdir");
    // The log cut in three: the first part gzip-compressed, as a rotated set is.
    let lines: Vec<&[u8]> = log.split_inclusive(|&b| b == b'\n').collect();
    let third = lines.len() / 3;
    let part = |range: std::ops::Range<usize>| lines[range].concat();
    let gz_path = dir.path().join("mail.log.2.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).expect("create"),
        flate2::Compression::fast(),
    );
    gz.write_all(&part(0..third)).expect("gzip");
    gz.finish().expect("gzip");
    let one = dir.path().join("mail.log.1");
    std::fs::write(&one, part(third..2 * third)).expect("write");
    let last = dir.path().join("mail.log");
    std::fs::write(&last, part(2 * third..lines.len())).expect("write");
    let files: Vec<String> = [&gz_path, &one, &last]
        .iter()
        .map(|p| p.to_string_lossy().to_string())
        .collect();
    let whole = format!("{ROOT}/examples/postlogd.log");
    for q in queries(Path::new(&whole)).iter().step_by(40) {
        let mut args = vec!["--raw", q.as_str()];
        args.extend(files.iter().map(String::as_str));
        same_both_ways(&args);
        // Standard input is read once: no prefilter, the same answer as the file gives.
        let piped = run(&["trace", "--json", q.as_str(), "-"], Some(&log));
        let file = run(&["trace", "--json", q.as_str(), whole.as_str()], None);
        assert_eq!(piped.stdout, file.stdout, "trace {q} from stdin");
    }
}
