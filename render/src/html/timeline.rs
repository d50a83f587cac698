//! The incident on one time axis, as inline SVG drawn here: the portal's
//! ARM `/batch` calls (every one, or in time buckets for a large capture)
//! and its failing ARM calls, probe results, node and task snapshots that
//! carry a time, and one row per node with its join loop and the points
//! where one rotated log file gives way to the next, grouped by pool.
//!
//! Every SVG shares one scale, so a failing upload and the nodes stuck
//! after it line up. A pool of many nodes is one aggregate row (how many
//! nodes were in their join loop over time) with the node rows inside a
//! `<details>` that opens without script.

use std::collections::HashMap;
use std::fmt::Write;

use batchdiag_analyzer::report::{EvidenceItem, Report};
use batchdiag_parser::evidence::JoinLoop;
use batchdiag_parser::har::calls::BatchCalls;
use batchdiag_parser::Fact;

use super::escape::{id_part, Esc};

/// Width of every SVG in CSS pixels; narrower screens scroll it sideways
/// rather than shrink its text.
const WIDTH: f64 = 1100.0;
/// Left column for row labels.
const LABEL: f64 = 250.0;
/// Right margin, so the last marker and its label stay inside.
const RIGHT: f64 = 20.0;
const ROW: f64 = 20.0;
/// Pools with more nodes than this start folded to their aggregate row.
const OPEN_POOL_MAX: usize = 40;
/// Buckets of a pool's aggregate row.
const BUCKETS: usize = 110;

/// Milliseconds since the epoch of an RFC 3339 time; `None` when absent or
/// not a time (then the item is listed, not drawn).
fn ms(t: Option<&str>) -> Option<i64> {
    let ts: jiff::Timestamp = t?.parse().ok()?;
    Some(ts.as_millisecond())
}

/// A point on a lane.
struct Mark<'a> {
    at: i64,
    item: &'a EvidenceItem,
    class: &'static str,
    label: String,
}

/// A node's join loop in milliseconds.
struct Loop<'a> {
    item: &'a EvidenceItem,
    j: &'a JoinLoop,
    first: i64,
    last: i64,
    end: Option<i64>,
    log_end: Option<i64>,
}

/// The `/batch` calls of one HAR input.
struct Calls<'a> {
    /// The input's path, for the row's label.
    path: &'a str,
    calls: &'a BatchCalls,
    /// Evidence id of a failing inner response, by entry index.
    evidence: HashMap<u64, &'a str>,
}

impl Calls<'_> {
    /// Every time the row draws, bucket ends included.
    fn times(&self) -> impl Iterator<Item = i64> + '_ {
        let w = self.calls.bucket_seconds as i64 * 1000;
        self.calls
            .calls
            .iter()
            .filter_map(|c| ms(c.time.as_deref()))
            .chain(
                self.calls
                    .buckets
                    .iter()
                    .filter_map(|b| ms(Some(&b.start)))
                    .flat_map(move |t| [t, t + w]),
            )
    }
}

/// The time scale shared by every row.
struct Scale {
    t0: i64,
    t1: i64,
}

impl Scale {
    fn x(&self, t: i64) -> f64 {
        let span = (self.t1 - self.t0).max(1) as f64;
        LABEL + (t - self.t0) as f64 / span * (WIDTH - LABEL - RIGHT)
    }

    /// Tick times and their labels: a round step giving 4 to 10 ticks.
    fn ticks(&self) -> Vec<(i64, String)> {
        const STEPS: [i64; 16] = [
            1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 10800, 21600, 86400,
        ];
        let span = (self.t1 - self.t0).max(1);
        let step = STEPS
            .iter()
            .map(|s| s * 1000)
            .find(|s| span / s <= 8)
            .unwrap_or(86_400_000 * ((span / 86_400_000 / 8) + 1));
        let mut t = (self.t0 + step - 1).div_euclid(step) * step;
        let mut out = Vec::new();
        while t <= self.t1 {
            let label = jiff::Timestamp::from_millisecond(t)
                .map(|ts| {
                    let s = ts.strftime("%H:%M:%S").to_string();
                    if out.is_empty() {
                        format!("{} {s}", ts.strftime("%Y-%m-%d"))
                    } else {
                        s
                    }
                })
                .unwrap_or_default();
            out.push((t, label));
            t += step;
        }
        out
    }
}

