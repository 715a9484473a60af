//! The text a message keeps: shared, immutable strings, and the tables that share them.
//!
//! A message in flight keeps a dozen strings, most of them drawn from small sets that repeat
//! line after line: delivery agents, DSNs, relays, clients, HELO names, senders and recipients.
//! A `String` each cost an allocation per line and a free per message, and 24 bytes per field.
//! `Text` is an atomically reference-counted `str` (16 bytes, or 16 as an `Option`; atomic so
//! that finished messages can be handed to a sink on another thread); `Strings` hands out the
//! same `Text` for the same bytes, so a repeated value costs a hash lookup and a count.

use crate::text::{owned, same_bytes, utf8};
use rustc_hash::FxHashSet as HashSet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// A shared, immutable string: reads as a `str`, clones by a reference count.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Text(Arc<str>);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Log bytes as text, invalid UTF-8 bytes written as `\xNN` (see `crate::text::owned`).
    pub fn from_bytes(bytes: &[u8]) -> Text {
        match utf8(bytes) {
            Some(s) => Text::from(s),
            None => Text::from(owned(bytes)),
        }
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(Arc::from(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(Arc::from(s))
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0.to_string()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        String::deserialize(d).map(Text::from)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

/// Hands out one shared `Text` for each distinct string it is given.
///
/// Looked up by the log's bytes, so that a hit costs a hash and a comparison, without
/// checking the bytes for UTF-8 again. Bounded: past `cap` distinct strings the table starts
/// afresh (the texts already handed out stay valid, they are only no longer shared with later
/// ones), so that input made of ever new strings — a flood of distinct senders — costs no
/// memory beyond the messages that hold them.
#[derive(Debug)]
pub(crate) struct Strings {
    set: HashSet<Entry>,
    cap: usize,
    /// The texts handed out last: most lines repeat a recent value (the same agent, DSN,
    /// relay, client), and comparing a few lengths, and the bytes of one of the same length,
    /// costs less than hashing the bytes and probing the table.
    recent: [Text; RECENT],
    next_recent: usize,
}

/// How many of the texts handed out last a table compares before it looks up.
const RECENT: usize = 4;

/// A table entry: its text, hashed and compared as bytes.
#[derive(Debug, PartialEq, Eq)]
struct Entry(Text);

impl Hash for Entry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.as_bytes().hash(state);
    }
}

impl Borrow<[u8]> for Entry {
    fn borrow(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Strings {
    pub(crate) fn new(cap: usize) -> Strings {
        Strings {
            set: HashSet::default(),
            cap: cap.max(1),
            recent: Default::default(),
            next_recent: 0,
        }
    }

    /// Inlined up to a recent text, which most calls find: a call each cost more than the
    /// comparisons.
    #[inline]
    pub(crate) fn get(&mut self, bytes: &[u8]) -> Text {
        match self.recent(bytes) {
            Some(t) => t,
            None => self.look_up(bytes),
        }
    }

    /// `get` for bytes none of the recent texts has.
    #[inline(never)]
    fn look_up(&mut self, bytes: &[u8]) -> Text {
        let t = match self.set.get(bytes) {
            Some(e) => e.0.clone(),
            // Bytes that are not UTF-8 are kept in their escaped form, under which they are
            // not found again: each such string is a text of its own, rare and harmless.
            None => self.insert(Text::from_bytes(bytes)),
        };
        self.remember(&t);
        t
    }

    pub(crate) fn get_str(&mut self, s: &str) -> Text {
        if let Some(t) = self.recent(s.as_bytes()) {
            return t;
        }
        let t = match self.set.get(s.as_bytes()) {
            Some(e) => e.0.clone(),
            None => self.insert(Text::from(s)),
        };
        self.remember(&t);
        t
    }

    /// One of the texts handed out last, if it has these very bytes.
    #[inline]
    fn recent(&self, bytes: &[u8]) -> Option<Text> {
        self.recent
            .iter()
            .find(|t| same_bytes(t.as_bytes(), bytes))
            .cloned()
    }

    fn remember(&mut self, t: &Text) {
        if let Some(slot) = self.recent.get_mut(self.next_recent) {
            *slot = t.clone();
        }
        self.next_recent = (self.next_recent + 1) % RECENT;
    }

    fn insert(&mut self, t: Text) -> Text {
        if self.set.len() >= self.cap {
            self.set.clear();
        }
        self.set.insert(Entry(t.clone()));
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_give_the_same_shared_text() {
        let mut s = Strings::new(8);
        let a = s.get(b"smtp");
        let b = s.get(b"smtp");
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert!(Arc::ptr_eq(&a.0, &s.get_str("smtp").0));
        assert_eq!(a, "smtp");
        assert_eq!(s.get(b"caf\xe9"), "caf\\xe9");
    }

    #[test]
    fn recent_texts_are_handed_out_again_only_for_the_same_bytes() {
        let mut s = Strings::new(8);
        let smtp = s.get(b"smtp");
        let other = s.get(b"smt\xf0");
        for _ in 0..3 {
            assert!(Arc::ptr_eq(&smtp.0, &s.get(b"smtp").0));
            assert!(Arc::ptr_eq(&smtp.0, &s.get_str("smtp").0));
            assert_eq!(s.get(b"smtq"), "smtq");
            assert_eq!(s.get(b"smt"), "smt");
            assert_eq!(s.get(b"smt\xf0"), other);
            assert_eq!(s.get(b""), "");
        }
        // Past the table's cap it starts afresh; a recent text stays right.
        for i in 0..20 {
            assert_eq!(s.get(i.to_string().as_bytes()), i.to_string());
        }
        assert_eq!(s.get(b"smtp"), "smtp");
    }

    #[test]
    fn the_table_stays_bounded_and_its_texts_valid() {
        let mut s = Strings::new(4);
        let first = s.get(b"0");
        for i in 0..100 {
            let t = s.get(i.to_string().as_bytes());
            assert_eq!(t, i.to_string());
        }
        assert!(s.set.len() <= 4);
        assert_eq!(first, "0");
    }
}
