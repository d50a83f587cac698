//! A reader over a shared open file that keeps its own position, so that
//! several threads can read one file at once (each zip worker opens the
//! archive anew). Needed for files that have no path to reopen: an upload
//! spooled to an unlinked temporary file.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

/// Reads `file` from its own offset with positional reads (`pread`), never
/// moving the file's shared offset.
#[derive(Debug, Clone)]
pub struct FileAt {
    file: Arc<File>,
    pos: u64,
    len: u64,
}

impl FileAt {
    /// A reader at the start of `file`.
    pub fn new(file: Arc<File>) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(FileAt { file, pos: 0, len })
    }
}

#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(f, buf, at)
}

#[cfg(windows)]
fn read_at(f: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    // seek_read moves the handle's offset, which no FileAt relies on.
    std::os::windows::fs::FileExt::seek_read(f, buf, at)
}

impl Read for FileAt {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len {
            return Ok(0);
        }
        let n = read_at(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for FileAt {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn two_readers_of_one_file_keep_their_own_place() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"0123456789").unwrap();
        let f = Arc::new(f);
        let mut a = FileAt::new(f.clone()).unwrap();
        let mut b = FileAt::new(f).unwrap();
        let mut x = [0; 3];
        a.read_exact(&mut x).unwrap();
        assert_eq!(&x, b"012");
        b.seek(SeekFrom::End(-2)).unwrap();
        let mut rest = Vec::new();
        b.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"89");
        a.read_exact(&mut x).unwrap();
        assert_eq!(&x, b"345");
        assert!(a.seek(SeekFrom::Current(-10)).is_err());
    }
}
