//! The floor of reading a `.tar.gz`: inflating its one DEFLATE stream and
//! nothing else, with the inflater and buffer sizes the reader uses
//! (`parser/src/dispatch.rs`, `read_gzip`; the agent-log reader's 2 MiB
//! chunks), so `batchdiag analyze X.tar.gz` can be compared with it.

use std::io::{self, BufReader, Read};

/// Compressed bytes read from the source at a time (as `read_gzip`).
pub const SOURCE_BUFFER: usize = 256 << 10;
/// Decompressed bytes asked for at a time (as the agent-log reader's chunk).
pub const OUTPUT_BUFFER: usize = 2 << 20;

/// Inflates every gzip member of `source` and returns the decompressed size.
pub fn inflate_count<R: Read>(source: R) -> io::Result<u64> {
    let mut gz =
        flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(SOURCE_BUFFER, source));
    let mut buf = vec![0u8; OUTPUT_BUFFER];
    let mut total = 0u64;
    loop {
        match gz.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn counts_every_member() {
        let member = |text: &[u8]| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(text).unwrap();
            gz.finish().unwrap()
        };
        let mut both = member(&[b'a'; 5000]);
        both.extend(member(b"hello"));
        assert_eq!(inflate_count(&both[..]).unwrap(), 5005);
        assert!(
            inflate_count(&both[..10]).is_err(),
            "a cut stream is an error"
        );
    }
}
