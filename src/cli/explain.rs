//! `mailtrail explain [FILE…]`: every line followed by what it means (and, for trouble, the
//! usual cause and what to do), in English or Japanese; `--daemons` describes the parts of a
//! line and Postfix's daemons. Also the `--explain` view of `trace`.

use super::{run_pipeline, write_out, Context, Finished, InputArgs};
use crate::correlate::Message;
use crate::envelope::Envelope;
use crate::explain::{self, lifecycle, Catalog, Explanation, Lang};
use crate::output::{json, Style};
use crate::parse::{LineParser, Parsed};
use crate::pipeline::{LineView, Sink};
use crate::text::{owned, terminal};
use clap::Args;
use serde::ser::SerializeMap;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::ControlFlow;

/// `--lang`, shared by `explain` and `trace --explain`.
#[derive(Debug, Args, Clone, Default)]
pub struct LangArg {
    /// Language of the explanations: en or ja. Default: from LC_ALL, LC_MESSAGES or LANG
    /// (ja_JP.UTF-8 and other ja* locales give Japanese), else English.
    #[arg(long, value_enum, value_name = "LANG")]
    lang: Option<Lang>,
}

impl LangArg {
    pub fn catalog(&self) -> Catalog {
        Catalog::new(self.lang.unwrap_or_else(Lang::from_env))
    }
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Describe the parts of a log line and the role of each Postfix daemon, instead of
    /// explaining lines (no FILE is read).
    #[arg(long)]
    daemons: bool,
    /// One JSON object per log line, with the parsed fields and `explanation` (schema:
    /// docs/json.md).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    lang: LangArg,
    #[command(flatten)]
    input: InputArgs,
}

struct Explainer<'a> {
    cat: Catalog,
    style: Style,
    json: bool,
    out: &'a mut dyn Write,
    lines: u64,
    error: Option<io::Error>,
}

fn envelope<'p>(parsed: &'p Parsed<'_>) -> Option<&'p Envelope<'p>> {
    match parsed {
        Parsed::Postfix { envelope, .. } | Parsed::Foreign { envelope } => Some(envelope),
        Parsed::Malformed => None,
    }
}

/// The explanation of a line, with a note when its date is impossible.
fn explain_line(cat: &Catalog, parsed: &Parsed<'_>, dated: bool) -> Explanation {
    let mut e = explain::explain(cat, parsed);
    if !dated && matches!(parsed, Parsed::Postfix { .. }) {
        e.notes.push(explain::Note {
            kind: explain::NoteKind::Detail,
            key: "line.bad_timestamp".to_string(),
            text: cat.text("line.bad_timestamp"),
        });
    }
    e
}

/// The event's fields as a JSON object, in the order the explainer read them.
struct Fields<'a>(&'a [(&'static str, String)]);

impl Serialize for Fields<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// One line of `explain --json` (docs/json.md).
#[derive(Serialize)]
struct LineJson<'a> {
    source: &'a str,
    line: u64,
    raw: String,
    time: Option<String>,
    host: Option<String>,
    program: Option<String>,
    daemon: Option<String>,
    pid: Option<u32>,
    severity: Option<&'static str>,
    understood: bool,
    kind: &'static str,
    key: &'a str,
    lang: &'static str,
    fields: Fields<'a>,
    explanation: String,
    notes: &'a [explain::Note],
}

fn line_json(line: &LineView<'_>, e: &Explanation, cat: &Catalog) -> String {
    let env = envelope(line.parsed);
    let json = LineJson {
        source: line.source,
        line: line.line_number,
        raw: owned(line.raw),
        time: line.time.map(|t| t.rfc3339()),
        host: env.map(|e| owned(e.host)),
        program: env.map(|e| owned(e.program.tag)),
        daemon: env.map(|e| owned(e.program.daemon)),
        pid: env.and_then(|e| e.pid),
        severity: env.map(|e| e.severity.as_str()),
        understood: e.understood(),
        kind: e.kind,
        key: &e.key,
        lang: cat.lang().as_str(),
        fields: Fields(&e.fields),
        explanation: e.text(cat),
        notes: &e.notes,
    };
    serde_json::to_string(&json).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// An explanation as indented lines of text, safe for a terminal.
fn indented(e: &Explanation, cat: &Catalog, indent: &str) -> String {
    let mut out = String::new();
    for l in e.lines(cat) {
        let _ = writeln!(out, "{indent}{}", terminal(&l));
    }
    out
}

impl Sink for Explainer<'_> {
    fn line(&mut self, line: &LineView<'_>) -> ControlFlow<()> {
        self.lines += 1;
        let e = explain_line(&self.cat, line.parsed, line.time.is_some());
        let text = if self.json {
            line_json(line, &e, &self.cat) + "\n"
        } else {
            format!(
                "{}\n{}\n",
                self.style.bold(&terminal(&owned(line.raw))),
                indented(&e, &self.cat, "    ")
            )
        };
        match write_out(self.out, &text) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.error = Some(e);
                ControlFlow::Break(())
            }
        }
    }

    fn message(&mut self, _: Message) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

