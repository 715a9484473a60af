//! Following a log as it grows, like `tail -F`.
//!
//! A [`Follower`] hands out complete lines as they are written and says when there is nothing
//! new. A file is followed by name and polled: when the name comes to stand for another file
//! (rotation by rename, or delete and create), the old file is read to its end and still
//! watched for a while — syslog daemons write to it until they reopen — and the new one is read
//! from its start; when the file shrinks, or the bytes before the position change
//! (`copytruncate`), the rotated copy is looked for beside it and read from the position first,
//! then the file from its start; a file that does not exist yet is waited for. A pipe
//! (standard input, or `journalctl -f`) is read on a thread of its own.
//!
//! Only complete lines are handed out: a last line without its newline waits for the rest, so
//! a [`Position`] always stands at a line boundary. A position is the file's identity (device
//! and inode), the offset, and the last bytes before the offset, which tell whether the file
//! still holds what was read.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::{InputError, LineReader};

/// Bytes read from a file at once.
const CHUNK: usize = 64 * 1024;
/// Bytes before the position kept to recognise the file's content.
const CHECK_LEN: usize = 64;
/// How long a file renamed away is still watched after it last grew.
const RETIRED_QUIET: Duration = Duration::from_secs(10);
/// While the new file has lines, the old one is looked at this often.
const RETIRED_POLL: Duration = Duration::from_millis(100);
/// Lines a pipe's reader thread may hold before it waits for the follower.
const PIPE_BACKLOG: usize = 4096;
/// Compressed copies are never read back when looking for the rest of a rotated file.
const COMPRESSED: &[&str] = &[".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z"];

/// Where a follower stands in a file: enough to resume after a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub dev: u64,
    pub ino: u64,
    /// Bytes of complete lines handed out.
    pub offset: u64,
    /// The last bytes (at most 64) before `offset`.
    pub check: Vec<u8>,
}

/// Where to begin.
#[derive(Debug, Clone)]
pub enum Start {
    /// At the end: only lines written from now on (a last unfinished line is read whole).
    End,
    /// At the beginning.
    Beginning,
    /// Where an earlier run stopped.
    At(Position),
}

/// What the follower has.
#[derive(Debug)]
pub enum Next<'a> {
    Line(&'a [u8]),
    /// Nothing new for now.
    Idle,
    /// The input has ended (a pipe was closed); files never end.
    Ended,
}

/// A file or a pipe, followed.
pub enum Follower {
    File(Box<FileFollower>),
    Pipe(PipeFollower),
}

impl Follower {
    /// The next complete line, or `Idle`. A pipe waits up to `wait` for one; a file never
    /// waits (the caller sleeps between polls).
    pub fn next_line(&mut self, wait: Duration) -> Next<'_> {
        match self {
            Follower::File(f) => f.next_line(),
            Follower::Pipe(p) => p.next_line(wait),
        }
    }

    /// Whether `next_line` already waited when it said `Idle`.
    pub fn waits(&self) -> bool {
        matches!(self, Follower::Pipe(_))
    }

    /// Where the lines handed out so far end, for a file.
    pub fn position(&self) -> Option<Position> {
        match self {
            Follower::File(f) => f.position(),
            Follower::Pipe(_) => None,
        }
    }

    /// What happened since the last call (rotations, truncations, errors), for stderr.
    pub fn take_notes(&mut self) -> Vec<String> {
        match self {
            Follower::File(f) => std::mem::take(&mut f.notes),
            Follower::Pipe(p) => std::mem::take(&mut p.notes),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Follower::File(f) => &f.name,
            Follower::Pipe(p) => &p.name,
        }
    }
}

/// One open file and the bytes read from it not yet handed out.
struct Reading {
    file: File,
    path: PathBuf,
    id: (u64, u64),
    /// Offset in the file of `pending[0]`.
    base: u64,
    pending: Vec<u8>,
    /// Bytes of `pending` handed out.
    used: usize,
    /// The last bytes before `base`.
    check: Vec<u8>,
    last_data: Instant,
    /// The last read found nothing more.
    at_eof: bool,
    /// Where each read lands before it joins `pending`.
    scratch: Box<[u8]>,
}

