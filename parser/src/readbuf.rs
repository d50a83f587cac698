//! Reading into the sliding buffers the streaming parsers use.

use std::io::Read;

/// Appends up to `chunk` bytes; returns how many were read (0 at end of input).
///
/// The chunk is filled whole when the reader allows, so batches stay large,
/// but only the bytes that arrive are written: zeroing a whole chunk first
/// cost a small input (most bundles of a fleet) a 4 MiB memset and its page
/// faults per window.
pub(crate) fn fill<R: Read>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    chunk: usize,
) -> std::io::Result<usize> {
    let old = buf.len();
    // `read_to_end` retries `Interrupted` and keeps what it read before an error.
    match reader.take(chunk as u64).read_to_end(buf) {
        Ok(n) => Ok(n),
        Err(_) if buf.len() > old => Ok(buf.len() - old),
        Err(e) => Err(e),
    }
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
pub(crate) fn fill_slice<R: Read>(reader: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return if got > 0 { Ok(got) } else { Err(e) },
        }
    }
    Ok(got)
}

/// Reads up to `n` bytes without losing them: returns them and a reader that
/// yields them again followed by the rest.
pub(crate) fn peek<'r>(
    mut r: Box<dyn std::io::Read + 'r>,
    n: usize,
) -> std::io::Result<(Vec<u8>, Box<dyn std::io::Read + 'r>)> {
    use std::io::{self, Read as _};
    let mut head = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // What was read is still content: its parser reads it and then
            // meets the error where it happened (a cut .gz keeps its lines).
            Err(e) if got > 0 => {
                head.truncate(got);
                return Ok((head.clone(), Box::new(Replay::new(head, Some(e)))));
            }
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    let again = io::Cursor::new(head.clone()).chain(r);
    Ok((head, Box::new(again)))
}

/// Bytes already read, then the error that stopped the read, if one did:
/// reading it gives what reading the source would have, up to that error.
pub(crate) struct Replay {
    bytes: std::io::Cursor<Vec<u8>>,
    error: Option<std::io::Error>,
}

impl Replay {
    pub(crate) fn new(bytes: Vec<u8>, error: Option<std::io::Error>) -> Replay {
        Replay {
            bytes: std::io::Cursor::new(bytes),
            error,
        }
    }
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.bytes.read(buf)?;
        match &self.error {
            // The error repeats, as the source's would: readers that fill a
            // buffer return the bytes first and expect to meet it again.
            Some(e) if n == 0 && !buf.is_empty() => Err(match crate::limits::limit_of(e) {
                Some(limit) => std::io::Error::other(limit.clone()),
                None => std::io::Error::new(e.kind(), e.to_string()),
            }),
            _ => Ok(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_gives_the_bytes_then_the_error() {
        let mut r = Replay::new(b"abc".to_vec(), Some(std::io::Error::other("cut")));
        let mut out = Vec::new();
        let e = r.read_to_end(&mut out).unwrap_err();
        assert_eq!(out, b"abc");
        assert_eq!(e.to_string(), "cut");
        let mut clean = Replay::new(b"xy".to_vec(), None);
        let mut out = Vec::new();
        clean.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"xy");
    }

    /// Gives its bytes three at a time, interrupted once, then fails if told to.
    struct Dribble {
        data: std::io::Cursor<Vec<u8>>,
        interrupted: bool,
        fail: bool,
    }

    impl Read for Dribble {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(3);
            match self.data.read(&mut buf[..n])? {
                0 if self.fail => Err(std::io::Error::other("cut")),
                got => Ok(got),
            }
        }
    }

    fn dribble(data: &[u8], fail: bool) -> Dribble {
        Dribble {
            data: std::io::Cursor::new(data.to_vec()),
            interrupted: false,
            fail,
        }
    }

    #[test]
    fn fill_appends_a_whole_chunk_and_keeps_bytes_before_an_error() {
        let mut r = dribble(b"0123456789", false);
        let mut buf = b"ab".to_vec();
        assert_eq!(fill(&mut r, &mut buf, 7).unwrap(), 7, "the whole chunk, not one read");
        assert_eq!(buf, b"ab0123456");
        assert_eq!(fill(&mut r, &mut buf, 7).unwrap(), 3);
        assert_eq!(fill(&mut r, &mut buf, 7).unwrap(), 0, "end of input");
        assert_eq!(buf, b"ab0123456789");

        let mut cut = dribble(b"xyz", true);
        let mut buf = Vec::new();
        assert_eq!(fill(&mut cut, &mut buf, 10).unwrap(), 3, "what came before the error");
        assert_eq!(buf, b"xyz");
        assert_eq!(fill(&mut cut, &mut buf, 10).unwrap_err().to_string(), "cut");
        assert_eq!(buf, b"xyz");
    }
}
