//! The catalogues against the code: every key the explainer can ask for exists in both
//! languages, every kind of line the parser produces is explained, and no text is dead.

use super::catalog::placeholders;
use super::classify::{diagnostic_classes, reply_classes};
use super::{explain, Catalog, Lang};
use crate::parse::{LineParser, Parsed};
use std::collections::BTreeSet;

/// One line of every kind (tests/fixtures/explain-kinds.log).
const KINDS: &str = include_str!("../../tests/fixtures/explain-kinds.log");

/// The explainer's sources, where its catalogue keys are written.
const SOURCES: &[&str] = &[
    include_str!("mod.rs"),
    include_str!("events.rs"),
    include_str!("lifecycle.rs"),
    include_str!("daemons.rs"),
    include_str!("../cli/explain.rs"),
];

/// Classes made in code rather than from a reply's words.
const EXTRA_CLASSES: &[&str] = &["too_many_errors", "content_check"];

/// The commands `classify::in_reply_to` names.
const IN_REPLY: &[&str] = &[
    "mail",
    "rcpt",
    "data",
    "end_of_data",
    "helo",
    "starttls",
    "auth",
    "greeting",
    "other",
];

fn keys() -> BTreeSet<&'static str> {
    Lang::En.entries().iter().map(|(k, _)| *k).collect()
}

/// Every `Event::kind()` name, read from the source so a new kind cannot be forgotten here.
fn event_kinds() -> BTreeSet<&'static str> {
    let src = include_str!("../event.rs");
    let body = &src[src.find("pub fn kind(&self)").unwrap()..];
    let body = &body[..body.find("\n    }\n").unwrap()];
    body.split("=> \"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect()
}

#[test]
fn every_kind_of_line_is_explained_with_existing_keys_in_both_languages() {
    let parser = LineParser::default();
    let mut kinds = BTreeSet::new();
    let mut used = BTreeSet::new();
    for lang in [Lang::En, Lang::Ja] {
        let cat = Catalog::new(lang);
        for line in KINDS.lines() {
            let parsed = parser.parse(line.as_bytes());
            let e = explain(&cat, &parsed);
            if let Parsed::Postfix {
                event: Some(ev), ..
            } = &parsed
            {
                kinds.insert(ev.kind());
                assert_eq!(e.kind, ev.kind());
                assert!(!e.key.is_empty() && e.understood(), "{line}");
            }
            assert!(!e.notes.is_empty(), "no explanation: {line}");
            for n in &e.notes {
                assert!(
                    cat.has(&n.key),
                    "{}: no key {} for {line}",
                    lang.as_str(),
                    n.key
                );
                let left: Vec<&str> = placeholders(&n.text).collect();
                assert!(left.is_empty(), "unfilled {left:?} in {}: {line}", n.key);
                assert!(!n.text.contains("[[") && !n.text.contains("]]"), "{line}");
                used.insert(n.key.clone());
            }
        }
    }
    let missing: Vec<_> = event_kinds().difference(&kinds).copied().collect();
    assert!(
        missing.is_empty(),
        "kinds without a fixture line: {missing:?}"
    );

    // Every text is reachable: asked for by some fixture line, or one of a family of
    // texts picked by code (status codes, classes, the daemons guide, the trace verdict).
    let families = [
        "dsn.class.",
        "dsn.subject.",
        "dsn.detail.",
        "smtp.",
        "class.",
        "diag.class.",
        "in_reply.",
        "status.",
        "daemon.",
        "daemons.",
        "verdict_msg.",
        "trace.",
        "label.",
        "line.bad_timestamp",
    ];
    let dead: Vec<_> = keys()
        .into_iter()
        .filter(|k| !used.contains(*k))
        .filter(|k| !families.iter().any(|f| k.starts_with(f)))
        .filter(|k| !k.ends_with(".other") && !k.ends_with("_other"))
        .collect();
    assert!(dead.is_empty(), "texts no fixture line uses: {dead:?}");
}

