//! Golden tests: `mailtrail trace` on real logs, for the scenarios an administrator meets.
//!
//! Lab logs (`../shared/corpus/lab/`, written by a real Postfix 3.7 for this project, with
//! ground truth in `truth-*.jsonl`): the text of `trace` is compared with
//! `tests/golden/NAME.txt`, and the facts of `trace --json` with the ground truth.
//! Corpus logs under other licences (lightmeter, AGPL) are read from `../shared` at test time
//! and only facts of their JSON are asserted; none of their text is stored here.
//!
//! `MAILTRAIL_BLESS=1 cargo test --test golden` rewrites the golden files. Read the new text
//! against the log lines before committing it: a golden file that enshrines a bug is worse
//! than none.

mod common;

use common::{mailtrail, Run};
use serde_json::Value;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------
// Helpers

fn lab_log(file: &str) -> Option<PathBuf> {
    common::shared().map(|s| s.join("corpus/lab").join(file))
}

/// A file of `../shared/corpus/lines/` whose name ends with `suffix`.
fn corpus_lines(suffix: &str) -> Option<PathBuf> {
    let dir = common::shared()?.join("corpus/lines");
    let found: Vec<PathBuf> = common::files_in(&dir)
        .into_iter()
        .filter(|p| common::name(p).ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "corpus/lines/*{suffix}: {found:?}");
    found.into_iter().next()
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"))
}

/// Compares `actual` with `tests/golden/NAME.txt`; `MAILTRAIL_BLESS=1` writes it instead.
fn golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var("MAILTRAIL_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        eprintln!("blessed {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\n(run with MAILTRAIL_BLESS=1 to write it, then review it)\nactual:\n{actual}",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "trace differs from {} at line {}:\n  expected: {:?}\n  actual:   {:?}\n\
             (MAILTRAIL_BLESS=1 rewrites the golden file — review the diff before committing)\n\
             --- actual ---\n{actual}",
            path.display(),
            first + 1,
            expected.lines().nth(first).unwrap_or("<end>"),
            actual.lines().nth(first).unwrap_or("<end>"),
        );
    }
}

/// `mailtrail trace [EXTRA…] QUERY LOG`; something must match (exit 0).
fn trace(log: &Path, query: &str, extra: &[&str]) -> Run {
    let mut args: Vec<&std::ffi::OsStr> = vec!["trace".as_ref()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    args.push(query.as_ref());
    args.push(log.as_os_str());
    let run = mailtrail(args);
    run.assert_ok();
    assert_eq!(
        run.status.code(),
        Some(0),
        "trace {query}: nothing matched\n{}",
        run.stderr
    );
    run
}

fn trace_text(log: &Path, query: &str) -> String {
    trace(log, query, &[]).stdout
}

fn trace_json(log: &Path, query: &str) -> Vec<Value> {
    trace(log, query, &["--json"]).json_lines()
}

/// Golden text and JSON of one lab trace.
fn lab_trace(name: &str, query: &str) -> Option<Vec<Value>> {
    let log = lab_log("postlogd.log")?;
    golden(name, &trace_text(&log, query));
    Some(trace_json(&log, query))
}

/// The one message with this queue ID (on any host).
fn msg<'a>(msgs: &'a [Value], queue_id: &str) -> &'a Value {
    let found: Vec<&Value> = msgs.iter().filter(|m| m["queue_id"] == queue_id).collect();
    assert_eq!(
        found.len(),
        1,
        "messages with queue ID {queue_id}: {found:#?}"
    );
    found[0]
}

fn recipient<'a>(m: &'a Value, to: &str) -> &'a Value {
    m["recipients"]
        .as_array()
        .and_then(|rs| {
            rs.iter()
                .find(|r| r["to"] == to)
                .or_else(|| rs.iter().find(|r| r["orig_to"] == to))
        })
        .unwrap_or_else(|| panic!("{}: no recipient {to}: {m:#}", m["queue_id"]))
}