/// What reading a file found.
enum Step {
    Line(usize, usize),
    End,
    /// The file no longer holds the bytes before the position.
    Truncated,
}

impl Reading {
    fn open(path: &Path, offset: u64, check: Vec<u8>) -> io::Result<Reading> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::other("is a directory"));
        }
        file.seek(SeekFrom::Start(offset))?;
        Ok(Reading {
            file,
            path: path.to_path_buf(),
            id: identity(&meta),
            base: offset,
            pending: Vec::with_capacity(CHUNK),
            used: 0,
            check,
            last_data: Instant::now(),
            at_eof: false,
            scratch: vec![0; CHUNK].into_boxed_slice(),
        })
    }

    /// Opens `path` at the start of its last line (complete or not).
    fn open_at_end(path: &Path) -> io::Result<Reading> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        // Look back for the last newline: a line being written is read whole.
        let mut at = len;
        let mut back = vec![0u8; CHUNK];
        let mut start = len;
        while at > 0 {
            let from = at.saturating_sub(CHUNK as u64);
            let n = (at - from) as usize;
            read_exact_at(&file, back.get_mut(..n).unwrap_or_default(), from)?;
            if let Some(i) = memchr::memrchr(b'\n', back.get(..n).unwrap_or_default()) {
                start = from + i as u64 + 1;
                break;
            }
            at = from;
            start = from;
            if len - from > 16 * CHUNK as u64 {
                // A file without newlines: begin at the end.
                start = len;
                break;
            }
        }
        let check = read_check(&file, start)?;
        Reading::open(path, start, check)
    }

    fn position(&self) -> Position {
        let offset = self.base + self.used as u64;
        Position {
            dev: self.id.0,
            ino: self.id.1,
            offset,
            check: last_bytes(
                &self.check,
                self.pending.get(..self.used).unwrap_or_default(),
            ),
        }
    }

    /// Offset of the next byte to read from the file.
    fn read_pos(&self) -> u64 {
        self.base + self.pending.len() as u64
    }

    /// The next complete line among the bytes read, as a range of `pending`.
    fn take_line(&mut self) -> Option<(usize, usize)> {
        let at = memchr::memchr(b'\n', self.pending.get(self.used..).unwrap_or_default())?;
        let from = self.used;
        let newline = from + at;
        self.used = newline + 1;
        Some((from, super::lines::line_end(&self.pending, from, newline)))
    }

    /// An unfinished last line, handed out when the file is left for good.
    fn take_rest(&mut self) -> Option<(usize, usize)> {
        if self.used < self.pending.len() {
            let from = self.used;
            self.used = self.pending.len();
            Some((from, self.pending.len()))
        } else {
            None
        }
    }

    /// Reads once; 0 at the end of the file.
    fn fill(&mut self) -> io::Result<usize> {
        if self.used > 0 {
            self.check = last_bytes(
                &self.check,
                self.pending.get(..self.used).unwrap_or_default(),
            );
            self.base += self.used as u64;
            self.pending.drain(..self.used);
            self.used = 0;
        }
        let n = loop {
            match self.file.read(self.scratch.get_mut(..).unwrap_or_default()) {
                Ok(n) => break n.min(CHUNK),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.pending
            .extend_from_slice(self.scratch.get(..n).unwrap_or_default());
        if n > 0 {
            self.last_data = Instant::now();
        }
        Ok(n)
    }

    /// The next complete line, reading as needed. After the end of what was written, the file
    /// is first checked to still hold what was read (it may have been truncated and written
    /// again past the position between two polls).
    fn next(&mut self) -> io::Result<Step> {
        loop {
            if let Some((a, b)) = self.take_line() {
                return Ok(Step::Line(a, b));
            }
            if self.at_eof {
                let len = self.file.metadata()?.len();
                if !self.unchanged(len)? {
                    return Ok(Step::Truncated);
                }
            }
            self.at_eof = self.fill()? == 0;
            if self.at_eof {
                return Ok(Step::End);
            }
        }
    }

    /// Whether the file still holds, just before where reading goes on, the bytes read there.
    fn unchanged(&self, len: u64) -> io::Result<bool> {
        let pos = self.read_pos();
        if len < pos {
            return Ok(false);
        }
        let expected = last_bytes(&self.check, &self.pending);
        if expected.is_empty() {
            return Ok(true);
        }
        let mut found = vec![0u8; expected.len()];
        read_exact_at(&self.file, &mut found, pos - expected.len() as u64)?;
        Ok(found == expected)
    }

    /// Starts again at the beginning of the file (it was truncated).
    fn rewind(&mut self) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(0))?;
        self.base = 0;
        self.pending.clear();
        self.used = 0;
        self.check.clear();
        self.at_eof = false;
        Ok(())
    }
}

