//! Bounded counting: a quantile sketch, a distinct counter and a tally of the heaviest keys.
//!
//! A report reads logs of any size, so nothing here grows with the input beyond a fixed cap:
//! - `Sketch`: quantiles from logarithmic buckets (the DDSketch idea). Every quantile it
//!   reports lies within 1% (relative) of a value that really was observed at that rank;
//!   values under 1 ms count as 0. Count, sum, minimum and maximum are exact.
//! - `Distinct`: exact (a set of 64-bit hashes) up to `DISTINCT_CAP` keys, then a
//!   HyperLogLog estimate (2^14 registers, standard error 0.8%) marked approximate.
//! - `Tally`: counters by key, at most `cap` keys. When full, the lighter half is dropped
//!   (lossy counting): every count kept is then a lower bound that may miss at most
//!   `dropped_max`, and the tally says it is approximate.

use crate::text::same_bytes;
use rustc_hash::FxHasher;
use std::hash::Hasher;

/// Relative accuracy of `Sketch` quantiles.
pub const SKETCH_ACCURACY: f64 = 0.01;
/// Values below this are counted as zero by `Sketch`.
const SKETCH_MIN: f64 = 1e-3;

/// A mergeable quantile sketch with 1% relative accuracy.
#[derive(Debug, Clone, Default)]
pub struct Sketch {
    zeros: u64,
    /// (bucket index, count), sorted by index. Sparse: Postfix delays have few distinct values.
    buckets: Vec<(i32, u64)>,
    /// Where in `buckets` the last sample went: the next one often goes there too (a delay
    /// stage of mail to one destination varies little), found without a search.
    last: usize,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

fn gamma_ln() -> f64 {
    ((1.0 + SKETCH_ACCURACY) / (1.0 - SKETCH_ACCURACY)).ln()
}

/// A value with its `Sketch` bucket worked out (a logarithm, the costly part of adding), for
/// values that go into several sketches.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    x: f64,
    /// `None` below `SKETCH_MIN` (counted as zero).
    index: Option<i32>,
}

/// The bucket of a value of at least `SKETCH_MIN`.
fn bucket_index(x: f64) -> i32 {
    (x.ln() / gamma_ln()).ceil() as i32
}

/// Whether a sketch counts `x` (not negative, finite).
fn countable(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

impl Sample {
    pub fn value(&self) -> f64 {
        self.x
    }

    /// `None` for what a sketch does not count: negative or not finite.
    pub fn new(x: f64) -> Option<Sample> {
        if !countable(x) {
            return None;
        }
        let index = (x >= SKETCH_MIN).then(|| bucket_index(x));
        Some(Sample { x, index })
    }
}

const SAMPLE_MEMO_BITS: u32 = 10;

/// The buckets of values seen before. Postfix logs delays with two decimals (and connection
/// times are whole seconds), so a few hundred values come back again and again: looking one up
/// in this direct-mapped table costs a multiplication and a comparison, its logarithm far more.
/// The bucket found is the very one `Sample::new` works out.
pub struct SampleMemo {
    /// (the value's bits, its bucket); 0 bits (the value 0, below `SKETCH_MIN`) for a free slot.
    slots: Vec<(u64, i32)>,
}

impl Default for SampleMemo {
    fn default() -> Self {
        SampleMemo {
            slots: vec![(0, 0); 1 << SAMPLE_MEMO_BITS],
        }
    }
}

impl SampleMemo {
    /// `Sample::new(x)`, its bucket from memory when `x` was seen lately.
    pub fn sample(&mut self, x: f64) -> Option<Sample> {
        if !countable(x) || x < SKETCH_MIN {
            return Sample::new(x);
        }
        let bits = x.to_bits();
        let slot = (bits.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - SAMPLE_MEMO_BITS)) as usize;
        let index = match self.slots.get_mut(slot) {
            Some((known, index)) if *known == bits => *index,
            Some(free) => {
                let index = bucket_index(x);
                *free = (bits, index);
                index
            }
            None => bucket_index(x),
        };
        Some(Sample {
            x,
            index: Some(index),
        })
    }
}

