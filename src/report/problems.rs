//! Problems, grouped and counted, worst first: deferral and bounce reasons by destination
//! domain (the remote reply normalised), rejects by stage and by class, reject warnings,
//! holds and discards, smtp client trouble, warnings/errors/fatal/panic lines by message,
//! and master's events.

use super::count::{Tally, Weighted};
use super::normalize;
use super::table::{cut, Align, Table};
use super::{heading, Facts, LineFacts, Outcome};
use crate::envelope::Severity;
use crate::event::{Event, MasterAction};
use crate::output::Style;
use crate::text::{owned, terminal};
use serde::Serialize;
use std::fmt::Write as _;

const CAP: usize = 10_000;
/// Master events listed one by one (beyond, only counted).
const MASTER_EVENTS: usize = 200;
/// Example texts are kept this long.
const EXAMPLE_LEN: usize = 300;

/// One group of like problems.
#[derive(Default)]
pub struct Group {
    count: u64,
    /// Replies with a 4xx code (temporary), for rejects.
    temporary: u64,
    /// One instance, as logged (first seen).
    example: Box<str>,
    /// The relay of the last instance (deferrals, bounces).
    relay: Box<str>,
}

impl Weighted for Group {
    fn weight(&self) -> u64 {
        self.count
    }
}

fn example(text: &str) -> Box<str> {
    Box::from(cut(text, EXAMPLE_LEN).as_str())
}

/// Deferral and bounce reasons, counted from messages.
pub struct DeliveryProblems {
    deferrals: Tally<Group>,
    bounces: Tally<Group>,
    /// The grouping key being looked up, built in place (most keys are already counted).
    key: String,
    replies: normalize::ReplyMemo,
}

impl Default for DeliveryProblems {
    fn default() -> Self {
        DeliveryProblems {
            deferrals: Tally::new(CAP),
            bounces: Tally::new(CAP),
            key: String::new(),
            replies: normalize::ReplyMemo::default(),
        }
    }
}

/// The problems counted from lines (the report's line half): rejects, warnings, holds and
/// discards, smtp client trouble, diagnostics, master's events.
pub struct Problems {
    reject_stages: Tally<u64>,
    reject_classes: Tally<u64>,
    rejects: Tally<Group>,
    reject_warnings: Tally<Group>,
    holds_discards: Tally<Group>,
    smtp_client: Tally<Group>,
    diagnostics: Tally<Group>,
    diagnostic_counts: [u64; 4],
    master: Vec<MasterEventView>,
    master_counts: Tally<u64>,
    /// The grouping key being looked up, built in place (most keys are already counted).
    key: String,
    replies: normalize::ReplyMemo,
}

impl Default for Problems {
    fn default() -> Self {
        Problems {
            reject_stages: Tally::new(64),
            reject_classes: Tally::new(1000),
            rejects: Tally::new(CAP),
            reject_warnings: Tally::new(CAP),
            holds_discards: Tally::new(CAP),
            smtp_client: Tally::new(CAP),
            diagnostics: Tally::new(CAP),
            diagnostic_counts: [0; 4],
            master: Vec::new(),
            master_counts: Tally::new(64),
            key: String::new(),
            replies: normalize::ReplyMemo::default(),
        }
    }
}

/// Keys join their parts with a NUL, which log text does not hold. `key` is cleared and
/// given `parts`, each followed by the NUL, ready for a normalised text to end it.
fn key_prefix<'k>(key: &'k mut String, parts: &[&str]) -> &'k mut String {
    key.clear();
    for p in parts {
        key.push_str(p);
        key.push('\0');
    }
    key
}

fn split_key(k: &str) -> Vec<&str> {
    k.split('\0').collect()
}

fn severity_index(s: Severity) -> Option<usize> {
    match s {
        Severity::Warning => Some(0),
        Severity::Error => Some(1),
        Severity::Fatal => Some(2),
        Severity::Panic => Some(3),
        Severity::Info => None,
    }
}

