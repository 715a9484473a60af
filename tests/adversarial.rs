//! Hostile and broken input, through the binary (issue 7): never crash, never lie, never let
//! the log drive the terminal.
//!
//! The small cases are files in `tests/adversarial/`; big and damaged inputs (a 10 MB line,
//! truncated and corrupt compressed files, floods) are made at test time. Every corpus file goes
//! through every command and output format; the tests after that check what each case must
//! once the bug is fixed (`cargo test --test adversarial -- --ignored`).

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mailtrail");
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/adversarial");
const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed.log");
const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/postlogd.log");

/// The control characters a log must never get onto the terminal (ESC, BEL, CR, backspace …,
/// DEL, and the C1 set, including U+009B, the 8-bit CSI).
const ESC: char = '\u{1b}';

fn command<S: AsRef<OsStr>>(args: &[S]) -> Command {
    let mut c = Command::new(BIN);
    c.args(["--year", "2026", "--utc", "--color", "never"])
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null());
    c
}

#[derive(Debug)]
struct Out {
    args: Vec<String>,
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
}

impl Out {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Ended on its own with 0, 1 or (when `error_ok`) 2; no panic, no signal, and every line
    /// on stderr is one of mailtrail's own one-line messages.
    fn sane(&self, error_ok: bool) -> &Self {
        let allowed: &[i32] = if error_ok { &[0, 1, 2] } else { &[0, 1] };
        assert!(
            self.code().is_some_and(|c| allowed.contains(&c)),
            "mailtrail {:?} ended with {:?}\nstderr:\n{}",
            self.args,
            self.status,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "mailtrail {:?} panicked:\n{}",
            self.args,
            self.stderr
        );
        for line in self.stderr.lines() {
            assert!(
                line.starts_with("mailtrail: "),
                "mailtrail {:?}: stderr line not from mailtrail: {line:?}",
                self.args
            );
        }
        assert_terminal_safe(&self.stderr, &self.args);
        self
    }

    fn json_lines(&self) -> Vec<serde_json::Value> {
        self.text()
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!("mailtrail {:?}: not JSON ({e}): {line:?}", self.args)
                })
            })
            .collect()
    }
}

fn run<S: AsRef<OsStr>>(args: &[S]) -> Out {
    let o = command(args).output().expect("run mailtrail");
    Out {
        args: args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect(),
        status: o.status,
        stdout: o.stdout,
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn with_stdin<S: AsRef<OsStr>>(args: &[S], input: &[u8]) -> Out {
    let mut child = command(args)
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
    let o = child.wait_with_output().expect("wait");
    let _ = writer.join();
    Out {
        args: args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect(),
        status: o.status,
        stdout: o.stdout,
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Text output carries no control character but the newline: no ESC, BEL, CR, tab, backspace,
/// DEL or C1.
fn assert_terminal_safe(text: &str, args: &[String]) {
    for (n, line) in text.lines().enumerate() {
        if let Some(c) = line.chars().find(|&c| c.is_control() || c == ESC) {
            panic!(
                "mailtrail {args:?}: line {} carries the raw control character {c:?}: {line:?}",
                n + 1
            );
        }
    }
    // Invalid UTF-8 would reach the terminal as raw bytes (0x9b is an 8-bit CSI).
    assert!(
        !text.contains('\u{fffd}'),
        "mailtrail {args:?}: output is not valid UTF-8: {text:?}"
    );
}

fn terminal_safe_bytes(out: &Out) {
    let text = std::str::from_utf8(&out.stdout)
        .unwrap_or_else(|e| panic!("mailtrail {:?}: output is not UTF-8: {e}", out.args));
    assert_terminal_safe(text, &out.args);
}

/// The cells of a CSV text (RFC 4180: quoted cells may hold `,`, `"` and line breaks).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(!quoted, "CSV ends inside a quoted cell: {text:?}");
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// Every row has the header's width, and no cell would run as a spreadsheet formula.
fn assert_csv_safe(out: &Out) {
    let rows = csv_rows(&out.text());
    let Some(header) = rows.first() else {
        panic!("mailtrail {:?}: no CSV header", out.args);
    };
    for row in &rows {
        assert_eq!(
            row.len(),
            header.len(),
            "mailtrail {:?}: CSV row of another width: {row:?}",
            out.args
        );
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "mailtrail {:?}: CSV cell not neutralised: {cell:?}",
                out.args
            );
        }
    }
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .expect("tests/adversarial")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 12, "the adversarial corpus is missing files");
    files
}

fn corpus(name: &str) -> String {
    format!("{CORPUS}/{name}")
}

/// The messages of `messages --json`, by queue ID.
fn messages(file: &str) -> Vec<serde_json::Value> {
    let o = run(&["messages", "--json", file]);
    o.sane(false);
    o.json_lines()
}

fn stats(file: &str) -> serde_json::Value {
    let o = run(&["stats", "--json", file]);
    o.sane(false);
    serde_json::from_slice(&o.stdout).expect("stats JSON")
}

fn instant(v: &serde_json::Value) -> jiff::Timestamp {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an RFC 3339 time: {v}"))
}

/// Every command and format over every corpus file, from a file and from stdin.
#[test]
fn every_corpus_file_through_every_command() {
    for file in corpus_files() {
        let f = file.to_str().expect("UTF-8 path");
        for args in [
            &["messages", f][..],
            &["trace", "--raw", "ABCDE12345", f],
            &["trace", "--raw", "a.example", f],
            &["stats", f],
            &["stats", "--unparsed", f],
        ] {
            let o = run(args);
            o.sane(false);
            terminal_safe_bytes(&o);
        }
        for args in [
            &["messages", "--json", f][..],
            &["trace", "--json", "--raw", "ABCDE12345", f],
            &["stats", "--json", f],
        ] {
            let o = run(args);
            o.sane(false);
            o.json_lines();
        }
        let o = run(&["messages", "--csv", f]);
        o.sane(false);
        assert_csv_safe(&o);
        // The same bytes from a pipe give the same messages.
        let bytes = std::fs::read(&file).expect("read corpus file");
        let piped = with_stdin(&["messages", "--json", "-"], &bytes);
        piped.sane(false);
        assert_eq!(
            piped.json_lines().len(),
            run(&["messages", "--json", f]).json_lines().len(),
            "{f} from stdin"
        );
    }
}

#[test]
fn binary_garbage_is_counted_and_the_one_good_line_understood() {
    let s = stats(&corpus("binary-garbage.bin"));
    assert_eq!(s["understood"], 1, "{s}");
    assert!(s["malformed"].as_u64() > Some(0), "{s}");
    let ms = messages(&corpus("binary-garbage.bin"));
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0]["queue_id"], "ABCDE12345");
}

