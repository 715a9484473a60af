//! Grand totals: pflogsumm's, with its meaning where the issue keeps it, and what it leaves out.
//! Counted per host; distinct senders/recipients/domains overall.

use super::count::{Distinct, Hashed};
use super::{heading, human_bytes, round, Facts, LineFacts, Outcome};
use crate::event::{Event, QueueAction};
use crate::output::Style;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// The counts of one host (or of all).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub received: u64,
    pub accepted: u64,
    pub delivered: u64,
    pub forwarded: u64,
    pub deferred: u64,
    pub deferrals: u64,
    pub bounced: u64,
    pub expired: u64,
    pub rejected: u64,
    pub reject_warnings: u64,
    pub held: u64,
    pub discarded: u64,
    pub bytes_received: u64,
    pub bytes_delivered: u64,
    /// Deliveries to a content filter that re-injected the message (not counted as delivered).
    pub filter_hops: u64,
    /// Notifications Postfix made (bounces, delay and success notices) that were delivered.
    pub notifications_delivered: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.received += o.received;
        self.accepted += o.accepted;
        self.delivered += o.delivered;
        self.forwarded += o.forwarded;
        self.deferred += o.deferred;
        self.deferrals += o.deferrals;
        self.bounced += o.bounced;
        self.expired += o.expired;
        self.rejected += o.rejected;
        self.reject_warnings += o.reject_warnings;
        self.held += o.held;
        self.discarded += o.discarded;
        self.bytes_received += o.bytes_received;
        self.bytes_delivered += o.bytes_delivered;
        self.filter_hops += o.filter_hops;
        self.notifications_delivered += o.notifications_delivered;
    }
}

/// Counts `add` into `host`'s counts: one search for a host already counted.
fn count(by_host: &mut BTreeMap<String, Counts>, host: &str, add: impl FnOnce(&mut Counts)) {
    match by_host.get_mut(host) {
        Some(c) => add(c),
        None => add(by_host.entry(host.to_string()).or_default()),
    }
}

/// The totals counted from lines (the report's line half): rejects, warnings, holds and
/// discards, by host.
#[derive(Default)]
pub struct Verdicts {
    by_host: BTreeMap<String, Counts>,
}

impl Verdicts {
    /// Verdict lines: rejects, warnings, holds and discards, each line once.
    pub fn line(&mut self, l: &LineFacts<'_>) {
        let field: fn(&mut Counts) -> &mut u64 = match *l.event {
            Event::Verdict { verdict, .. } => match verdict.action {
                b"reject" | b"milter-reject" | b"proxy-reject" => |c| &mut c.rejected,
                b"reject_warning" => |c| &mut c.reject_warnings,
                // cleanup's header/body WARN, which pflogsumm counts as a reject warning.
                b"warning" => |c| &mut c.reject_warnings,
                b"hold" | b"milter-hold" => |c| &mut c.held,
                b"discard" | b"milter-discard" => |c| &mut c.discarded,
                _ => return,
            },
            Event::QueueFile {
                action: QueueAction::Held,
                ..
            } => |c| &mut c.held,
            _ => return,
        };
        count(&mut self.by_host, l.host, |c| *field(c) += 1);
    }
}

/// The totals counted from messages, by host, and the distinct senders and recipients.
#[derive(Default)]
pub struct Totals {
    by_host: BTreeMap<String, Counts>,
    /// The counts of the last host's messages not yet added to `by_host` (added when the host
    /// changes, or for the view): consecutive messages nearly always share their host, so it
    /// is compared instead of looked up for each message.
    last_host: Option<(Arc<str>, Counts)>,
    senders: Distinct,
    sender_domains: Distinct,
    recipients: Distinct,
    recipient_domains: Distinct,
}