impl DeliveryProblems {
    pub fn message(&mut self, f: &Facts<'_>) {
        for a in &f.attempts {
            let table = match a.outcome {
                Outcome::Deferred => &mut self.deferrals,
                Outcome::Bounced => &mut self.bounces,
                _ => continue,
            };
            let key = key_prefix(&mut self.key, &[a.counted_domain()]);
            self.replies.reply_into(&a.attempt.reply, key);
            let g = table.entry(key);
            g.count += 1;
            if g.example.is_empty() {
                g.example = example(&a.attempt.reply);
            }
            if let Some(relay) = &a.attempt.relay {
                if *g.relay != **relay {
                    g.relay = Box::from(relay.as_str());
                }
            }
        }
    }
}

impl Problems {
    pub fn line(&mut self, l: &LineFacts<'_>) {
        let daemon = l.envelope.program.daemon;
        if let Some(i) = severity_index(l.envelope.severity) {
            if let Some(n) = self.diagnostic_counts.get_mut(i) {
                *n += 1;
            }
            let text = owned(l.envelope.text);
            let key = key_prefix(
                &mut self.key,
                &[l.envelope.severity.as_str(), &owned(daemon)],
            );
            key.push_str(&normalize::diagnostic(&text));
            let g = self.diagnostics.entry(key);
            g.count += 1;
            if g.example.is_empty() {
                g.example = example(&text);
            }
        }
        match *l.event {
            Event::Verdict { verdict: v, .. } => {
                let table = match v.action {
                    b"reject" | b"milter-reject" | b"proxy-reject" => 0,
                    b"reject_warning" | b"warning" => 1,
                    b"hold" | b"milter-hold" | b"discard" | b"milter-discard" => 2,
                    _ => return,
                };
                let daemon = owned(daemon);
                let action = owned(v.action);
                let raw_stage = owned(v.stage);
                let reply = owned(v.reply.text);
                let stage =
                    if daemon == "cleanup" && matches!(raw_stage.as_str(), "header" | "body") {
                        "END-OF-MESSAGE"
                    } else {
                        raw_stage.as_str()
                    };
                let (class, list) = normalize::reject_class(&daemon, &action, &raw_stage, &reply);
                let class_key = match &list {
                    Some(l) => format!("{class} ({l})"),
                    None => class.to_string(),
                };
                let instance = match (v.matched, v.client, v.to) {
                    (Some(m), _, _) => format!("{} {}", raw_stage, owned(m)),
                    (None, Some(c), Some(to)) => {
                        format!("{}[{}] → {}", owned(c.name), owned(c.ip), owned(to))
                    }
                    (None, Some(c), None) => format!("{}[{}]", owned(c.name), owned(c.ip)),
                    (None, None, Some(to)) => owned(to),
                    (None, None, None) => reply.clone(),
                };
                let temporary = v.reply.code.is_some_and(|c| (400..500).contains(&c))
                    || v.reply.dsn.is_some_and(|d| d.starts_with(b"4"));
                let key = match table {
                    0 | 1 => key_prefix(&mut self.key, &[stage, &class_key]),
                    _ => key_prefix(&mut self.key, &[&action, &raw_stage]),
                };
                self.replies.reply_into(&reply, key);
                let g = match table {
                    0 => {
                        *self.reject_stages.entry(stage) += 1;
                        *self.reject_classes.entry(&class_key) += 1;
                        self.rejects.entry(key)
                    }
                    1 => self.reject_warnings.entry(key),
                    _ => self.holds_discards.entry(key),
                };
                g.count += 1;
                if temporary {
                    g.temporary += 1;
                }
                if g.example.is_empty() {
                    g.example = example(&instance);
                }
            }
            Event::DeliveryProblem { text, .. } | Event::ConnectionProblem { text } => {
                let text = owned(text);
                let key = key_prefix(&mut self.key, &[&owned(daemon)]);
                self.replies.reply_into(&text, key);
                let g = self.smtp_client.entry(key);
                g.count += 1;
                if g.example.is_empty() {
                    g.example = example(&text);
                }
            }
            Event::Master { action, version } => {
                let what = match action {
                    MasterAction::Started => "started",
                    MasterAction::Reload => "reload",
                    MasterAction::Terminating => "terminating",
                    MasterAction::Script => "postfix-script",
                };
                *self.master_counts.entry(what) += 1;
                if self.master.len() < MASTER_EVENTS {
                    self.master.push(MasterEventView {
                        time: l.time.rfc3339(),
                        event: what.to_string(),
                        version: version.map(owned),
                        text: owned(l.envelope.text),
                    });
                }
            }
            Event::Diagnostic { text, .. }
                if daemon == b"master"
                    && memchr::memmem::find(text, b"process limit").is_some() =>
            {
                *self.master_counts.entry("process limit reached") += 1;
            }
            _ => {}
        }
    }

