//! Tests on real files: compression detected by content, line endings, errors.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::*;

const TEXT: &[u8] = b"Nov 28 17:29:16 mx postfix/smtpd[123]: connect from a[1.2.3.4]\r\n\
Nov 28 17:29:16 mx postfix/smtpd[123]: bad \xff\xfe utf-8\n\
\n\
Nov 28 17:29:17 mx postfix/qmgr[99]: 4F00: removed";

fn expected() -> Vec<Vec<u8>> {
    vec![
        b"Nov 28 17:29:16 mx postfix/smtpd[123]: connect from a[1.2.3.4]".to_vec(),
        b"Nov 28 17:29:16 mx postfix/smtpd[123]: bad \xff\xfe utf-8".to_vec(),
        b"".to_vec(),
        b"Nov 28 17:29:17 mx postfix/qmgr[99]: 4F00: removed".to_vec(),
    ]
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(data, 3).unwrap()
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn source(path: &Path) -> Source {
    let (mut sources, errors) = sources_from_args(&[path.to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    sources.pop().unwrap()
}

/// All lines of a file, then the error that ended it, if any.
fn read_all(path: &Path) -> (Vec<Vec<u8>>, Option<InputError>) {
    let mut reader = source(path).open().unwrap();
    let mut lines = Vec::new();
    loop {
        match reader.next_line() {
            Ok(Some(line)) => {
                lines.push(line.to_vec());
                assert_eq!(reader.line_number(), lines.len() as u64);
            }
            Ok(None) => return (lines, None),
            Err(err) => return (lines, Some(err)),
        }
    }
}

fn lines(path: &Path) -> Vec<Vec<u8>> {
    let (lines, err) = read_all(path);
    assert!(err.is_none(), "{err:?}");
    lines
}

#[test]
fn plain_and_every_compression_under_misleading_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases = [
        write(d, "plain.log", TEXT),
        write(d, "plain-named.gz", TEXT),
        write(d, "plain-named.zst", TEXT),
        write(d, "gzip-named.log", &gzip(TEXT)),
        write(d, "zstd-named.gz", &zstd(TEXT)),
        write(d, "bzip2-named.xz", &bzip2(TEXT)),
        write(d, "xz-named.bz2", &xz(TEXT)),
        write(d, "xz-no-suffix", &xz(TEXT)),
    ];
    for path in &cases {
        assert_eq!(lines(path), expected(), "{}", path.display());
    }
}

#[test]
fn reader_name_is_the_path_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "mail.log", &gzip(TEXT));
    let reader = source(&path).open().unwrap();
    assert_eq!(reader.name(), path.display().to_string());
}

#[test]
fn empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for path in [
        write(d, "empty", b""),
        write(d, "empty.gz", &gzip(b"")),
        write(d, "empty.zst", &zstd(b"")),
        write(d, "empty.bz2", &bzip2(b"")),
        write(d, "empty.xz", &xz(b"")),
    ] {
        assert!(lines(&path).is_empty(), "{}", path.display());
    }
}

#[test]
fn multi_member_and_multi_frame_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, b) = (&b"first\nsecond "[..], &b"half\nthird\n"[..]);
    let want = vec![
        b"first".to_vec(),
        b"second half".to_vec(),
        b"third".to_vec(),
    ];
    for (name, encode) in [
        ("multi.gz", gzip as fn(&[u8]) -> Vec<u8>),
        ("multi.zst", zstd),
        ("multi.bz2", bzip2),
        ("multi.xz", xz),
    ] {
        let mut bytes = encode(a);
        bytes.extend(encode(b));
        let path = write(d, name, &bytes);
        assert_eq!(lines(&path), want, "{name}");
    }
}

#[test]
fn large_compressed_input_crosses_many_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = Vec::new();
    for i in 0..200_000u32 {
        writeln!(text, "Nov 28 17:29:16 mx postfix/smtp[{i}]: line {i}").unwrap();
    }
    let huge_line = vec![b'z'; 10 * 1024 * 1024];
    text.extend_from_slice(&huge_line);
    text.extend_from_slice(b"\nend");
    for (name, bytes) in [("big.gz", gzip(&text)), ("big.zst", zstd(&text))] {
        let path = write(dir.path(), name, &bytes);
        let got = lines(&path);
        assert_eq!(got.len(), 200_002, "{name}");
        assert_eq!(got[0], b"Nov 28 17:29:16 mx postfix/smtp[0]: line 0");
        assert_eq!(
            got[199_999],
            b"Nov 28 17:29:16 mx postfix/smtp[199999]: line 199999"
        );
        assert_eq!(got[200_000], huge_line);
        assert_eq!(got[200_001], b"end");
    }
}

