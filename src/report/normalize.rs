//! Text the report groups by: remote replies with their variable parts folded, reject classes,
//! address folding (VERP, SRS, domain case) and domains.

use crate::text::has_ascii_uppercase;
use std::borrow::Cow;
use std::fmt::Write as _;

/// The longest normalised text kept.
const MAX_LEN: usize = 200;

/// A remote reply or a warning with what varies from one message to the next folded, so that
/// the same cause groups together: addresses become `<ADDR>` (or `ADDR`), other `<…>` contents
/// `<…>`, bracketed IPs `[IP]`, queue-ID-like tokens `ID`, numbers `N`. The leading SMTP code,
/// enhanced status codes (`5.1.1`) and host names stay. `host H[ip] said: ` is dropped: the
/// relay is shown beside the reason.
pub fn reply(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_LEN) + 8);
    reply_into(text, &mut out);
    out
}

/// `reply`, appended to `out`: grouping keys are built in one reused buffer, without a
/// `String` per reply.
pub fn reply_into(text: &str, out: &mut String) {
    let start = out.len();
    let text = text.trim();
    let text = match (text.strip_prefix("host "), text.find(" said: ")) {
        (Some(_), Some(at)) => &text[at + 7..],
        _ => text,
    };
    let mut rest = text;
    let mut first_word = true;
    while let Some(c) = rest.chars().next() {
        if out.len() - start >= MAX_LEN {
            out.push('…');
            break;
        }
        match c {
            '<' => {
                let end = rest
                    .as_bytes()
                    .get(1..)
                    .and_then(|t| memchr::memchr2(b'>', b'<', t))
                    .map(|e| e + 1);
                match end {
                    Some(e) if rest.as_bytes().get(e) == Some(&b'>') && e <= 512 => {
                        let inner = &rest[1..e];
                        out.push_str(if memchr::memchr(b'@', inner.as_bytes()).is_some() {
                            "<ADDR>"
                        } else {
                            "<…>"
                        });
                        rest = &rest[e + 1..];
                    }
                    _ => {
                        out.push('<');
                        rest = &rest[1..];
                    }
                }
                first_word = false;
            }
            '[' => {
                let end = memchr::memchr(b']', rest.as_bytes());
                match end {
                    Some(e) if e > 1 && is_ip(&rest[1..e]) => {
                        out.push_str("[IP]");
                        rest = &rest[e + 1..];
                    }
                    _ => {
                        out.push('[');
                        rest = &rest[1..];
                    }
                }
                first_word = false;
            }
            c if is_word_char(c) => {
                let end = word_len(rest);
                let word = &rest[..end];
                // An SMTP reply code inside the text (`refused to talk to me: 421 4.3.2 …`).
                let code = word.len() == 3
                    && word.bytes().all(|b| b.is_ascii_digit())
                    && matches!(word.as_bytes().first(), Some(b'2'..=b'5'))
                    && rest[end..].strip_prefix(' ').is_some_and(|r| {
                        r.as_bytes().get(1) == Some(&b'.')
                            && r.as_bytes().first().is_some_and(u8::is_ascii_digit)
                    });
                out.push_str(fold_word(word, first_word || code));
                first_word = false;
                rest = &rest[end..];
            }
            c => {
                // Collapse runs of white space.
                if c.is_whitespace() {
                    if !out[start..].ends_with(' ') {
                        out.push(' ');
                    }
                } else {
                    out.push(c);
                }
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    let trimmed = start + out[start..].trim_end().len();
    out.truncate(trimmed);
}

/// Replies seen most often are normalised once: keyed by the text as logged, at most
/// `MEMO_CAP` of them (forgotten all at once when full).
const MEMO_CAP: usize = 4096;

/// `reply` with a memory of the texts already normalised. A deferred recipient is retried with
/// the same reply again and again, and one remote failure answers many recipients alike, so
/// most replies repeat one seen before; looking it up costs a hash of the text, normalising it
/// a pass over every character.
#[derive(Default)]
pub struct ReplyMemo {
    known: hashbrown::HashMap<Box<str>, Box<str>, rustc_hash::FxBuildHasher>,
}

impl ReplyMemo {
    /// `reply_into`, from memory when `text` was seen before.
    pub fn reply_into(&mut self, text: &str, out: &mut String) {
        if let Some(normalised) = self.known.get(text) {
            out.push_str(normalised);
            return;
        }
        let start = out.len();
        reply_into(text, out);
        if self.known.len() >= MEMO_CAP {
            self.known.clear();
        }
        if let Some(normalised) = out.get(start..) {
            self.known.insert(Box::from(text), Box::from(normalised));
        }
    }
}

/// A warning or error with, besides what `reply` folds, the client or server names before
/// `[IP]` folded to `HOST`, so that one cause from many clients groups together.
pub fn diagnostic(text: &str) -> String {
    let r = reply(text);
    let mut out = String::with_capacity(r.len());
    let mut rest = r.as_str();
    while let Some(at) = rest.find("[IP]") {
        let before = &rest[..at];
        let start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| c.is_whitespace() || matches!(c, '(' | '<' | ',' | ';' | '='))
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        out.push_str(&before[..start]);
        out.push_str(if start < before.len() {
            "HOST[IP]"
        } else {
            "[IP]"
        });
        rest = &rest[at + 4..];
    }
    out.push_str(rest);
    // `hostname mail.example.com does not resolve …`, `hostname … verification failed`.
    if let Some(at) = out.find("hostname ") {
        let start = at + 9;
        let end = out[start..]
            .find(char::is_whitespace)
            .map_or(out.len(), |e| start + e);
        if end > start {
            out.replace_range(start..end, "HOST");
        }
    }
    out
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '<' | '>' | '[' | ']' | '(' | ')' | ',' | ';' | ':' | '"' | '\'' | '='
        )
}

/// The length in bytes of the word `text` starts with (up to the first non-word character).
/// ASCII, nearly all of a reply, is decided a byte at a time without decoding characters.
fn word_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii() {
            if !is_word_char(char::from(b)) {
                return i;
            }
            i += 1;
        } else {
            match text.get(i..).and_then(|t| t.chars().next()) {
                Some(c) if is_word_char(c) => i += c.len_utf8(),
                _ => return i,
            }
        }
    }
    i
}

