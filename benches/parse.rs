//! Micro-benchmarks of the line parser, one per kind of line, to catch regressions.
//! `cargo bench --bench parse`.

use criterion::{criterion_group, criterion_main, Criterion};
use mailtrail::parse::LineParser;
use std::hint::black_box;

const LINES: &[(&str, &str)] = &[
    ("smtpd connect", "Nov 28 18:19:37 mail postfix/smtpd[1361]: connect from localhost[127.0.0.1]"),
    ("smtpd client", "Nov 28 18:19:37 mail postfix/smtpd[1361]: 14474BC23D: client=localhost[127.0.0.1]"),
    ("smtpd disconnect", "Nov 28 18:19:37 mail postfix/smtpd[1361]: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"),
    ("smtpd NOQUEUE reject", "Nov 28 18:19:37 mail postfix/smtpd[1361]: NOQUEUE: reject: RCPT from x.example[192.0.2.3]: 554 5.7.1 <a@b.example>: Relay access denied; from=<s@t.example> to=<a@b.example> proto=ESMTP helo=<x.example>"),
    ("cleanup message-id", "Nov 28 18:19:37 mail postfix/cleanup[1363]: 14474BC23D: message-id=<s02.20261128172731@client.lab.example>"),
    ("qmgr queue active", "Nov 28 18:19:37 mail postfix/qmgr[1303]: 14474BC23D: from=<bob@lab.example>, size=583, nrcpt=5 (queue active)"),
    ("qmgr removed", "Nov 28 18:19:37 mail postfix/qmgr[1303]: 14474BC23D: removed"),
    ("smtp sent", "Nov 28 18:19:37 mail postfix/smtp[1368]: 14474BC23D: to=<ok-mix1@remote.test>, relay=mx1.remote.test[127.0.0.6]:2525, delay=0.16, delays=0/0.01/0.1/0.05, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as RX000002)"),
    ("smtp deferred", "Nov 28 18:19:37 mail postfix/smtp[1368]: 14474BC23D: to=<defer-mix1@remote.test>, relay=mx1.remote.test[127.0.0.6]:2525, delay=0.16, delays=0/0.01/0.1/0.05, dsn=4.2.1, status=deferred (host mx1.remote.test[127.0.0.6] said: 450 4.2.1 <defer-mix1@remote.test>: Recipient address temporarily unavailable (in reply to RCPT TO command))"),
    ("bounce notification", "Nov 28 18:19:37 mail postfix/bounce[1389]: 14474BC23D: sender non-delivery notification: 3C6A8BC249"),
    ("postscreen connect", "Nov 28 18:19:37 mail postfix/postscreen[1357]: CONNECT from [127.0.0.1]:57845 to [127.0.0.1]:25"),
    ("rfc3339 qmgr removed", "2026-11-28T17:29:16.308429+00:00 mail postfix/qmgr[2103]: 4jcHMm1r4Kz5nMD: removed"),
    ("other program", "Nov 28 18:19:37 mail dovecot[77]: imap-login: Login: user=<bob>, method=PLAIN"),
];

fn parse_each_kind(c: &mut Criterion) {
    let parser = LineParser::default();
    let mut group = c.benchmark_group("parse");
    for (name, line) in LINES {
        group.bench_function(*name, |b| {
            b.iter(|| black_box(parser.parse(black_box(line.as_bytes()))))
        });
    }
    group.finish();
}

criterion_group!(benches, parse_each_kind);
criterion_main!(benches);
