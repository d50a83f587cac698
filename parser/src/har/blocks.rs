//! Byte classification for the HAR hot paths, many bytes per instruction.
//!
//! A Chrome capture is indented JSON full of short strings (header names and
//! values): a search that stops at every quote pays a call per ten bytes.
//! Here a 64-byte block becomes bitmasks (one bit per byte: where the
//! quotes, backslashes and brackets are), from which the escaped bytes and
//! the inside of strings follow by bit arithmetic, as in simdjson's first
//! stage (Langdale and Lemire, "Parsing Gigabytes of JSON per Second",
//! 2019). The same file holds the 16-byte searches the entry check uses to
//! cross a string or white space.
//!
//! x86-64 always has SSE2, so no run-time detection is needed; other
//! targets get a portable version that computes the same bits.

/// Bytes in one block.
pub const BLOCK: usize = 64;

/// Where four bytes of interest sit in one block, one bit per byte (bit k
/// for byte k).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Masks {
    /// `"`
    pub quote: u64,
    /// `\`
    pub backslash: u64,
    /// The opening bracket asked for.
    pub open: u64,
    /// The closing bracket asked for.
    pub close: u64,
}

/// The masks of `block[..64]` for the bracket pair `open`/`close`.
///
/// # Panics
/// When `block` is shorter than [`BLOCK`].
#[inline]
pub fn masks(block: &[u8], open: u8, close: u8) -> Masks {
    let block: &[u8; BLOCK] = block[..BLOCK].try_into().expect("64 bytes");
    imp::masks(block, open, close)
}

/// The bytes of a block that a backslash escapes, given the backslash mask
/// and whether the previous block ended in an unfinished escape (`carry`,
/// updated for the next block).
///
/// A run of backslashes escapes every other one; the byte after an
/// odd-length run is escaped. The run lengths come from one carry-propagating
/// addition (simdjson's `find_escaped_branchless`).
#[inline]
pub fn escaped(backslash: u64, carry: &mut bool) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    let prev = u64::from(*carry);
    // A backslash escaped by the previous block starts nothing.
    let backslash = backslash & !prev;
    let follows_escape = (backslash << 1) | prev;
    let odd_starts = backslash & !EVEN & !follows_escape;
    let (sequences_on_even, overflow) = odd_starts.overflowing_add(backslash);
    *carry = overflow;
    let invert = sequences_on_even << 1;
    (EVEN ^ invert) & follows_escape
}

/// Bit k is the parity of the set bits at or below k: given the unescaped
/// quotes, the bytes from an opening quote up to (not including) its
/// closing one.
#[inline]
pub fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Index of the first byte of `s` that ends a run of plain string text:
/// `"`, `\`, a control byte (below 0x20) or, when `stop_at_high`, a byte
/// with its high bit set (not ASCII).
#[inline]
pub fn string_stop(s: &[u8], stop_at_high: bool) -> Option<usize> {
    imp::string_stop(s, stop_at_high)
}

/// Index of the first byte of `s` that is not JSON white space.
#[inline]
pub fn non_ws(s: &[u8]) -> Option<usize> {
    imp::non_ws(s)
}

