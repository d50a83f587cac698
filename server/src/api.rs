//! The API handlers.

use std::io::{self, Write};
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use batchdiag_parser::{Bundle, Cancel, Reader, Session};
use batchdiag_redact::{redact as redact_report, redact_message};
use batchdiag_render::{Format, SinkOptions};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::time::Instant;

use crate::body::{self, BodyLimits, Cut, CutCell};
use crate::guard::BytesIn;
use crate::spool::{self, SpoolError, SpoolOptions, Upload};
use crate::Shared;

/// Most files in one multipart upload.
const MAX_PARTS: usize = 1000;

/// `?format=`.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct AnalyzeQuery {
    format: Option<String>,
}

fn plain(status: StatusCode, msg: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{}\n", redact_message(msg)),
    )
        .into_response()
}

/// 503 with `Retry-After`.
pub(crate) fn busy(_st: &Shared, msg: &str) -> Response {
    let mut r = plain(StatusCode::SERVICE_UNAVAILABLE, msg);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

/// `GET /healthz`.
pub(crate) async fn healthz(State(st): State<Shared>) -> Response {
    if st.draining.load(Ordering::SeqCst) {
        return busy(&st, "shutting down");
    }
    plain(StatusCode::OK, "ok")
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(st): State<Shared>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(),
    )
        .into_response()
}

/// Unknown routes.
pub(crate) async fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "not found")
}

/// One analysis or copy holding a concurrency slot: while it lives its
/// cancel flag is registered for shutdown; dropped before it is disarmed
/// (the client went away, the handler was abandoned), it cancels the read.
struct Running {
    st: Shared,
    id: u64,
    cancel: Cancel,
    armed: bool,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Running {
    fn start(st: &Shared) -> Result<Running, Box<Response>> {
        let Ok(permit) = st.slots.clone().try_acquire_owned() else {
            st.metrics.reject("busy");
            return Err(Box::new(busy(
                st,
                "too many analyses at once; try again shortly",
            )));
        };
        let id = st.next_id.fetch_add(1, Ordering::Relaxed);
        let cancel = Cancel::new();
        st.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, cancel.clone());
        st.metrics.in_flight(1);
        Ok(Running {
            st: st.clone(),
            id,
            cancel,
            armed: true,
            _permit: permit,
        })
    }

    fn stop(&self) {
        if !self.cancel.is_cancelled() {
            self.cancel.cancel();
            self.st.metrics.cancelled();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.armed {
            self.stop();
        }
        self.st
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
        self.st.metrics.in_flight(-1);
    }
}

/// The name of a raw-body upload: `X-File-Name` (or `?name=` is not
/// offered: URLs end up in proxies' logs).
fn raw_name(h: &HeaderMap) -> String {
    h.get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(tame_name)
        .unwrap_or_else(|| "upload".into())
}

/// Names are shown in reports: no control characters, bounded length.
fn tame_name(s: &str) -> String {
    let t: String = s.chars().filter(|c| !c.is_control()).take(1024).collect();
    if t.trim().is_empty() {
        "upload".into()
    } else {
        t
    }
}

fn cut_response(st: &Shared, cut: Cut, limits: &crate::Limits) -> Response {
    st.metrics.reject(cut.reason());
    match cut {
        Cut::TooLarge => plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "the upload is larger than the limit of {} bytes",
                limits.max_body_bytes
            ),
        ),
        Cut::Deadline => plain(
            StatusCode::REQUEST_TIMEOUT,
            &format!(
                "the request took longer than {} s",
                limits.request_timeout.as_secs()
            ),
        ),
        Cut::Slow => plain(
            StatusCode::REQUEST_TIMEOUT,
            &format!("nothing arrived for {} s", limits.idle_timeout.as_secs()),
        ),
        Cut::Broken => plain(StatusCode::BAD_REQUEST, "the upload was cut short"),
    }
}

fn spool_response(st: &Shared, e: &SpoolError) -> Response {
    match e {
        SpoolError::TooLarge(_) => {
            st.metrics.reject("too_large");
            plain(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string())
        }
        SpoolError::Upload(_) => {
            st.metrics.reject("disconnected");
            plain(StatusCode::BAD_REQUEST, &e.to_string())
        }
        // The system's error can name the server's own paths: a fixed text.
        SpoolError::Disk(_) => {
            st.metrics.reject("spool_disk");
            plain(
                StatusCode::INSUFFICIENT_STORAGE,
                "cannot spool the zip to a temporary file on the server",
            )
        }
    }
}

