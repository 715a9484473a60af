//! The command line's promises, through the binary: inputs, errors, exit codes, formats,
//! escaping.

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed.log");

fn mailtrail(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mailtrail"));
    c.args(["--year", "2026", "--utc"])
        .args(args)
        .env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> Output {
    mailtrail(args).output().expect("run mailtrail")
}

/// mailtrail started with its standard streams piped to the test.
fn spawn_piped(args: &[&str]) -> Child {
    mailtrail(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = spawn_piped(args);
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn missing_file_is_one_line_naming_it_with_exit_2_and_the_rest_still_read() {
    let o = run(&["messages", "/nonexistent/mail.log", SEED]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert_eq!(
        err.lines()
            .filter(|l| l.contains("/nonexistent/mail.log"))
            .count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("mailtrail: /nonexistent/mail.log: No such file or directory"),
        "{err}"
    );
    assert_eq!(
        text(&o.stdout).lines().count(),
        3,
        "the readable file is still reported"
    );
}

#[test]
fn a_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["stats", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("directory"), "{}", text(&o.stderr));
}

#[test]
fn stdin_and_gzip_by_magic_bytes() {
    let seed = std::fs::read(SEED).unwrap();
    let o = with_stdin(&["trace", "--json", "9K0L1M2N3O", "-"], &seed);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let dir = tempfile::tempdir().unwrap();
    // A gzip file with a name that says nothing about it.
    let path = dir.path().join("mail.log.1");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(&seed).unwrap();
    gz.finish().unwrap();
    let o = run(&["trace", "--json", "1A2B3C4D5E", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["recipients"][0]["status"], "sent");
}

#[test]
fn rotated_set_is_read_oldest_first_whatever_the_order_given() {
    let dir = tempfile::tempdir().unwrap();
    let older = "Aug 15 08:00:01 mx postfix/smtpd[1]: ABCDE12345: client=a.example[192.0.2.1]\n\
                 Aug 15 08:00:02 mx postfix/qmgr[2]: ABCDE12345: from=<a@a.example>, size=10, nrcpt=1 (queue active)\n";
    let newer = "Aug 15 08:00:03 mx postfix/smtp[3]: ABCDE12345: to=<b@b.example>, relay=b.example[192.0.2.2]:25, delay=2, delays=0/0/1/1, dsn=2.0.0, status=sent (250 ok)\n\
                 Aug 15 08:00:03 mx postfix/qmgr[2]: ABCDE12345: removed\n";
    std::fs::write(dir.path().join("mail.log.1"), older).unwrap();
    std::fs::write(dir.path().join("mail.log"), newer).unwrap();
    let a = dir.path().join("mail.log");
    let b = dir.path().join("mail.log.1");
    let o = run(&[
        "messages",
        "--json",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    let lines: Vec<serde_json::Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{}", text(&o.stdout));
    assert_eq!(lines[0]["status"], "sent");
    assert_eq!(lines[0]["client"]["name"], "a.example");
}

#[test]
fn terminal_output_never_carries_escape_sequences_from_the_log() {
    let log = "Aug 15 08:00:01 mx postfix/smtpd[1]: ABCDE12345: client=evil\x1b]0;pwned\x07[192.0.2.1]\n\
               Aug 15 08:00:02 mx postfix/qmgr[2]: ABCDE12345: from=<x\x1b[2J@evil.example>, size=10, nrcpt=1 (queue active)\n";
    let o = with_stdin(&["trace", "ABCDE12345", "-"], log.as_bytes());
    let out = text(&o.stdout);
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert!(out.contains("evil\\x1b]0;pwned\\x07[192.0.2.1]"), "{out}");
    let o = with_stdin(&["messages", "--json", "-"], log.as_bytes());
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON stays valid");
    assert_eq!(m["from"], "x\u{1b}[2J@evil.example");
}

#[test]
fn invalid_utf8_is_shown_escaped_not_rejected() {
    let log = b"Aug 15 08:00:02 mx postfix/qmgr[2]: ABCDE12345: from=<caf\xe9@example.org>, size=10, nrcpt=1 (queue active)\n";
    let o = with_stdin(&["messages", "--json", "-"], log);
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["from"], "caf\\xe9@example.org");
}

#[test]
fn other_programs_and_garbage_are_counted_not_errors() {
    let log = b"Aug 15 08:00:00 mx amavis[9]: (09-1) Passed CLEAN\n\x00\x01\x02 binary junk\nAug 15 08:00:00 mx postfix/smtpd[1]: a brand new kind of line\nAug 15 08:00:00 mx postfix/qmgr[2]: ABCDE12345: removed";
    let o = with_stdin(&["stats", "--json", "-"], log);
    assert_eq!(o.status.code(), Some(0));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["lines"], 4);
    assert_eq!(s["postfix_lines"], 2);
    assert_eq!(
        s["understood"], 1,
        "the last line has no newline and still counts"
    );
    assert_eq!(s["not_understood"], 1);
    assert_eq!(s["not_understood_by_daemon"]["smtpd"], 1);
    assert_eq!(s["other_programs"]["amavis"], 1);
    assert_eq!(s["malformed"], 1);
    let o = with_stdin(&["stats", "--unparsed", "-"], log);
    assert_eq!(
        text(&o.stdout),
        "<stdin>:3: Aug 15 08:00:00 mx postfix/smtpd[1]: a brand new kind of line\n"
    );
}

#[test]
fn csv_has_one_row_per_recipient_and_neutralises_formulas() {
    let log = "Aug 15 08:00:02 mx postfix/qmgr[2]: ABCDE12345: from=<=cmd@evil.example>, size=10, nrcpt=2 (queue active)\n\
               Aug 15 08:00:03 mx postfix/smtp[3]: ABCDE12345: to=<a@b.example>, relay=b.example[192.0.2.2]:25, delay=2, delays=0/0/1/1, dsn=2.0.0, status=sent (250 ok, thanks)\n\
               Aug 15 08:00:03 mx postfix/smtp[3]: ABCDE12345: to=<c@d.example>, relay=none, delay=2, delays=0/0/1/1, dsn=4.4.1, status=deferred (connect timed out)\n";
    let o = with_stdin(&["messages", "--csv", "-"], log.as_bytes());
    let out = text(&o.stdout);
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 3, "{out}");
    assert!(rows[0].starts_with("queue_id,host,first_seen"));
    assert!(rows[1].contains(",'=cmd@evil.example,"), "{out}");
    assert!(rows[1].ends_with(",\"250 ok, thanks\""), "{out}");
    assert!(rows[2].contains(",deferred,4.4.1,none,"), "{out}");
}

#[test]
fn status_filter_and_aliases() {
    let sent = run(&["messages", "--json", "--status", "delivered", SEED]);
    assert_eq!(text(&sent.stdout).lines().count(), 1);
    let two = run(&["messages", "--json", "--status", "bounced,deferred", SEED]);
    assert_eq!(text(&two.stdout).lines().count(), 2);
    let bad = run(&["messages", "--status", "lost", SEED]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("unknown status"));
    let none = run(&["messages", "--status", "held", SEED]);
    assert_eq!(none.status.code(), Some(1));
}

#[test]
fn since_until_and_from_to_filters() {
    let late = run(&[
        "messages",
        "--json",
        "--since",
        "2026-08-15T08:04:00Z",
        SEED,
    ]);
    assert_eq!(text(&late.stdout).lines().count(), 2);
    let early = run(&["messages", "--json", "--until", "2026-08-15 08:04", SEED]);
    assert_eq!(text(&early.stdout).lines().count(), 1);
    let dom = run(&[
        "messages",
        "--json",
        "--to",
        "example.com",
        "--from",
        "sender@EXAMPLE.org",
        SEED,
    ]);
    assert_eq!(text(&dom.stdout).lines().count(), 2);
}

#[test]
fn broken_pipe_ends_quietly() {
    let big: String = (0..20_000)
        .map(|i| format!("Aug 15 08:00:02 mx postfix/qmgr[2]: {:010X}: from=<a@b.example>, size=10, nrcpt=1 (queue active)\nAug 15 08:00:02 mx postfix/qmgr[2]: {:010X}: removed\n", i + 0x10000, i + 0x10000))
        .collect();
    let mut child = spawn_piped(&["messages", "-"]);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(big.as_bytes());
    });
    // Read one line, then close the pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    let _ = std::io::Read::read(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let _ = writer.join();
    let o = child.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
    assert!(o.status.code().is_some(), "ended by a signal");
}

#[test]
fn man_page_and_completions_are_generated_from_the_cli() {
    let man = run(&["man"]);
    assert!(text(&man.stdout).contains(".TH mailtrail"));
    let bash = run(&["completions", "bash"]);
    assert!(text(&bash.stdout).contains("_mailtrail()"));
    assert!(text(&bash.stdout).contains("--no-follow"));
}

#[test]
fn two_hosts_with_the_same_queue_id_are_two_messages() {
    let log = "Aug 15 08:00:01 mx1 postfix/qmgr[2]: ABCDE12345: from=<a@one.example>, size=10, nrcpt=1 (queue active)\n\
               Aug 15 08:00:01 mx2 postfix/qmgr[7]: ABCDE12345: from=<b@two.example>, size=20, nrcpt=1 (queue active)\n\
               Aug 15 08:00:02 mx1 postfix/qmgr[2]: ABCDE12345: removed\n\
               Aug 15 08:00:03 mx2 postfix/qmgr[7]: ABCDE12345: removed\n";
    let o = with_stdin(&["trace", "--json", "ABCDE12345", "-"], log.as_bytes());
    let ms: Vec<serde_json::Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ms.len(), 2);
    assert_eq!(
        (ms[0]["host"].as_str(), ms[0]["from"].as_str()),
        (Some("mx1"), Some("a@one.example"))
    );
    assert_eq!(
        (ms[1]["host"].as_str(), ms[1]["from"].as_str()),
        (Some("mx2"), Some("b@two.example"))
    );
    let only = with_stdin(
        &["messages", "--json", "--host", "mx2", "-"],
        log.as_bytes(),
    );
    assert_eq!(text(&only.stdout).lines().count(), 1);
}