impl Sketch {
    pub fn add(&mut self, x: f64) {
        if let Some(s) = Sample::new(x) {
            self.add_sample(s);
        }
    }

    pub fn add_sample(&mut self, s: Sample) {
        let x = s.x;
        if self.count == 0 || x < self.min {
            self.min = x;
        }
        if x > self.max {
            self.max = x;
        }
        self.count += 1;
        self.sum += x;
        let Some(index) = s.index else {
            self.zeros += 1;
            return;
        };
        if let Some(b) = self.buckets.get_mut(self.last).filter(|b| b.0 == index) {
            b.1 += 1;
            return;
        }
        match self.buckets.binary_search_by_key(&index, |&(i, _)| i) {
            Ok(at) => {
                if let Some(b) = self.buckets.get_mut(at) {
                    b.1 += 1;
                }
                self.last = at;
            }
            Err(at) => {
                self.buckets.insert(at, (index, 1));
                self.last = at;
            }
        }
    }

    pub fn merge(&mut self, other: &Sketch) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 || other.min < self.min {
            self.min = other.min;
        }
        self.max = self.max.max(other.max);
        self.count += other.count;
        self.sum += other.sum;
        self.zeros += other.zeros;
        for &(index, n) in &other.buckets {
            match self.buckets.binary_search_by_key(&index, |&(i, _)| i) {
                Ok(at) => {
                    if let Some(b) = self.buckets.get_mut(at) {
                        b.1 += n;
                    }
                }
                Err(at) => self.buckets.insert(at, (index, n)),
            }
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sets the sum of the values counted, added up in the order they came: the sum of
    /// merged sketches depends on the order of the merges (floating point addition), and a
    /// mean printed must not.
    pub fn set_sum(&mut self, sum: f64) {
        self.sum = sum;
    }

    pub fn max(&self) -> f64 {
        self.max
    }

    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }

    /// The value at quantile `q` (0..=1), nearest-rank; 0 for an empty sketch.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        if rank == self.count {
            return self.max;
        }
        if rank <= self.zeros {
            return 0.0;
        }
        let mut seen = self.zeros;
        let g = gamma_ln().exp();
        for &(index, n) in &self.buckets {
            seen += n;
            if seen >= rank {
                let estimate = 2.0 * g.powi(index) / (g + 1.0);
                return estimate.clamp(self.min, self.max);
            }
        }
        self.max
    }
}

/// How many distinct keys `Distinct` counts exactly.
pub const DISTINCT_CAP: usize = 250_000;
const HLL_BITS: u32 = 14;

/// A set of well-mixed 64-bit hashes (`hash64`): open addressing with linear probing, indexed
/// by the hash's own low bits. A hash already in the set (the usual case: senders, recipients
/// and domains come back) is found in a probe or two, cheaper than a general map that hashes
/// its keys again and matches control bytes first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct HashSet64 {
    /// A power of two in length (or empty); 0 marks a free slot, so the hash 0 is kept apart.
    slots: Vec<u64>,
    /// Non-zero hashes in `slots`.
    filled: usize,
    has_zero: bool,
}

impl HashSet64 {
    fn len(&self) -> usize {
        self.filled + usize::from(self.has_zero)
    }

    /// Adds `h`; whether it was new.
    #[inline]
    fn insert(&mut self, h: u64) -> bool {
        if h == 0 {
            return !std::mem::replace(&mut self.has_zero, true);
        }
        // At most half full: probes stay short, and there is always a free slot.
        if (self.filled + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        while let Some(slot) = self.slots.get_mut(i) {
            if *slot == h {
                return false;
            }
            if *slot == 0 {
                *slot = h;
                self.filled += 1;
                return true;
            }
            i = (i + 1) & mask;
        }
        false
    }

    // Out of line: rare, and it would make every `insert` save registers it needs.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        self.filled = 0;
        for h in old.into_iter().filter(|&h| h != 0) {
            self.insert(h);
        }
    }

    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let zero = self.has_zero.then_some(0);
        self.slots.iter().copied().filter(|&h| h != 0).chain(zero)
    }
}

