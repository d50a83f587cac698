//! Finding health markers (`health=Status.`) in a chunk.
//!
//! A report is every few lines of a stuck node's log, so the search runs
//! once per report and its cost per call counts as much as its cost per
//! byte. memchr's substring search compares two bytes of the marker per
//! position; a search for one byte is unrolled over four vectors and about
//! three times cheaper per byte. The marker's one capital, the `S` of
//! `Status`, is that byte: agent logs are mostly lowercase, digits and
//! punctuation, and their level names (`INFO`, `DEBUG`, `WARNING`,
//! `ERROR`) hold none. A log where `S` is common after all would pay a
//! verification per `S`; when those mount up the search goes back to the
//! substring search for the rest of the chunk, so it never costs much more
//! than that search alone.

use std::sync::LazyLock;

use memchr::{memchr, memmem};

use super::line::HEALTH_MARKER;

/// The whole marker, for chunks where its rare byte is not rare.
static HEALTH: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(HEALTH_MARKER));

/// Where the rare byte stands in the marker.
const RARE_AT: usize = 7;
const RARE: u8 = HEALTH_MARKER[RARE_AT];

/// Candidates that were not a marker, allowed before the search falls back
/// (so a few stray `S` never switch it).
const FALSE_ALLOWED: usize = 64;
/// Beyond those, one false candidate per this many bytes searched: about
/// where verifying them costs what the substring search costs.
const BYTES_PER_FALSE: usize = 256;

/// Finds the markers of one chunk, in order.
pub(crate) struct Markers<'a> {
    chunk: &'a [u8],
    /// Candidates that were not a marker.
    false_hits: usize,
    /// The rare byte turned out common: the substring search from here on.
    substring: bool,
}

impl<'a> Markers<'a> {
    /// A search over `chunk`.
    pub(crate) fn new(chunk: &'a [u8]) -> Self {
        Markers {
            chunk,
            false_hits: 0,
            substring: false,
        }
    }

    /// The start of the first marker at or after `from`.
    pub(crate) fn find(&mut self, from: usize) -> Option<usize> {
        let chunk = self.chunk;
        let mut at = from;
        while !self.substring {
            let probe = at.checked_add(RARE_AT).filter(|&p| p < chunk.len())?;
            let start = probe + memchr(RARE, &chunk[probe..])? - RARE_AT;
            if chunk[start..].starts_with(HEALTH_MARKER) {
                return Some(start);
            }
            self.false_hits += 1;
            at = start + 1;
            if self.false_hits > FALSE_ALLOWED + at / BYTES_PER_FALSE {
                self.substring = true;
            }
        }
        HEALTH
            .find(chunk.get(at..)?)
            .map(|p| at + p)
    }
}

/// Finds the `Name` of the keys `TVMName` and `PoolName` in a file's head,
/// the same way: their rare bytes (`V`, `P`) are searched and the key
/// around each verified, with the substring search for `Name` to fall back
/// on. A file that names neither (half of an upload) is searched over its
/// whole head, so this pass costs as much per byte as the reports' search.
pub(crate) struct NameKeys<'a> {
    hay: &'a [u8],
    node: bool,
    pool: bool,
    false_hits: usize,
    substring: bool,
}

/// `TVMName`: its rare byte is at 1, its `Name` at 3.
const NODE_KEY: &[u8] = b"TVMName";
/// `PoolName`: its rare byte is at 0, its `Name` at 4.
const POOL_KEY: &[u8] = b"PoolName";

/// The suffix both keys share, for the fallback.
static NAME: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(b"Name"));

impl<'a> NameKeys<'a> {
    /// A search over `hay` for the keys wanted.
    pub(crate) fn new(hay: &'a [u8], node: bool, pool: bool) -> Self {
        NameKeys {
            hay,
            node,
            pool,
            false_hits: 0,
            substring: false,
        }
    }

