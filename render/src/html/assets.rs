//! The page's own style and script, inline, and the Content-Security-Policy
//! that allows exactly these two by their SHA-256 hashes: nothing else may
//! run, load or connect, so a page opened from a mail attachment makes no
//! request and markup smuggled into a report cannot act.

use std::sync::OnceLock;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The stylesheet: light and dark, print, narrow and wide screens.
pub(crate) const STYLE: &str = r#"
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--faint:#5c6670;--line:#d0d7de;--card:#f6f8fa;
--fail:#c62828;--ok:#2e7d32;--info:#1565c0;--stuck:#d84315;--ended:#78909c;--code:#eef1f4;
--confirmed:#b71c1c;--likely:#e65100;--possible:#6d4c41;--a1:#ffccbc;--a2:#ff8a65;--a3:#f4511e;--a4:#bf360c;
--okcall:#a5d6a7;--c1:#e3f2fd;--c2:#90caf9;--c3:#42a5f5;--c4:#1565c0}
@media (prefers-color-scheme:dark){:root{--bg:#0f1419;--fg:#e6edf3;--faint:#9aa6b2;--line:#30363d;
--card:#161b22;--fail:#ff6b6b;--ok:#7ee787;--info:#79c0ff;--stuck:#ff8a50;--ended:#8b949e;--code:#1f2630;
--confirmed:#ff7b72;--likely:#ffa657;--possible:#d2a8ff;--a1:#5a2a1a;--a2:#8a3a1f;--a3:#c04a20;--a4:#ff7043;
--okcall:#2f6b3a;--c1:#16324f;--c2:#1f4f7a;--c3:#2f74b5;--c4:#79c0ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1500px;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.2rem 0 .6rem}h2{font-size:1.25rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:.2rem 0 .4rem}
a{color:var(--info)}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--code);padding:.5rem .6rem;border-radius:6px;margin:.2rem 0;white-space:pre-wrap;overflow-wrap:anywhere}
.summary{font-size:1.05rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,34rem),1fr));gap:1rem}
.card{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--possible);border-radius:8px;padding:.8rem 1rem;min-width:0}
.card.confirmed{border-left-color:var(--confirmed)}.card.likely{border-left-color:var(--likely)}.card.clean{border-left-color:var(--ok)}
.badge{display:inline-block;padding:0 .45rem;border-radius:99px;border:1px solid currentColor;font-size:.8rem;font-weight:600;vertical-align:middle}
.badge.confirmed{color:var(--confirmed)}.badge.likely{color:var(--likely)}.badge.possible{color:var(--possible)}
.faint{color:var(--faint)}
.cmd-wrap{position:relative}
button.copy{font:inherit;font-size:.8rem;padding:.1rem .5rem;margin:.1rem 0 .4rem;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg);cursor:pointer}
ul.refs{padding-left:1.2rem}ul.refs li{overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%}
svg.tl{display:block;font:12px system-ui,sans-serif}
svg.tl text{fill:var(--fg)}svg.tl text.axis,svg.tl text.ml{fill:var(--faint)}svg.tl text.lane{font-weight:600}
svg.tl .grid{stroke:var(--line);stroke-width:1}svg.tl .tick{stroke:var(--faint)}
svg.tl .m.fail{fill:var(--fail)}svg.tl .m.ok{fill:var(--ok)}svg.tl .m.info{fill:var(--info)}
svg.tl .bar.stuck{fill:var(--stuck)}svg.tl .bar.ended{fill:var(--ended)}
svg.tl .open{stroke:var(--stuck);stroke-width:2;stroke-dasharray:4 3}svg.tl .arrow{fill:var(--stuck)}
svg.tl .endm{fill:var(--ok);stroke:var(--bg)}
svg.tl .call.ok{fill:var(--okcall)}svg.tl .call.fail{fill:var(--fail)}
svg.tl .cb.c1{fill:var(--c1)}svg.tl .cb.c2{fill:var(--c2)}svg.tl .cb.c3{fill:var(--c3)}svg.tl .cb.c4{fill:var(--c4)}
svg.tl .cb.fail{stroke:var(--fail);stroke-width:2}
svg.tl .rot line{stroke:var(--fg);stroke-width:1.5;stroke-dasharray:2 2}
svg.tl .agg.a1{fill:var(--a1)}svg.tl .agg.a2{fill:var(--a2)}svg.tl .agg.a3{fill:var(--a3)}svg.tl .agg.a4{fill:var(--a4)}
svg.tl a:hover rect,svg.tl a:focus rect{stroke:var(--fg);stroke-width:1.5}
details.pool{margin:.3rem 0}details.pool>summary{cursor:pointer;padding:.2rem 0}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.85rem;color:var(--faint);margin:.3rem 0}
.sw{display:inline-block;width:.9rem;height:.7rem;border-radius:2px;vertical-align:middle;margin-right:.25rem}
.sw.fail{background:var(--fail)}.sw.ok{background:var(--ok)}.sw.stuck{background:var(--stuck)}.sw.ended{background:var(--ended)}.sw.agg{background:var(--a3)}.sw.okcall{background:var(--okcall)}.sw.cb{background:var(--c3)}.sw.rot{border-left:2px dashed var(--fg);border-radius:0;width:.4rem}
.ev{border-top:1px solid var(--line);padding:.4rem 0;overflow-wrap:anywhere}
.ev:target,.card:target{outline:2px solid var(--info);outline-offset:2px}
.ev .loc{margin:.1rem 0;display:flex;flex-wrap:wrap;gap:.1rem 1rem;font-size:.85rem}
.ev .loc dt{display:inline;color:var(--faint)}.ev .loc dd{display:inline;margin:0 0 0 .3rem}
.ev pre{margin:.2rem 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.25rem .5rem;border-bottom:1px solid var(--line)}
td.path{overflow-wrap:anywhere;word-break:break-word;min-width:12rem}
td.err,.err{color:var(--fail);font-weight:600}
.filter{margin:.3rem 0}.filter input{font:inherit;padding:.2rem .4rem;width:min(100%,24rem)}
main.each{display:flex;flex-direction:column}main.each>h1{order:-3}main.each>p.skip{order:-2}main.each>#summary{order:-1}
section.bundle{border-top:3px solid var(--line);margin-top:1.5rem}
@media (max-width:600px){main{padding:.5rem}body{font-size:14px}th,td{padding:.2rem .3rem}}
@media print{:root{--bg:#fff;--fg:#000;--faint:#444;--card:#fff;--code:#f4f4f4}
button.copy,.filter{display:none}.scroll{overflow:visible}.card,.ev{break-inside:avoid}
a{color:inherit}main{max-width:none;padding:0}svg.tl{max-width:100%;height:auto}}
"#;

/// The script: copy buttons for fix commands and a filter over the
/// evidence list. The page is whole without it.
pub(crate) const SCRIPT: &str = r#"
(function(){
document.querySelectorAll('pre.cmd').forEach(function(p){
var b=document.createElement('button');b.type='button';b.className='copy';b.textContent='Copy';
b.setAttribute('aria-label','Copy this command');
b.addEventListener('click',function(){
var done=function(){b.textContent='Copied';},fail=function(){b.textContent='Select and copy';};
if(navigator.clipboard){navigator.clipboard.writeText(p.textContent).then(done,fail);}else{fail();}
});
p.parentNode.insertBefore(b,p.nextSibling);
});
document.querySelectorAll('.filter').forEach(function(f){
var i=f.querySelector('input'),list=document.getElementById(f.getAttribute('data-for'));
if(!i||!list){return;}
f.hidden=false;
i.addEventListener('input',function(){
var q=i.value.toLowerCase();
list.querySelectorAll('.ev').forEach(function(e){e.hidden=q!==''&&e.textContent.toLowerCase().indexOf(q)<0;});
});
});
})();
"#;

fn hash(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The policy: nothing from anywhere (`default-src 'none'`), the inline
/// style and script by hash only, no `<base>`, no form submission.
/// `frame-ancestors` cannot be set from a `<meta>` tag, so it is not.
pub(crate) fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; style-src {}; script-src {}; img-src 'none'; base-uri 'none'; form-action 'none'",
            hash(STYLE),
            hash(SCRIPT)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_hashes_of_what_the_page_inlines() {
        let p = csp();
        assert!(p.starts_with("default-src 'none'; "));
        assert!(p.contains(&hash(STYLE)) && p.contains(&hash(SCRIPT)));
        assert!(!p.contains("unsafe"), "{p}");
        // A known vector: SHA-256 of the empty string.
        assert_eq!(
            hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }
}
