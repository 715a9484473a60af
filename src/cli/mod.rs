//! The command line: every flag is defined and documented here, in one place; each command
//! lives in its own file and is one consumer of the pipeline.

mod explain;
mod follow;
mod messages;
mod report;
mod stats;
mod trace;

use crate::correlate::TrackerConfig;
use crate::input::{self, InputError, Source};
use crate::output::{use_color, ColorChoice, Style};
use crate::pipeline::{Options, Outcome};
use crate::select::{Filters, STATUS_WORDS};
use crate::time::{Stamp, TimeSettings};
use clap::{Args, CommandFactory, Parser, Subcommand};
use jiff::tz::TimeZone;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

const ABOUT: &str = "Follow every message through Postfix mail logs.";

const LONG_ABOUT: &str = "\
Follow every message through Postfix mail logs.

mailtrail reads Postfix logs (syslog files, rotated and compressed copies, journald output,
stdin) and rebuilds each message's life from its queue ID: where it came from, where it went,
and where and why it failed — what `grep QUEUEID /var/log/maillog` shows, put together.

With no FILE, mailtrail reads /var/log/maillog or /var/log/mail.log, whichever exists, or
else the systemd journal of the Postfix units. Compressed files (gzip, zstd, bzip2, xz) are
recognised by their content; a rotated set (mail.log.2.gz mail.log.1 mail.log) is read
oldest first whatever order it is given in. `-` reads standard input.

Examples:
  mailtrail trace 1A2B3C4D5E /var/log/mail.log     one message, its recipients, the verdict
  mailtrail trace alice@example.com                every message from or to an address
  mailtrail messages --status bounced --since today
  mailtrail messages --json | jq .                 one JSON object per message
  mailtrail stats --unparsed                       lines mailtrail did not understand
  mailtrail explain --lang ja /var/log/maillog     what each line means, in Japanese
  mailtrail trace --explain 1A2B3C4D5E             a message's lines, each explained

Exit status: 0 something matched, 1 nothing matched, 2 an error (an unreadable file, …).";

#[derive(Debug, Parser)]
#[command(name = "mailtrail", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    global: GlobalArgs,
}

