//! Deciding what to read: command-line arguments, the default log file, or the journal.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use super::{decompress, order_rotated, InputError, LineReader, Source, SourceKind};

/// Name shown for standard input.
const STDIN_NAME: &str = "<stdin>";
/// Name shown for the journal.
const JOURNAL_NAME: &str = "journalctl";
/// The default log files, in order of preference (RHEL, then Debian).
/// Debian's mail.warn and mail.err duplicate mail.log lines and are never read by default.
const DEFAULT_FILES: &[&str] = &["/var/log/maillog", "/var/log/mail.log"];
/// The journal units of Postfix: `postfix.service` and Debian's
/// `postfix@-.service` (and other `postfix@INSTANCE` units).
const JOURNAL_UNITS: &str = "postfix*";

/// Sources named on the command line, `-` meaning stdin. Errors (missing file,
/// unreadable, a directory) are returned per file so the caller can report each
/// one and go on with the rest. Rotated sets among the files are put oldest first
/// (see [`order_rotated`]); stdin stays where it was given.
pub fn sources_from_args(args: &[PathBuf]) -> (Vec<Source>, Vec<InputError>) {
    let is_stdin = |arg: &PathBuf| arg.as_os_str() == "-";
    let files: Vec<PathBuf> = args.iter().filter(|a| !is_stdin(a)).cloned().collect();
    let mut files = order_rotated(files).into_iter();
    let mut sources = Vec::with_capacity(args.len());
    let mut errors = Vec::new();
    for arg in args {
        if is_stdin(arg) {
            sources.push(Source {
                name: STDIN_NAME.to_string(),
                kind: SourceKind::Stdin,
                mtime: None,
            });
        } else if let Some(path) = files.next() {
            match file_source(path) {
                Ok(source) => sources.push(source),
                Err(err) => errors.push(err),
            }
        }
    }
    (sources, errors)
}

/// Checks that `path` can be read and makes a source of it.
fn file_source(path: PathBuf) -> Result<Source, InputError> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(&path).map_err(|e| InputError::from_io(&name, &e))?;
    if meta.is_dir() {
        return Err(InputError::new(name, "is a directory"));
    }
    // Find out now, not halfway through the run, that a file cannot be opened.
    File::open(&path).map_err(|e| InputError::from_io(&name, &e))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok());
    Ok(Source {
        name,
        kind: SourceKind::File(path),
        mtime,
    })
}

/// With no file argument: the first of `/var/log/maillog` (RHEL) and
/// `/var/log/mail.log` (Debian) that exists (only that file, not its rotated
/// copies); if neither exists and `journalctl` is on `PATH`, the journal of the
/// Postfix units. An error if none of these is found, or if the file found
/// cannot be read.
pub fn default_sources() -> Result<Vec<Source>, InputError> {
    let candidates: Vec<&Path> = DEFAULT_FILES.iter().map(Path::new).collect();
    default_sources_from(&candidates, std::env::var_os("PATH").as_deref())
}

fn default_sources_from(
    candidates: &[&Path],
    path_var: Option<&OsStr>,
) -> Result<Vec<Source>, InputError> {
    // `symlink_metadata` so that a dangling symlink counts as existing (and
    // gives a clear error) rather than silently falling through to the journal.
    if let Some(found) = candidates
        .iter()
        .find(|p| std::fs::symlink_metadata(p).is_ok())
    {
        return Ok(vec![file_source(found.to_path_buf())?]);
    }
    if find_in_path(JOURNAL_NAME, path_var).is_some() {
        return Ok(vec![Source {
            name: JOURNAL_NAME.to_string(),
            kind: SourceKind::Journal,
            mtime: None,
        }]);
    }
    let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    Err(InputError::new(
        "no input",
        format!(
            "none of {} exists and journalctl is not on PATH; name the log files to read (\"-\" for stdin)",
            tried.join(", ")
        ),
    ))
}

/// The first executable file called `program` in the directories of `path_var`.
fn find_in_path(program: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path_var?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// The arguments that make journalctl print syslog-like lines,
/// `2026-11-28T17:29:16.308429+00:00 host postfix/smtpd[123]: text`
/// (older systemd versions print the offset as `+0000`).
fn journal_args(units: &str) -> Vec<OsString> {
    [
        "--output=short-iso-precise",
        "--no-pager",
        "--quiet", // no "-- No entries --" or "-- Boot … --" lines
        "--all",   // print messages with unprintable bytes instead of "[blob data]"
        // Units accept globs; -t/--identifier does not (in released systemd) and
        // would be AND-ed with --unit, so the syslog identifier is not filtered.
        "--unit",
        units,
    ]
    .iter()
    .map(OsString::from)
    .collect()
}

impl Source {
    /// Opens the bytes, decompressing by magic bytes, not by name: gzip (also
    /// multi-member), zstd, bzip2, xz; anything else is read as is. Stdin works the
    /// same way. The journal is read from a `journalctl` child process.
    pub fn open(&self) -> Result<LineReader, InputError> {
        let raw: Box<dyn Read + Send> = match &self.kind {
            SourceKind::File(path) => {
                let meta = std::fs::metadata(path).map_err(|e| self.error(&e))?;
                if meta.is_dir() {
                    return Err(InputError::new(&self.name, "is a directory"));
                }
                Box::new(File::open(path).map_err(|e| self.error(&e))?)
            }
            SourceKind::Stdin => Box::new(io::stdin()),
            SourceKind::Journal => {
                let reader = JournalReader::spawn(JOURNAL_UNITS).map_err(|e| self.error(&e))?;
                return Ok(LineReader::from_boxed(self.name.clone(), Box::new(reader)));
            }
        };
        let stream = decompress::open_stream(raw).map_err(|e| self.error(&e))?;
        Ok(LineReader::from_boxed(self.name.clone(), stream))
    }

    fn error(&self, err: &io::Error) -> InputError {
        InputError::from_io(&self.name, err)
    }
}

/// The standard output of a `journalctl` child; its exit status is checked at
/// the end, and it is killed if the reader is dropped early.
struct JournalReader {
    child: Child,
    stdout: ChildStdout,
    finished: bool,
}

impl JournalReader {
    fn spawn(units: &str) -> io::Result<JournalReader> {
        let mut child = Command::new(JOURNAL_NAME)
            .args(journal_args(units))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("cannot read the output of journalctl"));
        };
        Ok(JournalReader {
            child,
            stdout,
            finished: false,
        })
    }
}

