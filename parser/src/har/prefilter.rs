//! Which HAR entries can be skipped without parsing them.
//!
//! Almost every entry of a portal capture is a script, a stylesheet or an
//! image that gives no evidence, and parsing it with serde was most of a
//! large capture's time. Every extractor of [`super::extract`] is keyed on
//! the request URL: an entry gives evidence, a `/batch` call or a warning only
//! when its URL holds one of [`url_literals`] (compared without ASCII case).
//! [`super::shape::check`] walks an entry once, checking that serde would
//! read it (a skipped entry that is not a HAR entry must still be reported)
//! and noting the raw bytes of `request.url`; [`raw_url_may_matter`] then
//! looks for the literals there, and where there is one and no escape,
//! applies the extractors' own gate ([`url_may_matter`]) to it.
//!
//! Raw bytes are not the URL, though: JSON lets a string spell `/` as `\/`
//! and any character as `\uXXXX`. No literal holds `"`, `\` or a control
//! character (the characters the other escapes stand for), so a literal can
//! only hide behind those two escapes: a URL holding either one always goes
//! to the parser. Percent-encoding hides nothing, since the extractors
//! compare the URL as written. Bodies need no look: base64, gzip or escaped,
//! they are read only for an entry whose URL already holds a literal.
//!
//! Searching the whole entry for the literals instead was measured first:
//! without a case-sensitive byte to anchor on, the search ran byte by byte
//! (10 instructions a byte, more than serde), where the URL is a hundred
//! bytes.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use crate::arm::{self, ARM_HOSTS, SUBSCRIPTIONS};
use crate::har::extract::BATCH_PATH;
use crate::http::{IMDS_TOKEN_PATH, STORAGE_HOST_MARKERS};

/// What the URL of an entry that can give evidence holds, one per
/// extractor gate of [`super::extract::extract_entry`]: a Resource
/// Manager host (direct ARM errors), the `/batch` path (the portal's
/// envelope, and the timeline of every call), `subscriptions` (an ARM
/// resource id on any host), IMDS's token path and the Storage host markers.
/// A new extractor keyed on something else must add its literal here, or
/// [`super::extract::extract_entry`]'s gate keeps it from ever running.
pub fn url_literals() -> impl Iterator<Item = &'static str> + Clone {
    literals().map(|(lit, _)| lit)
}

/// Which gate a literal opens, as a bit of [`Gates`].
type Gates = u8;
const ARM_HOST: Gates = 1;
const STORAGE_OR_IMDS: Gates = 2;
const BATCH: Gates = 4;
const SUBSCRIPTION: Gates = 8;
/// A JSON escape that may hide a literal (raw search only).
const ESCAPE: Gates = 16;

fn literals() -> impl Iterator<Item = (&'static str, Gates)> + Clone {
    // Built from the extractors' own tables, so a host added to one of
    // them is searched for with no second list to keep in step.
    let arm = ARM_HOSTS.iter().map(|h| (*h, ARM_HOST));
    let storage = STORAGE_HOST_MARKERS.iter().map(|m| (*m, STORAGE_OR_IMDS));
    arm.chain(storage).chain([
        (BATCH_PATH, BATCH),
        (SUBSCRIPTIONS, SUBSCRIPTION),
        (IMDS_TOKEN_PATH, STORAGE_OR_IMDS),
    ])
}
/// The JSON escapes that can stand for a character of a literal.
const HIDING_ESCAPES: [&str; 2] = ["\\/", "\\u"];

/// A searcher for some literals, and the gate of each of its patterns.
struct Search {
    ac: AhoCorasick,
    gates: Vec<Gates>,
}

