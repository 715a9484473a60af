//! Helpers shared by the integration tests that run the `mailtrail` binary over the shared
//! corpus (`../shared` next to the repository; see `../shared/corpus/SOURCES.md`).
//!
//! Lines from AGPL/GPL/unlicensed sources are never copied into this repository: tests read
//! them from `../shared` when they run. Only the lab logs (written by a real Postfix for this
//! project) may be copied.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_mailtrail");

/// Where the shared corpus lives: `../shared` relative to the repository root.
pub const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

/// The shared data directory, or `None` when it is absent and `MAILTRAIL_NO_SHARED=1` says
/// that is expected (the caller then skips). Absent without that: the test fails, loudly.
pub fn shared() -> Option<PathBuf> {
    let dir = PathBuf::from(SHARED);
    if dir.join("corpus").is_dir() {
        return Some(dir);
    }
    if std::env::var("MAILTRAIL_NO_SHARED").is_ok_and(|v| v == "1") {
        eprintln!(
            "SKIPPED: shared corpus not found at {} (MAILTRAIL_NO_SHARED=1)",
            dir.display()
        );
        return None;
    }
    panic!(
        "the shared test corpus is missing: expected the directory {}/corpus \
         (CI checks it out as ../shared next to the repository root). \
         Provide it, or set MAILTRAIL_NO_SHARED=1 to skip the tests that need it.",
        dir.display()
    );
}

/// One run of the binary.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Exit status 0 or 1 (something matched / nothing matched); never a signal, a panic (101)
    /// or an error (2).
    pub fn assert_ok(&self) -> &Self {
        let code = self.status.code();
        assert!(
            matches!(code, Some(0) | Some(1)),
            "mailtrail {:?} ended with {:?} (expected exit status 0 or 1)\nstderr:\n{}",
            self.args,
            self.status,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "mailtrail {:?} panicked:\n{}",
            self.args,
            self.stderr
        );
        self
    }

    /// Each line of standard output as JSON.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .enumerate()
            .map(|(i, line)| {
                serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!(
                        "mailtrail {:?}: output line {} is not valid JSON ({e}): {line}",
                        self.args,
                        i + 1
                    )
                })
            })
            .collect()
    }
}

/// Runs `mailtrail --year 2026 --utc --color never ARGS…` (the lab logs are of 2026, in UTC;
/// a fixed year keeps traditional syslog stamps reproducible).
pub fn mailtrail<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut all: Vec<std::ffi::OsString> = ["--year", "2026", "--utc", "--color", "never"]
        .iter()
        .map(|s| s.into())
        .collect();
    all.extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
    let out = Command::new(BIN)
        .args(&all)
        .env_remove("NO_COLOR")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    Run {
        args: all
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The regular files of a directory, sorted by name.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The file name, for messages.
pub fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}
