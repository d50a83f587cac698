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
