//! `--json`: one object per message per line. The schema is documented in docs/json.md; field
//! names are a contract with users' scripts.
//!
//! Written by hand, byte for byte what serde_json's compact writer made of the same fields
//! (numbers still go through serde_json): its string escaping looks at one byte at a time,
//! this one copies runs of plain bytes found eight bytes at a time.

use crate::correlate::message::RawLine;
use crate::correlate::{Attempt, Link, Message, Recipient, Rejection};
use crate::time::Stamp;

/// One message as a single line of JSON (no trailing newline).
pub fn message(m: &Message) -> String {
    let mut out = Vec::with_capacity(1024);
    write_message(m, &mut out);
    // Only `&str` text and ASCII are written: the fallback is never taken.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `message`, appended to `out`: `messages --json` serialises every message into one reused
/// buffer instead of a `String` each.
pub fn write_message(m: &Message, out: &mut Vec<u8>) {
    let mut j = Json {
        out,
        stamp: String::new(),
        stamp_of: None,
    };
    j.open("queue_id");
    j.string(m.queue_id_str());
    j.key("host");
    j.string(&m.host);
    j.key("instance");
    j.string(&m.instance);
    j.key("first_seen");
    j.stamp(m.first_seen);
    j.key("last_seen");
    j.stamp(m.last_seen);
    j.key("origin");
    j.opt_string(m.origin.map(|o| o.as_str()));
    j.key("service");
    j.opt_string(m.service.as_deref());
    j.key("client");
    match &m.client {
        Some(c) => {
            j.open("name");
            j.string(&c.name);
            j.key("ip");
            j.string(&c.ip);
            j.key("port");
            j.opt_string(c.port.as_deref());
            j.close();
        }
        None => j.null(),
    }
    j.key("helo");
    j.opt_string(m.helo.as_deref());
    j.key("sasl_method");
    j.opt_string(m.sasl_method.as_deref());
    j.key("sasl_username");
    j.opt_string(m.sasl_username.as_deref());
    j.key("tls");
    j.opt_string(m.tls.as_deref());
    j.key("session");
    match m.connected_at {
        Some(connected) => {
            j.open("connected_at");
            j.stamp(connected);
            j.key("disconnected_at");
            match m.disconnected_at {
                Some(t) => j.stamp(t),
                None => j.null(),
            }
            j.key("commands");
            j.opt_string(m.session_commands.as_deref());
            j.close();
        }
        None => j.null(),
    }
    j.key("uid");
    j.opt_number(m.uid.map(u64::from));
    j.key("from");
    j.opt_string(m.from.as_deref());
    j.key("size");
    j.opt_number(m.size);
    j.key("nrcpt");
    j.opt_number(m.nrcpt.map(u64::from));
    j.key("message_id");
    j.opt_string(m.message_id.as_deref());
    j.key("removed");
    j.boolean(m.removed());
    j.key("ended");
    j.opt_string(m.ending.map(|e| e.as_str()));
    j.key("held");
    j.boolean(m.held);
    j.key("status");
    j.string(m.status().as_str());
    j.key("recipients");
    j.array(m.recipients.iter(), recipient);
    j.key("links");
    j.array(m.links.iter(), link);
    j.key("rejects");
    j.array(m.rejections.iter(), reject);
    j.key("problems");
    j.array(m.problems.iter(), |j, (time, text)| {
        j.open("time");
        j.stamp(*time);
        j.key("text");
        j.string(text);
        j.close();
    });
    if !m.raw.is_empty() {
        j.key("lines");
        j.array(m.raw.iter(), raw_line);
    }
    j.close();
}

fn recipient(j: &mut Json<'_>, r: &Recipient) {
    let last = r.last_attempt();
    j.open("to");
    j.string(&r.to);
    j.key("orig_to");
    j.opt_string(r.orig_to.as_deref());
    j.key("status");
    j.string(r.status.as_str());
    j.key("dsn");
    j.opt_string(r.dsn());
    j.key("relay");
    j.opt_string(last.and_then(|a| a.relay.as_deref()));
    j.key("delay");
    j.opt_float(last.and_then(|a| a.delay));
    j.key("reply");
    j.opt_string(r.reply());
    j.key("deferrals");
    j.number(r.deferrals() as u64);
    j.key("attempts");
    j.array(r.attempts.iter(), attempt);
    j.close();
}

fn attempt(j: &mut Json<'_>, a: &Attempt) {
    j.open("time");
    j.stamp(a.time);
    j.key("agent");
    j.string(&a.agent);
    j.key("status");
    j.string(crate::correlate::RecipientStatus::Delivery(a.status).as_str());
    j.key("dsn");
    j.opt_string(a.dsn.as_deref());
    j.key("relay");
    j.opt_string(a.relay.as_deref());
    j.key("conn_use");
    j.opt_number(a.conn_use.map(u64::from));
    j.key("delay");
    j.opt_float(a.delay);
    j.key("delays");
    match &a.delays {
        Some(d) => {
            j.open("before_qmgr");
            j.float(d.before_qmgr);
            j.key("in_qmgr");
            j.float(d.in_qmgr);
            j.key("conn_setup");
            j.float(d.conn_setup);
            j.key("transmission");
            j.float(d.transmission);
            j.close();
        }
        None => j.null(),
    }
    j.key("reply");
    j.string(&a.reply);
    j.key("remote_queue_id");
    j.opt_string(a.remote_queue_id.as_deref());
    j.key("after_removal");
    j.boolean(a.after_removal);
    j.close();
}

fn reject(j: &mut Json<'_>, r: &Rejection) {
    j.open("time");
    j.stamp(r.time);
    j.key("daemon");
    j.string(&r.daemon);
    j.key("action");
    j.string(&r.action);
    j.key("stage");
    j.string(&r.stage);
    j.key("code");
    j.opt_number(r.code.map(u64::from));
    j.key("dsn");
    j.opt_string(r.dsn.as_deref());
    j.key("reply");
    j.string(&r.reply);
    j.key("from");
    j.opt_string(r.from.as_deref());
    j.key("to");
    j.opt_string(r.to.as_deref());
    j.key("matched");
    j.opt_string(r.matched.as_deref());
    j.close();
}

fn link(j: &mut Json<'_>, l: &Link) {
    j.open("kind");
    j.string(l.kind.as_str());
    j.key("queue_id");
    j.string(l.queue_id.as_str());
    // Left out when absent, not written as null.
    if let Some(host) = l.host.as_deref() {
        j.key("host");
        j.string(host);
    }
    if let Some(detail) = l.detail {
        j.key("detail");
        j.string(detail);
    }
    j.close();
}

fn raw_line(j: &mut Json<'_>, r: &RawLine) {
    j.open("source");
    j.string(&r.source);
    j.key("line");
    j.number(r.line_number);
    j.key("text");
    j.string(&r.text);
    j.close();
}

/// Compact JSON appended to a buffer. Objects are written member by member in a fixed order:
/// `open` writes `{` and the first key, `key` a comma and each further key.
struct Json<'o> {
    out: &'o mut Vec<u8>,
    /// The text of `stamp_of`, the last stamp written: a message's stamps often repeat (first
    /// and last seen, attempts in the same second), and `Stamp` writes into a `String`.
    stamp: String,
    stamp_of: Option<Stamp>,
}