impl Totals {
    pub fn message(&mut self, f: &Facts<'_>) {
        let m = f.m;
        let mut c = Counts::default();
        if f.received {
            c.received = 1;
            c.bytes_received = m.size.unwrap_or(0);
        }
        if f.accepted {
            c.accepted = 1;
            if let Some(sender) = &f.sender {
                let key = if sender.text.is_empty() {
                    Hashed::new("from=<>")
                } else {
                    sender.key()
                };
                self.senders.add_hashed(key);
                // `from=<>` has no domain either.
                if sender.domain().is_empty() {
                    match &m.client {
                        Some(p) => self
                            .sender_domains
                            .add(&super::normalize::client_domain(&p.name, &p.ip)),
                        None => self.sender_domains.add_hashed(key),
                    }
                } else {
                    self.sender_domains.add_hashed(sender.domain_key());
                }
            }
        }
        let notification = m.origin == Some(crate::correlate::Origin::Internal);
        let mut deferred = false;
        for a in &f.attempts {
            match a.outcome {
                Outcome::Delivered => {
                    c.delivered += 1;
                    c.bytes_delivered += f.size;
                    if notification {
                        c.notifications_delivered += 1;
                    }
                    self.recipients.add_hashed(a.to.key());
                    self.recipient_domains.add_hashed(a.to.domain_key());
                }
                Outcome::Forwarded => c.forwarded += 1,
                Outcome::FilterHop => c.filter_hops += 1,
                Outcome::Deferred => {
                    c.deferrals += 1;
                    deferred = true;
                }
                Outcome::Bounced => c.bounced += 1,
                Outcome::Other => {}
            }
        }
        if deferred {
            c.deferred = 1;
        }
        c.expired = expired(f);
        if c != Counts::default() {
            match &mut self.last_host {
                // The tracker shares one `Arc` per host: the pointers nearly always settle it.
                Some((host, counts)) if Arc::ptr_eq(host, &m.host) || *host == m.host => {
                    counts.add(&c)
                }
                last => {
                    if let Some((host, counts)) = last.replace((m.host.clone(), c)) {
                        count(&mut self.by_host, &host, |all| all.add(&counts));
                    }
                }
            }
        }
    }

    /// The messages' counts by host, the last host's included.
    fn messages_by_host(&self) -> BTreeMap<String, Counts> {
        let mut by_host = self.by_host.clone();
        if let Some((host, counts)) = &self.last_host {
            count(&mut by_host, host, |all| all.add(counts));
        }
        by_host
    }

    /// Every count by host, the verdict lines' and the messages'.
    pub fn by_host(&self, verdicts: &Verdicts) -> BTreeMap<String, Counts> {
        let mut by_host = self.messages_by_host();
        for (host, c) in &verdicts.by_host {
            count(&mut by_host, host, |counts| counts.add(c));
        }
        by_host
    }

    pub fn view(&self, verdicts: &Verdicts) -> TotalsView {
        let mut all = Counts::default();
        let last = self.last_host.iter().map(|(_, counts)| counts);
        for c in self
            .by_host
            .values()
            .chain(last)
            .chain(verdicts.by_host.values())
        {
            all.add(c);
        }
        let base = all.delivered + all.rejected + all.discarded;
        let pct = |n: u64| {
            if base == 0 {
                0.0
            } else {
                round(n as f64 * 100.0 / base as f64, 2)
            }
        };
        TotalsView {
            rejected_percent: pct(all.rejected),
            discarded_percent: pct(all.discarded),
            senders: self.senders.count(),
            sender_domains: self.sender_domains.count(),
            recipients: self.recipients.count(),
            recipient_domains: self.recipient_domains.count(),
            distinct_exact: self.senders.is_exact()
                && self.sender_domains.is_exact()
                && self.recipients.is_exact()
                && self.recipient_domains.is_exact(),
            counts: all,
        }
    }
}

