//! A message's title and its verdict, in the reader's language: the one place where what
//! happened to a message is judged. `trace` tells it in English, `trace --explain` in the
//! language asked for; both from the catalogue.

use super::Catalog;
use crate::correlate::message::Ending;
use crate::correlate::{Message, Recipient, RecipientStatus};
use crate::event::DeliveryStatus;
use crate::parse::delivery::remote_said;

/// A status word (`sent`, `deferred` …) with its meaning in the reader's language.
pub fn status(cat: &Catalog, word: &str) -> String {
    let key = format!("status.{word}");
    if cat.has(&key) {
        cat.render(&key, &[("word", word)])
    } else {
        word.to_string()
    }
}

/// `1A2B3C4D5E  on mailserver  sent`.
pub fn title(cat: &Catalog, m: &Message) -> String {
    let status = status(cat, m.status().as_str());
    cat.render(
        if m.queue_id.is_some() {
            "trace.title"
        } else {
            "trace.title_noqueue"
        },
        &[
            ("queue_id", m.queue_id_str()),
            ("host", &m.host),
            ("status", &status),
        ],
    )
}

/// The remote's words `host H said: 550 …` as `H: 550 …` in the reader's language.
fn reason(cat: &Catalog, reply: Option<&str>) -> String {
    let reply = reply.unwrap_or("");
    match remote_said(reply.as_bytes()) {
        Some((host, said)) => cat.render(
            "verdict_msg.remote_said",
            &[
                ("remote", &String::from_utf8_lossy(host)),
                ("said", &String::from_utf8_lossy(said)),
            ],
        ),
        None if reply.is_empty() => cat.text("verdict_msg.no_reason"),
        None => reply.to_string(),
    }
}

fn agent(r: &Recipient) -> &str {
    r.last_attempt()
        .map(|a| a.agent.as_str())
        .unwrap_or("postfix")
}

/// One sentence per recipient, and for the message as a whole where needed.
pub fn verdict(cat: &Catalog, m: &Message) -> Vec<String> {
    let mut lines = Vec::new();
    match m.ending {
        Some(Ending::Requeued) => {
            let next = m
                .links
                .iter()
                .find(|l| l.kind.as_str() == "requeued_as")
                .map(|l| l.queue_id.to_string());
            lines.push(match next {
                Some(id) => cat.render("verdict_msg.requeued", &[("next", &id)]),
                None => cat.text("verdict_msg.requeued_unknown"),
            });
        }
        Some(Ending::Deleted) => lines.push(cat.text("verdict_msg.deleted")),
        Some(Ending::Abandoned) => lines.push(cat.text("verdict_msg.abandoned")),
        _ => {}
    }
    // Worst first: failures, then what is still waiting, then what went well.
    let mut recipients: Vec<&Recipient> = m.recipients.iter().collect();
    recipients.sort_by_key(|r| match r.status {
        s if crate::select::is_failure(s) => 0,
        RecipientStatus::SENT | RecipientStatus::Delivery(DeliveryStatus::Deliverable) => 2,
        _ => 1,
    });
    // A message from the null sender (itself a notification) is not returned on expiry:
    // Postfix drops it.
    let null_sender = m.from.as_deref() == Some("");
    for r in recipients {
        let last = r.last_attempt();
        // `relay=local` or `none` names no server to deliver "via".
        let relay = last
            .and_then(|a| a.relay.clone())
            .filter(|r| r.contains('['));
        let attempts = r.deferrals().to_string();
        let why = reason(cat, r.reply());
        let mut vars: Vec<(&str, &str)> = vec![
            ("to", &r.to),
            ("agent", agent(r)),
            ("attempts", &attempts),
            ("reason", &why),
        ];
        if let Some(relay) = &relay {
            vars.push(("relay", relay));
        }
        if let Some(v) = &r.verdict {
            vars.push(("daemon", &v.daemon));
            vars.push(("stage", &v.stage));
            vars.push(("verdict_reply", &v.reply));
            if let Some(matched) = &v.matched {
                vars.push(("matched", matched));
            }
        }
        let status_text = status(cat, r.status.as_str());
        vars.push(("status", &status_text));
        let key = match r.status {
            RecipientStatus::SENT => "verdict_msg.sent",
            RecipientStatus::DEFERRED => "verdict_msg.deferred",
            RecipientStatus::Delivery(DeliveryStatus::Bounced) => "verdict_msg.bounced",
            RecipientStatus::Delivery(DeliveryStatus::Expired) if null_sender => {
                "verdict_msg.expired_dropped"
            }
            RecipientStatus::Delivery(DeliveryStatus::Expired) => "verdict_msg.expired",
            RecipientStatus::Delivery(DeliveryStatus::ForceExpired) if null_sender => {
                "verdict_msg.force_expired_dropped"
            }
            RecipientStatus::Delivery(DeliveryStatus::ForceExpired) => "verdict_msg.force_expired",
            RecipientStatus::Delivery(_) => "verdict_msg.other",
            RecipientStatus::Rejected if r.verdict.is_some() => "verdict_msg.rejected",
            RecipientStatus::Rejected => "verdict_msg.rejected_plain",
            RecipientStatus::Held if r.verdict.is_some() => "verdict_msg.held",
            RecipientStatus::Held => "verdict_msg.held_plain",
            RecipientStatus::Discarded if r.verdict.is_some() => "verdict_msg.discarded",
            RecipientStatus::Discarded => "verdict_msg.discarded_plain",
            RecipientStatus::Deleted | RecipientStatus::Requeued => continue,
            RecipientStatus::Queued if m.removed() => "verdict_msg.no_delivery_line",
            RecipientStatus::Queued => "verdict_msg.queued",
        };
        lines.push(cat.render(key, &vars));
    }
    if m.recipients.is_empty() {
        if let Some(v) = m
            .rejections
            .iter()
            .find(|v| matches!(v.action.as_str(), "reject" | "milter-reject" | "defer"))
        {
            lines.push(cat.render(
                "verdict_msg.message_rejected",
                &[
                    ("daemon", &v.daemon),
                    ("stage", &v.stage),
                    ("verdict_reply", &v.reply),
                ],
            ));
        } else if m.held {
            lines.push(cat.text("verdict_msg.message_held"));
        } else if m.removed() && m.ending != Some(Ending::Deleted) {
            lines.push(cat.text("verdict_msg.removed_no_lines"));
        } else if m.status() == crate::correlate::MessageStatus::Incomplete {
            lines.push(cat.text("verdict_msg.incomplete"));
        } else if m.ending.is_none() {
            lines.push(cat.text("verdict_msg.no_attempt"));
        }
    }
    if !m.removed()
        && m.ending.is_none()
        && m.recipients.iter().any(|r| r.status.is_open())
        && !m.held
    {
        lines.push(cat.text("verdict_msg.still_queued"));
    }
    lines
}
