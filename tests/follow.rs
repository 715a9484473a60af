//! `mailtrail follow` through the binary, on real files that are appended to, rotated by rename
//! and by copytruncate, with restarts from `--state` after SIGTERM and SIGKILL, and a scrape of
//! `/metrics` over a real TCP connection. Every wait is a poll with a deadline.

mod common;

use common::{mailtrail, BIN};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The sample log written by a real Postfix (in the repository).
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/postlogd.log");
const LAB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/lab");

/// Longest wait for anything.
const DEADLINE: Duration = Duration::from_secs(30);

/// A message's identity in the output: queue ID and first line time.
type Key = (String, String);

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running `mailtrail follow`, its output collected by threads; killed if the test fails.
struct Follow {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
}

impl Follow {
    fn start(args: &[&str]) -> Follow {
        let mut all = vec![
            "--year", "2026", "--utc", "--color", "never", "follow", "--linger", "1", "--poll",
            "20",
        ];
        all.extend_from_slice(args);
        let mut child = Command::new(BIN)
            .args(&all)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run mailtrail follow");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let out = child.stdout.take().expect("stdout");
        let lines = stdout.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let err = child.stderr.take().expect("stderr");
        let text = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut t = text.lock().unwrap();
                t.push_str(&line);
                t.push('\n');
            }
        });
        let f = Follow {
            child,
            stdout,
            stderr,
        };
        wait_until("the follower to start", || {
            f.stderr().contains("following ")
        });
        f
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn lines(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// The message objects printed so far (`--json`).
    fn messages(&self) -> Vec<Key> {
        self.lines()
            .iter()
            .filter_map(|l| {
                let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
                (v["type"] == "message").then(|| key(&v))
            })
            .collect()
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -{name}");
    }

    /// SIGTERM, then the exit status must be 0.
    fn terminate(mut self) -> Vec<String> {
        self.signal("TERM");
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            assert!(start.elapsed() < DEADLINE, "follow did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "{status:?}\n{}", self.stderr());
        // The reader thread may still be taking the last lines.
        std::thread::sleep(Duration::from_millis(100));
        assert!(!self.stderr().contains("panicked"), "{}", self.stderr());
        self.lines()
    }

    fn kill(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        self.lines()
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn key(v: &Value) -> Key {
    (
        v["queue_id"].as_str().unwrap_or("").to_string(),
        v["first_seen"].as_str().unwrap_or("").to_string(),
    )
}

fn messages_in(lines: &[String]) -> Vec<Key> {
    lines
        .iter()
        .filter_map(|l| {
            let v: Value = serde_json::from_str(l).ok()?;
            (v["type"] == "message").then(|| key(&v))
        })
        .collect()
}

/// The messages of the whole log whose life ended, as `messages --json` finds them: what
/// `follow` must print, each once.
fn expected(log: &Path) -> BTreeSet<Key> {
    let run = mailtrail(["messages".as_ref(), "--json".as_ref(), log.as_os_str()]);
    run.assert_ok();
    let keys: Vec<Key> = run
        .json_lines()
        .iter()
        .filter(|v| v["queue_id"] != "NOQUEUE" && !v["ended"].is_null())
        .map(key)
        .collect();
    let set: BTreeSet<Key> = keys.iter().cloned().collect();
    assert_eq!(set.len(), keys.len(), "keys are unique in the log");
    set
}

fn log_lines(path: &str) -> Vec<String> {
    fs::read_to_string(path)
        .expect("read the sample log")
        .lines()
        .map(|l| format!("{l}\n"))
        .collect()
}

fn append(path: &Path, lines: &[String]) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(lines.concat().as_bytes()).expect("append");
}

fn state_offset(state: &Path) -> Option<u64> {
    let text = fs::read_to_string(state).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v["position"]["offset"].as_u64()
}

/// Waits until the state file says the whole of `log` has been read.
fn caught_up(state: &Path, log: &Path) {
    let len = fs::metadata(log).expect("log").len();
    wait_until(&format!("the state to reach byte {len}"), || {
        state_offset(state) == Some(len)
    });
}

fn assert_once(printed: &[Key], want: &BTreeSet<Key>) {
    let mut seen = BTreeMap::new();
    for k in printed {
        *seen.entry(k.clone()).or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "printed more than once: {twice:?}");
    let got: BTreeSet<Key> = seen.into_keys().collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
}

#[test]
fn append_rotate_copytruncate_append_each_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    let state = dir.path().join("state.json");
    let lines = log_lines(EXAMPLE);
    let want = expected(Path::new(EXAMPLE));
    let n = lines.len();
    let cut = |f: f64| (n as f64 * f) as usize;
    // The file does not exist yet when following starts.
    let f = Follow::start(&[
        "--json",
        "--state",
        state.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert!(f.stderr().contains("does not exist yet"), "{}", f.stderr());
    append(&log, &lines[..cut(0.3)]);
    caught_up(&state, &log);
    // Rotation by rename: the old file still gets lines after the new one appears.
    let old = dir.path().join("mail.log.1");
    fs::rename(&log, &old).unwrap();
    append(&log, &lines[cut(0.3)..cut(0.35)]);
    append(&old, &lines[cut(0.35)..cut(0.4)]);
    append(&log, &lines[cut(0.4)..cut(0.5)]);
    wait_until("the rotation to be seen", || f.stderr().contains("rotated"));
    caught_up(&state, &log);
    // copytruncate after everything was read.
    fs::copy(&log, dir.path().join("mail.log.2")).unwrap();
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    append(&log, &lines[cut(0.5)..cut(0.6)]);
    caught_up(&state, &log);
    // copytruncate while lines were still unread: they are read from the copy.
    f.signal("STOP");
    append(&log, &lines[cut(0.6)..cut(0.7)]);
    fs::copy(&log, dir.path().join("mail.log.3")).unwrap();
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    append(&log, &lines[cut(0.7)..cut(0.75)]);
    f.signal("CONT");
    // And appended again.
    append(&log, &lines[cut(0.75)..]);
    wait_until("every finished message", || {
        f.messages().len() >= want.len()
    });
    // Nothing more comes for a while.
    std::thread::sleep(Duration::from_millis(500));
    let printed = messages_in(&f.terminate());
    assert_once(&printed, &want);
}

#[test]
fn restart_after_sigterm_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    let state = dir.path().join("state.json");
    let lines = log_lines(EXAMPLE);
    let want = expected(Path::new(EXAMPLE));
    let half = lines.len() / 2;
    append(&log, &lines[..half]);
    let args = [
        "--json",
        "--from-start",
        "--state",
        state.to_str().unwrap(),
        log.to_str().unwrap(),
    ];
    let f = Follow::start(&args);
    caught_up(&state, &log);
    let first = f.terminate();
    // While stopped: more lines, then a rotation by rename.
    let quarter = half + lines.len() / 4;
    append(&log, &lines[half..quarter]);
    fs::rename(&log, dir.path().join("mail.log.1")).unwrap();
    append(&log, &lines[quarter..]);
    let f = Follow::start(&args);
    assert!(
        f.stderr().contains("messages in flight restored"),
        "{}",
        f.stderr()
    );
    let before = messages_in(&first).len();
    wait_until("every finished message", || {
        before + f.messages().len() >= want.len()
    });
    std::thread::sleep(Duration::from_millis(500));
    let second = f.terminate();
    let mut printed = messages_in(&first);
    printed.extend(messages_in(&second));
    assert_once(&printed, &want);
}

#[test]
fn restart_after_sigkill_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    let state = dir.path().join("state.json");
    let lines = log_lines(EXAMPLE);
    let want = expected(Path::new(EXAMPLE));
    let third = lines.len() / 3;
    let args = [
        "--json",
        "--state",
        state.to_str().unwrap(),
        log.to_str().unwrap(),
    ];
    fs::write(&log, "").unwrap();
    let f = Follow::start(&args);
    append(&log, &lines[..third]);
    caught_up(&state, &log);
    // Saved after these were printed: they must not come again.
    let saved = f.messages();
    assert!(!saved.is_empty());
    append(&log, &lines[third..2 * third]);
    wait_until("some of the second part", || {
        f.messages().len() > saved.len()
    });
    let first = f.kill();
    append(&log, &lines[2 * third..]);
    let f = Follow::start(&args);
    let before = messages_in(&first);
    wait_until("every finished message", || {
        let got: BTreeSet<Key> = before.iter().cloned().chain(f.messages()).collect();
        want.is_subset(&got)
    });
    let second = messages_in(&f.terminate());
    let got: BTreeSet<Key> = before.iter().chain(&second).cloned().collect();
    assert_eq!(got, want, "nothing lost, nothing invented");
    let again: Vec<&Key> = second.iter().filter(|k| saved.contains(k)).collect();
    assert!(
        again.is_empty(),
        "printed before the last save and again: {again:?}"
    );
}

#[test]
fn a_pipe_and_the_filters() {
    let mut child = Command::new(BIN)
        .args([
            "--year",
            "2026",
            "--utc",
            "--color",
            "never",
            "follow",
            "--linger",
            "1",
            "--status",
            "bounced",
            "--to",
            "lab.example",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&fs::read(EXAMPLE).unwrap()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.is_empty());
    for line in text.lines() {
        // A message matches when any recipient bounced (as with `messages --status`).
        assert!(
            line.contains("problem bounced") || !line.contains(" problem "),
            "{line}"
        );
        assert!(line.contains("lab.example"), "{line}");
    }
    assert!(text.lines().any(|l| l.contains(" problem ")), "{text}");
    assert!(text.lines().any(|l| !l.contains(" problem ")), "{text}");
}

/// A GET over a plain TCP connection: (status line, body).
fn get(addr: &str, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).expect("connect to the metrics port");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a response");
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

/// `name{labels} value` → value; 0 when the series is absent.
fn metric(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// Counts in the raw log text, with plain string matching (not mailtrail's parser).
fn count_lines(text: &str, pred: impl Fn(&str, &str) -> bool) -> f64 {
    text.lines()
        .filter_map(|l| {
            // `Nov 28 17:27:31 mail postfix/smtpd[169]: connect from …`
            let tag_end = l.find("]: ")?;
            let tag_start = l[..tag_end].rfind(' ')? + 1;
            let tag = &l[tag_start..tag_end];
            let daemon = tag.split('[').next()?.rsplit('/').next()?;
            Some((daemon.to_string(), l[tag_end + 3..].to_string()))
        })
        .filter(|(d, t)| pred(d, t))
        .count() as f64
}

#[test]
fn metrics_scrape_gives_the_counts_the_log_implies() {
    let Some(_) = common::shared() else {
        return;
    };
    let lab = PathBuf::from(LAB).join("postlogd.log");
    let text = fs::read_to_string(&lab).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    fs::write(&log, "").unwrap();
    let f = Follow::start(&["--quiet", "--metrics", "127.0.0.1:0", log.to_str().unwrap()]);
    let err = f.stderr();
    let addr = err
        .split("http://")
        .nth(1)
        .and_then(|r| r.split("/metrics").next())
        .unwrap_or_else(|| panic!("no metrics address in {err}"))
        .to_string();
    assert_eq!(
        get(&addr, "/healthz"),
        ("HTTP/1.1 200 OK".into(), "ok\n".into())
    );
    assert!(get(&addr, "/nothing").0.contains("404"));
    append(&log, std::slice::from_ref(&text));
    let total = text.lines().count() as f64;
    let ended = expected(&lab).len() as f64;
    let in_flight = expected_all(&lab) as f64 - ended;
    let mut scrape = String::new();
    wait_until("the whole log counted and its messages finished", || {
        scrape = get(&addr, "/metrics").1;
        let lines = metric(&scrape, "mailtrail_lines_total{kind=\"postfix\"}")
            + metric(&scrape, "mailtrail_lines_total{kind=\"other_program\"}")
            + metric(&scrape, "mailtrail_lines_total{kind=\"malformed\"}");
        let finished: f64 = scrape
            .lines()
            .filter(|l| l.starts_with("mailtrail_messages_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        lines == total
            && finished == ended
            && metric(&scrape, "mailtrail_messages_in_flight") == in_flight
    });
    let has = |t: &str, s: &str| t.contains(s);
    let checks: Vec<(&str, f64)> = vec![
        (
            "postfix_smtpd_connects_total",
            count_lines(&text, |d, t| d == "smtpd" && t.starts_with("connect from ")),
        ),
        (
            "postfix_smtpd_disconnects_total",
            count_lines(&text, |d, t| {
                d == "smtpd" && t.starts_with("disconnect from ")
            }),
        ),
        (
            "postfix_qmgr_messages_removed_total",
            count_lines(&text, |d, t| d == "qmgr" && t.ends_with(": removed")),
        ),
        (
            "postfix_cleanup_messages_processed_total",
            count_lines(&text, |d, t| d == "cleanup" && has(t, ": message-id=")),
        ),
        (
            "postfix_qmgr_messages_expired_total",
            count_lines(&text, |d, t| {
                d == "qmgr" && has(t, "expired, returned to sender")
            }),
        ),
        (
            "postfix_bounce_non_delivery_notification_total",
            count_lines(&text, |d, t| {
                d == "bounce" && has(t, ": sender non-delivery notification: ")
            }),
        ),
        (
            "postfix_postscreen_connects_total",
            count_lines(&text, |d, t| {
                d == "postscreen" && t.starts_with("CONNECT from ")
            }),
        ),
        (
            "postfix_smtp_messages_processed_total{status=\"sent\"}",
            count_lines(&text, |d, t| d == "smtp" && has(t, ", status=sent ")),
        ),
        (
            "postfix_smtp_messages_processed_total{status=\"deferred\"}",
            count_lines(&text, |d, t| d == "smtp" && has(t, ", status=deferred ")),
        ),
        (
            "postfix_smtp_messages_processed_total{status=\"bounced\"}",
            count_lines(&text, |d, t| d == "smtp" && has(t, ", status=bounced ")),
        ),
        (
            "postfix_smtp_status_deferred",
            count_lines(&text, |d, t| d == "smtp" && has(t, ", status=deferred ")),
        ),
        (
            "postfix_smtp_delivery_delay_seconds_count{stage=\"transmission\"}",
            count_lines(&text, |d, t| d == "smtp" && has(t, ", delays=")),
        ),
        (
            "postfix_lmtp_delivery_delay_seconds_count{stage=\"queue_manager\"}",
            count_lines(&text, |d, t| d == "lmtp" && has(t, ", delays=")),
        ),
        (
            "postfix_smtpd_messages_rejected_total{code=\"550\"}",
            count_lines(&text, |d, t| {
                d == "smtpd" && has(t, ": reject: ") && has(t, "]: 550 ")
            }),
        ),
        (
            "postfix_smtpd_messages_rejected_total{code=\"554\"}",
            count_lines(&text, |d, t| {
                d == "smtpd" && has(t, ": reject: ") && has(t, "]: 554 ")
            }),
        ),
        ("mailtrail_messages_in_flight", in_flight),
    ];
    let mut wrong = Vec::new();
    for (series, want) in &checks {
        let got = metric(&scrape, series);
        if got != *want {
            wrong.push(format!("{series}: {got}, the log implies {want}"));
        }
    }
    assert!(wrong.is_empty(), "{}\n\n{scrape}", wrong.join("\n"));
    // The ones the issue names, and the postscreen family, are all there.
    for name in [
        "postfix_smtpd_sasl_authentication_failures_total",
        "postfix_postscreen_passes_total",
        "postfix_postscreen_tests_failed_total",
        "mailtrail_recipients_total",
        "mailtrail_rejects_total",
        "mailtrail_delivery_delay_seconds_bucket",
        "mailtrail_newest_line_age_seconds",
    ] {
        assert!(
            scrape.contains(&format!("\n{name}")) || scrape.contains(&format!("# TYPE {name} ")),
            "{name}"
        );
    }
    assert!(metric(&scrape, "mailtrail_newest_line_timestamp_seconds") > 1.7e9);
    f.terminate();
}

/// Messages with a queue ID in the whole log, ended or not.
fn expected_all(log: &Path) -> usize {
    let run = mailtrail(["messages".as_ref(), "--json".as_ref(), log.as_os_str()]);
    run.json_lines()
        .iter()
        .filter(|v| v["queue_id"] != "NOQUEUE")
        .count()
}

/// `follow -` over the sample log; the closing summary on stderr.
fn summary_of_pipe(extra: &[&str]) -> String {
    let mut args = vec![
        "--year", "2026", "--utc", "follow", "--quiet", "--linger", "1",
    ];
    args.extend_from_slice(extra);
    args.push("-");
    let mut child = Command::new(BIN)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&fs::read(EXAMPLE).unwrap()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    err.lines()
        .find(|l| l.contains("lines read"))
        .unwrap_or_else(|| panic!("no summary in {err}"))
        .to_string()
}

/// The number before `word` in a summary line.
fn number_before(text: &str, word: &str) -> u64 {
    let before = &text[..text
        .find(word)
        .unwrap_or_else(|| panic!("{word} in {text}"))];
    before
        .trim_end()
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a number before {word} in {text}"))
}

#[test]
fn max_age_drops_idle_messages_and_counts_them() {
    let normal = summary_of_pipe(&[]);
    assert_eq!(number_before(&normal, "dropped"), 0, "{normal}");
    // The sample log spans half a minute: with --max-age 3 messages that wait longer than 3
    // seconds of log time for their next line are forgotten.
    let short = summary_of_pipe(&["--max-age", "3s"]);
    let dropped = number_before(&short, "dropped");
    assert!(dropped > 0, "{short}");
    assert!(
        number_before(&short, "in flight") <= number_before(&normal, "in flight"),
        "{short}\n{normal}"
    );
}
