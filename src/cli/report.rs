//! `mailtrail report`: the morning summary — totals, traffic, domains, top senders and
//! recipients, problems, delays, the queue left at the end, SMTP sessions and postscreen.

use super::{
    parse_time, report_unparsed, run_pipeline, write_out, Context, Finished, InputArgs, UsageError,
};
use crate::report::normalize::AddressFolding;
use crate::report::{self, Config, Report, TextOptions};
use crate::time::Stamp;
use clap::Args;
use std::io::{self, Write};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// One JSON object (schema: docs/report.md).
    #[arg(long)]
    json: bool,
    /// Rows in each top list and problem table (0: all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
    /// Show the problems right after the totals.
    #[arg(long)]
    problems_first: bool,
    /// Only this syslog host (central logs hold several).
    #[arg(long, value_name = "HOST")]
    host: Option<String>,
    /// Only what happened at or after TIME: RFC 3339, YYYY-MM-DD[ HH:MM[:SS]] in the zone of
    /// --tz, today, yesterday, or a duration back from now (90m, 24h, 7d, 1h30m).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only what happened at or before TIME (same forms as --since).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Fold VERP addresses as pflogsumm's --verp-mung does; =2 also folds `user=domain` VERP.
    #[arg(
        long,
        value_name = "LEVEL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "1"
    )]
    verp_mung: Option<u8>,
    /// Decode SRS addresses (SRS0=…, SRS1=…) to the original sender.
    #[arg(long)]
    srs_mung: bool,
    #[command(flatten)]
    input: InputArgs,
}

/// `90m`, `24h`, `7d`, `1h30m`, `2w` → seconds.
fn duration(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut number = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return None,
        };
        let n: i64 = number.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        number.clear();
        any = true;
    }
    (any && number.is_empty()).then_some(total)
}

fn time_arg(text: &str, ctx: &Context, end_of_day: bool) -> Result<Stamp, UsageError> {
    if let Some(secs) = duration(text) {
        let now = jiff::Timestamp::now().as_second();
        return Ok(Stamp {
            secs: now - secs,
            nanos: 0,
            offset: 0,
        });
    }
    parse_time(text, &ctx.zone, end_of_day)
        .map_err(|UsageError(m)| UsageError(format!("{m}, or a duration such as 24h")))
}

pub fn run(
    args: &ReportArgs,
    ctx: &Context,
    out: &mut dyn Write,
) -> Result<Finished, super::Failure> {
    let config = Config {
        top: args.top,
        since: args
            .since
            .as_deref()
            .map(|s| time_arg(s, ctx, false))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|s| time_arg(s, ctx, true))
            .transpose()?,
        host: args.host.clone(),
        folding: AddressFolding {
            verp: args.verp_mung.unwrap_or(0),
            srs: args.srs_mung,
        },
    };
    let mut sink = Report::new(config);
    let (outcome, errors) = run_pipeline(&args.input, ctx, &mut sink);
    report_unparsed(&outcome);
    let view = sink.view(&outcome.sources, &outcome.stats);
    if args.json {
        let text = serde_json::to_string_pretty(&view).map_err(io::Error::other)?;
        write_out(out, &(text + "\n"))?;
    } else {
        let options = TextOptions {
            style: ctx.style,
            problems_first: args.problems_first,
        };
        write_out(out, &report::text(&view, &options))?;
    }
    Ok(Finished {
        matched: !view.empty,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations() {
        assert_eq!(duration("24h"), Some(86_400));
        assert_eq!(duration("1h30m"), Some(5400));
        assert_eq!(duration("7d"), Some(604_800));
        assert_eq!(duration("yesterday"), None);
        assert_eq!(duration("12"), None);
        assert_eq!(duration("2026-11-28"), None);
    }
}
