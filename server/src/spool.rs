//! Uploaded zips go to unlinked temporary files. A zip is read from its
//! central directory at the end, so it cannot be read as it arrives; held
//! in memory, 16 uploads of 100 MB would need 1.6 GB. Spooled, it is read
//! with random access like a local file, and the file has no name from the
//! moment it exists (`tempfile`: `O_TMPFILE` on Linux), so nothing is left
//! behind even if the process dies; it is gone when the read closes it.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use batchdiag_parser::detect::{self, Format, Head};

/// An upload ready to be read.
pub enum Upload<R> {
    /// Not a zip: read as it arrives (the bytes peeked at come first).
    Stream(io::Chain<io::Cursor<Vec<u8>>, R>),
    /// A zip, written whole to an unlinked temporary file.
    Spooled(File),
}

/// Why a zip could not be spooled.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The zip is larger than the spool limit.
    #[error("the zip is larger than the spool limit of {0} bytes")]
    TooLarge(u64),
    /// The upload failed while it was spooled (it was cut, it stalled).
    #[error("the upload failed: {0}")]
    Upload(io::Error),
    /// The temporary file could not be created or written (a full disk).
    #[error("cannot spool the zip to a temporary file: {0}")]
    Disk(io::Error),
}

/// Where and how much is spooled.
#[derive(Debug, Clone)]
pub struct SpoolOptions {
    /// The directory of the temporary files (`None`: the system's, `TMPDIR`).
    pub dir: Option<PathBuf>,
    /// Largest zip spooled.
    pub max_bytes: u64,
}

/// Bytes enough for the detection table to recognize a zip.
const ZIP_HEAD: usize = 4;

/// Looks at the start of `rd` with the reader's detection table: a zip is
/// spooled (within `opts.max_bytes`), anything else is handed back to be
/// streamed. Returns the bytes spooled with the upload.
pub fn prepare<R: Read>(
    name: &str,
    mut rd: R,
    opts: &SpoolOptions,
) -> Result<(Upload<R>, u64), SpoolError> {
    let mut head = Vec::with_capacity(ZIP_HEAD);
    (&mut rd)
        .take(ZIP_HEAD as u64)
        .read_to_end(&mut head)
        .map_err(SpoolError::Upload)?;
    let file_name = detect::file_name(name);
    let format = detect::detect(&Head {
        bytes: &head,
        name: &file_name,
    });
    if format != Format::Zip {
        return Ok((Upload::Stream(io::Cursor::new(head).chain(rd)), 0));
    }
    let mut file = match &opts.dir {
        Some(d) => tempfile::tempfile_in(d),
        None => tempfile::tempfile(),
    }
    .map_err(SpoolError::Disk)?;
    file.write_all(&head).map_err(SpoolError::Disk)?;
    let mut total = head.len() as u64;
    // Large reads: a channel of body chunks is drained fastest in big steps.
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = match rd.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(SpoolError::Upload(e)),
        };
        total += n as u64;
        if total > opts.max_bytes {
            return Err(SpoolError::TooLarge(opts.max_bytes));
        }
        file.write_all(&buf[..n]).map_err(SpoolError::Disk)?;
    }
    // Its offset stays at the end: its readers read positionally from the
    // start (`FileAt`).
    Ok((Upload::Spooled(file), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(max: u64) -> SpoolOptions {
        SpoolOptions {
            dir: None,
            max_bytes: max,
        }
    }

    #[test]
    fn a_zip_is_spooled_whole_and_other_content_streams() {
        let zip = b"PK\x03\x04 the rest of an archive".to_vec();
        let (up, n) = prepare("case.bin", &zip[..], &opts(1 << 20)).unwrap();
        let Upload::Spooled(f) = up else {
            panic!("a zip is spooled")
        };
        assert_eq!(n, zip.len() as u64);
        let mut back = Vec::new();
        batchdiag_parser::FileAt::new(std::sync::Arc::new(f))
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, zip);

        let (up, n) = prepare("a.log", &b"PK is not enough\n"[..], &opts(1 << 20)).unwrap();
        let Upload::Stream(mut s) = up else {
            panic!("text streams")
        };
        let mut back = String::new();
        s.read_to_string(&mut back).unwrap();
        assert_eq!((back.as_str(), n), ("PK is not enough\n", 0));

        let (up, _) = prepare("x", &b"ab"[..], &opts(1 << 20)).unwrap();
        assert!(matches!(up, Upload::Stream(_)), "shorter than the head");
    }

    #[test]
    fn a_zip_over_the_limit_is_refused() {
        let zip = [b"PK\x03\x04".as_slice(), &[0u8; 1000]].concat();
        let r = prepare("a.zip", &zip[..], &opts(100));
        assert!(matches!(r, Err(SpoolError::TooLarge(100))));
    }
}
