//! Top senders and recipients, by messages and by bytes, and outgoing mail by SASL user — the
//! place a compromised account shows first (many recipients, many client addresses).

use super::count::{Tally, Weighted};
use super::table::{Align, Table};
use super::{heading, human_bytes, Facts, Outcome};
use crate::output::Style;
use crate::text::terminal;
use serde::Serialize;

const CAP: usize = 50_000;
/// Client addresses remembered per SASL user.
const CLIENTS_PER_USER: usize = 64;

#[derive(Default)]
pub struct Flow {
    messages: u64,
    bytes: u64,
}

impl Weighted for Flow {
    fn weight(&self) -> u64 {
        self.messages
    }
}

#[derive(Default)]
pub struct SaslUser {
    messages: u64,
    recipients: u64,
    bytes: u64,
    clients: Vec<Box<str>>,
    /// More client addresses than `CLIENTS_PER_USER` were seen.
    clients_overflow: bool,
}

impl Weighted for SaslUser {
    fn weight(&self) -> u64 {
        self.messages
    }
}

pub struct Top {
    senders: Tally<Flow>,
    recipients: Tally<Flow>,
    sasl: Tally<SaslUser>,
}

impl Default for Top {
    fn default() -> Self {
        Top {
            senders: Tally::new(CAP),
            recipients: Tally::new(CAP),
            sasl: Tally::new(CAP),
        }
    }
}

fn shown(sender: &str) -> &str {
    if sender.is_empty() {
        "<>"
    } else {
        sender
    }
}

impl Top {
    pub fn message(&mut self, f: &Facts<'_>) {
        if f.accepted {
            if let Some(s) = &f.sender {
                let e = if s.text.is_empty() {
                    self.senders.entry(shown(&s.text))
                } else {
                    self.senders.entry_hashed(s.key())
                };
                e.messages += 1;
                e.bytes += f.size;
            }
            if let Some(user) = f.m.sasl_username.as_deref() {
                let u = self.sasl.entry(user);
                u.messages += 1;
                u.recipients +=
                    f.m.nrcpt
                        .map(u64::from)
                        .unwrap_or(f.m.recipients.len() as u64);
                u.bytes += f.size;
                if let Some(c) = &f.m.client {
                    if !u.clients.iter().any(|k| **k == *c.ip) {
                        if u.clients.len() < CLIENTS_PER_USER {
                            u.clients.push(Box::from(c.ip.as_str()));
                        } else {
                            u.clients_overflow = true;
                        }
                    }
                }
            }
        }
        for a in &f.attempts {
            if a.outcome == Outcome::Delivered {
                let e = self.recipients.entry_hashed(a.to.key());
                e.messages += 1;
                e.bytes += f.size;
            }
        }
    }

    fn list(t: &Tally<Flow>, top: usize) -> ListView {
        let row = |(k, v): (&str, &Flow)| FlowView {
            address: k.to_string(),
            messages: v.messages,
            bytes: v.bytes,
        };
        ListView {
            by_messages: t
                .top_by(top, |v| (v.messages, v.bytes))
                .into_iter()
                .map(row)
                .collect(),
            by_bytes: t
                .top_by(top, |v| (v.bytes, v.messages))
                .into_iter()
                .map(row)
                .collect(),
            known: t.len(),
            approximate: t.approximate(),
        }
    }

    pub fn senders_view(&self, top: usize) -> ListView {
        Top::list(&self.senders, top)
    }

    pub fn recipients_view(&self, top: usize) -> ListView {
        Top::list(&self.recipients, top)
    }

    pub fn sasl_view(&self, top: usize) -> SaslView {
        SaslView {
            users: self
                .sasl
                .top_by(top, |u| (u.recipients, u.messages))
                .into_iter()
                .map(|(k, u)| SaslUserView {
                    user: k.to_string(),
                    messages: u.messages,
                    recipients: u.recipients,
                    bytes: u.bytes,
                    client_ips: u.clients.len(),
                    client_ips_more: u.clients_overflow,
                })
                .collect(),
            known: self.sasl.len(),
            approximate: self.sasl.approximate(),
        }
    }
}

#[derive(Serialize)]
pub struct FlowView {
    pub address: String,
    pub messages: u64,
    pub bytes: u64,
}

#[derive(Serialize)]
pub struct ListView {
    pub by_messages: Vec<FlowView>,
    pub by_bytes: Vec<FlowView>,
    /// Addresses known (the lists show the top ones).
    pub known: usize,
    pub approximate: bool,
}

#[derive(Serialize)]
pub struct SaslUserView {
    pub user: String,
    pub messages: u64,
    /// Recipients of those messages (`nrcpt`).
    pub recipients: u64,
    pub bytes: u64,
    /// Distinct client IPs the user sent from (counted up to 64).
    pub client_ips: usize,
    /// More than 64 client IPs.
    pub client_ips_more: bool,
}

#[derive(Serialize)]
pub struct SaslView {
    /// Worst first: by recipients, then messages.
    pub users: Vec<SaslUserView>,
    pub known: usize,
    pub approximate: bool,
}

fn flow_table(title: &str, counted: &str, rows: &[FlowView], style: &Style, out: &mut String) {
    if rows.is_empty() {
        return;
    }
    heading(out, style, title);
    let mut t = Table::new(&[
        (counted, Align::Right),
        ("bytes", Align::Right),
        ("address", Align::Left),
    ]);
    for r in rows {
        t.row(vec![
            r.messages.to_string(),
            human_bytes(r.bytes),
            terminal(&r.address).into_owned(),
        ]);
    }
    t.render(2, out);
    out.push('\n');
}

fn suffix(l: &ListView) -> String {
    let approx = if l.approximate { ", approximate" } else { "" };
    format!(" ({} of {}{approx})", l.by_messages.len(), l.known)
}

pub fn text(
    senders: &ListView,
    recipients: &ListView,
    sasl: &SaslView,
    style: &Style,
    out: &mut String,
) {
    flow_table(
        &format!("Senders by messages{}", suffix(senders)),
        "messages",
        &senders.by_messages,
        style,
        out,
    );
    flow_table(
        &format!("Senders by bytes{}", suffix(senders)),
        "messages",
        &senders.by_bytes,
        style,
        out,
    );
    flow_table(
        &format!("Recipients by deliveries{}", suffix(recipients)),
        "deliveries",
        &recipients.by_messages,
        style,
        out,
    );
    flow_table(
        &format!("Recipients by bytes{}", suffix(recipients)),
        "deliveries",
        &recipients.by_bytes,
        style,
        out,
    );
    if !sasl.users.is_empty() {
        heading(out, style, "Outgoing mail by SASL user");
        let mut t = Table::new(&[
            ("messages", Align::Right),
            ("recipients", Align::Right),
            ("bytes", Align::Right),
            ("client IPs", Align::Right),
            ("user", Align::Left),
        ]);
        for u in &sasl.users {
            let ips = if u.client_ips_more {
                format!("{}+", u.client_ips)
            } else {
                u.client_ips.to_string()
            };
            t.row(vec![
                u.messages.to_string(),
                u.recipients.to_string(),
                human_bytes(u.bytes),
                ips,
                terminal(&u.user).into_owned(),
            ]);
        }
        t.render(2, out);
        out.push('\n');
    }
}
