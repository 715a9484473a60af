//! Every way bytes come into mailtrail: files named on the command line (plain or
//! compressed, detected by magic bytes), standard input, the default Postfix log
//! file, or the systemd journal.
//!
//! The pieces:
//! - [`sources_from_args`] / [`default_sources`] decide *what* to read,
//! - [`order_rotated`] puts a rotated set of logs in chronological order,
//! - [`Source::open`] turns a source into a [`LineReader`], decompressing on a
//!   separate thread when the bytes are gzip, zstd, bzip2 or xz,
//! - [`follow`] follows one file (or a pipe) as it grows, across rotations, like `tail -F`.

use std::fmt;
use std::path::PathBuf;

mod decompress;
pub mod follow;
mod lines;
mod rotation;
mod source;

pub(crate) use lines::line_end;
pub use lines::{LineBlock, LineReader};
pub use rotation::order_rotated;
pub use source::{default_sources, sources_from_args};

/// Where log bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// A file (or anything else with a path: a FIFO, `/dev/stdin`, …).
    File(PathBuf),
    /// Standard input (named `-` on the command line).
    Stdin,
    /// The systemd journal of the Postfix units, read through `journalctl`.
    Journal,
}

/// One input of the program.
#[derive(Debug, Clone)]
pub struct Source {
    /// What error messages and provenance show: the path as given, `<stdin>`
    /// for `-`, `journalctl` for the journal.
    pub name: String,
    pub kind: SourceKind,
    /// File modification time (None for stdin and the journal); used to infer
    /// the year of syslog time stamps.
    pub mtime: Option<jiff::Timestamp>,
}

/// One clear error naming the input, and the byte offset where known.
#[derive(Debug)]
pub struct InputError {
    pub name: String,
    pub offset: Option<u64>,
    pub message: String,
}

impl InputError {
    pub(crate) fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            name: name.into(),
            offset: None,
            message: message.into(),
        }
    }

    pub(crate) fn from_io(name: impl Into<String>, err: &std::io::Error) -> Self {
        InputError::new(name, io_message(err))
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(offset) => write!(f, "{}: at byte {}: {}", self.name, offset, self.message),
            None => write!(f, "{}: {}", self.name, self.message),
        }
    }
}

impl std::error::Error for InputError {}

/// The text of an I/O error without the " (os error N)" noise.
pub(crate) fn io_message(err: &std::io::Error) -> String {
    let mut text = err.to_string();
    if err.raw_os_error().is_some() {
        if let Some(at) = text.rfind(" (os error ") {
            text.truncate(at);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_without_and_with_offset() {
        let mut e = InputError::new("mail.log", "boom");
        assert_eq!(e.to_string(), "mail.log: boom");
        e.offset = Some(42);
        assert_eq!(e.to_string(), "mail.log: at byte 42: boom");
    }

    #[test]
    fn io_message_strips_os_error() {
        let err = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_message(&err), "No such file or directory");
        let err = std::io::Error::other("custom (os error 5) text");
        assert_eq!(io_message(&err), "custom (os error 5) text");
    }
}

#[cfg(test)]
mod tests_files;