/// What the timeline draws from one report.
pub(crate) struct Timeline<'a> {
    calls: Vec<Calls<'a>>,
    lanes: Vec<(&'static str, Vec<Mark<'a>>)>,
    pools: Vec<(String, Vec<Loop<'a>>)>,
    /// Items of a drawable kind without a usable time: said, not drawn.
    untimed: usize,
    scale: Option<Scale>,
}

impl<'a> Timeline<'a> {
    /// Collects what a report holds that has a place in time.
    pub(crate) fn new(r: &'a Report) -> Self {
        let mut arm = Vec::new();
        let mut probes = Vec::new();
        let mut nodes = Vec::new();
        let mut tasks = Vec::new();
        let mut loops: Vec<Loop<'a>> = Vec::new();
        let mut untimed = 0;
        for item in &r.evidence {
            let at = ms(item.evidence.time.as_deref());
            let mut mark = |lane: &mut Vec<Mark<'a>>, class, label: String| match at {
                Some(at) => lane.push(Mark {
                    at,
                    item,
                    class,
                    label,
                }),
                None => untimed += 1,
            };
            match &item.evidence.fact {
                Fact::ArmError(a) => {
                    let code = a.code.as_deref().unwrap_or("");
                    let via = if a.envelope.is_some() {
                        " in /batch"
                    } else {
                        ""
                    };
                    mark(&mut arm, "fail", format!("{} {code}{via}", a.status));
                }
                Fact::ImdsToken(i) => {
                    let ok = i.client_id.is_some() && i.error.is_none();
                    let label = match (i.status, &i.error) {
                        (Some(s), Some(e)) => format!("IMDS {s} {e}"),
                        (Some(s), None) => format!("IMDS {s}"),
                        (None, Some(e)) => format!("IMDS {e}"),
                        (None, None) => "IMDS".to_string(),
                    };
                    mark(&mut probes, if ok { "ok" } else { "fail" }, label);
                }
                Fact::StorageRequest(s) => {
                    let ok = s.status.is_some_and(|s| s < 400);
                    let label = format!(
                        "Storage {} {}",
                        s.status.map(|s| s.to_string()).unwrap_or_default(),
                        s.error_code.as_deref().unwrap_or("")
                    );
                    mark(&mut probes, if ok { "ok" } else { "fail" }, label);
                }
                Fact::NodeStatus(n) => {
                    let bad = matches!(n.state.as_str(), "unusable" | "starttaskfailed")
                        || !n.errors.is_empty();
                    mark(
                        &mut nodes,
                        if bad { "fail" } else { "info" },
                        format!("{} {}", n.node, n.state),
                    );
                }
                Fact::TaskResult(t) => {
                    let Some(code) = t.failure.as_ref().and_then(|f| f.code.as_deref()) else {
                        continue;
                    };
                    mark(&mut tasks, "fail", format!("{} {code}", t.task));
                }
                Fact::JoinLoop(j) => {
                    let (Some(first), Some(last)) = (ms(j.first.as_deref()), ms(j.last.as_deref()))
                    else {
                        untimed += 1;
                        continue;
                    };
                    loops.push(Loop {
                        item,
                        j,
                        first,
                        last,
                        end: j.ended_by.as_ref().and_then(|e| ms(e.time.as_deref())),
                        log_end: ms(j.log_end.as_deref()),
                    });
                }
                _ => {}
            }
        }
        let calls: Vec<Calls<'a>> =
            r.inputs
                .iter()
                .filter_map(|i| {
                    let calls = i.har.as_ref()?.batch_timeline.as_ref()?;
                    // A failing call links to the first evidence item of its entry.
                    let mut evidence = HashMap::new();
                    for e in &r.evidence {
                        let src = &e.evidence.source;
                        let path_matches = match &src.member {
                            Some(m) => i.path.strip_suffix(m.as_str()).is_some_and(|p| {
                                p.strip_suffix("!/").is_some_and(|p| p == src.path)
                            }),
                            None => i.path == src.path,
                        };
                        if let (Some(entry), true) = (src.entry, path_matches) {
                            evidence.entry(entry).or_insert(e.id.as_str());
                        }
                    }
                    Some(Calls {
                        path: &i.path,
                        calls,
                        evidence,
                    })
                })
                .collect();
        let lanes: Vec<(&'static str, Vec<Mark<'a>>)> = [
            ("Portal: failing ARM calls", arm),
            ("IMDS and Storage probes", probes),
            ("Node state snapshots", nodes),
            ("Task failures", tasks),
        ]
        .into_iter()
        .filter(|(_, m)| !m.is_empty())
        .collect();
        // Pools in name order; in a pool, loops that never ended first (the
        // stuck nodes are the story), then by start and node id.
        let mut pools: Vec<(String, Vec<Loop<'a>>)> = Vec::new();
        loops.sort_by(|a, b| {
            (a.j.pool.as_deref(), a.j.ended, a.first, a.j.node.as_deref()).cmp(&(
                b.j.pool.as_deref(),
                b.j.ended,
                b.first,
                b.j.node.as_deref(),
            ))
        });
        for l in loops {
            let pool = l.j.pool.clone().unwrap_or_else(|| "<unknown pool>".into());
            match pools.last_mut() {
                Some((p, v)) if *p == pool => v.push(l),
                _ => pools.push((pool, vec![l])),
            }
        }
        let times = lanes
            .iter()
            .flat_map(|(_, m)| m.iter().map(|m| m.at))
            .chain(calls.iter().flat_map(Calls::times))
            .chain(pools.iter().flat_map(|(_, v)| {
                v.iter()
                    .flat_map(|l| {
                        let bounds =
                            l.j.file_times
                                .iter()
                                .skip(1)
                                .map(|f| ms(f.first.as_deref()));
                        [Some(l.first), Some(l.last), l.end, l.log_end]
                            .into_iter()
                            .chain(bounds)
                    })
                    .flatten()
            }));
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for t in times {
            lo = lo.min(t);
            hi = hi.max(t);
        }
        let scale = (lo <= hi).then(|| {
            // A little room either side; a single instant gets a minute.
            let pad = ((hi - lo) / 40).max(if hi == lo { 30_000 } else { 1_000 });
            Scale {
                t0: lo - pad,
                t1: hi + pad,
            }
        });
        Timeline {
            calls,
            lanes,
            pools,
            untimed,
            scale,
        }
    }

