//! `batchdiag serve`: from arguments to the server's configuration; the
//! server itself is `batchdiag-server`.

use crate::args::ServeArgs;

/// Runs the server until it is told to stop.
pub(crate) fn run(s: ServeArgs) -> anyhow::Result<u8> {
    batchdiag_server::run(serve_config(s)?)?;
    Ok(crate::EXIT_CLEAN)
}

/// The server's configuration from `serve`'s arguments.
fn serve_config(s: ServeArgs) -> anyhow::Result<batchdiag_server::Config> {
    use std::time::Duration;
    let tokens = match &s.token_file {
        Some(f) => batchdiag_server::Tokens::from_file(f)?,
        None => Default::default(),
    };
    let secs = |n: i64| Duration::from_secs(n.max(1) as u64);
    let mut c = batchdiag_server::Config::new(s.bind, tokens);
    c.no_auth = s.no_auth;
    c.limits = batchdiag_server::Limits {
        max_body_bytes: s.max_body as u64,
        request_timeout: secs(s.request_timeout),
        idle_timeout: secs(s.idle_timeout),
        max_concurrent: s.max_concurrent.unwrap_or(c.limits.max_concurrent),
        max_spool_bytes: s.max_body as u64,
        shutdown_grace: secs(s.shutdown_grace),
    };
    c.read.limits = batchdiag_parser::Limits {
        max_member_bytes: s.max_member_size as u64,
        max_total_bytes: s.max_total_size as u64,
        max_in_memory_bytes: s.max_in_memory as u64,
        ..Default::default()
    };
    Ok(c)
}
