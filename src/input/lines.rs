//! Fast line splitting over any byte stream.

use std::io::{self, Read};
use std::ops::Range;

use super::InputError;

/// Size of the line buffer, and of each read into it.
pub(crate) const BUFFER_SIZE: usize = 256 * 1024;

/// The longest line kept whole. A longer one (a corrupt file, an endless line without a
/// newline) is handed on cut to this length and the rest of it skipped, so that memory stays
/// bounded; no real log line comes near it (syslog daemons cut lines at 8 KiB or so).
pub(crate) const MAX_LINE: usize = 64 * 1024 * 1024;

/// A buffer handed over with where its block of whole lines stands in it.
pub type OwnedBlock = (Vec<u8>, Range<usize>);

/// Lines as `LineReader::next_lines` hands them over: the buffer they were read into, and
/// where each line stands in it (without its line terminator).
#[derive(Debug, Default)]
pub struct LineBlock {
    buffer: Vec<u8>,
    lines: Vec<Range<usize>>,
}

impl LineBlock {
    /// How many lines the block holds.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The lines numbered `which` in the block (from 0), in order.
    pub fn lines(&self, which: Range<usize>) -> impl Iterator<Item = &[u8]> {
        self.lines
            .get(which)
            .unwrap_or_default()
            .iter()
            .map(|line| self.buffer.get(line.clone()).unwrap_or_default())
    }
}

enum State {
    /// More bytes may come.
    Reading,
    /// The stream ended; what is left in the buffer is the last line.
    Eof,
    /// The stream failed; complete lines in the buffer are still returned, then this error.
    Failed(io::Error),
    /// Everything has been returned.
    Done,
}

/// Where the line `buf[from..newline]` ends without the `\r` of a `\r\n`: every reader hands
/// out lines the same way.
pub(crate) fn line_end(buf: &[u8], from: usize, newline: usize) -> usize {
    if newline > from && buf.get(newline - 1) == Some(&b'\r') {
        newline - 1
    } else {
        newline
    }
}

/// Where `window` holds a `\n`: bit `i` is set when byte `i` is one.
#[cfg(target_arch = "x86_64")]
#[inline]
fn newlines_in(window: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut found = 0;
    for (i, sixteen) in window.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of every x86_64 target; the load reads the 16 bytes of
        // `sixteen` (unaligned load).
        let mask = unsafe {
            let bytes = _mm_loadu_si128(sixteen.as_ptr().cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\n' as i8)))
        };
        found |= u64::from(mask as u16) << (16 * i);
    }
    found
}

#[cfg(not(target_arch = "x86_64"))]
use newlines_in_plain as newlines_in;

/// `newlines_in` a byte at a time.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn newlines_in_plain(window: &[u8; 64]) -> u64 {
    (0..)
        .zip(window)
        .fold(0, |found, (i, &byte)| found | u64::from(byte == b'\n') << i)
}

/// Streams lines as bytes, without the trailing `"\n"` or `"\r\n"`.
///
/// Reads in large blocks into one buffer that is reused (and grown for a line
/// longer than it), and hands out slices of it: no allocation per line. A last
/// line without newline is still returned. Bytes are never decoded, so invalid
/// UTF-8 is no error. A read or decompression error mid-stream is returned as an
/// [`InputError`] carrying the source name and the number of (decompressed) bytes
/// read until then, after all complete lines before it.
pub struct LineReader {
    name: String,
    src: Box<dyn Read + Send>,
    buf: Vec<u8>,
    /// Unconsumed bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// `buf[start..scanned]` is known to hold no newline.
    scanned: usize,
    /// Bytes read from `src` so far.
    offset: u64,
    line: u64,
    state: State,
    /// The rest of an overlong line is being skipped, up to its newline.
    skipping: bool,
}

impl LineReader {
    /// Lines of `reader`, read as they are (no decompression); `name` is what
    /// errors show. Handy for tests of line consumers, too.
    pub fn new(name: impl Into<String>, reader: impl Read + Send + 'static) -> LineReader {
        LineReader::from_boxed(name.into(), Box::new(reader))
    }

    pub(crate) fn from_boxed(name: String, src: Box<dyn Read + Send>) -> LineReader {
        LineReader {
            name,
            src,
            buf: vec![0; BUFFER_SIZE],
            start: 0,
            end: 0,
            scanned: 0,
            offset: 0,
            line: 0,
            state: State::Reading,
            skipping: false,
        }
    }