/// Options every command accepts.
#[derive(Debug, Args)]
struct GlobalArgs {
    /// Year of the first syslog timestamp (traditional stamps have none). Default: inferred
    /// from each file's modification time; December → January starts a new year.
    #[arg(long, global = true, value_name = "YEAR", value_parser = clap::value_parser!(i16).range(1..=9999))]
    year: Option<i16>,
    /// Time zone of timestamps written without one (an IANA name such as Europe/Berlin).
    /// Default: the system's local zone.
    #[arg(long, global = true, value_name = "ZONE", conflicts_with = "utc")]
    tz: Option<String>,
    /// Timestamps written without a zone are UTC.
    #[arg(long, global = true)]
    utc: bool,
    /// A syslog name of Postfix's that does not start with "postfix" (repeatable).
    #[arg(long = "syslog-name", global = true, value_name = "NAME")]
    syslog_names: Vec<String>,
    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// Threads to use: 1 reads, parses and correlates on one thread; 2 parses on a thread of
    /// its own, which also does the report's counting; 3 or more also runs report, stats and
    /// messages on a thread of their own (default: 2 where the machine has two cores or more).
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    /// At most N messages in memory at once; past it the oldest are reported as they stand
    /// (and counted) — a bound against floods of queue IDs that never complete.
    #[arg(long, global = true, value_name = "N", default_value_t = crate::correlate::tracker::DEFAULT_MAX_IN_FLIGHT)]
    max_in_flight: usize,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Follow messages through the log: a queue ID, Message-ID, address or client.
    ///
    /// QUERY is matched against queue IDs, Message-IDs (with or without <>), sender and
    /// recipient addresses (case-insensitive) and client IPs and hostnames. Address and
    /// client queries also show the NOQUEUE rejects. Linked messages (content-filter
    /// re-injection, bounce notifications, forwards, requeues) are followed.
    Trace(trace::TraceArgs),
    /// List every message (or those matching the filters), one row per message.
    Messages(messages::MessagesArgs),
    /// Count the lines read, understood and not understood.
    Stats(stats::StatsArgs),
    /// Say what each log line means, in English or Japanese (--lang en|ja).
    ///
    /// Every line is followed by a short explanation built from the parsed line, with its own
    /// values filled in: the client, the queue ID, the recipient, the relay, the remote's
    /// reply, what its DSN and SMTP codes mean, and for trouble the usual cause and what to
    /// do. Lines mailtrail does not understand say so. --daemons describes the parts of a
    /// log line and the role of each Postfix daemon.
    Explain(explain::ExplainArgs),
    /// Watch the log as Postfix writes it (like tail -F): a line per message when its fate is
    /// known, a problem line per deferral, bounce or reject; --metrics serves Prometheus.
    Follow(follow::FollowArgs),
    /// The summary to read every morning: totals, traffic, domains, top senders and
    /// recipients, problems, delays, what is still queued, SMTP sessions (docs/report.md).
    Report(report::ReportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to standard output.
    Man,
}

/// The files to read.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// Log files to read ('-' for standard input). Default: /var/log/maillog,
    /// /var/log/mail.log or the journal.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Filters shared by `trace` and `messages`.
#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// Only messages from this sender: an address, or a domain (matches its subdomains).
    #[arg(long, value_name = "ADDRESS")]
    from: Option<String>,
    /// Only messages to this recipient: an address, or a domain.
    #[arg(long, value_name = "ADDRESS")]
    to: Option<String>,
    /// Only messages with this status (of the message or of any recipient; repeatable or
    /// comma-separated): sent (alias delivered), deferred, bounced, expired, force-expired,
    /// undeliverable, deliverable, held, deleted, discarded, rejected, queued, mixed, removed,
    /// requeued, abandoned, incomplete.
    #[arg(long, value_name = "STATUS", value_delimiter = ',')]
    status: Vec<String>,
    /// Only messages seen at or after TIME (RFC 3339, or YYYY-MM-DD[ HH:MM[:SS]] in the zone
    /// of --tz, or today / yesterday).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only messages seen at or before TIME.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Only messages logged by this host (central logs hold several).
    #[arg(long, value_name = "HOST")]
    host: Option<String>,
    /// Only messages received from this client (IP, hostname, or an IP prefix ending in '.').
    #[arg(long, value_name = "CLIENT")]
    client: Option<String>,
}

/// A command-line mistake found after parsing: one line, exit status 2.
#[derive(Debug)]
pub struct UsageError(String);

impl FilterArgs {
    fn filters(&self, zone: &TimeZone) -> Result<Filters, UsageError> {
        for s in &self.status {
            if !STATUS_WORDS.contains(&s.as_str()) {
                return Err(UsageError(format!(
                    "--status {s}: unknown status; use one of {}",
                    STATUS_WORDS.join(", ")
                )));
            }
        }
        Ok(Filters {
            from: self.from.clone(),
            to: self.to.clone(),
            status: self.status.clone(),
            since: self
                .since
                .as_deref()
                .map(|s| parse_time(s, zone, false))
                .transpose()?,
            until: self
                .until
                .as_deref()
                .map(|s| parse_time(s, zone, true))
                .transpose()?,
            host: self.host.clone(),
            client: self.client.clone(),
        })
    }
}

/// `--since`/`--until` values. A bare date means its whole day: its start for `--since`, its
/// end for `--until`.
fn parse_time(text: &str, zone: &TimeZone, end_of_day: bool) -> Result<Stamp, UsageError> {
    let to_stamp = |ts: jiff::Timestamp| Stamp {
        secs: ts.as_second(),
        nanos: ts.subsec_nanosecond().max(0) as u32,
        offset: 0,
    };
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(to_stamp(ts));
    }
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(zone.clone())
        .date();
    if text.contains(':') {
        if let Ok(dt) = text.replace(' ', "T").parse::<jiff::civil::DateTime>() {
            if let Ok(z) = dt.to_zoned_datetime(zone.clone()) {
                return Ok(to_stamp(z.timestamp()));
            }
        }
    }
    let date = match text {
        "today" => Some(today),
        "yesterday" => today.yesterday().ok(),
        _ => text.parse::<jiff::civil::Date>().ok(),
    };
    if let Some(date) = date {
        let dt = if end_of_day {
            date.to_datetime(jiff::civil::time(23, 59, 59, 999_999_999))
        } else {
            date.to_datetime(jiff::civil::time(0, 0, 0, 0))
        };
        if let Ok(z) = dt.to_zoned_datetime(zone.clone()) {
            return Ok(to_stamp(z.timestamp()));
        }
    }
    Err(UsageError(format!(
        "'{text}': not a time (use RFC 3339, YYYY-MM-DD, 'YYYY-MM-DD HH:MM', today or yesterday)"
    )))
}

