//! Traffic over time: received, delivered, deferred, bounced and rejected per clock hour (the
//! log's local time), and per day; a bar chart in the terminal.

use super::table::{bar, Align, Table};
use super::{day_label, heading, hour_label, local_hour, Facts, LineFacts, Outcome};
use crate::event::Event;
use crate::output::Style;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Row {
    pub received: u64,
    pub delivered: u64,
    /// Deferral attempts (`status=deferred` lines), as pflogsumm counts them per hour.
    pub deferred: u64,
    pub bounced: u64,
    pub rejected: u64,
}

impl Row {
    fn add(&mut self, o: &Row) {
        self.received += o.received;
        self.delivered += o.delivered;
        self.deferred += o.deferred;
        self.bounced += o.bounced;
        self.rejected += o.rejected;
    }
}

/// Rejects by local hour, counted from lines (the report's line half).
#[derive(Default)]
pub struct Rejects {
    hours: BTreeMap<i64, u64>,
}

impl Rejects {
    pub fn line(&mut self, l: &LineFacts<'_>) {
        if let Event::Verdict { verdict, .. } = l.event {
            if matches!(
                verdict.action,
                b"reject" | b"milter-reject" | b"proxy-reject"
            ) {
                *self.hours.entry(l.hour()).or_default() += 1;
            }
        }
    }
}

/// Counts by local hour (hours since the epoch), from messages. One entry per hour with
/// traffic: a year of logs is 8760 entries at most.
#[derive(Default)]
pub struct Traffic {
    hours: BTreeMap<i64, Row>,
    /// The last hour counted and its counts, not yet added to `hours` (added when the hour
    /// changes, or for the view): messages and attempts come nearly in order of time, so the
    /// hour is compared instead of looked up for each.
    last: Option<(i64, Row)>,
}

impl Traffic {
    /// The row of `hour`, as `hours.entry(hour).or_default()` (an hour with no count kept).
    fn row(&mut self, hour: i64) -> &mut Row {
        if self.last.as_ref().is_some_and(|(h, _)| *h != hour) {
            if let Some((h, row)) = self.last.take() {
                self.hours.entry(h).or_default().add(&row);
            }
        }
        &mut self.last.get_or_insert_with(|| (hour, Row::default())).1
    }

    pub fn message(&mut self, f: &Facts<'_>) {
        if f.received {
            self.row(local_hour(f.m.first_seen)).received += 1;
        }
        for a in &f.attempts {
            let row = self.row(a.hour);
            match a.outcome {
                Outcome::Delivered => row.delivered += 1,
                Outcome::Deferred => row.deferred += 1,
                Outcome::Bounced => row.bounced += 1,
                _ => {}
            }
        }
    }

    /// Every count by hour, the rejects' and the messages'.
    fn hours(&self, rejects: &Rejects) -> BTreeMap<i64, Row> {
        let mut hours = self.hours.clone();
        if let Some((hour, row)) = &self.last {
            hours.entry(*hour).or_default().add(row);
        }
        for (&hour, &rejected) in &rejects.hours {
            hours.entry(hour).or_default().rejected += rejected;
        }
        hours
    }

    pub fn view(&self, rejects: &Rejects) -> TrafficView {
        let hours = self.hours(rejects);
        let (Some(&first), Some(&last)) = (hours.keys().next(), hours.keys().last()) else {
            return TrafficView::default();
        };
        // Every hour (day) from the first to the last, when that is a month (ten years) or
        // less; beyond, only those with traffic.
        let hourly = if last - first < MAX_HOURS_FILLED {
            (first..=last).collect::<Vec<_>>()
        } else {
            hours.keys().copied().collect()
        }
        .into_iter()
        .map(|h| HourView {
            hour: hour_label(h),
            row: hours.get(&h).copied().unwrap_or_default(),
        })
        .collect();
        let mut days: BTreeMap<i64, Row> = BTreeMap::new();
        for (h, r) in &hours {
            days.entry(h.div_euclid(24)).or_default().add(r);
        }
        let (d0, d1) = (first.div_euclid(24), last.div_euclid(24));
        let daily = if d1 - d0 < MAX_DAYS_FILLED {
            (d0..=d1).collect::<Vec<_>>()
        } else {
            days.keys().copied().collect()
        }
        .into_iter()
        .map(|d| DayView {
            day: day_label(d),
            row: days.get(&d).copied().unwrap_or_default(),
        })
        .collect();
        let mut profile = vec![Row::default(); 24];
        for (h, r) in &hours {
            if let Some(p) = profile.get_mut(h.rem_euclid(24) as usize) {
                p.add(r);
            }
        }
        TrafficView {
            span_hours: last - first + 1,
            span_days: d1 - d0 + 1,
            hourly,
            daily,
            hour_of_day: profile,
        }
    }
}