#[test]
fn queue_id_reused_after_removed_is_a_new_message() {
    let log = "Aug 15 08:00:01 mx postfix/smtpd[1]: ABCDE12345: client=a.example[192.0.2.1]\n\
               Aug 15 08:00:02 mx postfix/qmgr[2]: ABCDE12345: from=<first@a.example>, size=10, nrcpt=1 (queue active)\n\
               Aug 15 08:00:03 mx postfix/qmgr[2]: ABCDE12345: removed\n\
               Aug 15 09:00:01 mx postfix/smtpd[1]: ABCDE12345: client=b.example[192.0.2.9]\n\
               Aug 15 09:00:02 mx postfix/qmgr[2]: ABCDE12345: from=<second@b.example>, size=10, nrcpt=1 (queue active)\n";
    let o = with_stdin(&["trace", "--json", "ABCDE12345", "-"], log.as_bytes());
    let ms: Vec<serde_json::Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ms.len(), 2);
    assert_eq!(ms[0]["from"], "first@a.example");
    assert_eq!(ms[0]["removed"], true);
    assert_eq!(ms[1]["from"], "second@b.example");
    assert_eq!(ms[1]["removed"], false);
    assert_eq!(ms[1]["status"], "queued");
}

#[test]
fn year_rollover_and_rfc3339_offsets() {
    let log = "Dec 31 23:59:59 mx postfix/qmgr[2]: ABCDE12345: from=<a@b.example>, size=10, nrcpt=1 (queue active)\n\
               Jan  1 00:00:01 mx postfix/qmgr[2]: ABCDE12345: removed\n\
               2026-11-28T17:29:16.308429+0200 mx postfix/qmgr[2]: 4Ybc2m1DTzz9sqk: removed\n";
    let o = with_stdin(&["messages", "--json", "-"], log.as_bytes());
    let ms: Vec<serde_json::Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ms[0]["first_seen"], "2026-12-31T23:59:59+00:00");
    assert_eq!(ms[0]["last_seen"], "2027-01-01T00:00:01+00:00");
    assert_eq!(ms[1]["queue_id"], "4Ybc2m1DTzz9sqk");
    assert_eq!(ms[1]["first_seen"], "2026-11-28T17:29:16.308429+02:00");
}

