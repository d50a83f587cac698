//! UTF-16 input (Windows PowerShell's `Out-File` and `>` write it, with a
//! byte-order mark) transcoded to UTF-8 as a stream, so every parser reads
//! it unchanged. Unpaired surrogates become U+FFFD; an odd trailing byte is
//! dropped.

use std::io::{self, Read};

/// Which byte order a UTF-16 stream uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    /// `FF FE`
    Little,
    /// `FE FF`
    Big,
}

/// The byte order announced by a UTF-16 byte-order mark, if `head` starts with one.
pub fn bom(head: &[u8]) -> Option<Endian> {
    match head {
        [0xFF, 0xFE, ..] => Some(Endian::Little),
        [0xFE, 0xFF, ..] => Some(Endian::Big),
        _ => None,
    }
}

/// The byte order of UTF-16 text at the start of `head`: announced by a
/// byte-order mark, or, without one (files written by .NET's `Unicode`
/// encoding, `Out-File -NoBOM`), shown by ASCII text whose every other byte
/// is zero. Runs of NUL bytes alone (a log after a power loss) are not text.
pub fn sniff(head: &[u8]) -> Option<Endian> {
    if let Some(e) = bom(head) {
        return Some(e);
    }
    let pairs: Vec<[u8; 2]> = head[..head.len().min(512)]
        .chunks_exact(2)
        .map(|p| [p[0], p[1]])
        .collect();
    if pairs.len() < 8 {
        return None;
    }
    let text = |b: u8| b.is_ascii_graphic() || matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let share =
        |f: &dyn Fn(&[u8; 2]) -> bool| pairs.iter().filter(|p| f(p)).count() * 100 / pairs.len();
    if share(&|p| p[1] == 0 && text(p[0])) >= 95 {
        Some(Endian::Little)
    } else if share(&|p| p[0] == 0 && text(p[1])) >= 95 {
        Some(Endian::Big)
    } else {
        None
    }
}

/// The length of the byte-order mark at the start of `head` (2, or 0 without one).
pub fn bom_len(head: &[u8]) -> usize {
    if bom(head).is_some() {
        2
    } else {
        0
    }
}

/// A reader of UTF-8 over a UTF-16 stream whose BOM was already consumed.
pub struct Utf16ToUtf8<R> {
    inner: R,
    endian: Endian,
    raw: Vec<u8>,
    /// A high surrogate waiting for its pair across reads.
    pending_high: Option<u16>,
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
}

impl<R: Read> Utf16ToUtf8<R> {
    /// Transcodes `inner` (positioned after the BOM).
    pub fn new(inner: R, endian: Endian) -> Self {
        Utf16ToUtf8 {
            inner,
            endian,
            raw: Vec::new(),
            pending_high: None,
            out: Vec::new(),
            out_pos: 0,
            eof: false,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        let mut chunk = [0u8; 64 * 1024];
        while self.out.is_empty() && !self.eof {
            let n = self.inner.read(&mut chunk)?;
            if n == 0 {
                self.eof = true;
                if self.pending_high.take().is_some() {
                    self.out.extend_from_slice("\u{FFFD}".as_bytes());
                }
                break;
            }
            self.raw.extend_from_slice(&chunk[..n]);
            let whole = self.raw.len() / 2 * 2;
            let mut units: Vec<u16> = Vec::with_capacity(whole / 2 + 1);
            units.extend(self.pending_high.take());
            units.extend(
                self.raw[..whole]
                    .chunks_exact(2)
                    .map(|p| match self.endian {
                        Endian::Little => u16::from_le_bytes([p[0], p[1]]),
                        Endian::Big => u16::from_be_bytes([p[0], p[1]]),
                    }),
            );
            self.raw.drain(..whole);
            // Keep a trailing high surrogate for the next read: its pair may follow.
            if units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
                self.pending_high = units.pop();
            }
            let mut buf = [0u8; 4];
            for c in char::decode_utf16(units) {
                let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
                self.out
                    .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf16ToUtf8<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos >= self.out.len() {
            self.refill()?;
        }
        let n = (self.out.len() - self.out_pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(s: &str, e: Endian) -> Vec<u8> {
        s.encode_utf16()
            .flat_map(|u| match e {
                Endian::Little => u.to_le_bytes(),
                Endian::Big => u.to_be_bytes(),
            })
            .collect()
    }

    /// A reader that hands out one byte at a time, to split surrogate pairs.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    #[test]
    fn both_byte_orders_and_split_pairs() {
        let text = "{\"log\": \"héllo 😀 世界\"}";
        for e in [Endian::Little, Endian::Big] {
            let bytes = encode(text, e);
            let mut out = String::new();
            Utf16ToUtf8::new(Trickle(&bytes), e)
                .read_to_string(&mut out)
                .unwrap();
            assert_eq!(out, text);
        }
        assert_eq!(bom(&[0xFF, 0xFE, 0x7B, 0]), Some(Endian::Little));
        assert_eq!(bom(b"{"), None);
        assert_eq!(
            sniff(&encode("hello, world!", Endian::Little)),
            Some(Endian::Little)
        );
        assert_eq!(
            sniff(&encode("hello, world!", Endian::Big)),
            Some(Endian::Big)
        );
        assert_eq!(sniff(&[0u8; 512]), None, "NUL runs are not UTF-16");
        assert_eq!(sniff(b"plain ascii text, long enough"), None);
    }

    #[test]
    fn broken_input_is_replaced_not_fatal() {
        let mut bytes = encode("ab", Endian::Little);
        bytes.extend_from_slice(&0xD800u16.to_le_bytes());
        bytes.push(0x41);
        let mut out = String::new();
        Utf16ToUtf8::new(&bytes[..], Endian::Little)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "ab\u{FFFD}");
    }
}
