//! mailtrail against a real Postfix: runs `mailtrail messages --json` on the logs of a lab run
//! (`lab/run.sh`) and compares every message with the ground truth the lab wrote from what its
//! driver did and what its sinks, mailboxes and final queue received.
//!
//! Lab directories: `examples/` always, `../shared/corpus/lab` when present, plus every
//! directory in `MAILTRAIL_LAB_DIRS`
//! (colon-separated, relative to the crate root), e.g. `MAILTRAIL_LAB_DIRS=target/lab`.
//! A directory holds `postlogd.log` + `truth-postlogd.jsonl` and `syslog-traditional.log`,
//! `syslog-rfc3339.log` + `truth-syslog.jsonl` (either pair may be absent, not both).
//!
//! What is compared, per truth record (agreement must be 100%):
//! - `message`: the record is found by the truth's queue ID (from the `250 … queued as`
//!   reply, or for sendmail from the delivered copy), else by Message-ID (first leg of a
//!   chain). Its `message_id`, sender (`from`), the message status, and for each recipient
//!   the final status, the DSN code and the relay, on the last leg of a content-filter or
//!   requeue chain (`reinjected_as`/`requeued_as` links, followed from the first leg). The
//!   links themselves, both directions. The notifications: one `notification` link per
//!   notification the mailboxes received (with the queue ID the notification carried), each
//!   notification a record `from:""` with the truth's recipient, status and relay.
//! - Rejects: a recipient refused at RCPT before any queue file existed is one `NOQUEUE`
//!   record (from, to, code, DSN); one refused after the queue file existed is in the
//!   message's `rejects`; a cleanup reject makes the message `rejected`.
//! - `volume` (smtp-source batches): as many records as messages, every recipient with the
//!   expected status, relay and DSN, and the expected notifications per message.
//! - `session` with a queue file (the client vanished after RCPT or in DATA): a record with
//!   no delivered recipient that is not counted as still queued (the truth's final queue
//!   does not hold it).
//! - Totals: every record mailtrail printed is accounted for by exactly one truth item;
//!   NOQUEUE records, notifications and recipients by final status add up to the summary.
//!
//! Where the log cannot carry a fact, the rule compares what it can say:
//! - relay and DSN are compared only for recipients with a delivery attempt as their end
//!   (sent, bounced, expired, force-expired, deferred); for held, deleted and discarded only
//!   the status (the hold/discard line of cleanup names a single `to=`, so a held message
//!   lists the recipients the log named: every listed one must be held);
//! - cleanup's reject line has a DSN code but no SMTP code: only the DSN is compared;
//! - cleanup may refuse, discard or hold a message before it reads the Message-ID header:
//!   such a record without `message_id` is found by sender and recipient instead;
//! - smtpd logs no reject line for `530 5.7.0 Must issue a STARTTLS command first`: such
//!   truth recipients are left out (and out of the totals);
//! - the message status follows docs/json.md: a recipient refused at RCPT after the queue
//!   file existed is a `rejected` recipient, so a message with it and a sent one is `mixed`;
//! - when the truth has no queue ID for a notification (older truth files, such as
//!   shared/corpus/lab), notifications are matched by recipient, status and relay; a session
//!   with a discarded queue file is recognised there by the Message-ID its driver set;
//!   forwarded messages (`forwarded_as`) are checked against the recipients' `hops`.

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

const ATTEMPT_END: &[&str] = &["sent", "bounced", "expired", "force-expired", "deferred"];

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or(&[])
}