/// Everything a command needs to run the pipeline.
pub struct Context {
    pub options: Options,
    pub style: Style,
    pub zone: TimeZone,
}

/// What a command's messages keep beyond what every consumer reads.
#[derive(Debug, Clone, Copy)]
struct Kept {
    /// Each message's own lines (`trace --raw`, `--explain`).
    raw_lines: bool,
    /// Each message's Message-ID: shown by the commands that show messages, not counted by
    /// `report` and `stats` (a text made per message for nothing).
    message_ids: bool,
}

/// What the commands that show messages keep.
const SHOWN: Kept = Kept {
    raw_lines: false,
    message_ids: true,
};

/// What the commands that only count keep.
const COUNTED: Kept = Kept {
    raw_lines: false,
    message_ids: false,
};

impl GlobalArgs {
    fn context(&self, kept: Kept) -> Result<Context, UsageError> {
        let zone = if self.utc {
            TimeZone::UTC
        } else if let Some(name) = &self.tz {
            TimeZone::get(name).map_err(|e| UsageError(format!("--tz {name}: {e}")))?
        } else {
            TimeZone::system()
        };
        Ok(Context {
            options: Options {
                time: TimeSettings {
                    zone: zone.clone(),
                    year: self.year,
                },
                syslog_names: self.syslog_names.clone(),
                tracker: TrackerConfig {
                    keep_raw: kept.raw_lines,
                    keep_message_ids: kept.message_ids,
                    max_in_flight: self.max_in_flight.max(1),
                    ..TrackerConfig::default()
                },
                threads: self.threads.unwrap_or_else(|| {
                    std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
                }),
            },
            style: Style {
                color: use_color(self.color),
            },
            zone,
        })
    }
}

/// Resolves the inputs; reports each unreadable one on stderr and goes on with the rest.
fn sources(args: &InputArgs) -> (Vec<Source>, Vec<InputError>) {
    if args.files.is_empty() {
        match input::default_sources() {
            Ok(sources) => {
                let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
                warn(&format!(
                    "reading {}",
                    crate::text::terminal(&names.join(", "))
                ));
                (sources, Vec::new())
            }
            Err(e) => (Vec::new(), vec![e]),
        }
    } else {
        input::sources_from_args(&args.files)
    }
}

/// What a command reports back to `main`.
pub struct Finished {
    pub matched: bool,
    pub errors: Vec<InputError>,
}

/// Runs the pipeline over the inputs, with input errors collected.
fn run_pipeline(
    args: &InputArgs,
    ctx: &Context,
    sink: &mut dyn crate::pipeline::Sink,
) -> (Outcome, Vec<InputError>) {
    run_pipeline_for(args, ctx, sink, None)
}