#[test]
fn nul_bytes_are_data_not_terminators() {
    let file = corpus("nul-bytes.log");
    let s = stats(&file);
    assert_eq!(s["lines"], 7, "{s}");
    let ms = messages(&file);
    assert_eq!(ms.len(), 1, "{ms:?}");
    assert_eq!(ms[0]["from"], "nul\u{0}here@a.example");
    assert_eq!(ms[0]["recipients"][0]["reply"], "250 ok\u{0} queued");
    assert_eq!(ms[0]["removed"], true);
    let o = run(&["trace", "ABCDE12345", &file]);
    o.sane(false);
    assert!(
        o.text().contains("<nul\\x00here@a.example>"),
        "{}",
        o.text()
    );
}

#[test]
fn invalid_utf8_is_shown_as_escapes() {
    let file = corpus("invalid-utf8.log");
    let ms = messages(&file);
    let m = &ms[0];
    assert_eq!(m["client"]["name"], "caf\\xe9.example");
    assert_eq!(m["from"], "j\\xfcrgen@m\\xfcller.example");
    assert_eq!(m["recipients"][0]["to"], "日@b.example");
    assert_eq!(m["recipients"][0]["reply"], "250 \\xe6\\x97 cut");
    assert!(ms.iter().any(|m| m["host"] == "m\\xe9x"), "{ms:?}");
    let o = run(&["trace", "ABCDE12345", &file]);
    o.sane(false);
    terminal_safe_bytes(&o);
    assert!(o.text().contains("caf\\xe9.example"), "{}", o.text());
}

#[test]
fn crlf_lines_read_as_lf_lines_and_stray_cr_is_escaped() {
    let file = corpus("crlf-mix.log");
    let ms = messages(&file);
    let m = ms
        .iter()
        .find(|m| m["queue_id"] == "ABCDE12345")
        .expect("ABCDE12345");
    assert_eq!(m["client"]["name"], "a.example", "CRLF stripped");
    assert_eq!(m["recipients"][0]["status"], "sent");
    let o = run(&["trace", "ABCDE12345", &file]);
    o.sane(false);
    terminal_safe_bytes(&o);
    assert!(o.text().contains("250 ok\\x0dforged"), "{}", o.text());
    // Nothing is lost silently: every line is understood or counted.
    let s = stats(&file);
    let postfix = s["postfix_lines"].as_u64().unwrap_or(0);
    let counted = s["malformed"].as_u64().unwrap_or(0)
        + s["other_program_lines"].as_u64().unwrap_or(0)
        + postfix;
    assert_eq!(Some(counted), s["lines"].as_u64(), "{s}");
}

#[test]
fn last_line_without_newline_counts() {
    let ms = messages(&corpus("no-final-newline.log"));
    assert_eq!(ms.len(), 1);
    assert_eq!(
        ms[0]["removed"], true,
        "the unterminated `removed` line is read"
    );
    assert_eq!(ms[0]["status"], "sent");
}

#[test]
fn lines_cut_mid_field_are_counted_and_the_delivery_kept() {
    let file = corpus("cut-mid-field.log");
    let s = stats(&file);
    assert_eq!(
        s["postfix_lines"].as_u64(),
        Some(s["understood"].as_u64().unwrap_or(0) + s["not_understood"].as_u64().unwrap_or(0)),
        "{s}"
    );
    // Every line not understood can be listed.
    let o = run(&["stats", "--unparsed", &file]);
    o.sane(false);
    assert_eq!(
        o.text().lines().count() as u64,
        s["not_understood"].as_u64().unwrap_or(0)
    );
    // The delivery line cut short still records its recipient.
    let ms = messages(&file);
    let m = ms
        .iter()
        .find(|m| m["queue_id"] == "ABCDE12345")
        .expect("ABCDE12345");
    let bounced = m["recipients"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["to"] == "b@b.example"))
        .expect("b@b.example recorded");
    assert_eq!(bounced["status"], "bounced");
}

