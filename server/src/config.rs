//! What a server is started with.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::auth::Tokens;

/// The service's own limits (the reader's decompression limits are in
/// [`Config::read`]).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body (413 above).
    pub max_body_bytes: u64,
    /// Longest a request may take, upload and analysis (408 above).
    pub request_timeout: Duration,
    /// Longest wait for the next piece of an upload (408 above).
    pub idle_timeout: Duration,
    /// Analyses and copies at once (503 with `Retry-After` above).
    pub max_concurrent: usize,
    /// Largest uploaded zip spooled to an unlinked temporary file to be
    /// analysed or copied (it also counts against `max_body_bytes`).
    pub max_spool_bytes: u64,
    /// How long in-flight requests may go on after a shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 2 << 30,
            request_timeout: Duration::from_secs(600),
            idle_timeout: Duration::from_secs(30),
            max_concurrent: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_spool_bytes: 1 << 30,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Where the server's log lines go.
#[derive(Clone, Default)]
pub enum LogTarget {
    /// Standard error.
    #[default]
    Stderr,
    /// Kept in memory (tests read them).
    Memory(Arc<Mutex<Vec<String>>>),
}

impl std::fmt::Debug for LogTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LogTarget::Stderr => "Stderr",
            LogTarget::Memory(_) => "Memory",
        })
    }
}

impl LogTarget {
    /// Writes one line. Lines hold requests, sizes, durations and codes
    /// only, never upload content or header values.
    pub fn line(&self, s: &str) {
        match self {
            LogTarget::Stderr => eprintln!("batchdiag serve: {s}"),
            LogTarget::Memory(m) => m
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(s.to_string()),
        }
    }
}

/// HAR window of each read: a HAR is read through two windows of this
/// size (one framed while the other is parsed). The CLI's 4 MiB runs one
/// read at a time; a service runs one per upload, and 16 uploads of 4 MiB
/// windows peaked at 273 MB resident (16 MB HARs, the load test).
const SERVICE_HAR_WINDOW: usize = 1 << 20;

/// The reader's options for a service: the CLI's, with smaller HAR windows.
fn service_read_options() -> batchdiag_parser::ReadOptions {
    let mut o = batchdiag_parser::ReadOptions::default();
    o.har.chunk_bytes = SERVICE_HAR_WINDOW;
    o
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub bind: SocketAddr,
    /// Accepted bearer tokens.
    pub tokens: Tokens,
    /// Serve without authentication: refused unless `bind` is loopback.
    pub no_auth: bool,
    /// The service's limits.
    pub limits: Limits,
    /// How inputs are read (decompression limits per request included).
    pub read: batchdiag_parser::ReadOptions,
    /// Analysis settings.
    pub settings: batchdiag_analyzer::Settings,
    /// Where log lines go.
    pub log: LogTarget,
    /// The directory of spooled uploads (`None`: the system's temporary
    /// directory, `TMPDIR`). Files there are unlinked from the start.
    pub spool_dir: Option<std::path::PathBuf>,
}

/// A configuration that cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No token and no `--no-auth`.
    #[error("no tokens: give --token-file FILE (one token per line), or --no-auth on a loopback address")]
    NoTokens,
    /// `--no-auth` on an address other machines can reach.
    #[error("--no-auth is allowed only on a loopback address (127.0.0.1, ::1), not {0}")]
    NoAuthNotLoopback(SocketAddr),
    /// Tokens and `--no-auth` together.
    #[error("--no-auth and tokens together: choose one")]
    Both,
    /// A zero limit.
    #[error("--max-concurrent must be at least 1")]
    NoConcurrency,
}

impl Config {
    /// A loopback config for `addr` with these tokens and default limits.
    pub fn new(bind: SocketAddr, tokens: Tokens) -> Self {
        Config {
            bind,
            tokens,
            no_auth: false,
            limits: Limits::default(),
            read: service_read_options(),
            settings: batchdiag_analyzer::Settings::default(),
            log: LogTarget::Stderr,
            spool_dir: None,
        }
    }

    /// Refuses configurations that would expose the service.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.limits.max_concurrent == 0 {
            return Err(ConfigError::NoConcurrency);
        }
        match (self.tokens.is_empty(), self.no_auth) {
            (true, false) => Err(ConfigError::NoTokens),
            (false, true) => Err(ConfigError::Both),
            (true, true) if !self.bind.ip().is_loopback() => {
                Err(ConfigError::NoAuthNotLoopback(self.bind))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_auth_only_on_loopback() {
        let mut c = Config::new("0.0.0.0:8080".parse().unwrap(), Tokens::default());
        assert!(matches!(c.check(), Err(ConfigError::NoTokens)));
        c.no_auth = true;
        assert!(matches!(c.check(), Err(ConfigError::NoAuthNotLoopback(_))));
        c.bind = "127.0.0.1:8080".parse().unwrap();
        assert!(c.check().is_ok());
        c.bind = "[::1]:8080".parse().unwrap();
        assert!(c.check().is_ok());
        c.tokens = Tokens::from_plain(&["0123456789abcdef"]);
        assert!(matches!(c.check(), Err(ConfigError::Both)));
        c.no_auth = false;
        c.bind = "0.0.0.0:8080".parse().unwrap();
        assert!(c.check().is_ok());
    }
}