#[test]
fn truncated_gzip_gives_good_lines_then_error_with_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = Vec::new();
    for i in 0..1000 {
        writeln!(text, "line {i:04}").unwrap(); // 10 bytes each
    }
    let mut bytes = gzip(&text);
    // Cut off the trailer and the last part of the deflate stream.
    bytes.truncate(bytes.len() - 20);
    let path = write(dir.path(), "cut.log.gz", &bytes);
    let (got, err) = read_all(&path);
    let err = err.expect("a truncated file is an error");
    assert_eq!(err.name, path.display().to_string());
    let offset = err.offset.expect("offset of the decompressed stream");
    assert!(offset < text.len() as u64);
    // Every complete line before the offset was returned, nothing after.
    let complete = (offset / 10) as usize;
    assert_eq!(got.len(), complete);
    for (i, line) in got.iter().enumerate() {
        assert_eq!(line, format!("line {i:04}").as_bytes());
    }
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{}: at byte {offset}: ", path.display())),
        "{shown}"
    );
    assert!(shown.contains("gzip"), "{shown}");
}

#[test]
fn truncated_and_corrupt_zstd_and_others() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = Vec::new();
    for i in 0..5000 {
        writeln!(text, "line {i:04}").unwrap();
    }
    for (name, mut bytes) in [
        ("cut.zst", zstd(&text)),
        ("cut.bz2", bzip2(&text)),
        ("cut.xz", xz(&text)),
    ] {
        let keep = bytes.len() / 2;
        bytes.truncate(keep);
        let path = write(dir.path(), name, &bytes);
        let (got, err) = read_all(&path);
        let err = err.unwrap_or_else(|| panic!("{name}: no error"));
        assert!(err.offset.is_some(), "{name}");
        assert!(got.len() < 5000, "{name}");
        for (i, line) in got.iter().enumerate() {
            assert_eq!(line, format!("line {i:04}").as_bytes());
        }
    }
    // Garbage after a valid gzip magic.
    let mut garbage = vec![0x1f, 0x8b, 0x08, 0x00];
    garbage.extend_from_slice(&[0xAB; 64]);
    let path = write(dir.path(), "garbage.log", &garbage);
    let (_, err) = read_all(&path);
    let err = err.expect("corrupt gzip is an error");
    assert!(err.offset.is_some());
    assert!(err.message.contains("gzip"), "{err}");
}

#[test]
fn directory_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("mail.log.9");
    let (sources, errors) = sources_from_args(&[dir.path().to_path_buf(), missing.clone()]);
    assert!(sources.is_empty());
    assert_eq!(
        errors[0].to_string(),
        format!("{}: is a directory", dir.path().display())
    );
    assert_eq!(
        errors[1].to_string(),
        format!("{}: No such file or directory", missing.display())
    );
    // A source whose file disappeared before it was opened.
    let gone = Source {
        name: "mail.log.9".into(),
        kind: SourceKind::File(missing),
        mtime: None,
    };
    assert_eq!(
        gone.open().unwrap_err().to_string(),
        "mail.log.9: No such file or directory"
    );
    let folder = Source {
        name: "folder".into(),
        kind: SourceKind::File(dir.path().to_path_buf()),
        mtime: None,
    };
    assert_eq!(
        folder.open().unwrap_err().to_string(),
        "folder: is a directory"
    );
}

#[test]
fn dropping_a_reader_early_stops_the_decoder() {
    let dir = tempfile::tempdir().unwrap();
    let text = b"a line of text\n".repeat(200_000);
    let path = write(dir.path(), "big.gz", &gzip(&text));
    for _ in 0..20 {
        let mut reader = source(&path).open().unwrap();
        assert_eq!(reader.next_line().unwrap(), Some(&b"a line of text"[..]));
        drop(reader);
    }
}

#[test]
fn mtime_is_the_file_modification_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "mail.log", b"x\n");
    let src = source(&path);
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert_eq!(
        src.mtime,
        Some(jiff::Timestamp::try_from(modified).unwrap())
    );
}
