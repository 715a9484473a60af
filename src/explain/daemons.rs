//! `explain --daemons`: the parts of a log line and the role of each Postfix daemon — the
//! map a reader needs before the lines themselves.

use super::Catalog;
use serde::Serialize;

/// The line the parts are shown on: the seed document's first example. A log line, the same
/// in every language.
pub const EXAMPLE: &str =
    "Aug 15 08:00:00 mailserver postfix/smtpd[12345]: connect from unknown[192.168.1.100]";

/// The parts of a log line, in the order they appear.
pub const PARTS: &[&str] = &["date", "time", "host", "program", "pid", "message"];

/// The daemons described, roughly in the order a message meets them.
pub const DAEMONS: &[&str] = &[
    "master",
    "postscreen",
    "smtpd",
    "pickup",
    "cleanup",
    "trivial-rewrite",
    "qmgr",
    "smtp",
    "lmtp",
    "local",
    "virtual",
    "pipe",
    "error",
    "discard",
    "bounce",
    "defer",
    "trace",
    "anvil",
    "scache",
    "dnsblog",
    "tlsproxy",
    "verify",
    "postsuper",
    "postfix-script",
];

/// The severities Postfix writes before a message.
pub const SEVERITIES: &[&str] = &["warning", "error", "fatal", "panic"];

#[derive(Serialize)]
pub struct Item {
    pub name: String,
    pub text: String,
}

#[derive(Serialize)]
pub struct Guide {
    pub example: String,
    pub parts: Vec<Item>,
    pub daemons: Vec<Item>,
    pub severities: Vec<Item>,
    pub queue_id: String,
}

pub fn guide(cat: &Catalog) -> Guide {
    let items = |prefix: &str, names: &[&str]| {
        names
            .iter()
            .map(|n| Item {
                name: n.to_string(),
                text: cat.text(&format!("{prefix}.{n}")),
            })
            .collect()
    };
    Guide {
        example: EXAMPLE.to_string(),
        parts: items("daemons.part", PARTS),
        daemons: items("daemon", DAEMONS),
        severities: items("daemons.severity", SEVERITIES),
        queue_id: cat.text("daemons.queue_id"),
    }
}

/// The guide as text for people.
pub fn text(cat: &Catalog, style: &crate::output::Style) -> String {
    let g = guide(cat);
    let mut out = String::new();
    let width = |items: &[Item]| {
        items
            .iter()
            .map(|i| i.name.chars().count())
            .max()
            .unwrap_or(0)
    };
    out.push_str(&style.bold(&cat.text("daemons.heading.parts")));
    out.push('\n');
    out.push_str(&format!("  {}\n", g.example));
    // Each part's text names the part in the reader's language.
    for p in &g.parts {
        out.push_str(&format!("  {}\n", p.text));
    }
    out.push('\n');
    out.push_str(&style.bold(&cat.text("daemons.heading.daemons")));
    out.push('\n');
    let w = width(&g.daemons);
    for d in &g.daemons {
        out.push_str(&format!("  {:<w$}  {}\n", d.name, d.text));
    }
    out.push('\n');
    out.push_str(&style.bold(&cat.text("daemons.heading.severities")));
    out.push('\n');
    let w = width(&g.severities);
    for s in &g.severities {
        out.push_str(&format!("  {:<w$}  {}\n", s.name, s.text));
    }
    out.push('\n');
    out.push_str(&style.bold(&cat.text("daemons.heading.queue_id")));
    out.push('\n');
    out.push_str(&format!("  {}\n", g.queue_id));
    out
}
