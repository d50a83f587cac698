//! `{name}` placeholders in remediation text, filled from the evidence.
//!
//! [`Placeholder`] is the one table of names a template may use: the
//! engine fills [`Values`] by it and [`fill`] resolves names through it, so
//! a name outside the table can only ever show as `<name>` (a test walks
//! every template of the catalog to prove none does).

use std::collections::BTreeMap;

/// Declares the placeholder table: each variant with its `{name}` and what it holds.
macro_rules! placeholders {
    ($($variant:ident = $name:literal: $doc:literal,)+) => {
        /// A `{name}` a template may use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Placeholder {
            $(#[doc = $doc] $variant,)+
        }

        impl Placeholder {
            /// The table, in declaration order.
            pub const ALL: &'static [Placeholder] = &[$(Placeholder::$variant),+];

            /// The name templates write between braces.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Placeholder::$variant => $name,)+
                }
            }

            /// What the value is, and what stands in when the evidence lacks it.
            pub const fn doc(self) -> &'static str {
                match self {
                    $(Placeholder::$variant => $doc,)+
                }
            }
        }
    };
}

placeholders! {
    Subscription = "subscription": "The subscription id of the account.",
    ResourceGroup = "resource_group": "The resource group of the account.",
    Account = "account": "The Batch account name.",
    AccountId = "account_id": "The Batch account's ARM id.",
    Applications = "applications": "Application packages, e.g. `app1 2.0, app2`; else `an application package`.",
    StorageAccountId = "storage_account_id": "The autostorage account's ARM id.",
    IdentityResourceId = "identity_resource_id": "The node identity's ARM id (the reference, the identity asked of IMDS, or the pool's).",
    PrincipalId = "principal_id": "The principal id of the account's identity.",
    Tasks = "tasks": "Tasks as `job/task`, comma-separated.",
    MissingIdentities = "missing_identities": "ARM ids of identities resource files name that no pool has.",
    MissingNames = "missing_names": "Short names of those identities; else `an identity`.",
    ReturnedClientId = "returned_client_id": "The client id IMDS answered for.",
    ExpectedClientId = "expected_client_id": "The client id the pool lists for the identity asked for.",
    StorageUrl = "storage_url": "The first Storage URL, without its query.",
    IdentityName = "identity_name": "`identity <short name>`; else `the node identity`.",
    PoolPhrase = "pool_phrase": "`pool <ids>`; else `the pool`.",
    TheAccount = "the_account": "`Batch account <name>`; else `the Batch account`.",
    NodesPhrase = "nodes_phrase": "`N nodes of pool <ids>`, `the nodes of pool <ids>`, or `its nodes`.",
    NodeReboots = "node_reboots": "One `az batch node reboot` per node; without node ids, a command that finds the starting ones.",
    Pools = "pools": "Pool ids, comma-separated.",
    Pool = "pool": "One pool id (a command naming it is repeated for each pool).",
}

impl Placeholder {
    /// The entry of the table with this name.
    pub fn from_name(name: &str) -> Option<Placeholder> {
        Placeholder::ALL.iter().copied().find(|p| p.name() == name)
    }
}

/// Values known for a diagnosis, by placeholder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(BTreeMap<Placeholder, String>);

impl Values {
    /// No value known: every placeholder shows as `<name>` or its fallback.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a value.
    pub fn insert(&mut self, p: Placeholder, value: String) {
        self.0.insert(p, value);
    }

    /// The value of a placeholder, when known.
    pub fn get(&self, p: Placeholder) -> Option<&str> {
        self.0.get(&p).map(String::as_str)
    }

    /// The value of a placeholder written by name; names outside the table have none.
    fn by_name(&self, name: &str) -> Option<&str> {
        Placeholder::from_name(name).and_then(|p| self.get(p))
    }
}

/// One piece of a template: literal text, or a placeholder with its fallback.
enum Piece<'t> {
    Text(&'t str),
    Slot {
        name: &'t str,
        fallback: Option<&'t str>,
    },
}

/// Splits a template into pieces. `{{` and `}}` are literal braces; a
/// brace that opens no well-formed placeholder is literal too.
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        if i > 0 {
            out.push(Piece::Text(&rest[..i]));
        }
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push(Piece::Text(&tail[..1]));
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
                    out.push(Piece::Slot { name, fallback });
                    rest = &tail[end + 1..];
                    continue;
                }
            }
        }
        out.push(Piece::Text(&tail[..1]));
        rest = &tail[1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// Every placeholder name a template uses, those inside fallbacks included,
/// in order of appearance.
pub fn names(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for p in pieces(template) {
        if let Piece::Slot { name, fallback } = p {
            out.push(name);
            if let Some(f) = fallback {
                out.extend(names(f));
            }
        }
    }
    out
}

/// Replaces each `{name}` with its value; an unknown name becomes `<name>`
/// so the reader sees exactly what to fill in. `{name|fallback}` gives
/// `fallback` (itself a template, e.g. a command that looks the value up)
/// when the value is unknown. `{{` and `}}` are literal braces.
pub fn fill(template: &str, values: &Values) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    for p in pieces(template) {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Slot { name, fallback } => match (values.by_name(name), fallback) {
                (Some(v), _) => out.push_str(v),
                (None, Some(f)) => out.push_str(&fill(f, values)),
                (None, None) => {
                    out.push('<');
                    out.push_str(&name.replace('_', "-"));
                    out.push('>');
                }
            },
        }
    }
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
        v.insert(Placeholder::Account, "acct1".into());
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
        v.insert(Placeholder::Account, "acct1".into());
        let t =
            "p={principal_id|$(az show --name {account} --query \"a || b\" -o tsv)} n={account|x}";
        assert_eq!(
            fill(t, &v),
            "p=$(az show --name acct1 --query \"a || b\" -o tsv) n=acct1"
        );
        v.insert(Placeholder::PrincipalId, "1234".into());
        assert_eq!(fill(t, &v), "p=1234 n=acct1");
        assert_eq!(fill("{a|{{literal}}}", &v), "{literal}");
        assert_eq!(fill("{a|unclosed", &v), "{a|unclosed");
    }

    #[test]
    fn names_are_found_inside_fallbacks_and_not_in_escapes() {
        assert_eq!(
            names("a {account} {principal_id|$(show {account_id} --query \"{{x: y}}\")} %{{http_code}}"),
            ["account", "principal_id", "account_id"]
        );
        assert!(names("dangling { and {a|unclosed").is_empty());
    }

    #[test]
    fn the_table_names_each_placeholder_once() {
        for (i, p) in Placeholder::ALL.iter().enumerate() {
            assert_eq!(Placeholder::from_name(p.name()), Some(*p));
            assert!(!p.doc().is_empty());
            assert!(
                !Placeholder::ALL[..i].iter().any(|q| q.name() == p.name()),
                "{} twice",
                p.name()
            );
        }
        assert_eq!(Placeholder::from_name("nope"), None);
    }
}
