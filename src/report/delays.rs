//! Delays of delivered mail: percentiles of `delay=` and of each stage of `delays=a/b/c/d`
//! (before the queue manager, in the queue manager, connection set-up, transmission),
//! overall and per destination domain. Quantiles come from `count::Sketch` (±1%).

use super::count::{Sample, SampleMemo, Sketch, Tally, Weighted, SKETCH_ACCURACY};
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

/// One delivery's `delay=` and `delays=a/b/c/d`, each placed in its bucket once for the two
/// sets of sketches it goes into (overall and its domain's).
struct Samples {
    /// `None` for a value no sketch counts (the stages still count).
    total: Option<Sample>,
    stages: Option<[Option<Sample>; 4]>,
}

impl Samples {
    fn new(
        total: Option<Sample>,
        d: Option<crate::event::Delays>,
        memo: &mut SampleMemo,
    ) -> Samples {
        Samples {
            total,
            stages: d.map(|d| {
                [d.before_qmgr, d.in_qmgr, d.conn_setup, d.transmission].map(|x| memo.sample(x))
            }),
        }
    }
}

impl Stages {
    fn add(&mut self, samples: &Samples) {
        let [total, stages @ ..] = &mut self.s;
        if let Some(t) = samples.total {
            total.add_sample(t);
        }
        if let Some(values) = &samples.stages {
            for (sketch, value) in stages.iter_mut().zip(values) {
                if let Some(v) = value {
                    sketch.add_sample(*v);
                }
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

pub struct Delays {
    all: Stages,
    by_domain: Tally<Stages>,
}

impl Default for Delays {
    fn default() -> Self {
        Delays {
            all: Stages::default(),
            by_domain: Tally::new(CAP),
        }
    }
}

impl Delays {
    pub fn message(&mut self, f: &Facts<'_>, memo: &mut SampleMemo) {
        for a in &f.attempts {
            if a.outcome != Outcome::Delivered {
                continue;
            }
            if a.attempt.delay.is_none() {
                continue;
            }
            let samples = Samples::new(a.delay, a.attempt.delays, memo);
            self.all.add(&samples);
            self.by_domain
                .entry_hashed(a.counted_domain_key())
                .add(&samples);
        }
    }

    pub fn view(&self, top: usize) -> DelaysView {
        DelaysView {
            accuracy: SKETCH_ACCURACY,
            overall: self.all.view(),
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
