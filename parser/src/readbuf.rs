//! Reading into the sliding buffers the streaming parsers use.

use std::io::Read;

/// Appends up to `chunk` bytes; returns how many were read (0 at end of input).
pub(crate) fn fill<R: Read>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    chunk: usize,
) -> std::io::Result<usize> {
    let old = buf.len();
    buf.resize(old + chunk, 0);
    let mut got = 0;
    // Fill the whole chunk when the reader allows, so batches stay large.
    while got < chunk {
        match reader.read(&mut buf[old + got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(old + got);
                return if got > 0 { Ok(got) } else { Err(e) };
            }
        }
    }
    buf.truncate(old + got);
    Ok(got)
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
}