fn is_ip(s: &str) -> bool {
    let s = s.strip_prefix("IPv6:").unwrap_or(s);
    let v4 = s.split('.').count() == 4
        && s.split('.')
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
    let v6 = s.contains(':')
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    v4 || v6
}

fn fold_word(word: &str, first: bool) -> &str {
    let bytes = word.as_bytes();
    if word.contains('@') {
        return "ADDR";
    }
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return word;
    }
    // The leading SMTP reply code stays.
    if first && bytes.len() == 3 && digits == 3 {
        return word;
    }
    // An enhanced status code: d.ddd.ddd
    let number = |p: &str| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit());
    let mut parts = word.split('.');
    if let (Some(class), Some(subject), Some(detail), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    {
        if class.len() == 1 && number(class) && number(subject) && number(detail) {
            return word;
        }
    }
    if is_ip(word) {
        return "IP";
    }
    // Numbers: 42, 0.12, 2525
    if bytes.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return "N";
    }
    // A queue ID or message ID: letters and digits only, long enough, both kinds.
    if bytes.len() >= 8
        && bytes.iter().all(u8::is_ascii_alphanumeric)
        && digits >= 2
        && digits < bytes.len()
    {
        return "ID";
    }
    word
}

/// What kind of reject it was, for grouping: `(class, detail)` where detail names the DNSBL.
pub fn reject_class(
    daemon: &str,
    action: &str,
    stage: &str,
    reply: &str,
) -> (&'static str, Option<String>) {
    if let Some(at) = reply.find("blocked using ") {
        let list = reply[at + 14..]
            .split([';', ',', ' '])
            .next()
            .unwrap_or("")
            .trim_end_matches('.');
        return ("dnsbl", Some(list.to_string()));
    }
    if action.starts_with("milter-") {
        return ("milter", None);
    }
    if daemon == "cleanup" {
        return match stage {
            "header" => ("header checks", None),
            "body" => ("body checks", None),
            _ => ("content checks", None),
        };
    }
    if daemon == "postscreen" {
        return ("postscreen", None);
    }
    let has = |s: &str| reply.contains(s);
    let class =
        if has("User unknown") || has("user unknown") || has("Unknown user") || has("No such user")
        {
            "unknown user"
        } else if has("Relay access denied") {
            "relay access denied"
        } else if has("Helo command rejected") {
            "helo policy"
        } else if has("Sender address rejected") {
            "sender policy"
        } else if has("Client host rejected") {
            "client policy"
        } else if has("Recipient address rejected") {
            "recipient policy"
        } else if has("Message size exceeds") {
            "message size"
        } else if has("Data command rejected") || has("End-of-data rejected") {
            "data policy"
        } else if has("Protocol error") || has("pipelining") {
            "protocol error"
        } else if has("Etrn command rejected") || has("Service unavailable") || has("Access denied")
        {
            "access policy"
        } else {
            "other"
        };
    (class, None)
}

