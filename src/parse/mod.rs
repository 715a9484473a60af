//! parse: bytes of one line in, a typed `Event` out.
//!
//! The envelope (`crate::envelope`) says which program wrote the line; the daemon's own module
//! reads the text. One module per daemon family, so each line format lives in one place.
//! Adding a kind of line means one function here and one fixture test beside it.

pub mod bounce;
pub mod bytes;
pub mod cleanup;
pub mod delivery;
pub mod master;
pub mod postscreen;
pub mod qmgr;
pub mod queue_id;
pub mod smtpd;
pub mod verdict;

use crate::envelope::{self, Envelope, Program, Severity, StampCache};
use crate::event::Event;
use queue_id::{lead, Lead};
use std::sync::atomic::{AtomicU64, Ordering};

/// What one line turned out to be.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per line, on the stack, never stored
pub enum Parsed<'a> {
    /// A Postfix line; `event` is `None` when its text was not understood.
    Postfix {
        envelope: Envelope<'a>,
        event: Option<Event<'a>>,
    },
    /// Another program's line (amavis, dovecot, opendkim …): counted and skipped.
    Foreign { envelope: Envelope<'a> },
    /// No syslog envelope at all.
    Malformed,
}

/// Parses lines; knows which syslog names are Postfix's.
#[derive(Debug, Clone)]
pub struct LineParser {
    /// Extra syslog names (`--syslog-name`) besides those starting with `postfix`.
    syslog_names: Vec<Vec<u8>>,
    /// Names how this parser classifies programs, for the `StampCache`s it reads through
    /// (`envelope::parse_classified`): never 0, and never another parser's (a clone shares
    /// its syslog names, so its classes too).
    classifier: u64,
}

impl Default for LineParser {
    fn default() -> LineParser {
        LineParser::new(&[])
    }
}

impl LineParser {
    pub fn new(syslog_names: &[String]) -> LineParser {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        LineParser {
            syslog_names: syslog_names.iter().map(|s| s.as_bytes().to_vec()).collect(),
            classifier: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    pub fn is_postfix(&self, syslog_name: &[u8]) -> bool {
        syslog_name.starts_with(b"postfix") || self.syslog_names.iter().any(|n| n == syslog_name)
    }

    pub fn parse<'a>(&self, line: &'a [u8]) -> Parsed<'a> {
        self.parse_with(line, &mut StampCache::default())
    }

    /// `parse` for one of a source's lines in order: `stamps` carries the stamp of the line
    /// before, which most lines share.
    pub fn parse_with<'a>(&self, line: &'a [u8], stamps: &mut StampCache) -> Parsed<'a> {
        let mut parsed = Parsed::Malformed;
        self.parse_into(line, stamps, &mut parsed);
        parsed
    }

    /// `parse_with` written into `parsed`, where it is to stay: a returned parse (about 400
    /// bytes) was copied into place, and the event into the parse before that.
    pub fn parse_into<'a>(&self, line: &'a [u8], stamps: &mut StampCache, parsed: &mut Parsed<'a>) {
        // Whether the program is Postfix's and which reader reads its text depend on the
        // program alone: worked out once per origin the cache keeps, not once per line.
        let classify = |program: &Program<'_>| match self.is_postfix(program.syslog_name) {
            true => reader(program.daemon) as u8,
            false => NOT_POSTFIX,
        };
        let Some((envelope, class)) =
            envelope::parse_classified(line, stamps, self.classifier, classify)
        else {
            *parsed = Parsed::Malformed;
            return;
        };
        let Some(&reader) = Reader::ALL.get(usize::from(class)) else {
            *parsed = Parsed::Foreign { envelope };
            return;
        };
        *parsed = Parsed::Postfix {
            envelope,
            event: None,
        };
        if let Parsed::Postfix { envelope, event } = parsed {
            *event = read_text(reader, envelope.severity, envelope.text);
        }
    }
}

/// The class (`envelope::parse_classified`) of a program that is not Postfix's; a Postfix
/// program's class is its reader's index in `Reader::ALL`.
const NOT_POSTFIX: u8 = u8::MAX;

/// Which reader understands a daemon's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    Smtpd,
    Postscreen,
    Dnsblog,
    Tlsproxy,
    Cleanup,
    Pickup,
    Qmgr,
    Bounce,
    Master,
    Script,
    Postsuper,
    Statistics,
    Delivery,
}

