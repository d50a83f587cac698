//! Sources: the paths a user names (files, directories, `-` for stdin) become
//! inputs, each detected by its content and read by the matching parser.
//!
//! Directories are walked recursively in name order so that reports are
//! reproducible; inputs are read in parallel and their results merged in
//! that same order.

use std::fs::File;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::agent::assemble::assemble;
pub use crate::content::ReadOptions;
use crate::content::{read_item, Ctx, Found, InputKind, InputReport, Item};
use crate::error::InputErrorKind;
use crate::evidence::Evidence;
use crate::limits::Budget;
use crate::location::Location;

/// Everything read from all sources.
#[derive(Debug, Default)]
pub struct Bundle {
    /// One report per input, in walk order (archives before their members).
    pub inputs: Vec<InputReport>,
    /// All evidence: per-input evidence in input order, then one join loop per node.
    pub evidence: Vec<Evidence>,
}

enum Origin {
    Stdin,
    File(PathBuf),
    Symlink,
    Failed(String),
}

struct Source {
    display: String,
    origin: Origin,
    /// Named by the user, not found in a directory: an unknown format is then an error.
    explicit: bool,
}

/// Reads every source (files, directories, `-`) and returns reports and evidence.
pub fn read_sources(paths: &[String], opts: &ReadOptions) -> Bundle {
    let mut sources = Vec::new();
    for p in paths {
        expand(p, &mut sources);
    }
    let budget = Budget::new(opts.limits.clone());
    let ctx = Ctx {
        opts,
        budget: &budget,
    };
    let results: Vec<Found> = sources
        .into_par_iter()
        .map(|s| read_source(s, &ctx))
        .collect();
    let mut all = Found::default();
    for r in results {
        all.extend(r);
    }
    let loops = assemble(std::mem::take(&mut all.logs));
    for e in &loops {
        let path = crate::content::virtual_path(&e.source);
        if let Some(input) = all.inputs.iter_mut().find(|i| i.path == path) {
            input.evidence_count += 1;
        }
    }
    all.evidence.extend(loops);
    Bundle {
        inputs: all.inputs,
        evidence: all.evidence,
    }
}

fn expand(p: &str, out: &mut Vec<Source>) {
    if p == "-" {
        out.push(Source {
            display: "-".into(),
            origin: Origin::Stdin,
            explicit: true,
        });
        return;
    }
    let path = Path::new(p);
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => walk(path, out),
        Ok(_) => out.push(Source {
            display: p.to_string(),
            origin: Origin::File(path.into()),
            explicit: true,
        }),
        Err(e) => out.push(Source {
            display: p.to_string(),
            origin: Origin::Failed(e.to_string()),
            explicit: true,
        }),
    }
}

fn walk(dir: &Path, out: &mut Vec<Source>) {
    let display = |p: &Path| p.to_string_lossy().into_owned();
    let mut children: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            out.push(Source {
                display: display(dir),
                origin: Origin::Failed(e.to_string()),
                explicit: false,
            });
            return;
        }
    };
    children.sort();
    for child in children {
        let Ok(meta) = std::fs::symlink_metadata(&child) else {
            continue;
        };
        let origin = if meta.file_type().is_symlink() {
            Origin::Symlink
        } else if meta.is_dir() {
            walk(&child, out);
            continue;
        } else {
            Origin::File(child.clone())
        };
        out.push(Source {
            display: display(&child),
            origin,
            explicit: false,
        });
    }
}

fn read_source(src: Source, ctx: &Ctx) -> Found {
    let loc = Location::file(&src.display);
    let (reader, disk_path): (Box<dyn std::io::Read>, _) = match src.origin {
        Origin::Stdin => (Box::new(std::io::stdin()), None),
        Origin::File(p) => match File::open(&p) {
            Ok(f) => (Box::new(f), Some(p)),
            Err(e) => {
                return one(InputReport::failed(
                    &loc,
                    InputKind::Unreadable,
                    InputErrorKind::Io(e.to_string()),
                ))
            }
        },
        Origin::Failed(msg) => {
            return one(InputReport::failed(
                &loc,
                InputKind::Unreadable,
                InputErrorKind::Io(msg),
            ))
        }
        Origin::Symlink => {
            let mut r = InputReport::new(&loc, InputKind::Symlink);
            r.warnings.push("symbolic link not followed".into());
            return one(r);
        }
    };
    read_item(
        Item {
            loc,
            reader,
            explicit: src.explicit,
            depth: 0,
            compression: None,
            disk_path,
        },
        ctx,
    )
}

fn one(r: InputReport) -> Found {
    Found {
        inputs: vec![r],
        ..Found::default()
    }
}
