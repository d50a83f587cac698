//! The command line, defined once with clap; `--help` comes from here.

use clap::{Parser, Subcommand, ValueEnum};

/// Forensic analyzer for Azure Batch managed-identity failures.
///
/// Reads support bundles (browser HAR captures, node-agent logs, zip, tar,
/// tar.gz and .gz archives of them, directories, or stdin) and names the root
/// cause with its evidence, confidence and fix.
#[derive(Debug, Parser)]
#[command(name = "batchdiag", version, about, long_about = None, propagate_version = true)]
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
    /// Write a copy of a capture or log without credentials, or check that it has none.
    ///
    /// HAR captures stay valid HAR (credential headers and cookies blanked, SAS signatures,
    /// tokens and keys removed from every URL and body, base64 bodies included); other text
    /// files are redacted line by line. The summary goes to stderr. Exit codes: 0 done (or,
    /// with --check, nothing found), 1 with --check: secrets found, 2 usage error, 3 unreadable input.
    Redact(RedactArgs),
    /// List the diagnosis catalog.
    Rules {
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the long explanation of a diagnosis code (e.g. BD101) or slug.
    Explain {
        /// Code or slug.
        code: String,
    },
}

/// Arguments of `redact`.
#[derive(Debug, clap::Args)]
pub struct RedactArgs {
    /// The capture or log to sanitize (`-` for stdin; .gz is decompressed).
    #[arg(value_name = "IN")]
    pub input: String,
    /// Where to write the copy (default: stdout).
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<std::path::PathBuf>,
    /// Write nothing; exit 1 when the input still holds secrets (a gate before sharing a bundle).
    #[arg(long)]
    pub check: bool,
}

/// Arguments of `analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Files, directories (read recursively) or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Analyse every PATH as a bundle of its own: one report per PATH, in
    /// order (JSON: one compact report per line, JSON Lines).
    #[arg(long)]
    pub each: bool,
    /// When to colour text output (NO_COLOR is honoured in `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Skip (with a warning) any HAR entry larger than this many bytes (suffixes K, M, G).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_entry_size: usize,
    /// Worker threads in all (default, or 0: one per core; at most 64).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// A join loop (TvmJoinPoolInProgress) this long that never ended means a stuck node (e.g. 10m, 1h, 90s).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
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

/// Parses `10m`, `1h`, `90s`, `2h30m` into seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    let mut total: i64 = 0;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(format!("{s:?} is not a duration like 10m, 1h or 90s")),
        };
        let n: i64 = num
            .parse()
            .map_err(|_| format!("{s:?} is not a duration like 10m, 1h or 90s"))?;
        total = total.saturating_add(n.saturating_mul(unit));
        num.clear();
    }
    if !num.is_empty() {
        if t.len() != num.len() {
            return Err(format!(
                "{s:?} ends in a number without a unit; write {s}m or {s}s"
            ));
        }
        // A bare number is seconds.
        total = total.saturating_add(
            num.parse::<i64>()
                .map_err(|_| format!("{s:?} is out of range"))?,
        );
    }
    if total == 0 {
        return Err(format!("{s:?} is zero; a threshold must be positive"));
    }
    Ok(total)
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
