//! A small metrics registry and the Prometheus text format (version 0.0.4).
//!
//! Families are declared once (name, help, label names, kind); series are created as label
//! values are seen. Every family has a cap on its series: values past it are counted under
//! `other`, so that no log can grow the scrape without bound.
//!
//! Families are indexed by the position of their definition, fixed when the registry is made
//! and never taken from the log: that indexing cannot go out of bounds.
#![allow(clippy::indexing_slicing)]

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram(&'static [f64]),
}

#[derive(Debug, Clone, Copy)]
pub struct Def {
    pub name: &'static str,
    pub help: &'static str,
    pub labels: &'static [&'static str],
    pub kind: Kind,
}

#[derive(Debug, Clone)]
enum Series {
    Value(f64),
    Histogram {
        /// Per bucket, not cumulative.
        buckets: Vec<u64>,
        sum: f64,
        count: u64,
    },
}

/// Series a family may have before further label values go under `other`.
const MAX_SERIES: usize = 500;
const OTHER: &str = "other";

#[derive(Debug)]
pub struct Registry {
    defs: &'static [Def],
    index: HashMap<&'static str, usize>,
    series: Vec<BTreeMap<Vec<String>, Series>>,
}

impl Registry {
    pub fn new(defs: &'static [Def]) -> Registry {
        let mut r = Registry {
            defs,
            index: defs.iter().enumerate().map(|(i, d)| (d.name, i)).collect(),
            series: vec![BTreeMap::new(); defs.len()],
        };
        // Families without labels are shown from the start, at zero.
        for (i, d) in defs.iter().enumerate() {
            if d.labels.is_empty() {
                r.series[i].insert(Vec::new(), empty(d.kind));
            }
        }
        r
    }

    fn slot(&mut self, name: &str, labels: &[&str]) -> Option<&mut Series> {
        let Some(&i) = self.index.get(name) else {
            debug_assert!(false, "unknown metric {name}");
            return None;
        };
        let def = self.defs[i];
        debug_assert_eq!(def.labels.len(), labels.len(), "labels of {name}");
        let family = &mut self.series[i];
        let mut key: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        if !family.contains_key(&key) && family.len() >= MAX_SERIES {
            key = vec![OTHER.to_string(); labels.len()];
        }
        Some(family.entry(key).or_insert_with(|| empty(def.kind)))
    }

    pub fn add(&mut self, name: &str, labels: &[&str], by: f64) {
        if let Some(Series::Value(v)) = self.slot(name, labels) {
            *v += by;
        }
    }

    pub fn inc(&mut self, name: &str, labels: &[&str]) {
        self.add(name, labels, 1.0);
    }

    pub fn set(&mut self, name: &str, labels: &[&str], value: f64) {
        if let Some(Series::Value(v)) = self.slot(name, labels) {
            *v = value;
        }
    }

    pub fn observe(&mut self, name: &str, labels: &[&str], value: f64) {
        let Some(&i) = self.index.get(name) else {
            debug_assert!(false, "unknown metric {name}");
            return;
        };
        let Kind::Histogram(bounds) = self.defs[i].kind else {
            return;
        };
        if let Some(Series::Histogram {
            buckets,
            sum,
            count,
        }) = self.slot(name, labels)
        {
            let at = bounds.partition_point(|&b| b < value);
            if let Some(b) = buckets.get_mut(at) {
                *b += 1;
            }
            *sum += value;
            *count += 1;
        }
    }

    /// The current value of a counter or gauge series (for tests and `/healthz`).
    pub fn value(&self, name: &str, labels: &[&str]) -> Option<f64> {
        let i = *self.index.get(name)?;
        let key: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        match self.series[i].get(&key)? {
            Series::Value(v) => Some(*v),
            Series::Histogram { count, .. } => Some(*count as f64),
        }
    }

