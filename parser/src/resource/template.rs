//! ARM template exports: the portal's "Export template", `az group export`
//! and the REST export answer `{"template": {...}}`
//! (<https://learn.microsoft.com/azure/azure-resource-manager/templates/export-template-portal>,
//! <https://learn.microsoft.com/rest/api/resources/resource-groups/export-template>).
//!
//! A template lists `resources[]`; Batch accounts
//! (`Microsoft.Batch/batchAccounts`) and pools (`.../pools`, at the top or
//! nested under their account) are read as the resources they describe.
//! Names and ids are often template expressions
//! (<https://learn.microsoft.com/azure/azure-resource-manager/templates/template-expressions>):
//! `[parameters('x')]` (from the parameter's `defaultValue`, which an export
//! fills in), `[variables('x')]`, `[concat(...)]`, `[format(...)]`,
//! `[resourceId(type, names...)]`, `subscription()` / `resourceGroup()`;
//! they are resolved, and what a template does not know (the subscription,
//! the resource group) stays a `<placeholder>`. Expressions of other
//! functions are kept as written.

use serde_json::{Map, Value};

/// The template a document is, or wraps (`{"template": ...}`).
pub fn template_of(doc: &Value) -> Option<&Value> {
    let t = match doc.get("template") {
        Some(t) if t.get("resources").is_some() => t,
        _ => doc,
    };
    let schema = t.get("$schema").and_then(Value::as_str).unwrap_or_default();
    let is_template = schema.contains("deploymentTemplate")
        || (t.get("contentVersion").is_some() && t.get("resources").is_some());
    (is_template && t.get("resources").is_some_and(Value::is_array)).then_some(t)
}

/// The template's Batch accounts and pools, expressions resolved, each as
/// `(full type in lowercase, account name, resource)`.
pub fn batch_resources(t: &Value) -> Vec<(String, String, Value)> {
    let ctx = Context {
        parameters: t.get("parameters").and_then(Value::as_object),
        variables: t.get("variables").and_then(Value::as_object),
    };
    let mut out = Vec::new();
    if let Some(list) = t.get("resources").and_then(Value::as_array) {
        walk(&ctx, list, None, &mut out);
    }
    out
}

fn walk(
    ctx: &Context,
    list: &[Value],
    parent: Option<(&str, &str)>,
    out: &mut Vec<(String, String, Value)>,
) {
    for r in list {
        let resolved = ctx.resolve_value(r, 0);
        let ty = resolved
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = resolved
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // A nested resource's type and name are relative to its parent's.
        let (full_ty, full_name) = match parent {
            Some((pt, pn)) if !ty.contains('/') => (format!("{pt}/{ty}"), format!("{pn}/{name}")),
            _ => (ty.to_string(), name.to_string()),
        };
        let full_ty = full_ty.to_ascii_lowercase();
        let account = full_name.split('/').next().unwrap_or_default().to_string();
        if full_ty == "microsoft.batch/batchaccounts"
            || full_ty == "microsoft.batch/batchaccounts/pools"
        {
            let mut v = resolved.clone();
            if let Some(o) = v.as_object_mut() {
                o.insert("name".into(), Value::String(full_name.clone()));
                o.remove("resources");
            }
            out.push((full_ty.clone(), account, v));
        }
        if let Some(children) = r.get("resources").and_then(Value::as_array) {
            walk(ctx, children, Some((&full_ty, &full_name)), out);
        }
    }
}

struct Context<'a> {
    parameters: Option<&'a Map<String, Value>>,
    variables: Option<&'a Map<String, Value>>,
}

/// Parameters and variables may name each other: deeper than this is a loop.
const MAX_DEPTH: usize = 16;

