//! Text into HTML: every string of a report passes here before it reaches
//! the page, so a URL or member name holding markup is shown, never parsed.

use std::fmt::{self, Write};

/// Text escaped for HTML content and quoted attribute values alike.
///
/// `&`, `<`, `>`, `"` and `'` become character references; escape
/// sequences a capture carried and other C0 control characters, which HTML
/// forbids, are dropped (tab, line feed and carriage return stay).
pub(crate) struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Cheap check first: almost no string carries an escape sequence.
        let stripped;
        let s = if self.0.contains('\u{1b}') {
            stripped = anstream::adapter::strip_str(self.0).to_string();
            stripped.as_str()
        } else {
            self.0
        };
        for c in s.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                '\t' | '\n' | '\r' => f.write_char(c)?,
                c if c.is_control() => {}
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// A fragment usable in an `id` and a `#fragment` link: ASCII letters,
/// digits, `-` and `_` kept, anything else `_`. Ids come from the report
/// (`E1`, `BD101`), but a page never trusts them to be tame.
pub(crate) fn id_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_text_and_controls_go() {
        let hostile = "\"><img src=x onerror=alert(1)><script>alert('x')</script>&amp;";
        assert_eq!(
            Esc(hostile).to_string(),
            "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;"
        );
        assert_eq!(
            Esc("a\u{1b}[31mred\u{1b}[0m\u{7}\tb\n").to_string(),
            "ared\tb\n"
        );
        assert_eq!(Esc("ünï ✓").to_string(), "ünï ✓");
    }

    #[test]
    fn ids_keep_only_safe_characters() {
        assert_eq!(id_part("E12"), "E12");
        assert_eq!(id_part("a\"b c<d>"), "a_b_c_d_");
    }
}