#[derive(Serialize)]
pub struct HourView {
    /// `YYYY-MM-DD HH:00`, local time of the log.
    pub hour: String,
    #[serde(flatten)]
    pub row: Row,
}

#[derive(Serialize)]
pub struct DayView {
    pub day: String,
    #[serde(flatten)]
    pub row: Row,
}

#[derive(Serialize, Default)]
pub struct TrafficView {
    /// Clock hours and days from the first to the last with traffic.
    pub span_hours: i64,
    pub span_days: i64,
    /// Every hour from the first to the last with traffic (up to 31 days; beyond, the hours
    /// with traffic).
    pub hourly: Vec<HourView>,
    /// Every day (up to ten years; beyond, the days with traffic).
    pub daily: Vec<DayView>,
    /// Sums by hour of the day (0–23) over the whole log.
    pub hour_of_day: Vec<Row>,
}

const BAR_WIDTH: usize = 40;
const MAX_HOURS_FILLED: i64 = 31 * 24;
const MAX_DAYS_FILLED: i64 = 3653;
/// Longer day tables show only the days with traffic.
const MAX_DAY_ROWS: usize = 62;

fn table(label: &str, rows: &[(String, Row)], style: &Style, out: &mut String) {
    let max = rows
        .iter()
        .map(|(_, r)| r.delivered + r.deferred + r.bounced + r.rejected)
        .max()
        .unwrap_or(0);
    let mut t = Table::new(&[
        (label, Align::Left),
        ("received", Align::Right),
        ("delivered", Align::Right),
        ("deferred", Align::Right),
        ("bounced", Align::Right),
        ("rejected", Align::Right),
        ("", Align::Left),
    ])
    .max_width(BAR_WIDTH + 8);
    for (name, r) in rows {
        let chart = bar(
            &[
                (r.delivered, '#'),
                (r.deferred, '~'),
                (r.bounced + r.rejected, 'x'),
            ],
            max,
            BAR_WIDTH,
        );
        t.row(vec![
            name.clone(),
            r.received.to_string(),
            r.delivered.to_string(),
            r.deferred.to_string(),
            r.bounced.to_string(),
            r.rejected.to_string(),
            chart,
        ]);
    }
    t.render(2, out);
    let _ = writeln!(
        out,
        "  {}",
        style.dim("bar: # delivered  ~ deferred  x bounced or rejected")
    );
    out.push('\n');
}

pub fn text(v: &TrafficView, style: &Style, out: &mut String) {
    if v.hourly.is_empty() {
        return;
    }
    // Per day as soon as the log spans more than one day; per clock hour up to 48 hours,
    // beyond that by hour of the day (sums over all days).
    if v.span_days > 1 {
        let long = v.daily.len() > MAX_DAY_ROWS;
        let title = if long {
            "Traffic per day (days with traffic)"
        } else {
            "Traffic per day"
        };
        heading(out, style, title);
        let rows: Vec<(String, Row)> = v
            .daily
            .iter()
            .filter(|d| !long || d.row != Row::default())
            .map(|d| (d.day.clone(), d.row))
            .collect();
        table("day", &rows, style, out);
    }
    if v.span_hours <= 48 {
        heading(out, style, "Traffic per hour");
        let rows: Vec<(String, Row)> = v.hourly.iter().map(|h| (h.hour.clone(), h.row)).collect();
        table("hour", &rows, style, out);
    } else {
        heading(out, style, "Traffic by hour of the day (all days)");
        let rows: Vec<(String, Row)> = v
            .hour_of_day
            .iter()
            .enumerate()
            .map(|(h, r)| (format!("{h:02}00-{:02}00", h + 1), *r))
            .collect();
        table("time", &rows, style, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_the_last_hour_count_as_rows_looked_up() {
        // In order, back and forth, repeated, and an hour with nothing counted in it.
        let hours = [5, 5, 6, 5, 7, 7, 7, 3, 6, 6, 9];
        let mut traffic = Traffic::default();
        let mut plain: BTreeMap<i64, Row> = BTreeMap::new();
        for (i, &h) in hours.iter().enumerate() {
            let row = traffic.row(h);
            let plain_row = plain.entry(h).or_default();
            if i % 3 != 2 {
                row.delivered += 1;
                plain_row.delivered += 1;
            }
            row.received += i as u64;
            plain_row.received += i as u64;
        }
        let got: Vec<(i64, u64, u64)> = traffic
            .hours(&Rejects::default())
            .into_iter()
            .map(|(h, r)| (h, r.received, r.delivered))
            .collect();
        let want: Vec<(i64, u64, u64)> = plain
            .into_iter()
            .map(|(h, r)| (h, r.received, r.delivered))
            .collect();
        assert_eq!(got, want);
    }
}