impl Json<'_> {
    // Inlined: the keys are constants, so their bytes are stored without a call to `memcpy`.
    #[inline(always)]
    fn open(&mut self, first_key: &str) {
        self.out.extend_from_slice(b"{\"");
        self.out.extend_from_slice(first_key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    #[inline(always)]
    fn key(&mut self, key: &str) {
        self.out.extend_from_slice(b",\"");
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn close(&mut self) {
        self.out.push(b'}');
    }

    fn null(&mut self) {
        self.out.extend_from_slice(b"null");
    }

    fn boolean(&mut self, b: bool) {
        self.out
            .extend_from_slice(if b { b"true" as &[u8] } else { b"false" });
    }

    fn number(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                *d = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
            if rest == 0 || at == 0 {
                break;
            }
        }
        self.out
            .extend_from_slice(digits.get(at..).unwrap_or_default());
    }

    fn opt_number(&mut self, n: Option<u64>) {
        match n {
            Some(n) => self.number(n),
            None => self.null(),
        }
    }

    /// As serde_json writes it (shortest round-trip digits; `null` when not finite).
    fn float(&mut self, x: f64) {
        if serde_json::to_writer(&mut *self.out, &x).is_err() {
            self.null();
        }
    }

    fn opt_float(&mut self, x: Option<f64>) {
        match x {
            Some(x) => self.float(x),
            None => self.null(),
        }
    }

    /// An RFC 3339 stamp: digits and punctuation, nothing to escape.
    fn stamp(&mut self, t: Stamp) {
        if self.stamp_of != Some(t) {
            self.stamp.clear();
            t.write_rfc3339(&mut self.stamp);
            self.stamp_of = Some(t);
        }
        self.out.push(b'"');
        self.out.extend_from_slice(self.stamp.as_bytes());
        self.out.push(b'"');
    }

    fn opt_string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.string(s),
            None => self.null(),
        }
    }

    /// A JSON string, escaped as serde_json escapes: `"` and `\`, the short forms `\b \t \n
    /// \f \r`, `\u00xx` for the other control bytes; everything else as it is.
    fn string(&mut self, s: &str) {
        self.out.push(b'"');
        let mut rest = s.as_bytes();
        loop {
            let (plain, escaped) = rest
                .split_at_checked(plain_run(rest))
                .unwrap_or((rest, &[]));
            self.out.extend_from_slice(plain);
            let Some((&byte, after)) = escaped.split_first() else {
                break;
            };
            escape(self.out, byte);
            rest = after;
        }
        self.out.push(b'"');
    }

    fn array<'a, T: 'a>(
        &mut self,
        items: impl Iterator<Item = &'a T>,
        mut each: impl FnMut(&mut Self, &'a T),
    ) {
        self.out.push(b'[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            each(self, item);
        }
        self.out.push(b']');
    }
}

