//! The verdict: what happened to a message, in plain words, naming the stage where it went
//! wrong — "bounced by smtp: mail.example.com[203.0.113.1] said 550 5.1.1 User unknown (in reply
//! to RCPT TO command)".

use crate::correlate::message::Ending;
use crate::correlate::{Message, Recipient, RecipientStatus};
use crate::parse::delivery::remote_said;

/// The remote's words from a reply `host H said: 550 … (in reply to …)`, as `H said 550 …`;
/// other replies as they are.
pub fn reason(reply: &str) -> String {
    match remote_said(reply.as_bytes()) {
        Some((host, said)) => format!(
            "{} said {}",
            String::from_utf8_lossy(host),
            String::from_utf8_lossy(said)
        ),
        None => reply.to_string(),
    }
}

fn agent(r: &Recipient) -> &str {
    r.last_attempt()
        .map(|a| a.agent.as_str())
        .unwrap_or("postfix")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// One sentence per group of recipients that share a fate, worst first.
pub fn verdict(m: &Message) -> Vec<String> {
    let mut lines = Vec::new();
    match m.ending {
        Some(Ending::Requeued) => {
            let next = m
                .links
                .iter()
                .find(|l| l.kind.as_str() == "requeued_as")
                .map(|l| l.queue_id.to_string());
            lines.push(match next {
                Some(id) => format!("requeued by postsuper -r; it continues as {id}"),
                None => "requeued by postsuper -r; it continues under a new queue ID".to_string(),
            });
        }
        Some(Ending::Deleted) => lines.push("deleted from the queue by postsuper -d".to_string()),
        Some(Ending::Abandoned) => lines.push(
            "abandoned: the client went away while sending it; smtpd gave up and the queue file was discarded"
                .to_string(),
        ),
        _ => {}
    }
    // Worst first: failures, then what is still waiting, then what went well.
    let mut recipients: Vec<&Recipient> = m.recipients.iter().collect();
    recipients.sort_by_key(|r| match r.status {
        s if crate::select::is_failure(s) => 0,
        RecipientStatus::SENT
        | RecipientStatus::Delivery(crate::event::DeliveryStatus::Deliverable) => 2,
        _ => 1,
    });
    for r in recipients {
        let sentence = match r.status {
            RecipientStatus::SENT => {
                let via = r
                    .last_attempt()
                    .and_then(|a| a.relay.clone())
                    .unwrap_or_default();
                format!("sent to {} by {} via {}", r.to, agent(r), via)
            }
            RecipientStatus::DEFERRED => format!(
                "deferred by {} and still queued after {}: {}",
                agent(r),
                plural(r.deferrals(), "attempt"),
                reason(r.reply().unwrap_or(""))
            ),
            RecipientStatus::Delivery(crate::event::DeliveryStatus::Bounced) => {
                format!(
                    "bounced by {} for {}: {}",
                    agent(r),
                    r.to,
                    reason(r.reply().unwrap_or(""))
                )
            }
            RecipientStatus::Delivery(
                s @ (crate::event::DeliveryStatus::Expired
                | crate::event::DeliveryStatus::ForceExpired),
            ) => {
                let word = if s == crate::event::DeliveryStatus::Expired {
                    "expired"
                } else {
                    "force-expired"
                };
                // A message from the null sender (itself a notification) has no one to return
                // to: Postfix drops it (at most a copy goes to the postmaster).
                let returned = if m.from.as_deref() == Some("") {
                    "dropped: the null sender gets no notification"
                } else {
                    "returned to sender"
                };
                format!(
                    "{word} in qmgr for {} after {} and {returned}; last reason: {}",
                    r.to,
                    plural(r.deferrals(), "deferral"),
                    reason(r.reply().unwrap_or("none logged"))
                )
            }
            RecipientStatus::Delivery(other) => format!(
                "{} by {} for {}: {}",
                RecipientStatus::Delivery(other).as_str(),
                agent(r),
                r.to,
                reason(r.reply().unwrap_or(""))
            ),
            RecipientStatus::Rejected => match &r.verdict {
                Some(v) => format!(
                    "rejected by {} at {} for {}: {}",
                    v.daemon, v.stage, r.to, v.reply
                ),
                None => format!("rejected for {}", r.to),
            },
            RecipientStatus::Held => match &r.verdict {
                Some(v) => format!(
                    "held by {} ({} check{}): {}",
                    v.daemon,
                    v.stage,
                    matched(v.matched.as_deref()),
                    v.reply
                ),
                None => format!("held in the hold queue (postsuper -h) for {}", r.to),
            },
            RecipientStatus::Discarded => match &r.verdict {
                Some(v) => format!(
                    "discarded by {} ({} check{}): {}",
                    v.daemon,
                    v.stage,
                    matched(v.matched.as_deref()),
                    v.reply
                ),
                None => format!("discarded for {}", r.to),
            },
            RecipientStatus::Deleted | RecipientStatus::Requeued => continue,
            RecipientStatus::Queued if m.removed() => {
                format!("{}: no delivery line for this recipient in the input", r.to)
            }
            RecipientStatus::Queued => {
                format!("{}: in the queue, no delivery attempt logged yet", r.to)
            }
        };
        lines.push(sentence);
    }
    if m.recipients.is_empty() {
        if let Some(v) = m
            .rejections
            .iter()
            .find(|v| matches!(v.action.as_str(), "reject" | "milter-reject" | "defer"))
        {
            lines.push(format!(
                "rejected by {} at {}: {}",
                v.daemon, v.stage, v.reply
            ));
        } else if m.held {
            lines.push("held in the hold queue".to_string());
        } else if m.removed() && m.ending != Some(Ending::Deleted) {
            lines.push(
                "removed from the queue; its delivery lines are not in the input".to_string(),
            );
        } else if m.status() == crate::correlate::MessageStatus::Incomplete {
            lines.push(
                "incomplete: no queue manager line, and nothing more logged before the input ended"
                    .to_string(),
            );
        } else if m.ending.is_none() {
            lines.push(
                "still in the queue at the end of the input; no delivery attempt logged"
                    .to_string(),
            );
        }
    }
    if !m.removed()
        && m.ending.is_none()
        && m.recipients.iter().any(|r| r.status.is_open())
        && !m.held
    {
        lines.push("not removed by the end of the input: still queued".to_string());
    }
    lines
}

fn matched(m: Option<&str>) -> String {
    m.map(|m| format!(" on {m}")).unwrap_or_default()
}