fn strip_angle(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

fn compact(v: &Value) -> String {
    // the record without its bulky per-attempt detail
    let mut v = v.clone();
    if let Some(rs) = v.get_mut("recipients").and_then(Value::as_array_mut) {
        for r in rs {
            if let Some(o) = r.as_object_mut() {
                o.remove("attempts");
            }
        }
    }
    v.to_string()
}

struct Run {
    label: String,
    recs: Vec<Value>,
    claimed: Vec<Option<String>>,
    by_qid: HashMap<String, Vec<usize>>,
    failures: Vec<String>,
    checks: usize,
    got_status: BTreeMap<String, usize>,
    want_status: BTreeMap<String, usize>,
    notifications_seen: usize,
    unlogged: BTreeMap<String, usize>,
}

impl Run {
    fn fail(
        &mut self,
        what: &str,
        expected: impl std::fmt::Display,
        actual: impl std::fmt::Display,
    ) {
        self.failures.push(format!(
            "[{}] {}\n    expected: {}\n    actual:   {}",
            self.label, what, expected, actual
        ));
    }

    fn check<T: PartialEq + std::fmt::Debug>(
        &mut self,
        what: &str,
        expected: T,
        actual: T,
        rec: Option<usize>,
    ) -> bool {
        self.checks += 1;
        if expected == actual {
            return true;
        }
        let ctx = rec.map(|i| format!("{:?}\n    record:   {}", actual, compact(&self.recs[i])));
        self.fail(
            what,
            format!("{:?}", expected),
            ctx.unwrap_or_else(|| format!("{:?}", actual)),
        );
        false
    }

    fn field(&self, i: usize, key: &str) -> Option<String> {
        s(&self.recs[i], key).map(str::to_string)
    }

    fn check_s(
        &mut self,
        what: &str,
        expected: Option<&str>,
        actual: Option<String>,
        rec: Option<usize>,
    ) -> bool {
        self.check(what, expected.map(str::to_string), actual, rec)
    }

    fn claim(&mut self, i: usize, by: &str) {
        if let Some(prev) = &self.claimed[i] {
            let prev = prev.clone();
            self.fail(
                &format!(
                    "record {} claimed twice",
                    s(&self.recs[i], "queue_id").unwrap_or("?")
                ),
                prev,
                by,
            );
        } else {
            self.claimed[i] = Some(by.to_string());
        }
    }

    fn find_qid(&self, qid: &str) -> Option<usize> {
        let v = self.by_qid.get(qid)?;
        v.iter()
            .copied()
            .find(|&i| self.claimed[i].is_none())
            .or_else(|| v.first().copied())
    }

    fn link_targets(&self, i: usize, kind: &str) -> Vec<String> {
        arr(&self.recs[i], "links")
            .iter()
            .filter(|l| s(l, "kind") == Some(kind))
            .filter_map(|l| s(l, "queue_id").map(str::to_string))
            .collect()
    }
}

/// cleanup refused, discarded or held the message (its verdict can come before the
/// Message-ID header, so the log may have no message-id line for it).
fn cleanup_verdict(rec: &Value) -> bool {
    arr(rec, "rejects").iter().any(|j| {
        s(j, "daemon") == Some("cleanup")
            && matches!(s(j, "action"), Some("reject" | "discard" | "hold"))
    })
}

/// smtpd logs no reject line for some refusals (`530 5.7.0 Must issue a STARTTLS command
/// first` at MAIL: only the disconnect line's `mail=0/1` shows it): the log cannot say.
fn unlogged_reject(r: &Value) -> bool {
    r.get("reply_code").and_then(Value::as_u64) == Some(530) && s(r, "dsn") == Some("5.7.0")
}

fn expected_message_status(statuses: &[&str]) -> String {
    // docs/json.md: a recipient status when every recipient has it (a recipient refused at
    // RCPT after the queue file existed is a `rejected` recipient), `deferred` while one is
    // still deferred, else `mixed`
    let mut set: Vec<&str> = statuses.to_vec();
    if set.is_empty() {
        return "queued".into();
    }
    set.sort();
    set.dedup();
    if set.len() == 1 {
        return set[0].into();
    }
    if set.contains(&"deferred") {
        return "deferred".into();
    }
    "mixed".into()
}

fn run_mailtrail(log: &Path, year: &str) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_mailtrail"))
        .args(["messages", "--json", "--year", year, "--utc"])
        .arg(log)
        .output()
        .expect("run mailtrail");
    assert!(
        out.status.success(),
        "mailtrail failed on {}: {}",
        log.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

fn compare(log: &Path, truth_path: &Path) -> Run {
    let truth: Vec<Value> = std::fs::read_to_string(truth_path)
        .unwrap_or_else(|e| panic!("{}: {e}", truth_path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("truth JSON"))
        .collect();
    let meta = truth
        .iter()
        .find(|t| s(t, "type") == Some("meta"))
        .expect("truth has a meta line");
    let year = s(meta, "started_at")
        .map(|t| &t[..4])
        .unwrap_or("2026")
        .to_string();
    let recs = run_mailtrail(log, &year);
    let mut by_qid: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in recs.iter().enumerate() {
        by_qid
            .entry(s(r, "queue_id").unwrap_or("").to_string())
            .or_default()
            .push(i);
    }
    let n = recs.len();
    let mut run = Run {
        label: log.display().to_string(),
        recs,
        claimed: vec![None; n],
        by_qid,
        failures: vec![],
        checks: 0,
        got_status: BTreeMap::new(),
        want_status: BTreeMap::new(),
        notifications_seen: 0,
        unlogged: BTreeMap::new(),
    };
    let mut noqueue_want = 0usize;
    for t in truth.iter().filter(|t| s(t, "type") == Some("message")) {
        noqueue_want += compare_message(&mut run, t);
    }
    for t in truth.iter().filter(|t| s(t, "type") == Some("volume")) {
        compare_volume(&mut run, t);
    }
    for t in truth.iter().filter(|t| s(t, "type") == Some("session")) {
        compare_session(&mut run, t);
    }
    // totals
    // A queue file that cleanup opened and nobody finished (bounce(8) abandoning a
    // notification it was told not to send) is in the log but not in the truth, which only
    // knows what was submitted: mailtrail must call it `incomplete`, never queued.
    let unclaimed: Vec<usize> = (0..run.recs.len())
        .filter(|&i| run.claimed[i].is_none())
        .filter(|&i| {
            let r = &run.recs[i];
            !(s(r, "status") == Some("incomplete") && arr(r, "recipients").is_empty())
        })
        .collect();
    for i in unclaimed {
        let r = compact(&run.recs[i]);
        run.fail("record not accounted for by the truth", "no such record", r);
    }
    let noqueue_got = run
        .recs
        .iter()
        .filter(|r| s(r, "queue_id") == Some("NOQUEUE"))
        .count();
    run.check(
        "total NOQUEUE reject records",
        noqueue_want,
        noqueue_got,
        None,
    );
    if let Some(sum) = truth.iter().find(|t| s(t, "type") == Some("summary")) {
        let mut want: BTreeMap<String, usize> = sum["total"]["recipients_by_final_status"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0) as usize))
                    .collect()
            })
            .unwrap_or_default();
        for (k, n) in &run.unlogged {
            if let Some(w) = want.get_mut(k) {
                *w = w.saturating_sub(*n);
            }
        }
        want.retain(|_, n| *n > 0);
        let got = run.got_status.clone();
        run.check("total recipients by final status", want.clone(), got, None);
        let want_total = run.want_status.clone();
        run.check(
            "recipients by final status, summary vs records of the truth",
            want,
            want_total,
            None,
        );
        let dsns: usize = sum["total"]["dsns_by_kind"]
            .as_object()
            .map(|o| o.values().map(|v| v.as_u64().unwrap_or(0) as usize).sum())
            .unwrap_or(0);
        let seen = run.notifications_seen;
        run.check("total notifications", dsns, seen, None);
    }
    run
}