/// Which reading a line came from.
#[derive(Clone, Copy)]
enum Which {
    Drain,
    Retired,
    Current,
}

/// A file followed by name.
pub struct FileFollower {
    path: PathBuf,
    name: String,
    /// The rest of a rotated copy, read to its end before anything else.
    drain: Option<Reading>,
    /// The file the name stood for before a rotation, still watched for late lines.
    retired: Option<Reading>,
    retired_polled: Instant,
    current: Option<Reading>,
    missing_noted: bool,
    notes: Vec<String>,
}

impl FileFollower {
    pub fn new(path: &Path, start: Start) -> FileFollower {
        let mut f = FileFollower {
            path: path.to_path_buf(),
            name: path.display().to_string(),
            drain: None,
            retired: None,
            retired_polled: Instant::now(),
            current: None,
            missing_noted: false,
            notes: Vec::new(),
        };
        f.begin(start);
        f
    }

    fn note(&mut self, text: impl Into<String>) {
        self.notes.push(format!("{}: {}", self.name, text.into()));
    }

    fn begin(&mut self, start: Start) {
        let meta = fs::metadata(&self.path);
        match (start, meta) {
            (Start::End, Ok(_)) => match Reading::open_at_end(&self.path) {
                Ok(r) => self.current = Some(r),
                Err(e) => self.note(super::io_message(&e)),
            },
            (Start::Beginning, Ok(_)) => self.open_current(),
            (Start::At(pos), Ok(meta)) => {
                let same_file = identity(&meta) == (pos.dev, pos.ino);
                if same_file {
                    match Reading::open(&self.path, pos.offset, pos.check.clone()) {
                        Ok(r) => {
                            let intact = r.unchanged(meta.len()).unwrap_or(false);
                            if intact {
                                self.current = Some(r);
                                return;
                            }
                            self.note("truncated since the last run: reading it from the start");
                        }
                        Err(e) => self.note(super::io_message(&e)),
                    }
                } else {
                    self.note("a new file since the last run (rotated)");
                }
                self.find_rest(&pos);
                self.open_current();
            }
            (Start::At(pos), Err(_)) => {
                self.note("does not exist; waiting for it");
                self.missing_noted = true;
                self.find_rest(&pos);
            }
            (_, Err(_)) => {
                self.note("does not exist yet; waiting for it");
                self.missing_noted = true;
            }
        }
    }

    fn open_current(&mut self) {
        match Reading::open(&self.path, 0, Vec::new()) {
            Ok(r) => self.current = Some(r),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => self.note(super::io_message(&e)),
        }
    }

    /// Looks beside the file for the one read before (renamed: same inode) or a copy of it
    /// (`copytruncate`: the same bytes before the position), to read the rest of it first.
    fn find_rest(&mut self, pos: &Position) {
        match find_rotated(&self.path, pos) {
            Some(r) => {
                let rest = r.path.display().to_string();
                self.note(format!(
                    "reading the rest of {rest} from byte {} first",
                    pos.offset
                ));
                self.drain = Some(r);
            }
            None if pos.offset > 0 => self.note(
                "the file read before is not found beside it (or is compressed): lines written to it after the last position are not read",
            ),
            None => {}
        }
    }