    pub fn view(&self, deliveries: &DeliveryProblems, top: usize) -> ProblemsView {
        let by_domain = |t: &Tally<Group>| -> Vec<ReasonView> {
            t.top_by(top, |g| g.count)
                .into_iter()
                .map(|(k, g)| {
                    let p = split_key(k);
                    ReasonView {
                        domain: p.first().unwrap_or(&"").to_string(),
                        reason: p.get(1).unwrap_or(&"").to_string(),
                        count: g.count,
                        relay: (!g.relay.is_empty()).then(|| g.relay.to_string()),
                        example: g.example.to_string(),
                    }
                })
                .collect()
        };
        let verdicts = |t: &Tally<Group>| -> Vec<VerdictView> {
            t.top_by(top, |g| g.count)
                .into_iter()
                .map(|(k, g)| {
                    let p = split_key(k);
                    VerdictView {
                        stage: p.first().unwrap_or(&"").to_string(),
                        class: p.get(1).unwrap_or(&"").to_string(),
                        reason: p.get(2).unwrap_or(&"").to_string(),
                        count: g.count,
                        temporary: g.temporary,
                        example: g.example.to_string(),
                    }
                })
                .collect()
        };
        let counts = |t: &Tally<u64>| -> Vec<CountView> {
            t.top_by(0, |n| *n)
                .into_iter()
                .map(|(k, n)| CountView {
                    name: k.to_string(),
                    count: *n,
                })
                .collect()
        };
        let sum = |t: &Tally<Group>| t.iter().map(|(_, g)| g.count).sum::<u64>();
        ProblemsView {
            deferrals: by_domain(&deliveries.deferrals),
            deferral_groups: deliveries.deferrals.len(),
            bounces: by_domain(&deliveries.bounces),
            bounce_groups: deliveries.bounces.len(),
            rejects_by_stage: counts(&self.reject_stages),
            rejects_by_class: counts(&self.reject_classes),
            rejects: verdicts(&self.rejects),
            reject_groups: self.rejects.len(),
            reject_warnings: verdicts(&self.reject_warnings),
            holds_and_discards: self
                .holds_discards
                .top_by(top, |g| g.count)
                .into_iter()
                .map(|(k, g)| {
                    let p = split_key(k);
                    ActionView {
                        action: p.first().unwrap_or(&"").to_string(),
                        stage: p.get(1).unwrap_or(&"").to_string(),
                        reason: p.get(2).unwrap_or(&"").to_string(),
                        count: g.count,
                        example: g.example.to_string(),
                    }
                })
                .collect(),
            smtp_client: self
                .smtp_client
                .top_by(top, |g| g.count)
                .into_iter()
                .map(|(k, g)| {
                    let p = split_key(k);
                    TextView {
                        severity: None,
                        daemon: p.first().unwrap_or(&"").to_string(),
                        text: p.get(1).unwrap_or(&"").to_string(),
                        count: g.count,
                        example: g.example.to_string(),
                    }
                })
                .collect(),
            smtp_client_total: sum(&self.smtp_client),
            warnings: self.diagnostic_counts[0],
            errors: self.diagnostic_counts[1],
            fatal: self.diagnostic_counts[2],
            panic: self.diagnostic_counts[3],
            diagnostics: self
                .diagnostics
                .top_by(top, |g| g.count)
                .into_iter()
                .map(|(k, g)| {
                    let p = split_key(k);
                    TextView {
                        severity: Some(p.first().unwrap_or(&"").to_string()),
                        daemon: p.get(1).unwrap_or(&"").to_string(),
                        text: p.get(2).unwrap_or(&"").to_string(),
                        count: g.count,
                        example: g.example.to_string(),
                    }
                })
                .collect(),
            diagnostic_groups: self.diagnostics.len(),
            master_counts: counts(&self.master_counts),
            master: self.master.clone(),
            approximate: [
                &deliveries.deferrals,
                &deliveries.bounces,
                &self.rejects,
                &self.reject_warnings,
                &self.diagnostics,
                &self.smtp_client,
            ]
            .iter()
            .any(|t| t.approximate()),
        }
    }
}