/// Queue IDs this message links to with `kind`.
fn links(m: &Value, kind: &str) -> Vec<String> {
    m["links"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .filter(|l| l["kind"] == kind)
                .map(|l| l["queue_id"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn truth(file: &str, scenario: &str) -> Value {
    let path = lab_log(file).expect("shared corpus");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("truth line is JSON"))
        .find(|v| v["type"] == "message" && v["scenario"] == scenario)
        .unwrap_or_else(|| panic!("{}: no scenario {scenario}", path.display()))
}

/// The facts of a traced message against the lab's ground truth: each recipient's final
/// status, DSN, relay and number of deferrals, and the notifications Postfix made.
fn check_truth(msgs: &[Value], queue_id: &str, scenario: &str) {
    let t = truth("truth-postlogd.jsonl", scenario);
    let m = msg(msgs, queue_id);
    if let Some(id) = t["message_id"].as_str() {
        assert_eq!(
            m["message_id"]
                .as_str()
                .map(|m| format!("<{m}>"))
                .as_deref(),
            Some(id),
            "{scenario} message-id"
        );
    }
    for tr in t["recipients"].as_array().unwrap() {
        let to = tr["rcpt"].as_str().unwrap();
        let mut r = recipient(m, to);
        // Through a content filter the truth holds the last hop: follow `reinjected_as`.
        let mut hop = m;
        while let Some(next) = links(hop, "reinjected_as").first() {
            let last = r["attempts"].as_array().and_then(|a| a.last());
            if last.is_none_or(|a| a["remote_queue_id"] != next.as_str()) {
                break;
            }
            hop = msg(msgs, next);
            r = recipient(hop, to);
        }
        let what = format!("{scenario} {queue_id} <{to}>");
        assert_eq!(r["status"], tr["status"], "{what}: status");
        if !tr["dsn"].is_null() {
            assert_eq!(r["dsn"], tr["dsn"], "{what}: dsn");
        }
        if !tr["relay"].is_null() {
            assert_eq!(r["relay"], tr["relay"], "{what}: relay");
        }
        match &tr["deferrals"] {
            Value::Number(n) => assert_eq!(r["deferrals"].as_u64(), n.as_u64(), "{what}"),
            Value::String(s) if s == ">=1" => {
                assert!(r["deferrals"].as_u64() >= Some(1), "{what}: deferrals")
            }
            _ => {}
        }
    }
    let dsns = t["dsns"].as_array().unwrap();
    let notifications = links(m, "notification");
    assert_eq!(
        notifications.len(),
        dsns.len(),
        "{scenario}: notifications {notifications:?}, truth {dsns:?}"
    );
    for (id, dsn) in notifications.iter().zip(dsns) {
        let n = msg(msgs, id);
        assert_eq!(links(n, "notification_of"), [queue_id], "{id}");
        assert_eq!(n["from"], "", "{id}: a notification has the null sender");
        assert_eq!(n["origin"], "internal", "{id}");
        let r = recipient(n, dsn["to"].as_str().unwrap());
        assert_eq!(r["status"], dsn["status"], "{scenario}: notification {id}");
    }
}

// ---------------------------------------------------------------------------------------
// Lab scenarios: golden text + ground truth

/// S03: a hard bounce at RCPT; the non-delivery notification goes back to the remote sender.
#[test]
fn bounce_with_notification() {
    let Some(msgs) = lab_trace("bounce_with_notification", "15A8CBC23F") else {
        return;
    };
    assert_eq!(msgs.len(), 2, "the message and its notification");
    check_truth(&msgs, "15A8CBC23F", "S03");
    let n = msg(&msgs, "3E7D7BC249");
    assert_eq!(recipient(n, "dave@remote.test")["status"], "sent");
}

/// S02: six recipients — sent by smtp and by local, bounced, deferred until it expired, and
/// one refused at RCPT after the queue file existed; three notifications.
#[test]
fn several_recipients_mixed_outcomes() {
    let Some(msgs) = lab_trace("mixed_outcomes", "14474BC23D") else {
        return;
    };
    check_truth(&msgs, "14474BC23D", "S02");
    let m = msg(&msgs, "14474BC23D");
    assert_eq!(m["status"], "mixed");
    assert_eq!(m["nrcpt"], 5, "qmgr counts the five accepted recipients");
    assert_eq!(recipient(m, "defer-mix1@remote.test")["deferrals"], 6);
    let rejected = recipient(m, "nosuch-mix1@lab.example");
    assert_eq!(rejected["attempts"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        links(m, "notification"),
        ["3C6A8BC249", "DB931BC30B", "EA31EBC243"]
    );
}

/// S02 again in pass 2, through rsyslog, with long queue IDs (`enable_long_queue_ids`).
#[test]
fn several_recipients_mixed_outcomes_long_queue_ids() {
    let Some(log) = lab_log("syslog-traditional.log") else {
        return;
    };
    golden(
        "mixed_outcomes_long_queue_ids",
        &trace_text(&log, "4jcHMh0HKwz5nLq"),
    );
    let msgs = trace_json(&log, "4jcHMh0HKwz5nLq");
    let m = msg(&msgs, "4jcHMh0HKwz5nLq");
    assert_eq!(m["status"], "mixed");
    assert_eq!(
        links(m, "notification"),
        ["4jcHMh1WbSz5nLr", "4jcHP34fGTz5nGM", "4jcHPH4TT4z5nG0"]
    );
    let t = truth("truth-syslog.jsonl", "S02");
    assert_eq!(t["queue_id"], "4jcHMh0HKwz5nLq");
    for tr in t["recipients"].as_array().unwrap() {
        let r = recipient(m, tr["rcpt"].as_str().unwrap());
        assert_eq!((&r["status"], &r["dsn"]), (&tr["status"], &tr["dsn"]));
    }
}

/// S06: greylisted once (451), retried, delivered.
#[test]
fn deferred_then_delivered() {
    let Some(msgs) = lab_trace("deferred_then_delivered", "4B530BC253") else {
        return;
    };
    assert_eq!(msgs.len(), 1);
    check_truth(&msgs, "4B530BC253", "S06");
    let r = recipient(&msgs[0], "flaky-s06@remote.test");
    let statuses: Vec<&str> = r["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["deferred", "sent"]);
}

/// S08: nothing listens at the destination; deferred until qmgr's
/// `status=expired, returned to sender`; a delay and a non-delivery notification.
#[test]
fn expired_and_returned() {
    let Some(msgs) = lab_trace("expired", "18678BC243") else {
        return;
    };
    check_truth(&msgs, "18678BC243", "S08");
    assert_eq!(msg(&msgs, "18678BC243")["status"], "expired");
}

/// S13: deferred, then `postsuper -e` (force-expire) and returned to the sender.
#[test]
fn force_expired() {
    let Some(msgs) = lab_trace("force_expired", "505FCBC259") else {
        return;
    };
    check_truth(&msgs, "505FCBC259", "S13");
}

/// S39: a content filter (smtp to 127.0.0.1:10025, back through smtpd on :10026): the
/// `queued as` of the first hop and the `orig_queue_id=` of the second link the two messages.
#[test]
fn content_filter_chain() {
    let Some(msgs) = lab_trace("content_filter_chain", "2959ABC256") else {
        return;
    };
    let first = msg(&msgs, "2959ABC256");
    let second = msg(&msgs, "48AD0BC257");
    assert_eq!(links(first, "reinjected_as"), ["48AD0BC257"]);
    assert_eq!(links(second, "reinjected_from"), ["2959ABC256"]);
    let hop = recipient(first, "ok-filt-s39@filtered.test");
    assert_eq!(hop["relay"], "127.0.0.1[127.0.0.1]:10025");
    assert_eq!(hop["attempts"][0]["remote_queue_id"], "48AD0BC257");
    // The truth holds the final hop.
    check_truth(&msgs, "2959ABC256", "S39");
}

/// The chain is followed from its far end too: the same two messages, the same text.
#[test]
fn content_filter_chain_from_the_second_hop() {
    let Some(log) = lab_log("postlogd.log") else {
        return;
    };
    golden("content_filter_chain", &trace_text(&log, "48AD0BC257"));
}

/// S41: header_checks FILTER (cleanup `filter: header …`), then the same chain.
#[test]
fn header_checks_filter() {
    let Some(msgs) = lab_trace("header_checks_filter", "2B1BDBC258") else {
        return;
    };
    let m = msg(&msgs, "2B1BDBC258");
    assert_eq!(links(m, "reinjected_as"), ["4AAB2BC255"]);
    assert_eq!(m["rejects"][0]["action"], "filter");
    assert_eq!(m["status"], "sent");
    assert_eq!(
        recipient(msg(&msgs, "4AAB2BC255"), "ok-hfilt-s41@remote.test")["relay"],
        "mx1.remote.test[127.0.0.6]:2525"
    );
}

/// S44: STARTTLS on port 25, delivered by local(8) to a mailbox.
#[test]
fn local_delivery() {
    let Some(msgs) = lab_trace("local_delivery", "2FD89BC25A") else {
        return;
    };
    check_truth(&msgs, "2FD89BC25A", "S44");
    assert_eq!(msgs[0]["tls"], "TLSv1.3 TLS_AES_256_GCM_SHA384");
}

/// S47: sendmail as root to local aliases — a list (orig_to=), a .forward to a remote address
/// (`forwarded as` a new message), a command and a file.
#[test]
fn local_aliases_and_forward() {
    let Some(msgs) = lab_trace("local_aliases_forward", "36219BC260") else {
        return;
    };
    let m = msg(&msgs, "36219BC260");
    assert_eq!(m["origin"], "pickup");
    assert_eq!(m["uid"], 0);
    assert_eq!(m["recipients"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        recipient(m, "alice@lab.example")["orig_to"],
        "team@lab.example"
    );
    assert_eq!(links(m, "forwarded_as"), ["3757BBC25F"]);
    let fwd = msg(&msgs, "3757BBC25F");
    assert_eq!(links(fwd, "forwarded_from"), ["36219BC260"]);
    let r = recipient(fwd, "ok-fwd@remote.test");
    assert_eq!(r["orig_to"], "fwd-remote@lab.example");
    assert_eq!(r["status"], "sent");
}

/// S21: virtual(8) delivers to a maildir; the unknown recipient was refused at RCPT.
#[test]
fn virtual_delivery() {
    let Some(msgs) = lab_trace("virtual_delivery", "1FDFCBC24D") else {
        return;
    };
    check_truth(&msgs, "1FDFCBC24D", "S21");
}

/// S15: LMTP delivery.
#[test]
fn lmtp_delivery() {
    let Some(msgs) = lab_trace("lmtp_delivery", "1A93EBC249") else {
        return;
    };
    check_truth(&msgs, "1A93EBC249", "S15");
    assert_eq!(
        recipient(&msgs[0], "user@lmtp.test")["attempts"][0]["agent"],
        "lmtp"
    );
}

/// S19: pipe(8), three recipients: delivered, EX_NOUSER (bounced), EX_TEMPFAIL (deferred
/// until it expired).
#[test]
fn pipe_delivery() {
    let Some(msgs) = lab_trace("pipe_delivery", "1C6C1BC24B") else {
        return;
    };
    check_truth(&msgs, "1C6C1BC24B", "S19");
}

/// S48: sendmail(1) as bob, picked up by pickup(8), delivered locally.
#[test]
fn pickup_submission() {
    let Some(msgs) = lab_trace("pickup_submission", "44FB3BC264") else {
        return;
    };
    check_truth(&msgs, "44FB3BC264", "S48");
    let m = &msgs[0];
    assert_eq!(
        (m["origin"].as_str(), m["uid"].as_u64()),
        (Some("pickup"), Some(1002))
    );
    assert!(m["client"].is_null());
}

/// S34: header_checks HOLD, released with `postsuper -H`, delivered.
#[test]
fn hold_then_release() {
    let Some(msgs) = lab_trace("hold_then_release", "26953BC251") else {
        return;
    };
    check_truth(&msgs, "26953BC251", "S34");
    let m = &msgs[0];
    assert_eq!(m["held"], false);
    assert_eq!(m["rejects"][0]["action"], "hold");
}

/// S35: header_checks HOLD, never released: held when the input ends.
#[test]
fn held_by_header_checks() {
    let Some(msgs) = lab_trace("held_by_header_checks", "27201BC252") else {
        return;
    };
    check_truth(&msgs, "27201BC252", "S35");
    assert_eq!(
        (&msgs[0]["held"], &msgs[0]["status"]),
        (&Value::Bool(true), &"held".into())
    );
}

/// S11: deferred, then put on hold with `postsuper -h`.
#[test]
fn held_by_postsuper() {
    let Some(msgs) = lab_trace("held_by_postsuper", "4F3BCBC256") else {
        return;
    };
    check_truth(&msgs, "4F3BCBC256", "S11");
}

/// S10: deferred, then deleted with `postsuper -d`.
#[test]
fn deleted_by_postsuper() {
    let Some(msgs) = lab_trace("deleted_by_postsuper", "4E225BC254") else {
        return;
    };
    check_truth(&msgs, "4E225BC254", "S10");
    assert_eq!(msgs[0]["ended"], "deleted");
}

/// S36: header_checks DISCARD: never delivered, no status= line.
#[test]
fn discarded_by_header_checks() {
    let Some(msgs) = lab_trace("discarded_by_header_checks", "2793DBC253") else {
        return;
    };
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(
        (m["status"].as_str(), m["ended"].as_str()),
        (Some("discarded"), Some("discarded"))
    );
    assert_eq!(
        recipient(m, "ok-discard-s36@remote.test")["status"],
        "discarded"
    );
}

/// S31: header_checks REJECT: cleanup refuses the message after its queue ID was given.
#[test]
fn rejected_by_header_checks() {
    let Some(msgs) = lab_trace("rejected_by_header_checks", "2589DBC251") else {
        return;
    };
    let m = &msgs[0];
    assert_eq!(
        (m["status"].as_str(), m["ended"].as_str()),
        (Some("rejected"), Some("rejected"))
    );
    assert_eq!(m["rejects"][0]["daemon"], "cleanup");
    assert_eq!(recipient(m, "bob@lab.example")["dsn"], "5.7.1");
}

/// S29: an address query shows the NOQUEUE reject (unknown local user at RCPT).
#[test]
fn noqueue_reject_for_recipient_address() {
    let Some(msgs) = lab_trace("noqueue_recipient", "nosuch-s29@lab.example") else {
        return;
    };
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(
        (m["queue_id"].as_str(), m["status"].as_str()),
        (Some("NOQUEUE"), Some("rejected"))
    );
    let r = recipient(m, "nosuch-s29@lab.example");
    assert_eq!(
        (r["dsn"].as_str(), m["rejects"][0]["stage"].as_str()),
        (Some("5.1.1"), Some("RCPT"))
    );
}

/// S25: the sender address is the query; the reject is for a recipient the sender wrote to.
#[test]
fn noqueue_reject_for_sender_address() {
    let Some(msgs) = lab_trace("noqueue_sender", "spammer@bad.test") else {
        return;
    };
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["from"], "spammer@bad.test");
    assert_eq!(
        recipient(&msgs[0], "alice@lab.example")["status"],
        "rejected"
    );
}

// ---------------------------------------------------------------------------------------
// Requeue: facts that hold now, and wording that does not yet

/// S07: greylisted once, then `postsuper -r`: pickup re-injects it under a new queue ID
/// (`orig_id=`), and it is delivered.
#[test]
fn requeue_links_old_and_new_queue_ids() {
    let Some(log) = lab_log("postlogd.log") else {
        return;
    };
    let msgs = trace_json(&log, "4D533BC258");
    assert_eq!(msgs.len(), 2);
    let old = msg(&msgs, "4D533BC258");
    let new = msg(&msgs, "D8240BC255");
    assert_eq!(
        (old["status"].as_str(), old["ended"].as_str()),
        (Some("requeued"), Some("requeued"))
    );
    assert_eq!(links(old, "requeued_as"), ["D8240BC255"]);
    assert_eq!(links(new, "requeued_from"), ["4D533BC258"]);
    assert_eq!(new["origin"], "pickup");
    let r = recipient(new, "flaky-s07@remote.test");
    assert_eq!(
        (r["status"].as_str(), r["dsn"].as_str()),
        (Some("sent"), Some("2.0.0"))
    );
    // The same from the new queue ID.
    assert_eq!(trace_json(&log, "D8240BC255").len(), 2);
}

/// After `postsuper -r` the old queue file is gone: its recipient is no longer "still
/// queued", and the new message was not "submitted locally with sendmail" (pickup re-read a
/// requeued file: `uid=102 … orig_id=4D533BC258`, uid 102 being postfix itself).
///
/// Log lines (postlogd.log 550–557):
///   smtp: 4D533BC258: to=<flaky-s07@remote.test>, … dsn=4.7.1, status=deferred (…)
///   postsuper: 4D533BC258: requeued
///   pickup: D8240BC255: uid=102 from=<alice@lab.example> orig_id=4D533BC258
#[test]
fn requeue_wording() {
    let Some(log) = lab_log("postlogd.log") else {
        return;
    };
    let text = trace_text(&log, "4D533BC258");
    assert!(
        !text.contains("still queued"),
        "the requeued queue file is gone; nothing is still queued under 4D533BC258:\n{text}"
    );
    assert!(
        !text.contains("locally with sendmail"),
        "D8240BC255 was requeued by postsuper -r, not submitted with sendmail:\n{text}"
    );
    let deferred = mailtrail([
        "messages".as_ref(),
        "--status".as_ref(),
        "deferred".as_ref(),
        log.as_os_str(),
    ]);
    deferred.assert_ok();
    assert!(
        !deferred.stdout.contains("4D533BC258"),
        "`messages --status deferred` lists the requeued (gone) 4D533BC258:\n{}",
        deferred.stdout
    );
}

// ---------------------------------------------------------------------------------------
// Other lab findings

/// X02: the client dies in the middle of DATA; smtpd had logged `client=` and cleanup the
/// message-id, then `lost connection after DATA (80 bytes)`: the queue file is discarded and
/// nothing is delivered (the truth: "no qmgr line for that QID").
///
///   smtpd[1361]: 7CF31BC232: client=localhost[127.0.0.1]
///   smtpd[1361]: lost connection after DATA (80 bytes) from localhost[127.0.0.1]
///   smtpd[1361]: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=0/1 commands=3/4
///   cleanup[1363]: 7CF31BC232: message-id=<x02.20261128172731@client.lab.example>
#[test]
fn lost_connection_during_data_is_not_queued() {
    let Some(log) = lab_log("postlogd.log") else {
        return;
    };
    let msgs = trace_json(&log, "7CF31BC232");
    let m = msg(&msgs, "7CF31BC232");
    assert_ne!(m["status"], "queued", "{m:#}");
    assert!(
        !m["ended"].is_null(),
        "its life ended with the session: {m:#}"
    );
    let text = trace_text(&log, "7CF31BC232");
    assert!(!text.contains("still in the queue"), "{text}");
}

/// S52: a non-delivery notification (from=<>) that cannot be delivered expires. qmgr logs
/// `from=<>, status=expired, returned to sender`, but a null-sender message cannot be
/// returned: Postfix drops it. The verdict must not claim it was returned to anyone.
#[test]
fn expired_notification_is_not_returned() {
    let Some(log) = lab_log("postlogd.log") else {
        return;
    };
    let text = trace_text(&log, "6B3A2BC257");
    let block: String = text
        .split("\n\n")
        .find(|b| b.starts_with("6B3A2BC257"))
        .unwrap_or_default()
        .to_string();
    assert!(block.contains("expired"), "{text}");
    assert!(
        !block.contains("returned to sender"),
        "a message from <> is not returned to anyone:\n{block}"
    );
}

/// The rsyslog RFC 3339 copy of pass 2 holds the same lines as the traditional copy, with
/// microseconds: the messages are the same, to the second.
#[test]
fn rfc3339_and_traditional_stamps_give_the_same_messages() {
    let (Some(trad), Some(iso)) = (
        lab_log("syslog-traditional.log"),
        lab_log("syslog-rfc3339.log"),
    ) else {
        return;
    };
    let to_second = |run: Run| -> Vec<String> {
        run.assert_ok();
        run.stdout
            .lines()
            .map(|l| {
                // 17:29:20.041588+00:00 → 17:29:20+00:00
                let mut out = String::with_capacity(l.len());
                let mut rest = l;
                while let Some(i) = rest.find("+00:00\"") {
                    let head = &rest[..i];
                    match head.rfind('.') {
                        Some(dot)
                            if head.len() - dot <= 10
                                && head[dot + 1..].bytes().all(|b| b.is_ascii_digit()) =>
                        {
                            out.push_str(&head[..dot])
                        }
                        _ => out.push_str(head),
                    }
                    out.push_str("+00:00\"");
                    rest = &rest[i + 7..];
                }
                out.push_str(rest);
                out
            })
            .collect()
    };
    let a = to_second(mailtrail([
        "messages".as_ref(),
        "--json".as_ref(),
        trad.as_os_str(),
    ]));
    let b = to_second(mailtrail([
        "messages".as_ref(),
        "--json".as_ref(),
        iso.as_os_str(),
    ]));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
}

/// Durations in the text are rounded like the delays: `(83.59s)`, not `(83.59120488166809s)`.
#[test]
fn durations_are_rounded() {
    let Some(log) = lab_log("syslog-rfc3339.log") else {
        return;
    };
    let text = trace_text(&log, "4jcHMh0HKwz5nLq");
    let seen = text
        .lines()
        .find(|l| l.trim_start().starts_with("seen"))
        .unwrap();
    let secs = seen
        .rsplit('(')
        .next()
        .and_then(|s| s.strip_suffix("s)"))
        .unwrap_or_else(|| panic!("{seen}"));
    let decimals = secs.split('.').nth(1).map_or(0, str::len);
    assert!(decimals <= 2, "{seen}");
}

// ---------------------------------------------------------------------------------------
// Corpus logs under other licences: facts only, read from ../shared at test time

/// lightmeter `14_reuse_of_queueid`: BABABABABA is used twice, a minute apart; each life is a
/// message of its own, each linked to its own neighbour in the relay chain.
#[test]
fn queue_id_reuse_is_two_messages() {
    let Some(log) = corpus_lines("__14_reuse_of_queueid.log") else {
        return;
    };
    let msgs = trace_json(&log, "BABABABABA");
    let lives: Vec<&Value> = msgs
        .iter()
        .filter(|m| m["queue_id"] == "BABABABABA")
        .collect();
    assert_eq!(lives.len(), 2, "two lives of BABABABABA: {msgs:#?}");
    let (a, b) = (lives[0], lives[1]);
    assert_ne!(a["message_id"], b["message_id"]);
    assert_eq!(
        (a["first_seen"].as_str(), b["first_seen"].as_str()),
        (
            Some("2026-09-04T01:24:11+00:00"),
            Some("2026-09-04T01:25:12+00:00")
        )
    );
    for m in [a, b] {
        assert_eq!(
            (m["status"].as_str(), m["removed"].as_bool()),
            (Some("sent"), Some(true))
        );
        assert_eq!(m["recipients"].as_array().map(Vec::len), Some(1));
    }
    assert_eq!(
        recipient(a, "h-4037cdee42da82c8d@h-526472e87.com")["status"],
        "sent"
    );
    assert_eq!(
        recipient(b, "h-629de2eeab377@h-05c3ae107.com")["status"],
        "sent"
    );
    assert_eq!(links(a, "reinjected_from"), ["DADADADADA"]);
    assert_eq!(links(b, "reinjected_as"), ["CACACACACACA"]);
    assert_eq!(
        links(msg(&msgs, "DADADADADA"), "reinjected_as"),
        ["BABABABABA"]
    );

    let stats = mailtrail(["stats".as_ref(), "--json".as_ref(), log.as_os_str()]);
    stats.assert_ok();
    assert_eq!(stats.json_lines()[0]["reused_queue_ids"], 1);
}

/// lightmeter `15_milter-reject`: cleanup's `milter-reject: END-OF-MESSAGE … 4.7.1 Try again
/// later` ends the message; nothing reaches qmgr.
#[test]
fn milter_reject() {
    let Some(log) = corpus_lines("__15_milter-reject.log") else {
        return;
    };
    let msgs = trace_json(&log, "B37FD2E05B9");
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(
        (m["status"].as_str(), m["ended"].as_str()),
        (Some("rejected"), Some("rejected"))
    );
    assert_eq!(m["removed"], false);
    assert_eq!(m["client"]["ip"], "254.65.43.194");
    let r = recipient(m, "h-7abde52c2@h-ffd2115d4f.com");
    assert_eq!(
        (r["status"].as_str(), r["dsn"].as_str()),
        (Some("rejected"), Some("4.7.1"))
    );
    let rejects = m["rejects"].as_array().unwrap();
    assert!(rejects.iter().all(|v| v["action"] == "milter-reject"
        && v["daemon"] == "cleanup"
        && v["stage"] == "END-OF-MESSAGE"));
}

/// lightmeter `17-smtpd-reject-with-milter-reject`: two recipients refused at RCPT, the third
/// accepted, then the milter rejects the message at end of DATA.
#[test]
fn rcpt_rejects_then_milter_reject() {
    let Some(log) = corpus_lines("__17-smtpd-reject-with-milter-reject.log") else {
        return;
    };
    let msgs = trace_json(&log, "769FF2E0760");
    let m = msg(&msgs, "769FF2E0760");
    assert_eq!(m["status"], "rejected");
    let statuses: Vec<(&str, &str, &str)> = m["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["to"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
                r["dsn"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (
                "h-f91a317fd08716dbf2@h-ff6b5e9182fd933.com",
                "rejected",
                "5.1.1"
            ),
            (
                "h-0b38f31d8f5146498e8862@h-ff6b5e9182fd933.com",
                "rejected",
                "5.1.1"
            ),
            (
                "h-688f0f21f362894034ba55@h-ff6b5e9182fd933.com",
                "rejected",
                "5.7.1"
            ),
        ]
    );
}

/// Builds a log of two hosts from lightmeter's `29_inbound_relayed_message_server_1` and
/// `_2` (lightmetermail relays to mail2, which relays to Google), concatenated in `order`.
fn two_hosts(dir: &Path, first: &Path, second: &Path) -> PathBuf {
    let mut text = std::fs::read(first).unwrap();
    if !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text.extend(std::fs::read(second).unwrap());
    let path = dir.join("two-hosts.log");
    std::fs::write(&path, text).unwrap();
    path
}

/// The relay chain is linked across hosts, whichever host's lines come first, and followed
/// from either end.
#[test]
fn two_hosts_relay_chain() {
    let (Some(one), Some(two)) = (
        corpus_lines("__29_inbound_relayed_message_server_1.log"),
        corpus_lines("__29_inbound_relayed_message_server_2.log"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for (a, b) in [(&one, &two), (&two, &one)] {
        let log = two_hosts(tmp.path(), a, b);
        for query in ["670FCA58C8", "F27E789349", "recipient@recipient.com"] {
            let msgs = trace_json(&log, query);
            assert_eq!(msgs.len(), 2, "{query}: {msgs:#?}");
            let first = msg(&msgs, "670FCA58C8");
            let second = msg(&msgs, "F27E789349");
            assert_eq!(first["host"], "lightmetermail");
            assert_eq!(second["host"], "mail2");
            assert_eq!(
                first["links"],
                serde_json::json!([{"kind": "reinjected_as", "queue_id": "F27E789349", "host": "mail2"}])
            );
            assert_eq!(
                second["links"],
                serde_json::json!([{"kind": "reinjected_from", "queue_id": "670FCA58C8", "host": "lightmetermail"}])
            );
            let hop = recipient(first, "recipient@recipient.com");
            assert_eq!(hop["relay"], "mail2.example.com[33.33.33.33]:587");
            let last = recipient(second, "recipient@recipient.com");
            assert_eq!(last["relay"], "gmail-smtp-in.l.google.com[44.44.44.44]:25");
            assert_eq!(last["status"], "sent");
        }
    }
}

/// The same queue ID logged by two hosts is two messages (server_1's lines, and a copy with
/// another host name), each with its own recipients and no link between them.
#[test]
fn same_queue_id_on_two_hosts_is_two_messages() {
    let Some(one) = corpus_lines("__29_inbound_relayed_message_server_1.log") else {
        return;
    };
    let text = std::fs::read_to_string(&one).unwrap();
    let copy: String = text
        .lines()
        .map(|l| l.replacen(" lightmetermail ", " otherhost ", 1) + "\n")
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("same-id-two-hosts.log");
    std::fs::write(&log, format!("{text}{copy}")).unwrap();
    let msgs = trace_json(&log, "670FCA58C8");
    let hosts: Vec<&str> = msgs.iter().map(|m| m["host"].as_str().unwrap()).collect();
    assert_eq!(hosts.len(), 2, "{msgs:#?}");
    assert!(hosts.contains(&"lightmetermail") && hosts.contains(&"otherhost"));
    for m in &msgs {
        assert_eq!(m["queue_id"], "670FCA58C8");
        assert_eq!(m["recipients"].as_array().map(Vec::len), Some(1));
        assert_eq!(m["status"], "sent");
        assert_eq!(m["removed"], true);
    }
    let stats = mailtrail(["stats".as_ref(), "--json".as_ref(), log.as_os_str()]);
    assert_eq!(stats.json_lines()[0]["reused_queue_ids"], 0);
}