/// The domain of an address (after the last `@`), empty for a local name.
pub fn domain(address: &str) -> &str {
    address.get(domain_start(address)..).unwrap_or("")
}

/// Where `domain` starts: after the last `@`, or the length of a local name.
pub fn domain_start(address: &str) -> usize {
    memchr::memrchr(b'@', address.as_bytes()).map_or(address.len(), |at| at + 1)
}

/// How addresses are folded before counting.
#[derive(Debug, Clone, Copy, Default)]
pub struct AddressFolding {
    /// pflogsumm's `--verp-mung` level: 0 off, 1 numbers, 2 also `user=domain` VERP.
    pub verp: u8,
    pub srs: bool,
}

impl AddressFolding {
    /// The address as counted: SRS decoded, VERP folded, the domain in lower case (as
    /// pflogsumm does).
    pub fn fold<'a>(&self, address: &'a str) -> Cow<'a, str> {
        let mut a: Cow<'a, str> = Cow::Borrowed(address);
        if self.srs {
            if let Some(decoded) = srs_decode(&a) {
                a = Cow::Owned(decoded);
            }
        }
        if self.verp >= 1 {
            if let Some(folded) = verp_numbers(&a) {
                a = Cow::Owned(folded);
            }
        }
        if self.verp >= 2 {
            if let Some(folded) = verp_user_domain(&a) {
                a = Cow::Owned(folded);
            }
        }
        lower_domain(a)
    }
}

