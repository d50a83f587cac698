//! The command line, defined once with clap; `--help` comes from here.

use clap::{Parser, Subcommand, ValueEnum};

/// Forensic analyzer for Azure Batch managed-identity failures.
///
/// Reads support bundles (browser HAR captures, node-agent logs, zip, tar,
/// tar.gz and .gz archives of them, directories, or stdin) and names the root
/// cause with its evidence, confidence and fix.
#[derive(Debug, Parser)]
#[command(name = "batchdiag", version = crate::VERSION, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse files, directories or `-` (stdin) and report diagnoses.
    ///
    /// Exit codes: 0 no diagnosis, 1 diagnoses found, 2 usage error,
    /// 3 some input could not be fully read (the report still holds everything found).
    Analyze(AnalyzeArgs),
    /// Write a copy of captures, logs or whole bundles without credentials, or check that they have none.
    ///
    /// Inputs are read as `analyze` reads them (by content, archives inside archives, UTF-16);
    /// each container is written back as the same kind (zip, tar, tar.gz, .gz), HAR captures
    /// stay valid HAR (credential headers and cookies blanked; SAS signatures, tokens and keys
    /// removed from every URL and body, base64, gzip and WebSocket content included), text is
    /// cleaned line by line. What cannot be read (binary of no known format, encrypted members,
    /// links, cut streams) is left out and listed, unless --keep-unread. Findings go to stderr
    /// with their place, never their value. Exit codes: 0 done (with --check: nothing found and
    /// everything read), 1 with --check: a secret or an unread part found, 2 usage or output
    /// error, 3 some input could not be read (the copy holds the rest).
    Redact(RedactArgs),
    /// List the diagnosis catalog.
    Rules {
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Serve the upload page and the HTTP API (see README: "batchdiag serve").
    ///
    /// Refuses to start without --token-file unless bound to loopback with --no-auth.
    Serve(ServeArgs),
    /// Print the long explanation of a diagnosis code (e.g. BD101) or slug.
    Explain {
        /// Code or slug.
        code: String,
    },
    /// Print a shell completion script (e.g. `batchdiag completions bash > /etc/bash_completion.d/batchdiag`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `batchdiag man > ~/.local/share/man/man1/batchdiag.1`.
    Man,
}

/// Arguments of `redact`.
#[derive(Debug, clap::Args)]
pub struct RedactArgs {
    /// Files, directories (read recursively) or `-` for stdin.
    #[arg(value_name = "PATH", required = true)]
    pub inputs: Vec<String>,
    /// Where to write: a file for one input (default: stdout), a directory for several
    /// inputs or a directory input (the copies keep their relative paths).
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<std::path::PathBuf>,
    /// Write nothing; exit 1 when an input holds a secret or a part that could not be read
    /// (a gate before sharing a bundle).
    #[arg(long)]
    pub check: bool,
    /// Copy parts that cannot be read (binary of no known format, unsupported compression)
    /// unchanged instead of leaving them out; they are still listed.
    #[arg(long)]
    pub keep_unread: bool,
    /// Worker threads (default, or 0: one per core; at most 64). The copy is the
    /// same whatever the count.
    #[arg(long, short = 'j', value_name = "N", env = "BATCHDIAG_JOBS")]
    pub jobs: Option<usize>,
}

/// Arguments of `analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Files, directories (read recursively) or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Text, env = "BATCHDIAG_FORMAT")]
    pub format: ReportFormat,
    /// The text report in full: every evidence line, the evidence no
    /// diagnosis used, every input and every check (JSON and Markdown are always complete).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Write no report and no progress: only the exit code, and problems on stderr.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// Wrap the text report at this many columns (default: the terminal's
    /// width when stdout is a terminal, else not wrapped).
    #[arg(long, value_name = "COLUMNS", env = "BATCHDIAG_WIDTH", value_parser = clap::value_parser!(u16).range(20..))]
    pub width: Option<u16>,
    /// When to show progress on stderr: auto shows it when stderr is a terminal, not in CI, and the work takes over a second.
    #[arg(long, value_enum, default_value_t = ProgressChoice::Auto, env = "BATCHDIAG_PROGRESS")]
    pub progress: ProgressChoice,
    /// Analyse every PATH as a bundle of its own: one report per PATH, in
    /// order (JSON: one compact report per line, JSON Lines).
    #[arg(long)]
    pub each: bool,
    /// When to colour text output (NO_COLOR is honoured in `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, env = "BATCHDIAG_COLOR")]
    pub color: ColorChoice,
    /// Skip (with a warning) any HAR entry larger than this many bytes (suffixes K, M, G).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size, env = "BATCHDIAG_MAX_ENTRY_SIZE")]
    pub max_entry_size: usize,
    /// Worker threads in all (default, or 0: one per core; at most 64).
    #[arg(long, short = 'j', value_name = "N", env = "BATCHDIAG_JOBS")]
    pub jobs: Option<usize>,
    /// A join loop (TvmJoinPoolInProgress) this long that never ended means a stuck node (e.g. 10m, 1h, 90s).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration, env = "BATCHDIAG_JOIN_THRESHOLD")]
    pub join_threshold: i64,
    /// Largest decompressed size of one archive member or .gz file.
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = parse_size)]
    pub max_member_size: usize,
    /// Largest decompressed size of all archives together.
    #[arg(long, value_name = "SIZE", default_value = "64G", value_parser = parse_size)]
    pub max_total_size: usize,
    /// Largest compression ratio before a stream is treated as a decompression bomb.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_ratio: u64,
    /// How deep archives may nest inside archives.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub max_depth: u32,
    /// Largest zip that is not a local file (stdin, nested) to hold in memory to read it.
    #[arg(long, value_name = "SIZE", default_value = "512M", value_parser = parse_size)]
    pub max_in_memory: usize,
}

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Accepted bearer tokens, one per line (or `sha256:<hex>` of one).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<std::path::PathBuf>,
    /// Serve without authentication (only on a loopback address).
    #[arg(long)]
    pub no_auth: bool,
    /// Largest request body (413 above).
    #[arg(long, value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    pub max_body: usize,
    /// Longest a request may take, upload and analysis (408 above).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub request_timeout: i64,
    /// Longest wait for the next piece of an upload (408 above).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub idle_timeout: i64,
    /// Analyses at once (503 with Retry-After above; default: one per core).
    #[arg(long, value_name = "N")]
    pub max_concurrent: Option<usize>,
    /// How long in-flight requests may finish after SIGTERM or Ctrl-C.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_grace: i64,
    /// Largest decompressed size of one archive member or .gz file, per request.
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = parse_size)]
    pub max_member_size: usize,
    /// Largest decompressed size of all archives of one request together.
    #[arg(long, value_name = "SIZE", default_value = "16G", value_parser = parse_size)]
    pub max_total_size: usize,
    /// Largest uploaded zip held in memory to be read (zip needs random access).
    #[arg(long, value_name = "SIZE", default_value = "128M", value_parser = parse_size)]
    pub max_in_memory: usize,
}