#[test]
fn an_address_cut_inside_its_brackets_is_not_a_recipient() {
    let ms = messages(&corpus("cut-mid-field.log"));
    let m = ms
        .iter()
        .find(|m| m["queue_id"] == "ABCDE12345")
        .expect("ABCDE12345");
    let tos: Vec<&str> = m["recipients"]
        .as_array()
        .map(|rs| rs.iter().filter_map(|r| r["to"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(tos, ["b@b.example"], "{m}");
    assert_eq!(
        m["status"], "bounced",
        "no phantom recipient makes it mixed"
    );
    let noqueue = ms
        .iter()
        .find(|m| m["queue_id"] == "NOQUEUE")
        .expect("NOQUEUE");
    assert_ne!(noqueue["recipients"][0]["to"], "r@b", "{noqueue}");
}

#[test]
fn unknown_daemons_are_counted_by_name_and_listed() {
    let file = corpus("unknown-daemons.log");
    let s = stats(&file);
    assert_eq!(s["not_understood_by_daemon"]["frobnicator"], 1, "{s}");
    assert_eq!(s["other_programs"]["opendkim"], 1, "{s}");
    let o = run(&["stats", "--unparsed", &file]);
    o.sane(false);
    assert!(o.text().contains("frobnicated the queue"), "{}", o.text());
    // A delivery agent with a service name of its own is still a delivery agent.
    let ms = messages(&file);
    assert!(
        ms.iter()
            .any(|m| m["instance"] == "postfix-out" && m["recipients"][0]["status"] == "sent"),
        "{ms:?}"
    );
}

#[test]
fn timestamps_going_backwards_never_make_a_negative_life() {
    let ms = messages(&corpus("time-backwards.log"));
    assert_eq!(ms.len(), 3, "{ms:?}");
    for m in &ms {
        assert!(
            instant(&m["first_seen"]) <= instant(&m["last_seen"]),
            "first_seen after last_seen: {m}"
        );
    }
    assert_eq!(ms[0]["first_seen"], "2026-08-15T07:00:00+00:00");
    assert_eq!(ms[0]["last_seen"], "2026-08-15T08:00:05+00:00");
}

/// syslog writes lines of different processes slightly out of order; at New Year one line
/// stamped 23:59:59 may follow one stamped 00:00:00.
#[test]
fn one_line_out_of_order_at_new_year_does_not_move_the_log_a_year() {
    let log = "Dec 31 23:59:59 mx postfix/qmgr[2]: ABCDE12345: from=<a@b.example>, size=10, nrcpt=1 (queue active)\n\
               Jan  1 00:00:00 mx postfix/smtp[3]: ABCDE12345: to=<c@d.example>, relay=d.example[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n\
               Dec 31 23:59:59 mx postfix/smtpd[4]: connect from x.example[192.0.2.7]\n\
               Jan  1 00:00:00 mx postfix/qmgr[2]: ABCDE12345: removed\n\
               Jan  1 00:00:05 mx postfix/qmgr[2]: BBBBB12345: from=<a@b.example>, size=10, nrcpt=1 (queue active)\n\
               Jan  1 00:00:06 mx postfix/qmgr[2]: BBBBB12345: removed\n";
    let o = with_stdin(&["messages", "--json", "-"], log.as_bytes());
    o.sane(false);
    let ms = o.json_lines();
    assert_eq!(
        ms[0]["last_seen"], "2027-01-01T00:00:00+00:00",
        "{:?}",
        ms[0]
    );
    assert_eq!(
        ms[1]["first_seen"], "2027-01-01T00:00:05+00:00",
        "{:?}",
        ms[1]
    );
}

#[test]
fn duplicated_lines_do_not_duplicate_recipients_or_attempts_within_a_message() {
    let ms = messages(&corpus("duplicated-lines.log"));
    for m in &ms {
        assert_eq!(m["recipients"].as_array().map(Vec::len), Some(1), "{m}");
    }
    assert!(ms.iter().any(|m| m["removed"] == true), "{ms:?}");
}

/// A log shipped twice (a relay that repeats, `cat mail.log mail.log`) repeats lines with the
/// same stamp: that is one message, not a reused queue ID.
#[test]
fn duplicated_lines_are_one_message() {
    let ms = messages(&corpus("duplicated-lines.log"));
    assert_eq!(ms.len(), 1, "{ms:?}");
    assert_eq!(ms[0]["removed"], true);
    assert_eq!(
        stats(&corpus("duplicated-lines.log"))["reused_queue_ids"],
        0
    );
}

#[test]
fn an_empty_file_is_read_quietly_and_matches_nothing() {
    let o = run(&["messages", &corpus("empty.log")]);
    o.sane(false);
    assert_eq!(o.code(), Some(1));
    assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{o:?}");
    assert_eq!(stats(&corpus("empty.log"))["lines"], 0);
    let o = with_stdin(&["messages", "-"], b"");
    o.sane(false);
    assert_eq!(o.code(), Some(1));
}

/// Garbage in a file that holds no Postfix line at all: `messages` must not just say "nothing
/// matched" (exit 1, silence) as if the log had been read.
#[test]
fn skipped_garbage_is_reported_by_every_command() {
    for args in [
        &[
            "messages",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/adversarial/binary-garbage.bin"
            ),
        ][..],
        &[
            "trace",
            "x@y",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/adversarial/binary-garbage.bin"
            ),
        ],
    ] {
        let o = run(args);
        o.sane(false);
        assert!(
            o.stderr.contains("without syslog form") || o.stderr.contains("skipped"),
            "mailtrail {args:?}: nothing said about the skipped lines: {:?}",
            o.stderr
        );
    }
}

// ---- a 10 MB line ------------------------------------------------------------------------

#[test]
fn a_10_mb_line_is_read_whole_and_quickly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = "x".repeat(10 << 20);
    let log = dir.path().join("long.log");
    std::fs::write(
        &log,
        format!(
            "Aug 15 08:00:02 mx postfix/qmgr[2]: ABCDE12345: from=<{big}@e.example>, size=10, nrcpt=1 (queue active)\n\
             Aug 15 08:00:03 mx postfix/smtp[3]: ABCDE12345: to=<r@b.example>, relay=b.example[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 {big})\n\
             Aug 15 08:00:03 mx postfix/qmgr[2]: ABCDE12345: removed\n\
             {big}"
        ),
    )
    .expect("write");
    let started = Instant::now();
    let o = run(&["messages", "--json", log.to_str().expect("path")]);
    o.sane(false);
    let ms = o.json_lines();
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0]["from"].as_str().map(str::len), Some(big.len() + 10));
    assert_eq!(ms[0]["status"], "sent");
    let s = stats(log.to_str().expect("path"));
    assert_eq!(
        s["lines"], 4,
        "the unterminated 10 MB last line is one line"
    );
    assert_eq!(s["malformed"], 1);
    let o = run(&["trace", "--raw", "r@b.example", log.to_str().expect("path")]);
    o.sane(false);
    assert!(o.stdout.len() > 30 << 20, "the long fields are all shown");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "10 MB lines took {:?}",
        started.elapsed()
    );
}