/// Runs the pipeline over the inputs; given a trace query, over only the lines that can
/// belong to its answer where the prefilter can tell them (`crate::prefilter`).
fn run_pipeline_for(
    args: &InputArgs,
    ctx: &Context,
    sink: &mut dyn crate::pipeline::Sink,
    query: Option<&crate::select::Query>,
) -> (Outcome, Vec<InputError>) {
    let (sources, mut errors) = sources(args);
    let selection = query.and_then(|q| {
        crate::prefilter::select(&sources, q, &ctx.options.syslog_names, &ctx.options.time)
    });
    let mut outcome = match selection {
        Some(selection) => crate::pipeline::run_selected(&sources, &ctx.options, selection, sink),
        None => crate::pipeline::run(&sources, &ctx.options, sink),
    };
    errors.append(&mut outcome.errors);
    // Each input error as one line naming the input (escaped: file names are data too), as
    // soon as the pipeline is done, so that an early end of the output cannot hide them.
    for e in &errors {
        warn(&crate::text::terminal(&e.to_string()));
    }
    if !errors.is_empty() {
        INPUT_ERRORS.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    (outcome, errors)
}

/// Says on stderr how much of the input was not understood, so nothing is lost silently.
fn report_unparsed(outcome: &Outcome) {
    let s = &outcome.stats;
    // A prefiltered trace parsed only the lines that could belong to its answer.
    let which = if outcome.prefiltered {
        " read for this trace"
    } else {
        ""
    };
    if s.not_understood > 0 {
        warn(&format!(
            "{} of {} Postfix lines{which} not understood (list them with: mailtrail stats --unparsed)",
            s.not_understood, s.postfix_lines
        ));
    }
    let c = &outcome.counts;
    if c.handed_on_early > 0 {
        warn(&format!(
            "memory bound reached: {} ended messages reported before their linger (--max-in-flight), {} late lines for them left out",
            c.handed_on_early, c.lines_after_hand_on
        ));
    }
    if c.evicted_in_flight > 0 || c.evicted_sessions > 0 {
        warn(&format!(
            "memory bound reached: {} messages evicted from memory and reported before their end (--max-in-flight), {} smtpd sessions evicted",
            c.evicted_in_flight, c.evicted_sessions
        ));
    }
    if s.malformed > 0 {
        warn(&format!(
            "{} of {} lines{which} are not syslog lines and were skipped (mailtrail stats counts them)",
            s.malformed, s.lines
        ));
    }
}

/// A line on stderr. Never panics: a closed stderr is not worth a crash.
pub(crate) fn warn(text: &str) {
    let _ = writeln!(io::stderr(), "mailtrail: {text}");
}

/// Input errors seen by this run: `| head` may end the output early, but not the exit status.
static INPUT_ERRORS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn write_out(out: &mut dyn Write, text: &str) -> io::Result<()> {
    out.write_all(text.as_bytes())
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(f) => {
            if !f.errors.is_empty() {
                ExitCode::from(2)
            } else if f.matched {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(Failure::Usage(UsageError(msg))) => {
            warn(&msg);
            ExitCode::from(2)
        }
        // `mailtrail … | head -1`: the reader left; that is not an error (but an unreadable
        // input still is).
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            if INPUT_ERRORS.load(std::sync::atomic::Ordering::Relaxed) {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(Failure::Io(e)) => {
            warn(&format!("writing output: {e}"));
            ExitCode::from(2)
        }
    }
}

pub enum Failure {
    Usage(UsageError),
    Io(io::Error),
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Self {
        Failure::Usage(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

fn run(cli: Cli) -> Result<Finished, Failure> {
    // `Stdout`, not its lock, which is not `Send`: the sink may write from a thread of its own
    // (`Sink::off_thread`); it is taken once per 64 KiB written.
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout());
    let finished = match cli.command {
        Command::Trace(args) => {
            let ctx = cli.global.context(Kept {
                raw_lines: args.raw || args.explain,
                ..SHOWN
            })?;
            trace::run(&args, &ctx, &mut out)?
        }
        Command::Messages(args) => {
            let ctx = cli.global.context(SHOWN)?;
            messages::run(&args, &ctx, &mut out)?
        }
        Command::Stats(args) => {
            let ctx = cli.global.context(COUNTED)?;
            stats::run(&args, &ctx, &mut out)?
        }
        Command::Explain(args) => {
            let ctx = cli.global.context(SHOWN)?;
            explain::run(&args, &ctx, &mut out)?
        }
        Command::Follow(args) => {
            let ctx = cli.global.context(SHOWN)?;
            follow::run(&args, &ctx, &mut out)?
        }
        Command::Report(args) => {
            let ctx = cli.global.context(COUNTED)?;
            report::run(&args, &ctx, &mut out)?
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "mailtrail", &mut out);
            Finished {
                matched: true,
                errors: Vec::new(),
            }
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut out)?;
            Finished {
                matched: true,
                errors: Vec::new(),
            }
        }
    };
    out.flush()?;
    Ok(finished)
}