    /// Writes the timeline section's body; `p` prefixes every id.
    pub(crate) fn write(&self, out: &mut String, p: &str) {
        let Some(scale) = &self.scale else {
            out.push_str("<p>No evidence carries a time: there is nothing to draw.</p>\n");
            return;
        };
        let ticks = scale.ticks();
        out.push_str("<div class=\"scroll\">\n");
        // The axis.
        svg_open(out, 28.0, "time axis, UTC");
        for (t, label) in &ticks {
            let x = scale.x(*t);
            let _ = write!(
                out,
                "<line class=\"tick\" x1=\"{x:.1}\" y1=\"20\" x2=\"{x:.1}\" y2=\"28\"/><text class=\"axis\" x=\"{x:.1}\" y=\"15\" text-anchor=\"middle\">{}</text>",
                Esc(label)
            );
        }
        out.push_str("<text class=\"axis\" x=\"4\" y=\"15\">UTC</text></svg>\n");
        if !self.calls.is_empty() {
            let h = ROW * self.calls.len() as f64 + 4.0;
            svg_open(out, h, "the portal's ARM /batch calls");
            grid(out, scale, &ticks, h);
            for (n, c) in self.calls.iter().enumerate() {
                calls_row(out, scale, ROW * n as f64 + 2.0, c, self.calls.len() > 1, p);
            }
            out.push_str("</svg>\n");
        }
        if !self.lanes.is_empty() {
            let h = ROW * self.lanes.len() as f64 + 4.0;
            svg_open(out, h, "failing calls, probes, node and task snapshots");
            grid(out, scale, &ticks, h);
            for (n, (name, marks)) in self.lanes.iter().enumerate() {
                let y = ROW * n as f64 + 2.0;
                row_label(out, y, name, "lane");
                for m in marks {
                    mark(out, scale, y, m, p);
                }
            }
            out.push_str("</svg>\n");
        }
        for (n, (pool, loops)) in self.pools.iter().enumerate() {
            let stuck = loops.iter().filter(|l| !l.j.ended).count();
            let _ = writeln!(
                out,
                "<details class=\"pool\" id=\"{p}pool-{n}\"{}><summary>Pool <strong>{}</strong>: {} node{} in a join loop, <strong>{stuck} never ended</strong></summary>",
                if loops.len() <= OPEN_POOL_MAX { " open" } else { "" },
                Esc(pool),
                loops.len(),
                if loops.len() == 1 { "" } else { "s" },
            );
            aggregate(out, scale, &ticks, pool, loops);
            let h = ROW * loops.len() as f64 + 4.0;
            svg_open(out, h, &format!("join loops of pool {pool}"));
            grid(out, scale, &ticks, h);
            for (i, l) in loops.iter().enumerate() {
                node_row(out, scale, ROW * i as f64 + 2.0, l, p);
            }
            out.push_str("</svg>\n</details>\n");
        }
        out.push_str("</div>\n");
        for c in &self.calls {
            let b = c.calls;
            if b.aggregated {
                let total: u64 = b.buckets.iter().map(|x| x.calls).sum::<u64>() + b.untimed;
                let _ = writeln!(
                    out,
                    "<p class=\"faint calls-note\">{total} /batch calls in {}: more than {} to draw one by one, so they are counted in {} slices of {} s (darker: more; red: some failed).</p>",
                    Esc(c.path),
                    batchdiag_parser::har::calls::CALLS_MAX,
                    b.buckets.len(),
                    b.bucket_seconds,
                );
            }
        }
        if self.untimed > 0 {
            let _ = writeln!(
                out,
                "<p class=\"faint\">{} evidence item{} without a time {} listed below, not drawn.</p>",
                self.untimed,
                if self.untimed == 1 { "" } else { "s" },
                if self.untimed == 1 { "is" } else { "are" },
            );
        }
    }
}

