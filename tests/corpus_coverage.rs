//! How much of the real Postfix lines in the shared corpus mailtrail understands, and that no
//! input — mixed with other programs' lines, or damaged — makes it crash or write bad JSON.
//!
//! The corpus is read from `../shared/corpus` at test time (see SOURCES.md there): its lines
//! come from sources under various licences and are never copied into this repository.

mod common;

use common::{files_in, mailtrail, name};
use std::io::Write;
use std::path::Path;

/// The share of Postfix lines that must be understood, over the whole corpus.
const MIN_UNDERSTOOD_PERCENT: f64 = 99.0;

#[derive(Debug)]
struct Coverage {
    what: String,
    postfix_lines: u64,
    understood: u64,
    not_understood: u64,
    /// Lines mailtrail did not take for a syslog line at all (not in `postfix_lines`).
    malformed: u64,
}

impl Coverage {
    fn percent(&self) -> f64 {
        if self.postfix_lines == 0 {
            100.0
        } else {
            self.understood as f64 * 100.0 / self.postfix_lines as f64
        }
    }
}

fn number(v: &serde_json::Value, field: &str, what: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("stats --json for {what}: no number `{field}` in {v}"))
}

/// `mailtrail stats --json FILE`, checked for consistency.
fn coverage(file: &Path, what: String) -> Coverage {
    let run = mailtrail([Path::new("stats"), Path::new("--json"), file]);
    run.assert_ok();
    let json = run.json_lines();
    assert_eq!(json.len(), 1, "stats --json for {what}: {}", run.stdout);
    let v = &json[0];
    let c = Coverage {
        postfix_lines: number(v, "postfix_lines", &what),
        understood: number(v, "understood", &what),
        not_understood: number(v, "not_understood", &what),
        malformed: number(v, "malformed", &what),
        what,
    };
    assert_eq!(
        c.understood + c.not_understood,
        c.postfix_lines,
        "stats --json for {}: understood + not_understood != postfix_lines",
        c.what
    );
    c
}

/// The Postfix rows of a payload TSV (`program<TAB>message`, program `postfix…/…`), each
/// given a synthetic syslog envelope.
fn enveloped_payload(tsv: &Path) -> Vec<u8> {
    let bytes = std::fs::read(tsv).unwrap_or_else(|e| panic!("{}: {e}", tsv.display()));
    let mut out = Vec::new();
    for row in bytes.split(|&b| b == b'\n') {
        let row = row.strip_suffix(b"\r").unwrap_or(row);
        let Some(tab) = row.iter().position(|&b| b == b'\t') else {
            continue;
        };
        let (program, message) = (&row[..tab], &row[tab + 1..]);
        if !is_postfix_program(program) {
            continue;
        }
        out.extend_from_slice(b"Jan  1 00:00:00 host ");
        out.extend_from_slice(program);
        out.extend_from_slice(b"[1]: ");
        out.extend_from_slice(message);
        out.push(b'\n');
    }
    out
}

/// `^postfix[^/]*/.+`
fn is_postfix_program(p: &[u8]) -> bool {
    let Some(rest) = p.strip_prefix(b"postfix") else {
        return false;
    };
    match rest.iter().position(|&b| b == b'/') {
        Some(slash) => slash + 1 < rest.len(),
        None => false,
    }
}

#[test]
fn postfix_program_pattern() {
    assert!(is_postfix_program(b"postfix/smtpd"));
    assert!(is_postfix_program(b"postfix-nospam/cleanup"));
    assert!(is_postfix_program(b"postfix/submission/smtpd"));
    assert!(!is_postfix_program(b"postfix"));
    assert!(!is_postfix_program(b"postfix/"));
    assert!(!is_postfix_program(b"program"));
    assert!(!is_postfix_program(b"amavis"));
}