    pub fn position(&self) -> Option<Position> {
        self.drain
            .as_ref()
            .or(self.current.as_ref())
            .or(self.retired.as_ref())
            .map(Reading::position)
    }

    fn reading(&mut self, which: Which) -> Option<&mut Reading> {
        match which {
            Which::Drain => self.drain.as_mut(),
            Which::Retired => self.retired.as_mut(),
            Which::Current => self.current.as_mut(),
        }
    }

    pub fn next_line(&mut self) -> Next<'_> {
        match self.advance() {
            Some((which, from, to)) => match self.reading(which) {
                Some(r) => Next::Line(r.pending.get(from..to).unwrap_or_default()),
                None => Next::Idle,
            },
            None => Next::Idle,
        }
    }

    fn advance(&mut self) -> Option<(Which, usize, usize)> {
        // A rotation found at the end of the file changes what to read: look again (a few
        // times at most: each rotation is handled once).
        for _ in 0..4 {
            if let Some(d) = self.drain.as_mut() {
                match d.next() {
                    Ok(Step::Line(a, b)) => return Some((Which::Drain, a, b)),
                    Ok(_) => {
                        if let Some((a, b)) = d.take_rest() {
                            return Some((Which::Drain, a, b));
                        }
                    }
                    Err(e) => {
                        let text = super::io_message(&e);
                        self.note(text);
                    }
                }
                self.drain = None;
            }
            let look_back = self.retired_polled.elapsed() >= RETIRED_POLL
                || self.current.as_ref().is_none_or(|c| c.at_eof);
            if let Some(r) = self.retired.as_mut().filter(|_| look_back) {
                self.retired_polled = Instant::now();
                match r.next() {
                    Ok(Step::Line(a, b)) => return Some((Which::Retired, a, b)),
                    Ok(Step::End) if r.last_data.elapsed() < RETIRED_QUIET => {}
                    Ok(_) => {
                        if let Some((a, b)) = r.take_rest() {
                            return Some((Which::Retired, a, b));
                        }
                        self.retired = None;
                    }
                    Err(_) => self.retired = None,
                }
            }
            if self.current.is_none() {
                self.open_current();
                self.current.as_ref()?;
                if self.missing_noted {
                    self.note("has appeared; following it from its start");
                    self.missing_noted = false;
                }
            }
            let cur = self.current.as_mut()?;
            match cur.next() {
                Ok(Step::Line(a, b)) => return Some((Which::Current, a, b)),
                Ok(Step::End) => {
                    // At the end of what is written: has the name moved on to another file?
                    if !self.check_rotation() {
                        return None;
                    }
                }
                Ok(Step::Truncated) => self.truncated(),
                Err(e) => {
                    let text = super::io_message(&e);
                    self.note(text);
                    return None;
                }
            }
        }
        None
    }

    /// True when the name stands for another file now (or has gone): reading goes on there.
    fn check_rotation(&mut self) -> bool {
        let meta = match fs::metadata(&self.path) {
            Ok(m) => m,
            Err(_) => {
                if !self.missing_noted {
                    self.note("has gone (rotated?); reading on until it comes back");
                    self.missing_noted = true;
                }
                return false;
            }
        };
        let Some(cur) = self.current.as_mut() else {
            return false;
        };
        self.missing_noted = false;
        if identity(&meta) == cur.id {
            return false;
        }
        self.note("replaced by a new file (rotated): following the new one");
        if let Some(mut old) = self.retired.take() {
            // A second rotation while the first old file was still watched: let it go.
            old.take_rest();
        }
        self.retired = self.current.take();
        self.open_current();
        true
    }

    /// The file shrank, or no longer holds what was read: its content was copied away and the
    /// file emptied (`copytruncate`). The rest of the copy is read first, then the file again.
    fn truncated(&mut self) {
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        let pos = cur.position();
        let rewound = cur.rewind();
        self.note("truncated (copytruncate?): reading it again from the start");
        if let Err(e) = rewound {
            self.note(super::io_message(&e));
            self.current = None;
        }
        if pos.offset > 0 {
            self.find_rest(&pos);
        }
    }
}