#[derive(Serialize)]
pub struct ReasonView {
    /// Recipient domain.
    pub domain: String,
    /// The reply, normalised (see docs/report.md).
    pub reason: String,
    pub count: u64,
    /// Relay of the last attempt in the group.
    pub relay: Option<String>,
    /// One reply as logged.
    pub example: String,
}

#[derive(Serialize)]
pub struct VerdictView {
    pub stage: String,
    pub class: String,
    pub reason: String,
    pub count: u64,
    /// Of which with a 4xx (temporary) reply.
    pub temporary: u64,
    /// One instance: client → recipient, or the matched header/body text.
    pub example: String,
}

#[derive(Serialize)]
pub struct ActionView {
    pub action: String,
    pub stage: String,
    pub reason: String,
    pub count: u64,
    pub example: String,
}

#[derive(Serialize)]
pub struct TextView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    pub daemon: String,
    pub text: String,
    pub count: u64,
    pub example: String,
}

#[derive(Serialize)]
pub struct CountView {
    pub name: String,
    pub count: u64,
}

#[derive(Serialize, Clone)]
pub struct MasterEventView {
    pub time: String,
    /// `started`, `reload`, `terminating`, `postfix-script`.
    pub event: String,
    pub version: Option<String>,
    pub text: String,
}

#[derive(Serialize)]
pub struct ProblemsView {
    /// Worst first: count descending.
    pub deferrals: Vec<ReasonView>,
    pub deferral_groups: usize,
    pub bounces: Vec<ReasonView>,
    pub bounce_groups: usize,
    pub rejects_by_stage: Vec<CountView>,
    pub rejects_by_class: Vec<CountView>,
    pub rejects: Vec<VerdictView>,
    pub reject_groups: usize,
    pub reject_warnings: Vec<VerdictView>,
    pub holds_and_discards: Vec<ActionView>,
    /// smtp/lmtp client trouble not tied to one delivery line (connect failures, lost
    /// connections, timeouts).
    pub smtp_client: Vec<TextView>,
    pub smtp_client_total: u64,
    pub warnings: u64,
    pub errors: u64,
    pub fatal: u64,
    pub panic: u64,
    /// warning/error/fatal/panic lines grouped by daemon and normalised text.
    pub diagnostics: Vec<TextView>,
    pub diagnostic_groups: usize,
    pub master_counts: Vec<CountView>,
    pub master: Vec<MasterEventView>,
    /// Some group counts may be short (the lightest groups were dropped to bound memory).
    pub approximate: bool,
}

fn reasons(title: &str, rows: &[ReasonView], groups: usize, style: &Style, out: &mut String) {
    if rows.is_empty() {
        return;
    }
    heading(
        out,
        style,
        &format!(
            "{title} ({} of {})",
            rows.len(),
            super::plural(groups as u64, "group", "groups")
        ),
    );
    let mut t = Table::new(&[
        ("count", Align::Right),
        ("domain", Align::Left),
        ("reason", Align::Left),
    ])
    .max_width(90);
    for r in rows {
        t.row(vec![
            r.count.to_string(),
            terminal(&r.domain).into_owned(),
            terminal(&r.reason).into_owned(),
        ]);
    }
    t.render(2, out);
    out.push('\n');
}

