//! Domains: where mail was delivered (deliveries, bytes, deferrals, bounces, delays) and where
//! received mail came from (the sender's domain, or the client's when the sender has none).

use super::count::{Sketch, Tally, Weighted};
use super::normalize::client_domain;
use super::table::{Align, Table};
use super::{heading, human_bytes, human_secs, round, Facts, Outcome};
use crate::output::Style;
use crate::text::terminal;
use serde::Serialize;

/// Most domains kept per table (lossy beyond, see `count::Tally`).
const CAP: usize = 20_000;

#[derive(Default)]
pub struct Outgoing {
    delivered: u64,
    bytes: u64,
    deferrals: u64,
    bounced: u64,
    delay: Sketch,
}

impl Weighted for Outgoing {
    fn weight(&self) -> u64 {
        self.delivered + self.deferrals + self.bounced
    }
}

#[derive(Default)]
pub struct Incoming {
    messages: u64,
    bytes: u64,
}

impl Weighted for Incoming {
    fn weight(&self) -> u64 {
        self.messages
    }
}

pub struct Domains {
    to: Tally<Outgoing>,
    from: Tally<Incoming>,
}

impl Default for Domains {
    fn default() -> Self {
        Domains {
            to: Tally::new(CAP),
            from: Tally::new(CAP),
        }
    }
}

/// The domain a delivery counts under: the recipient's, or `(local)` for a bare name.
pub fn recipient_domain(domain: &str) -> &str {
    if domain.is_empty() {
        "(local)"
    } else {
        domain
    }
}

impl Domains {
    pub fn message(&mut self, f: &Facts<'_>) {
        for a in &f.attempts {
            let key = a.counted_domain_key();
            match a.outcome {
                Outcome::Delivered => {
                    let d = self.to.entry_hashed(key);
                    d.delivered += 1;
                    d.bytes += f.size;
                    if let Some(delay) = a.delay {
                        d.delay.add_sample(delay);
                    }
                }
                Outcome::Deferred => self.to.entry_hashed(key).deferrals += 1,
                Outcome::Bounced => self.to.entry_hashed(key).bounced += 1,
                _ => {}
            }
        }
        if f.accepted {
            let sender = f.sender.as_ref();
            let e = match sender {
                Some(s) if !s.domain().is_empty() => self.from.entry_hashed(s.domain_key()),
                _ => match (&f.m.client, sender) {
                    (Some(p), _) => self.from.entry(&client_domain(&p.name, &p.ip)),
                    (None, Some(s)) if !s.text.is_empty() => self.from.entry_hashed(s.key()),
                    (None, _) => self.from.entry("(local)"),
                },
            };
            e.messages += 1;
            e.bytes += f.size;
        }
    }

    pub fn view(&self, top: usize) -> DomainsView {
        DomainsView {
            delivered_to: self
                .to
                .top_by(top, |d| (d.delivered, d.deferrals + d.bounced))
                .into_iter()
                .map(|(k, d)| OutgoingView {
                    domain: k.to_string(),
                    delivered: d.delivered,
                    bytes: d.bytes,
                    deferrals: d.deferrals,
                    bounced: d.bounced,
                    delay_avg: round(d.delay.mean(), 3),
                    delay_p95: round(d.delay.quantile(0.95), 3),
                    delay_max: round(d.delay.max(), 3),
                })
                .collect(),
            delivered_to_domains: self.to.len(),
            delivered_to_approximate: self.to.approximate(),
            received_from: self
                .from
                .top_by(top, |d| (d.messages, d.bytes))
                .into_iter()
                .map(|(k, d)| IncomingView {
                    domain: k.to_string(),
                    messages: d.messages,
                    bytes: d.bytes,
                })
                .collect(),
            received_from_domains: self.from.len(),
            received_from_approximate: self.from.approximate(),
        }
    }
}

#[derive(Serialize)]
pub struct OutgoingView {
    pub domain: String,
    pub delivered: u64,
    pub bytes: u64,
    pub deferrals: u64,
    pub bounced: u64,
    /// Seconds (`delay=`) over the deliveries; p95 from a sketch (±1%).
    pub delay_avg: f64,
    pub delay_p95: f64,
    pub delay_max: f64,
}

#[derive(Serialize)]
pub struct IncomingView {
    pub domain: String,
    pub messages: u64,
    pub bytes: u64,
}

#[derive(Serialize)]
pub struct DomainsView {
    pub delivered_to: Vec<OutgoingView>,
    /// Domains known (the list shows the top ones).
    pub delivered_to_domains: usize,
    pub delivered_to_approximate: bool,
    pub received_from: Vec<IncomingView>,
    pub received_from_domains: usize,
    pub received_from_approximate: bool,
}

fn approx(yes: bool) -> &'static str {
    if yes {
        " (approximate: the lightest domains were dropped to bound memory)"
    } else {
        ""
    }
}

pub fn text(v: &DomainsView, style: &Style, out: &mut String) {
    if !v.delivered_to.is_empty() {
        heading(
            out,
            style,
            &format!(
                "Delivered to, by domain ({} of {}){}",
                v.delivered_to.len(),
                v.delivered_to_domains,
                approx(v.delivered_to_approximate)
            ),
        );
        let mut t = Table::new(&[
            ("delivered", Align::Right),
            ("bytes", Align::Right),
            ("deferrals", Align::Right),
            ("bounced", Align::Right),
            ("avg delay", Align::Right),
            ("p95", Align::Right),
            ("max", Align::Right),
            ("domain", Align::Left),
        ]);
        for d in &v.delivered_to {
            let delays = |x: f64| {
                if d.delivered == 0 {
                    "-".to_string()
                } else {
                    human_secs(x)
                }
            };
            t.row(vec![
                d.delivered.to_string(),
                human_bytes(d.bytes),
                d.deferrals.to_string(),
                d.bounced.to_string(),
                delays(d.delay_avg),
                delays(d.delay_p95),
                delays(d.delay_max),
                terminal(&d.domain).into_owned(),
            ]);
        }
        t.render(2, out);
        out.push('\n');
    }
    if !v.received_from.is_empty() {
        heading(
            out,
            style,
            &format!(
                "Received from, by domain ({} of {}){}",
                v.received_from.len(),
                v.received_from_domains,
                approx(v.received_from_approximate)
            ),
        );
        let mut t = Table::new(&[
            ("messages", Align::Right),
            ("bytes", Align::Right),
            ("domain", Align::Left),
        ]);
        for d in &v.received_from {
            t.row(vec![
                d.messages.to_string(),
                human_bytes(d.bytes),
                terminal(&d.domain).into_owned(),
            ]);
        }
        t.render(2, out);
        out.push('\n');
    }
}