/// Files beside `path` whose name starts with its name (`mail.log.1`, `mail.log-20261128`),
/// not compressed: the one with the position's inode, or else one holding the position's
/// bytes just before its offset (the newest such copy), opened at the offset.
fn find_rotated(path: &Path, pos: &Position) -> Option<Reading> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = path.file_name()?.to_string_lossy().into_owned();
    let mut copies: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for entry in fs::read_dir(&dir).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == base || !name.starts_with(&base) || COMPRESSED.iter().any(|c| name.ends_with(c))
        {
            continue;
        }
        let candidate = entry.path();
        let Ok(meta) = fs::metadata(&candidate) else {
            continue;
        };
        if !meta.is_file() || meta.len() < pos.offset {
            continue;
        }
        if identity(&meta) == (pos.dev, pos.ino) {
            return Reading::open(&candidate, pos.offset, pos.check.clone()).ok();
        }
        if pos.check.is_empty() {
            continue;
        }
        let Ok(file) = File::open(&candidate) else {
            continue;
        };
        let mut found = vec![0u8; pos.check.len()];
        let at = pos.offset - pos.check.len() as u64;
        if read_exact_at(&file, &mut found, at).is_ok() && found == pos.check {
            let mtime = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            copies.push((mtime, candidate));
        }
    }
    copies.sort();
    let (_, newest) = copies.pop()?;
    Reading::open(&newest, pos.offset, pos.check.clone()).ok()
}

/// The last `CHECK_LEN` bytes of `old` followed by `new`.
fn last_bytes(old: &[u8], new: &[u8]) -> Vec<u8> {
    if new.len() >= CHECK_LEN {
        return new
            .get(new.len() - CHECK_LEN..)
            .unwrap_or_default()
            .to_vec();
    }
    let keep = (CHECK_LEN - new.len()).min(old.len());
    let mut out = Vec::with_capacity(keep + new.len());
    out.extend_from_slice(old.get(old.len() - keep..).unwrap_or_default());
    out.extend_from_slice(new);
    out
}

/// The bytes just before `offset`.
fn read_check(file: &File, offset: u64) -> io::Result<Vec<u8>> {
    let n = offset.min(CHECK_LEN as u64) as usize;
    let mut buf = vec![0u8; n];
    read_exact_at(file, &mut buf, offset - n as u64)?;
    Ok(buf)
}

#[cfg(unix)]
fn identity(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_meta: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

enum Piped {
    Line(Vec<u8>),
    Failed(String),
}

/// Lines of a pipe (standard input, or a `journalctl -f` child), read on a thread of its own.
pub struct PipeFollower {
    name: String,
    lines: Receiver<Piped>,
    line: Vec<u8>,
    child: Option<Child>,
    ended: bool,
    notes: Vec<String>,
}

impl PipeFollower {
    /// Standard input.
    pub fn stdin() -> PipeFollower {
        PipeFollower::spawn("<stdin>", Box::new(io::stdin()), None)
    }

    /// `journalctl --follow` of the Postfix units, from the end (or everything with `all`).
    pub fn journal(all: bool) -> Result<PipeFollower, InputError> {
        let mut child = Command::new("journalctl")
            .args([
                "--follow",
                "--output=short-iso-precise",
                "--no-pager",
                "--quiet",
                "--all",
                if all { "--no-tail" } else { "--lines=0" },
                "--unit",
                "postfix*",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| InputError::from_io("journalctl", &e))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(InputError::new("journalctl", "cannot read its output"));
        };
        Ok(PipeFollower::spawn(
            "journalctl",
            Box::new(stdout),
            Some(child),
        ))
    }

    fn spawn(name: &str, src: Box<dyn Read + Send>, child: Option<Child>) -> PipeFollower {
        let (tx, rx) = mpsc::sync_channel(PIPE_BACKLOG);
        let mut reader = LineReader::from_boxed(name.to_string(), src);
        std::thread::spawn(move || loop {
            let sent = match reader.next_line() {
                Ok(Some(line)) => tx.send(Piped::Line(line.to_vec())),
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Piped::Failed(e.to_string()));
                    break;
                }
            };
            if sent.is_err() {
                break;
            }
        });
        PipeFollower {
            name: name.to_string(),
            lines: rx,
            line: Vec::new(),
            child,
            ended: false,
            notes: Vec::new(),
        }
    }

    pub fn next_line(&mut self, wait: Duration) -> Next<'_> {
        if self.ended {
            return Next::Ended;
        }
        match self.lines.recv_timeout(wait) {
            Ok(Piped::Line(line)) => {
                self.line = line;
                Next::Line(&self.line)
            }
            Ok(Piped::Failed(e)) => {
                self.notes.push(e);
                self.ended = true;
                Next::Ended
            }
            Err(RecvTimeoutError::Timeout) => Next::Idle,
            Err(RecvTimeoutError::Disconnected) => {
                self.ended = true;
                Next::Ended
            }
        }
    }
}