/// The sample logs, and the lab's when `../shared` is there.
fn sample_logs() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut logs = Vec::new();
    for dir in [root.join("examples"), root.join("../shared/corpus/lab")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut found: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .collect();
        found.sort();
        logs.append(&mut found);
    }
    logs
}

/// One thread, two (parsing apart) and three (the sink apart too, where it can be): the same
/// bytes out.
#[test]
fn one_two_and_three_threads_tell_the_same() {
    let logs = sample_logs();
    assert!(logs.len() >= 3, "{logs:?}");
    for log in &logs {
        let log = log.to_str().unwrap();
        for command in [
            &["report"][..],
            &["stats", "--json"],
            &["messages", "--json"],
        ] {
            let with = |threads: &str| {
                let mut args = vec!["--threads", threads];
                args.extend_from_slice(command);
                args.push(log);
                run(&args)
            };
            let one = with("1");
            assert!(!one.stdout.is_empty(), "{command:?} {log}");
            for threads in ["2", "3"] {
                let other = with(threads);
                assert_eq!(one.status.code(), other.status.code(), "{command:?} {log}");
                assert!(
                    one.stdout == other.stdout,
                    "{command:?} {log}: --threads 1 and {threads} differ"
                );
            }
        }
    }
    let postlogd = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/postlogd.log");
    let json = run(&["--threads", "3", "messages", "--json", postlogd]);
    assert!(text(&json.stdout).lines().count() > 400);
}

