//! Kinds of trouble, recognised from the words of a reply or a warning: each has a usual
//! cause (`class.ID`) and a fix (`class.ID.fix`, or `.fix.in` / `.fix.out` when it differs
//! between a client our server refused and mail of ours a remote server refused).

/// Reply texts (of smtpd's verdicts and of remote servers) → class, most specific first.
/// Matched case-insensitively anywhere in the text.
const REPLY_CLASSES: &[(&str, &[&str])] = &[
    (
        "dnsbl",
        &[
            "blocked using ",
            "listed by ",
            "listed at ",
            "listed in ",
            "dnsbl",
            " rbl ",
            "blacklisted",
            "blocklist",
            "spamhaus",
            "spamcop",
        ],
    ),
    ("relay_denied", &["relay access denied", "relaying denied"]),
    ("greylisted", &["greylist", "graylist"]),
    (
        "unknown_user",
        &[
            "user unknown",
            "unknown user",
            "no such user",
            "no such mailbox",
            "mailbox not found",
            "recipient not found",
            "invalid recipient",
            "address does not exist",
            "user doesn't exist",
            "user does not exist",
            "unknown recipient",
        ],
    ),
    (
        "mailbox_full",
        &[
            "mailbox full",
            "mailbox is full",
            "over quota",
            "quota exceeded",
            "quota",
        ],
    ),
    (
        "client_hostname",
        &[
            "cannot find your hostname",
            "cannot find your reverse hostname",
        ],
    ),
    ("client_policy", &["client host rejected"]),
    ("helo_policy", &["helo command rejected"]),
    ("sender_login", &["not owned by user"]),
    (
        "sender_domain",
        &["sender address rejected: domain not found"],
    ),
    ("sender_policy", &["sender address rejected"]),
    (
        "recipient_domain",
        &["recipient address rejected: domain not found"],
    ),
    (
        "unverified",
        &[
            "undeliverable address",
            "unverified address",
            "address verification",
        ],
    ),
    ("recipient_policy", &["recipient address rejected"]),
    (
        "size",
        &[
            "message size exceeds",
            "message too large",
            "message too big",
            "size limit",
            "message file too big",
        ],
    ),
    ("pipelining", &["improper use of smtp command pipelining"]),
    ("spf", &["spf"]),
    ("dmarc", &["dmarc", "dkim"]),
    (
        "tls_required",
        &[
            "must issue a starttls",
            "tls is required",
            "encryption required",
        ],
    ),
    (
        "auth",
        &[
            "authentication required",
            "authentication failed",
            "authentication credentials",
        ],
    ),
    ("too_many_recipients", &["too many recipients"]),
    ("storage", &["insufficient system storage"]),
    ("virus", &["infected", "virus", "malware"]),
    ("content", &["spam", "content rejected", "message content"]),
    ("conn_refused", &["connection refused"]),
    (
        "network",
        &[
            "no route to host",
            "network is unreachable",
            "host is unreachable",
        ],
    ),
    (
        "dns",
        &[
            "host or domain name not found",
            "name service error",
            "host not found",
        ],
    ),
    (
        "loop",
        &[
            "loops back to myself",
            "mail forwarding loop",
            "too many hops",
        ],
    ),
    ("lost_connection", &["lost connection"]),
    ("timeout", &["timed out", "connection timed out"]),
    ("refused_talk", &["refused to talk to me"]),
    ("suspended", &["delivery temporarily suspended"]),
    ("tls", &["tls", "ssl", "certificate"]),
    (
        "try_later",
        &["try again later", "try later", "temporarily"],
    ),
];

/// The class of trouble a reply or reason names, if its words are known.
pub fn reply_class(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    REPLY_CLASSES
        .iter()
        .find(|(_, needles)| needles.iter().any(|n| lower.contains(n)))
        .map(|(class, _)| *class)
}