pub fn text(v: &ProblemsView, style: &Style, out: &mut String) {
    reasons(
        "Deferrals by domain and reason",
        &v.deferrals,
        v.deferral_groups,
        style,
        out,
    );
    reasons(
        "Bounces by domain and reason",
        &v.bounces,
        v.bounce_groups,
        style,
        out,
    );
    if !v.rejects_by_stage.is_empty() {
        heading(out, style, "Rejects");
        let stages: Vec<String> = v
            .rejects_by_stage
            .iter()
            .map(|c| format!("{} {}", terminal(&c.name), c.count))
            .collect();
        let _ = writeln!(out, "  by stage: {}", stages.join(", "));
        let classes: Vec<String> = v
            .rejects_by_class
            .iter()
            .map(|c| format!("{} {}", terminal(&c.name), c.count))
            .collect();
        let _ = writeln!(out, "  by class: {}", classes.join(", "));
        out.push('\n');
        verdict_table(&v.rejects, style, out);
    }
    if !v.reject_warnings.is_empty() {
        heading(out, style, "Reject warnings");
        verdict_table(&v.reject_warnings, style, out);
    }
    if !v.holds_and_discards.is_empty() {
        heading(out, style, "Held and discarded by checks");
        let mut t = Table::new(&[
            ("count", Align::Right),
            ("action", Align::Left),
            ("stage", Align::Left),
            ("example", Align::Left),
        ]);
        for a in &v.holds_and_discards {
            t.row(vec![
                a.count.to_string(),
                terminal(&a.action).into_owned(),
                terminal(&a.stage).into_owned(),
                terminal(&a.example).into_owned(),
            ]);
        }
        t.render(2, out);
        out.push('\n');
    }
    if !v.smtp_client.is_empty() {
        heading(
            out,
            style,
            &format!(
                "SMTP client trouble ({})",
                super::plural(v.smtp_client_total, "line", "lines")
            ),
        );
        text_table(&v.smtp_client, false, style, out);
    }
    let total = v.warnings + v.errors + v.fatal + v.panic;
    if total > 0 {
        heading(
            out,
            style,
            &format!(
                "Warnings {}, errors {}, fatal {}, panics {}",
                v.warnings, v.errors, v.fatal, v.panic
            ),
        );
        text_table(&v.diagnostics, true, style, out);
    }
    if !v.master_counts.is_empty() {
        heading(out, style, "Master daemon");
        let counts: Vec<String> = v
            .master_counts
            .iter()
            .map(|c| format!("{} {}", terminal(&c.name), c.count))
            .collect();
        let _ = writeln!(out, "  {}", counts.join(", "));
        for e in &v.master {
            let _ = writeln!(out, "  {}  {}", style.dim(&e.time), terminal(&e.text));
        }
        out.push('\n');
    }
}

fn verdict_table(rows: &[VerdictView], _style: &Style, out: &mut String) {
    let mut t = Table::new(&[
        ("count", Align::Right),
        ("4xx", Align::Right),
        ("stage", Align::Left),
        ("class", Align::Left),
        ("reason", Align::Left),
    ])
    .max_width(80);
    for r in rows {
        t.row(vec![
            r.count.to_string(),
            r.temporary.to_string(),
            terminal(&r.stage).into_owned(),
            terminal(&r.class).into_owned(),
            terminal(&r.reason).into_owned(),
        ]);
    }
    t.render(2, out);
    out.push('\n');
}

fn text_table(rows: &[TextView], severity: bool, _style: &Style, out: &mut String) {
    let mut cols = vec![("count", Align::Right)];
    if severity {
        cols.push(("severity", Align::Left));
    }
    cols.push(("daemon", Align::Left));
    cols.push(("message", Align::Left));
    let mut t = Table::new(&cols).max_width(90);
    for r in rows {
        let mut cells = vec![r.count.to_string()];
        if severity {
            cells.push(r.severity.clone().unwrap_or_default());
        }
        cells.push(terminal(&r.daemon).into_owned());
        cells.push(terminal(&r.text).into_owned());
        t.row(cells);
    }
    t.render(2, out);
    out.push('\n');
}