/// A crash leaves runs of NUL bytes in a log; a binary file has no newline at all. A line is
/// not allowed to take all memory: past some length the rest of it can be skipped and counted.
#[test]
fn an_endless_line_does_not_take_all_memory() {
    if !Path::new("/proc/self/status").exists() {
        return;
    }
    let mut child = command(&["stats", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::repeat(0).take(400 << 20), &mut stdin);
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    while child.try_wait().expect("wait").is_none() {
        if let Some(kb) = std::fs::read_to_string(&status_file)
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kb);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = writer.join();
    let o = child.wait_with_output().expect("wait");
    assert!(o.status.code().is_some(), "{:?}", o.status);
    assert!(peak < MEMORY_CAP_KB, "peak RSS {peak} kB for a 400 MB line");
}

// ---- damaged input: compressed files, unreadable files, directories ----------------------

fn sample_lines() -> Vec<u8> {
    std::fs::read(SAMPLE).expect("examples/postlogd.log")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn zstd_frames(bytes: &[u8]) -> Vec<u8> {
    // Two frames, so that the first one is whole when the second is damaged.
    let half = bytes.len() / 2;
    let mut out = zstd::encode_all(&bytes[..half], 3).expect("zstd");
    out.extend(zstd::encode_all(&bytes[half..], 3).expect("zstd"));
    out
}

fn bzip2(bytes: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(bytes).expect("bzip2");
    e.finish().expect("bzip2")
}

fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(bytes).expect("xz");
    e.finish().expect("xz")
}

/// A damaged input: exit status 2, exactly one line on stderr naming the file (with `what`
/// in it), and the messages read before the damage still printed.
fn assert_damaged(path: &Path, what: &str, some_messages: bool) {
    let name = path.to_str().expect("path");
    let o = run(&["messages", name, SEED]);
    o.sane(true);
    assert_eq!(o.code(), Some(2), "{o:?}");
    let about: Vec<&str> = o.stderr.lines().filter(|l| l.contains(name)).collect();
    assert_eq!(about.len(), 1, "one line naming {name}: {:?}", o.stderr);
    assert!(
        about[0].starts_with(&format!("mailtrail: {name}: ")) && about[0].contains(what),
        "{:?}",
        about[0]
    );
    let rows = o.text().lines().count();
    let seed_rows = 3;
    if some_messages {
        assert!(
            rows > seed_rows,
            "nothing read before the damage was shown: {o:?}"
        );
    } else {
        assert!(
            rows >= seed_rows,
            "the readable file was not reported: {o:?}"
        );
    }
}

#[test]
fn truncated_compressed_files_report_the_offset_and_keep_what_was_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample_lines();
    // bzip2 works in blocks of 900 kB: the sample log is one block, and a cut one yields nothing.
    for (ext, bytes, label, some) in [
        ("gz", gzip(&log), "truncated gzip data", true),
        ("zst", zstd_frames(&log), "truncated zstd data", true),
        ("bz2", bzip2(&log), "bzip2 data", false),
        ("xz", xz(&log), "truncated xz data", true),
    ] {
        let path = dir.path().join(format!("mail.log.1.{ext}"));
        std::fs::write(&path, &bytes[..bytes.len() * 3 / 4]).expect("write");
        assert_damaged(&path, label, some);
        assert_damaged(&path, "at byte ", some);
    }
}

#[test]
fn corrupt_compressed_files_are_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample_lines();
    for (ext, mut bytes, label) in [
        ("gz", gzip(&log), "corrupt gzip data"),
        ("zst", zstd_frames(&log), "corrupt zstd data"),
        ("bz2", bzip2(&log), "bzip2 data"),
        ("xz", xz(&log), "xz data"),
    ] {
        let at = bytes.len() * 3 / 4;
        for b in &mut bytes[at..at + 64] {
            *b ^= 0x5a;
        }
        let path = dir.path().join(format!("mail.log.2.{ext}"));
        std::fs::write(&path, &bytes).expect("write");
        assert_damaged(&path, label, ext != "bz2" && ext != "xz");
    }
    // Only the magic number: nothing to decompress at all.
    let path = dir.path().join("mail.log.3.gz");
    std::fs::write(&path, [0x1f, 0x8b]).expect("write");
    assert_damaged(&path, "gzip data", false);
}

#[test]
fn unreadable_inputs_are_one_line_each_and_the_rest_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    // chmod 000: unreadable, except for root (CI runs as root), who reads it anyway.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let secret = dir.path().join("secret.log");
        std::fs::write(&secret, b"x\n").expect("write");
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        if std::fs::File::open(&secret).is_err() {
            assert_damaged(&secret, "Permission denied", false);
        } else {
            eprintln!("running as root: chmod 000 does not stop reads; the other unreadable inputs still run");
        }
    }
    // Unreadable whoever you are: a directory, a path under a file, a missing file.
    assert_damaged(dir.path(), "is a directory", false);
    let under = PathBuf::from(SEED).join("mail.log");
    assert_damaged(&under, "Not a directory", false);
    assert_damaged(&dir.path().join("missing.log"), "No such file", false);
    // A file that opens but cannot be read: reading /proc/self/mem at 0 fails with EIO.
    let mem = Path::new("/proc/self/mem");
    if mem.exists() {
        assert_damaged(mem, "error", false);
    }
}