fn boundary(h: &HeaderMap) -> Option<String> {
    let ct = h.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return None;
    }
    multer::parse_boundary(ct).ok()
}

/// Reads one input from a stream of chunks on a blocking thread, while
/// the chunks arrive: into `session` when the input is one part of a
/// multipart upload (the bundle is built once all parts are read), alone
/// otherwise (as the CLI reads a file it is given). A zip is spooled to an
/// unlinked temporary file first and read from there, as the CLI reads a
/// local zip. With the read, when the body had arrived whole; `None` when
/// the deadline passed first.
async fn read_one<S>(
    st: &Shared,
    run: &Running,
    name: String,
    stream: S,
    deadline: Instant,
    session: Option<Session>,
) -> Option<Result<(Read, Instant), SpoolError>>
where
    S: futures_util::Stream<Item = io::Result<Bytes>> + Unpin,
{
    let (feed, rd) = body::channel();
    let reader = Reader::new(st.config.read.clone()).with_cancel(run.cancel.clone());
    let opts = SpoolOptions {
        dir: st.config.spool_dir.clone(),
        max_bytes: st.config.limits.max_spool_bytes,
    };
    let st2 = st.clone();
    let task = tokio::task::spawn_blocking(move || {
        let (upload, spooled) = spool::prepare(&name, rd, &opts)?;
        st2.metrics.spooled(spooled);
        Ok(match (upload, session) {
            (Upload::Stream(s), Some(mut session)) => {
                session.read(&name, s);
                Read::Part(session)
            }
            // The file is closed, and so gone, when its read ends.
            (Upload::Spooled(f), Some(mut session)) => {
                session.read_spooled(&name, f);
                Read::Part(session)
            }
            (Upload::Stream(s), None) => Read::Whole(reader.read_reader(&name, s)),
            (Upload::Spooled(f), None) => {
                let mut session = reader.session();
                session.read_spooled(&name, f);
                Read::Whole(session.finish())
            }
        })
    });
    body::pump(stream, feed).await;
    let received = Instant::now();
    let mut task = task;
    match tokio::time::timeout_at(deadline, &mut task).await {
        Ok(b) => b.ok().map(|r| r.map(|read| (read, received))),
        Err(_) => {
            run.stop();
            let _ = task.await;
            None
        }
    }
}

/// What reading an upload's body gave.
enum Read {
    /// One part of a multipart upload, read into the session.
    Part(Session),
    /// A whole raw body.
    Whole(Bundle),
}

