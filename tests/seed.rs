//! The seed document's example lines (tests/fixtures/seed.log, assembled in time order) and
//! its example trace, through the binary.

use std::process::{Command, Output};

fn mailtrail(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailtrail"))
        .args(["--year", "2026", "--utc"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run mailtrail")
}

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed.log");

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

#[test]
fn every_seed_line_is_understood() {
    let o = mailtrail(&["stats", "--json", SEED]);
    assert!(o.status.success());
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["lines"], 19);
    assert_eq!(s["postfix_lines"], 19);
    assert_eq!(
        s["not_understood"],
        0,
        "{}",
        stdout(&mailtrail(&["stats", "--unparsed", SEED]))
    );
}

#[test]
fn trace_1a2b3c4d5e_is_sent_via_mail_example_com_and_removed() {
    let o = mailtrail(&["trace", "1A2B3C4D5E", SEED]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(
        text.starts_with("1A2B3C4D5E  on mailserver  sent"),
        "{text}"
    );
    assert!(
        text.contains("client      example.org[192.168.1.100]"),
        "{text}"
    );
    assert!(text.contains("message-id  <test@example.com>"), "{text}");
    assert!(
        text.contains("relay mail.example.com[203.0.113.1]:25"),
        "{text}"
    );
    assert!(text.contains("remote queue ID 12345ABCDE"), "{text}");
    assert!(
        text.contains("removed     2026-08-15T08:00:03+00:00"),
        "{text}"
    );

    let m = &json_lines(&mailtrail(&["trace", "--json", "1A2B3C4D5E", SEED]))[0];
    assert_eq!(m["queue_id"], "1A2B3C4D5E");
    assert_eq!(m["removed"], true);
    assert_eq!(m["from"], "sender@example.org");
    assert_eq!(m["size"], 1234);
    assert_eq!(m["message_id"], "test@example.com");
    assert_eq!(m["client"]["ip"], "192.168.1.100");
    let r = &m["recipients"][0];
    assert_eq!(r["to"], "recipient@example.com");
    assert_eq!(r["status"], "sent");
    assert_eq!(r["dsn"], "2.0.0");
    assert_eq!(r["relay"], "mail.example.com[203.0.113.1]:25");
    assert_eq!(r["attempts"][0]["remote_queue_id"], "12345ABCDE");
    assert_eq!(r["attempts"][0]["delays"]["transmission"], 2.97);
    // The local delivery, logged a second after `removed`, belongs to the same message.
    let local = &m["recipients"][1];
    assert_eq!(local["to"], "localuser@mailserver.com");
    assert_eq!(local["relay"], "local");
    assert_eq!(local["attempts"][0]["after_removal"], true);
}

#[test]
fn trace_5f6g7h8i9j_is_deferred_with_the_450_reply() {
    let o = mailtrail(&["trace", "5F6G7H8I9J", SEED]);
    let text = stdout(&o);
    assert!(
        text.starts_with("5F6G7H8I9J  on mailserver  deferred"),
        "{text}"
    );
    assert!(
        text.contains("450 4.7.1 Service unavailable - try again later"),
        "{text}"
    );
    assert!(text.contains("Deferred for <recipient@example.com> by smtp and still in the queue (failed attempts: 1)"), "{text}");
    let m = &json_lines(&mailtrail(&["trace", "--json", "5F6G7H8I9J", SEED]))[0];
    assert_eq!(m["status"], "deferred");
    assert_eq!(m["removed"], false);
    assert_eq!(m["recipients"][0]["dsn"], "4.0.0");
}

#[test]
fn trace_9k0l1m2n3o_is_bounced_with_550_and_its_notification() {
    let o = mailtrail(&["trace", "9K0L1M2N3O", SEED]);
    let text = stdout(&o);
    assert!(
        text.starts_with("9K0L1M2N3O  on mailserver  bounced"),
        "{text}"
    );
    assert!(
        text.contains("Bounced by smtp for <unknown@example.com>: mail.example.com[203.0.113.1] said 550 5.1.1 User unknown (in reply to RCPT TO command)"),
        "{text}"
    );
    let m = &json_lines(&mailtrail(&["trace", "--json", "9K0L1M2N3O", SEED]))[0];
    assert_eq!(m["recipients"][0]["dsn"], "5.1.1");
    // The notification names the message's own queue ID: one link, no loop.
    assert_eq!(
        m["links"],
        serde_json::json!([{"kind": "notification", "queue_id": "9K0L1M2N3O", "detail": "non-delivery"}])
    );
}

#[test]
fn trace_by_address_and_message_id() {
    let o = mailtrail(&["messages", "--json", SEED]);
    assert_eq!(json_lines(&o).len(), 3);
    let by_id = json_lines(&mailtrail(&["trace", "--json", "<test@example.com>", SEED]));
    assert_eq!(by_id.len(), 1);
    assert_eq!(by_id[0]["queue_id"], "1A2B3C4D5E");
    let by_address = json_lines(&mailtrail(&[
        "trace",
        "--json",
        "RECIPIENT@example.com",
        SEED,
    ]));
    let ids: Vec<&str> = by_address
        .iter()
        .map(|m| m["queue_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["1A2B3C4D5E", "5F6G7H8I9J"]);
    let o = mailtrail(&["trace", "nobody@nowhere.example", SEED]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
}

#[test]
fn trace_raw_shows_the_lines_with_file_and_line_number() {
    let text = stdout(&mailtrail(&[
        "trace",
        "--raw",
        "--no-follow",
        "1A2B3C4D5E",
        SEED,
    ]));
    assert!(
        text.contains(
            "seed.log:10  Aug 15 08:00:03 mailserver postfix/qmgr[12347]: 1A2B3C4D5E: removed"
        ),
        "{text}"
    );
}