    /// The next line, without its line terminator; `None` at the end of the input.
    // Inlined, with the rest out of line: most calls find a whole line waiting in the buffer,
    // and for those the call and its returned `Result` (through memory) cost about as much as
    // finding the line.
    #[inline]
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, InputError> {
        Ok(self
            .next_line_range()?
            .map(|line| self.buf.get(line).unwrap_or_default()))
    }

    /// Where the next line stands in the buffer.
    #[inline]
    fn next_line_range(&mut self) -> Result<Option<Range<usize>>, InputError> {
        match self.whole_line() {
            Some(line) => Ok(Some(line)),
            None => self.next_line_refilling(),
        }
    }

    /// Where the next line stands in the buffer, when the buffer holds it whole (and no
    /// overlong line is being skipped): the common case of `next_line` and `next_lines`.
    #[inline]
    fn whole_line(&mut self) -> Option<Range<usize>> {
        if self.skipping {
            return None;
        }
        let unscanned = self.buf.get(self.scanned..self.end).unwrap_or_default();
        let newline = self.scanned + memchr::memchr(b'\n', unscanned)?;
        let from = self.start;
        let to = line_end(&self.buf, from, newline);
        self.start = newline + 1;
        self.scanned = self.start;
        self.line += 1;
        Some(from..to)
    }

