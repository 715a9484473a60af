//! SMTP sessions (smtpd): connections per hour and by client, connection time, lost
//! connections by stage, the share with TLS, SASL logins and failures by user and by client;
//! and postscreen: connections, PASS NEW/OLD, failed tests, DNSBL hits by list.

use super::count::{mix64, SampleMemo, Sketch, Tally, Weighted};
use super::table::{Align, Table};
use super::{heading, hour_label, human_secs, round, LineFacts};
use crate::event::{Event, Interruption};
use crate::output::Style;
use crate::text::{owned, terminal};
use rustc_hash::{FxHashMap, FxHasher};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hash::Hasher;

const CAP: usize = 20_000;
/// Open sessions remembered (connect without disconnect yet); beyond, the oldest are forgotten.
const OPEN_CAP: usize = 100_000;

#[derive(Default)]
pub struct Client {
    connections: u64,
    seconds: f64,
    name: Box<str>,
}

impl Weighted for Client {
    fn weight(&self) -> u64 {
        self.connections
    }
}

pub struct Sessions {
    connections: u64,
    per_hour: BTreeMap<i64, u64>,
    clients: Tally<Client>,
    /// Open sessions by (host, tag, pid): when they connected.
    open: FxHashMap<u64, f64>,
    durations: Sketch,
    durations_memo: SampleMemo,
    total_seconds: f64,
    interrupted: Tally<u64>,
    tls: u64,
    tls_protocols: Tally<u64>,
    sasl_users: Tally<u64>,
    sasl_clients: Tally<u64>,
    sasl_failures: u64,
    sasl_failed_clients: Tally<u64>,
    sasl_failed_users: Tally<u64>,
    // postscreen
    ps_connections: u64,
    ps_actions: Tally<u64>,
    ps_dnsbl: Tally<u64>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            connections: 0,
            per_hour: BTreeMap::new(),
            clients: Tally::new(CAP),
            open: FxHashMap::default(),
            durations: Sketch::default(),
            durations_memo: SampleMemo::default(),
            total_seconds: 0.0,
            interrupted: Tally::new(256),
            tls: 0,
            tls_protocols: Tally::new(64),
            sasl_users: Tally::new(CAP),
            sasl_clients: Tally::new(CAP),
            sasl_failures: 0,
            sasl_failed_clients: Tally::new(CAP),
            sasl_failed_users: Tally::new(CAP),
            ps_connections: 0,
            ps_actions: Tally::new(64),
            ps_dnsbl: Tally::new(1000),
        }
    }
}

/// The session's (host, tag, pid) in one hash; each text ends with a byte no text holds, so
/// that `ab` + `c` and `a` + `bc` differ.
fn session_key(l: &LineFacts<'_>) -> u64 {
    let mut h = FxHasher::default();
    h.write(l.envelope.host);
    h.write_u8(0xff);
    h.write(l.envelope.program.tag);
    h.write_u8(0xff);
    h.write_u32(l.envelope.pid.unwrap_or(0));
    mix64(h.finish())
}

/// A `Tally<u64>` bump keyed by bytes, allocating only for a new key.
fn bump(t: &mut Tally<u64>, key: &[u8]) {
    *t.entry(&super::text_of(key)) += 1;
}

impl Sessions {
    pub fn line(&mut self, l: &LineFacts<'_>) {
        let daemon = l.envelope.program.daemon;
        let smtpd = daemon == b"smtpd";
        match *l.event {
            Event::Connect { client } if smtpd => {
                self.connections += 1;
                *self.per_hour.entry(l.hour()).or_default() += 1;
                let ip = super::text_of(client.ip);
                let c = self.clients.entry(&ip);
                c.connections += 1;
                if c.name.is_empty() {
                    c.name = Box::from(owned(client.name).as_str());
                }
                if self.open.len() >= OPEN_CAP {
                    self.open.clear();
                }
                self.open.insert(session_key(l), l.time.as_f64());
            }
            Event::Disconnect { client, .. } if smtpd => {
                if let Some(start) = self.open.remove(&session_key(l)) {
                    let secs = (l.time.as_f64() - start).max(0.0);
                    if let Some(s) = self.durations_memo.sample(secs) {
                        self.durations.add_sample(s);
                    }
                    self.total_seconds += secs;
                    if let Some(ip) = crate::text::utf8(client.ip) {
                        if let Some(c) = self.clients.get_mut(ip) {
                            c.seconds += secs;
                        }
                    }
                }
            }
            Event::Interrupted { kind, stage, .. } if smtpd => {
                let what = match kind {
                    Interruption::LostConnection => "lost connection after ",
                    Interruption::Timeout => "timeout after ",
                    Interruption::TooManyErrors => "too many errors after ",
                };
                let key = format!("{what}{}", owned(stage));
                *self.interrupted.entry(&key) += 1;
            }
            Event::Tls {
                inbound: true,
                protocol,
                ..
            } if smtpd => {
                self.tls += 1;
                bump(&mut self.tls_protocols, protocol);
            }
            Event::ClientAccepted {
                client,
                sasl_username: Some(user),
                ..
            } => {
                bump(&mut self.sasl_users, user);
                bump(&mut self.sasl_clients, client.ip);
            }
            Event::SaslFailed { client, reason, .. } => {
                self.sasl_failures += 1;
                bump(&mut self.sasl_failed_clients, client.ip);
                let user = memchr::memmem::find(reason, b"sasl_username=")
                    .and_then(|at| reason.get(at + 14..))
                    .and_then(|user| user.split(|&b| b == b',' || b == b' ').next());
                if let Some(user) = user.filter(|u| !u.is_empty()) {
                    bump(&mut self.sasl_failed_users, user);
                }
            }
            Event::Screening(s) => {
                if s.action == b"CONNECT" {
                    self.ps_connections += 1;
                } else {
                    bump(&mut self.ps_actions, s.action);
                }
            }
            Event::DnsblHit { list, .. } => bump(&mut self.ps_dnsbl, list),
            _ => {}
        }
    }

