//! `mailtrail stats`: how much of the input was read and understood, by daemon and program.

use super::{run_pipeline, write_out, Context, Finished, InputArgs};
use crate::correlate::Message;
use crate::parse::Parsed;
use crate::pipeline::{LineView, ReadOnlySink};
use crate::text::{owned, terminal};
use clap::Args;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::ControlFlow;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// One JSON object.
    #[arg(long)]
    json: bool,
    /// Print the Postfix lines that were not understood (FILE:LINE: text), instead of the counts.
    #[arg(long)]
    unparsed: bool,
    #[command(flatten)]
    input: InputArgs,
}

struct Counter<'a> {
    out: &'a mut (dyn Write + Send),
    unparsed: bool,
    messages: u64,
    error: Option<io::Error>,
}

impl ReadOnlySink for Counter<'_> {
    fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
        if !self.unparsed {
            return ControlFlow::Continue(());
        }
        let not_understood = match line.parsed {
            Parsed::Postfix { event, .. } => event.is_none() || line.time.is_none(),
            _ => false,
        };
        if not_understood {
            let text = format!(
                "{}:{}: {}\n",
                terminal(line.source),
                line.line_number,
                terminal(&owned(line.raw))
            );
            if let Err(e) = write_out(self.out, &text) {
                self.error = Some(e);
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }

    fn message(&mut self, m: &Message) -> ControlFlow<()> {
        if m.queue_id.is_some() {
            self.messages += 1;
        }
        ControlFlow::Continue(())
    }
}

#[derive(Serialize)]
struct StatsJson<'a> {
    sources: &'a [String],
    #[serde(flatten)]
    lines: &'a crate::pipeline::LineStats,
    understood_percent: f64,
    messages: u64,
    noqueue_rejects: u64,
    reused_queue_ids: u64,
    lines_after_removal: u64,
    still_queued_at_end: u64,
    evicted_in_flight: u64,
    evicted_sessions: u64,
    /// Only under memory pressure, so absent from ordinary output.
    #[serde(skip_serializing_if = "is_zero")]
    handed_on_early: u64,
    #[serde(skip_serializing_if = "is_zero")]
    lines_after_hand_on: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

pub fn run(
    args: &StatsArgs,
    ctx: &Context,
    out: &mut (dyn Write + Send),
) -> Result<Finished, super::Failure> {
    let mut counter = Counter {
        out,
        unparsed: args.unparsed,
        messages: 0,
        error: None,
    };
    let (outcome, errors) = run_pipeline(&args.input, ctx, &mut counter);
    if let Some(e) = counter.error {
        return Err(e.into());
    }
    let s = &outcome.stats;
    let percent = if s.postfix_lines == 0 {
        100.0
    } else {
        s.understood as f64 * 100.0 / s.postfix_lines as f64
    };
    let messages = counter.messages;
    let out = counter.out;
    if args.unparsed {
        return Ok(Finished {
            matched: s.not_understood > 0,
            errors,
        });
    }
    if args.json {
        let json = StatsJson {
            sources: &outcome.sources,
            lines: s,
            understood_percent: (percent * 100.0).round() / 100.0,
            messages,
            noqueue_rejects: outcome.counts.noqueue_rejects,
            reused_queue_ids: outcome.counts.reused_queue_ids,
            lines_after_removal: outcome.counts.lines_after_removal,
            still_queued_at_end: outcome.counts.open_at_end,
            evicted_in_flight: outcome.counts.evicted_in_flight,
            evicted_sessions: outcome.counts.evicted_sessions,
            handed_on_early: outcome.counts.handed_on_early,
            lines_after_hand_on: outcome.counts.lines_after_hand_on,
        };
        let text = serde_json::to_string(&json).map_err(io::Error::other)?;
        write_out(out, &(text + "\n"))?;
        return Ok(Finished {
            matched: s.lines > 0,
            errors,
        });
    }
    let mut t = String::new();
    let _ = writeln!(t, "lines read               {:>10}", s.lines);
    let _ = writeln!(t, "Postfix lines            {:>10}", s.postfix_lines);
    let _ = writeln!(
        t,
        "  understood             {:>10}  ({percent:.2}%)",
        s.understood
    );
    let _ = writeln!(t, "  not understood         {:>10}", s.not_understood);
    for (daemon, n) in &s.not_understood_by_daemon {
        let _ = writeln!(t, "    {:<20} {:>10}", terminal(daemon), n);
    }
    if s.bad_timestamps > 0 {
        let _ = writeln!(t, "    (impossible dates)   {:>10}", s.bad_timestamps);
    }
    let _ = writeln!(t, "other programs' lines    {:>10}", s.other_program_lines);
    for (program, n) in &s.other_programs {
        let _ = writeln!(t, "    {:<20} {:>10}", terminal(program), n);
    }
    let _ = writeln!(t, "lines without syslog form{:>10}", s.malformed);
    let _ = writeln!(t, "messages                 {:>10}", messages);
    let _ = writeln!(
        t,
        "  still queued at end    {:>10}",
        outcome.counts.open_at_end
    );
    let _ = writeln!(
        t,
        "  queue IDs reused       {:>10}",
        outcome.counts.reused_queue_ids
    );
    if outcome.counts.evicted_in_flight > 0 {
        let _ = writeln!(
            t,
            "  evicted, reported before their end (--max-in-flight) {:>10}",
            outcome.counts.evicted_in_flight
        );
    }
    if outcome.counts.handed_on_early > 0 {
        let _ = writeln!(
            t,
            "  ended, reported before their linger (--max-in-flight) {:>10}",
            outcome.counts.handed_on_early
        );
        let _ = writeln!(
            t,
            "  late lines for those, left out {:>10}",
            outcome.counts.lines_after_hand_on
        );
    }
    let _ = writeln!(
        t,
        "NOQUEUE rejects          {:>10}",
        outcome.counts.noqueue_rejects
    );
    if !s.events.is_empty() {
        let _ = writeln!(t, "understood lines by kind");
        for (kind, n) in &s.events {
            let _ = writeln!(t, "    {kind:<20} {n:>10}");
        }
    }
    write_out(out, &t)?;
    Ok(Finished {
        matched: s.lines > 0,
        errors,
    })
}
