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

use crate::envelope::{self, Envelope, Severity, StampCache};
use crate::event::Event;
use queue_id::{lead, Lead};

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
#[derive(Debug, Clone, Default)]
pub struct LineParser {
    /// Extra syslog names (`--syslog-name`) besides those starting with `postfix`.
    syslog_names: Vec<Vec<u8>>,
}

impl LineParser {
    pub fn new(syslog_names: &[String]) -> LineParser {
        LineParser {
            syslog_names: syslog_names.iter().map(|s| s.as_bytes().to_vec()).collect(),
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
        let Some(envelope) = envelope::parse_with(line, stamps) else {
            *parsed = Parsed::Malformed;
            return;
        };
        if !self.is_postfix(envelope.program.syslog_name) {
            *parsed = Parsed::Foreign { envelope };
            return;
        }
        *parsed = Parsed::Postfix {
            envelope,
            event: None,
        };
        if let Parsed::Postfix { envelope, event } = parsed {
            *event = parse_text(envelope.program.daemon, envelope.severity, envelope.text);
        }
    }
}

/// Reads the text of a line written by `daemon`.
pub fn parse_text<'a>(daemon: &[u8], severity: Severity, text: &'a [u8]) -> Option<Event<'a>> {
    // `smtpd.local`: a service whose daemon name carries a suffix.
    let daemon = match bytes::find_byte(daemon, b'.') {
        Some(dot) => daemon.get(..dot).unwrap_or_default(),
        None => daemon,
    };
    let event = match daemon {
        b"smtpd" | b"qmqpd" => smtpd::parse(severity, text),
        b"postscreen" => postscreen::parse(text),
        b"dnsblog" => postscreen::parse_dnsblog(text),
        b"tlsproxy" => postscreen::parse_tlsproxy(text),
        b"cleanup" => cleanup::parse(text),
        b"pickup" => cleanup::parse_pickup(text),
        b"qmgr" | b"nqmgr" => qmgr::parse(text),
        b"bounce" | b"defer" | b"trace" => bounce::parse(text),
        b"master" => master::parse(text),
        b"postfix-script" => master::parse_script(text),
        b"postsuper" => master::parse_postsuper(text),
        b"anvil" | b"scache" | b"verify" | b"postscreen_cache" => text
            .starts_with(b"statistics: ")
            .then_some(Event::Statistics { text })
            .or_else(|| {
                text.starts_with(b"cache ")
                    .then_some(Event::Statistics { text })
            }),
        // smtp, lmtp, local, virtual, pipe, error, discard, retry — and any service name
        // master.cf gives a delivery agent (`postfix/dovecot`, `postfix/relay` …).
        _ => delivery::parse(text),
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
