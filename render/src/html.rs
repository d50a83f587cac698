//! The HTML writer: one self-contained page to look at rather than read.
//! Diagnoses as cards at the top, the incident on one time axis (inline
//! SVG drawn by [`timeline`]), the evidence each card links to, the inputs
//! and what was checked.
//!
//! The page makes no request: style and script are inline and allowed by
//! hash in a strict Content-Security-Policy ([`assets`]); every string of
//! the report is escaped ([`escape`]), so markup in a URL or an archive
//! member name is shown as text and never runs. It reads without script;
//! the script only adds copy buttons and an evidence filter.

mod assets;
mod escape;
mod timeline;

use std::fmt::Write as _;
use std::io::{self, Write};

use batchdiag_analyzer::report::{CheckOutcome, Report, Verdict};
use batchdiag_parser::Location;
use batchdiag_redact::Redacted;

use crate::describe::{describe, DescribedEvidence};
use crate::sink::Sink;
use crate::tally::Tally;
use crate::view::{DiagnosisView, Emphasis, Line, ReportView};
use escape::{id_part, Esc};
use timeline::Timeline;

/// Writes the page head: policy, style, and the opening of `<main>`.
fn head(out: &mut String, title: &str, each: bool) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main{}>\n<h1>{}</h1>\n",
        assets::csp(),
        Esc(title),
        assets::STYLE,
        if each { " class=\"each\"" } else { "" },
        Esc(title),
    );
}

/// Closes the page; the script comes last so that it finds what it adds to.
fn tail(out: &mut String) {
    let _ = write!(
        out,
        "</main>\n<script>{}</script>\n</body>\n</html>\n",
        assets::SCRIPT
    );
}

/// Writes one report's body. `p` prefixes every id (`b3-` in `--each`, so
/// that bundles' anchors never collide); `h` is the level of its section
/// headings.
fn report_body(out: &mut String, red: &Redacted, p: &str, h: u8) {
    let r = red.report();
    let v = ReportView::new(red);
    let _ = writeln!(out, "<p class=\"summary\">{}</p>", summary_html(&v));
    section_open(out, p, "diagnoses", "Diagnoses", h);
    out.push_str("<div class=\"cards\">\n");
    if v.diagnoses.is_empty() {
        no_diagnosis(out, &v, h + 1);
    }
    for (n, d) in v.diagnoses.iter().enumerate() {
        card(out, d, n, p, h + 1);
    }
    out.push_str("</div>\n</section>\n");

    section_open(out, p, "timeline", "Timeline", h);
    out.push_str(
        "<p class=\"legend\"><span><span class=\"sw fail\"></span>failing call or probe</span>\
         <span><span class=\"sw okcall\"></span>/batch call that went well</span>\
         <span><span class=\"sw cb\"></span>/batch calls counted per slice of time (darker: more)</span>\
         <span><span class=\"sw rot\"></span>one rotated log file gives way to the next</span>\
         <span><span class=\"sw ok\"></span>successful probe; ◆ another health status ended the join loop</span>\
         <span><span class=\"sw stuck\"></span>join loop that never ended (dashed: still going when the logs stop)</span>\
         <span><span class=\"sw ended\"></span>join loop that ended</span>\
         <span><span class=\"sw agg\"></span>nodes of a pool in their join loop (darker: more)</span></p>\n",
    );
    Timeline::new(r).write(out, p);
    out.push_str("</section>\n");

    evidence_section(out, r, &v, p, h);

    if !v.notes.is_empty() {
        section_open(out, p, "notes", "Notes", h);
        list(out, &v.notes);
        out.push_str("</section>\n");
    }
    inputs_section(out, &v, p, h);
    checked_section(out, &v, p, h);
}

fn summary_html(v: &ReportView) -> String {
    let s = &v.summary;
    let mut t = format!(
        "<strong>{}</strong> from {}",
        match s.diagnoses {
            0 => "No diagnosis".to_string(),
            1 => "1 diagnosis".to_string(),
            n => format!("{n} diagnoses"),
        },
        Esc(&s.inputs_phrase())
    );
    if let Some(f) = s.not_fully_read_phrase() {
        let _ = write!(t, "; <strong class=\"err\">{}</strong>", Esc(&f));
    }
    t.push('.');
    t
}