/// A distinct counter: exact up to `DISTINCT_CAP`, then estimated.
#[derive(Debug, Clone)]
pub struct Distinct {
    exact: Option<HashSet64>,
    registers: Vec<u8>,
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct {
            exact: Some(HashSet64::default()),
            registers: vec![0; 1 << HLL_BITS],
        }
    }
}

/// The Fx hash of bytes: what `Tally` files keys under (its top bits are mixed enough for
/// the map), and what `hash64` mixes further.
fn fx_hash(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    h.finish()
}

/// A well-mixed 64-bit hash of bytes (Fx, then the SplitMix64 finaliser).
pub fn hash64(bytes: &[u8]) -> u64 {
    mix64(fx_hash(bytes))
}

/// A key with its hash worked out once, for a key counted by several sections (a recipient,
/// its domain, a sender): each `Tally` and `Distinct` takes it without hashing it again.
#[derive(Debug, Clone, Copy)]
pub struct Hashed<'a> {
    text: &'a str,
    /// `fx_hash(text)`.
    fx: u64,
}

impl<'a> Hashed<'a> {
    pub fn new(text: &'a str) -> Hashed<'a> {
        Hashed {
            text,
            fx: fx_hash(text.as_bytes()),
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }
}

/// A text and its hash kept beside it, for text owned elsewhere (a `Cow`) that is counted
/// many times: `key` hands it out as a `Hashed` without hashing it again.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeptHash(u64);

impl KeptHash {
    pub fn of(text: &str) -> KeptHash {
        KeptHash(fx_hash(text.as_bytes()))
    }

    /// `text` as a key: it must be the text this hash was made `of`.
    pub fn key<'a>(&self, text: &'a str) -> Hashed<'a> {
        debug_assert_eq!(self.0, fx_hash(text.as_bytes()));
        Hashed { text, fx: self.0 }
    }
}