    /// Everything, in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        for (def, family) in self.defs.iter().zip(&self.series) {
            let kind = match def.kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
                Kind::Histogram(_) => "histogram",
            };
            let _ = writeln!(out, "# HELP {} {}", def.name, def.help);
            let _ = writeln!(out, "# TYPE {} {kind}", def.name);
            for (values, series) in family {
                let labels = label_text(def.labels, values);
                match series {
                    Series::Value(v) => {
                        let _ = writeln!(out, "{}{} {}", def.name, braces(&labels), number(*v));
                    }
                    Series::Histogram {
                        buckets,
                        sum,
                        count,
                    } => {
                        let bounds = match def.kind {
                            Kind::Histogram(b) => b,
                            _ => &[],
                        };
                        let mut cumulative = 0u64;
                        for (bound, n) in bounds.iter().zip(buckets) {
                            cumulative += n;
                            let le = format!("le=\"{}\"", number(*bound));
                            let _ = writeln!(
                                out,
                                "{}_bucket{} {cumulative}",
                                def.name,
                                braces(&join(&labels, &le))
                            );
                        }
                        let _ = writeln!(
                            out,
                            "{}_bucket{} {count}",
                            def.name,
                            braces(&join(&labels, "le=\"+Inf\""))
                        );
                        let _ =
                            writeln!(out, "{}_sum{} {}", def.name, braces(&labels), number(*sum));
                        let _ = writeln!(out, "{}_count{} {count}", def.name, braces(&labels));
                    }
                }
            }
        }
        out
    }
}

fn empty(kind: Kind) -> Series {
    match kind {
        Kind::Counter | Kind::Gauge => Series::Value(0.0),
        Kind::Histogram(bounds) => Series::Histogram {
            // One more for the values above every bound (+Inf).
            buckets: vec![0; bounds.len() + 1],
            sum: 0.0,
            count: 0,
        },
    }
}

fn label_text(names: &[&str], values: &[String]) -> String {
    names
        .iter()
        .zip(values)
        .map(|(n, v)| format!("{n}=\"{}\"", escape(v)))
        .collect::<Vec<_>>()
        .join(",")
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a},{b}")
    }
}

fn braces(labels: &str) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    }
}

/// A label value as the text format wants it: `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn number(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else if v.is_nan() {
        "NaN".to_string()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static DEFS: &[Def] = &[
        Def {
            name: "t_total",
            help: "A counter.",
            labels: &[],
            kind: Kind::Counter,
        },
        Def {
            name: "t_by_code_total",
            help: "By code.",
            labels: &["code"],
            kind: Kind::Counter,
        },
        Def {
            name: "t_seconds",
            help: "A histogram.",
            labels: &["stage"],
            kind: Kind::Histogram(&[0.1, 1.0]),
        },
    ];

    #[test]
    fn text_format() {
        let mut r = Registry::new(DEFS);
        r.inc("t_by_code_total", &["5\"50\\\n"]);
        r.observe("t_seconds", &["x"], 0.0625);
        r.observe("t_seconds", &["x"], 0.5);
        r.observe("t_seconds", &["x"], 7.0);
        let text = r.render();
        assert!(
            text.contains("# TYPE t_total counter\nt_total 0\n"),
            "{text}"
        );
        assert!(
            text.contains("t_by_code_total{code=\"5\\\"50\\\\\\n\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("t_seconds_bucket{stage=\"x\",le=\"0.1\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("t_seconds_bucket{stage=\"x\",le=\"1\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("t_seconds_bucket{stage=\"x\",le=\"+Inf\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("t_seconds_sum{stage=\"x\"} 7.5625\n"),
            "{text}"
        );
        assert!(text.contains("t_seconds_count{stage=\"x\"} 3\n"), "{text}");
    }

    #[test]
    fn series_are_capped() {
        let mut r = Registry::new(DEFS);
        for i in 0..MAX_SERIES + 10 {
            r.inc("t_by_code_total", &[&i.to_string()]);
        }
        assert_eq!(r.value("t_by_code_total", &["other"]), Some(10.0));
    }
}