fn svg_open(out: &mut String, h: f64, label: &str) {
    let _ = write!(
        out,
        "<svg class=\"tl\" width=\"{WIDTH}\" height=\"{h}\" viewBox=\"0 0 {WIDTH} {h}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        Esc(label)
    );
}

fn grid(out: &mut String, scale: &Scale, ticks: &[(i64, String)], h: f64) {
    for (t, _) in ticks {
        let x = scale.x(*t);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{h}\"/>"
        );
    }
}

fn row_label(out: &mut String, y: f64, text: &str, class: &str) {
    // Long node ids are cut to fit the label column; the full id is in
    // the row's tooltip and its evidence.
    let shown: String = if text.chars().count() > 36 {
        let head: String = text.chars().take(35).collect();
        format!("{head}…")
    } else {
        text.to_string()
    };
    let _ = write!(
        out,
        "<text class=\"{class}\" x=\"4\" y=\"{:.1}\">{}</text>",
        y + 13.0,
        Esc(&shown)
    );
}

fn mark(out: &mut String, scale: &Scale, y: f64, m: &Mark<'_>, p: &str) {
    let x = scale.x(m.at);
    let id = id_part(&m.item.id);
    // Labels near the right edge run leftwards so they stay inside.
    let (lx, anchor) = if x > (LABEL + WIDTH) / 2.0 {
        (x - 8.0, "end")
    } else {
        (x + 8.0, "start")
    };
    let _ = write!(
        out,
        "<a href=\"#{p}ev-{id}\"><title>{} {} {}</title><rect class=\"m {}\" x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"14\" rx=\"2\"/><text class=\"ml\" x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text></a>",
        Esc(&m.item.id),
        Esc(m.item.evidence.time.as_deref().unwrap_or("")),
        Esc(&m.label),
        m.class,
        x - 4.0,
        y + 1.0,
        y + 13.0,
        Esc(&m.label),
    );
}

