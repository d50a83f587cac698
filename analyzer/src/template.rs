//! `{name}` placeholders in remediation text, filled from the evidence.

use std::collections::BTreeMap;

/// Values known for a diagnosis, by placeholder name.
pub type Values = BTreeMap<&'static str, String>;

/// Replaces each `{name}` with its value; an unknown name becomes `<name>`
/// so the reader sees exactly what to fill in. `{name|fallback}` gives
/// `fallback` (itself a template, e.g. a command that looks the value up)
/// when the value is unknown. `{{` and `}}` are literal braces.
pub fn fill(template: &str, values: &Values) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('{') {
            if let Some(j) = tail.find(['}', '|']) {
                let name = &tail[1..j];
                let (fallback, end) = if tail[j..].starts_with('|') {
                    match closing_brace(&tail[j + 1..]) {
                        Some(k) => (Some(&tail[j + 1..j + 1 + k]), j + 1 + k),
                        None => (None, j),
                    }
                } else {
                    (None, j)
                };
                if tail[end..].starts_with('}') {
                    match (values.get(name), fallback) {
                        (Some(v), _) => out.push_str(v),
                        (None, Some(f)) => out.push_str(&fill(f, values)),
                        (None, None) => {
                            out.push('<');
                            out.push_str(&name.replace('_', "-"));
                            out.push('>');
                        }
                    }
                    rest = &tail[end + 1..];
                    continue;
                }
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// The index of the `}` that closes a fallback, past nested placeholders
/// and escaped braces.
fn closing_brace(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'{', Some(b'{')) | (b'}', Some(b'}')) => i += 2,
            (b'{', _) => {
                depth += 1;
                i += 1;
            }
            (b'}', _) if depth == 0 => return Some(i),
            (b'}', _) => {
                depth -= 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_marks_unknowns() {
        let mut v = Values::new();
        v.insert("account", "acct1".into());
        assert_eq!(
            fill(
                "az batch account show -n {account} -g {resource_group} --query \"{{a: b}}\"",
                &v
            ),
            "az batch account show -n acct1 -g <resource-group> --query \"{a: b}\""
        );
        assert_eq!(fill("no braces", &v), "no braces");
        assert_eq!(fill("dangling {", &v), "dangling {");
    }

    #[test]
    fn fallbacks_stand_in_for_unknown_values() {
        let mut v = Values::new();
        v.insert("account", "acct1".into());
        let t =
            "p={principal_id|$(az show --name {account} --query \"a || b\" -o tsv)} n={account|x}";
        assert_eq!(
            fill(t, &v),
            "p=$(az show --name acct1 --query \"a || b\" -o tsv) n=acct1"
        );
        v.insert("principal_id", "1234".into());
        assert_eq!(fill(t, &v), "p=1234 n=acct1");
        assert_eq!(fill("{a|{{literal}}}", &v), "{literal}");
        assert_eq!(fill("{a|unclosed", &v), "{a|unclosed");
    }
}
