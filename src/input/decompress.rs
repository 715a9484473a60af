//! Recognising compressed input by its magic bytes, and decompressing it on a
//! thread of its own that feeds the line reader through a channel of chunks.

use std::io::{self, BufReader, Read};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::thread;

use super::lines::BUFFER_SIZE;

/// Size of the decompressed chunks sent to the reading side.
const CHUNK_SIZE: usize = 256 * 1024;
/// Chunks in flight between the decompression thread and the reader.
const CHANNEL_BOUND: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Plain,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

impl Format {
    /// Recognises a format by the first bytes of the stream (up to 6 are needed).
    pub(crate) fn detect(magic: &[u8]) -> Format {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Format::Gzip
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Format::Zstd
        } else if magic.starts_with(b"BZh") {
            Format::Bzip2
        } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Format::Xz
        } else {
            Format::Plain
        }
    }

    fn label(self) -> &'static str {
        match self {
            Format::Plain => "plain",
            Format::Gzip => "gzip",
            Format::Zstd => "zstd",
            Format::Bzip2 => "bzip2",
            Format::Xz => "xz",
        }
    }
}

/// The longest magic number looked at.
const MAGIC_LEN: usize = 6;

/// Looks at the first bytes of `raw` and returns a reader of its content:
/// `raw` itself (with the peeked bytes put back) for plain data, or a reader
/// fed by a decompression thread.
pub(crate) fn open_stream(raw: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let mut raw = raw;
    let mut magic = [0u8; MAGIC_LEN];
    let mut got = 0;
    while got < MAGIC_LEN {
        match raw.read(magic.get_mut(got..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => got = (got + n).min(MAGIC_LEN),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    let peeked = magic.get(..got).unwrap_or_default().to_vec();
    let format = Format::detect(&peeked);
    let whole: Box<dyn Read + Send> = Box::new(io::Cursor::new(peeked).chain(raw));
    match format {
        Format::Plain => Ok(whole),
        compressed => Ok(Box::new(spawn_decoder(compressed, whole)?)),
    }
}

enum Message {
    Data(Vec<u8>),
    Failed(io::Error),
    End,
}

/// Reads the decompressed bytes produced by the decompression thread.
struct ChunkReader {
    chunks: Receiver<Message>,
    /// Used chunks go back to the thread to be refilled.
    recycle: Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    finished: bool,
}

fn spawn_decoder(format: Format, input: Box<dyn Read + Send>) -> io::Result<ChunkReader> {
    let (chunk_tx, chunk_rx) = sync_channel(CHANNEL_BOUND);
    let (recycle_tx, recycle_rx) = channel();
    thread::Builder::new()
        .name(format!("{}-decoder", format.label()))
        .spawn(move || {
            let input = BufReader::with_capacity(BUFFER_SIZE, input);
            let mut decoder: Box<dyn Read> = match format {
                Format::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
                Format::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(input)),
                Format::Xz => Box::new(xz2::bufread::XzDecoder::new_multi_decoder(input)),
                Format::Zstd => match zstd::stream::read::Decoder::with_buffer(input) {
                    Ok(decoder) => Box::new(decoder),
                    Err(err) => {
                        let _ = chunk_tx.send(Message::Failed(describe(format, err)));
                        return;
                    }
                },
                Format::Plain => Box::new(input),
            };
            pump(format, &mut *decoder, &chunk_tx, &recycle_rx);
        })?;
    Ok(ChunkReader {
        chunks: chunk_rx,
        recycle: recycle_tx,
        current: Vec::new(),
        pos: 0,
        finished: false,
    })
}

/// Decompresses into chunks and sends them until the end, an error, or the
/// reading side hanging up.
fn pump(
    format: Format,
    decoder: &mut dyn Read,
    chunks: &SyncSender<Message>,
    recycled: &Receiver<Vec<u8>>,
) {
    loop {
        let mut chunk = recycled.try_recv().unwrap_or_default();
        chunk.resize(CHUNK_SIZE, 0);
        let mut filled = 0;
        let mut outcome = None;
        while filled < chunk.len() {
            match decoder.read(chunk.get_mut(filled..).unwrap_or_default()) {
                Ok(0) => {
                    outcome = Some(Message::End);
                    break;
                }
                Ok(n) => filled = (filled + n).min(chunk.len()),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    outcome = Some(Message::Failed(describe(format, err)));
                    break;
                }
            }
        }
        chunk.truncate(filled);
        if filled > 0 && chunks.send(Message::Data(chunk)).is_err() {
            return; // the reader is gone
        }
        if let Some(last) = outcome {
            let _ = chunks.send(last);
            return;
        }
    }
}

/// Names the format in a decompression error.
fn describe(format: Format, err: io::Error) -> io::Error {
    let text = super::io_message(&err);
    let message = if err.kind() == io::ErrorKind::UnexpectedEof {
        format!("truncated {} data ({text})", format.label())
    } else {
        format!("corrupt {} data ({text})", format.label())
    };
    io::Error::new(err.kind(), message)
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(rest) = self.current.get(self.pos..).filter(|r| !r.is_empty()) {
                let n = rest.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.pos += n;
                return Ok(n);
            }
            if self.finished {
                return Ok(0);
            }
            if self.current.capacity() > 0 {
                let _ = self.recycle.send(std::mem::take(&mut self.current));
            }
            self.pos = 0;
            match self.chunks.recv() {
                Ok(Message::Data(chunk)) => self.current = chunk,
                Ok(Message::End) => self.finished = true,
                Ok(Message::Failed(err)) => {
                    self.finished = true;
                    return Err(err);
                }
                Err(_) => {
                    self.finished = true;
                    return Err(io::Error::other("decompression stopped unexpectedly"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_magic() {
        assert_eq!(Format::detect(b""), Format::Plain);
        assert_eq!(Format::detect(b"\x1f"), Format::Plain);
        assert_eq!(Format::detect(b"\x1f\x8b\x08"), Format::Gzip);
        assert_eq!(Format::detect(b"\x28\xb5\x2f\xfd\x00"), Format::Zstd);
        assert_eq!(Format::detect(b"BZh9"), Format::Bzip2);
        assert_eq!(Format::detect(b"\xfd7zXZ\x00"), Format::Xz);
        assert_eq!(Format::detect(b"\xfd7zXZ"), Format::Plain);
        assert_eq!(Format::detect(b"Nov 28 17:29:16 host"), Format::Plain);
    }

    #[test]
    fn short_plain_input_is_put_back() {
        for text in [&b""[..], b"a", b"ab\n", b"BZ", b"hello world\n"] {
            let mut out = Vec::new();
            open_stream(Box::new(io::Cursor::new(text.to_vec())))
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, text);
        }
    }
}