impl Read for JournalReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.finished {
            return Ok(0);
        }
        let n = self.stdout.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.finished = true;
            let status = self.child.wait()?;
            if !status.success() {
                return Err(io::Error::other(format!("journalctl failed ({status})")));
            }
        }
        Ok(n)
    }
}

impl Drop for JournalReader {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn stdin_keeps_its_place_and_files_are_ordered() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        for name in ["mail.log", "mail.log.1", "mail.log.2.gz"] {
            std::fs::write(p(name), b"x\n").unwrap();
        }
        let args = vec![
            p("mail.log"),
            PathBuf::from("-"),
            p("mail.log.2.gz"),
            p("mail.log.1"),
        ];
        let (sources, errors) = sources_from_args(&args);
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        let show = |n: &str| p(n).display().to_string();
        assert_eq!(
            names,
            [
                show("mail.log.2.gz"),
                STDIN_NAME.to_string(),
                show("mail.log.1"),
                show("mail.log")
            ]
        );
        assert_eq!(sources[1].kind, SourceKind::Stdin);
        assert!(sources[1].mtime.is_none());
        assert_eq!(sources[0].kind, SourceKind::File(p("mail.log.2.gz")));
        assert!(sources[0].mtime.is_some());
    }

    #[test]
    fn missing_file_and_directory_are_reported_and_the_rest_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.log");
        std::fs::write(&good, b"x\n").unwrap();
        let missing = PathBuf::from("mail.log.9-does-not-exist");
        let args = vec![missing.clone(), dir.path().to_path_buf(), good.clone()];
        let (sources, errors) = sources_from_args(&args);
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0].name, good.display().to_string());
        assert_eq!(errors.len(), 2);
        assert_eq!(
            errors[0].to_string(),
            "mail.log.9-does-not-exist: No such file or directory"
        );
        assert_eq!(
            errors[1].to_string(),
            format!("{}: is a directory", dir.path().display())
        );
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_file_is_an_error() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret.log");
        std::fs::write(&secret, b"x\n").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
        if File::open(&secret).is_ok() {
            return; // running as root: permissions do not apply
        }
        let (sources, errors) = sources_from_args(std::slice::from_ref(&secret));
        assert!(sources.is_empty());
        assert_eq!(
            errors[0].to_string(),
            format!("{}: Permission denied", secret.display())
        );
    }

    #[test]
    fn default_prefers_first_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let maillog = dir.path().join("maillog");
        let mail_log = dir.path().join("mail.log");
        std::fs::write(&mail_log, b"x\n").unwrap();
        std::fs::write(dir.path().join("mail.log.1"), b"x\n").unwrap();
        std::fs::write(dir.path().join("mail.warn"), b"x\n").unwrap();
        let found = default_sources_from(&[&maillog, &mail_log], None).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, SourceKind::File(mail_log.clone()));
        std::fs::write(&maillog, b"x\n").unwrap();
        let found = default_sources_from(&[&maillog, &mail_log], None).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, SourceKind::File(maillog));
    }

    #[test]
    fn default_falls_back_to_journal_then_fails() {
        let dir = tempfile::tempdir().unwrap();
        let none = dir.path().join("maillog");
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let err = default_sources_from(&[&none], Some(bin.as_os_str())).unwrap_err();
        assert!(
            err.to_string().contains("journalctl is not on PATH"),
            "{err}"
        );
        let mut fake = File::create(bin.join("journalctl")).unwrap();
        fake.write_all(b"#!/bin/sh\n").unwrap();
        drop(fake);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                bin.join("journalctl"),
                std::fs::Permissions::from_mode(0o755),
            )
            .unwrap();
        }
        let found = default_sources_from(&[&none], Some(bin.as_os_str())).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, SourceKind::Journal);
        assert_eq!(found[0].name, "journalctl");
        assert!(found[0].mtime.is_none());
    }

    #[test]
    fn journal_arguments() {
        let args = journal_args("postfix*");
        assert!(args.iter().any(|a| a == "--output=short-iso-precise"));
        assert!(args.iter().any(|a| a == "--quiet"));
        assert_eq!(
            args.last().map(OsString::as_os_str),
            Some(OsStr::new("postfix*"))
        );
    }
}
