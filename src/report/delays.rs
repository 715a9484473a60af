//! Delays of delivered mail: percentiles of `delay=` and of each stage of `delays=a/b/c/d`
//! (before the queue manager, in the queue manager, connection set-up, transmission),
//! overall and per destination domain. Quantiles come from `count::Sketch` (±1%).

use super::count::{Hashed, Sample, SampleMemo, Sketch, Tally, Weighted, SKETCH_ACCURACY};
use super::table::{Align, Table};
use super::{heading, human_secs, round, Facts, Outcome};
use crate::output::Style;
use crate::text::terminal;
use serde::Serialize;
use std::fmt::Write as _;

const CAP: usize = 10_000;
const STAGES: [&str; 5] = [
    "total",
    "before_qmgr",
    "in_qmgr",
    "conn_setup",
    "transmission",
];

#[derive(Default, Clone)]
pub struct Stages {
    s: [Sketch; 5],
}

impl Weighted for Stages {
    fn weight(&self) -> u64 {
        self.s[0].count()
    }
}

/// One delivery's `delay=` and `delays=a/b/c/d`, each placed in its bucket once, in the
/// order of `Stages::s`; `None` for a value no sketch counts, or no `delays=`.
struct Samples([Option<Sample>; 5]);

impl Samples {
    fn new(
        total: Option<Sample>,
        d: Option<crate::event::Delays>,
        memo: &mut SampleMemo,
    ) -> Samples {
        let [a, b, c, d] = d.map_or([None; 4], |d| {
            [d.before_qmgr, d.in_qmgr, d.conn_setup, d.transmission].map(|x| memo.sample(x))
        });
        Samples([total, a, b, c, d])
    }
}

impl Stages {
    fn merge(&mut self, other: &Stages) {
        for (sketch, other) in self.s.iter_mut().zip(&other.s) {
            sketch.merge(other);
        }
    }

    fn add(&mut self, samples: &Samples) {
        for (sketch, sample) in self.s.iter_mut().zip(&samples.0) {
            if let Some(s) = sample {
                sketch.add_sample(*s);
            }
        }
    }

    fn view(&self) -> Vec<StageView> {
        STAGES
            .iter()
            .zip(&self.s)
            .map(|(name, s)| StageView {
                stage: name.to_string(),
                count: s.count(),
                p50: round(s.quantile(0.5), 3),
                p90: round(s.quantile(0.9), 3),
                p99: round(s.quantile(0.99), 3),
                max: round(s.max(), 3),
                mean: round(s.mean(), 3),
            })
            .collect()
    }
}

/// Every delivery goes into the sketches of its domain only: the overall sketches are the
/// domains' merged (a merge counts as adding the values one by one), with those of the
/// domains dropped to stay within the cap — half the work per delivery. Only the sums are
/// added up as the deliveries come, so that the means do not depend on the merges' order.
pub struct Delays {
    /// Of each stage, the sum of the values counted, in the order they came.
    sums: [f64; 5],
    by_domain: Tally<Stages>,
    /// The domains dropped from `by_domain`, merged.
    dropped: Stages,
}

impl Default for Delays {
    fn default() -> Self {
        Delays::with_cap(CAP)
    }
}

impl Delays {
    fn with_cap(cap: usize) -> Delays {
        Delays {
            sums: [0.0; 5],
            by_domain: Tally::new(cap),
            dropped: Stages::default(),
        }
    }

    pub fn message(&mut self, f: &Facts<'_>, memo: &mut SampleMemo) {
        for a in &f.attempts {
            if a.outcome != Outcome::Delivered {
                continue;
            }
            if a.attempt.delay.is_none() {
                continue;
            }
            let samples = Samples::new(a.delay, a.attempt.delays, memo);
            self.delivery(a.counted_domain_key(), &samples);
        }
    }

    fn delivery(&mut self, domain: Hashed<'_>, samples: &Samples) {
        for (sum, sample) in self.sums.iter_mut().zip(&samples.0) {
            if let Some(s) = sample {
                *sum += s.value();
            }
        }
        let dropped = &mut self.dropped;
        self.by_domain
            .entry_hashed_spilling(domain, |d| dropped.merge(d))
            .add(samples);
    }

    /// The sketches of every delivery.
    fn all(&self) -> Stages {
        let mut all = self.dropped.clone();
        for (_, d) in self.by_domain.iter() {
            all.merge(d);
        }
        for (sketch, sum) in all.s.iter_mut().zip(self.sums) {
            sketch.set_sum(sum);
        }
        all
    }

