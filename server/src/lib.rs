//! `batchdiag serve`: the upload page and the HTTP API for support
//! engineers and ticketing systems.
//!
//! Routes: `GET /` (the page), `POST /api/v1/analyze` (the report: JSON by
//! default, byte for byte what `batchdiag analyze -f json` prints; or
//! `?format=markdown`), `POST /api/v1/redact` (the sanitized copy),
//! `GET /healthz`, `GET /metrics`. Uploads are streamed into the reader as
//! they arrive (a zip, which needs random access, is spooled to an unlinked
//! temporary file first); nothing is kept after the response.

mod api;
pub mod auth;
mod body;
pub mod config;
mod guard;
mod metrics;
mod page;
pub mod redact;
mod spool;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::routing::{get, post};
use axum::Router;

pub use auth::{TokenError, Tokens};
pub use config::{Config, ConfigError, Limits, LogTarget};

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration is refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Binding or serving failed.
    #[error("cannot serve on {addr}: {source}")]
    Io {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Shared by every request.
pub(crate) struct State {
    pub config: Config,
    pub metrics: metrics::Metrics,
    pub slots: Arc<tokio::sync::Semaphore>,
    pub draining: AtomicBool,
    /// The cancel flag of every analysis running, so that a shutdown past
    /// its grace period can stop them.
    pub running: Mutex<HashMap<u64, batchdiag_parser::Cancel>>,
    pub next_id: AtomicU64,
    pub page: page::Page,
}

pub(crate) type Shared = Arc<State>;

/// Runs the server until Ctrl-C or SIGTERM, then shuts down gracefully.
pub fn run(config: Config) -> Result<(), ServeError> {
    config.check()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServeError::Io {
            addr: config.bind.to_string(),
            source,
        })?;
    let result = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| ServeError::Io {
                addr: config.bind.to_string(),
                source,
            })?;
        serve(listener, config, shutdown_signal()).await
    });
    // Readers cancelled at the deadline stop within moments; do not wait on stragglers.
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    result
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Serves on `listener` until `shutdown` completes; then new requests are
/// refused (503) and in-flight ones get [`Limits::shutdown_grace`] to
/// finish before their reads are cancelled.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    config.check()?;
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let state: Shared = Arc::new(State {
        slots: Arc::new(tokio::sync::Semaphore::new(config.limits.max_concurrent)),
        metrics: Default::default(),
        draining: AtomicBool::new(false),
        running: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(0),
        page: page::Page::new(),
        config,
    });
    let auth = if state.config.no_auth {
        "no authentication (loopback only)"
    } else {
        "bearer tokens"
    };
    state
        .config
        .log
        .line(&format!("listening on http://{addr} ({auth})"));
    let app = router(state.clone());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let st = state.clone();
    tokio::spawn(async move {
        shutdown.await;
        st.draining.store(true, Ordering::SeqCst);
        st.config
            .log
            .line("shutting down: new requests are refused");
        let _ = stop_tx.send(true);
        tokio::time::sleep(st.config.limits.shutdown_grace).await;
        let running = st.running.lock().unwrap_or_else(|e| e.into_inner());
        if !running.is_empty() {
            st.config.log.line(&format!(
                "grace period over: cancelling {} analyses",
                running.len()
            ));
        }
        for c in running.values() {
            c.cancel();
        }
    });
    let mut stop = stop_rx.clone();
    let graceful = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    let serving = axum::serve(listener, app).with_graceful_shutdown(graceful);
    let grace = state.config.limits.shutdown_grace;
    let mut stop = stop_rx;
    let deadline = async move {
        let _ = stop.wait_for(|s| *s).await;
        // A little past the cancel, so cancelled reads can still answer.
        tokio::time::sleep(grace + std::time::Duration::from_secs(2)).await;
    };
    tokio::select! {
        r = serving => r.map_err(|source| ServeError::Io { addr: addr.clone(), source })?,
        _ = deadline => state.config.log.line("grace period over: closing connections"),
    }
    state.config.log.line("stopped");
    Ok(())
}

fn router(state: Shared) -> Router {
    let api = Router::new()
        .route("/api/v1/analyze", post(api::analyze))
        .route("/api/v1/redact", post(api::redact))
        .route("/metrics", get(api::metrics))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::authenticate,
        ));
    Router::new()
        .route("/", get(page::page))
        .route("/healthz", get(api::healthz))
        .merge(api)
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::same_origin,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::log_and_count,
        ))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .with_state(state)
}
