//! Status codes: enhanced status codes (RFC 3463, `class.subject.detail`, with the details
//! registered since) and SMTP reply codes (RFC 5321), turned into catalogue keys.

/// An enhanced status code `class.subject.detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dsn {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl Dsn {
    pub fn parse(text: &str) -> Option<Dsn> {
        let mut parts = text.split('.');
        let (Some(c), Some(s), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let class = match c {
            "2" => 2,
            "4" => 4,
            "5" => 5,
            _ => return None,
        };
        let num = |p: &str| {
            (!p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        Some(Dsn {
            class,
            subject: num(s)?,
            detail: num(d)?,
        })
    }

    pub fn class_key(&self) -> String {
        format!("dsn.class.{}", self.class)
    }

    /// `dsn.subject.N`; the caller falls back to `dsn.subject.unknown` when the catalogue has
    /// no such subject.
    pub fn subject_key(&self) -> String {
        format!("dsn.subject.{}", self.subject)
    }

    /// `dsn.detail.S.D`; the caller falls back to `dsn.detail.unknown`.
    pub fn detail_key(&self) -> String {
        format!("dsn.detail.{}.{}", self.subject, self.detail)
    }
}

/// The key of an SMTP reply code: `smtp.550`, or by its first digit (`smtp.class.5`) when
/// the code itself has no entry — the caller decides with `Catalog::has`.
pub fn smtp_keys(code: u16) -> (String, String) {
    (format!("smtp.{code}"), format!("smtp.class.{}", code / 100))
}

/// A three-digit SMTP reply code at the start of `text` (`550 …`, `550-…`).
pub fn leading_smtp_code(text: &str) -> Option<u16> {
    let b = text.as_bytes();
    let code = b.get(..3)?;
    let next = b.get(3).copied();
    (code.iter().all(u8::is_ascii_digit)
        && matches!(code.first(), Some(b'2'..=b'5'))
        && matches!(next, None | Some(b' ') | Some(b'-')))
    .then(|| text[..3].parse().ok())
    .flatten()
}

/// The enhanced code that follows an SMTP reply code: `550 5.1.1 …` → `5.1.1`.
pub fn enhanced_after_code(text: &str) -> Option<&str> {
    leading_smtp_code(text)?;
    let word = text.get(4..)?.split(' ').next()?;
    Dsn::parse(word).map(|_| word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsn_codes_parse() {
        assert_eq!(
            Dsn::parse("5.1.1"),
            Some(Dsn {
                class: 5,
                subject: 1,
                detail: 1
            })
        );
        assert_eq!(
            Dsn::parse("4.7.26").unwrap().detail_key(),
            "dsn.detail.7.26"
        );
        assert_eq!(Dsn::parse("3.1.1"), None);
        assert_eq!(Dsn::parse("5.1"), None);
        assert_eq!(Dsn::parse("5.x.1"), None);
    }

    #[test]
    fn reply_codes_parse() {
        assert_eq!(
            leading_smtp_code("450 4.7.1 Service unavailable"),
            Some(450)
        );
        assert_eq!(leading_smtp_code("550-5.7.1 multi"), Some(550));
        assert_eq!(leading_smtp_code("4501 no"), None);
        assert_eq!(leading_smtp_code("delivered to mailbox"), None);
        assert_eq!(
            enhanced_after_code("450 4.7.1 Service unavailable"),
            Some("4.7.1")
        );
        assert_eq!(enhanced_after_code("250 Ok"), None);
    }
}