/// Returns the number of NOQUEUE records this truth message accounts for.
fn compare_message(run: &mut Run, t: &Value) -> usize {
    let sc = s(t, "scenario").unwrap_or("?").to_string();
    let mid = strip_angle(s(t, "message_id").unwrap_or("")).to_string();
    let label = format!("{sc} <{mid}>");
    let sender = s(t, "sender").unwrap_or("").to_string();
    let mut trcpts = arr(t, "recipients").to_vec();
    let before = trcpts.len();
    trcpts.retain(|r| !unlogged_reject(r));
    *run.unlogged.entry("rejected".into()).or_default() += before - trcpts.len();
    if before > 0 && trcpts.is_empty() {
        return 0;
    }
    for r in &trcpts {
        *run.want_status
            .entry(s(r, "status").unwrap_or("?").to_string())
            .or_default() += 1;
    }
    let all_rejected =
        !trcpts.is_empty() && trcpts.iter().all(|r| s(r, "status") == Some("rejected"));
    let qid = s(t, "queue_id").map(str::to_string);
    let mut noqueue = 0;

    // NOQUEUE rejects: one record per reject line
    let is_noqueue = |r: &Value| -> bool {
        if let Some(b) = r.get("noqueue").and_then(Value::as_bool) {
            return b;
        }
        qid.is_none()
            && all_rejected
            && t.get("reject")
                .and_then(|x| x.get("noqueue"))
                .and_then(Value::as_bool)
                .unwrap_or(
                    s(r, "reject_stage")
                        .map(|st| st != "cleanup")
                        .unwrap_or(false),
                )
    };
    for r in trcpts
        .iter()
        .filter(|r| s(r, "status") == Some("rejected") && is_noqueue(r))
    {
        noqueue += 1;
        let to = s(r, "rcpt").unwrap_or("");
        let code = r.get("reply_code").and_then(Value::as_u64);
        let dsn = s(r, "dsn");
        let cand: Vec<usize> = run.by_qid.get("NOQUEUE").cloned().unwrap_or_default();
        let score = |v: &Value| -> usize {
            let j = arr(v, "rejects").first().cloned().unwrap_or(Value::Null);
            let mut sc = 0;
            if s(&j, "to") == Some(to) {
                sc += 4;
            }
            if s(&j, "from") == Some(sender.as_str()) {
                sc += 2;
            }
            if j.get("code").and_then(Value::as_u64) == code && s(&j, "dsn") == dsn {
                sc += 1;
            }
            sc
        };
        let best = cand
            .iter()
            .copied()
            .filter(|&i| run.claimed[i].is_none())
            .max_by_key(|&i| (score(&run.recs[i]), std::cmp::Reverse(i)));
        match best {
            Some(i)
                if score(&run.recs[i]) >= 4
                    || (score(&run.recs[i]) >= 1 && s(r, "reject_stage") != Some("RCPT")) =>
            {
                run.claim(i, &label);
                let j = arr(&run.recs[i], "rejects")
                    .first()
                    .cloned()
                    .unwrap_or(Value::Null);
                run.check(
                    &format!("{label}: NOQUEUE reject from"),
                    Some(sender.as_str()),
                    s(&j, "from"),
                    Some(i),
                );
                run.check(
                    &format!("{label}: NOQUEUE reject code"),
                    code,
                    j.get("code").and_then(Value::as_u64),
                    Some(i),
                );
                run.check(
                    &format!("{label}: NOQUEUE reject dsn"),
                    dsn,
                    s(&j, "dsn"),
                    Some(i),
                );
                run.check_s(
                    &format!("{label}: NOQUEUE record status"),
                    Some("rejected"),
                    run.field(i, "status"),
                    Some(i),
                );
                *run.got_status.entry("rejected".into()).or_default() += 1;
            }
            _ => run.fail(
                &format!("{label}: NOQUEUE reject of <{to}>"),
                format!("{} {:?}", code.unwrap_or(0), dsn),
                "no such record",
            ),
        }
    }
    if all_rejected && trcpts.iter().all(is_noqueue) {
        return noqueue;
    }

    // the first leg
    let first = match &qid {
        Some(q) => run.find_qid(q),
        None => {
            let cand: Vec<usize> = (0..run.recs.len())
                .filter(|&i| s(&run.recs[i], "message_id") == Some(mid.as_str()))
                .filter(|&i| {
                    !arr(&run.recs[i], "links").iter().any(|l| {
                        matches!(
                            s(l, "kind"),
                            Some("reinjected_from" | "requeued_from" | "forwarded_from")
                        )
                    })
                })
                .collect();
            cand.first().copied().or_else(|| {
                // cleanup may refuse the message before it reads the Message-ID header:
                // then the log names the message only by sender and recipient
                (0..run.recs.len()).find(|&i| {
                    run.claimed[i].is_none()
                        && run.recs[i]["message_id"].is_null()
                        && s(&run.recs[i], "from") == Some(sender.as_str())
                        && cleanup_verdict(&run.recs[i])
                        && arr(&run.recs[i], "recipients")
                            .iter()
                            .any(|g| trcpts.iter().any(|r| s(r, "rcpt") == s(g, "to")))
                })
            })
        }
    };
    let Some(first) = first else {
        run.fail(
            &format!("{label}: message record"),
            format!("queue_id {:?}", qid),
            "no such record",
        );
        return noqueue;
    };
    run.claim(first, &label);
    if let Some(q) = &qid {
        run.check_s(
            &format!("{label}: queue_id"),
            Some(q.as_str()),
            run.field(first, "queue_id"),
            Some(first),
        );
    }
    let no_mid_line = run.recs[first]["message_id"].is_null() && cleanup_verdict(&run.recs[first]);
    if !mid.is_empty() && !no_mid_line {
        run.check_s(
            &format!("{label}: message_id"),
            Some(mid.as_str()),
            run.field(first, "message_id"),
            Some(first),
        );
    }
    run.check_s(
        &format!("{label}: from"),
        Some(sender.as_str()),
        run.field(first, "from"),
        Some(first),
    );

    // the chain: follow reinjected_as / requeued_as from the first leg
    let mut legs = vec![first];
    let truth_links: Vec<(String, String)> = arr(t, "links")
        .iter()
        .filter_map(|l| Some((s(l, "kind")?.to_string(), s(l, "queue_id")?.to_string())))
        .collect();
    loop {
        let cur = *legs.last().unwrap();
        let mut next = None;
        for kind in ["reinjected_as", "requeued_as"] {
            for target in run.link_targets(cur, kind) {
                next = Some((kind, target));
            }
        }
        let Some((kind, target)) = next else { break };
        let Some(j) = run.find_qid(&target) else {
            run.fail(
                &format!("{label}: {kind} target"),
                &target,
                "no such record",
            );
            break;
        };
        let back = if kind == "reinjected_as" {
            "reinjected_from"
        } else {
            "requeued_from"
        };
        let cur_qid = s(&run.recs[cur], "queue_id").unwrap_or("").to_string();
        let backs = run.link_targets(j, back);
        run.check(
            &format!("{label}: {back} link on {target}"),
            vec![cur_qid],
            backs,
            Some(j),
        );
        if legs.contains(&j) {
            break;
        }
        run.claim(j, &format!("{label} ({kind})"));
        legs.push(j);
        if legs.len() > 5 {
            break;
        }
    }
    if !truth_links.is_empty() || t.get("links").is_some() {
        let mut got: Vec<(String, String)> = Vec::new();
        for &l in &legs[..legs.len() - 1] {
            for kind in ["reinjected_as", "requeued_as"] {
                for target in run.link_targets(l, kind) {
                    got.push((kind.to_string(), target));
                }
            }
        }
        run.check(
            &format!("{label}: links"),
            truth_links.clone(),
            got,
            Some(first),
        );
    }
    let last = *legs.last().unwrap();
    for &l in &legs[1..] {
        run.check_s(
            &format!("{label}: message_id of a later leg"),
            Some(mid.as_str()),
            run.field(l, "message_id"),
            Some(l),
        );
    }

    // message status (first legs of a chain: requeued / sent to the filter)
    let statuses: Vec<&str> = trcpts.iter().filter_map(|r| s(r, "status")).collect();
    let want = expected_message_status(&statuses);
    if legs.len() > 1 {
        for &l in &legs[..legs.len() - 1] {
            let kind = if run.link_targets(l, "requeued_as").is_empty() {
                "sent"
            } else {
                "requeued"
            };
            run.check_s(
                &format!("{label}: status of an earlier leg"),
                Some(kind),
                run.field(l, "status"),
                Some(l),
            );
        }
    }
    run.check_s(
        &format!("{label}: message status"),
        Some(want.as_str()),
        run.field(last, "status"),
        Some(last),
    );

    // recipients on the last leg
    let got_rcpts = arr(&run.recs[last], "recipients").to_vec();
    let rejects = arr(&run.recs[first], "rejects").to_vec();
    let mut used = vec![false; got_rcpts.len()];
    for r in &trcpts {
        let to = s(r, "rcpt").unwrap_or("");
        let status = s(r, "status").unwrap_or("");
        let what = format!("{label}: recipient <{to}>");
        if status == "rejected" && is_noqueue(r) {
            continue;
        }
        if status == "rejected" {
            // after the queue file existed (RCPT) or by cleanup (end of DATA)
            let j = rejects.iter().find(|j| {
                s(j, "action") == Some("reject")
                    && (s(j, "to") == Some(to) || s(r, "reject_stage") == Some("cleanup"))
            });
            match j {
                Some(j) => {
                    run.check(
                        &format!("{what} reject dsn"),
                        s(r, "dsn"),
                        s(j, "dsn"),
                        Some(first),
                    );
                    if j.get("code").map(|c| !c.is_null()).unwrap_or(false) {
                        let code = r.get("reply_code").and_then(Value::as_u64);
                        run.check(
                            &format!("{what} reject code"),
                            code,
                            j.get("code").and_then(Value::as_u64),
                            Some(first),
                        );
                    }
                }
                None => run.fail(
                    &format!("{what} reject"),
                    format!("a reject of <{to}>"),
                    compact(&run.recs[first]),
                ),
            }
            if let Some(k) = got_rcpts.iter().position(|g| s(g, "to") == Some(to)) {
                used[k] = true;
                run.check(
                    &format!("{what} status"),
                    Some("rejected"),
                    s(&got_rcpts[k], "status"),
                    Some(first),
                );
            }
            *run.got_status.entry("rejected".into()).or_default() += 1;
            continue;
        }
        let orig = s(r, "orig_rcpt");
        let k = (0..got_rcpts.len()).find(|&k| {
            !used[k]
                && s(&got_rcpts[k], "to") == Some(to)
                && (orig.is_none() || s(&got_rcpts[k], "orig_to") == orig)
        });
        let Some(k) = k else {
            if status == "held" && got_rcpts.iter().any(|g| s(g, "status") == Some("held")) {
                // cleanup's hold line names only one recipient
                *run.got_status.entry("held".into()).or_default() += 1;
                continue;
            }
            run.fail(
                &what,
                status,
                format!("not listed; record: {}", compact(&run.recs[last])),
            );
            *run.got_status.entry("missing".into()).or_default() += 1;
            continue;
        };
        used[k] = true;
        let g = got_rcpts[k].clone();
        let gs = s(&g, "status").unwrap_or("");
        *run.got_status.entry(gs.to_string()).or_default() += 1;
        run.check(
            &format!("{what} status"),
            Some(status),
            s(&g, "status"),
            Some(last),
        );
        if ATTEMPT_END.contains(&status) {
            if let Some(relay) = s(r, "relay") {
                run.check(
                    &format!("{what} relay"),
                    Some(relay),
                    s(&g, "relay"),
                    Some(last),
                );
            }
            if let Some(dsn) = s(r, "dsn") {
                run.check(&format!("{what} dsn"), Some(dsn), s(&g, "dsn"), Some(last));
            }
        }
    }
    for (k, g) in got_rcpts.iter().enumerate() {
        if !used[k] {
            run.fail(
                &format!("{label}: recipient the truth does not have"),
                "none",
                g.to_string(),
            );
        }
    }
    // earlier legs of a filter chain: sent to the filter
    for (n, &l) in legs[..legs.len() - 1].iter().enumerate() {
        let hop = arr(t, "hops").get(n).cloned();
        if let Some(relay) = hop.as_ref().and_then(|h| s(h, "relay")) {
            for g in arr(&run.recs[l], "recipients").to_vec() {
                run.check(
                    &format!("{label}: relay on leg {n}"),
                    Some(relay),
                    s(&g, "relay"),
                    Some(l),
                );
            }
        }
    }

    // local(8) forwards (`forwarded as NEWID`): the new messages, against the recipients'
    // hops in the truth
    let mut fwd_hops: Vec<Value> = trcpts
        .iter()
        .flat_map(|r| arr(r, "hops").to_vec())
        .filter(|h| s(h, "queue") == Some("forwarded"))
        .collect();
    for &l in &legs.clone() {
        let lq = run.field(l, "queue_id").unwrap_or_default();
        for target in run.link_targets(l, "forwarded_as") {
            let Some(j) = run.find_qid(&target) else {
                run.fail(
                    &format!("{label}: forwarded_as target"),
                    &target,
                    "no such record",
                );
                continue;
            };
            run.claim(j, &format!("{label} (forwarded as {target})"));
            let back = run.link_targets(j, "forwarded_from");
            run.check(
                &format!("{label}: forwarded_from link on {target}"),
                vec![lq.clone()],
                back,
                Some(j),
            );
            for g in arr(&run.recs[j], "recipients").to_vec() {
                let k = fwd_hops.iter().position(|h| s(h, "rcpt") == s(&g, "to"));
                let Some(k) = k else {
                    run.fail(
                        &format!("{label}: forwarded recipient the truth does not have"),
                        "none",
                        compact(&run.recs[j]),
                    );
                    continue;
                };
                let h = fwd_hops.remove(k);
                let what = format!(
                    "{label}: forwarded recipient <{}>",
                    s(&h, "rcpt").unwrap_or("")
                );
                run.check(
                    &format!("{what} status"),
                    s(&h, "status"),
                    s(&g, "status"),
                    Some(j),
                );
                run.check(
                    &format!("{what} relay"),
                    s(&h, "relay"),
                    s(&g, "relay"),
                    Some(j),
                );
            }
        }
    }
    for h in fwd_hops {
        run.fail(
            &format!("{label}: forwarded message"),
            h.to_string(),
            "no forwarded_as record",
        );
    }

    // notifications about any leg
    let mut notes: Vec<String> = Vec::new();
    for &l in &legs {
        notes.extend(run.link_targets(l, "notification"));
    }
    let tdsns = arr(t, "dsns").to_vec();
    run.notifications_seen += notes.len();
    run.check(
        &format!("{label}: number of notifications"),
        tdsns.len(),
        notes.len(),
        Some(first),
    );
    let mut note_recs: Vec<Option<usize>> = Vec::new();
    for q in &notes {
        let i = run.find_qid(q);
        if let Some(i) = i {
            run.claim(i, &format!("{label} (notification {q})"));
            run.check_s(
                &format!("{label}: notification {q} from"),
                Some(""),
                run.field(i, "from"),
                Some(i),
            );
            let of = run.link_targets(i, "notification_of");
            let leg_ids: Vec<String> = legs
                .iter()
                .filter_map(|&l| s(&run.recs[l], "queue_id").map(str::to_string))
                .collect();
            run.checks += 1;
            if !of.iter().any(|o| leg_ids.contains(o)) {
                run.fail(
                    &format!("{label}: notification_of link on {q}"),
                    format!("{leg_ids:?}"),
                    format!("{of:?}"),
                );
            }
        } else {
            run.fail(
                &format!("{label}: notification record"),
                q,
                "no such record",
            );
        }
        note_recs.push(i);
    }
    let mut free: Vec<bool> = vec![true; notes.len()];
    for d in &tdsns {
        let dq = s(d, "queue_id");
        let pos = match dq {
            Some(dq) => notes.iter().position(|q| q == dq),
            None => (0..notes.len()).find(|&k| {
                free[k]
                    && note_recs[k].is_some_and(|i| {
                        arr(&run.recs[i], "recipients").iter().any(|g| {
                            s(g, "to") == s(d, "to")
                                && s(g, "status") == s(d, "status")
                                && s(g, "relay") == s(d, "relay")
                        })
                    })
            }),
        };
        let Some(k) = pos else {
            run.fail(
                &format!("{label}: {} notification", s(d, "kind").unwrap_or("?")),
                d.to_string(),
                format!("links {notes:?}"),
            );
            continue;
        };
        free[k] = false;
        let Some(i) = note_recs[k] else { continue };
        let g = arr(&run.recs[i], "recipients")
            .iter()
            .find(|g| s(g, "to") == s(d, "to"))
            .cloned();
        match g {
            Some(g) => {
                run.check(
                    &format!("{label}: notification {} status", notes[k]),
                    s(d, "status"),
                    s(&g, "status"),
                    Some(i),
                );
                run.check(
                    &format!("{label}: notification {} relay", notes[k]),
                    s(d, "relay"),
                    s(&g, "relay"),
                    Some(i),
                );
            }
            None => run.fail(
                &format!("{label}: notification {} recipient", notes[k]),
                s(d, "to").unwrap_or(""),
                compact(&run.recs[i]),
            ),
        }
    }
    noqueue
}