    pub fn view(&self, top: usize) -> DelaysView {
        DelaysView {
            accuracy: SKETCH_ACCURACY,
            overall: self.all().view(),
            by_domain: self
                .by_domain
                .top_by(top, |s| s.weight())
                .into_iter()
                .map(|(d, s)| DomainDelays {
                    domain: d.to_string(),
                    stages: s.view(),
                })
                .collect(),
            approximate: self.by_domain.approximate(),
        }
    }
}

#[derive(Serialize)]
pub struct StageView {
    /// `total` (`delay=`), `before_qmgr`, `in_qmgr`, `conn_setup`, `transmission`.
    pub stage: String,
    pub count: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

#[derive(Serialize)]
pub struct DomainDelays {
    pub domain: String,
    pub stages: Vec<StageView>,
}

#[derive(Serialize)]
pub struct DelaysView {
    /// Relative accuracy of the percentiles (max and mean are exact).
    pub accuracy: f64,
    pub overall: Vec<StageView>,
    /// The domains with the most deliveries.
    pub by_domain: Vec<DomainDelays>,
    pub approximate: bool,
}

pub fn text(v: &DelaysView, style: &Style, out: &mut String) {
    let Some(total) = v.overall.first() else {
        return;
    };
    if total.count == 0 {
        return;
    }
    heading(
        out,
        style,
        &format!(
            "Delivery delays ({} deliveries; percentiles ±{}%)",
            total.count,
            v.accuracy * 100.0
        ),
    );
    let mut t = Table::new(&[
        ("stage", Align::Left),
        ("p50", Align::Right),
        ("p90", Align::Right),
        ("p99", Align::Right),
        ("max", Align::Right),
    ]);
    for s in &v.overall {
        let name = match s.stage.as_str() {
            "total" => "total (delay=)",
            "before_qmgr" => "before qmgr",
            "in_qmgr" => "in qmgr",
            "conn_setup" => "connection set-up",
            "transmission" => "transmission",
            other => other,
        };
        t.row(vec![
            name.to_string(),
            human_secs(s.p50),
            human_secs(s.p90),
            human_secs(s.p99),
            human_secs(s.max),
        ]);
    }
    t.render(2, out);
    out.push('\n');
    if v.by_domain.len() > 1 {
        let _ = writeln!(
            out,
            "  {}",
            style.dim("by domain: total delay, and p90 of each stage")
        );
        let mut t = Table::new(&[
            ("deliveries", Align::Right),
            ("p50", Align::Right),
            ("p90", Align::Right),
            ("p99", Align::Right),
            ("max", Align::Right),
            ("qmgr-", Align::Right),
            ("qmgr", Align::Right),
            ("conn", Align::Right),
            ("xmit", Align::Right),
            ("domain", Align::Left),
        ]);
        for d in &v.by_domain {
            let s = &d.stages;
            let p90 = |i: usize| s.get(i).map(|x| human_secs(x.p90)).unwrap_or_default();
            let Some(total) = s.first() else { continue };
            t.row(vec![
                total.count.to_string(),
                human_secs(total.p50),
                human_secs(total.p90),
                human_secs(total.p99),
                human_secs(total.max),
                p90(1),
                p90(2),
                p90(3),
                p90(4),
                terminal(&d.domain).into_owned(),
            ]);
        }
        t.render(2, out);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Delays as Stages4;

    #[test]
    fn overall_from_the_domains_is_every_delivery_added() {
        let mut memo = SampleMemo::default();
        // A cap of 4 domains out of 9: the light ones are dropped again and again.
        let mut delays = Delays::with_cap(4);
        let mut plain = Stages::default();
        let domains: Vec<String> = (0..9).map(|i| format!("d{i}.example")).collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for i in 0..5000u32 {
            crate::parse::bytes::xorshift(&mut state);
            let r = state;
            let x = |shift: u32| f64::from(((r >> shift) % 3000) as u32) / 100.0;
            let stages = (i % 7 != 0).then(|| Stages4 {
                before_qmgr: x(8),
                in_qmgr: x(20),
                conn_setup: if i % 3 == 0 { 0.0 } else { x(32) },
                transmission: x(44),
            });
            let total = if i % 11 == 0 { -1.0 } else { x(56) * 3.0 };
            let samples = Samples::new(memo.sample(total), stages, &mut memo);
            plain.add(&samples);
            // Skewed: the first domains get most deliveries.
            let d = domains
                .get(((r % 81) as f64).sqrt() as usize)
                .map_or("", String::as_str);
            delays.delivery(Hashed::new(d), &samples);
        }
        assert!(delays.by_domain.approximate());
        let json = |s: &Stages| serde_json::to_string(&s.view()).unwrap_or_default();
        assert_eq!(json(&delays.all()), json(&plain));
        assert!(json(&plain).contains("\"count\":4"), "{}", json(&plain));
    }
}
