//! From an HTTP body to a blocking [`Read`]: the body is pulled chunk by
//! chunk under the size and time limits and handed through a bounded channel
//! to the reader thread, so an upload is analysed while it arrives and never
//! held whole in memory.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Chunks in flight between the body and the reader: with hyper's chunks
/// (at most a few tens of KiB) this bounds each upload's buffer.
const CHANNEL_CHUNKS: usize = 16;

/// Why the body was refused part way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Over the body limit (413).
    TooLarge,
    /// The request as a whole took too long (408).
    Deadline,
    /// Nothing arrived for the idle timeout (408).
    Slow,
    /// The connection failed or closed before the body ended.
    Broken,
}

impl Cut {
    /// The fixed word for logs and metrics.
    pub fn reason(self) -> &'static str {
        match self {
            Cut::TooLarge => "too_large",
            Cut::Deadline => "timeout",
            Cut::Slow => "slow_upload",
            Cut::Broken => "disconnected",
        }
    }
}

/// The limits one body is read under.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Largest body in bytes.
    pub max_bytes: u64,
    /// When the whole request must be done.
    pub deadline: Instant,
    /// Longest wait for the next chunk.
    pub idle: Duration,
}

/// Where a cut is recorded: the stream's consumer (multer) only sees an
/// I/O error, the handler needs the reason.
pub type CutCell = Arc<Mutex<Option<Cut>>>;

/// The body as a stream of chunks that ends with an error, and records why
/// in `cut`, when a limit is crossed. `counted` sums the bytes received.
pub fn limited(
    body: axum::body::Body,
    limits: BodyLimits,
    cut: CutCell,
    counted: Arc<AtomicU64>,
) -> futures_util::stream::BoxStream<'static, io::Result<Bytes>> {
    let data = body.into_data_stream();
    futures_util::stream::unfold((data, false), move |(mut data, done)| {
        let cut = cut.clone();
        let counted = counted.clone();
        async move {
            if done {
                return None;
            }
            let wait = limits
                .idle
                .min(limits.deadline.saturating_duration_since(Instant::now()));
            let fail = |c: Cut| {
                *cut.lock().unwrap_or_else(|e| e.into_inner()) = Some(c);
                io::Error::other(match c {
                    Cut::TooLarge => "the upload is over the size limit",
                    Cut::Deadline => "the request took longer than its time limit",
                    Cut::Slow => "the upload stalled",
                    Cut::Broken => "the upload was cut short",
                })
            };
            let next = match tokio::time::timeout(wait, data.next()).await {
                Err(_) if Instant::now() >= limits.deadline => Err(fail(Cut::Deadline)),
                Err(_) => Err(fail(Cut::Slow)),
                Ok(None) => return None,
                Ok(Some(Err(_))) => Err(fail(Cut::Broken)),
                Ok(Some(Ok(chunk))) => {
                    let total = counted.fetch_add(chunk.len() as u64, Ordering::Relaxed)
                        + chunk.len() as u64;
                    if total > limits.max_bytes {
                        Err(fail(Cut::TooLarge))
                    } else {
                        Ok(chunk)
                    }
                }
            };
            let failed = next.is_err();
            Some((next, (data, failed)))
        }
    })
    .boxed()
}

/// The sending half: chunks for one input.
pub type Feed = mpsc::Sender<io::Result<Bytes>>;

/// A channel whose receiving end is a blocking [`Read`] for the reader thread.
pub fn channel() -> (Feed, ChannelReader) {
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    (
        tx,
        ChannelReader {
            rx,
            chunk: Bytes::new(),
        },
    )
}

/// Reads what the async side sends; the end of the channel is the end of
/// the input, an error sent is an error read.
pub struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    chunk: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(c)) => self.chunk = c,
                Some(Err(e)) => return Err(e),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// Sends a stream of chunks into `feed`. Returns false when the stream
/// failed (the error was passed on to the reader). When the reader stops
/// early (it has read all it wants) the rest of the stream is still
/// drained, so that a multipart body can go on to its next part.
pub async fn pump<S>(mut stream: S, feed: Feed) -> bool
where
    S: Stream<Item = io::Result<Bytes>> + Unpin,
{
    let mut open = true;
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => {
                if open && feed.send(Ok(chunk)).await.is_err() {
                    open = false;
                }
            }
            Err(e) => {
                let _ = feed.send(Err(e)).await;
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_over_the_limit_is_cut_as_too_large() {
        let body = axum::body::Body::from(vec![b'x'; 100]);
        let cut = CutCell::default();
        let counted = Arc::new(AtomicU64::new(0));
        let s = limited(
            body,
            BodyLimits {
                max_bytes: 10,
                deadline: Instant::now() + Duration::from_secs(5),
                idle: Duration::from_secs(5),
            },
            cut.clone(),
            counted,
        );
        let items: Vec<_> = s.collect().await;
        assert!(items.last().unwrap().is_err());
        assert_eq!(*cut.lock().unwrap(), Some(Cut::TooLarge));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_reader_sees_every_byte_then_the_end() {
        let (tx, mut rx) = channel();
        let reader = tokio::task::spawn_blocking(move || {
            let mut s = String::new();
            rx.read_to_string(&mut s).map(|_| s)
        });
        let chunks = futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"hello ")),
            Ok(Bytes::from_static(b"world")),
        ]);
        assert!(pump(chunks, tx).await);
        assert_eq!(reader.await.unwrap().unwrap(), "hello world");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_body_is_an_error_to_the_reader() {
        let (tx, mut rx) = channel();
        let reader = tokio::task::spawn_blocking(move || {
            let mut s = Vec::new();
            rx.read_to_end(&mut s)
        });
        let chunks = futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"abc")),
            Err(io::Error::other("cut")),
        ]);
        assert!(!pump(chunks, tx).await);
        assert_eq!(reader.await.unwrap().unwrap_err().to_string(), "cut");
    }
}