impl Context<'_> {
    /// Every string (and object key) of `v` with its expressions resolved.
    fn resolve_value(&self, v: &Value, depth: usize) -> Value {
        match v {
            Value::String(s) => self.resolve_str(s, depth),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.resolve_value(x, depth)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| {
                        let key = match self.resolve_str(k, depth) {
                            Value::String(s) => s,
                            _ => k.clone(),
                        };
                        (key, self.resolve_value(x, depth))
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn resolve_str(&self, s: &str, depth: usize) -> Value {
        let Some(expr) = s
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .filter(|r| !r.starts_with('['))
        else {
            return Value::String(s.to_string());
        };
        let mut p = Parser {
            s: expr.as_bytes(),
            at: 0,
        };
        match p.expr(self, depth) {
            Some(v) if p.done() => v,
            _ => Value::String(s.to_string()),
        }
    }

    fn call(&self, f: &str, args: Vec<Value>, depth: usize) -> Option<Value> {
        // Parameters and variables may refer to each other: a loop ends here, unresolved.
        if depth >= MAX_DEPTH {
            return None;
        }
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Some(match f.to_ascii_lowercase().as_str() {
            "parameters" => {
                let name = args.first()?.as_str()?;
                let p = self.parameters?.get(name)?;
                let v = p.get("defaultValue")?;
                self.resolve_value(v, depth + 1)
            }
            "variables" => {
                let name = args.first()?.as_str()?;
                let v = self.variables?.get(name)?;
                self.resolve_value(v, depth + 1)
            }
            "concat" => Value::String(args.iter().map(text).collect()),
            "format" => {
                let mut out = text(args.first()?);
                for (i, a) in args.iter().skip(1).enumerate() {
                    out = out.replace(&format!("{{{i}}}"), &text(a));
                }
                Value::String(out)
            }
            "tolower" => Value::String(text(args.first()?).to_lowercase()),
            "toupper" => Value::String(text(args.first()?).to_uppercase()),
            "string" => Value::String(text(args.first()?)),
            "subscription" => serde_json::json!({"subscriptionId": "<subscription>", "id": "/subscriptions/<subscription>"}),
            "resourcegroup" => serde_json::json!({"name": "<resource-group>", "location": "<location>"}),
            "resourceid" => {
                let parts: Vec<String> = args.iter().map(text).collect();
                // Optional leading subscription id and resource group: the type is the first with a '/'.
                let at = parts.iter().position(|p| p.contains('/'))?;
                let (scope, rest) = parts.split_at(at);
                let (sub, rg) = match scope {
                    [s, g] => (s.clone(), g.clone()),
                    [g] => ("<subscription>".into(), g.clone()),
                    _ => ("<subscription>".into(), "<resource-group>".into()),
                };
                let (ty, names) = rest.split_first()?;
                let (ns, types) = ty.split_once('/')?;
                let mut id = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}");
                for (t, n) in types.split('/').zip(names) {
                    id.push_str(&format!("/{t}/{n}"));
                }
                Value::String(id)
            }
            _ => return None,
        })
    }
}

/// The expression grammar: calls, string and number literals, property access.
struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn done(&mut self) -> bool {
        self.ws();
        self.at == self.s.len()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self, ctx: &Context, depth: usize) -> Option<Value> {
        self.ws();
        let mut v = match *self.s.get(self.at)? {
            b'\'' => {
                self.at += 1;
                let mut out = Vec::new();
                loop {
                    let c = *self.s.get(self.at)?;
                    self.at += 1;
                    if c == b'\'' {
                        // '' is a quote inside a literal.
                        if self.s.get(self.at) == Some(&b'\'') {
                            self.at += 1;
                            out.push(b'\'');
                            continue;
                        }
                        break;
                    }
                    out.push(c);
                }
                Value::String(String::from_utf8(out).ok()?)
            }
            c if c.is_ascii_digit() || c == b'-' => {
                let start = self.at;
                self.at += 1;
                while self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
                    self.at += 1;
                }
                let n: i64 = std::str::from_utf8(&self.s[start..self.at]).ok()?.parse().ok()?;
                Value::from(n)
            }
            c if c.is_ascii_alphabetic() => {
                let start = self.at;
                while self
                    .s
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    self.at += 1;
                }
                let name = std::str::from_utf8(&self.s[start..self.at]).ok()?.to_string();
                if !self.eat(b'(') {
                    return None;
                }
                let mut args = Vec::new();
                if !self.eat(b')') {
                    loop {
                        args.push(self.expr(ctx, depth)?);
                        if self.eat(b')') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                ctx.call(&name, args, depth)?
            }
            _ => return None,
        };
        // Property access: `resourceGroup().name`.
        while self.eat(b'.') {
            self.ws();
            let start = self.at;
            while self
                .s
                .get(self.at)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                self.at += 1;
            }
            let key = std::str::from_utf8(&self.s[start..self.at]).ok()?;
            v = v.get(key)?.clone();
        }
        Some(v)
    }
}