impl Reader {
    /// Every reader, each at its own index (`reader as usize`).
    const ALL: [Reader; 13] = [
        Reader::Smtpd,
        Reader::Postscreen,
        Reader::Dnsblog,
        Reader::Tlsproxy,
        Reader::Cleanup,
        Reader::Pickup,
        Reader::Qmgr,
        Reader::Bounce,
        Reader::Master,
        Reader::Script,
        Reader::Postsuper,
        Reader::Statistics,
        Reader::Delivery,
    ];
}

/// The reader of `daemon`'s lines. A name with a suffix (`smtpd.local`: a service whose
/// daemon name carries one) is read as the name before its dot: looked for only when the whole
/// name is none of the known ones, as most names are.
fn reader(daemon: &[u8]) -> Reader {
    match daemon {
        b"smtpd" | b"qmqpd" => Reader::Smtpd,
        b"postscreen" => Reader::Postscreen,
        b"dnsblog" => Reader::Dnsblog,
        b"tlsproxy" => Reader::Tlsproxy,
        b"cleanup" => Reader::Cleanup,
        b"pickup" => Reader::Pickup,
        b"qmgr" | b"nqmgr" => Reader::Qmgr,
        b"bounce" | b"defer" | b"trace" => Reader::Bounce,
        b"master" => Reader::Master,
        b"postfix-script" => Reader::Script,
        b"postsuper" => Reader::Postsuper,
        b"anvil" | b"scache" | b"verify" | b"postscreen_cache" => Reader::Statistics,
        // smtp, lmtp, local, virtual, pipe, error, discard, retry — and any service name
        // master.cf gives a delivery agent (`postfix/dovecot`, `postfix/relay` …).
        _ => match bytes::find_byte(daemon, b'.') {
            // The name before the dot holds none: this goes one level deep at most.
            Some(dot) => reader(daemon.get(..dot).unwrap_or_default()),
            None => Reader::Delivery,
        },
    }
}

/// Reads the text of a line written by `daemon`.
pub fn parse_text<'a>(daemon: &[u8], severity: Severity, text: &'a [u8]) -> Option<Event<'a>> {
    read_text(reader(daemon), severity, text)
}

/// `parse_text` by the daemon's reader.
#[inline]
fn read_text(reader: Reader, severity: Severity, text: &[u8]) -> Option<Event<'_>> {
    let event = match reader {
        Reader::Smtpd => smtpd::parse(severity, text),
        Reader::Postscreen => postscreen::parse(text),
        Reader::Dnsblog => postscreen::parse_dnsblog(text),
        Reader::Tlsproxy => postscreen::parse_tlsproxy(text),
        Reader::Cleanup => cleanup::parse(text),
        Reader::Pickup => cleanup::parse_pickup(text),
        Reader::Qmgr => qmgr::parse(text),
        Reader::Bounce => bounce::parse(text),
        Reader::Master => master::parse(text),
        Reader::Script => master::parse_script(text),
        Reader::Postsuper => master::parse_postsuper(text),
        Reader::Statistics => text
            .starts_with(b"statistics: ")
            .then_some(Event::Statistics { text })
            .or_else(|| {
                text.starts_with(b"cache ")
                    .then_some(Event::Statistics { text })
            }),
        Reader::Delivery => delivery::parse(text),
    };
    // Returned as it stands when understood: chaining `or_else` moved the 230-byte event
    // twice for every line.
    if event.is_some() {
        return event;
    }
    diagnostic(severity, text).or_else(|| any_daemon(text))
}

/// Info lines any daemon may write about itself.
fn any_daemon(text: &[u8]) -> Option<Event<'_>> {
    let restarting = text.starts_with(b"table ") && text.ends_with(b"has changed -- restarting");
    restarting.then_some(Event::Diagnostic {
        queue_id: None,
        text,
    })
}