#[test]
fn several_bad_inputs_each_get_their_line_and_the_good_one_its_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trunc = dir.path().join("mail.log.1.gz");
    let gz = gzip(&sample_lines());
    std::fs::write(&trunc, &gz[..gz.len() / 2]).expect("write");
    let missing = dir.path().join("mail.log.2");
    let args: Vec<OsString> = vec![
        "messages".into(),
        dir.path().into(),
        missing.clone().into(),
        trunc.clone().into(),
        SEED.into(),
    ];
    let o = run(&args);
    o.sane(true);
    assert_eq!(o.code(), Some(2));
    assert_eq!(o.stderr.lines().count(), 3, "{}", o.stderr);
    assert!(
        o.text().contains("1A2B3C4D5E"),
        "the seed is still reported"
    );
}

// ---- terminal safety, JSON, CSV ----------------------------------------------------------

#[test]
fn escape_sequences_in_every_field_never_reach_the_terminal_raw() {
    let file = corpus("escapes.log");
    for args in [
        &["trace", "--raw", "ABCDE12345", &file][..],
        &["trace", "s@evil.example", &file],
        &["messages", &file],
        &["stats", &file],
        &["stats", "--unparsed", &file],
    ] {
        let o = run(args);
        o.sane(false);
        terminal_safe_bytes(&o);
    }
    let o = run(&["trace", "--raw", "ABCDE12345", &file]);
    let text = o.text();
    for field in [
        "client      evil\\x1b]0;pwned\\x07",
        "helo helo\\x1b]0;pwned",
        "from        <a\\x1b]0;pwned",
        "message-id  <id\\x1b]0;pwned",
        "sent          b\\x1b]0;pwned",
        "(originally o\\x1b]0;pwned",
        "relay relay\\x1b]0;pwned",
        "250 ok \\x1b]0;pwned",
        "sasl u\\x1b]0;pwned",
        "on mx\\x1b]0;pwned",
        "\\x9b31m",
    ] {
        assert!(text.contains(field), "{field:?} not shown escaped:\n{text}");
    }
}

#[test]
fn a_milter_action_from_the_log_is_escaped_too() {
    let log = b"Aug 15 08:00:01 mx postfix/cleanup[4]: ABCDE12345: milter-\x1b]0;pwned\x07\x1b[2J: END-OF-MESSAGE from evil.example[192.0.2.1]: 4.7.1 nope; from=<a@evil.example> to=<b@b.example> proto=ESMTP helo=<h>\n";
    let o = with_stdin(&["trace", "ABCDE12345", "-"], log);
    o.sane(false);
    terminal_safe_bytes(&o);
}

#[test]
fn json_stays_valid_and_keeps_the_bytes() {
    let file = corpus("escapes.log");
    let o = run(&["trace", "--json", "--raw", "ABCDE12345", &file]);
    o.sane(false);
    let ms = o.json_lines();
    // The same queue ID under the syslog name `postfix<ESC…>` is another instance's message.
    assert_eq!(ms.len(), 2, "{ms:?}");
    let m = ms
        .iter()
        .find(|m| m["instance"] == "postfix")
        .expect("the postfix instance");
    let from = m["from"].as_str().expect("from");
    assert!(from.starts_with("a\u{1b}]0;pwned\u{7}"), "{from:?}");
    // Invalid UTF-8 (the raw 0x9b) is written as the text \x9b, never as a raw byte.
    assert!(from.contains("\\x9b31m"), "{from:?}");
}

#[test]
fn csv_cells_that_could_run_as_formulas_are_neutralised() {
    let o = run(&["messages", "--csv", &corpus("formulas.log")]);
    o.sane(false);
    assert_csv_safe(&o);
    let rows = csv_rows(&o.text());
    assert_eq!(rows.len(), 3, "{rows:?}");
    let all: Vec<&String> = rows.iter().flatten().collect();
    for cell in [
        "'=HYPERLINK(\"http://x\")",
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\t=1",
        "'\r=1",
        "'=cmd|'/c calc'!A0",
    ] {
        assert!(
            all.iter().any(|c| c.as_str() == cell),
            "{cell:?} not in {all:?}"
        );
    }
}

// ---- pipes and signals -------------------------------------------------------------------

/// `lines` complete messages, one sender each.
fn many_messages(lines: usize) -> String {
    let mut log = String::with_capacity(lines * 300);
    for i in 0..lines {
        let q = format!("{:011X}", 0x100_0000_0000u64 + i as u64);
        let t = i / 100;
        let stamp = format!(
            "Aug {:2} {:02}:{:02}:{:02}",
            1 + t / 86_400 % 28,
            t / 3600 % 24,
            t / 60 % 60,
            t % 60
        );
        log.push_str(&format!(
            "{stamp} mx postfix/qmgr[2]: {q}: from=<s{i}@spam{i}.example>, size=1000, nrcpt=1 (queue active)\n\
             {stamp} mx postfix/smtp[3]: {q}: to=<r@b.example>, relay=b.example[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n\
             {stamp} mx postfix/qmgr[2]: {q}: removed\n\
             {stamp} mx postfix/smtpd[4]: a line nobody understands {i}\n"
        ));
    }
    log
}

#[test]
fn piped_into_head_every_command_ends_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("many.log");
    std::fs::write(&log, many_messages(20_000)).expect("write");
    let log = log.to_str().expect("path");
    for args in [
        "messages",
        "messages --json",
        "messages --csv",
        "trace r@b.example",
        "trace --json r@b.example",
        "stats --unparsed",
    ] {
        let script = format!(
            "'{BIN}' --year 2026 --utc {args} '{log}' | head -1 >/dev/null; echo \"status ${{PIPESTATUS[0]}}\" >&2"
        );
        let o = Command::new("bash")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .output()
            .expect("bash");
        let err = String::from_utf8_lossy(&o.stderr);
        let quiet: Vec<&str> = err
            .lines()
            .filter(|l| !l.starts_with("status ") && !l.contains("not understood"))
            .collect();
        assert!(quiet.is_empty(), "mailtrail {args} | head -1: {err}");
        assert!(
            err.contains("status 0") || err.contains("status 1"),
            "mailtrail {args} | head -1: {err}"
        );
    }
}

