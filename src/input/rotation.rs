//! Chronological order of rotated log sets, decided from the names alone.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::path::{Component, PathBuf};

/// Compression suffixes that logrotate (or an admin) may append to a rotated file.
const COMPRESSION_SUFFIXES: &[&[u8]] = &[b".gz", b".zst", b".zstd", b".bz2", b".xz"];

/// A date suffix has at least this many digits (`-%Y%m%d`); shorter runs of digits
/// after a dot are rotation numbers.
const MIN_DATE_DIGITS: usize = 8;

/// Where a file stands in its set. Derived `Ord` sorts oldest first: numbered
/// copies (highest number first), then dated copies (earliest first), then the
/// live file. Numbered copies come before dated ones because a set switched to
/// `dateext` leaves its old numbered copies behind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Numbered(Reverse<u64>),
    /// Digits of the date suffix, separators removed; compared by length first.
    Dated(usize, Vec<u8>),
    Current,
}

/// Files with the same key belong to one rotated set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SetKey {
    dir: PathBuf,
    base: Vec<u8>,
}

/// Orders a rotated set oldest first, whatever order it was given in: numbered
/// (`mail.log.3.gz`, `mail.log.2.gz`, `mail.log.1`, `mail.log`) and date-suffixed
/// (`maillog-20261127.gz`, `maillog-20261128`, `maillog`). Files that are not part
/// of a set keep their relative order; the members of one set are grouped where
/// the first of them stood. Decided from the names alone.
pub fn order_rotated(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut group_of: HashMap<SetKey, usize> = HashMap::new();
    let mut groups: Vec<Vec<(Rank, PathBuf)>> = Vec::new();
    for path in paths {
        let (key, rank) = classify(&path);
        let index = *group_of.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        if let Some(group) = groups.get_mut(index) {
            group.push((rank, path));
        }
    }
    let mut out = Vec::new();
    for mut group in groups {
        // Stable: equal ranks keep the order they were given in.
        group.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(group.into_iter().map(|(_, path)| path));
    }
    out
}

fn classify(path: &std::path::Path) -> (SetKey, Rank) {
    let dir: PathBuf = path
        .parent()
        .map(|d| {
            d.components()
                .filter(|c| !matches!(c, Component::CurDir))
                .collect()
        })
        .unwrap_or_default();
    let name = match path.file_name() {
        Some(name) => name.as_encoded_bytes(),
        // "..", "/" and the like: never part of a set.
        None => path.as_os_str().as_encoded_bytes(),
    };
    let (base, rank) = split_name(name);
    (
        SetKey {
            dir,
            base: base.to_vec(),
        },
        rank,
    )
}

/// Splits a file name into the name of its set and its rank in the set.
fn split_name(name: &[u8]) -> (&[u8], Rank) {
    let stem = COMPRESSION_SUFFIXES
        .iter()
        .find_map(|suffix| name.strip_suffix(*suffix))
        .filter(|stem| !stem.is_empty())
        .unwrap_or(name);

    if let Some((base, digits)) = date_suffix(stem) {
        return (base, Rank::Dated(digits.len(), digits));
    }
    if let Some(dot) = stem.iter().rposition(|&b| b == b'.') {
        let (base, number) = (
            stem.get(..dot).unwrap_or_default(),
            stem.get(dot + 1..).unwrap_or_default(),
        );
        if !base.is_empty()
            && !number.is_empty()
            && number.len() < MIN_DATE_DIGITS
            && number.iter().all(u8::is_ascii_digit)
        {
            if let Some(n) = std::str::from_utf8(number)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
            {
                return (base, Rank::Numbered(Reverse(n)));
            }
        }
    }
    (stem, Rank::Current)
}