impl Search {
    fn new(pats: impl Iterator<Item = (&'static str, Gates)>) -> Search {
        let (lits, gates): (Vec<_>, Vec<_>) = pats.unzip();
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(lits)
            .expect("a handful of short literals always build");
        Search { ac, gates }
    }

    /// The gates of every literal `hay` holds (overlapping matches too, so
    /// one literal never hides another).
    fn gates(&self, hay: &[u8]) -> Gates {
        self.ac
            .find_overlapping_iter(hay)
            .fold(0, |g, m| g | self.gates[m.pattern().as_usize()])
    }
}

static URL_SEARCH: LazyLock<Search> = LazyLock::new(|| Search::new(literals()));

static RAW_SEARCH: LazyLock<Search> =
    LazyLock::new(|| Search::new(literals().chain(HIDING_ESCAPES.map(|e| (e, ESCAPE)))));

/// False only when `raw` (the bytes of a JSON string between its quotes,
/// escapes as written) cannot decode to a URL that [`url_may_matter`].
pub fn raw_url_may_matter(raw: &[u8]) -> bool {
    let found = RAW_SEARCH.gates(raw);
    if found == 0 {
        return false;
    }
    // Without an escape that can hide a literal, the raw bytes hold the
    // URL's literals, and the exact gate applies: most portal URLs with
    // `/batch` are CDN paths, not the call.
    if found & ESCAPE != 0 {
        return true;
    }
    std::str::from_utf8(raw).map_or(true, |url| opens(url, found))
}

/// The gate every extractor of [`super::extract::extract_entry`] sits
/// behind: true when a request URL (as decoded from JSON) holds one of
/// [`url_literals`] where an extractor looks for it: the path is `/batch`,
/// the host is a Resource Manager or Storage one, the path is IMDS's token
/// path, or it names a subscription.
pub fn url_may_matter(url: &str) -> bool {
    opens(url, URL_SEARCH.gates(url.as_bytes()))
}

/// The extractor gates `url` opens, looking only at those whose literal it
/// holds (`found`): each gate needs its literal, so no other can open.
fn opens(url: &str, found: Gates) -> bool {
    if found & SUBSCRIPTION != 0 {
        // A superset of what `ArmResourceId::parse` accepts.
        return true;
    }
    if found & BATCH != 0 {
        let path = arm::strip_to_path(url);
        if path
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .eq_ignore_ascii_case(BATCH_PATH)
        {
            return true;
        }
    }
    (found & ARM_HOST != 0 && arm::is_arm_host(arm::host_of(url).unwrap_or("")))
        || (found & STORAGE_OR_IMDS != 0 && crate::http::wants(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_literal_holds_a_character_an_escape_other_than_slash_or_u_stands_for() {
        for lit in url_literals() {
            assert!(
                lit.bytes().all(|b| b != b'"' && b != b'\\' && b >= 0x20),
                "{lit}: a raw search could miss it behind \\\" or \\\\ or a control escape"
            );
            assert!(lit.is_ascii(), "{lit}: ASCII case folding only");
        }
    }

    #[test]
    fn the_table_holds_every_constant_the_extractors_compare_with() {
        for h in ARM_HOSTS.iter().chain(&STORAGE_HOST_MARKERS) {
            assert!(
                url_literals().any(|l| l == *h),
                "{h} is missing from url_literals"
            );
        }
        for lit in [BATCH_PATH, SUBSCRIPTIONS, IMDS_TOKEN_PATH] {
            assert!(url_literals().any(|l| l == lit), "{lit}");
        }
    }

    #[test]
    fn every_literal_is_found_in_any_ascii_case_and_behind_escapes() {
        for lit in url_literals() {
            let upper = lit.to_ascii_uppercase();
            assert_ne!(
                URL_SEARCH.gates(format!("https://x/{upper}?a").as_bytes()),
                0,
                "{lit}"
            );
            assert_ne!(RAW_SEARCH.gates(format!("x{upper}").as_bytes()), 0);
        }
        assert!(raw_url_may_matter(br#"https:\/\/x"#));
        assert!(raw_url_may_matter(br#"\u0068ttps"#));
        assert!(!raw_url_may_matter(
            b"https://portal.azure.com/Content/a.js"
        ));
        assert!(!url_may_matter(
            "https://afd.hosting.portal.azure.net/Content/site.css"
        ));
        // The literal where no extractor looks for it.
        assert!(!raw_url_may_matter(
            b"https://afd-v2.hosting.portal.azure.net/batch/Content/x.css"
        ));
        assert!(raw_url_may_matter(b"https://MANAGEMENT.azure.com/BATCH?x"));
        assert!(raw_url_may_matter(b"/batch"));
        assert!(raw_url_may_matter(b"https://x.blob.core.windows.net/c"));
        assert!(raw_url_may_matter(
            b"http://169.254.169.254/metadata/identity/oauth2/token?a"
        ));
        assert!(raw_url_may_matter(b"https://example.com/x/subscriptions/s"));
    }
}
