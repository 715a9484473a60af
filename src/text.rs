//! Log bytes to text, and text to what may safely reach a terminal.
//!
//! Log lines are bytes: most are UTF-8, some are Latin-1 or garbage, and parts of them (EHLO
//! names, addresses, remote replies) are written by strangers. Owned text keeps valid UTF-8 and
//! shows each invalid byte as `\xNN`; terminal output further escapes control characters so that
//! no log line can move the cursor, change colours or set the window title.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The bytes as a `String`, invalid UTF-8 bytes written as `\xNN`.
pub fn owned(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                for b in chunk.invalid() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
            out
        }
    }
}

/// Text made safe for a terminal: C0/C1 control characters, DEL and Unicode bidi overrides
/// are shown as `\xNN` / `\u{NNNN}`; everything else passes.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) {
            if (c as u32) < 0x100 {
                let _ = write!(out, "\\x{:02x}", c as u32);
            } else {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_escaped_not_rejected() {
        assert_eq!(owned(b"caf\xe9 ok"), "caf\\xe9 ok");
        assert_eq!(owned("日本".as_bytes()), "日本");
    }

    #[test]
    fn terminal_escapes_control_sequences() {
        assert_eq!(terminal("a\x1b[31mred\x07"), "a\\x1b[31mred\\x07");
        assert_eq!(terminal("plain"), "plain");
        assert_eq!(terminal("x\u{202e}y"), "x\\u{202e}y");
    }
}