fn section_open(out: &mut String, p: &str, id: &str, title: &str, h: u8) {
    let _ = writeln!(
        out,
        "<section id=\"{p}{id}\" aria-labelledby=\"{p}{id}-h\">\n<h{h} id=\"{p}{id}-h\">{}</h{h}>",
        Esc(title)
    );
}

fn list(out: &mut String, items: &[String]) {
    out.push_str("<ul>\n");
    for i in items {
        let _ = writeln!(out, "<li>{}</li>", Esc(i));
    }
    out.push_str("</ul>\n");
}

fn card(out: &mut String, d: &DiagnosisView, n: usize, p: &str, h: u8) {
    let conf = d.confidence.as_str();
    let code = id_part(&d.code);
    let _ = write!(
        out,
        "<article class=\"card {conf}\" id=\"{p}d{n}-{code}\" aria-labelledby=\"{p}d{n}-{code}-h\">\n\
         <h{h} id=\"{p}d{n}-{code}-h\">{} <code>{}</code> <span class=\"badge {conf}\">{}</span></h{h}>\n\
         <p><strong>{}</strong></p>\n",
        Esc(&d.code),
        Esc(&d.slug),
        Esc(conf),
        Esc(&d.title),
    );
    if let Some(s) = d.scenario {
        let _ = writeln!(
            out,
            "<p class=\"faint\">Scenario {} of the {} table.</p>",
            s.number,
            Esc(s.table)
        );
    }
    let _ = writeln!(out, "<p>{}</p>", Esc(&d.summary));
    let sub = h + 1;
    let _ = writeln!(out, "<h{sub}>Evidence</h{sub}>\n<ul class=\"refs\">");
    for e in &d.evidence {
        let first = e.details.first().map(|d| d.line.text()).unwrap_or_default();
        let _ = writeln!(
            out,
            "<li><a href=\"#{p}ev-{}\">{}</a> {}</li>",
            id_part(&e.id),
            Esc(&e.id),
            Esc(&first)
        );
    }
    out.push_str("</ul>\n");
    let _ = writeln!(out, "<h{sub}>Fix</h{sub}>\n<p>{}</p>", Esc(&d.fix.summary));
    if !d.fix.steps.is_empty() {
        out.push_str("<ol>\n");
        for s in &d.fix.steps {
            let _ = writeln!(out, "<li>{}</li>", Esc(s));
        }
        out.push_str("</ol>\n");
    }
    for c in &d.fix.commands {
        let _ = writeln!(
            out,
            "<div class=\"cmd-wrap\"><p class=\"faint\">{}</p><pre class=\"cmd\"><code>{}</code></pre></div>",
            Esc(&c.description),
            Esc(&c.shell)
        );
    }
    for (label, items) in [("Notes", &d.notes), ("Would help", &d.missing_evidence)] {
        if !items.is_empty() {
            let _ = writeln!(out, "<h{sub}>{label}</h{sub}>");
            list(out, items);
        }
    }
    let _ = writeln!(
        out,
        "<p class=\"faint\">Why: <code>batchdiag explain {}</code></p>\n</article>",
        Esc(&d.code)
    );
}

fn no_diagnosis(out: &mut String, v: &ReportView, h: u8) {
    let _ = writeln!(
        out,
        "<article class=\"card clean\">\n<h{h}>No diagnosis</h{h}>\n<p>None of the causes batchdiag knows was found. What was checked:</p>\n<ul>"
    );
    for c in &v.checked {
        let _ = writeln!(
            out,
            "<li>{} {}: <strong>{}</strong></li>",
            Esc(&c.code),
            Esc(&c.description),
            Esc(c.outcome_words())
        );
    }
    out.push_str("</ul>\n</article>\n");
}

fn line_html(out: &mut String, l: &Line) {
    for s in &l.spans {
        let _ = match s.emphasis {
            Emphasis::Plain => write!(out, "{}", Esc(&s.text)),
            Emphasis::Strong => write!(out, "<strong>{}</strong>", Esc(&s.text)),
            Emphasis::Faint => write!(out, "<span class=\"faint\">{}</span>", Esc(&s.text)),
        };
    }
}