    /// `whole_line` over and over into `lines` until `most` lines are there or the buffer
    /// holds no whole line more, with the buffer searched for newlines 64 bytes at a time
    /// (a `memchr` per line cost twice the instructions; its start-up is most of a line).
    fn whole_lines(&mut self, lines: &mut Vec<Range<usize>>, most: usize) {
        if !self.skipping {
            let buf = self.buf.get(..self.end).unwrap_or_default();
            let (mut from, mut at) = (self.start, self.scanned);
            let taken = lines.len();
            'windows: while lines.len() < most {
                let Some(window) = buf.get(at..).and_then(|rest| rest.first_chunk::<64>()) else {
                    break;
                };
                let mut newlines = newlines_in(window);
                while newlines != 0 {
                    let newline = at + newlines.trailing_zeros() as usize;
                    newlines &= newlines - 1;
                    lines.push(from..line_end(buf, from, newline));
                    from = newline + 1;
                    if lines.len() >= most {
                        // Newlines after this one in the window are not taken.
                        at = from;
                        break 'windows;
                    }
                }
                at += 64;
            }
            self.line += (lines.len() - taken) as u64;
            self.start = from;
            self.scanned = at.max(from);
        }
        // The last bytes, short of a window.
        while lines.len() < most {
            match self.whole_line() {
                Some(line) => lines.push(line),
                None => break,
            }
        }
    }

    /// `next_line` when the buffer holds no whole line: reads on, skips the rest of an
    /// overlong line, hands out (where it stands in the buffer) the last line at the end or
    /// the error.
    #[inline(never)]
    fn next_line_refilling(&mut self) -> Result<Option<Range<usize>>, InputError> {
        let (from, to) = loop {
            let unscanned = self.buf.get(self.scanned..self.end).unwrap_or_default();
            let newline_at = memchr::memchr(b'\n', unscanned);
            if self.skipping {
                // Drop what is left of an overlong line, newline included.
                match newline_at {
                    Some(at) => {
                        self.skipping = false;
                        self.start = self.scanned + at + 1;
                        self.scanned = self.start;
                        continue;
                    }
                    None => {
                        self.start = self.end;
                        self.scanned = self.end;
                    }
                }
            } else if newline_at.is_none() && self.end - self.start >= MAX_LINE {
                let from = self.start;
                self.start = self.end;
                self.scanned = self.end;
                self.skipping = true;
                break (from, from + MAX_LINE);
            }
            if let Some(at) = newline_at.filter(|_| !self.skipping) {
                let newline = self.scanned + at;
                let from = self.start;
                let to = line_end(&self.buf, from, newline);
                self.start = newline + 1;
                self.scanned = self.start;
                break (from, to);
            }
            self.scanned = self.end;
            match std::mem::replace(&mut self.state, State::Done) {
                State::Reading => {
                    self.state = State::Reading;
                    self.fill();
                }
                State::Eof => {
                    if self.start < self.end {
                        let from = self.start;
                        self.start = self.end;
                        break (from, self.end);
                    }
                    return Ok(None);
                }
                State::Failed(err) => {
                    // The incomplete line before the error is dropped.
                    self.start = self.end;
                    return Err(self.error(super::io_message(&err)));
                }
                State::Done => return Ok(None),
            }
        };
        self.line += 1;
        Ok(Some(from..to))
    }

    /// `next_line`'s next lines, up to `most` of them (at least one), handed over with the
    /// buffer they were read into instead of one at a time: the lines the buffer holds whole,
    /// or the line `next_line` would read on for. `None` at the end of the input; a read
    /// error as `next_line` returns it, after all the lines before it. The reader goes on in
    /// `spare`'s buffer (see `next_block_owned`), and `spare`'s list of lines is reused: a
    /// consumer that keeps the lines it read does not copy them.
    pub fn next_lines(
        &mut self,
        mut spare: LineBlock,
        most: usize,
    ) -> Result<Option<LineBlock>, InputError> {
        spare.lines.clear();
        let Some(first) = self.next_line_range()? else {
            return Ok(None);
        };
        spare.lines.push(first);
        self.whole_lines(&mut spare.lines, most);
        let buffer = std::mem::take(&mut spare.buffer);
        spare.buffer = self.hand_over(buffer);
        Ok(Some(spare))
    }

    /// The next run of whole lines as they stand in the input, each with its `\n` (the last
    /// line of the input may lack it), for a consumer that searches many lines at once.
    /// `None` at the end of the input; a read error as `next_line` reports it, after the
    /// whole lines before it. A line longer than `MAX_LINE` is an error here (`next_line` cuts
    /// it instead). Not to be mixed with `next_line` on one reader, which counts lines.
    pub fn next_block(&mut self) -> Result<Option<&[u8]>, InputError> {
        Ok(self
            .next_block_range()?
            .map(|range| self.buf.get(range).unwrap_or_default()))
    }

    /// `next_block`, handing over the buffer the block was read into: the block is
    /// `buffer[range]`. The reader goes on in `spare` (any buffer; one handed out before
    /// needs no zeroing again: see `hand_over`), with the start of a line read past the block
    /// copied there: a consumer that keeps the blocks it read does not copy them.
    pub fn next_block_owned(&mut self, spare: Vec<u8>) -> Result<Option<OwnedBlock>, InputError> {
        let Some(range) = self.next_block_range()? else {
            return Ok(None);
        };
        Ok(Some((self.hand_over(spare), range)))
    }

    /// Hands the buffer over, going on in `spare` with the bytes not consumed yet copied to
    /// its start. A spare too small for them, or more than twice the size needed (grown for a
    /// long line once), is replaced by a new buffer.
    fn hand_over(&mut self, mut spare: Vec<u8>) -> Vec<u8> {
        let rest = self.buf.get(self.start..self.end).unwrap_or_default();
        let size = BUFFER_SIZE.max(rest.len());
        if !(size..=2 * size).contains(&spare.len()) {
            // Zeroed by the allocator (fresh pages come zeroed), not byte by byte.
            spare = vec![0; size];
        }
        if let Some(head) = spare.get_mut(..rest.len()) {
            head.copy_from_slice(rest);
        }
        self.end -= self.start;
        // `scanned` is behind `start` once a block or the last line took all bytes.
        self.scanned = self.scanned.max(self.start) - self.start;
        self.start = 0;
        std::mem::replace(&mut self.buf, spare)
    }

    /// Where in the buffer the next block stands (see `next_block`).
    fn next_block_range(&mut self) -> Result<Option<Range<usize>>, InputError> {
        loop {
            let pending = self.buf.get(self.start..self.end).unwrap_or_default();
            if let Some(last) = memchr::memrchr(b'\n', pending) {
                let from = self.start;
                self.start += last + 1;
                self.scanned = self.start;
                return Ok(Some(from..self.start));
            }
            if self.end - self.start >= MAX_LINE {
                return Err(self.error(format!("a line longer than {MAX_LINE} bytes")));
            }
            match std::mem::replace(&mut self.state, State::Done) {
                State::Reading => {
                    self.state = State::Reading;
                    self.fill();
                }
                State::Eof if self.start < self.end => {
                    let from = self.start;
                    self.start = self.end;
                    return Ok(Some(from..self.end));
                }
                State::Eof | State::Done => return Ok(None),
                State::Failed(err) => {
                    self.start = self.end;
                    return Err(self.error(super::io_message(&err)));
                }
            }
        }
    }

    /// An error at the reader's current offset in its input.
    fn error(&self, message: String) -> InputError {
        InputError {
            name: self.name.clone(),
            offset: Some(self.offset),
            message,
        }
    }

    /// 1-based number of the line last returned (0 before the first).
    pub fn line_number(&self) -> u64 {
        self.line
    }

    /// The name of the input, as in [`super::Source::name`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Makes room at the end of the buffer and reads once into it, updating the state
    /// at the end of the stream or on an error.
    fn fill(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.scanned -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let bigger = (self.buf.len() * 2).max(BUFFER_SIZE);
            self.buf.resize(bigger, 0);
        }
        loop {
            match self
                .src
                .read(self.buf.get_mut(self.end..).unwrap_or_default())
            {
                Ok(0) => self.state = State::Eof,
                Ok(n) => {
                    // A misbehaving reader must not make us slice out of bounds.
                    let n = n.min(self.buf.len() - self.end);
                    self.end += n;
                    self.offset += n as u64;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => self.state = State::Failed(err),
            }
            return;
        }
    }
}