/// Recipients whose life ended expired or force-expired in the period (qmgr returned the
/// message to its sender); a message returned with no recipient known counts once.
fn expired(f: &Facts<'_>) -> u64 {
    use crate::correlate::RecipientStatus;
    use crate::event::DeliveryStatus;
    let m = f.m;
    if m.expired.is_none() || !f.ended_in_period {
        return 0;
    }
    let n = m
        .recipients
        .iter()
        .filter(|r| {
            matches!(
                r.status,
                RecipientStatus::Delivery(DeliveryStatus::Expired)
                    | RecipientStatus::Delivery(DeliveryStatus::ForceExpired)
            )
        })
        .count() as u64;
    n.max(1)
}

#[derive(Serialize)]
pub struct TotalsView {
    #[serde(flatten)]
    pub counts: Counts,
    /// rejected / (delivered + rejected + discarded), as pflogsumm computes it (in %).
    pub rejected_percent: f64,
    pub discarded_percent: f64,
    pub senders: u64,
    pub sender_domains: u64,
    pub recipients: u64,
    pub recipient_domains: u64,
    /// The four distinct counts above are exact (below the cap); else estimates (±2%).
    pub distinct_exact: bool,
}

pub fn text(v: &TotalsView, by_host: &BTreeMap<String, Counts>, style: &Style, out: &mut String) {
    heading(out, style, "Grand totals");
    let c = &v.counts;
    let approx = if v.distinct_exact { "" } else { " (approx.)" };
    let rows: Vec<(String, String)> = vec![
        (c.received.to_string(), "received".into()),
        (c.accepted.to_string(), "  accepted into the queue".into()),
        (c.delivered.to_string(), "delivered".into()),
        (c.forwarded.to_string(), "forwarded".into()),
        (
            c.deferred.to_string(),
            format!("deferred  ({} deferrals)", c.deferrals),
        ),
        (c.bounced.to_string(), "bounced".into()),
        (c.expired.to_string(), "expired".into()),
        (
            c.rejected.to_string(),
            format!("rejected ({}%)", v.rejected_percent.trunc()),
        ),
        (c.reject_warnings.to_string(), "reject warnings".into()),
        (c.held.to_string(), "held".into()),
        (
            c.discarded.to_string(),
            format!("discarded ({}%)", v.discarded_percent.trunc()),
        ),
        (String::new(), String::new()),
        (human_bytes(c.bytes_received), "bytes received".into()),
        (human_bytes(c.bytes_delivered), "bytes delivered".into()),
        (v.senders.to_string(), format!("senders{approx}")),
        (
            v.sender_domains.to_string(),
            format!("sending hosts/domains{approx}"),
        ),
        (v.recipients.to_string(), format!("recipients{approx}")),
        (
            v.recipient_domains.to_string(),
            format!("recipient hosts/domains{approx}"),
        ),
    ];
    for (n, what) in rows {
        if n.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {n:>8}  {what}");
        }
    }
    if c.filter_hops > 0 || c.notifications_delivered > 0 {
        let _ = writeln!(
            out,
            "  {}",
            style.dim(&format!(
                "delivered counts {} made by Postfix, not {} to a content filter",
                super::plural(c.notifications_delivered, "notification", "notifications"),
                super::plural(c.filter_hops, "hand-off", "hand-offs")
            ))
        );
    }
    out.push('\n');
    if by_host.len() > 1 {
        heading(out, style, "Totals by host");
        let mut t = super::table::Table::new(&[
            ("host", super::table::Align::Left),
            ("received", super::table::Align::Right),
            ("delivered", super::table::Align::Right),
            ("deferred", super::table::Align::Right),
            ("bounced", super::table::Align::Right),
            ("rejected", super::table::Align::Right),
        ]);
        for (h, c) in by_host {
            t.row(vec![
                crate::text::terminal(h).into_owned(),
                c.received.to_string(),
                c.delivered.to_string(),
                c.deferred.to_string(),
                c.bounced.to_string(),
                c.rejected.to_string(),
            ]);
        }
        t.render(2, out);
        out.push('\n');
    }
}