#[test]
fn every_key_written_in_the_code_exists() {
    let keys = keys();
    let prefixes: BTreeSet<&str> = keys.iter().map(|k| k.split('.').next().unwrap()).collect();
    let mut checked = 0;
    for src in SOURCES {
        for literal in src.split('"').skip(1).step_by(2) {
            let Some((head, _)) = literal.split_once('.') else {
                continue;
            };
            let key_like = literal
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
            if !key_like || !prefixes.contains(head) {
                continue;
            }
            // A key, or the stem of a family of keys (`format!("class.{c}")`).
            let stem = literal.trim_end_matches('.');
            let family = keys.iter().any(|k| k.starts_with(&format!("{stem}.")));
            assert!(
                keys.contains(literal) || family,
                "the code asks for {literal}, no catalogue has it"
            );
            checked += usize::from(keys.contains(literal));
        }
    }
    assert!(checked > 100, "only {checked} keys found in the sources");
}

#[test]
fn every_class_has_a_cause_and_a_fix() {
    let keys = keys();
    let has_fix = |prefix: String| {
        keys.contains(format!("{prefix}.fix").as_str())
            || (keys.contains(format!("{prefix}.fix.in").as_str())
                && keys.contains(format!("{prefix}.fix.out").as_str()))
    };
    let classes: BTreeSet<&str> = reply_classes()
        .chain(EXTRA_CLASSES.iter().copied())
        .collect();
    for c in &classes {
        assert!(keys.contains(format!("class.{c}").as_str()), "class.{c}");
        assert!(has_fix(format!("class.{c}")), "class.{c}.fix");
    }
    for c in diagnostic_classes() {
        assert!(
            keys.contains(format!("diag.class.{c}").as_str()),
            "diag.class.{c}"
        );
        assert!(
            keys.contains(format!("diag.class.{c}.fix").as_str()),
            "diag.class.{c}.fix"
        );
    }
    // And no text for a class that does not exist.
    for k in &keys {
        if let Some(rest) = k.strip_prefix("class.") {
            assert!(classes.contains(rest.split('.').next().unwrap()), "{k}");
        }
        if let Some(rest) = k.strip_prefix("diag.class.") {
            let c = rest.split('.').next().unwrap();
            assert!(diagnostic_classes().any(|d| d == c), "{k}");
        }
    }
    for c in IN_REPLY {
        assert!(
            keys.contains(format!("in_reply.{c}").as_str()),
            "in_reply.{c}"
        );
    }
}

#[test]
fn status_words_and_daemons_have_texts() {
    let keys = keys();
    for w in crate::select::STATUS_WORDS {
        if *w != "delivered" {
            assert!(keys.contains(format!("status.{w}").as_str()), "status.{w}");
        }
    }
    for d in super::daemons::DAEMONS {
        assert!(keys.contains(format!("daemon.{d}").as_str()), "daemon.{d}");
    }
    for p in super::daemons::PARTS {
        assert!(
            keys.contains(format!("daemons.part.{p}").as_str()),
            "daemons.part.{p}"
        );
    }
    for s in super::daemons::SEVERITIES {
        assert!(
            keys.contains(format!("daemons.severity.{s}").as_str()),
            "daemons.severity.{s}"
        );
    }
}

#[test]
fn every_rfc3463_code_has_a_text() {
    let keys = keys();
    let details: &[(u8, u8)] = &[
        (0, 0),
        (1, 8),
        (2, 4),
        (3, 5),
        (4, 7),
        (5, 5),
        (6, 5),
        (7, 7),
    ];
    for &(subject, last) in details {
        assert!(keys.contains(format!("dsn.subject.{subject}").as_str()));
        for detail in 0..=last {
            let k = format!("dsn.detail.{subject}.{detail}");
            assert!(keys.contains(k.as_str()), "{k}");
        }
    }
}