/// `POST /api/v1/analyze`: multipart (every file part is one input of one
/// bundle) or a raw body named by `X-File-Name`.
pub(crate) async fn analyze(
    State(st): State<Shared>,
    Query(q): Query<AnalyzeQuery>,
    req: Request,
) -> Response {
    let format = match q.format.as_deref() {
        None | Some("json") => Format::Json,
        Some("markdown") | Some("md") => Format::Markdown,
        Some("html") => Format::Html,
        Some(_) => {
            return plain(
                StatusCode::BAD_REQUEST,
                "format must be json, markdown or html",
            )
        }
    };
    let mut run = match Running::start(&st) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    let limits = st.config.limits.clone();
    let deadline = Instant::now() + limits.request_timeout;
    let (parts, body) = req.into_parts();
    let counted = parts
        .extensions
        .get::<BytesIn>()
        .cloned()
        .unwrap_or_default()
        .0;
    let cut = CutCell::default();
    let stream = body::limited(
        body,
        BodyLimits {
            max_bytes: limits.max_body_bytes,
            deadline,
            idle: limits.idle_timeout,
        },
        cut.clone(),
        counted,
    );
    let mut bundle = None;
    let mut files = 0usize;
    let mut session = Some(
        Reader::new(st.config.read.clone())
            .with_cancel(run.cancel.clone())
            .session(),
    );
    let mut timed_out = false;
    let mut spool_failed = None;
    let started = Instant::now();
    let mut received = None;
    if let Some(b) = boundary(&parts.headers) {
        let mut mp = multer::Multipart::new(stream, b);
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    if let Some(c) = *cut.lock().unwrap_or_else(|e| e.into_inner()) {
                        run.stop();
                        return cut_response(&st, c, &limits);
                    }
                    st.metrics.reject("bad_request");
                    return plain(
                        StatusCode::BAD_REQUEST,
                        &format!("malformed multipart body: {e}"),
                    );
                }
            };
            let Some(name) = field.file_name().map(tame_name) else {
                continue; // a form field, not a file
            };
            if files == MAX_PARTS {
                st.metrics.reject("too_many_files");
                return plain(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("at most {MAX_PARTS} files per upload"),
                );
            }
            let chunks = field.map(|r| r.map_err(io::Error::other));
            match read_one(&st, &run, name, chunks, deadline, session.take()).await {
                Some(Ok((Read::Part(s), at))) => {
                    session = Some(s);
                    files += 1;
                    received = Some(at);
                }
                Some(Err(e)) => {
                    spool_failed = Some(e);
                    break;
                }
                _ => {
                    timed_out = true;
                    break;
                }
            }
        }
        if files > 0 {
            bundle = session.take().map(Session::finish);
        }
    } else {
        let name = raw_name(&parts.headers);
        match read_one(&st, &run, name, stream, deadline, None).await {
            Some(Ok((Read::Whole(b), at))) => {
                bundle = Some(b);
                received = Some(at);
            }
            Some(Err(e)) => spool_failed = Some(e),
            _ => timed_out = true,
        }
    }
    if let Some(c) = *cut.lock().unwrap_or_else(|e| e.into_inner()) {
        run.stop();
        return cut_response(&st, c, &limits);
    }
    if let Some(e) = spool_failed {
        run.stop();
        return spool_response(&st, &e);
    }
    if timed_out || run.cancel.is_cancelled() {
        run.stop();
        return cut_response(&st, Cut::Deadline, &limits);
    }
    let Some(bundle) = bundle else {
        st.metrics.reject("bad_request");
        return plain(StatusCode::BAD_REQUEST, "no file in the upload");
    };
    let read = Instant::now();
    let settings = st.config.settings.clone();
    let rendered = tokio::task::spawn_blocking(move || render(bundle, &settings, format)).await;
    run.armed = false;
    let phases = Phases {
        upload: received.unwrap_or(read) - started,
        read: read - started,
        report: read.elapsed(),
    };
    let (out, codes, exit) = match rendered {
        Ok(Ok(r)) => r,
        _ => {
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the report could not be written",
            )
        }
    };
    for c in &codes {
        st.metrics.diagnosis(c);
    }
    st.metrics.bytes_out(out.len() as u64);
    let ct = match format {
        Format::Markdown => "text/markdown; charset=utf-8",
        Format::Html => "text/html; charset=utf-8",
        _ => "application/json",
    };
    let mut resp = ([(header::CONTENT_TYPE, ct)], out).into_response();
    resp.headers_mut()
        .insert("x-batchdiag-exit-code", HeaderValue::from(u16::from(exit)));
    resp.extensions_mut().insert(phases);
    resp
}

/// Where an analysis' time went, for its log line: the upload's last byte,
/// the end of reading (the bundle built) and analysing, redacting and
/// writing the report; the first two from the handler's start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Phases {
    /// Until the body had arrived whole.
    pub upload: std::time::Duration,
    /// Until the last input was read.
    pub read: std::time::Duration,
    /// Analysis, redaction and the report's writing.
    pub report: std::time::Duration,
}

/// The report's bytes, its diagnosis codes and the CLI's exit code for it.
type Rendered = (Vec<u8>, Vec<String>, u8);

/// Analysis, redaction and writing: what `batchdiag analyze` does for one bundle.
fn render(
    bundle: Bundle,
    settings: &batchdiag_analyzer::Settings,
    format: Format,
) -> Result<Rendered, Box<dyn std::error::Error + Send + Sync>> {
    let report = batchdiag_analyzer::analyze(bundle.inputs, bundle.evidence, settings);
    let redacted = redact_report(&report)?;
    let codes = redacted
        .report()
        .diagnoses
        .iter()
        .map(|d| d.code.clone())
        .collect();
    let mut out = Vec::new();
    let exit;
    {
        let mut sink = batchdiag_render::sink(format, Box::new(&mut out), SinkOptions::default());
        sink.begin()?;
        sink.report(&redacted)?;
        sink.finish()?;
        exit = sink.tally().verdict().exit_code();
    }
    Ok((out, codes, exit))
}

/// Sends what the copier writes to the response, in chunks.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

const OUT_CHUNK: usize = 64 << 10;

