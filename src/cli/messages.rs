//! `mailtrail messages`: every message, one row (or JSON object, or CSV rows) each, written as
//! each message's life ends.

use super::{report_unparsed, run_pipeline, write_out, Context, FilterArgs, Finished, InputArgs};
use crate::correlate::Message;
use crate::output::{csv, json, text, Style};
use crate::pipeline::ReadOnlySink;
use crate::select::Filters;
use clap::Args;
use std::io::{self, Write};
use std::ops::ControlFlow;

#[derive(Debug, Args)]
pub struct MessagesArgs {
    #[command(flatten)]
    filters: FilterArgs,
    /// One JSON object per message per line (schema: docs/json.md).
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// CSV, one row per recipient (columns: docs/json.md).
    #[arg(long)]
    csv: bool,
    #[command(flatten)]
    input: InputArgs,
}

#[derive(Clone, Copy)]
enum Format {
    Table,
    Json,
    Csv,
}

struct MessageWriter<'a> {
    out: &'a mut (dyn Write + Send),
    filters: Filters,
    format: Format,
    style: Style,
    matched: u64,
    error: Option<io::Error>,
    /// One message's JSON, reused from message to message.
    buf: Vec<u8>,
}

impl MessageWriter<'_> {
    fn write(&mut self, m: &Message) -> io::Result<()> {
        match self.format {
            Format::Table => write_out(self.out, &(text::row(m, &self.style) + "\n")),
            Format::Json => {
                self.buf.clear();
                json::write_message(m, &mut self.buf);
                self.buf.push(b'\n');
                self.out.write_all(&self.buf)
            }
            Format::Csv => {
                for row in csv::rows(m) {
                    write_out(self.out, &(row + "\n"))?;
                }
                Ok(())
            }
        }
    }
}

impl ReadOnlySink for MessageWriter<'_> {
    fn message(&mut self, m: &Message) -> ControlFlow<()> {
        if !self.filters.matches(m) {
            return ControlFlow::Continue(());
        }
        self.matched += 1;
        match self.write(m) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.error = Some(e);
                ControlFlow::Break(())
            }
        }
    }
}

pub fn run(
    args: &MessagesArgs,
    ctx: &Context,
    out: &mut (dyn Write + Send),
) -> Result<Finished, super::Failure> {
    let filters = args.filters.filters(&ctx.zone)?;
    let format = if args.json {
        Format::Json
    } else if args.csv {
        Format::Csv
    } else {
        Format::Table
    };
    if let Format::Csv = format {
        write_out(out, &(csv::header() + "\n"))?;
    }
    let mut writer = MessageWriter {
        out,
        filters,
        format,
        style: ctx.style,
        matched: 0,
        error: None,
        buf: Vec::new(),
    };
    let (outcome, errors) = run_pipeline(&args.input, ctx, &mut writer);
    if let Some(e) = writer.error {
        return Err(e.into());
    }
    report_unparsed(&outcome);
    Ok(Finished {
        matched: writer.matched > 0,
        errors,
    })
}