/// The SplitMix64 finaliser: every bit of the result depends on every bit of `z`.
pub fn mix64(z: u64) -> u64 {
    let mut z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Distinct {
    pub fn add(&mut self, key: &str) {
        self.add_hashed(Hashed::new(key));
    }

    pub fn add_hashed(&mut self, key: Hashed<'_>) {
        let h = mix64(key.fx);
        let Some(set) = &mut self.exact else {
            self.register(h);
            return;
        };
        if set.insert(h) && set.len() > DISTINCT_CAP {
            // The registers are filled only now, from every distinct hash counted so far:
            // the same registers as when each key is registered as it comes.
            if let Some(set) = self.exact.take() {
                for h in set.iter() {
                    self.register(h);
                }
            }
        }
    }

    /// Adds a hash to the HyperLogLog registers.
    fn register(&mut self, h: u64) {
        let slot = (h >> (64 - HLL_BITS)) as usize;
        let rest = (h << HLL_BITS) | (1 << (HLL_BITS - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        if let Some(r) = self.registers.get_mut(slot) {
            *r = (*r).max(rank);
        }
    }

    pub fn is_exact(&self) -> bool {
        self.exact.is_some()
    }

    pub fn count(&self) -> u64 {
        if let Some(set) = &self.exact {
            return set.len() as u64;
        }
        let m = self.registers.len() as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let sum: f64 = self
            .registers
            .iter()
            .map(|&r| 2f64.powi(-i32::from(r)))
            .sum();
        let estimate = alpha * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        if estimate <= 2.5 * m && zeros > 0 {
            (m * (m / zeros as f64).ln()).round() as u64
        } else {
            estimate.round() as u64
        }
    }
}

/// What a `Tally` keeps per key: it must say how heavy it is, for pruning.
pub trait Weighted: Default {
    fn weight(&self) -> u64;
}

impl Weighted for u64 {
    fn weight(&self) -> u64 {
        *self
    }
}

/// Counters by key, at most `cap` keys (lossy counting beyond).
#[derive(Debug, Clone)]
pub struct Tally<V> {
    /// (key, counter), filed under `fx_hash(key)`.
    map: hashbrown::HashTable<(Box<str>, V)>,
    cap: usize,
    /// The heaviest weight ever dropped: the most any kept count may be short by.
    dropped_max: u64,
}

/// The `HashTable` probe for `key`: keys compared by words (`same_bytes`), as short keys
/// (domains, addresses) cost a `memcmp` call each otherwise.
fn same_key<V>(key: &(impl AsRef<[u8]> + ?Sized)) -> impl Fn(&(Box<str>, V)) -> bool + '_ {
    move |(k, _)| same_bytes(k.as_bytes(), key.as_ref())
}

fn rehash<V>((k, _): &(Box<str>, V)) -> u64 {
    fx_hash(k.as_bytes())
}

impl<V: Weighted> Tally<V> {
    pub fn new(cap: usize) -> Tally<V> {
        Tally {
            map: hashbrown::HashTable::new(),
            cap: cap.max(2),
            dropped_max: 0,
        }
    }

    /// The entry for `key`, made when missing.
    pub fn entry(&mut self, key: &str) -> &mut V {
        self.entry_hashed(Hashed::new(key))
    }

    /// The entry for `key`, made when missing. One probe for a key already counted (the usual
    /// case); allocates only for a new key.
    pub fn entry_hashed(&mut self, key: Hashed<'_>) -> &mut V {
        self.entry_hashed_spilling(key, |_| {})
    }

    /// `entry_hashed`, handing each entry it drops to stay within the cap to `spill`.
    pub fn entry_hashed_spilling(&mut self, key: Hashed<'_>, spill: impl FnMut(&V)) -> &mut V {
        // Pruning reorganises the map, so it must happen before the entry is taken; checking
        // `len` first costs nothing and keeps the hit path to one lookup.
        if self.map.len() >= self.cap && self.map.find(key.fx, same_key(key.text)).is_none() {
            self.prune(spill);
        }
        &mut self
            .map
            .entry(key.fx, same_key(key.text), rehash)
            .or_insert_with(|| (Box::from(key.text), V::default()))
            .into_mut()
            .1
    }

    /// Runs `f` on the entry for the log bytes `key`, made when missing: the entry
    /// `entry(&text_of(key))` gives, found without checking the bytes as UTF-8 first (as
    /// costly as the lookup for a short key) when they are a key already counted, which only
    /// a valid text can be.
    pub fn with_entry(&mut self, key: &[u8], f: impl FnOnce(&mut V)) {
        match self.map.find_mut(fx_hash(key), same_key(key)) {
            Some((_, v)) => f(v),
            None => f(self.entry(&super::text_of(key))),
        }
    }

    fn prune(&mut self, mut spill: impl FnMut(&V)) {
        let mut weights: Vec<u64> = self.map.iter().map(|(_, v)| v.weight()).collect();
        let mid = weights.len() / 2;
        let (_, &mut median, _) = weights.select_nth_unstable(mid);
        let mut dropped = 0;
        self.map.retain(|(_, v)| {
            let w = v.weight();
            if w <= median {
                dropped = dropped.max(w);
                spill(v);
                false
            } else {
                true
            }
        });
        self.dropped_max = self.dropped_max.max(dropped);
    }

    /// Counts may be short (keys were dropped to stay within the cap).
    pub fn approximate(&self) -> bool {
        self.dropped_max > 0
    }

    pub fn dropped_max(&self) -> u64 {
        self.dropped_max
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The entry for `key` (a text, or log bytes: these are never a key when not UTF-8).
    pub fn get(&self, key: &(impl AsRef<[u8]> + ?Sized)) -> Option<&V> {
        let hash = fx_hash(key.as_ref());
        self.map.find(hash, same_key(key)).map(|(_, v)| v)
    }

    /// `get`, to change.
    pub fn get_mut(&mut self, key: &(impl AsRef<[u8]> + ?Sized)) -> Option<&mut V> {
        let hash = fx_hash(key.as_ref());
        self.map.find_mut(hash, same_key(key)).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.map.iter().map(|(k, v)| (&**k, v))
    }

    /// The `n` heaviest by `key_fn` (descending), ties by key; `n == 0` means all.
    pub fn top_by<K: Ord>(&self, n: usize, key_fn: impl Fn(&V) -> K) -> Vec<(&str, &V)> {
        let mut all: Vec<(&str, &V)> = self.iter().collect();
        all.sort_by(|a, b| key_fn(b.1).cmp(&key_fn(a.1)).then_with(|| a.0.cmp(b.0)));
        if n > 0 {
            all.truncate(n);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sketch_quantiles_within_accuracy() {
        let mut s = Sketch::default();
        for i in 1..=1000 {
            s.add(f64::from(i) / 10.0);
        }
        for (q, exact) in [(0.5, 50.0), (0.9, 90.0), (0.99, 99.0)] {
            let got = s.quantile(q);
            assert!(
                (got - exact).abs() / exact <= SKETCH_ACCURACY + 1e-9,
                "{q}: {got}"
            );
        }
        assert_eq!(s.quantile(1.0), 100.0);
        assert_eq!(s.max(), 100.0);
        assert!((s.mean() - 50.05).abs() < 1e-9);
    }

    #[test]
    fn sketch_zeros_and_merge() {
        let mut a = Sketch::default();
        let mut b = Sketch::default();
        for _ in 0..6 {
            a.add(0.0);
        }
        for _ in 0..4 {
            b.add(2.0);
        }
        a.merge(&b);
        assert_eq!(a.count(), 10);
        assert_eq!(a.quantile(0.5), 0.0);
        assert!((a.quantile(0.9) - 2.0).abs() <= 0.02);
        assert_eq!(Sketch::default().quantile(0.5), 0.0);
    }

    #[test]
    fn sketch_buckets_do_not_depend_on_the_last_bucket_shortcut() {
        // Repeats (the shortcut), new buckets before and after the last one (moving it).
        let values = [
            0.5, 0.5, 0.2, 0.5, 3.0, 0.0, 3.0, 0.1, 0.1, 0.5, 7.5, 0.2, 0.2, 3.0,
        ];
        let mut fed = Sketch::default();
        let mut merged = Sketch::default();
        for x in values {
            fed.add(x);
            let mut one = Sketch::default();
            one.add(x);
            merged.merge(&one);
        }
        assert_eq!(fed.buckets, merged.buckets);
        assert_eq!((fed.zeros, fed.count), (merged.zeros, merged.count));
    }

    #[test]
    fn distinct_exact_then_estimated() {
        let mut d = Distinct::default();
        for i in 0..1000 {
            d.add(&format!("user{i}@example.com"));
            d.add(&format!("user{i}@example.com"));
        }
        assert!(d.is_exact());
        assert_eq!(d.count(), 1000);
        if let Some(set) = d.exact.take() {
            for h in set.iter() {
                d.register(h);
            }
        }
        let est = d.count() as f64;
        assert!((est - 1000.0).abs() / 1000.0 < 0.05, "{est}");
    }

    #[test]
    fn distinct_past_the_cap_estimates_from_every_key() {
        let mut d = Distinct::default();
        let keys = DISTINCT_CAP + 1000;
        for i in 0..keys {
            d.add(&format!("k{i}"));
        }
        assert!(!d.is_exact());
        let est = d.count() as f64;
        assert!((est - keys as f64).abs() / (keys as f64) < 0.03, "{est}");
    }

    #[test]
    fn sample_memo_finds_the_bucket_sample_new_finds() {
        let mut memo = SampleMemo::default();
        for round in 0..2 {
            for i in 0..5000 {
                for x in [
                    f64::from(i) / 100.0,
                    f64::from(i) * 7.3,
                    1e-4 * f64::from(i),
                ] {
                    let (a, b) = (Sample::new(x), memo.sample(x));
                    assert_eq!(
                        a.map(|s| (s.x, s.index)),
                        b.map(|s| (s.x, s.index)),
                        "{x} {round}"
                    );
                }
            }
        }
        for x in [-1.0, f64::NAN, f64::INFINITY, 0.0] {
            assert_eq!(
                memo.sample(x).map(|s| s.index),
                Sample::new(x).map(|s| s.index)
            );
        }
    }

    #[test]
    fn hash_set_64_holds_what_a_hash_set_holds() {
        let mut set = HashSet64::default();
        let mut plain = std::collections::HashSet::new();
        // Mixed hashes, 0, and hashes that share their low bits (long probe runs).
        let values = (0..3000u64)
            .map(mix64)
            .chain((0..300).map(|i| i << 40))
            .chain([0, 0, u64::MAX, 1 << 63]);
        for round in 0..2 {
            for h in values.clone() {
                assert_eq!(set.insert(h), plain.insert(h), "{h} {round}");
                assert_eq!(set.len(), plain.len());
            }
        }
        let mut held: Vec<u64> = set.iter().collect();
        held.sort_unstable();
        let mut want: Vec<u64> = plain.into_iter().collect();
        want.sort_unstable();
        assert_eq!(held, want);
    }

    #[test]
    fn keys_hashed_once_count_as_keys_hashed_each_time() {
        let keys = [
            "a@b.example",
            "",
            "(local)",
            "b.example",
            "a@b.example",
            "x",
        ];
        let mut plain: Tally<u64> = Tally::new(3);
        let mut hashed: Tally<u64> = Tally::new(3);
        let mut kept: Tally<u64> = Tally::new(3);
        let (mut d_plain, mut d_hashed) = (Distinct::default(), Distinct::default());
        for round in 0..3 {
            for k in keys.iter().skip(round) {
                *plain.entry(k) += 1;
                *hashed.entry_hashed(Hashed::new(k)) += 1;
                *kept.entry_hashed(KeptHash::of(k).key(k)) += 1;
                d_plain.add(k);
                d_hashed.add_hashed(Hashed::new(k));
            }
        }
        let all = |t: &Tally<u64>| {
            let mut v: Vec<(String, u64)> = t.iter().map(|(k, n)| (k.to_string(), *n)).collect();
            v.sort();
            (v, t.dropped_max())
        };
        assert_eq!(all(&plain), all(&hashed));
        assert_eq!(all(&plain), all(&kept));
        assert_eq!(plain.get("x"), hashed.get("x"));
        assert_eq!(d_plain.count(), d_hashed.count());
        assert_eq!(d_plain.exact, d_hashed.exact);
    }

    #[test]
    fn entries_of_bytes_are_the_entries_of_their_text() {
        let keys: [&[u8]; 7] = [
            b"192.0.2.1",
            b"caf\xe9",
            b"",
            b"192.0.2.1",
            b"caf\\xe9",
            b"x",
            b"2001:db8::1",
        ];
        let mut plain: Tally<u64> = Tally::new(3);
        let mut bytes: Tally<u64> = Tally::new(3);
        for round in 0..3 {
            for k in keys.iter().skip(round) {
                *plain.entry(&crate::report::text_of(k)) += 1;
                bytes.with_entry(k, |n| *n += 1);
                assert_eq!(plain.get(*k), bytes.get(*k));
            }
        }
        let all = |t: &Tally<u64>| {
            let mut v: Vec<(String, u64)> = t.iter().map(|(k, n)| (k.to_string(), *n)).collect();
            v.sort();
            (v, t.dropped_max())
        };
        assert_eq!(all(&plain), all(&bytes));
        assert_eq!(bytes.get(b"caf\xe9".as_slice()), None);
    }

    #[test]
    fn tally_prunes_the_light_half_and_says_so() {
        let mut t: Tally<u64> = Tally::new(4);
        for _ in 0..10 {
            *t.entry("heavy") += 1;
        }
        for k in ["a", "b", "c", "d", "e", "f"] {
            *t.entry(k) += 1;
        }
        assert!(t.len() <= 4);
        assert_eq!(t.get("heavy"), Some(&10));
        assert!(t.approximate());
        assert_eq!(t.top_by(1, |v| *v)[0].0, "heavy");
    }
}
