//! A HAR capture as a stream of its parts, for readers that rewrite it
//! (the `redact` copier): the small `log` fields, then each entry's raw
//! bytes, in order, over the same sliding buffer [`super::read_har`] uses,
//! so memory is bounded by the largest entry, never by the file.

use std::io::{self, Read};
use std::ops::Range;

use super::drop_front;
use super::framing::{Event, Framer, LogField};
use crate::readbuf::fill;

/// One part of a capture.
#[derive(Debug)]
pub enum Part<'b> {
    /// `log.version`, `log.creator` or `log.browser`, as raw JSON.
    Field {
        /// Which field.
        field: LogField,
        /// Its JSON value.
        value: &'b [u8],
    },
    /// One element of `log.entries`, as raw JSON.
    Entry {
        /// Position in `log.entries`, from 0.
        index: u64,
        /// Byte offset of its first byte in the (decompressed) capture.
        offset: u64,
        /// Its JSON text.
        bytes: &'b [u8],
    },
    /// An entry larger than the limit: skipped, never buffered.
    Skipped {
        /// Position in `log.entries`.
        index: u64,
        /// Byte offset of its first byte.
        offset: u64,
        /// Its size in bytes.
        len: u64,
    },
}

/// Why the stream stopped early.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Reading failed (a cut gzip stream, a limit, the disk).
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The bytes are not a HAR document here.
    #[error("byte {offset}: {message}")]
    Syntax {
        /// Byte offset.
        offset: u64,
        /// What was wrong.
        message: String,
    },
}

impl StreamError {
    /// The byte offset where the stream stopped, when known.
    pub fn offset(&self) -> Option<u64> {
        match self {
            StreamError::Syntax { offset, .. } => Some(*offset),
            StreamError::Io(_) => None,
        }
    }
}

/// The parts of a capture read from `R`.
pub struct Parts<R> {
    reader: R,
    framer: Framer,
    buf: Vec<u8>,
    base: u64,
    eof: bool,
    done: bool,
    max_entry_bytes: usize,
    chunk_bytes: usize,
    /// Bytes read so far (for "cut at byte N").
    read: u64,
}

enum Next {
    Field(LogField, Range<usize>),
    Entry(u64, u64, Range<usize>),
    Skipped(u64, u64, u64),
    End,
}

impl<R: Read> Parts<R> {
    /// Streams `reader` with the given entry limit and read size.
    pub fn new(reader: R, max_entry_bytes: usize, chunk_bytes: usize) -> Self {
        Parts {
            reader,
            framer: Framer::new(),
            buf: Vec::new(),
            base: 0,
            eof: false,
            done: false,
            max_entry_bytes,
            chunk_bytes: chunk_bytes.max(1),
            read: 0,
        }
    }

    /// Bytes of the capture read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// The next part, or `None` at the end of the document.
    pub fn next_part(&mut self) -> Result<Option<Part<'_>>, StreamError> {
        if self.done {
            return Ok(None);
        }
        let next = loop {
            match self.framer.next(&self.buf, self.base, self.eof) {
                Ok(Event::Field { field, start, end }) => {
                    break Next::Field(field, self.range(start, end));
                }
                Ok(Event::Entry { index, start, end }) => {
                    break Next::Entry(index, start, self.range(start, end));
                }
                Ok(Event::Discarded { index, start, end }) => {
                    break Next::Skipped(index, start, end - start)
                }
                Ok(Event::End) => break Next::End,
                Ok(Event::NeedMore) => {
                    drop_front(&mut self.buf, &mut self.base, self.framer.keep_from());
                    if self.buf.len() >= self.max_entry_bytes {
                        if !self.framer.in_value() {
                            self.done = true;
                            return Err(StreamError::Syntax {
                                offset: self.base,
                                message: format!(
                                    "a single token is larger than the {} byte limit",
                                    self.max_entry_bytes
                                ),
                            });
                        }
                        self.framer.discard_current();
                        drop_front(&mut self.buf, &mut self.base, self.framer.keep_from());
                    }
                    match fill(&mut self.reader, &mut self.buf, self.chunk_bytes) {
                        Ok(0) => self.eof = true,
                        Ok(n) => self.read += n as u64,
                        Err(e) => {
                            self.done = true;
                            return Err(StreamError::Io(e));
                        }
                    }
                }
                Err(e) => {
                    self.done = true;
                    return Err(StreamError::Syntax {
                        offset: e.offset,
                        message: e.message,
                    });
                }
            }
        };
        Ok(Some(match next {
            Next::Field(field, r) => Part::Field {
                field,
                value: &self.buf[r],
            },
            Next::Entry(index, offset, r) => Part::Entry {
                index,
                offset,
                bytes: &self.buf[r],
            },
            Next::Skipped(index, offset, len) => Part::Skipped { index, offset, len },
            Next::End => {
                self.done = true;
                return Ok(None);
            }
        }))
    }

    fn range(&self, start: u64, end: u64) -> Range<usize> {
        (start - self.base) as usize..(end - self.base) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_in_order_at_any_read_size() {
        let doc = br#"{"log":{"version":"1.2","creator":{"name":"x"},"entries":[{"a":1},{"b":"ccccccccccccccccccccc"},{"c":3}]}}"#;
        // An entry over the limit is skipped when it must be held across
        // reads, as `read_har` does (a whole one in the first read is read).
        for chunk in [1, 3, 7] {
            let mut p = Parts::new(&doc[..], 24, chunk);
            let mut seen = Vec::new();
            while let Some(part) = p.next_part().unwrap() {
                seen.push(match part {
                    Part::Field { value, .. } => String::from_utf8_lossy(value).into_owned(),
                    Part::Entry { bytes, .. } => String::from_utf8_lossy(bytes).into_owned(),
                    Part::Skipped { index, .. } => format!("skipped {index}"),
                });
            }
            assert_eq!(
                seen,
                [
                    "\"1.2\"",
                    "{\"name\":\"x\"}",
                    "{\"a\":1}",
                    "skipped 1",
                    "{\"c\":3}"
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn a_cut_capture_is_an_error_after_its_entries() {
        let doc = br#"{"log":{"entries":[{"a":1},{"b":2"#;
        let mut p = Parts::new(&doc[..], 1 << 20, 64);
        assert!(matches!(p.next_part(), Ok(Some(Part::Entry { .. }))));
        assert!(p.next_part().is_err());
        assert!(matches!(p.next_part(), Ok(None)));
    }
}
