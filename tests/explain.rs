//! `mailtrail explain` and `trace --explain`, through the binary: the seed document's lines
//! explained in English and Japanese with the seed's facts, the lifecycle of 1A2B3C4D5E told
//! in Japanese, the JSON shapes, the daemons guide, and the lab corpus fully explained.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed.log");
const LAB: &str = "/work/shared/corpus/lab/postlogd.log";

/// mailtrail with the locale cleared, then `env` set.
fn mailtrail(env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mailtrail"));
    c.args(["--year", "2026", "--utc"])
        .args(args)
        .env("NO_COLOR", "1");
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        c.env_remove(var);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run(env: &[(&str, &str)], args: &[&str]) -> Output {
    mailtrail(env, args).output().expect("run mailtrail")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

fn explained(lang: &str) -> Vec<Value> {
    let o = run(&[], &["explain", "--json", "--lang", lang, SEED]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    json_lines(&o)
}

/// The facts the seed gives for each of its lines (in tests/fixtures/seed.log order): values
/// every language must carry, and words that say what happened, in English and Japanese.
#[allow(clippy::type_complexity)]
const SEED_FACTS: &[(&str, &[&str], &[&str], &[&str])] = &[
    (
        "connect",
        &["192.168.1.100"],
        &["accepted an SMTP connection"],
        &["接続を受け付けました"],
    ),
    ("helo", &["example.org"], &["EHLO"], &["名乗りました"]),
    (
        "note.client",
        &["example.org", "192.168.1.100"],
        &["identified the client"],
        &["クライアントを識別しました"],
    ),
    (
        "sender",
        &["sender@example.org"],
        &["MAIL FROM"],
        &["送信者"],
    ),
    (
        "recipient",
        &["recipient@example.com"],
        &["RCPT TO"],
        &["受信者"],
    ),
    (
        "message_id",
        &["1A2B3C4D5E", "test@example.com"],
        &["Message-ID"],
        &["Message-ID", "キューID"],
    ),
    (
        "client_accepted",
        &["1A2B3C4D5E", "example.org[192.168.1.100]"],
        &["accepted a message", "queue ID 1A2B3C4D5E"],
        &["メールを受け付け", "キューID 1A2B3C4D5E を割り当てました"],
    ),
    (
        "queue_active",
        &["1A2B3C4D5E", "sender@example.org", "1234"],
        &["active queue"],
        &["アクティブキュー", "1234 バイト", "受信者は 1 件"],
    ),
    (
        "delivery.sent.remote",
        &[
            "1A2B3C4D5E",
            "recipient@example.com",
            "mail.example.com[203.0.113.1]:25",
            "250 2.0.0 Ok: queued as 12345ABCDE",
            "12345ABCDE",
        ],
        &["status=sent", "accepted it", "reply"],
        &["成功", "応答"],
    ),
    (
        "removed",
        &["1A2B3C4D5E"],
        &["removed", "from the queue"],
        &["キューから削除しました"],
    ),
    (
        "delivery.sent.mailbox",
        &["1A2B3C4D5E", "localuser@mailserver.com"],
        &["mailbox"],
        &["メールボックスへ配送しました"],
    ),
    (
        "master.reload",
        &["3.6.4"],
        &["re-read its configuration"],
        &["設定を読み直しました"],
    ),
    (
        "master.started",
        &["3.6.4"],
        &["started Postfix"],
        &["起動しました"],
    ),
    (
        "diag.warning",
        &["example.com", "192.0.2.1"],
        &["warning", "reverse DNS"],
        &["警告", "逆引き"],
    ),
    (
        "diag.fatal",
        &["myhostname"],
        &["fatal error"],
        &["致命的なエラー"],
    ),
    (
        "delivery.deferred",
        &[
            "5F6G7H8I9J",
            "recipient@example.com",
            "450 4.7.1",
            "4.0.0",
            "4.7.1",
        ],
        &["temporary", "deferred queue", "try again"],
        &["一時的", "遅延キュー", "再送"],
    ),
    (
        "queue_active.deferred",
        &["5F6G7H8I9J", "sender@example.org"],
        &["out of the deferred queue"],
        &["遅延キューからアクティブキューに移し"],
    ),
    (
        "delivery.bounced",
        &[
            "9K0L1M2N3O",
            "unknown@example.com",
            "550 5.1.1 User unknown",
            "5.1.1",
        ],
        &["permanent", "bounce", "does not exist"],
        &["恒久的", "バウンス", "存在しません"],
    ),
    (
        "notify.non_delivery",
        &["9K0L1M2N3O"],
        &["non-delivery notification"],
        &["不達通知"],
    ),
];

#[test]
fn every_seed_line_is_explained_in_both_languages_with_the_seeds_facts() {
    let raw: Vec<&str> = include_str!("fixtures/seed.log").lines().collect();
    assert_eq!(raw.len(), SEED_FACTS.len());
    for (lang, pick) in [("en", 0), ("ja", 1)] {
        let lines = explained(lang);
        assert_eq!(lines.len(), raw.len(), "{lang}");
        for ((line, raw), (key, values, en, ja)) in lines.iter().zip(&raw).zip(SEED_FACTS) {
            assert_eq!(line["raw"], *raw);
            assert_eq!(line["lang"], lang);
            assert_eq!(line["understood"], true, "{raw}");
            assert_eq!(line["key"], *key, "{raw}");
            let text = line["explanation"].as_str().unwrap();
            let words = if pick == 0 { en } else { ja };
            for fact in values.iter().chain(words.iter()) {
                assert!(
                    text.contains(fact),
                    "{lang}: {fact:?} missing for {raw}\n{text}"
                );
            }
        }
    }
}

#[test]
fn the_deferral_explains_both_the_recorded_dsn_and_the_replys_code() {
    for lang in ["en", "ja"] {
        let lines = explained(lang);
        let deferred = lines
            .iter()
            .find(|l| l["key"] == "delivery.deferred")
            .unwrap();
        let keys: Vec<&str> = deferred["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["key"].as_str().unwrap())
            .collect();
        for want in [
            "reply.remote_said",
            "smtp.line",
            "dsn.reply",
            "in_reply.rcpt",
            "dsn.recorded",
        ] {
            assert!(keys.contains(&want), "{lang}: {want} not in {keys:?}");
        }
        assert_eq!(deferred["fields"]["dsn"], "4.0.0");
        assert_eq!(deferred["fields"]["queue_id"], "5F6G7H8I9J");
    }
}

#[test]
fn text_output_puts_each_explanation_under_its_line() {
    let o = run(&[("LANG", "ja_JP.UTF-8")], &["explain", SEED]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    let first = "Aug 15 08:00:00 mailserver postfix/smtpd[12345]: connect from unknown[192.168.1.100]\n    smtpd が 192.168.1.100 のクライアントからの SMTP 接続を受け付けました";
    assert!(text.starts_with(first), "{text}");
    for raw in include_str!("fixtures/seed.log").lines() {
        assert!(
            text.contains(&format!("{raw}\n    ")),
            "{raw} has no explanation under it"
        );
    }
}

#[test]
fn the_language_comes_from_lang_then_the_locale() {
    let first_note = |env: &[(&str, &str)], args: &[&str]| {
        let mut all = vec!["explain", "--json"];
        all.extend_from_slice(args);
        all.push(SEED);
        json_lines(&run(env, &all))[0]["lang"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(first_note(&[], &[]), "en");
    assert_eq!(first_note(&[("LANG", "ja_JP.UTF-8")], &[]), "ja");
    assert_eq!(
        first_note(
            &[("LC_MESSAGES", "ja_JP.UTF-8"), ("LANG", "en_US.UTF-8")],
            &[]
        ),
        "ja"
    );
    assert_eq!(
        first_note(&[("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")], &[]),
        "en"
    );
    assert_eq!(
        first_note(&[("LANG", "ja_JP.UTF-8")], &["--lang", "en"]),
        "en"
    );
    assert_eq!(first_note(&[], &["--lang", "ja"]), "ja");
    let o = run(&[], &["explain", "--lang", "fr", SEED]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn trace_explain_in_japanese_tells_the_lifecycle_of_1a2b3c4d5e() {
    let o = run(
        &[("LANG", "ja_JP.UTF-8")],
        &["trace", "--explain", "1A2B3C4D5E", SEED],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = stdout(&o);
    assert!(
        text.starts_with("1A2B3C4D5E  ホスト mailserver  sent (送信済み)\n"),
        "{text}"
    );
    // The message's lines in order, each followed by its explanation in Japanese.
    let steps = [
        (
            "1A2B3C4D5E: message-id=<test@example.com>",
            "Message-ID <test@example.com> を記録しました",
        ),
        (
            "1A2B3C4D5E: client=example.org[192.168.1.100]",
            "キューID 1A2B3C4D5E を割り当てました",
        ),
        ("(queue active)", "アクティブキューに移しました"),
        (
            "status=sent (250 2.0.0 Ok: queued as 12345ABCDE)",
            "mail.example.com[203.0.113.1]:25 へ送り、受け取ってもらえました",
        ),
        ("1A2B3C4D5E: removed", "キューから削除しました"),
        (
            "status=sent (delivered to mailbox)",
            "メールボックスへ配送しました",
        ),
    ];
    let mut at = 0;
    for (line, meaning) in steps {
        let l = at
            + text[at..]
                .find(line)
                .unwrap_or_else(|| panic!("{line} missing or out of order\n{text}"));
        let m = l + text[l..]
            .find(meaning)
            .unwrap_or_else(|| panic!("{meaning} missing\n{text}"));
        let next_raw = text[l..]
            .find("\n  Aug ")
            .map(|n| l + n)
            .unwrap_or(text.len());
        assert!(
            m < next_raw,
            "the explanation of {line} is not under it\n{text}"
        );
        at = m;
    }
    let verdict = &text[text.find("\n  判定  ").expect("a verdict") + 1..];
    assert!(verdict.contains("<recipient@example.com> 宛ては smtp が mail.example.com[203.0.113.1]:25 へ配送し、成功しました。"), "{verdict}");
    assert!(
        verdict.contains("<localuser@mailserver.com> 宛ては local が配送し、成功しました。"),
        "{verdict}"
    );
    // The same in English by default.
    let en = stdout(&run(&[], &["trace", "--explain", "1A2B3C4D5E", SEED]));
    assert!(en.starts_with("1A2B3C4D5E  on mailserver  sent\n"), "{en}");
    assert!(en.contains("\n  verdict  Sent to <recipient@example.com> by smtp via mail.example.com[203.0.113.1]:25."), "{en}");
}

#[test]
fn trace_explain_json_adds_lines_with_raw_and_explanation() {
    let o = run(&[], &["trace", "--explain", "--json", "5F6G7H8I9J", SEED]);
    assert_eq!(o.status.code(), Some(0));
    let m = &json_lines(&o)[0];
    assert_eq!(m["queue_id"], "5F6G7H8I9J");
    assert_eq!(m["status"], "deferred");
    assert_eq!(m["recipients"][0]["dsn"], "4.0.0");
    let lines = m["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert!(lines[0]["raw"]
        .as_str()
        .unwrap()
        .contains("status=deferred"));
    assert!(lines[0]["explanation"]
        .as_str()
        .unwrap()
        .contains("temporary"));
    assert_eq!(lines[0]["line"], 16);
    assert!(lines[0].get("text").is_none(), "text only with --raw");
    assert_eq!(lines[1]["key"], "queue_active.deferred");
    assert!(m["verdict_explanation"][0]
        .as_str()
        .unwrap()
        .starts_with("Deferred for <recipient@example.com>"));
    // With --raw too, each line also keeps --raw's `text`; in Japanese, Japanese.
    let o = run(
        &[],
        &[
            "trace",
            "--explain",
            "--json",
            "--raw",
            "--lang",
            "ja",
            "9K0L1M2N3O",
            SEED,
        ],
    );
    let m = &json_lines(&o)[0];
    let first = &m["lines"][0];
    assert_eq!(first["text"], first["raw"]);
    assert!(first["explanation"]
        .as_str()
        .unwrap()
        .contains("恒久的な失敗"));
    assert_eq!(m["lang"], "ja");
}

#[test]
fn explain_daemons_describes_a_line_and_the_daemons() {
    let o = run(&[], &["explain", "--daemons"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    for d in [
        "smtpd",
        "cleanup",
        "qmgr",
        "smtp",
        "local",
        "bounce",
        "defer",
        "pickup",
        "master",
        "postscreen",
    ] {
        assert!(text.contains(&format!("\n  {d} ")), "{d} missing\n{text}");
    }
    assert!(text.contains(
        "Aug 15 08:00:00 mailserver postfix/smtpd[12345]: connect from unknown[192.168.1.100]"
    ));
    assert!(text.contains("queue ID"));
    let ja = stdout(&run(&[("LANG", "ja_JP.UTF-8")], &["explain", "--daemons"]));
    assert!(ja.starts_with("ログ行の構成\n"), "{ja}");
    assert!(ja.contains("受信メールの入り口です"), "{ja}");
    let g: Value =
        serde_json::from_slice(&run(&[], &["explain", "--daemons", "--json"]).stdout).unwrap();
    assert!(g["daemons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["name"] == "qmgr"));
    assert_eq!(g["parts"].as_array().unwrap().len(), 6);
}

#[test]
fn lines_not_understood_say_so_and_log_text_is_escaped() {
    let input = b"Aug 15 08:00:00 h postfix/smtpd[1]: something new\n\
        Aug 15 08:00:00 h amavis[2]: (1234-01) Passed CLEAN\n\
        garbage\n\
        Aug 15 08:00:00 h postfix/smtpd[1]: EHLO evil\x1b]0;title\x07\n";
    let mut child = mailtrail(&[], &["explain", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let lines = json_lines(&child.wait_with_output().unwrap());
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["not-understood", "foreign", "malformed", "helo"]);
    assert_eq!(lines[0]["understood"], false);
    assert!(lines[0]["explanation"]
        .as_str()
        .unwrap()
        .contains("does not understand"));
    assert!(lines[1]["explanation"].as_str().unwrap().contains("amavis"));

    let mut child = mailtrail(&[], &["explain", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let text = stdout(&child.wait_with_output().unwrap());
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    assert!(text.contains("“evil\\x1b]0;title\\x07”"), "{text}");
}

#[test]
fn every_line_of_the_lab_corpus_is_explained() {
    if !std::path::Path::new(LAB).exists() {
        eprintln!("skipped: {LAB} is not here");
        return;
    }
    for lang in ["en", "ja"] {
        let o = run(&[], &["explain", "--json", "--lang", lang, LAB]);
        assert_eq!(o.status.code(), Some(0));
        let mut n = 0;
        for l in stdout(&o).lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            n += 1;
            let raw = v["raw"].as_str().unwrap();
            assert_eq!(v["understood"], true, "{raw}");
            let key = v["key"].as_str().unwrap();
            assert!(
                !key.ends_with("other"),
                "{lang}: only a fallback explanation ({key}) for {raw}"
            );
            let text = v["explanation"].as_str().unwrap();
            assert!(!text.is_empty(), "{raw}");
            assert!(!text.contains("[["), "{raw}: {text}");
            for note in v["notes"].as_array().unwrap() {
                let t = note["text"].as_str().unwrap();
                assert_ne!(
                    t,
                    note["key"].as_str().unwrap(),
                    "{lang}: no text for {}",
                    note["key"]
                );
            }
        }
        assert_eq!(n, 10783, "{lang}");
    }
}
