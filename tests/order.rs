//! Lines of different processes arrive slightly out of order in syslog. Results must not
//! depend on the order of lines of different processes within the same second: this test
//! reshuffles real Postfix logs that way (keeping each process's own order) and checks that
//! every message comes out the same.

use serde_json::Value;
use std::collections::HashMap;
use std::process::Command;

fn lab(name: &str) -> Option<String> {
    let path = format!("{}/../shared/corpus/lab/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::path::Path::new(&path).exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("MAILTRAIL_NO_SHARED").is_some(),
        "{path} is missing: ../shared must lie beside the repository (set MAILTRAIL_NO_SHARED=1 to skip)"
    );
    None
}

/// A small deterministic generator (xorshift), so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// `Mon DD HH:MM:SS` and `host tag[pid]` of a traditional syslog line.
fn second_and_process(line: &str) -> (&str, &str) {
    let second = line.get(..15).unwrap_or(line);
    let rest = line.get(16..).unwrap_or("");
    let process = rest.split(": ").next().unwrap_or(rest);
    (second, process)
}

/// Interleaves the processes of each second at random, each process keeping its order.
fn shuffle_within_seconds(lines: &[&str], rng: &mut Rng) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let second = second_and_process(lines[i]).0;
        let mut j = i;
        let mut queues: Vec<(&str, Vec<&str>)> = Vec::new();
        while j < lines.len() && second_and_process(lines[j]).0 == second {
            let process = second_and_process(lines[j]).1;
            match queues.iter_mut().find(|(p, _)| *p == process) {
                Some((_, q)) => q.push(lines[j]),
                None => queues.push((process, vec![lines[j]])),
            }
            j += 1;
        }
        let mut heads: HashMap<usize, usize> = HashMap::new();
        loop {
            let open: Vec<usize> = (0..queues.len())
                .filter(|&q| heads.get(&q).copied().unwrap_or(0) < queues[q].1.len())
                .collect();
            if open.is_empty() {
                break;
            }
            let q = open[rng.below(open.len())];
            let h = heads.entry(q).or_insert(0);
            out.push_str(queues[q].1[*h]);
            out.push('\n');
            *h += 1;
        }
        i = j;
    }
    out
}

/// Every message as a canonical JSON string: lists that carry no order of their own sorted.
fn messages(log: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    std::fs::write(&path, log).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mailtrail"))
        .args(["--year", "2026", "--utc", "messages", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let mut all: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut m: Value = serde_json::from_str(l).unwrap();
            let obj = m.as_object_mut().unwrap();
            // Notes carry the order they were logged in; `after_removal` says where a line
            // stood relative to `removed`: both are about the log's order, not the message.
            obj.remove("problems");
            for r in obj["recipients"].as_array_mut().unwrap() {
                for a in r["attempts"].as_array_mut().unwrap() {
                    a.as_object_mut().unwrap().remove("after_removal");
                }
            }
            for key in ["recipients", "links", "rejects"] {
                let list = obj[key].as_array_mut().unwrap();
                list.sort_by_key(|v| v.to_string());
            }
            m.to_string()
        })
        .collect();
    all.sort();
    all
}

fn check(name: &str, seeds: &[u64]) {
    let Some(path) = lab(name) else { return };
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let expected = messages(&text);
    assert!(expected.len() > 100, "the lab log holds many messages");
    for &seed in seeds {
        let shuffled = shuffle_within_seconds(&lines, &mut Rng(seed));
        let got = messages(&shuffled);
        let missing: Vec<&String> = expected
            .iter()
            .filter(|m| !got.contains(m))
            .take(2)
            .collect();
        assert!(
            missing.is_empty(),
            "{name}, seed {seed}: these messages came out differently:\n{missing:#?}"
        );
        assert_eq!(got.len(), expected.len(), "{name}, seed {seed}");
    }
}

#[test]
fn results_do_not_depend_on_the_order_of_processes_within_a_second_postlogd() {
    check("postlogd.log", &[1, 2, 3, 4, 5]);
}

#[test]
fn results_do_not_depend_on_the_order_of_processes_within_a_second_long_ids() {
    check("syslog-traditional.log", &[11, 12, 13, 14, 15]);
}
