//! What is still in the queue when the log ends, against the lab's final queue.

mod common;

use common::mailtrail;
use serde_json::Value;
use std::path::Path;

fn truth_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("truth line is JSON"))
        .collect()
}

/// The messages left in the queue when Postfix stopped (the truth's `deferred` and `held`
/// recipients, checked against the final `postqueue -j`) are the ones mailtrail counts as
/// still queued at the end of the input.
///
/// Two messages must not be counted, as they never entered the queue:
/// - 7CF31BC232 (scenario X02): `client=`, then `lost connection after DATA (80 bytes)`, then
///   cleanup's `message-id=`; no qmgr line: smtpd discarded the unfinished queue file.
/// - 47074BC23F: only `cleanup: 47074BC23F: message-id=<20261128172735.47074BC23F@mail…>`,
///   logged by bounce(8) for S05's NOTIFY=NEVER bounce and abandoned; the log runs on for 90 s
///   with no qmgr line for it.
#[test]
fn still_queued_at_end_agrees_with_the_final_queue() {
    let Some(shared) = common::shared() else {
        return;
    };
    let lab = shared.join("corpus/lab");
    let mut queued = 0;
    for t in truth_records(&lab.join("truth-postlogd.jsonl")) {
        let open = |r: &Value| r["status"] == "deferred" || r["status"] == "held";
        match t["type"].as_str() {
            Some("message") if t["recipients"].as_array().into_iter().flatten().any(open) => {
                queued += 1
            }
            Some("volume") if open(&t["expect"]) => queued += t["messages"].as_u64().unwrap(),
            _ => {}
        }
    }
    assert_eq!(queued, 21, "the truth's own count");
    let log = lab.join("postlogd.log");
    let run = mailtrail(["stats".as_ref(), "--json".as_ref(), log.as_os_str()]);
    run.assert_ok();
    assert_eq!(run.json_lines()[0]["still_queued_at_end"], queued);
}
