//! Reading into the sliding buffers the streaming parsers use.
//!
//! Buffers come from a small per-thread pool and go back to it when
//! dropped: `analyze --each` reads thousands of small bundles one after
//! another on each thread, and a fresh window per input cost a large
//! allocation, its page faults and, through `read_to_end`, zeroing up to
//! a whole chunk before every read (the standard library may only read
//! into initialized bytes, and our readers cannot say they write every
//! byte they are given). A pooled buffer is zeroed once, only as far as
//! inputs ever filled it, and then read into as it is.

use std::io::{self, BufRead, Read};

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

/// The per-thread pool of initialized buffers.
mod pool {
    use std::cell::RefCell;

    /// Buffers a thread keeps between inputs: a HAR's two windows and a
    /// gzip stream's input buffer, with one to spare for a nested stream.
    const KEPT: usize = 4;

    /// Larger buffers are dropped, not kept: one huge entry must not pin
    /// its window's memory for the rest of the run.
    const KEPT_MAX_BYTES: usize = 8 << 20;

    thread_local! {
        static FREE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    }

    /// A buffer with room for `cap` bytes: a kept one if there is one (its
    /// bytes initialized as far as it was ever filled), else a new empty one.
    pub(super) fn take(cap: usize) -> Vec<u8> {
        if cap == 0 {
            return Vec::new();
        }
        let kept = FREE.with(|f| {
            let mut f = f.borrow_mut();
            // The fullest-initialized buffer that is large enough saves the most zeroing.
            let best = (0..f.len())
                .filter(|&i| f[i].capacity() >= cap)
                .max_by_key(|&i| f[i].len())
                .or_else(|| (0..f.len()).max_by_key(|&i| f[i].capacity()))?;
            Some(f.swap_remove(best))
        });
        match kept {
            Some(mut b) => {
                if b.capacity() < cap {
                    b.reserve_exact(cap - b.len());
                }
                b
            }
            None => Vec::with_capacity(cap),
        }
    }

    /// Keeps `b` for the thread's next input, if there is room.
    pub(super) fn give(b: Vec<u8>) {
        if b.capacity() == 0 || b.capacity() > KEPT_MAX_BYTES {
            return;
        }
        // A thread that is ending (its pool already gone) just drops it.
        let _ = FREE.try_with(|f| {
            let mut f = f.borrow_mut();
            if f.len() < KEPT {
                f.push(b);
            }
        });
    }

    #[cfg(test)]
    pub(super) fn kept() -> usize {
        FREE.with(|f| f.borrow().len())
    }
}

/// The first read of a [`Window::fill`] (the standard library's default buffer size).
const FIRST_READ: usize = 8 << 10;

/// A window of input for the streaming parsers: the bytes read so far into
/// a pooled buffer that stays initialized between uses, so reading into it
/// never zeroes anything first. Derefs to the bytes held.
pub(crate) struct Window {
    /// Initialized as far as this buffer was ever filled; only `..len` holds input.
    bytes: Vec<u8>,
    len: usize,
}

impl Window {
    /// An empty window with room for `cap` bytes before it must grow.
    pub(crate) fn new(cap: usize) -> Window {
        Window {
            bytes: pool::take(cap),
            len: 0,
        }
    }

    /// Makes `n` more bytes after the held ones writable.
    fn room(&mut self, n: usize) -> &mut [u8] {
        let end = self.len + n;
        if self.bytes.len() < end {
            // Zeroed once per buffer, only as far as it is ever used.
            self.bytes.resize(end, 0);
        }
        &mut self.bytes[self.len..end]
    }

    /// Appends `data`.
    pub(crate) fn extend_from_slice(&mut self, data: &[u8]) {
        self.room(data.len()).copy_from_slice(data);
        self.len += data.len();
    }

    /// Drops the first `n` held bytes (all of them if there are fewer).
    pub(crate) fn drain_front(&mut self, n: usize) {
        let n = n.min(self.len);
        self.bytes.copy_within(n..self.len, 0);
        self.len -= n;
    }

    /// Appends up to `chunk` bytes read from `reader`, as [`fill`] does:
    /// the chunk is filled whole when the reader allows; `Interrupted` is
    /// retried; an error after some bytes keeps them and is met again by
    /// the next read. Returns how many were read (0 at end of input).
    pub(crate) fn fill<R: Read>(&mut self, reader: &mut R, chunk: usize) -> io::Result<usize> {
        let start = self.len;
        // Reads start small and double while the reader fills them, as
        // `read_to_end` does: a small input initializes little of a new
        // buffer, a large one soon reads whole chunks.
        let mut ask = FIRST_READ;
        while self.len - start < chunk {
            let want = (chunk - (self.len - start)).min(ask);
            match reader.read(self.room(want)) {
                Ok(0) => break,
                Ok(n) => {
                    self.len += n.min(want);
                    if n >= want {
                        ask = ask.saturating_mul(2);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) if self.len > start => break,
                Err(e) => return Err(e),
            }
        }
        Ok(self.len - start)
    }
}

impl std::ops::Deref for Window {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        pool::give(std::mem::take(&mut self.bytes));
    }
}