impl Write for ChannelWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= OUT_CHUNK {
            self.flush()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

/// `POST /api/v1/redact`: the sanitized copy of one file (raw body named by
/// `X-File-Name`, or the first file of a multipart body), streamed back.
pub(crate) async fn redact(State(st): State<Shared>, req: Request) -> Response {
    let run = match Running::start(&st) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    let limits = st.config.limits.clone();
    let deadline = Instant::now() + limits.request_timeout;
    let (parts, body) = req.into_parts();
    let counted = parts
        .extensions
        .get::<BytesIn>()
        .cloned()
        .unwrap_or_default()
        .0;
    let cut = CutCell::default();
    let stream = body::limited(
        body,
        BodyLimits {
            max_bytes: limits.max_body_bytes,
            deadline,
            idle: limits.idle_timeout,
        },
        cut.clone(),
        counted,
    );
    let (feed, rd) = body::channel();
    let (name_tx, name_rx) = tokio::sync::oneshot::channel::<Option<String>>();
    // The body is pumped on its own task: the copy streams back while the upload still arrives.
    let bound = boundary(&parts.headers);
    let raw = raw_name(&parts.headers);
    tokio::spawn(async move {
        match bound {
            Some(b) => {
                let mut mp = multer::Multipart::new(stream, b);
                while let Ok(Some(field)) = mp.next_field().await {
                    if let Some(name) = field.file_name().map(tame_name) {
                        let _ = name_tx.send(Some(name));
                        body::pump(field.map(|r| r.map_err(io::Error::other)), feed).await;
                        return;
                    }
                }
                let _ = name_tx.send(None);
            }
            None => {
                let _ = name_tx.send(Some(raw));
                body::pump(stream, feed).await;
            }
        }
    });
    let Ok(Some(name)) = name_rx.await else {
        if let Some(c) = *cut.lock().unwrap_or_else(|e| e.into_inner()) {
            return cut_response(&st, c, &limits);
        }
        return plain(StatusCode::BAD_REQUEST, "no file in the upload");
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(8);
    let opts = SpoolOptions {
        dir: st.config.spool_dir.clone(),
        max_bytes: limits.max_spool_bytes,
    };
    let read_limits = st.config.read.limits.clone();
    let copy_of = name.clone();
    let st2 = st.clone();
    let task = tokio::task::spawn_blocking(move || {
        // A zip is spooled and read in place, as `batchdiag redact` reads a
        // local zip, instead of held in memory up to the spool limit.
        let (upload, spooled) = match spool::prepare(&copy_of, rd, &opts) {
            Ok(x) => x,
            Err(e) => {
                let _ = tx.blocking_send(Err(io::Error::other(e)));
                return;
            }
        };
        st2.metrics.spooled(spooled);
        let mut w = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::new(),
        };
        let r = crate::redact::copy(&copy_of, upload, &mut w, read_limits).map(|_| ());
        let r = r
            .map_err(|e| redact_message(&e.to_string()))
            .and_then(|()| w.flush().map_err(|e| e.to_string()));
        if let Err(msg) = r {
            let _ = tx.blocking_send(Err(io::Error::other(msg)));
        }
    });
    // Headers wait for the first piece of the copy, so an input refused at
    // once gets a status that says so instead of a cut-off 200.
    let first = rx.recv().await;
    let first = match first {
        Some(Ok(b)) => b,
        Some(Err(e)) => {
            drop(run);
            if let Some(c) = *cut.lock().unwrap_or_else(|e| e.into_inner()) {
                return cut_response(&st, c, &limits);
            }
            if let Some(se) = e.get_ref().and_then(|i| i.downcast_ref::<SpoolError>()) {
                return spool_response(&st, se);
            }
            st.metrics.reject("unreadable");
            return plain(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string());
        }
        None => {
            let _ = task.await;
            Bytes::new()
        }
    };
    let st2 = st.clone();
    st.metrics.bytes_out(first.len() as u64);
    let rest = futures_util::stream::unfold((rx, run, st2), |(mut rx, mut run, st)| async move {
        match rx.recv().await {
            Some(Ok(b)) => {
                st.metrics.bytes_out(b.len() as u64);
                Some((Ok::<Bytes, io::Error>(b), (rx, run, st)))
            }
            Some(Err(e)) => Some((Err(e), (rx, run, st))),
            None => {
                run.armed = false;
                drop(run);
                None
            }
        }
    });
    let stream =
        futures_util::stream::once(async move { Ok::<Bytes, io::Error>(first) }).chain(rest);
    let disposition = format!(
        "attachment; filename=\"{}\"",
        crate::redact::copy_name(&name)
    );
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