impl std::fmt::Debug for LineReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineReader")
            .field("name", &self.name)
            .field("line", &self.line)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_lines(reader: &mut LineReader) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            out.push(line.to_vec());
        }
        out
    }

    fn lines_of(bytes: &[u8]) -> Vec<Vec<u8>> {
        all_lines(&mut LineReader::new(
            "test",
            io::Cursor::new(bytes.to_vec()),
        ))
    }

    #[test]
    fn terminators_and_last_line() {
        assert_eq!(lines_of(b""), Vec::<Vec<u8>>::new());
        assert_eq!(lines_of(b"\n"), vec![b"".to_vec()]);
        assert_eq!(lines_of(b"a\nb"), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(lines_of(b"a\r\nb\r\n"), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(
            lines_of(b"a\r\r\n\r\n"),
            vec![b"a\r".to_vec(), b"".to_vec()]
        );
        assert_eq!(
            lines_of(b"a\n\nb\n"),
            vec![b"a".to_vec(), b"".to_vec(), b"b".to_vec()]
        );
        assert_eq!(
            lines_of(b"\xff\xfe\n\xc3("),
            vec![b"\xff\xfe".to_vec(), b"\xc3(".to_vec()]
        );
    }

    #[test]
    fn line_numbers_and_name() {
        let mut r = LineReader::new("x.log", io::Cursor::new(b"a\nb\nc".to_vec()));
        assert_eq!(r.name(), "x.log");
        assert_eq!(r.line_number(), 0);
        r.next_line().unwrap();
        r.next_line().unwrap();
        assert_eq!(r.line_number(), 2);
        r.next_line().unwrap();
        assert_eq!(r.line_number(), 3);
        assert!(r.next_line().unwrap().is_none());
        assert!(r.next_line().unwrap().is_none());
        assert_eq!(r.line_number(), 3);
    }

    /// Hands out its bytes a few at a time, like a pipe.
    struct Trickle(Vec<u8>, usize);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let rest = &self.0[self.1..];
            let n = rest.len().min(buf.len()).min(3);
            buf[..n].copy_from_slice(&rest[..n]);
            self.1 += n;
            Ok(n)
        }
    }

    #[test]
    fn small_reads() {
        let text = b"first line\r\nsecond\n\nfourth".to_vec();
        let mut r = LineReader::new("t", Trickle(text, 0));
        assert_eq!(
            all_lines(&mut r),
            vec![
                b"first line".to_vec(),
                b"second".to_vec(),
                b"".to_vec(),
                b"fourth".to_vec()
            ]
        );
    }

    #[test]
    fn lines_across_buffer_boundaries_and_huge_line() {
        let mut text = Vec::new();
        let mut expected = Vec::new();
        for i in 0..50_000u32 {
            let line = format!("line {i} {}", "x".repeat((i % 97) as usize));
            text.extend_from_slice(line.as_bytes());
            text.push(b'\n');
            expected.push(line.into_bytes());
        }
        let huge = vec![b'h'; 10 * 1024 * 1024 + 17];
        text.extend_from_slice(&huge);
        text.extend_from_slice(b"\r\nafter\n");
        expected.push(huge);
        expected.push(b"after".to_vec());
        assert_eq!(lines_of(&text), expected);
    }

    #[test]
    fn owned_blocks_are_the_input_in_whole_lines() {
        let mut lines = Vec::new();
        for i in 0..10_000u32 {
            let line = format!("line {i} {}", "y".repeat((i % 89) as usize));
            lines.extend_from_slice(line.as_bytes());
            lines.push(b'\n');
        }
        let mut long = lines.repeat(4);
        long.extend_from_slice(&vec![b'l'; 3 * BUFFER_SIZE + 5]);
        long.extend_from_slice(b"\nlast without newline");
        let mut trickled = LineReader::new("b", Trickle(lines.clone(), 0));
        let mut read = LineReader::new("b", io::Cursor::new(long.clone()));
        for (reader, text) in [(&mut trickled, &lines), (&mut read, &long)] {
            let mut got = Vec::new();
            // Spares of every kind: none, too small, handed out before.
            let mut spares: Vec<Vec<u8>> = vec![Vec::new(), vec![7; 10]];
            while let Some((buffer, range)) = reader
                .next_block_owned(spares.pop().unwrap_or_default())
                .unwrap()
            {
                let block = &buffer[range];
                assert!(
                    block.ends_with(b"\n") || block.ends_with(b"newline"),
                    "whole lines"
                );
                got.extend_from_slice(block);
                spares.insert(0, buffer);
            }
            assert_eq!(&got, text);
        }
    }

    #[test]
    fn newlines_found_a_window_at_a_time_are_those_found_a_byte_at_a_time() {
        let mut window = [0u8; 64];
        assert_eq!(newlines_in(&window), 0);
        for at in 0..64 {
            window = [b'x'; 64];
            window[at] = b'\n';
            assert_eq!(newlines_in(&window), 1 << at);
        }
        // Every byte value, at every position, and many newlines at once.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..2_000 {
            for (i, byte) in window.iter_mut().enumerate() {
                crate::parse::bytes::xorshift(&mut seed);
                *byte = match seed % 4 {
                    0 => b'\n',
                    1 => b'\r',
                    _ => (round * 64 + i) as u8,
                };
            }
            assert_eq!(newlines_in(&window), newlines_in_plain(&window));
        }
    }

    /// Every line of `reader` through `next_lines`, `most` at a time, reading into spares of
    /// every kind (none, too small, too big, handed out before), and the error it ended with.
    fn lines_in_blocks(
        mut reader: LineReader,
        most: usize,
    ) -> (Vec<Vec<u8>>, Option<InputError>, u64) {
        let mut out = Vec::new();
        let too_big = LineBlock {
            buffer: vec![1; 3 * BUFFER_SIZE],
            lines: Vec::new(),
        };
        let too_small = LineBlock {
            buffer: vec![7; 10],
            lines: vec![0..3, 5..6],
        };
        let mut spares = vec![LineBlock::default(), too_small, too_big];
        loop {
            match reader.next_lines(spares.pop().unwrap_or_default(), most) {
                Ok(Some(block)) => {
                    assert!((1..=most).contains(&block.len()), "{}", block.len());
                    assert!(!block.is_empty());
                    out.extend(block.lines(0..block.len()).map(<[u8]>::to_vec));
                    spares.insert(0, block);
                }
                Ok(None) => return (out, None, reader.line_number()),
                Err(err) => {
                    assert!(reader
                        .next_lines(LineBlock::default(), most)
                        .unwrap()
                        .is_none());
                    return (out, Some(err), reader.line_number());
                }
            }
        }
    }

    /// Every line of `reader` through `next_line`, and the error it ended with.
    fn lines_one_by_one(mut reader: LineReader) -> (Vec<Vec<u8>>, Option<InputError>, u64) {
        let mut out = Vec::new();
        loop {
            match reader.next_line() {
                Ok(Some(line)) => out.push(line.to_vec()),
                Ok(None) => return (out, None, reader.line_number()),
                Err(err) => return (out, Some(err), reader.line_number()),
            }
        }
    }

    /// `next_lines` hands out `next_line`'s lines, line numbers and error, read by `open`.
    fn same_lines_in_blocks(open: impl Fn() -> LineReader) {
        let (expected, error, number) = lines_one_by_one(open());
        for most in [1, 3, 512, usize::MAX] {
            let (got, got_error, got_number) = lines_in_blocks(open(), most);
            assert_eq!(got.len(), expected.len(), "most {most}");
            assert!(got == expected, "most {most}");
            assert_eq!(
                got_error.map(|e| e.to_string()),
                error.as_ref().map(|e| e.to_string())
            );
            assert_eq!(got_number, number);
        }
    }

    #[test]
    fn lines_in_blocks_are_next_lines_lines() {
        let mut many = Vec::new();
        for i in 0..30_000u32 {
            let line = format!("line {i} {}", "z".repeat((i % 101) as usize));
            many.extend_from_slice(line.as_bytes());
            many.extend_from_slice(if i % 7 == 0 { b"\r\n" } else { b"\n" });
        }
        let mut long = many.clone();
        long.extend_from_slice(&vec![b'l'; 3 * BUFFER_SIZE + 5]);
        long.extend_from_slice(b"\r\n\n\nlast without newline\r");
        let texts: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n".to_vec(),
            b"a\nb".to_vec(),
            b"a\r\nb\r\n".to_vec(),
            b"a\r\r\n\r\n".to_vec(),
            b"\r".to_vec(),
            b"\xff\xfe\n\xc3(".to_vec(),
            many.clone(),
            long,
        ];
        for text in texts {
            let read = text.clone();
            same_lines_in_blocks(|| LineReader::new("t", io::Cursor::new(read.clone())));
            let trickled = text.clone();
            same_lines_in_blocks(|| LineReader::new("t", Trickle(trickled.clone(), 0)));
        }
        let failing = many;
        same_lines_in_blocks(|| {
            LineReader::new("f.gz", FailAfter(io::Cursor::new(failing.clone())))
        });
    }

    /// Returns its bytes, then an error.
    struct FailAfter(io::Cursor<Vec<u8>>);
    impl Read for FailAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::new(io::ErrorKind::InvalidData, "corrupt")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn error_after_complete_lines() {
        let mut r = LineReader::new(
            "f.gz",
            FailAfter(io::Cursor::new(b"one\ntwo\nthr".to_vec())),
        );
        assert_eq!(r.next_line().unwrap(), Some(&b"one"[..]));
        assert_eq!(r.next_line().unwrap(), Some(&b"two"[..]));
        let err = r.next_line().unwrap_err();
        assert_eq!(err.name, "f.gz");
        assert_eq!(err.offset, Some(11));
        assert_eq!(err.to_string(), "f.gz: at byte 11: corrupt");
        assert!(r.next_line().unwrap().is_none());
    }

    #[test]
    fn interrupted_reads_are_retried() {
        struct Interrupting(bool, io::Cursor<Vec<u8>>);
        impl Read for Interrupting {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.0 = !self.0;
                if self.0 {
                    return Err(io::ErrorKind::Interrupted.into());
                }
                self.1.read(buf)
            }
        }
        let mut r = LineReader::new(
            "i",
            Interrupting(false, io::Cursor::new(b"a\nb\n".to_vec())),
        );
        assert_eq!(all_lines(&mut r), vec![b"a".to_vec(), b"b".to_vec()]);
    }
}