/// The reader leaving early is no reason to hide that an input could not be read.
#[test]
fn piped_into_head_input_errors_are_still_told() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("many.log");
    std::fs::write(&log, many_messages(20_000)).expect("write");
    let script = format!(
        "'{BIN}' --year 2026 --utc messages /nonexistent/mail.log '{}' | head -1 >/dev/null; echo \"status ${{PIPESTATUS[0]}}\" >&2",
        log.display()
    );
    let o = Command::new("bash")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .output()
        .expect("bash");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("mailtrail: /nonexistent/mail.log: No such file or directory"),
        "{err}"
    );
    assert!(err.contains("status 2"), "{err}");
}

/// A file name is shown on stderr as it is; one made by someone else (a glob over a log
/// directory) could carry escape sequences too.
#[test]
fn file_names_in_error_messages_are_escaped() {
    let o = run(&["messages", "/nonexistent/\u{1b}]0;pwned\u{7}\u{1b}[2J.log"]);
    assert_eq!(o.code(), Some(2));
    assert_terminal_safe(&o.stderr, &o.args);
}

/// `mailtrail … 2>&1 >/dev/null | grep -q missing`: grep leaves after the first line, and the
/// next message on stderr meets a closed pipe.
#[test]
fn a_closed_stderr_is_no_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("many.log");
    std::fs::write(&log, many_messages(5_000)).expect("write");
    let mut child = command(&[
        OsStr::new("messages"),
        dir.path().join("missing-1.log").as_os_str(),
        dir.path().join("missing-2.log").as_os_str(),
        log.as_os_str(),
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    drop(child.stderr.take());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(2), "{status:?}");
}

fn sigint_ignored_here() -> bool {
    // Signals ignored by this process are ignored by its children too (nohup, `cmd &` in a
    // script): then there is nothing to test.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (2 - 1)) != 0)
}

/// A child from `spawn(copies)` still running `after` its start, with 1, 4, then 16 copies of
/// its input; `None` when even the most ended sooner.
fn still_running_after(after: Duration, spawn: impl Fn(usize) -> Child) -> Option<Child> {
    for copies in [1, 4, 16] {
        let mut child = spawn(copies);
        std::thread::sleep(after);
        if child.try_wait().expect("wait").is_none() {
            return Some(child);
        }
    }
    None
}

fn interrupt(child: &mut Child) -> (Duration, ExitStatus) {
    // bash's own `kill`: no procps needed.
    let kill = Command::new("bash")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .expect("kill");
    assert!(kill.success());
    let sent = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (sent.elapsed(), status);
        }
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigint_ends_promptly_without_a_backtrace() {
    if sigint_ignored_here() {
        eprintln!("SKIPPED: SIGINT is ignored in this test process, and so in mailtrail");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("big.log");
    std::fs::write(&log, many_messages(100_000)).expect("write");
    let gz = dir.path().join("big.log.1.gz");
    std::fs::write(&gz, gzip(&std::fs::read(&log).expect("read"))).expect("write");
    let (log, gz) = (log.to_str().expect("path"), gz.to_str().expect("path"));
    for (args, file, stdin) in [
        (vec!["messages", "--json"], log, false),
        (vec!["trace", "r@b.example"], gz, false),
        (vec!["stats", "-"], log, true),
    ] {
        let mut child = still_running_after(Duration::from_millis(300), |copies| {
            // The file named `copies` times, or written that many times into standard input:
            // a faster build or machine gets more to read, so that it is interrupted mid-run.
            let mut c = command(&args);
            if !stdin {
                c.args(std::iter::repeat_n(file, copies));
            }
            c.stdout(Stdio::null()).stderr(Stdio::piped());
            if stdin {
                c.stdin(Stdio::piped());
            }
            let mut child = c.spawn().expect("spawn");
            if let Some(mut pipe) = child.stdin.take() {
                let text = std::fs::read(file).expect("read");
                // Ends with an error once mailtrail is gone.
                std::thread::spawn(move || {
                    for _ in 0..copies {
                        if pipe.write_all(&text).is_err() {
                            break;
                        }
                    }
                });
            }
            child
        })
        .unwrap_or_else(|| panic!("mailtrail {args:?} ended before it could be interrupted"));
        let (took, status) = interrupt(&mut child);
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        assert!(
            took < Duration::from_secs(2),
            "mailtrail {args:?} took {took:?} to end after SIGINT"
        );
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "mailtrail {args:?}: {err}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert!(
                status.signal() == Some(2) || status.code() == Some(130),
                "mailtrail {args:?} ended with {status:?} after SIGINT"
            );
        }
    }
}

// ---- memory and time under attack --------------------------------------------------------