fn must_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// How many bytes from the start need no escape, eight bytes at a time: a byte is flagged by
/// the zero-byte test (`(w - 0x01…) & !w & 0x80…`) on the word XOR `"` and XOR `\`, and by
/// the less-than test for bytes below 0x20. A flag above a real match can be false (a borrow),
/// the lowest flag never is.
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    const SPACES: u64 = ONES * 0x20;
    let mut at = 0;
    let mut rest = bytes;
    while let Some(chunk) = rest.first_chunk::<8>() {
        let w = u64::from_le_bytes(*chunk);
        let quote = w ^ QUOTES;
        let backslash = w ^ BACKSLASHES;
        let flags = (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | w.wrapping_sub(SPACES) & !w)
            & HIGHS;
        if flags != 0 {
            return at + (flags.trailing_zeros() / 8) as usize;
        }
        at += 8;
        rest = rest.get(8..).unwrap_or_default();
    }
    at + rest
        .iter()
        .position(|&b| must_escape(b))
        .unwrap_or(rest.len())
}

fn escape(out: &mut Vec<u8>, byte: u8) {
    let hex = |n: u8| if n < 10 { b'0' + n } else { b'a' + n - 10 };
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x09 => b't',
        0x0a => b'n',
        0x0c => b'f',
        0x0d => b'r',
        _ => {
            out.extend_from_slice(b"\\u00");
            out.push(hex(byte >> 4));
            out.push(hex(byte & 0xf));
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        Json {
            out: &mut out,
            stamp: String::new(),
            stamp_of: None,
        }
        .string(s);
        out
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut texts: Vec<String> = (0u8..128).map(|b| char::from(b).to_string()).collect();
        texts.extend(
            [
                "",
                "plain text longer than eight bytes",
                "a\"b\\c\nd\te\u{1}f\u{7f}g",
                "ünïcödé \u{2028} and \"quotes\" after",
                "\u{1f}\u{1f}\u{1f}\u{1f}\u{1f}\u{1f}\u{1f}\u{1f}\u{1f}",
                "12345678\"12345678\\1234567\r",
                "!!!!!!!!\"########",
            ]
            .map(String::from),
        );
        for n in 0..20 {
            for special in ['"', '\\', '\n', '\u{0}', '\u{1f}', ' ', '!', '#', '\u{e9}'] {
                let mut s = "x".repeat(n);
                s.push(special);
                s.push_str(&"y".repeat(n % 9));
                texts.push(s);
            }
        }
        for t in &texts {
            let want = serde_json::to_vec(t).unwrap_or_default();
            assert_eq!(escaped(t), want, "{t:?}");
        }
    }

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 12345, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            Json {
                out: &mut out,
                stamp: String::new(),
                stamp_of: None,
            }
            .number(n);
            assert_eq!(out, serde_json::to_vec(&n).unwrap_or_default());
        }
    }
}
