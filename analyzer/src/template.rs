//! `{name}` placeholders in remediation text, filled from the evidence.

use std::collections::BTreeMap;

/// Values known for a diagnosis, by placeholder name.
pub type Values = BTreeMap<&'static str, String>;

/// Replaces each `{name}` with its value; an unknown name becomes `<name>`
/// so the reader sees exactly what to fill in. `{{` is a literal brace.
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
            if let Some(j) = tail.find('}') {
                let name = &tail[1..j];
                match values.get(name) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('<');
                        out.push_str(&name.replace('_', "-"));
                        out.push('>');
                    }
                }
                rest = &tail[j + 1..];
                continue;
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
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
}