/// A sink that stops (here: its reader went away) stops the reading, however many threads
/// the work is spread over.
#[test]
fn a_sink_that_stops_stops_the_reading() {
    // Moving time on: a message is handed on once five minutes of log time have passed.
    let log: String = (0..60_000)
        .map(|i| {
            let stamp = format!("Aug 15 {:02}:{:02}:{:02}", i / 3600, i / 60 % 60, i % 60);
            format!(
                "{stamp} mx postfix/qmgr[2]: {:010X}: from=<a@b.example>, size=10, nrcpt=1 (queue active)\n\
                 {stamp} mx postfix/qmgr[2]: {:010X}: removed\n",
                i + 0x10000,
                i + 0x10000
            )
        })
        .collect();
    for threads in ["1", "2", "3"] {
        let mut child = spawn_piped(&["--threads", threads, "messages", "--json", "-"]);
        let mut stdin = child.stdin.take().unwrap();
        let input = log.clone();
        let writer = std::thread::spawn(move || {
            let mut written = 0;
            for block in input.as_bytes().chunks(4096) {
                if stdin.write_all(block).is_err() {
                    break;
                }
                written += block.len();
            }
            written
        });
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        let _ = std::io::Read::read(&mut stdout, &mut first).unwrap();
        drop(stdout);
        let written = writer.join().unwrap();
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "--threads {threads}");
        assert!(
            written < log.len() / 2,
            "--threads {threads}: {written} of {} bytes taken in after the output closed",
            log.len()
        );
    }
}

#[test]
fn a_flood_of_queue_ids_that_never_complete_is_bounded_and_said() {
    let log: String = (0..5_000)
        .map(|i| format!("Aug 15 08:{:02}:{:02} mx postfix/cleanup[1]: {:010X}: message-id=<{i}@flood.example>\n", i / 3600 % 60, i / 60 % 60, 0x100000 + i))
        .collect();
    let o = with_stdin(
        &["--max-in-flight", "1000", "stats", "--json", "-"],
        log.as_bytes(),
    );
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["messages"], 5_000, "every message is still reported");
    assert!(s["evicted_in_flight"].as_u64().unwrap() >= 4_000, "{s}");
    let o = with_stdin(
        &["--max-in-flight", "1000", "messages", "-"],
        log.as_bytes(),
    );
    assert_eq!(text(&o.stdout).lines().count(), 5_000);
    assert!(
        text(&o.stderr).contains("memory bound reached"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn every_line_logged_twice_tells_the_same_story() {
    let log = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/postlogd.log"
    ))
    .unwrap();
    let doubled: String = log.lines().flat_map(|l| [l, "\n", l, "\n"]).collect();
    let once = with_stdin(&["messages", "--json", "-"], log.as_bytes());
    let twice = with_stdin(&["messages", "--json", "-"], doubled.as_bytes());
    let records = |o: &Output| -> Vec<String> {
        let mut v: Vec<String> = text(&o.stdout).lines().map(str::to_string).collect();
        v.sort();
        v
    };
    let (a, b) = (records(&once), records(&twice));
    // NOQUEUE rejects carry no queue ID to tell a repeat by: each repeated reject line is a
    // record again. Every message with a queue ID must come out exactly as before.
    let queued = |v: &[String]| -> Vec<String> {
        v.iter()
            .filter(|l| !l.contains("\"queue_id\":\"NOQUEUE\""))
            .cloned()
            .collect()
    };
    assert_eq!(queued(&a), queued(&b));
    assert!(a.len() > 400);
}
