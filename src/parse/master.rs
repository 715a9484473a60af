//! master(8), postfix-script and postsuper(1): the mail system's life cycle and the
//! administrator's hand on the queue.

use super::bytes::{split_once, strip};
use super::queue_id::{lead, Lead};
use crate::event::{Event, MasterAction, QueueAction};

pub fn parse(text: &[u8]) -> Option<Event<'_>> {
    for (prefix, action) in [
        (&b"daemon started -- "[..], MasterAction::Started),
        (b"reload -- ", MasterAction::Reload),
    ] {
        if let Some(rest) = strip(text, prefix) {
            let version =
                strip(rest, b"version ").map(|v| split_once(v, b",").map(|(v, _)| v).unwrap_or(v));
            return Some(Event::Master { action, version });
        }
    }
    if text.starts_with(b"terminating on signal ") {
        return Some(Event::Master {
            action: MasterAction::Terminating,
            version: None,
        });
    }
    if text.starts_with(b"reload configuration ") {
        return Some(Event::Master {
            action: MasterAction::Reload,
            version: None,
        });
    }
    None
}

/// postfix-script: `starting the Postfix mail system` and its kin.
pub fn parse_script(text: &[u8]) -> Option<Event<'_>> {
    const WORDS: &[&[u8]] = &[
        b"starting the Postfix mail system",
        b"stopping the Postfix mail system",
        b"refreshing the Postfix mail system",
        b"waiting for the Postfix mail system to terminate",
        b"the Postfix mail system is running",
        b"the Postfix mail system is not running",
    ];
    WORDS
        .iter()
        .any(|w| text.starts_with(w))
        .then_some(Event::Master {
            action: MasterAction::Script,
            version: None,
        })
}

/// postsuper: `QID: removed|requeued|placed on hold|released from hold|expired`, and the totals.
pub fn parse_postsuper(text: &[u8]) -> Option<Event<'_>> {
    if let (Lead::Id(queue_id), rest) = lead(text) {
        let action = match rest {
            b"removed" => QueueAction::Deleted,
            b"requeued" => QueueAction::Requeued,
            b"placed on hold" => QueueAction::Held,
            b"released from hold" => QueueAction::Released,
            b"expired" => QueueAction::Expired,
            _ => return None,
        };
        return Some(Event::QueueFile { queue_id, action });
    }
    const TOTALS: &[&[u8]] = &[
        b"Deleted: ",
        b"Requeued: ",
        b"Placed on hold: ",
        b"Released from hold: ",
        b"Force-expired: ",
    ];
    TOTALS
        .iter()
        .any(|t| text.starts_with(t))
        .then_some(Event::QueueSummary { text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_start_and_reload_carry_version() {
        match parse(b"daemon started -- version 3.6.4, configuration /etc/postfix") {
            Some(Event::Master {
                action: MasterAction::Started,
                version,
            }) => assert_eq!(version, Some(&b"3.6.4"[..])),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(b"reload -- version 3.6.4, configuration /etc/postfix"),
            Some(Event::Master {
                action: MasterAction::Reload,
                ..
            })
        ));
        assert!(matches!(
            parse(b"terminating on signal 15"),
            Some(Event::Master {
                action: MasterAction::Terminating,
                ..
            })
        ));
    }

    #[test]
    fn postsuper_actions() {
        assert!(matches!(
            parse_postsuper(b"4E225BC254: removed"),
            Some(Event::QueueFile {
                action: QueueAction::Deleted,
                ..
            })
        ));
        assert!(matches!(
            parse_postsuper(b"4D533BC258: requeued"),
            Some(Event::QueueFile {
                action: QueueAction::Requeued,
                ..
            })
        ));
        assert!(matches!(
            parse_postsuper(b"Deleted: 1 message"),
            Some(Event::QueueSummary { .. })
        ));
    }
}
