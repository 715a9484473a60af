//! explain: what each log line means, in plain words, in English or Japanese.
//!
//! An explanation is built from the parsed `Event` — never from the raw text — as a list of
//! notes: what the line means, then details (status codes, delays, the remote's reply), then
//! for trouble its usual cause and what to do. Every note is a catalogue key (`catalog`)
//! rendered with the event's own values; the key of the first note names the kind of line,
//! finer than `Event::kind()` where the meaning differs (a reject at RCPT is not a hold by a
//! header check; a sent line is not a bounce).

pub mod catalog;
pub mod classify;
pub mod codes;
pub mod daemons;
mod events;
pub mod lifecycle;

pub use catalog::{Catalog, Lang};

use crate::parse::Parsed;
use crate::text::owned;
use serde::Serialize;

/// What a note is to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteKind {
    /// What the line says happened.
    Meaning,
    /// Codes, timings, the remote's words: what the line's details mean.
    Detail,
    /// The usual cause of the trouble the line reports.
    Cause,
    /// What to do about it.
    Fix,
}

#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub kind: NoteKind,
    pub key: String,
    pub text: String,
}

/// The explanation of one log line.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// `Event::kind()`, or `not-understood`, `foreign`, `malformed`.
    pub kind: &'static str,
    /// The key of the first note: the finer kind of line.
    pub key: String,
    /// The event's own values, by name, as the templates use them.
    pub fields: Vec<(&'static str, String)>,
    pub notes: Vec<Note>,
}

impl Explanation {
    /// Whether mailtrail understood the line.
    pub fn understood(&self) -> bool {
        !matches!(self.kind, "not-understood" | "foreign" | "malformed")
    }

    /// The notes as lines of text, causes and fixes with their label.
    pub fn lines(&self, cat: &Catalog) -> Vec<String> {
        self.notes
            .iter()
            .map(|n| match n.kind {
                NoteKind::Cause => cat.render("label.cause", &[("text", &n.text)]),
                NoteKind::Fix => cat.render("label.fix", &[("text", &n.text)]),
                _ => n.text.clone(),
            })
            .collect()
    }

    /// The whole explanation as one text, a note per line.
    pub fn text(&self, cat: &Catalog) -> String {
        self.lines(cat).join("\n")
    }

    /// Every catalogue key this explanation used.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.notes.iter().map(|n| n.key.as_str())
    }
}

/// Explains one parsed line (any line: understood, another program's, garbage).
pub fn explain(cat: &Catalog, parsed: &Parsed<'_>) -> Explanation {
    match parsed {
        Parsed::Postfix {
            envelope,
            event: Some(event),
        } => events::explain(cat, envelope, event),
        Parsed::Postfix {
            envelope,
            event: None,
        } => {
            let mut b = Builder::new(cat, "not-understood");
            b.context(envelope);
            b.main("line.not_understood");
            b.finish()
        }
        Parsed::Foreign { envelope } => {
            let mut b = Builder::new(cat, "foreign");
            b.extra("program", owned(envelope.program.tag));
            b.main("line.foreign");
            b.finish()
        }
        Parsed::Malformed => {
            let mut b = Builder::new(cat, "malformed");
            b.main("line.malformed");
            b.finish()
        }
    }
}

/// Collects fields and notes for one explanation.
pub(crate) struct Builder<'c> {
    cat: &'c Catalog,
    kind: &'static str,
    /// The event's fields (in the JSON output) …
    fields: Vec<(&'static str, String)>,
    /// … and other values the templates may name (the daemon, derived texts).
    extra: Vec<(&'static str, String)>,
    notes: Vec<Note>,
}

impl<'c> Builder<'c> {
    pub(crate) fn new(cat: &'c Catalog, kind: &'static str) -> Builder<'c> {
        Builder {
            cat,
            kind,
            fields: Vec::new(),
            extra: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub(crate) fn cat(&self) -> &'c Catalog {
        self.cat
    }

    /// The daemon, service and host of the line, for the templates.
    pub(crate) fn context(&mut self, envelope: &crate::envelope::Envelope<'_>) {
        let daemon = envelope.program.daemon;
        let daemon = match memchr::memchr(b'.', daemon) {
            Some(dot) => daemon.get(..dot).unwrap_or(daemon),
            None => daemon,
        };
        self.extra("daemon", owned(daemon));
        self.extra("host", owned(envelope.host));
        if !envelope.program.service.is_empty() {
            self.extra("service", owned(envelope.program.service));
        }
    }

    pub(crate) fn field(&mut self, name: &'static str, value: impl Into<String>) {
        self.fields.push((name, value.into()));
    }

    pub(crate) fn field_bytes(&mut self, name: &'static str, value: &[u8]) {
        self.field(name, owned(value));
    }

    pub(crate) fn field_opt(&mut self, name: &'static str, value: Option<&[u8]>) {
        if let Some(v) = value {
            self.field_bytes(name, v);
        }
    }

    pub(crate) fn extra(&mut self, name: &'static str, value: impl Into<String>) {
        self.extra.push((name, value.into()));
    }

    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .chain(&self.extra)
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn vars(&self) -> Vec<(&str, &str)> {
        // Later values win: `rev` in `value`, and here the last pushed comes first.
        let mut vars: Vec<(&str, &str)> = Vec::with_capacity(self.fields.len() + self.extra.len());
        for (n, v) in self.fields.iter().chain(&self.extra).rev() {
            vars.push((n, v));
        }
        vars
    }

    /// The text of `key` with this line's values.
    pub(crate) fn render(&self, key: &str) -> String {
        self.cat.render(key, &self.vars())
    }

    /// The text of `key` with this line's values and some more.
    pub(crate) fn render_with(&self, key: &str, more: &[(&str, &str)]) -> String {
        let mut vars = more.to_vec();
        vars.extend(self.vars());
        self.cat.render(key, &vars)
    }

    pub(crate) fn note(&mut self, kind: NoteKind, key: &str) {
        let text = self.render(key);
        self.push(kind, key, text);
    }

    pub(crate) fn note_with(&mut self, kind: NoteKind, key: &str, more: &[(&str, &str)]) {
        let text = self.render_with(key, more);
        self.push(kind, key, text);
    }

    pub(crate) fn push(&mut self, kind: NoteKind, key: &str, text: String) {
        self.notes.push(Note {
            kind,
            key: key.to_string(),
            text,
        });
    }

    /// The first note: what the line means.
    pub(crate) fn main(&mut self, key: &str) {
        self.note(NoteKind::Meaning, key);
    }

    pub(crate) fn detail(&mut self, key: &str) {
        self.note(NoteKind::Detail, key);
    }

    pub(crate) fn finish(self) -> Explanation {
        Explanation {
            kind: self.kind,
            key: self
                .notes
                .first()
                .map(|n| n.key.clone())
                .unwrap_or_default(),
            fields: self.fields,
            notes: self.notes,
        }
    }
}

#[cfg(test)]
mod tests;
