//! Which messages the user asked for: the trace query and the filters shared by `trace`,
//! `messages` (and later `follow`).

use crate::correlate::{Message, RecipientStatus};
use crate::time::Stamp;

/// What `trace QUERY` matches: a queue ID, a Message-ID, an address, or a client.
#[derive(Debug, Clone)]
pub struct Query {
    text: String,
    lower: String,
    message_id: String,
}

impl Query {
    pub fn new(text: &str) -> Query {
        let trimmed = text.trim();
        let message_id = trimmed
            .strip_prefix('<')
            .and_then(|t| t.strip_suffix('>'))
            .unwrap_or(trimmed);
        Query {
            text: trimmed.to_string(),
            lower: trimmed.to_lowercase(),
            message_id: message_id.to_string(),
        }
    }

    /// The query as Message-IDs are matched against it: trimmed, without `<>`.
    pub fn message_id_form(&self) -> &str {
        &self.message_id
    }

    /// The query in lower case, as addresses are matched against it (ignoring ASCII case).
    pub fn lower_form(&self) -> &str {
        &self.lower
    }

    /// Matched against every one of: queue ID, Message-ID, sender, recipients (also the
    /// original recipient), client IP and client name.
    pub fn matches(&self, m: &Message) -> bool {
        if m.queue_id
            .is_some_and(|q| q.as_str() == self.text || q.as_str().eq_ignore_ascii_case(&self.text))
        {
            return true;
        }
        if m.message_id
            .as_deref()
            .is_some_and(|id| !id.is_empty() && id == self.message_id)
        {
            return true;
        }
        if self.lower.contains('@') {
            let addr = |a: &str| a.eq_ignore_ascii_case(&self.lower);
            if m.from.as_deref().is_some_and(addr)
                || m.recipients
                    .iter()
                    .any(|r| addr(&r.to) || r.orig_to.as_deref().is_some_and(addr))
            {
                return true;
            }
        }
        m.client.as_ref().is_some_and(|c| {
            c.ip == self.text || (!c.name.is_empty() && c.name.eq_ignore_ascii_case(&self.text))
        })
    }
}

/// The `--from --to --status --since --until --host --client` filters.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub from: Option<String>,
    pub to: Option<String>,
    pub status: Vec<String>,
    pub since: Option<Stamp>,
    pub until: Option<Stamp>,
    pub host: Option<String>,
    pub client: Option<String>,
}

/// An address pattern: a whole address (`a@b.example`), or a domain (`b.example`,
/// `@b.example`) that also matches its subdomains. Case-insensitive.
pub fn address_matches(pattern: &str, address: &str) -> bool {
    let pattern = pattern.trim();
    if let Some(domain) = pattern.strip_prefix('@') {
        return domain_matches(domain, address);
    }
    if pattern.contains('@') {
        return pattern.eq_ignore_ascii_case(address);
    }
    domain_matches(pattern, address)
}

fn domain_matches(domain: &str, address: &str) -> bool {
    let Some((_, d)) = address.rsplit_once('@') else {
        return false;
    };
    let (d, domain) = (d.to_ascii_lowercase(), domain.to_ascii_lowercase());
    d == domain
        || d.strip_suffix(&domain)
            .is_some_and(|sub| sub.ends_with('.'))
}

/// The status words `--status` accepts.
pub const STATUS_WORDS: &[&str] = &[
    "sent",
    "delivered",
    "deferred",
    "bounced",
    "expired",
    "force-expired",
    "undeliverable",
    "deliverable",
    "held",
    "deleted",
    "discarded",
    "rejected",
    "queued",
    "mixed",
    "removed",
    "requeued",
    "abandoned",
    "incomplete",
];

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.from.is_none()
            && self.to.is_none()
            && self.status.is_empty()
            && self.since.is_none()
            && self.until.is_none()
            && self.host.is_none()
            && self.client.is_none()
    }

    pub fn matches(&self, m: &Message) -> bool {
        if let Some(p) = &self.from {
            if !m.from.as_deref().is_some_and(|f| address_matches(p, f)) {
                return false;
            }
        }
        if let Some(p) = &self.to {
            let any = m.recipients.iter().any(|r| {
                address_matches(p, &r.to)
                    || r.orig_to.as_deref().is_some_and(|o| address_matches(p, o))
            });
            if !any {
                return false;
            }
        }
        if !self.status.is_empty() {
            let message_status = m.status().as_str();
            let wanted = |w: &str| {
                let w = if w == "delivered" { "sent" } else { w };
                w == message_status || m.recipients.iter().any(|r| r.status.as_str() == w)
            };
            if !self.status.iter().any(|w| wanted(w)) {
                return false;
            }
        }
        if self.since.is_some_and(|s| m.last_seen < s)
            || self.until.is_some_and(|u| m.first_seen > u)
        {
            return false;
        }
        if self
            .host
            .as_deref()
            .is_some_and(|h| !m.host.eq_ignore_ascii_case(h))
        {
            return false;
        }
        if let Some(c) = &self.client {
            let hit = m.client.as_ref().is_some_and(|p| {
                p.ip == *c
                    || p.name.eq_ignore_ascii_case(c)
                    || (c.ends_with('.') && p.ip.starts_with(c.as_str()))
            });
            if !hit {
                return false;
            }
        }
        true
    }
}

/// Whether a recipient status counts as a failure (for colour and verdicts).
pub fn is_failure(s: RecipientStatus) -> bool {
    matches!(
        s.as_str(),
        "bounced"
            | "expired"
            | "force-expired"
            | "undeliverable"
            | "rejected"
            | "discarded"
            | "deleted"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_patterns() {
        assert!(address_matches("Bob@Example.com", "bob@example.com"));
        assert!(address_matches("example.com", "bob@mx.example.com"));
        assert!(address_matches("@example.com", "bob@example.com"));
        assert!(!address_matches("example.com", "bob@badexample.com"));
        assert!(!address_matches("a@example.com", "b@example.com"));
    }
}