/// Longest threshold accepted: a year, far past any join loop.
const MAX_DURATION_SECS: i64 = 366 * 86_400;

/// Parses `10m`, `10min`, `1h`, `90s`, `2h30m` (or a bare number of seconds) into seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    let not_one = || format!("{s:?} is not a duration like 10m, 10min, 1h or 90s");
    let out_of_range = || format!("{s:?} is out of range: at most 366d");
    if t.bytes().all(|b| b.is_ascii_digit()) {
        // A bare number is seconds.
        let n: i64 = t.parse().map_err(|_| out_of_range())?;
        return check_duration(s, n);
    }
    let mut total: i64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(not_one());
        }
        let (num, after) = rest.split_at(digits);
        let letters = after.len()
            - after
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        if letters == 0 {
            if after.is_empty() {
                return Err(format!(
                    "{s:?} ends in a number without a unit; write {s}m or {s}s"
                ));
            }
            return Err(not_one());
        }
        let (unit, after) = after.split_at(letters);
        let secs: i64 = match unit.to_ascii_lowercase().as_str() {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => {
                return Err(format!(
                    "{s:?}: unknown unit {unit:?} (use s, m or min, h, d)"
                ))
            }
        };
        let n: i64 = num.parse().map_err(|_| out_of_range())?;
        total = n
            .checked_mul(secs)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(out_of_range)?;
        rest = after;
    }
    check_duration(s, total)
}

fn check_duration(s: &str, secs: i64) -> Result<i64, String> {
    if secs == 0 {
        return Err(format!("{s:?} is zero; a threshold must be positive"));
    }
    if secs > MAX_DURATION_SECS {
        return Err(format!("{s:?} is out of range: at most 366d"));
    }
    Ok(secs)
}

/// When to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressChoice {
    /// On a terminal stderr, outside CI, after a second of work.
    Auto,
    /// Never.
    Never,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable report for a terminal.
    Text,
    /// The JSON contract (schema_version 1), see README.
    Json,
    /// Markdown, to paste into a support case or a ticket.
    Markdown,
}

/// Formats of `analyze`: those of [`Format`] and a page to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Readable report for a terminal.
    Text,
    /// The JSON contract (schema_version 1), see README.
    Json,
    /// Markdown, to paste into a support case or a ticket.
    Markdown,
    /// One self-contained HTML page: diagnosis cards, the incident on one
    /// timeline, the evidence; opens offline and makes no request.
    Html,
}

impl From<ReportFormat> for batchdiag_render::Format {
    fn from(f: ReportFormat) -> Self {
        match f {
            ReportFormat::Text => batchdiag_render::Format::Text,
            ReportFormat::Json => batchdiag_render::Format::Json,
            ReportFormat::Markdown => batchdiag_render::Format::Markdown,
            ReportFormat::Html => batchdiag_render::Format::Html,
        }
    }
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Parses `64M`, `1G`, `4096`, `512k`.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: usize = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => {
                    return Err(format!(
                        "unknown size suffix {c:?} in {s:?} (use K, M or G)"
                    ))
                }
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let n: usize = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size like 64M"))?;
    n.checked_mul(mult)
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("{s:?} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10m"), Ok(600));
        assert_eq!(parse_duration("2h30m"), Ok(9000));
        assert_eq!(parse_duration("90"), Ok(90));
        assert!(parse_duration("10 minutes").is_err());
        // A bare number after a unit is ambiguous (2h30 = 2h30m or 2h30s?).
        assert!(parse_duration("2h30").is_err());
        assert!(
            parse_duration("0").is_err(),
            "a zero threshold makes every loop stuck"
        );
        assert!(parse_duration("").is_err());
        assert_eq!(parse_duration("10min"), Ok(600));
        assert_eq!(parse_duration("1hr30mins"), Ok(5400));
        assert_eq!(parse_duration("2H"), Ok(7200));
        let huge = parse_duration("99999999999999999999h").unwrap_err();
        assert!(huge.contains("out of range"), "{huge}");
        let big = parse_duration("400d").unwrap_err();
        assert!(big.contains("out of range"), "{big}");
        assert!(parse_duration("99999999999999999999")
            .unwrap_err()
            .contains("out of range"));
        let unit = parse_duration("10 minutes").unwrap_err();
        assert!(unit.contains("not a duration"), "{unit}");
        assert!(parse_duration("10x").unwrap_err().contains("unknown unit"));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("lots").is_err());
    }
}