    pub fn smtp_view(&self, top: usize) -> SmtpView {
        let counts = |t: &Tally<u64>, n: usize| -> Vec<NamedCount> {
            t.top_by(n, |c| *c)
                .into_iter()
                .map(|(k, c)| NamedCount {
                    name: k.to_string(),
                    count: *c,
                })
                .collect()
        };
        let timed = self.durations.count();
        SmtpView {
            connections: self.connections,
            per_hour: self
                .per_hour
                .iter()
                .map(|(h, n)| HourCount {
                    hour: hour_label(*h),
                    connections: *n,
                })
                .collect(),
            timed_connections: timed,
            total_seconds: round(self.total_seconds, 3),
            average_seconds: round(self.durations.mean(), 3),
            p95_seconds: round(self.durations.quantile(0.95), 3),
            max_seconds: round(self.durations.max(), 3),
            clients: self
                .clients
                .top_by(top, |c| c.connections)
                .into_iter()
                .map(|(ip, c)| ClientView {
                    ip: ip.to_string(),
                    name: c.name.to_string(),
                    connections: c.connections,
                    seconds: round(c.seconds, 3),
                })
                .collect(),
            clients_known: self.clients.len(),
            interrupted: counts(&self.interrupted, 0),
            tls_sessions: self.tls,
            tls_percent: if self.connections == 0 {
                0.0
            } else {
                round(self.tls as f64 * 100.0 / self.connections as f64, 2)
            },
            tls_protocols: counts(&self.tls_protocols, 0),
            sasl_messages: self.sasl_users.iter().map(|(_, n)| *n).sum(),
            sasl_by_user: counts(&self.sasl_users, top),
            sasl_by_client: counts(&self.sasl_clients, top),
            sasl_failures: self.sasl_failures,
            sasl_failures_by_client: counts(&self.sasl_failed_clients, top),
            sasl_failures_by_user: counts(&self.sasl_failed_users, top),
        }
    }