impl Drop for PipeFollower {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines(f: &mut FileFollower) -> Vec<String> {
        let mut out = Vec::new();
        while let Next::Line(l) = f.next_line() {
            out.push(String::from_utf8_lossy(l).into_owned());
        }
        out
    }

    fn append(path: &Path, text: &str) {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn end_start_waits_for_a_whole_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mail.log");
        append(&p, "old 1\nold 2\npart");
        let mut f = FileFollower::new(&p, Start::End);
        assert!(lines(&mut f).is_empty());
        append(&p, "ial\nnew\n");
        assert_eq!(lines(&mut f), ["partial", "new"]);
        assert_eq!(
            f.position().unwrap().offset,
            fs::metadata(&p).unwrap().len()
        );
    }

    #[test]
    fn rename_copytruncate_missing_and_resume() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mail.log");
        let mut f = FileFollower::new(&p, Start::End);
        assert!(lines(&mut f).is_empty());
        append(&p, "a\nb\n");
        assert_eq!(lines(&mut f), ["a", "b"]);
        // Rename rotation: the old file gets one more line after the new one appears.
        fs::rename(&p, dir.path().join("mail.log.1")).unwrap();
        append(&p, "c\n");
        assert_eq!(lines(&mut f), ["c"]);
        append(&dir.path().join("mail.log.1"), "late\n");
        append(&p, "d\n");
        assert_eq!(lines(&mut f), ["late", "d"]);
        // copytruncate: a line arrives after our last read, the copy is made, the file emptied.
        append(&p, "e\n");
        fs::copy(&p, dir.path().join("mail.log.2")).unwrap();
        fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&p)
            .unwrap();
        append(&p, "f\n");
        assert_eq!(lines(&mut f), ["e", "f"]);
        // Resume where we stopped, after a rename while stopped.
        let pos = f.position().unwrap();
        append(&p, "g\n");
        fs::rename(&p, dir.path().join("mail.log.3")).unwrap();
        append(&p, "h\n");
        let mut again = FileFollower::new(&p, Start::At(pos));
        assert_eq!(lines(&mut again), ["g", "h"]);
    }

    #[test]
    fn truncated_and_regrown_past_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.log");
        append(&p, "one\n");
        let mut f = FileFollower::new(&p, Start::Beginning);
        assert_eq!(lines(&mut f), ["one"]);
        fs::write(&p, "a longer first line\nsecond\n").unwrap();
        assert_eq!(lines(&mut f), ["a longer first line", "second"]);
    }

    #[test]
    fn pipe_lines_then_end() {
        let mut p = PipeFollower::spawn("t", Box::new(io::Cursor::new(b"x\r\ny\n".to_vec())), None);
        let mut got = Vec::new();
        loop {
            match p.next_line(Duration::from_millis(500)) {
                Next::Line(l) => got.push(l.to_vec()),
                Next::Idle => continue,
                Next::Ended => break,
            }
        }
        assert_eq!(got, [b"x".to_vec(), b"y".to_vec()]);
    }
}