/// Runs mailtrail to the end and returns its peak resident set (VmHWM, kB), sampled from /proc.
fn peak_rss_kb<S: AsRef<OsStr>>(args: &[S]) -> (ExitStatus, u64, Duration) {
    let started = Instant::now();
    let mut child = command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            return (status, peak, started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn write_flood(path: &Path, n: usize, line: impl Fn(usize, &str, &str) -> String) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for i in 0..n {
        let t = i / 100;
        let stamp = format!(
            "Aug {:2} {:02}:{:02}:{:02}",
            1 + t / 86_400 % 28,
            t / 3600 % 24,
            t / 60 % 60,
            t % 60
        );
        let q = format!("{:011X}", 0x100_0000_0000u64 + i as u64);
        out.write_all(line(i, &stamp, &q).as_bytes())
            .expect("write");
    }
    out.flush().expect("flush");
}

/// What the memory tests allow: the tracker keeps a bounded number of open messages and
/// sessions, evicts the oldest beyond that, and says so.
const MEMORY_CAP_KB: u64 = 256 * 1024;

#[test]
fn a_flood_of_queue_ids_that_never_complete_stays_bounded() {
    if !Path::new("/proc/self/status").exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("flood.log");
    write_flood(&log, 400_000, |i, stamp, q| {
        format!("{stamp} mx postfix/qmgr[2]: {q}: from=<s{i}@spam{i}.example>, size=1000, nrcpt=1 (queue active)\n")
    });
    let (status, peak, took) = peak_rss_kb(&[OsStr::new("stats"), log.as_os_str()]);
    assert!(status.code().is_some(), "{status:?}");
    assert!(
        peak < MEMORY_CAP_KB,
        "peak RSS {peak} kB for 400k open queue IDs ({took:?})"
    );
    // And the output says what was evicted.
    let o = run(&[OsStr::new("stats"), log.as_os_str()]);
    assert!(
        (o.text() + &o.stderr).to_lowercase().contains("evict"),
        "nothing says messages were evicted: {}\n{}",
        o.text(),
        o.stderr
    );
}

#[test]
fn a_flood_of_connections_that_never_end_stays_bounded() {
    if !Path::new("/proc/self/status").exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sessions.log");
    write_flood(&log, 1_000_000, |i, stamp, _| {
        format!(
            "{stamp} mx postfix/smtpd[{}]: connect from c{i}.example[192.0.2.9]\n",
            i + 100
        )
    });
    let (status, peak, took) = peak_rss_kb(&[OsStr::new("stats"), log.as_os_str()]);
    assert!(status.code().is_some(), "{status:?}");
    assert!(
        peak < MEMORY_CAP_KB,
        "peak RSS {peak} kB for 1M open sessions ({took:?})"
    );
}

#[test]
fn a_burst_of_distinct_senders_stays_bounded() {
    if !Path::new("/proc/self/status").exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("senders.log");
    // 10,000 messages a second of log time: all within the linger of each other.
    write_flood(&log, 400_000, |i, _, q| {
        let t = i / 10_000;
        let stamp = format!("Aug 15 08:{:02}:{:02}", t / 60, t % 60);
        format!(
            "{stamp} mx postfix/qmgr[2]: {q}: from=<s{i}@spam{i}.example>, size=1000, nrcpt=1 (queue active)\n\
             {stamp} mx postfix/smtp[3]: {q}: to=<r@b.example>, relay=b.example[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n\
             {stamp} mx postfix/qmgr[2]: {q}: removed\n"
        )
    });
    let (status, peak, took) = peak_rss_kb(&[
        OsStr::new("messages"),
        OsStr::new("--json"),
        log.as_os_str(),
    ]);
    assert!(status.code().is_some(), "{status:?}");
    assert!(
        peak < MEMORY_CAP_KB,
        "peak RSS {peak} kB for 400k distinct senders ({took:?})"
    );
}

/// Under memory pressure ended messages are handed on before their linger is over; a late line
/// for one is counted and left out, not taken for a new message of its own.
#[test]
fn a_late_line_for_a_message_handed_on_early_is_counted_not_a_new_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("late.log");
    let mut text = String::new();
    for q in ["1000000000A", "1000000000B", "1000000000C"] {
        text += &format!(
            "Aug 15 08:00:00 mx postfix/qmgr[2]: {q}: from=<s@a.example>, size=1000, nrcpt=1 (queue active)\n\
             Aug 15 08:00:00 mx postfix/smtp[3]: {q}: to=<r@b.example>, relay=b.example[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n\
             Aug 15 08:00:00 mx postfix/qmgr[2]: {q}: removed\n"
        );
    }
    // The first message was handed on to make room for the third: its late line comes now.
    text += "Aug 15 08:00:01 mx postfix/smtp[3]: 1000000000A: to=<x@b.example>, relay=b.example[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n";
    std::fs::write(&log, text).expect("write");
    let log = log.to_str().expect("path");
    let o = run(&["--max-in-flight", "2", "messages", "--json", log]);
    o.sane(false);
    let ms = o.json_lines();
    assert_eq!(ms.len(), 3, "{ms:?}");
    assert!(ms.iter().all(|m| m["status"] == "sent"), "{ms:?}");
    assert!(o.stderr.contains("1 late lines"), "{}", o.stderr);
    let o = run(&["--max-in-flight", "2", "stats", log]);
    o.sane(false);
    assert!(
        o.text()
            .contains("late lines for those, left out          1"),
        "{}",
        o.text()
    );
}

#[test]
fn distinct_senders_spread_over_time_stay_bounded() {
    if !Path::new("/proc/self/status").exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("senders.log");
    write_flood(&log, 100_000, |i, stamp, q| {
        format!(
            "{stamp} mx postfix/qmgr[2]: {q}: from=<s{i}@spam{i}.example>, size=1000, nrcpt=1 (queue active)\n\
             {stamp} mx postfix/smtp[3]: {q}: to=<r@b.example>, relay=b.example[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n\
             {stamp} mx postfix/qmgr[2]: {q}: removed\n\
             {stamp} mx postfix/smtpd[5]: NOQUEUE: reject: RCPT from c{i}.example[192.0.2.9]: 554 5.7.1 <r@b.example>: Relay access denied; from=<n{i}@spam{i}.example> to=<r@b.example> proto=ESMTP helo=<h{i}>\n"
        )
    });
    let (status, peak, took) = peak_rss_kb(&[OsStr::new("messages"), log.as_os_str()]);
    assert_eq!(status.code(), Some(0));
    assert!(
        peak < MEMORY_CAP_KB,
        "peak RSS {peak} kB for 200k distinct senders, 100 a second ({took:?})"
    );
}