/// Warnings and other diagnostics → class (`diag.class.ID`, with a fix
/// `diag.class.ID.fix`).
const DIAGNOSTIC_CLASSES: &[(&str, &[&str])] = &[
    (
        "fcrdns",
        &[
            "does not resolve to address",
            "address not listed for hostname",
            "verification failed: name or service not known",
        ],
    ),
    ("sasl", &["sasl"]),
    ("non_smtp", &["non-smtp command"]),
    ("no_interface", &["no local interface found"]),
    ("db_older", &["is older than source file"]),
    ("table_changed", &["has changed -- restarting"]),
    ("skipped", &["skipped, still being delivered"]),
    ("resent", &["resent-message-id="]),
    ("process_died", &["exit status", "killed by signal"]),
    (
        "rate_limit",
        &["rate limit exceeded", "count limit exceeded"],
    ),
    ("illegal_address", &["illegal address syntax"]),
    ("rbl_lookup", &["rbl lookup error"]),
    ("both_tables", &["in both mydestination and"]),
    (
        "queue_load",
        &["lots of deferred mail", "flushing the whole queue"],
    ),
    ("tls", &["tls library problem", "ssl_accept", "certificate"]),
    (
        "config",
        &[
            "unknown parameter",
            "unused parameter",
            "parameter",
            "main.cf",
            "master.cf",
        ],
    ),
];

pub fn diagnostic_class(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    DIAGNOSTIC_CLASSES
        .iter()
        .find(|(_, needles)| needles.iter().any(|n| lower.contains(n)))
        .map(|(class, _)| *class)
}

/// Every reply class, for the catalogue tests.
pub fn reply_classes() -> impl Iterator<Item = &'static str> {
    REPLY_CLASSES.iter().map(|(c, _)| *c)
}

/// Every diagnostic class, for the catalogue tests.
pub fn diagnostic_classes() -> impl Iterator<Item = &'static str> {
    DIAGNOSTIC_CLASSES.iter().map(|(c, _)| *c)
}

/// The command a remote reply answered: `… (in reply to RCPT TO command)` → `rcpt`.
pub fn in_reply_to(text: &str) -> Option<&'static str> {
    let at = text.rfind("(in reply to ")?;
    let command = text[at + 13..]
        .strip_suffix(')')
        .unwrap_or(&text[at + 13..]);
    let command = command.strip_suffix(" command").unwrap_or(command);
    Some(match command {
        "MAIL FROM" => "mail",
        "RCPT TO" => "rcpt",
        "DATA" => "data",
        "end of DATA" => "end_of_data",
        "HELO" | "EHLO" => "helo",
        "STARTTLS" => "starttls",
        "AUTH" => "auth",
        "initial greeting" => "greeting",
        _ => "other",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_classified_most_specific_first() {
        let c = reply_class;
        assert_eq!(
            c("554 5.7.1 <a@b>: Relay access denied"),
            Some("relay_denied")
        );
        assert_eq!(
            c("550 5.1.1 <a@b>: Recipient address rejected: User unknown in local recipient table"),
            Some("unknown_user")
        );
        assert_eq!(
            c("451 4.7.1 <a@b>: Recipient address rejected: Greylisted, try again later"),
            Some("greylisted")
        );
        assert_eq!(
            c("554 5.7.1 Service unavailable; Client host [192.0.2.5] blocked using zen.spamhaus.org"),
            Some("dnsbl")
        );
        assert_eq!(
            c("504 5.5.2 <badhelo>: Helo command rejected: need fully-qualified hostname"),
            Some("helo_policy")
        );
        assert_eq!(
            c("450 4.7.1 Service unavailable - try again later"),
            Some("try_later")
        );
        assert_eq!(
            c("connect to mx.down.test[127.0.0.9]:25: Connection refused"),
            Some("conn_refused")
        );
        assert_eq!(c("250 2.0.0 Ok"), None);
    }

    #[test]
    fn diagnostics_are_classified() {
        assert_eq!(
            diagnostic_class("hostname example.com does not resolve to address 192.0.2.1"),
            Some("fcrdns")
        );
        assert_eq!(
            diagnostic_class("parameter \"myhostname\": no local interface found"),
            Some("no_interface")
        );
    }

    #[test]
    fn the_command_a_reply_answered() {
        assert_eq!(
            in_reply_to("host h said: 450 4.7.1 x (in reply to RCPT TO command)"),
            Some("rcpt")
        );
        assert_eq!(
            in_reply_to("554 5.6.0 x (in reply to end of DATA command)"),
            Some("end_of_data")
        );
        assert_eq!(in_reply_to("delivered to mailbox"), None);
    }
}