fn pattern_matcher(pat: &str) -> impl Fn(&str) -> bool {
    // "<N>vol@vol-ok.test, N = 1..450 (smtp-source -N)" or "volbox@lab.example"
    let p = pat.split(',').next().unwrap_or(pat).trim().to_string();
    move |to: &str| match p.strip_prefix("<N>") {
        Some(rest) => to
            .strip_suffix(rest)
            .is_some_and(|num| !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit())),
        None => to == p,
    }
}

fn compare_volume(run: &mut Run, v: &Value) {
    let batch = s(v, "batch").unwrap_or("?");
    let label = format!("volume {batch}");
    let sender = s(v, "sender").unwrap_or("");
    let matcher = pattern_matcher(s(v, "recipient_pattern").unwrap_or(""));
    let expect = v["expect"].clone();
    let want_msgs = v["messages"].as_u64().unwrap_or(0) as usize;
    let want_rcpts = v["recipients_total"].as_u64().unwrap_or(0) as usize;
    *run.want_status
        .entry(s(&expect, "status").unwrap_or("?").to_string())
        .or_default() += want_rcpts;
    let dsns = arr(v, "dsns_per_message").to_vec();
    let mine: Vec<usize> = (0..run.recs.len())
        .filter(|&i| run.claimed[i].is_none())
        .filter(|&i| s(&run.recs[i], "from") == Some(sender))
        .filter(|&i| {
            let rs = arr(&run.recs[i], "recipients");
            !rs.is_empty() && rs.iter().all(|r| s(r, "to").is_some_and(&matcher))
        })
        .collect();
    run.check(&format!("{label}: messages"), want_msgs, mine.len(), None);
    let mut rcpts = 0;
    let mut bad = 0;
    for &i in &mine {
        run.claim(i, &label);
        for r in arr(&run.recs[i], "recipients").to_vec() {
            rcpts += 1;
            *run.got_status
                .entry(s(&r, "status").unwrap_or("?").to_string())
                .or_default() += 1;
            for key in ["status", "relay", "dsn"] {
                if s(&expect, key).is_some() && s(&r, key) != s(&expect, key) && bad < 5 {
                    bad += 1;
                    let e = s(&expect, key).unwrap_or("");
                    run.fail(
                        &format!("{label}: recipient {key}"),
                        e,
                        format!("{}\n    record:   {}", r[key], compact(&run.recs[i])),
                    );
                }
                run.checks += 1;
            }
        }
        let notes = run.link_targets(i, "notification");
        run.notifications_seen += notes.len();
        if notes.len() != dsns.len() && bad < 5 {
            bad += 1;
            run.fail(
                &format!("{label}: notifications per message"),
                dsns.len(),
                format!("{}\n    record:   {}", notes.len(), compact(&run.recs[i])),
            );
        }
        let mut free = vec![true; dsns.len()];
        for q in notes {
            let Some(j) = run.find_qid(&q) else {
                run.fail(
                    &format!("{label}: notification record"),
                    &q,
                    "no such record",
                );
                continue;
            };
            run.claim(j, &format!("{label} (notification {q})"));
            let g = arr(&run.recs[j], "recipients")
                .first()
                .cloned()
                .unwrap_or(Value::Null);
            let k = (0..dsns.len()).find(|&k| {
                free[k]
                    && s(&g, "to") == s(&dsns[k], "to")
                    && s(&g, "status") == s(&dsns[k], "status")
                    && s(&g, "relay") == s(&dsns[k], "relay")
            });
            run.checks += 1;
            match k {
                Some(k) => free[k] = false,
                None if bad < 5 => {
                    bad += 1;
                    run.fail(
                        &format!("{label}: notification {q}"),
                        format!("{dsns:?}"),
                        compact(&run.recs[j]),
                    );
                }
                None => {}
            }
        }
    }
    run.check(&format!("{label}: recipients"), want_rcpts, rcpts, None);
}