pub fn run(
    args: &ExplainArgs,
    ctx: &Context,
    out: &mut dyn Write,
) -> Result<Finished, super::Failure> {
    let cat = args.lang.catalog();
    if args.daemons {
        let text = if args.json {
            serde_json::to_string(&explain::daemons::guide(&cat)).unwrap_or_default() + "\n"
        } else {
            explain::daemons::text(&cat, &ctx.style)
        };
        write_out(out, &text)?;
        return Ok(Finished {
            matched: true,
            errors: Vec::new(),
        });
    }
    let mut explainer = Explainer {
        cat,
        style: ctx.style,
        json: args.json,
        out,
        lines: 0,
        error: None,
    };
    let (_, errors) = run_pipeline(&args.input, ctx, &mut explainer);
    if let Some(e) = explainer.error {
        return Err(e.into());
    }
    Ok(Finished {
        matched: explainer.lines > 0,
        errors,
    })
}

/// `trace --explain`: one message's lines, each with its explanation, then the verdict.
pub struct TraceExplainer {
    cat: Catalog,
    parser: LineParser,
}

impl TraceExplainer {
    pub fn new(lang: &LangArg, ctx: &Context) -> TraceExplainer {
        TraceExplainer {
            cat: lang.catalog(),
            parser: LineParser::new(&ctx.options.syslog_names),
        }
    }

    fn explanations<'m>(
        &self,
        m: &'m Message,
    ) -> Vec<(&'m crate::correlate::message::RawLine, Explanation)> {
        m.raw
            .iter()
            .map(|r| {
                let parsed = self.parser.parse(r.text.as_bytes());
                (r, explain::explain(&self.cat, &parsed))
            })
            .collect()
    }

    /// The message as text for people.
    pub fn text(&self, m: &Message, style: &Style, with_source: bool) -> String {
        let cat = &self.cat;
        let mut out = String::new();
        let _ = writeln!(out, "{}", style.bold(&terminal(&lifecycle::title(cat, m))));
        for (r, e) in self.explanations(m) {
            let place = if with_source {
                style.dim(&format!("{}:{}  ", terminal(&r.source), r.line_number))
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {place}{}", terminal(&r.text));
            out.push_str(&indented(&e, cat, "      "));
        }
        let label = cat.text("trace.verdict");
        let pad = " ".repeat(display_width(&label));
        for (i, v) in lifecycle::verdict(cat, m).iter().enumerate() {
            let head = if i == 0 {
                style.bold(&label)
            } else {
                pad.clone()
            };
            let _ = writeln!(out, "  {head}  {}", terminal(v));
        }
        out
    }

    /// The message as `--json` writes it, with `lines: [{source, line, raw, explanation}]`
    /// (and `text`, as `--raw` has it, when `--raw` is given too) and `verdict_explanation`.
    pub fn json(&self, m: &Message, with_text: bool) -> String {
        let cat = &self.cat;
        let lines: Vec<Value> = self
            .explanations(m)
            .iter()
            .map(|(r, e)| {
                let mut line = json!({
                    "source": &*r.source,
                    "line": r.line_number,
                    "raw": r.text,
                    "key": e.key,
                    "explanation": e.text(cat),
                });
                if let (true, Some(obj)) = (with_text, line.as_object_mut()) {
                    obj.insert("text".into(), Value::String(r.text.clone()));
                }
                line
            })
            .collect();
        // The message as `trace --json` writes it (its fields in their order), without the
        // `--raw` lines, which the explained lines replace.
        let mut bare = m.clone();
        bare.raw.clear();
        let mut out = json::message(&bare);
        if out.ends_with('}') {
            out.pop();
            let extra = json!({
                "lines": lines,
                "verdict_explanation": lifecycle::verdict(cat, m),
                "lang": cat.lang().as_str(),
            });
            let extra = extra.to_string();
            out.push(',');
            out.push_str(&extra[1..]);
        }
        out
    }
}

/// Terminal columns of `text`: East Asian wide characters take two.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115f
            | 0x2e80..=0xa4cf
            | 0xac00..=0xd7a3
            | 0xf900..=0xfaff
            | 0xfe30..=0xfe4f
            | 0xff00..=0xff60
            | 0xffe0..=0xffe6 => 2,
            _ => 1,
        })
        .sum()
}