fn node_row(out: &mut String, scale: &Scale, y: f64, l: &Loop<'_>, p: &str) {
    let node = l.j.node.as_deref().unwrap_or("<unknown node>");
    let id = id_part(&l.item.id);
    let (x1, x2) = (
        scale.x(l.first),
        scale.x(l.last).max(scale.x(l.first) + 2.0),
    );
    let state = if l.j.ended {
        match &l.j.ended_by {
            Some(e) => format!("ended by {}", e.status),
            None => "ended".to_string(),
        }
    } else {
        "never ended".to_string()
    };
    let _ = write!(
        out,
        "<a href=\"#{p}ev-{id}\"><title>{}: {} x TvmJoinPoolInProgress, {} to {}, {}; {} file{}</title>",
        Esc(node),
        l.j.count,
        Esc(l.j.first.as_deref().unwrap_or("")),
        Esc(l.j.last.as_deref().unwrap_or("")),
        Esc(&state),
        l.j.files.len(),
        if l.j.files.len() == 1 { "" } else { "s" },
    );
    row_label(out, y, node, "node");
    let class = if l.j.ended { "bar ended" } else { "bar stuck" };
    let _ = write!(
        out,
        "<rect class=\"{class}\" x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"10\"/>",
        y + 4.0,
        x2 - x1
    );
    if !l.j.ended {
        // Open-ended: the loop was still going when the logs stop.
        let to = l
            .log_end
            .map(|e| scale.x(e))
            .unwrap_or(x2)
            .max(x2)
            .max(WIDTH - RIGHT);
        let _ = write!(
            out,
            "<line class=\"open\" x1=\"{x2:.1}\" y1=\"{:.1}\" x2=\"{to:.1}\" y2=\"{:.1}\"/><path class=\"arrow\" d=\"M{:.1} {:.1} l6 5 l-6 5 z\"/>",
            y + 9.0,
            y + 9.0,
            to - 6.0,
            y + 4.0
        );
    }
    if let Some(end) = l.end {
        let x = scale.x(end);
        let _ = write!(
            out,
            "<path class=\"endm\" d=\"M{x:.1} {:.1} l5 6 l-5 6 l-5 -6 z\"/>",
            y + 3.0
        );
    }
    rotations(out, scale, y, l.j);
    out.push_str("</a>");
}

/// A tick where each rotated log file gives way to the next (at the first
/// timestamp of the later file), titled with both files' ends.
fn rotations(out: &mut String, scale: &Scale, y: f64, j: &JoinLoop) {
    let name = |i: usize| {
        j.files
            .get(i)
            .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f))
            .unwrap_or("")
    };
    for (i, pair) in j.file_times.windows(2).enumerate() {
        let Some(at) = ms(pair[1].first.as_deref()) else {
            continue;
        };
        let x = scale.x(at);
        let _ = write!(
            out,
            "<g class=\"rot\"><title>{} ends {}; {} begins {}</title><line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/></g>",
            Esc(name(i)),
            Esc(pair[0].last.as_deref().unwrap_or("(no time)")),
            Esc(name(i + 1)),
            Esc(pair[1].first.as_deref().unwrap_or("")),
            y + 1.0,
            y + 17.0,
        );
    }
}

/// Least room between two labels of failing calls, so they do not overlap.
const LABEL_GAP: f64 = 150.0;

/// One HAR input's `/batch` calls: each a thin tick (light when it went
/// well, red and labelled with status and code when it failed), or, for a
/// large capture, one shaded slice per bucket of time.
fn calls_row(out: &mut String, scale: &Scale, y: f64, c: &Calls<'_>, named: bool, p: &str) {
    let label = if named {
        let file = c.path.rsplit(['/', '\\', '!']).next().unwrap_or(c.path);
        format!("/batch calls: {file}")
    } else {
        "Portal: /batch calls".to_string()
    };
    let _ = write!(out, "<g class=\"calls\"><title>{}</title>", Esc(c.path));
    row_label(out, y, &label, "lane");
    out.push_str("</g>");
    let b = c.calls;
    if b.aggregated {
        let w = b.bucket_seconds as i64 * 1000;
        let max = b.buckets.iter().map(|x| x.calls).max().unwrap_or(1).max(1);
        for k in &b.buckets {
            let Some(t) = ms(Some(&k.start)) else {
                continue;
            };
            let (x1, x2) = (scale.x(t), scale.x(t + w));
            let level = (k.calls * 4).div_ceil(max).clamp(1, 4);
            let fail = if k.failed_calls > 0 { " fail" } else { "" };
            let _ = write!(
                out,
                "<rect class=\"cb c{level}{fail}\" x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"14\"><title>{} /batch call{} from {} ({} s): {} failed; {} inner responses, {} failing</title></rect>",
                y + 1.0,
                (x2 - x1).max(1.0),
                k.calls,
                if k.calls == 1 { "" } else { "s" },
                Esc(&k.start),
                b.bucket_seconds,
                k.failed_calls,
                k.responses,
                k.failed_responses,
            );
        }
        return;
    }
    let mut last_label = f64::MIN;
    for call in &b.calls {
        let Some(at) = ms(call.time.as_deref()) else {
            continue;
        };
        let x = scale.x(at);
        let failing = call.status >= 400 || call.failed > 0;
        let what = match &call.first_failure {
            Some(f) => format!("{} {}", f.status, f.code.as_deref().unwrap_or("")),
            None => call.status.to_string(),
        };
        let title = format!(
            "entry {}, {}: outer {}, {} inner response{}, {} failing{}",
            call.entry,
            call.time.as_deref().unwrap_or(""),
            call.status,
            call.responses,
            if call.responses == 1 { "" } else { "s" },
            call.failed,
            if failing {
                format!(" ({what})")
            } else {
                String::new()
            },
        );
        let link = c.evidence.get(&call.entry).filter(|_| failing);
        if let Some(id) = link {
            let _ = write!(out, "<a href=\"#{p}ev-{}\">", id_part(id));
        }
        let _ = write!(
            out,
            "<rect class=\"call{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"3\" height=\"14\"><title>{}</title></rect>",
            if failing { " fail" } else { " ok" },
            x - 1.5,
            y + 1.0,
            Esc(&title),
        );
        if failing && x - last_label >= LABEL_GAP {
            last_label = x;
            let (lx, anchor) = if x > (LABEL + WIDTH) / 2.0 {
                (x - 6.0, "end")
            } else {
                (x + 6.0, "start")
            };
            let _ = write!(
                out,
                "<text class=\"ml\" x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                y + 13.0,
                Esc(what.trim_end()),
            );
        }
        if link.is_some() {
            out.push_str("</a>");
        }
    }
}