fn compare_session(run: &mut Run, t: &Value) {
    let sc = s(t, "scenario").unwrap_or("?");
    let label = format!("session {sc} ({})", s(t, "description").unwrap_or(""));
    let mut mid = s(t, "message_id").map(strip_angle).map(str::to_string);
    match t.get("queue_file").and_then(Value::as_bool) {
        Some(true) => {}
        Some(false) => return,
        None => {
            // older truth files do not say; their driver named the Message-ID after the
            // scenario: a record carrying it is this session's discarded queue file
            let prefix = format!("{}.", sc.to_lowercase());
            let found = run.recs.iter().find_map(|r| {
                s(r, "message_id")
                    .filter(|m| m.starts_with(&prefix))
                    .map(str::to_string)
            });
            match found {
                Some(m) => mid = Some(m),
                None => return,
            }
        }
    }
    let mid = mid.as_deref();
    let i = (0..run.recs.len()).find(|&i| {
        run.claimed[i].is_none()
            && s(&run.recs[i], "queue_id") != Some("NOQUEUE")
            && match mid {
                Some(m) => s(&run.recs[i], "message_id") == Some(m),
                None => {
                    run.recs[i]["message_id"].is_null()
                        && arr(&run.recs[i], "recipients").is_empty()
                        && run.recs[i]["from"].is_null()
                }
            }
    });
    let Some(i) = i else {
        run.fail(
            &label,
            "a record for the discarded queue file",
            "no such record",
        );
        return;
    };
    run.claim(i, &label);
    let delivered = arr(&run.recs[i], "recipients")
        .iter()
        .any(|r| s(r, "status").is_some_and(|st| ATTEMPT_END.contains(&st)));
    run.check(&format!("{label}: no delivery"), false, delivered, Some(i));
    // the queue file was discarded when the client vanished: it is not in the queue at the end
    let st = s(&run.recs[i], "status").unwrap_or("");
    run.checks += 1;
    if matches!(st, "queued" | "deferred" | "held") {
        run.fail(
            &format!("{label}: status"),
            "not queued (smtpd discarded the queue file)",
            format!("{st}\n    record:   {}", compact(&run.recs[i])),
        );
    }
}