/// `User@Example.COM` → `User@example.com`; no allocation when already lower case.
pub fn lower_domain(a: Cow<'_, str>) -> Cow<'_, str> {
    // Most addresses hold no capital letter at all: one look at the whole address (eight
    // bytes at a time) hands them back; only the others are searched for their `@` and their
    // domain looked at.
    let bytes = a.as_bytes();
    if !has_ascii_uppercase(bytes) {
        return a;
    }
    let upper_after_at = bytes
        .iter()
        .position(|&b| b == b'@')
        .is_some_and(|at| has_ascii_uppercase(bytes.get(at..).unwrap_or_default()));
    if !upper_after_at {
        return a;
    }
    let mut s = a.into_owned();
    if let Some(at) = s.find('@') {
        s[at..].make_ascii_lowercase();
    }
    s.into()
}

/// pflogsumm's first VERP rule, `s/((?:bounce[ds]?|no(?:list|reply|response)|return|sentto|\d+)
/// .*?)(?:[\+_\.\*-]\d+\b)+/$1-ID/i`, without a regex engine.
pub fn verp_numbers(a: &str) -> Option<String> {
    let b = a.as_bytes();
    let lower = a.to_ascii_lowercase();
    let l = lower.as_bytes();
    const WORDS: [&[u8]; 6] = [
        b"bounce",
        b"nolist",
        b"noreply",
        b"noresponse",
        b"return",
        b"sentto",
    ];
    for (i, c) in b.iter().enumerate() {
        let keyword_end = if c.is_ascii_digit() {
            Some(i + 1)
        } else {
            WORDS
                .iter()
                .find(|w| l.get(i..).is_some_and(|t| t.starts_with(w)))
                .map(|w| i + w.len())
        };
        let Some(k) = keyword_end else { continue };
        // Lazy `.*?`: the first position from k where the repeated group matches.
        for j in k..b.len() {
            let end = verp_groups(b, j);
            if end > j {
                let mut out = String::with_capacity(a.len());
                out.push_str(&a[..j]);
                out.push_str("-ID");
                out.push_str(&a[end..]);
                return Some(out);
            }
        }
    }
    None
}

/// `(?:[\+_\.\*-]\d+\b)+` at `j`: the end of the longest match, or `j`.
fn verp_groups(b: &[u8], mut j: usize) -> usize {
    let start = j;
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    // The byte at k, or 0 past the end (matches no class below).
    let at = |k: usize| b.get(k).copied().unwrap_or(0);
    loop {
        if !matches!(at(j), b'+' | b'_' | b'.' | b'*' | b'-') {
            return j.max(start);
        }
        let mut d = j + 1;
        while at(d).is_ascii_digit() {
            d += 1;
        }
        if d == j + 1 || is_word(at(d)) {
            return j.max(start);
        }
        j = d;
    }
}

/// pflogsumm's second VERP rule, `s/[\*-](\d+[\*-])?[^=\*-]+[=\*][^\@]+\@/\@/`.
pub fn verp_user_domain(a: &str) -> Option<String> {
    let b = a.as_bytes();
    let special = |c: u8| matches!(c, b'=' | b'*' | b'-');
    // The byte at k, or 0 past the end (matches no class below).
    let byte = |k: usize| b.get(k).copied().unwrap_or(0);
    for i in 0..b.len() {
        if !matches!(byte(i), b'*' | b'-') {
            continue;
        }
        let mut starts = Vec::with_capacity(2);
        // With the optional `\d+[\*-]` first (greedy), then without.
        let mut d = i + 1;
        while byte(d).is_ascii_digit() {
            d += 1;
        }
        if d > i + 1 && matches!(byte(d), b'*' | b'-') {
            starts.push(d + 1);
        }
        starts.push(i + 1);
        for s in starts {
            let mut p = s;
            while p < b.len() && !special(byte(p)) {
                p += 1;
            }
            if p == s || !matches!(byte(p), b'=' | b'*') {
                continue;
            }
            let q = p + 1;
            let Some(at) = b.get(q..).and_then(|t| t.iter().position(|&c| c == b'@')) else {
                continue;
            };
            if at == 0 {
                continue;
            }
            let at = q + at;
            return Some(format!("{}@{}", &a[..i], &a[at + 1..]));
        }
    }
    None
}

/// `SRS0=HHH=TT=domain=local@forwarder` (or `SRS1=HHH=forwarder==HHH=TT=domain=local@…`)
/// → `local@domain`.
pub fn srs_decode(a: &str) -> Option<String> {
    let (local, _) = a.rsplit_once('@')?;
    let head = local.get(..5)?;
    let body = local.get(5..)?;
    let kind = head.get(..4)?.to_ascii_uppercase();
    if !matches!(head.as_bytes().get(4), Some(b'=' | b'+' | b'-')) {
        return None;
    }
    let srs0 = match kind.as_str() {
        "SRS0" => body,
        // SRS1=HHH=first-forwarder==HHH=TT=domain=local
        "SRS1" => body.split_once("==").map(|(_, rest)| rest)?,
        _ => return None,
    };
    let mut parts = srs0.splitn(4, '=');
    let (_hash, _stamp, domain, user) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if domain.is_empty() || user.is_empty() {
        return None;
    }
    Some(format!("{user}@{domain}"))
}

/// pflogsumm's `gimme_domain` for a client: `mach.host.dom` → `host.dom` (three labels kept
/// for `x.co.uk`-like names), the IP when the name is `unknown`.
pub fn client_domain(name: &str, ip: &str) -> String {
    if name.is_empty() || name == "unknown" {
        return ip.to_string();
    }
    let labels: Vec<&str> = name.split('.').collect();
    let n = labels.len();
    let (Some(last), Some(second)) = (labels.last(), labels.iter().rev().nth(1)) else {
        return name.to_ascii_lowercase();
    };
    if n < 3 {
        return name.to_ascii_lowercase();
    }
    // pflogsumm: `([^\.]+)\.([^\.]{3}|[^\.]{2,3}\.[^\.]{2})$`
    let keep = if last.len() == 3 {
        2
    } else if last.len() == 2 && (2..=3).contains(&second.len()) {
        3
    } else {
        return name.to_ascii_lowercase();
    };
    let mut out = String::new();
    for (i, l) in labels.iter().skip(n - keep).enumerate() {
        if i > 0 {
            out.push('.');
        }
        let _ = write!(out, "{}", l.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_domain_is_lowered() {
        for (address, folded, borrowed) in [
            ("user@example.com", "user@example.com", true),
            ("User.Name@example.com", "User.Name@example.com", true),
            ("User@Example.COM", "User@example.com", false),
            ("a@b@C.org", "a@b@c.org", false),
            ("LocalUser", "LocalUser", true),
            ("", "", true),
        ] {
            let out = lower_domain(Cow::Borrowed(address));
            assert_eq!(out, folded, "{address}");
            assert_eq!(matches!(out, Cow::Borrowed(_)), borrowed, "{address}");
        }
    }

    #[test]
    fn replies_fold_what_varies() {
        assert_eq!(
            reply("host mx1.remote.test[127.0.0.6] said: 550 5.1.1 <bounce-s03@remote.test>: Recipient address rejected: User unknown in lab mailbox table (in reply to RCPT TO command)"),
            "550 5.1.1 <ADDR>: Recipient address rejected: User unknown in lab mailbox table (in reply to RCPT TO command)"
        );
        assert_eq!(
            reply("connect to mx.down.test[127.0.0.9]:2525: Connection refused"),
            "connect to mx.down.test[IP]:N: Connection refused"
        );
        assert_eq!(
            reply("host 127.0.0.1[127.0.0.1] said: 554 5.7.0 Reject, id=FX000001 - INFECTED: Lab.Test.Signature (in reply to end of DATA command)"),
            "554 5.7.0 Reject, id=ID - INFECTED: Lab.Test.Signature (in reply to end of DATA command)"
        );
        assert_eq!(
            reply("250 2.0.0 Ok: queued as 4jcHMm1xQLz5nMK"),
            "250 2.0.0 Ok: queued as ID"
        );
        assert_eq!(
            reply("host mx.greet421.test[127.0.0.12] refused to talk to me: 421 4.3.2 Service not available"),
            "host mx.greet421.test[IP] refused to talk to me: 421 4.3.2 Service not available"
        );
        assert_eq!(
            reply("lost connection after DATA (80 bytes)"),
            "lost connection after DATA (N bytes)"
        );
    }

    #[test]
    fn diagnostics_fold_hosts() {
        assert_eq!(
            diagnostic("non-SMTP command from mail.example.com[192.0.2.7]: GET / HTTP/1.1"),
            "non-SMTP command from HOST[IP]: GET / HTTP/1.1"
        );
        assert_eq!(
            diagnostic("hostname host-1.dyn.example does not resolve to address 198.51.100.101: Name or service not known"),
            "hostname HOST does not resolve to address IP: Name or service not known"
        );
    }

    #[test]
    fn reject_classes() {
        assert_eq!(
            reject_class("smtpd", "reject", "RCPT", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://x"),
            ("dnsbl", Some("zen.spamhaus.org".to_string()))
        );
        assert_eq!(
            reject_class(
                "smtpd",
                "reject",
                "RCPT",
                "554 5.7.1 <a@b>: Relay access denied"
            )
            .0,
            "relay access denied"
        );
        assert_eq!(
            reject_class("cleanup", "reject", "header", "5.7.1 no").0,
            "header checks"
        );
        assert_eq!(
            reject_class("smtpd", "milter-reject", "END-OF-MESSAGE", "5.7.1 spam").0,
            "milter"
        );
    }

    #[test]
    fn verp_as_pflogsumm_1_1_5_does() {
        // (address, --verp-mung, --verp-mung=2), computed with pflogsumm 1.1.5's regexes in perl.
        let cases = [
            (
                "bounce-123-456@list.example",
                "bounce-ID@list.example",
                "bounce-ID@list.example",
            ),
            (
                "owner-list-12345@x.example",
                "owner-list-12345@x.example",
                "owner-list-12345@x.example",
            ),
            (
                "alice@example.com",
                "alice@example.com",
                "alice@example.com",
            ),
            ("sentto-9876.4321@y", "sentto-ID@y", "sentto-ID@y"),
            (
                "bounce-user=example.com@list.org",
                "bounce-user=example.com@list.org",
                "bounce@list.org",
            ),
            (
                "prvs=1234abcd=joe@example.com",
                "prvs=1234abcd=joe@example.com",
                "prvs=1234abcd=joe@example.com",
            ),
            (
                "Bounces+12345-67@Mail.Example",
                "Bounces-ID@Mail.Example",
                "Bounces-ID@Mail.Example",
            ),
            ("noreply.5512@x.org", "noreply-ID@x.org", "noreply-ID@x.org"),
            (
                "msprvs1=17ab=bounces-1234@x.com",
                "msprvs1=17ab=bounces-ID@x.com",
                "msprvs1=17ab=bounces-ID@x.com",
            ),
            (
                "list-return-42-joe=x.com@lists.org",
                "list-return-ID-joe=x.com@lists.org",
                "list-return-ID@lists.org",
            ),
            ("12345.678_9@x", "12345.678-ID@x", "12345.678-ID@x"),
            ("returns-1_2@x", "returns-1-ID@x", "returns-1-ID@x"),
            ("a1-22@x", "a1-ID@x", "a1-ID@x"),
            ("x-1*2@y", "x-1-ID@y", "x-1-ID@y"),
            ("bounce-12a@x", "bounce-12a@x", "bounce-12a@x"),
            (
                "newsletter-bounces+joe=example.com@news.example",
                "newsletter-bounces+joe=example.com@news.example",
                "newsletter@news.example",
            ),
            (
                "btv1==123==joe@x.com",
                "btv1==123==joe@x.com",
                "btv1==123==joe@x.com",
            ),
            ("0-9@z", "0-ID@z", "0-ID@z"),
            ("NOREPLY-1-2-3@q", "NOREPLY-ID@q", "NOREPLY-ID@q"),
            ("bounce@x.com", "bounce@x.com", "bounce@x.com"),
        ];
        for (a, one, two) in cases {
            assert_eq!(verp_numbers(a).as_deref().unwrap_or(a), one, "{a}");
            let first = verp_numbers(a).unwrap_or_else(|| a.to_string());
            assert_eq!(
                verp_user_domain(&first).unwrap_or(first.clone()),
                two,
                "{a}"
            );
        }
    }

    #[test]
    fn verp_like_pflogsumm() {
        // Checked against pflogsumm 1.1.5's verp_mung with perl.
        assert_eq!(
            verp_numbers("bounce-123-456@list.example").as_deref(),
            Some("bounce-ID@list.example")
        );
        assert_eq!(verp_numbers("owner-list-12345@x.example").as_deref(), None);
        assert_eq!(verp_numbers("alice@example.com"), None);
        assert_eq!(
            verp_numbers("sentto-9876.4321@y").as_deref(),
            Some("sentto-ID@y")
        );
        assert_eq!(
            verp_user_domain("bounce-user=example.com@list.org").as_deref(),
            Some("bounce@list.org")
        );
        let f = AddressFolding { verp: 2, srs: true };
        assert_eq!(
            f.fold("SRS0=HHH=TT=Example.ORG=joe@fwd.example"),
            "joe@example.org"
        );
        assert_eq!(f.fold("Joe@Example.COM"), "Joe@example.com");
    }

    #[test]
    fn srs_forms() {
        assert_eq!(
            srs_decode("SRS0=a1b2=XY=orig.example=joe@fwd.example").as_deref(),
            Some("joe@orig.example")
        );
        assert_eq!(
            srs_decode("SRS1=zz=fwd1.example==a1b2=XY=orig.example=joe@fwd2.example").as_deref(),
            Some("joe@orig.example")
        );
        assert_eq!(srs_decode("joe@example.com"), None);
    }

    #[test]
    fn client_domains_like_gimme_domain() {
        assert_eq!(
            client_domain("mail.host.example.com", "192.0.2.1"),
            "example.com"
        );
        assert_eq!(
            client_domain("mx.example.co.uk", "192.0.2.1"),
            "example.co.uk"
        );
        assert_eq!(client_domain("unknown", "192.0.2.1"), "192.0.2.1");
        assert_eq!(client_domain("localhost", "127.0.0.1"), "localhost");
    }
}