/// One strip per pool: how many of its nodes were in their join loop in
/// each slice of time, darker for more, and how many never ended.
fn aggregate(
    out: &mut String,
    scale: &Scale,
    ticks: &[(i64, String)],
    pool: &str,
    loops: &[Loop<'_>],
) {
    let h = ROW + 4.0;
    svg_open(
        out,
        h,
        &format!("nodes of pool {pool} in a join loop over time"),
    );
    grid(out, scale, ticks, h);
    let _ = write!(
        out,
        "<text class=\"lane\" x=\"4\" y=\"15\">{} node{}</text>",
        loops.len(),
        if loops.len() == 1 { "" } else { "s" }
    );
    let span = (scale.t1 - scale.t0).max(1);
    let mut counts = [0usize; BUCKETS];
    for l in loops {
        let until = if l.j.ended { l.last } else { scale.t1 };
        let b0 = ((l.first - scale.t0) * BUCKETS as i64 / span).clamp(0, BUCKETS as i64 - 1);
        let b1 = ((until - scale.t0) * BUCKETS as i64 / span).clamp(0, BUCKETS as i64 - 1);
        for c in &mut counts[b0 as usize..=b1 as usize] {
            *c += 1;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let w = (WIDTH - LABEL - RIGHT) / BUCKETS as f64;
    for (b, &c) in counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        // Five shades, so that a few nodes still show against many.
        let level = (c * 4).div_ceil(max).clamp(1, 4);
        let _ = write!(
            out,
            "<rect class=\"agg a{level}\" x=\"{:.1}\" y=\"4\" width=\"{:.1}\" height=\"14\"><title>{c} node{}</title></rect>",
            LABEL + b as f64 * w,
            w + 0.2,
            if c == 1 { "" } else { "s" }
        );
    }
    out.push_str("</svg>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(bundle: &str) -> Report {
        crate::view::tests::corpus(bundle).report().clone()
    }

    #[test]
    fn the_mixed_bundle_draws_the_failing_call_and_the_stuck_node_on_one_axis() {
        let r = report("mixed-bd101-bd201");
        let t = Timeline::new(&r);
        let mut out = String::new();
        t.write(&mut out, "");
        assert!(out.contains("409 AutoStorageNoPermission"), "{out}");
        assert!(out.contains("class=\"bar stuck\""), "{out}");
        assert!(out.contains("never ended"));
        assert!(out.contains("<details class=\"pool\" id=\"pool-0\" open>"));
        let s = t.scale.as_ref().expect("times");
        let arm = &t.lanes[0].1[0];
        let l = &t.pools[0].1[0];
        assert!(s.t0 < arm.at.min(l.first) && arm.at.max(l.last) < s.t1);
    }

    #[test]
    fn ticks_are_round_and_inside() {
        let s = Scale {
            t0: 1_714_557_590_000,
            t1: 1_714_557_590_000 + 45 * 60_000,
        };
        let ticks = s.ticks();
        assert!((4..=10).contains(&ticks.len()), "{}", ticks.len());
        assert!(ticks
            .iter()
            .all(|(t, _)| *t % 300_000 == 0 && *t >= s.t0 && *t <= s.t1));
        assert!(ticks[0].1.starts_with("2024-05-01 "), "{}", ticks[0].1);
        assert_eq!(ticks[1].1.len(), 8);
    }

    #[test]
    fn a_big_pool_starts_folded_to_its_aggregate_row() {
        let mut r = report("mixed-bd101-bd201");
        let base = r
            .evidence
            .iter()
            .find(|e| e.evidence.fact.as_join_loop().is_some())
            .expect("a loop")
            .clone();
        for n in 0..1000 {
            let mut e = base.clone();
            e.id = format!("X{n}");
            if let Fact::JoinLoop(j) = &mut e.evidence.fact {
                j.node = Some(format!("tvm-{n:04}"));
                j.ended = n % 10 != 0;
            }
            r.evidence.push(e);
        }
        let mut out = String::new();
        Timeline::new(&r).write(&mut out, "b1-");
        assert!(
            out.contains("<details class=\"pool\" id=\"b1-pool-0\">"),
            "folded"
        );
        assert!(out.contains("1001 nodes in a join loop, <strong>101 never ended</strong>"));
        assert!(out.contains("class=\"agg a4\""));
        assert!(out.len() < 1_000_000, "{} bytes for 1,001 nodes", out.len());
    }

    #[test]
    fn every_batch_call_is_drawn_and_the_failing_one_links_to_its_evidence() {
        let r = report("mixed-bd101-bd201");
        let mut out = String::new();
        Timeline::new(&r).write(&mut out, "");
        let row = out
            .split("aria-label=\"the portal&#39;s ARM /batch calls\"")
            .nth(1)
            .and_then(|s| s.split("</svg>").next())
            .expect("a /batch row");
        assert!(row.contains("class=\"call ok\""), "{row}");
        let fail = row.find("class=\"call fail\"").expect("a failing call");
        let anchor = row[..fail].rfind("<a href=\"#ev-E").expect("linked");
        assert!(fail - anchor < 40, "{row}");
        assert!(row.contains(">409 AutoStorageNoPermission</text>"), "{row}");
    }

    #[test]
    fn rotated_files_are_marked_where_the_next_begins() {
        let r = report("mixed-bd101-bd201");
        let mut out = String::new();
        Timeline::new(&r).write(&mut out, "");
        assert!(
            out.contains("<g class=\"rot\"><title>agent-debug.log.1 ends 2024-05-01T10:06:54.489Z; agent-debug.log begins 2024-05-01T10:06:54.916Z</title>"),
            "{out}"
        );
    }

    #[test]
    fn forty_thousand_calls_are_drawn_as_buckets_and_said_so() {
        use batchdiag_parser::har::calls::{CallLog, CallRecord};
        let mut r = report("mixed-bd101-bd201");
        let mut log = CallLog::default();
        for i in 0..40_000u64 {
            let failed = u64::from(i % 5000 == 0);
            log.push(
                CallRecord {
                    time_ms: Some(1_714_557_600_000 + i as i64 * 60),
                    status: 200,
                    responses: 2,
                    failed,
                    first_failure: None,
                },
                i,
            );
        }
        let har = r
            .inputs
            .iter_mut()
            .find_map(|i| i.har.as_mut())
            .expect("a HAR");
        har.batch_timeline = log.finish();
        let mut out = String::new();
        Timeline::new(&r).write(&mut out, "");
        let buckets = out.matches("<rect class=\"cb c").count();
        assert!((30..=300).contains(&buckets), "{buckets}");
        assert!(out.contains(" fail\" x="), "failing buckets are marked");
        assert!(out
            .contains("40000 /batch calls in corpus/mixed-bd101-bd201/portal.har: more than 500"));
        assert!(!out.contains("class=\"call ok\""));
        assert!(out.len() < 200_000, "{} bytes", out.len());
    }

    #[test]
    fn nothing_timed_says_so() {
        let r = report("bd204-pool-without-identity");
        let mut out = String::new();
        Timeline::new(&r).write(&mut out, "");
        assert!(out.starts_with("<p>No evidence carries a time"), "{out}");
    }
}