fn location_html(out: &mut String, l: &Location) {
    out.push_str("<dl class=\"loc\">");
    let _ = write!(
        out,
        "<div><dt>file</dt><dd><code>{}</code></dd></div>",
        Esc(&l.path)
    );
    if let Some(m) = &l.member {
        let _ = write!(
            out,
            "<div><dt>member</dt><dd><code>{}</code></dd></div>",
            Esc(m)
        );
    }
    for (name, v) in [("entry", l.entry), ("line", l.line), ("offset", l.offset)] {
        if let Some(v) = v {
            let what = if name == "entry" {
                format!("log.entries[{v}]")
            } else {
                v.to_string()
            };
            let _ = write!(out, "<div><dt>{name}</dt><dd>{}</dd></div>", Esc(&what));
        }
    }
    out.push_str("</dl>\n");
}

fn evidence_section(out: &mut String, r: &Report, v: &ReportView, p: &str, h: u8) {
    section_open(out, p, "evidence", "Evidence", h);
    if r.evidence.is_empty() {
        out.push_str("<p>No evidence was found.</p>\n</section>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<p class=\"filter\" data-for=\"{p}evidence-list\" hidden><label>Filter evidence <input type=\"search\"></label></p>\n<div id=\"{p}evidence-list\">"
    );
    for item in &r.evidence {
        let d: DescribedEvidence = describe(item);
        let cited: Vec<&str> = v
            .diagnoses
            .iter()
            .filter(|dv| dv.evidence.iter().any(|e| e.id == item.id))
            .map(|dv| dv.code.as_str())
            .collect();
        let _ = write!(
            out,
            "<article class=\"ev\" id=\"{p}ev-{}\"><p><strong>{}</strong>",
            id_part(&d.id),
            Esc(&d.id)
        );
        if let Some(t) = &d.time {
            let _ = write!(out, " <time datetime=\"{}\">{}</time>", Esc(t), Esc(t));
        }
        if !cited.is_empty() {
            let _ = write!(
                out,
                " <span class=\"faint\">cited by {}</span>",
                Esc(&cited.join(", "))
            );
        }
        out.push_str("</p>\n");
        location_html(out, &item.evidence.source);
        out.push_str("<pre>");
        for (i, det) in d.details.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&"  ".repeat(usize::from(det.depth)));
            line_html(out, &det.line);
        }
        out.push_str("</pre></article>\n");
    }
    out.push_str("</div>\n</section>\n");
}

