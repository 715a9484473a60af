//! Still in the queue when the input ended: recipients by destination domain and age, the
//! shape `qshape` shows for a live queue, with each domain's last deferral reason.

use super::table::{Align, Table};
use super::{heading, human_secs, normalize, Facts};
use crate::correlate::RecipientStatus;
use crate::event::DeliveryStatus;
use crate::output::Style;
use crate::text::terminal;
use crate::time::Stamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Upper bounds of the age buckets in minutes (qshape's), the last one open.
pub const BUCKETS: [u64; 9] = [5, 10, 20, 40, 80, 160, 320, 640, 1280];
/// Domains kept; beyond, recipients count under `(other domains)`.
const CAP: usize = 10_000;

#[derive(Default, Clone)]
struct Row {
    recipients: u64,
    held: u64,
    buckets: [u64; BUCKETS.len() + 1],
    /// The latest deferral: (time, normalised reason).
    last: Option<(Stamp, String)>,
}

#[derive(Default)]
pub struct Queue {
    messages: u64,
    held_messages: u64,
    recipients: u64,
    held_recipients: u64,
    oldest: f64,
    domains: BTreeMap<String, Row>,
    /// A deferred recipient is retried with the same reply: normalised once.
    replies: normalize::ReplyMemo,
}

fn bucket(age_secs: f64) -> usize {
    let minutes = age_secs / 60.0;
    BUCKETS
        .iter()
        .position(|&b| minutes < b as f64)
        .unwrap_or(BUCKETS.len())
}

impl Queue {
    /// `end`: the last stamp of the input, the "now" of the ages.
    pub fn message(&mut self, f: &Facts<'_>, end: Stamp) {
        if !f.still_queued {
            return;
        }
        let m = f.m;
        self.messages += 1;
        if m.held {
            self.held_messages += 1;
        }
        // When it arrived: `delay=` counts from arrival; else its first line.
        let arrival = m
            .recipients
            .iter()
            .filter_map(|r| r.last_attempt())
            .filter_map(|a| a.delay.map(|d| a.time.as_f64() - d))
            .fold(m.first_seen.as_f64(), f64::min);
        let age = (end.as_f64() - arrival).max(0.0);
        self.oldest = self.oldest.max(age);
        let open: Vec<_> = m.recipients.iter().filter(|r| r.status.is_open()).collect();
        // `last`: the recipient's latest deferral and its reply as logged, normalised only
        // when it becomes the domain's latest.
        let mut add = |domain: &str, held: bool, last: Option<(Stamp, &str)>| {
            let key = if self.domains.contains_key(domain) || self.domains.len() < CAP {
                domain
            } else {
                "(other domains)"
            };
            let row = match self.domains.get_mut(key) {
                Some(row) => row,
                None => self.domains.entry(key.to_string()).or_default(),
            };
            row.recipients += 1;
            if held {
                row.held += 1;
            }
            if let Some(b) = row.buckets.get_mut(bucket(age)) {
                *b += 1;
            }
            if let Some((t, reply)) = last {
                if row.last.as_ref().is_none_or(|(lt, _)| t >= *lt) {
                    let mut reason = String::new();
                    self.replies.reply_into(reply, &mut reason);
                    row.last = Some((t, reason));
                }
            }
        };
        if open.is_empty() {
            self.recipients += 1;
            if m.held {
                self.held_recipients += 1;
            }
            add("(recipients not logged)", m.held, None);
            return;
        }
        for r in open {
            self.recipients += 1;
            let to = f.folding.fold(&r.to);
            let domain = super::domains::recipient_domain(normalize::domain(&to));
            let last = r
                .attempts
                .iter()
                .rev()
                .find(|a| a.status == DeliveryStatus::Deferred)
                .map(|a| (a.time, &*a.reply));
            let held = m.held || r.status == RecipientStatus::Held;
            if held {
                self.held_recipients += 1;
            }
            add(domain, held, last);
        }
    }

    pub fn view(&self, top: usize) -> QueueView {
        let mut rows: Vec<(&String, &Row)> = self.domains.iter().collect();
        rows.sort_by(|a, b| b.1.recipients.cmp(&a.1.recipients).then(a.0.cmp(b.0)));
        if top > 0 {
            rows.truncate(top);
        }
        let mut buckets = vec![0u64; BUCKETS.len() + 1];
        for r in self.domains.values() {
            for (b, n) in buckets.iter_mut().zip(&r.buckets) {
                *b += n;
            }
        }
        QueueView {
            messages: self.messages,
            held_messages: self.held_messages,
            recipients: self.recipients,
            held_recipients: self.held_recipients,
            oldest_seconds: super::round(self.oldest, 3),
            bucket_minutes: BUCKETS.to_vec(),
            buckets,
            domains: self.domains.len(),
            by_domain: rows
                .into_iter()
                .map(|(d, r)| QueueDomainView {
                    domain: d.clone(),
                    recipients: r.recipients,
                    held: r.held,
                    buckets: r.buckets.to_vec(),
                    last_deferral: r.last.as_ref().map(|(_, s)| s.clone()),
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
pub struct QueueDomainView {
    pub domain: String,
    pub recipients: u64,
    /// Of which in the hold queue.
    pub held: u64,
    /// Recipients by age, one count per bucket of `bucket_minutes` (the last: older).
    pub buckets: Vec<u64>,
    /// The latest deferral reason of the domain's queued recipients, normalised.
    pub last_deferral: Option<String>,
}

#[derive(Serialize)]
pub struct QueueView {
    pub messages: u64,
    pub held_messages: u64,
    pub recipients: u64,
    pub held_recipients: u64,
    pub oldest_seconds: f64,
    /// Upper bounds of the age buckets, in minutes; one more bucket holds the older.
    pub bucket_minutes: Vec<u64>,
    /// Recipients by age bucket, all domains.
    pub buckets: Vec<u64>,
    pub domains: usize,
    pub by_domain: Vec<QueueDomainView>,
}

pub fn text(v: &QueueView, style: &Style, out: &mut String) {
    if v.messages == 0 {
        return;
    }
    heading(out, style, "Still in the queue at the end of the log");
    let _ = writeln!(
        out,
        "  {} ({} held), {}; oldest {}",
        super::plural(v.messages, "message", "messages"),
        v.held_messages,
        super::plural(v.recipients, "recipient", "recipients"),
        human_secs(v.oldest_seconds)
    );
    let mut headers: Vec<String> = vec!["domain".into(), "T".into()];
    headers.extend(v.bucket_minutes.iter().map(|m| m.to_string()));
    headers.push(format!(
        "{}+",
        v.bucket_minutes.last().copied().unwrap_or(0)
    ));
    headers.push("held".into());
    headers.push("last deferral".into());
    let mut cols: Vec<(&str, Align)> = headers.iter().map(|h| (h.as_str(), Align::Right)).collect();
    if let Some(first) = cols.first_mut() {
        first.1 = Align::Left;
    }
    if let Some(last) = cols.last_mut() {
        last.1 = Align::Left;
    }
    let mut t = Table::new(&cols).max_width(70);
    let mut total = vec![String::from("TOTAL"), v.recipients.to_string()];
    total.extend(v.buckets.iter().map(|n| n.to_string()));
    total.push(v.held_recipients.to_string());
    total.push(String::new());
    t.row(total);
    for d in &v.by_domain {
        let mut row = vec![terminal(&d.domain).into_owned(), d.recipients.to_string()];
        row.extend(d.buckets.iter().map(|n| n.to_string()));
        row.push(d.held.to_string());
        row.push(
            d.last_deferral
                .as_deref()
                .map(|s| terminal(s).into_owned())
                .unwrap_or_default(),
        );
        t.row(row);
    }
    t.render(2, out);
    let _ = writeln!(
        out,
        "  {}",
        style.dim("age buckets in minutes, as qshape shows them")
    );
    out.push('\n');
}