#[cfg(test)]
mod overlong_tests {
    use super::{LineBlock, LineReader, MAX_LINE};
    use std::io::Read;

    #[test]
    fn an_endless_line_is_cut_in_blocks_too() {
        let long = std::io::repeat(b'x').take(MAX_LINE as u64 + 5_000_000);
        let rest: &[u8] = b"\r\nnext line\nlast";
        let mut r = LineReader::new("t", b"first\n".chain(long.chain(rest)));
        let mut lines = Vec::new();
        let mut spare = LineBlock::default();
        while let Some(block) = r.next_lines(spare, usize::MAX).unwrap() {
            lines.extend(block.lines(0..block.len()).map(<[u8]>::to_vec));
            spare = block;
        }
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], b"first");
        assert_eq!(lines[1].len(), MAX_LINE);
        assert_eq!(&lines[2..], [&b"next line"[..], b"last"]);
        assert_eq!(r.line_number(), 4);
    }

    #[test]
    fn an_endless_line_is_cut_and_the_lines_after_it_survive() {
        let long = std::io::repeat(b'x').take(MAX_LINE as u64 + 5_000_000);
        let rest: &[u8] = b"\nnext line\n";
        let mut r = LineReader::new("t", long.chain(rest));
        assert_eq!(r.next_line().unwrap().map(<[u8]>::len), Some(MAX_LINE));
        assert_eq!(r.next_line().unwrap(), Some(&b"next line"[..]));
        assert_eq!(r.next_line().unwrap(), None);
    }
}