fn is_string_stop(b: u8, stop_at_high: bool) -> bool {
    b == b'"' || b == b'\\' || b < 0x20 || (stop_at_high && b >= 0x80)
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The portable versions: the reference the SIMD ones are tested against.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
mod portable {
    use super::{is_string_stop, is_ws, Masks, BLOCK};

    pub fn masks(block: &[u8; BLOCK], open: u8, close: u8) -> Masks {
        let mut m = Masks {
            quote: 0,
            backslash: 0,
            open: 0,
            close: 0,
        };
        for (k, &b) in block.iter().enumerate() {
            let bit = 1u64 << k;
            m.quote |= bit * u64::from(b == b'"');
            m.backslash |= bit * u64::from(b == b'\\');
            m.open |= bit * u64::from(b == open);
            m.close |= bit * u64::from(b == close);
        }
        m
    }

    pub fn string_stop(s: &[u8], stop_at_high: bool) -> Option<usize> {
        s.iter().position(|&b| is_string_stop(b, stop_at_high))
    }

    pub fn non_ws(s: &[u8]) -> Option<usize> {
        s.iter().position(|&b| !is_ws(b))
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use portable as imp;

// SAFETY (for the module): SSE2 is part of the x86-64 baseline (and the cfg
// checks it is on), so its intrinsics are always there; the only memory they
// touch is through `load`, which reads 16 bytes of a slice it has checked.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[allow(unsafe_code)]
mod imp {
    use super::{portable, Masks, BLOCK};
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };

    const LANE: usize = 16;

    // Safe one-line wrappers, so the searches below read as plain code.
    #[inline(always)]
    fn load(s: &[u8]) -> __m128i {
        let s: &[u8; LANE] = s[..LANE].try_into().expect("16 bytes");
        // SAFETY: `s` is 16 readable bytes; the load has no alignment need.
        unsafe { _mm_loadu_si128(s.as_ptr().cast()) }
    }
    #[inline(always)]
    fn splat(c: u8) -> __m128i {
        // SAFETY: SSE2 (see the module).
        unsafe { _mm_set1_epi8(c as i8) }
    }
    #[inline(always)]
    fn eq(a: __m128i, b: __m128i) -> __m128i {
        // SAFETY: SSE2 (see the module).
        unsafe { _mm_cmpeq_epi8(a, b) }
    }
    #[inline(always)]
    fn or(a: __m128i, b: __m128i) -> __m128i {
        // SAFETY: SSE2 (see the module).
        unsafe { _mm_or_si128(a, b) }
    }
    /// Signed `a < b` per byte.
    #[inline(always)]
    fn lt_signed(a: __m128i, b: __m128i) -> __m128i {
        // SAFETY: SSE2 (see the module).
        unsafe { _mm_cmplt_epi8(a, b) }
    }
    #[inline(always)]
    fn max_unsigned(a: __m128i, b: __m128i) -> __m128i {
        // SAFETY: SSE2 (see the module).
        unsafe { _mm_max_epu8(a, b) }
    }
    #[inline(always)]
    fn bits(v: __m128i) -> u64 {
        // SAFETY: SSE2 (see the module).
        u64::from(unsafe { _mm_movemask_epi8(v) } as u16)
    }

    #[inline]
    pub fn masks(block: &[u8; BLOCK], open: u8, close: u8) -> Masks {
        let (q, b, o, c) = (splat(b'"'), splat(b'\\'), splat(open), splat(close));
        let mut m = Masks {
            quote: 0,
            backslash: 0,
            open: 0,
            close: 0,
        };
        for k in 0..BLOCK / LANE {
            let v = load(&block[k * LANE..]);
            let shift = k * LANE;
            m.quote |= bits(eq(v, q)) << shift;
            m.backslash |= bits(eq(v, b)) << shift;
            m.open |= bits(eq(v, o)) << shift;
            m.close |= bits(eq(v, c)) << shift;
        }
        m
    }

    #[inline]
    pub fn string_stop(s: &[u8], stop_at_high: bool) -> Option<usize> {
        let (q, b) = (splat(b'"'), splat(b'\\'));
        let (space, low) = (splat(0x20), splat(0x1f));
        let stops = |v: __m128i| {
            let marks = or(eq(v, q), eq(v, b));
            if stop_at_high {
                // Signed, 0x80..=0xFF are negative: below 0x20 as well.
                or(marks, lt_signed(v, space))
            } else {
                // Unsigned v <= 0x1f, as max(v, 0x1f) == 0x1f.
                or(marks, eq(max_unsigned(v, low), low))
            }
        };
        // Most strings (header names and values) end in their first 16
        // bytes; bodies and base64 run to kilobytes: 64 bytes per branch.
        let mut i = 0;
        if s.len() >= LANE {
            let m = bits(stops(load(s)));
            if m != 0 {
                return Some(m.trailing_zeros() as usize);
            }
            i = LANE;
        }
        while i + 4 * LANE <= s.len() {
            let block = &s[i..i + 4 * LANE];
            let (a, b) = (stops(load(block)), stops(load(&block[LANE..])));
            let (c, d) = (
                stops(load(&block[2 * LANE..])),
                stops(load(&block[3 * LANE..])),
            );
            if bits(or(or(a, b), or(c, d))) != 0 {
                break;
            }
            i += 4 * LANE;
        }
        while i + LANE <= s.len() {
            let m = bits(stops(load(&s[i..])));
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
            i += LANE;
        }
        portable::string_stop(&s[i..], stop_at_high).map(|k| i + k)
    }

    #[inline]
    pub fn non_ws(s: &[u8]) -> Option<usize> {
        // Most runs are one byte (after ':' or ','): look before loading.
        match s.first() {
            Some(b' ' | b'\t' | b'\n' | b'\r') => {}
            Some(_) => return Some(0),
            None => return None,
        }
        let (sp, nl, cr, tab) = (splat(b' '), splat(b'\n'), splat(b'\r'), splat(b'\t'));
        let mut i = 0;
        while i + LANE <= s.len() {
            let v = load(&s[i..]);
            let ws = or(or(eq(v, sp), eq(v, nl)), or(eq(v, cr), eq(v, tab)));
            let m = !bits(ws) & 0xffff;
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
            i += LANE;
        }
        portable::non_ws(&s[i..]).map(|k| i + k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Escapes one byte at a time: after an unescaped backslash, the next
    /// byte is escaped.
    fn escaped_reference(bytes: &[u8], carry: &mut bool) -> u64 {
        let mut m = 0;
        for (k, &b) in bytes.iter().enumerate() {
            if *carry {
                m |= 1 << k;
                *carry = false;
            } else if b == b'\\' {
                *carry = true;
            }
        }
        m
    }

    fn bytes_of(alphabet: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(proptest::sample::select(alphabet), 0..300)
    }

    proptest! {
        #[test]
        fn masks_match_the_portable_version(
            v in proptest::collection::vec(any::<u8>(), 64),
            sym in proptest::sample::select(&b"{}[]"[..]),
        ) {
            let block: &[u8; 64] = v[..].try_into().unwrap();
            let (open, close) = if sym == b'{' || sym == b'}' { (b'{', b'}') } else { (b'[', b']') };
            prop_assert_eq!(masks(&v, open, close), portable::masks(block, open, close));
        }

        #[test]
        fn escapes_match_byte_by_byte(v in bytes_of(b"\\\\\\a\"")) {
            let (mut carry, mut carry_ref) = (false, false);
            for block in v.chunks_exact(64) {
                let m = masks(block, b'{', b'}');
                prop_assert_eq!(
                    escaped(m.backslash, &mut carry),
                    escaped_reference(block, &mut carry_ref)
                );
                prop_assert_eq!(carry, carry_ref);
            }
        }

        #[test]
        fn string_stop_matches_the_portable_version(
            v in bytes_of(b"ab \"\\\x01\x1f\x20\x7f\x80\xff"),
            high in any::<bool>(),
            from in 0usize..40,
        ) {
            let s = &v[from.min(v.len())..];
            prop_assert_eq!(string_stop(s, high), portable::string_stop(s, high));
        }

        #[test]
        fn non_ws_matches_the_portable_version(v in bytes_of(b"   \n\t\r\x0bx")) {
            prop_assert_eq!(non_ws(&v), portable::non_ws(&v));
        }
    }

    #[test]
    fn prefix_xor_marks_the_inside_of_strings() {
        // Quotes at bits 1 and 4: bits 1..4 are inside.
        assert_eq!(prefix_xor(0b1_0010), 0b0_1110);
        assert_eq!(prefix_xor(0), 0);
        assert_eq!(prefix_xor(1), u64::MAX);
    }
}