    pub fn postscreen_view(&self, top: usize) -> PostscreenView {
        let get = |k: &str| self.ps_actions.get(k).copied().unwrap_or(0);
        PostscreenView {
            connections: self.ps_connections,
            pass_new: get("PASS NEW"),
            pass_old: get("PASS OLD"),
            allowlisted: get("ALLOWLISTED") + get("WHITELISTED"),
            denylisted: get("DENYLISTED") + get("BLACKLISTED"),
            actions: self
                .ps_actions
                .top_by(0, |c| *c)
                .into_iter()
                .map(|(k, c)| NamedCount {
                    name: k.to_string(),
                    count: *c,
                })
                .collect(),
            dnsbl_hits: self
                .ps_dnsbl
                .top_by(top, |c| *c)
                .into_iter()
                .map(|(k, c)| NamedCount {
                    name: k.to_string(),
                    count: *c,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
pub struct NamedCount {
    pub name: String,
    pub count: u64,
}

#[derive(Serialize)]
pub struct HourCount {
    pub hour: String,
    pub connections: u64,
}

#[derive(Serialize)]
pub struct ClientView {
    pub ip: String,
    pub name: String,
    pub connections: u64,
    /// Connection time of the sessions whose connect and disconnect were both seen.
    pub seconds: f64,
}

#[derive(Serialize)]
pub struct SmtpView {
    /// smtpd `connect from` lines.
    pub connections: u64,
    pub per_hour: Vec<HourCount>,
    /// Sessions with both connect and disconnect in the input.
    pub timed_connections: u64,
    pub total_seconds: f64,
    pub average_seconds: f64,
    pub p95_seconds: f64,
    pub max_seconds: f64,
    pub clients: Vec<ClientView>,
    pub clients_known: usize,
    /// `lost connection after STAGE`, `timeout after STAGE`, `too many errors after STAGE`.
    pub interrupted: Vec<NamedCount>,
    pub tls_sessions: u64,
    /// TLS sessions / connections.
    pub tls_percent: f64,
    pub tls_protocols: Vec<NamedCount>,
    /// Messages received with a SASL login (`sasl_username=`).
    pub sasl_messages: u64,
    pub sasl_by_user: Vec<NamedCount>,
    pub sasl_by_client: Vec<NamedCount>,
    pub sasl_failures: u64,
    pub sasl_failures_by_client: Vec<NamedCount>,
    /// From `sasl_username=` in the failure line, when Postfix logs it.
    pub sasl_failures_by_user: Vec<NamedCount>,
}

#[derive(Serialize)]
pub struct PostscreenView {
    pub connections: u64,
    pub pass_new: u64,
    pub pass_old: u64,
    pub allowlisted: u64,
    pub denylisted: u64,
    /// Every postscreen verdict but CONNECT: PASS NEW/OLD, PREGREET, HANGUP, DNSBL,
    /// NON-SMTP COMMAND, BARE NEWLINE, COMMAND PIPELINING, DISCONNECT …
    pub actions: Vec<NamedCount>,
    /// dnsblog hits by list.
    pub dnsbl_hits: Vec<NamedCount>,
}

fn inline(counts: &[NamedCount]) -> String {
    counts
        .iter()
        .map(|c| format!("{} {}", terminal(&c.name), c.count))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn text(v: &SmtpView, p: &PostscreenView, style: &Style, out: &mut String) {
    if v.connections > 0 || v.sasl_failures > 0 {
        heading(out, style, "SMTP sessions (smtpd)");
        let _ = writeln!(
            out,
            "  {}, {} with TLS ({}%)",
            super::plural(v.connections, "connection", "connections"),
            v.tls_sessions,
            v.tls_percent
        );
        if v.timed_connections > 0 {
            let _ = writeln!(
                out,
                "  connection time: total {}, average {}, p95 {}, max {} ({} sessions timed)",
                human_secs(v.total_seconds),
                human_secs(v.average_seconds),
                human_secs(v.p95_seconds),
                human_secs(v.max_seconds),
                v.timed_connections
            );
        }
        if !v.tls_protocols.is_empty() {
            let _ = writeln!(out, "  TLS: {}", inline(&v.tls_protocols));
        }
        if !v.interrupted.is_empty() {
            let _ = writeln!(out, "  ended early: {}", inline(&v.interrupted));
        }
        if v.sasl_messages > 0 {
            let _ = writeln!(
                out,
                "  SASL: {}; by user: {}; by client: {}",
                super::plural(v.sasl_messages, "message", "messages"),
                inline(&v.sasl_by_user),
                inline(&v.sasl_by_client)
            );
        }
        if v.sasl_failures > 0 {
            let _ = writeln!(
                out,
                "  SASL failures: {}; by client: {}",
                v.sasl_failures,
                inline(&v.sasl_failures_by_client)
            );
            if !v.sasl_failures_by_user.is_empty() {
                let _ = writeln!(out, "    by user: {}", inline(&v.sasl_failures_by_user));
            }
        }
        if v.per_hour.len() > 1 && v.per_hour.len() <= 48 {
            // `17h 12` within one day, `11-28 17h 12` across days.
            let one_day = v
                .per_hour
                .iter()
                .all(|h| h.hour.get(..10) == v.per_hour.first().and_then(|f| f.hour.get(..10)));
            let per_hour: Vec<String> = v
                .per_hour
                .iter()
                .map(|h| {
                    let from = if one_day { 11 } else { 5 };
                    let hour = h.hour.get(from..13).unwrap_or(&h.hour);
                    format!("{hour}h {}", h.connections)
                })
                .collect();
            let _ = writeln!(out, "  connections per hour: {}", per_hour.join(", "));
        }
        if !v.clients.is_empty() {
            out.push('\n');
            let mut t = Table::new(&[
                ("connections", Align::Right),
                ("time", Align::Right),
                ("client", Align::Left),
            ]);
            for c in &v.clients {
                t.row(vec![
                    c.connections.to_string(),
                    human_secs(c.seconds),
                    format!("{}[{}]", terminal(&c.name), terminal(&c.ip)),
                ]);
            }
            t.render(2, out);
        }
        out.push('\n');
    }
    if p.connections > 0 || !p.actions.is_empty() {
        heading(out, style, "postscreen");
        let _ = writeln!(
            out,
            "  {} connections: PASS NEW {}, PASS OLD {}, allowlisted {}, denylisted {}",
            p.connections, p.pass_new, p.pass_old, p.allowlisted, p.denylisted
        );
        if !p.actions.is_empty() {
            let _ = writeln!(out, "  verdicts: {}", inline(&p.actions));
        }
        if !p.dnsbl_hits.is_empty() {
            let _ = writeln!(out, "  DNSBL hits: {}", inline(&p.dnsbl_hits));
        }
        out.push('\n');
    }
}