/// A buffered reader whose buffer comes from the thread's pool (what
/// `std::io::BufReader` does, without allocating and zeroing a buffer for
/// every stream): for decoders that read from a buffer (flate2's `bufread`).
pub(crate) struct Buffered<R> {
    inner: R,
    buf: Vec<u8>,
    /// How much of `buf` each read from `inner` may fill.
    cap: usize,
    pos: usize,
    filled: usize,
}

impl<R: Read> Buffered<R> {
    /// Reads `inner` through a buffer of `cap` bytes.
    pub(crate) fn new(inner: R, cap: usize) -> Self {
        let mut buf = pool::take(cap.max(1));
        if buf.len() < cap.max(1) {
            buf.resize(cap.max(1), 0);
        }
        Buffered {
            inner,
            buf,
            cap: cap.max(1),
            pos: 0,
            filled: 0,
        }
    }
}

impl<R: Read> Read for Buffered<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        // Nothing buffered and a read at least as large as the buffer:
        // straight through, as `BufReader` does.
        if self.pos == self.filled && out.len() >= self.cap {
            return self.inner.read(out);
        }
        let n = {
            let have = self.fill_buf()?;
            let n = have.len().min(out.len());
            out[..n].copy_from_slice(&have[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Buffered<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            let cap = self.cap;
            self.filled = self.inner.read(&mut self.buf[..cap])?.min(cap);
            self.pos = 0;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.filled);
    }
}

impl<R> Drop for Buffered<R> {
    fn drop(&mut self) {
        pool::give(std::mem::take(&mut self.buf));
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

    #[test]
    fn a_window_fills_as_fill_does() {
        let mut r = dribble(b"0123456789", false);
        let mut w = Window::new(4);
        w.extend_from_slice(b"ab");
        assert_eq!(w.fill(&mut r, 7).unwrap(), 7, "the whole chunk, not one read");
        assert_eq!(&*w, b"ab0123456");
        assert_eq!(w.fill(&mut r, 7).unwrap(), 3);
        assert_eq!(w.fill(&mut r, 7).unwrap(), 0, "end of input");
        assert_eq!(&*w, b"ab0123456789");

        let mut cut = dribble(b"xyz", true);
        let mut w = Window::new(16);
        assert_eq!(w.fill(&mut cut, 10).unwrap(), 3, "what came before the error");
        assert_eq!(w.fill(&mut cut, 10).unwrap_err().to_string(), "cut");
        assert_eq!(&*w, b"xyz");
    }

    #[test]
    fn a_reused_window_holds_only_its_own_bytes() {
        let long = vec![b'L'; 100_000];
        let mut w = Window::new(1 << 20);
        assert_eq!(w.fill(&mut &long[..], 1 << 20).unwrap(), long.len());
        drop(w);
        // The next window may get the same memory back: none of it shows.
        let mut w = Window::new(1 << 20);
        assert!(w.is_empty());
        assert_eq!(w.fill(&mut &b"short"[..], 1 << 20).unwrap(), 5);
        assert_eq!(&*w, b"short");
        w.drain_front(2);
        assert_eq!(&*w, b"ort");
        w.extend_from_slice(b"!");
        assert_eq!(&*w, b"ort!");
        w.drain_front(99);
        assert!(w.is_empty());
    }

    #[test]
    fn the_pool_keeps_few_and_small_buffers() {
        let windows: Vec<Window> = (0..10)
            .map(|_| {
                let mut w = Window::new(64);
                w.extend_from_slice(b"x");
                w
            })
            .collect();
        drop(windows);
        assert!(pool::kept() <= 4, "{}", pool::kept());
        // Empty the pool, then drop a window grown past the kept size.
        let held: Vec<Window> = (0..4).map(|_| Window::new(64)).collect();
        let before = pool::kept();
        let mut big = Window::new(0);
        big.extend_from_slice(&vec![0u8; (8 << 20) + 1]);
        drop(big);
        assert_eq!(pool::kept(), before, "a large buffer is not kept");
        drop(held);
    }

    /// Serves `data`, recording the largest read asked of it.
    struct Asked<'a> {
        data: &'a [u8],
        most: usize,
    }

    impl Read for Asked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.most = self.most.max(buf.len());
            self.data.read(buf)
        }
    }

    #[test]
    fn buffered_reads_give_the_input_and_ask_at_most_the_buffer_size() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        for step in [1, 7, 1000, 4096, 5000] {
            let mut inner = Asked {
                data: &data,
                most: 0,
            };
            let mut got = Vec::new();
            {
                let mut b = Buffered::new(&mut inner, 4096);
                let mut part = vec![0u8; step];
                loop {
                    let n = b.read(&mut part).unwrap();
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&part[..n]);
                    // BufRead too, as the gzip decoder reads it.
                    let have = b.fill_buf().unwrap().len().min(3);
                    got.extend_from_slice(&b.fill_buf().unwrap()[..have]);
                    b.consume(have);
                }
            }
            assert_eq!(got, data, "step {step}");
            // Reads larger than the buffer go straight through; the others
            // never ask more than the buffer holds (the compressed side of
            // a ratio is counted from these reads).
            assert!(inner.most <= step.max(4096), "step {step}: {}", inner.most);
        }
    }
}