/// `trace` of a domain that every message goes to, on a big log.
#[test]
fn a_trace_matching_every_message_stays_bounded() {
    if !Path::new("/proc/self/status").exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("senders.log");
    write_flood(&log, 300_000, |i, stamp, q| {
        format!(
            "{stamp} mx postfix/qmgr[2]: {q}: from=<s{i}@spam{i}.example>, size=1000, nrcpt=1 (queue active)\n\
             {stamp} mx postfix/smtp[3]: {q}: to=<r@b.example>, relay=b.example[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n\
             {stamp} mx postfix/qmgr[2]: {q}: removed\n"
        )
    });
    let (status, peak, took) = peak_rss_kb(&[
        OsStr::new("trace"),
        OsStr::new("r@b.example"),
        log.as_os_str(),
    ]);
    assert_eq!(status.code(), Some(0));
    assert!(
        peak < MEMORY_CAP_KB,
        "peak RSS {peak} kB for a trace matching 300k messages ({took:?})"
    );
}

/// A central log of many hosts, each relaying its mail (`queued as`): the work per line must not
/// grow with the number of hosts seen.
#[test]
fn many_hosts_relaying_take_linear_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("hosts.log");
    let n = 40_000;
    write_flood(&log, n, |i, stamp, q| {
        let next = format!("{:011X}", 0x200_0000_0000u64 + i as u64);
        format!(
            "{stamp} mx{i} postfix/qmgr[2]: {q}: from=<s@a.example>, size=1000, nrcpt=1 (queue active)\n\
             {stamp} mx{i} postfix/smtp[3]: {q}: to=<r@b.example>, relay=b.example[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {next})\n\
             {stamp} mx{i} postfix/qmgr[2]: {q}: removed\n"
        )
    });
    // The same number of lines from one host, as the yardstick.
    let one = dir.path().join("one.log");
    write_flood(&one, n, |i, stamp, q| {
        let next = format!("{:011X}", 0x200_0000_0000u64 + i as u64);
        format!(
            "{stamp} mx postfix/qmgr[2]: {q}: from=<s@a.example>, size=1000, nrcpt=1 (queue active)\n\
             {stamp} mx postfix/smtp[3]: {q}: to=<r@b.example>, relay=b.example[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {next})\n\
             {stamp} mx postfix/qmgr[2]: {q}: removed\n"
        )
    });
    let (_, _, yardstick) = peak_rss_kb(&[OsStr::new("stats"), one.as_os_str()]);
    let (status, _, took) = peak_rss_kb(&[OsStr::new("stats"), log.as_os_str()]);
    assert_eq!(status.code(), Some(0));
    assert!(
        took < yardstick * 4 + Duration::from_secs(2),
        "{n} hosts took {took:?}, one host {yardstick:?}"
    );
}

// ---- time that cannot be shown ------------------------------------------------------------

/// Before standard time, zones had offsets with seconds (Berlin: +00:53:28). RFC 3339 has no
/// seconds in offsets, so the shown time must be moved, not the offset cut.
#[test]
fn a_local_mean_time_offset_does_not_shift_the_instant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("old.log");
    std::fs::write(
        &log,
        "1800-01-01T00:00:00 mx postfix/qmgr[2]: ABCDE12345: removed\n",
    )
    .expect("write");
    let o = Command::new(BIN)
        .args(["--tz", "Europe/Berlin", "messages", "--json"])
        .arg(&log)
        .output()
        .expect("run mailtrail");
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let ms: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let expected = "1800-01-01T00:00:00"
        .parse::<jiff::civil::DateTime>()
        .and_then(|dt| dt.to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Berlin")?))
        .expect("a time in Berlin")
        .timestamp();
    assert_eq!(instant(&ms[0]["first_seen"]), expected, "{}", ms[0]);
}

/// `--year` takes any i16; the times shown must still be RFC 3339 (four-digit years), or the
/// year refused as a usage error.
#[test]
fn a_negative_year_is_refused_or_shown_as_rfc3339() {
    let log = b"Dec 31 23:59:59 mx postfix/qmgr[2]: ABCDE12345: removed\n";
    let mut child = Command::new(BIN)
        .args(["--year=-4479", "--utc", "messages", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // mailtrail may refuse the year and end before reading: the write may then fail.
    let _ = child.stdin.take().expect("stdin").write_all(log);
    let o = child.wait_with_output().expect("wait");
    if o.status.code() == Some(2) {
        return; // refused
    }
    let text = String::from_utf8_lossy(&o.stdout);
    for line in text.lines() {
        let m: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let first = m["first_seen"].as_str().unwrap_or_default();
        assert!(
            first.as_bytes().first().is_some_and(u8::is_ascii_digit)
                && first.parse::<jiff::Timestamp>().is_ok(),
            "not RFC 3339: {first}"
        );
    }
}

/// `--year 32767` and a December → January rollover: the next year does not exist.
#[test]
fn the_last_year_rolls_over_without_overflow() {
    let log = b"Dec 31 23:59:59 mx postfix/qmgr[2]: ABCDE12345: removed\nJan  1 00:00:01 mx postfix/qmgr[2]: BBBBB12345: removed\n";
    let mut c = Command::new(BIN);
    c.args(["--year", "32767", "--utc", "stats", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    // mailtrail may refuse the year and end before reading: the write may then fail.
    let _ = child.stdin.take().expect("stdin").write_all(log);
    let o = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(matches!(o.status.code(), Some(0..=2)), "{:?}", o.status);
}