fn lab_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("examples")];
    // The earlier lab run kept in ../shared (CI has it too).
    let shared = root.join("../shared/corpus/lab");
    if shared.join("postlogd.log").exists() {
        dirs.push(shared);
    }
    if let Ok(extra) = std::env::var("MAILTRAIL_LAB_DIRS") {
        for d in extra.split(':').filter(|d| !d.trim().is_empty()) {
            let p = Path::new(d.trim());
            dirs.push(if p.is_absolute() {
                p.to_path_buf()
            } else {
                root.join(p)
            });
        }
    }
    dirs
}

#[test]
fn lab_logs_agree_with_the_truth() {
    let mut total_checks = 0;
    let mut failures = Vec::new();
    let mut compared = 0;
    for dir in lab_dirs() {
        let pairs = [
            ("postlogd.log", "truth-postlogd.jsonl"),
            ("syslog-traditional.log", "truth-syslog.jsonl"),
            ("syslog-rfc3339.log", "truth-syslog.jsonl"),
        ];
        let mut here = 0;
        for (log, truth) in pairs {
            let (log, truth) = (dir.join(log), dir.join(truth));
            if !log.exists() || !truth.exists() {
                continue;
            }
            here += 1;
            let run = compare(&log, &truth);
            eprintln!(
                "lab truth: {}: {} records, {} checks, {} disagreements",
                log.display(),
                run.recs.len(),
                run.checks,
                run.failures.len()
            );
            total_checks += run.checks;
            failures.extend(run.failures);
        }
        assert!(
            here > 0,
            "lab directory {} has no log with its truth",
            dir.display()
        );
        compared += here;
    }
    assert!(compared > 0);
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(150).collect();
        panic!(
            "{} disagreements with the lab's truth ({} checks):\n{}{}",
            failures.len(),
            total_checks,
            shown
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            if failures.len() > shown.len() {
                "\n…"
            } else {
                ""
            }
        );
    }
}