#[test]
fn corpus_postfix_lines_are_understood() {
    let Some(shared) = common::shared() else {
        return;
    };
    let corpus = shared.join("corpus");
    let mut all = Vec::new();
    for file in files_in(&corpus.join("lines")) {
        all.push(coverage(&file, format!("lines/{}", name(&file))));
    }
    let tmp = tempfile::tempdir().expect("temporary directory");
    for tsv in files_in(&corpus.join("payload")) {
        let lines = enveloped_payload(&tsv);
        assert!(!lines.is_empty(), "{}: no Postfix rows", tsv.display());
        let path = tmp.path().join(format!("{}.log", name(&tsv)));
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(&lines))
            .expect("write the enveloped payload");
        let c = coverage(&path, format!("payload/{}", name(&tsv)));
        let rows = lines.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(
            c.postfix_lines + c.malformed,
            rows,
            "{}: every enveloped row is a line",
            c.what
        );
        assert_eq!(
            c.malformed, 0,
            "{}: the synthetic envelope was not recognised",
            c.what
        );
        all.push(c);
    }

    let postfix: u64 = all.iter().map(|c| c.postfix_lines).sum();
    let understood: u64 = all.iter().map(|c| c.understood).sum();
    let malformed: u64 = all.iter().map(|c| c.malformed).sum();
    let percent = understood as f64 * 100.0 / postfix as f64;
    println!(
        "corpus coverage: {understood} of {postfix} Postfix lines understood ({percent:.2}%) \
         in {} files",
        all.len()
    );
    println!(
        "  (+ {malformed} lines of lines/ not taken for syslog lines at all; counted as not \
         understood the figure would be {:.2}%)",
        understood as f64 * 100.0 / (postfix + malformed) as f64
    );
    let mut worst: Vec<&Coverage> = all
        .iter()
        .filter(|c| c.not_understood > 0 || c.malformed > 0)
        .collect();
    worst.sort_by(|a, b| a.percent().total_cmp(&b.percent()));
    for c in worst.iter().take(10) {
        println!(
            "  {:>7.2}%  {:>4}/{:<4} not understood {:<3} no syslog form {:<3} {}",
            c.percent(),
            c.understood,
            c.postfix_lines,
            c.not_understood,
            c.malformed,
            c.what
        );
    }
    assert!(
        percent >= MIN_UNDERSTOOD_PERCENT,
        "only {percent:.2}% of the corpus's Postfix lines understood (at least \
         {MIN_UNDERSTOOD_PERCENT}% required); list them with `mailtrail stats --unparsed FILE`"
    );
}

/// Logs with other programs' lines, and a log whose anonymiser mangled Postfix's keywords:
/// every command ends normally and `--json` writes one valid object per line.
#[test]
fn mixed_and_damaged_logs_never_crash() {
    let Some(shared) = common::shared() else {
        return;
    };
    let corpus = shared.join("corpus");
    let mut files = files_in(&corpus.join("mixed"));
    files.extend(files_in(&corpus.join("damaged")));
    files.extend(files_in(&corpus.join("lines")));
    assert!(files.len() > 3, "corpus directories are empty");
    let mut messages = 0;
    for file in &files {
        let run = mailtrail([Path::new("messages"), Path::new("--json"), file]);
        run.assert_ok();
        for v in run.json_lines() {
            assert!(
                v.is_object() && v.get("queue_id").is_some() && v.get("status").is_some(),
                "{}: not a message object: {v}",
                name(file)
            );
            messages += 1;
        }
        for args in [
            &["messages"][..],
            &["messages", "--csv"],
            &["stats"],
            &["stats", "--unparsed"],
            &["trace", "--json", "example.com"],
        ] {
            let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
            all.push(file.as_os_str());
            mailtrail(all).assert_ok();
        }
    }
    println!("{} files, {messages} messages as JSON", files.len());
}

/// Traditional syslog stamps whose day is not padded (`Jan 6 08:39:06`, as some relays and
/// copy-pastes write them; pflogsumm accepts `Mmm [ ]d`). Six lines of the corpus
/// (msimerson, fail2ban) are written so.
#[test]
fn unpadded_day_is_a_syslog_stamp() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("unpadded.log");
    std::fs::write(
        &path,
        "Jan 6 08:39:06 mail postfix/smtpd[339505]: connect from localhost[127.0.0.1]\n\
         Jan 6 08:39:06 mail postfix/qmgr[1303]: 1399BBC238: removed\n",
    )
    .unwrap();
    let c = coverage(&path, "unpadded day".into());
    assert_eq!((c.malformed, c.understood), (0, 2), "{c:?}");

    let Some(shared) = common::shared() else {
        return;
    };
    for file in files_in(&shared.join("corpus/lines")) {
        let text = std::fs::read(&file).unwrap();
        let unpadded: Vec<&[u8]> = text
            .split(|&b| b == b'\n')
            .filter(|l| l.len() > 6 && l[3] == b' ' && l[4].is_ascii_digit() && l[5] == b' ')
            .collect();
        if unpadded.is_empty() {
            continue;
        }
        let path = tmp.path().join(name(&file));
        std::fs::write(&path, unpadded.join(&b'\n')).unwrap();
        let c = coverage(&path, format!("unpadded lines of {}", name(&file)));
        assert_eq!(c.malformed, 0, "{c:?}");
    }
}
