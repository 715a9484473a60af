//! `--csv`: one row per recipient. Cells that a spreadsheet would run as a formula (`=`, `+`,
//! `-`, `@`, tab, CR) are prefixed with `'`.

use crate::correlate::Message;

pub const HEADER: &[&str] = &[
    "queue_id",
    "host",
    "first_seen",
    "last_seen",
    "client_name",
    "client_ip",
    "from",
    "message_id",
    "size",
    "message_status",
    "to",
    "orig_to",
    "status",
    "dsn",
    "relay",
    "delay",
    "attempts",
    "reply",
];

/// A CSV cell: quoted when needed, neutralised when it could be read as a formula.
pub fn cell(value: &str) -> String {
    let neutral = match value.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{value}"),
        _ => value.to_string(),
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

pub fn header() -> String {
    HEADER.join(",")
}

/// The rows of one message; a message without recipients gets one row with empty recipient
/// columns, so that it is not lost.
pub fn rows(m: &Message) -> Vec<String> {
    let client_name = m.client.as_ref().map(|c| c.name.as_str()).unwrap_or("");
    let client_ip = m.client.as_ref().map(|c| c.ip.as_str()).unwrap_or("");
    let first = m.first_seen.rfc3339();
    let last = m.last_seen.rfc3339();
    let size = m.size.map(|s| s.to_string()).unwrap_or_default();
    let common = [
        m.queue_id_str(),
        &m.host,
        &first,
        &last,
        client_name,
        client_ip,
        m.from.as_deref().unwrap_or(""),
        m.message_id.as_deref().unwrap_or(""),
        &size,
        m.status().as_str(),
    ]
    .map(cell)
    .join(",");
    if m.recipients.is_empty() {
        return vec![format!("{common},,,,,,,,")];
    }
    m.recipients
        .iter()
        .map(|r| {
            let last = r.last_attempt();
            let delay = last
                .and_then(|a| a.delay)
                .map(|d| d.to_string())
                .unwrap_or_default();
            let attempts = r.attempts.len().to_string();
            let fields = [
                r.to.as_str(),
                r.orig_to.as_deref().unwrap_or(""),
                r.status.as_str(),
                r.dsn().unwrap_or(""),
                last.and_then(|a| a.relay.as_deref()).unwrap_or(""),
                &delay,
                &attempts,
                r.reply().unwrap_or(""),
            ]
            .map(cell)
            .join(",");
            format!("{common},{fields}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_are_neutralised_and_quotes_doubled() {
        assert_eq!(cell("=cmd()"), "'=cmd()");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("plain"), "plain");
    }
}