/// Warnings, errors, fatal and panic lines of any daemon are understood as diagnostics: their
/// text is free-form by nature. The queue ID that leads one is kept.
fn diagnostic(severity: Severity, text: &[u8]) -> Option<Event<'_>> {
    if severity == Severity::Info {
        return None;
    }
    match lead(text) {
        (Lead::Id(id), rest) => Some(Event::Diagnostic {
            queue_id: Some(id),
            text: rest,
        }),
        _ => Some(Event::Diagnostic {
            queue_id: None,
            text,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_programs_are_foreign_and_garbage_is_malformed() {
        let p = LineParser::default();
        assert!(matches!(
            p.parse(b"Aug 15 08:00:00 h amavis[1]: (1234-01) Passed CLEAN"),
            Parsed::Foreign { .. }
        ));
        assert!(matches!(p.parse(b"\x00\x01garbage"), Parsed::Malformed));
        let custom = LineParser::new(&["mailer".to_string()]);
        assert!(matches!(
            custom.parse(b"Aug 15 08:00:00 h mailer/qmgr[1]: 1A2B3C4D5E: removed"),
            Parsed::Postfix { event: Some(_), .. }
        ));
    }

    #[test]
    fn warnings_of_any_daemon_are_diagnostics() {
        let p = LineParser::default();
        match p.parse(b"Aug 15 08:00:07 mailserver postfix/smtpd[12353]: warning: hostname example.com does not resolve to address 192.0.2.1") {
            Parsed::Postfix { event: Some(Event::Diagnostic { queue_id: None, .. }), envelope } => {
                assert_eq!(envelope.severity, Severity::Warning)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_info_text_is_not_understood() {
        let p = LineParser::default();
        assert!(matches!(
            p.parse(b"Aug 15 08:00:00 h postfix/smtpd[1]: something new"),
            Parsed::Postfix { event: None, .. }
        ));
    }

    #[test]
    fn a_suffixed_daemon_is_read_as_the_name_before_its_dot() {
        for (daemon, want) in [
            (&b"smtpd"[..], Reader::Smtpd),
            (b"smtpd.local", Reader::Smtpd),
            (b"qmgr.x.y", Reader::Qmgr),
            (b"cleanup.", Reader::Cleanup),
            (b"smtp", Reader::Delivery),
            (b"smtp.smtpd", Reader::Delivery),
            (b".smtpd", Reader::Delivery),
            (b"", Reader::Delivery),
            (b"postscreen_cache", Reader::Statistics),
        ] {
            assert_eq!(reader(daemon), want, "{}", String::from_utf8_lossy(daemon));
        }
    }

    #[test]
    fn every_reader_stands_at_its_index_below_the_foreign_class() {
        for (i, r) in Reader::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i);
        }
        assert!(Reader::ALL.len() < usize::from(NOT_POSTFIX));
    }

    #[test]
    fn classes_kept_with_origins_read_as_fresh_ones() {
        // Programs of every reader, Postfix's and others', through one cache and afresh,
        // under two parsers (a custom syslog name makes `mailer` Postfix's for one).
        let tags = [
            "postfix/smtpd[1]",
            "postfix/qmgr[2]",
            "mailer/qmgr[2]",
            "postfix/cleanup[3]",
            "postfix/smtp[4]",
            "postfix/bounce[5]",
            "postfix/anvil[6]",
            "postfix/smtpd.local[7]",
            "amavis[8]",
            "postfix-out/submission/smtpd[9]",
            "postfix/postscreen[10]",
        ];
        let texts = [
            "1A2B3C4D5E: removed",
            "connect from a[192.0.2.1]",
            "warning: x",
            "statistics: max connection rate 1/60s",
        ];
        let parsers = [
            LineParser::default(),
            LineParser::new(&["mailer".to_string()]),
        ];
        for shared in [false, true] {
            let mut caches = [StampCache::default(), StampCache::default()];
            // Each program for a few lines in a row: the first reads it, the others find it kept.
            for i in 0..400 {
                let tag = tags[(i / texts.len()) % tags.len()];
                let line = format!("Aug 15 08:00:00 h {tag}: {}", texts[i % texts.len()]);
                // Shared: the parsers, and the envelope alone, take turns on one cache, whose
                // classes must then be the reading parser's own.
                let which = (i / 3) % 2;
                let parser = &parsers[which];
                let cache = &mut caches[if shared { 0 } else { which }];
                if shared && i % 7 == 3 {
                    assert!(envelope::parse_with(line.as_bytes(), cache).is_some());
                }
                let fresh = format!("{:?}", parser.parse(line.as_bytes()));
                let kept = format!("{:?}", parser.parse_with(line.as_bytes(), cache));
                assert_eq!(kept, fresh, "{line}");
            }
        }
    }

    #[test]
    fn service_named_delivery_agent() {
        let p = LineParser::default();
        let line = b"Aug 15 08:00:00 h postfix/dovecot[1]: ABCDEF1234: to=<u@x>, relay=dovecot, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered via dovecot service)";
        assert!(matches!(
            p.parse(line),
            Parsed::Postfix {
                event: Some(Event::Delivery(_)),
                ..
            }
        ));
    }
}