    /// The position of the next `Name` at or after `from` that ends a
    /// wanted key (or, after falling back, of the next `Name` at all: the
    /// caller checks the key before it either way). Positions come in order.
    pub(crate) fn find(&mut self, from: usize) -> Option<usize> {
        let hay = self.hay;
        // A key whose `Name` starts at or after `from` has its rare byte at
        // most 4 bytes before it (PoolName; TVMName's is 2 before).
        let mut scan = from.saturating_sub(4);
        while !self.substring {
            let rest = hay.get(scan..)?;
            let q = scan
                + match (self.node, self.pool) {
                    (true, true) => memchr::memchr2(b'V', b'P', rest)?,
                    (true, false) => memchr(b'V', rest)?,
                    (false, true) => memchr(b'P', rest)?,
                    (false, false) => return None,
                };
            scan = q + 1;
            let name = if hay[q] == b'V' {
                q.checked_sub(1)
                    .filter(|&s| hay[s..].starts_with(NODE_KEY))
                    .map(|s| s + 3)
            } else {
                Some(q)
                    .filter(|&s| hay[s..].starts_with(POOL_KEY))
                    .map(|s| s + 4)
            };
            match name {
                Some(n) if n >= from => return Some(n),
                // A key before `from`: already seen.
                Some(_) => {}
                None => {
                    self.false_hits += 1;
                    if self.false_hits > FALSE_ALLOWED + q / BYTES_PER_FALSE {
                        self.substring = true;
                    }
                }
            }
        }
        NAME.find(hay.get(from..)?).map(|p| from + p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every marker, by the substring search alone.
    fn reference(chunk: &[u8]) -> Vec<usize> {
        // Markers cannot overlap, so this is every one of them.
        HEALTH.find_iter(chunk).collect()
    }

    fn all(chunk: &[u8]) -> (Vec<usize>, bool) {
        let mut m = Markers::new(chunk);
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(at) = m.find(from) {
            out.push(at);
            from = at + HEALTH_MARKER.len();
        }
        (out, m.substring)
    }

    #[test]
    fn finds_what_the_substring_search_finds() {
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"health=Status.".to_vec(),
            b"Shealth=Status.Ok health=Status.".to_vec(),
            b"xhealth=Status".to_vec(),
            b"S".to_vec(),
            b"SSSSSSSS".to_vec(),
            b"health=health=Status.Ok\nStatus. health=Status.X".to_vec(),
        ];
        for c in &cases {
            assert_eq!(all(c).0, reference(c), "{}", String::from_utf8_lossy(c));
        }
    }

    #[test]
    fn a_common_rare_byte_falls_back_and_still_finds_all() {
        let mut chunk = b"SUCCESS SSL Storage ".repeat(400);
        chunk.extend_from_slice(b"x health=Status.Ok\n");
        chunk.extend_from_slice(&b"S".repeat(5000));
        chunk.extend_from_slice(b"health=Status.TvmJoinPoolInProgress");
        let (found, fell_back) = all(&chunk);
        assert!(fell_back, "thousands of false candidates switch the search");
        assert_eq!(found, reference(&chunk));
        assert_eq!(found.len(), 2);
        // A log with the usual few capitals keeps the byte search.
        let mut usual = b"20240501T100009.339Z INFO join health=Status.Ok\n".repeat(3);
        usual.extend_from_slice(b"20240501T100009.339Z INFO Service started\n");
        let usual = usual.repeat(100);
        let (found, fell_back) = all(&usual);
        assert!(!fell_back);
        assert_eq!(found, reference(&usual));
    }

    /// Every `Name` that ends a wanted key, by the substring search alone.
    fn names_reference(hay: &[u8], node: bool, pool: bool) -> Vec<usize> {
        NAME.find_iter(hay)
            .filter(|&n| {
                (node && n >= 3 && hay[n - 3..].starts_with(NODE_KEY))
                    || (pool && n >= 4 && hay[n - 4..].starts_with(POOL_KEY))
            })
            .collect()
    }

    /// What a caller keeps of [`NameKeys`]: the `Name`s that end a wanted
    /// key (after a fall-back it is given every `Name`, in order, and
    /// checks the key itself).
    fn names_found(hay: &[u8], node: bool, pool: bool) -> (Vec<usize>, bool) {
        let mut k = NameKeys::new(hay, node, pool);
        let mut given = Vec::new();
        let mut from = 0;
        while let Some(n) = k.find(from) {
            assert!(n >= from, "positions come in order");
            given.push(n);
            from = n + 1;
        }
        let keys = names_reference(hay, node, pool);
        let kept = given.into_iter().filter(|n| keys.contains(n)).collect();
        (kept, k.substring)
    }

    #[test]
    fn name_keys_fall_back_when_their_bytes_are_common() {
        let mut hay = b"TvmJoinPoolInProgress Version ".repeat(300);
        hay.extend_from_slice(br#"{"TVMName":"n","PoolName":"p"}"#);
        let (found, fell_back) = names_found(&hay, true, true);
        assert!(fell_back);
        assert_eq!(found, names_reference(&hay, true, true));
        assert_eq!(found.len(), 2);
        let quiet = [&b"x".repeat(5000)[..], br#"PoolName=p TVMName=n"#].concat();
        let (found, fell_back) = names_found(&quiet, true, true);
        assert!(!fell_back);
        assert_eq!(found, names_reference(&quiet, true, true));
        assert_eq!(names_found(&quiet, false, true).0, names_reference(&quiet, false, true));
        assert_eq!(names_found(&quiet, true, false).0, names_reference(&quiet, true, false));
    }

    proptest::proptest! {
        #[test]
        fn name_keys_equal_the_substring_search(
            pieces in proptest::collection::vec(proptest::prop_oneof![
                proptest::prelude::Just("TVMName".to_string()),
                proptest::prelude::Just("PoolName".to_string()),
                proptest::prelude::Just("Name".to_string()),
                proptest::prelude::Just("TVMPoolName".to_string()),
                "[VPTMNoamel ]{0,12}",
            ], 0..60),
            node in proptest::prelude::any::<bool>(),
            pool in proptest::prelude::any::<bool>(),
        ) {
            let hay = pieces.concat().into_bytes();
            proptest::prop_assert_eq!(names_found(&hay, node, pool).0, names_reference(&hay, node, pool));
        }
    }

    proptest::proptest! {
        #[test]
        fn equals_the_substring_search(
            pieces in proptest::collection::vec(proptest::prop_oneof![
                proptest::prelude::Just("health=Status.".to_string()),
                proptest::prelude::Just("health=Status".to_string()),
                proptest::prelude::Just("Status.".to_string()),
                "[Sa-z=. \n]{0,20}",
                "S{1,40}",
            ], 0..60),
            from in 0usize..64,
        ) {
            let chunk = pieces.concat().into_bytes();
            let mut m = Markers::new(&chunk);
            let from = from.min(chunk.len());
            let mut got = Vec::new();
            let mut at = from;
            while let Some(p) = m.find(at) {
                got.push(p);
                at = p + 1;
            }
            let want: Vec<usize> = reference(&chunk).into_iter().filter(|&p| p >= from).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