/// A date suffix: `-` or `.` then digits, possibly in groups joined by `-` or `_`
/// (`-20261127`, `-2026-11-27`, `-20261127-1764201600`), at least eight digits
/// in all. Returns the base name and the digits.
fn date_suffix(stem: &[u8]) -> Option<(&[u8], Vec<u8>)> {
    // The longest suffix wins: scan separators from the left.
    for (at, &sep) in stem.iter().enumerate() {
        if at == 0 || (sep != b'-' && sep != b'.') {
            continue;
        }
        let rest = stem.get(at + 1..).unwrap_or_default();
        let starts_with_digit = rest.first().is_some_and(u8::is_ascii_digit);
        let well_formed = rest
            .iter()
            .all(|&b| b.is_ascii_digit() || b == b'-' || b == b'_');
        if !starts_with_digit || !well_formed {
            continue;
        }
        let digits: Vec<u8> = rest.iter().copied().filter(u8::is_ascii_digit).collect();
        if digits.len() >= MIN_DATE_DIGITS {
            return Some((stem.get(..at).unwrap_or_default(), digits));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(names: &[&str]) -> Vec<String> {
        order_rotated(names.iter().map(PathBuf::from).collect())
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn numbered_set_oldest_first() {
        assert_eq!(
            order(&["mail.log", "mail.log.1", "mail.log.2.gz", "mail.log.3.gz"]),
            ["mail.log.3.gz", "mail.log.2.gz", "mail.log.1", "mail.log"]
        );
        assert_eq!(
            order(&[
                "mail.log.1",
                "mail.log.10.gz",
                "mail.log",
                "mail.log.2.gz",
                "mail.log.9.gz"
            ]),
            [
                "mail.log.10.gz",
                "mail.log.9.gz",
                "mail.log.2.gz",
                "mail.log.1",
                "mail.log"
            ]
        );
    }

    #[test]
    fn numbered_with_zero_from_savelog() {
        assert_eq!(
            order(&["mail.log", "mail.log.0", "mail.log.1.gz"]),
            ["mail.log.1.gz", "mail.log.0", "mail.log"]
        );
    }

    #[test]
    fn date_suffixed_set_oldest_first() {
        assert_eq!(
            order(&[
                "maillog",
                "maillog-20261128",
                "maillog-20261127.gz",
                "maillog-20261101.gz"
            ]),
            [
                "maillog-20261101.gz",
                "maillog-20261127.gz",
                "maillog-20261128",
                "maillog"
            ]
        );
        assert_eq!(
            order(&["maillog-2026112800", "maillog", "maillog-2026112723"]),
            ["maillog-2026112723", "maillog-2026112800", "maillog"]
        );
        assert_eq!(
            order(&["mail-2026-11-28.log", "x"]),
            ["mail-2026-11-28.log", "x"]
        );
        assert_eq!(
            order(&["maillog-2026-12-01", "maillog-2026-11-30"]),
            ["maillog-2026-11-30", "maillog-2026-12-01"]
        );
    }

    #[test]
    fn every_compression_suffix() {
        assert_eq!(
            order(&[
                "mail.log",
                "mail.log.1.gz",
                "mail.log.2.zst",
                "mail.log.3.bz2",
                "mail.log.4.xz",
            ]),
            [
                "mail.log.4.xz",
                "mail.log.3.bz2",
                "mail.log.2.zst",
                "mail.log.1.gz",
                "mail.log"
            ]
        );
        assert_eq!(
            order(&[
                "maillog-20261128.xz",
                "maillog-20261127.bz2",
                "maillog-20261126.zst"
            ]),
            [
                "maillog-20261126.zst",
                "maillog-20261127.bz2",
                "maillog-20261128.xz"
            ]
        );
    }

    #[test]
    fn unrelated_files_keep_their_order_and_sets_group_at_first_member() {
        assert_eq!(
            order(&[
                "b.txt",
                "mail.log",
                "a.txt",
                "mail.log.2.gz",
                "maillog-20261128",
                "mail.log.1",
                "other.log",
                "maillog-20261127.gz",
            ]),
            [
                "b.txt",
                "mail.log.2.gz",
                "mail.log.1",
                "mail.log",
                "a.txt",
                "maillog-20261127.gz",
                "maillog-20261128",
                "other.log",
            ]
        );
    }

    #[test]
    fn mail_warn_and_err_are_not_members_of_mail_log() {
        assert_eq!(
            order(&["mail.warn", "mail.log.1", "mail.err", "mail.log"]),
            ["mail.warn", "mail.log.1", "mail.log", "mail.err"]
        );
    }

    #[test]
    fn sets_are_per_directory() {
        assert_eq!(
            order(&[
                "a/mail.log",
                "b/mail.log.1",
                "a/mail.log.1",
                "b/mail.log",
                "./a/mail.log.2"
            ]),
            [
                "./a/mail.log.2",
                "a/mail.log.1",
                "a/mail.log",
                "b/mail.log.1",
                "b/mail.log"
            ]
        );
    }

    #[test]
    fn odd_names_do_not_panic_and_stay_put() {
        assert_eq!(
            order(&[".gz", ".1", "1", "-20261127", "..", "/", "", "x."]),
            [".gz", ".1", "1", "-20261127", "..", "/", "", "x."]
        );
    }

    #[test]
    fn duplicates_are_kept_stable() {
        assert_eq!(
            order(&["mail.log", "mail.log.1", "mail.log"]),
            ["mail.log.1", "mail.log", "mail.log"]
        );
    }

    #[test]
    fn empty_input() {
        assert!(order_rotated(Vec::new()).is_empty());
    }
}