fn inputs_section(out: &mut String, v: &ReportView, p: &str, h: u8) {
    section_open(out, p, "inputs", "Inputs", h);
    out.push_str(
        "<div class=\"scroll\"><table>\n<thead><tr><th scope=\"col\">status</th><th scope=\"col\">input</th><th scope=\"col\">kind</th><th scope=\"col\">read</th></tr></thead>\n<tbody>\n",
    );
    for i in &v.inputs {
        let status = if i.error.is_some() {
            "<td class=\"err\">error</td>"
        } else {
            "<td>ok</td>"
        };
        let _ = write!(
            out,
            "<tr>{status}<td class=\"path\"><code>{}</code></td><td>{}</td><td>{}",
            Esc(&i.path),
            Esc(i.kind),
            Esc(&i.read.join(", "))
        );
        if let Some(e) = &i.error {
            let _ = write!(out, "<br><span class=\"err\">{}</span>", Esc(e));
        }
        for w in &i.warnings {
            let _ = write!(out, "<br>warning: {}", Esc(w));
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn checked_section(out: &mut String, v: &ReportView, p: &str, h: u8) {
    section_open(out, p, "checked", "Checked", h);
    out.push_str(
        "<div class=\"scroll\"><table>\n<thead><tr><th scope=\"col\">code</th><th scope=\"col\">cause</th><th scope=\"col\">outcome</th></tr></thead>\n<tbody>\n",
    );
    for c in &v.checked {
        let outcome = match c.outcome {
            CheckOutcome::Found => format!("<strong>{}</strong>", Esc(c.outcome_words())),
            CheckOutcome::NotFound | CheckOutcome::NoInput => Esc(c.outcome_words()).to_string(),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{outcome}</td></tr>",
            Esc(&c.code),
            Esc(&c.description)
        );
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn verdict_words(v: Verdict) -> &'static str {
    match v {
        Verdict::Clean => "clean",
        Verdict::Diagnosed => "diagnosed",
        Verdict::NotFullyRead => "not fully read",
    }
}

/// Writes HTML: one report as a page, or with `--each` one page with a
/// section per bundle and a summary table linking to them.
///
/// Sections are written as bundles come, so memory holds one bundle's page
/// and a row per bundle; the summary table, known only at the end, is
/// written last and shown first by the stylesheet (a skip link at the top
/// leads to it for readers that follow the document order).
pub struct HtmlSink<'a> {
    out: Box<dyn Write + 'a>,
    each: bool,
    tally: Tally,
    rows: Vec<String>,
}

impl<'a> HtmlSink<'a> {
    /// A sink over `out`.
    pub fn new(out: Box<dyn Write + 'a>, each: bool) -> Self {
        HtmlSink {
            out,
            each,
            tally: Tally::default(),
            rows: Vec::new(),
        }
    }
}

impl Sink for HtmlSink<'_> {
    fn begin(&mut self) -> io::Result<()> {
        let mut s = String::new();
        if self.each {
            head(&mut s, "batchdiag reports", true);
            s.push_str("<p class=\"skip\"><a href=\"#summary\">Summary of all bundles</a></p>\n");
        } else {
            head(&mut s, "batchdiag report", false);
        }
        self.out.write_all(s.as_bytes())
    }

    fn report(&mut self, red: &Redacted) -> io::Result<()> {
        let r = red.report();
        self.tally.add(r);
        let mut s = String::new();
        if self.each {
            let n = self.tally.bundles;
            let p = format!("b{n}-");
            let name = r.bundle.as_deref().unwrap_or("(bundle)");
            let _ = writeln!(
                s,
                "<section class=\"bundle\" id=\"b{n}\" aria-labelledby=\"b{n}-h\">\n<h2 id=\"b{n}-h\"><code>{}</code></h2>",
                Esc(name)
            );
            report_body(&mut s, red, &p, 3);
            s.push_str("</section>\n");
            let codes: Vec<&str> = r.diagnoses.iter().map(|d| d.code.as_str()).collect();
            let errors: Vec<String> = r
                .inputs
                .iter()
                .filter(|i| i.error.is_some())
                .map(|i| format!("<code>{}</code>", Esc(&i.path)))
                .collect();
            self.rows.push(format!(
                "<tr><td class=\"path\"><a href=\"#b{n}\"><code>{}</code></a></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                Esc(name),
                verdict_words(r.verdict()),
                Esc(&codes.join(", ")),
                if errors.is_empty() { "none".to_string() } else { errors.join("<br>") },
            ));
        } else {
            report_body(&mut s, red, "", 2);
        }
        self.out.write_all(s.as_bytes())?;
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut s = String::new();
        if self.each {
            let t = &self.tally;
            s.push_str(
                "<section id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th scope=\"col\">bundle</th><th scope=\"col\">verdict</th><th scope=\"col\">codes</th><th scope=\"col\">inputs with errors</th></tr></thead>\n<tbody>\n",
            );
            for row in &self.rows {
                s.push_str(row);
            }
            let _ = writeln!(
                s,
                "</tbody>\n</table></div>\n<p><strong>{} bundle{}</strong>: {} with diagnoses, {} clean{}.</p>\n</section>",
                t.bundles,
                if t.bundles == 1 { "" } else { "s" },
                t.diagnosed,
                t.clean,
                if t.unreadable > 0 {
                    format!(", <strong class=\"err\">{} not fully read</strong>", t.unreadable)
                } else {
                    String::new()
                }
            );
        }
        tail(&mut s);
        self.out.write_all(s.as_bytes())?;
        self.out.flush()
    }

    fn tally(&self) -> &Tally {
        &self.tally
    }
}

/// One redacted report as a whole page, in memory, as the sink writes it.
#[cfg(test)]
pub(crate) fn page(red: &Redacted) -> String {
    let mut s = String::new();
    head(&mut s, "batchdiag report", false);
    report_body(&mut s, red, "", 2);
    tail(&mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use batchdiag_redact::redact;

    const CANARY_MEMBER: &str =
        "pool/<script>window.__xss=1</script>/\"><img src=x onerror=window.__xss=2>.log";
    const CANARY_URL: &str =
        "https://management.azure.com/subscriptions/x/<script>window.__xss=3</script>?q=\"><img src=x onerror=window.__xss=4>";

    /// The mixed bundle with markup in an archive member name and a URL.
    pub(crate) fn hostile() -> Redacted {
        let mut r = crate::view::tests::corpus("mixed-bd101-bd201")
            .report()
            .clone();
        for e in &mut r.evidence {
            if let batchdiag_parser::Fact::ArmError(a) = &mut e.evidence.fact {
                a.url = Some(CANARY_URL.into());
            }
            e.evidence.source.member = Some(CANARY_MEMBER.into());
        }
        r.inputs[0].path = CANARY_MEMBER.into();
        redact(&r).expect("redactable")
    }

    #[test]
    fn markup_in_names_and_urls_is_text() {
        let html = page(&hostile());
        assert_eq!(
            html.matches("<script").count(),
            1,
            "only the page's own script"
        );
        assert!(!html.contains("<img"), "no element from the report");
        assert!(html.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"));
        assert!(html.contains("&quot;&gt;&lt;img src=x onerror=window.__xss=4&gt;"));
        assert!(!html.contains("onerror=window.__xss=2>"));
    }

    #[test]
    fn a_page_is_self_contained_with_cards_timeline_and_anchors() {
        let html = page(&crate::view::tests::corpus("mixed-bd101-bd201"));
        assert!(html.starts_with("<!DOCTYPE html>"));
        let head = &html[..html.find("<style>").expect("style")];
        assert!(
            head.contains("http-equiv=\"Content-Security-Policy\""),
            "policy before style"
        );
        for bad in [
            "src=\"http",
            "href=\"http",
            "url(",
            "@import",
            "<link",
            "<img",
            "<iframe",
        ] {
            assert!(!html.contains(bad), "{bad}");
        }
        assert!(
            html.contains("class=\"card confirmed\" id=\"d0-BD101\""),
            "{html}"
        );
        assert!(html.contains("id=\"d1-BD201\""));
        assert!(html.contains("<svg class=\"tl\""));
        // Every link points into the page, at an id that exists.
        for part in html.split("href=\"#").skip(1) {
            let id = &part[..part.find('"').expect("closed")];
            assert!(html.contains(&format!("id=\"{id}\"")), "dangling #{id}");
        }
        assert!(
            html.contains("<pre class=\"cmd\"><code>az "),
            "commands to copy"
        );
    }

    #[test]
    fn no_diagnosis_says_what_was_checked() {
        let html = page(&crate::view::tests::corpus("scenario1-healthy"));
        assert!(html.contains("<h3>No diagnosis</h3>"));
        assert!(html.contains("BD101 "), "the checked list");
    }

    #[test]
    fn each_has_a_summary_linking_to_a_section_per_bundle() {
        let mut out = Vec::new();
        {
            let mut s = HtmlSink::new(Box::new(&mut out), true);
            s.begin().expect("memory");
            for b in ["bd101-chrome", "healthy-upload", "bd101-truncated"] {
                let mut r = crate::view::tests::corpus(b).report().clone();
                r.bundle = Some(format!("corpus/{b}"));
                s.report(&redact(&r).expect("redactable")).expect("memory");
            }
            s.finish().expect("memory");
            assert_eq!(s.tally().verdict().exit_code(), 3);
        }
        let html = String::from_utf8(out).expect("utf-8");
        assert_eq!(html.matches("<!DOCTYPE html>").count(), 1);
        for n in 1..=3 {
            assert!(html.contains(&format!("<section class=\"bundle\" id=\"b{n}\"")));
            assert!(html.contains(&format!("<a href=\"#b{n}\">")));
        }
        assert!(html.contains("id=\"b1-ev-E1\"") && html.contains("id=\"b3-ev-E1\""));
        assert!(
            html.contains("<td>not fully read</td><td>BD101</td><td><code>corpus/bd101-truncated/")
        );
        // Each bundle counts once: the tally adds up.
        assert!(html.contains("3 bundles</strong>: 1 with diagnoses, 1 clean, <strong class=\"err\">1 not fully read</strong>"), "{html}");
        assert!(html.trim_end().ends_with("</html>"));
    }
}
