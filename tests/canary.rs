//! The binary-level canary suite (issue 12): every credential shape of the
//! vocabulary, placed in every container the product reads, with a unique
//! canary in its secret part. Each bundle is analysed, copied and checked
//! by the real `batchdiag` binary, and the canary must appear in no output:
//!
//! - `analyze` in every format (text, json, markdown, html) and `--each`,
//!   stdout and stderr;
//! - `redact` (the copy unpacked at every depth, its stdout and stderr);
//! - `redact --check`, which exits 1 on the original and names each
//!   finding with its place and kind, and exits 0 on the copy;
//!
//! and the copy analyses to the same diagnoses (codes and confidence) as
//! the original. A deterministic table covers every shape × container;
//! proptest adds random placements. Many placements share one bundle so
//! that the number of processes stays small (each costs a start-up).

use std::collections::{BTreeSet, HashSet};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Canaries and shapes

/// A unique marker per placement, spelled in the alphabet the shape allows.
#[derive(Clone, Copy, Debug)]
struct Canary(u32);

/// The characters a shape's secret part may hold.
#[derive(Clone, Copy)]
enum Alphabet {
    /// `[A-Za-z0-9]`
    Alnum,
    /// `[a-f0-9]`
    Hex,
    /// `[A-Z0-9]`
    Upper,
    /// `[A-Za-z]`
    Alpha,
    /// `[a-z]` (base32 as NuGet writes it)
    Lower,
}

/// The length of every marker, whatever its alphabet.
const MARK_LEN: usize = 12;

impl Canary {
    /// The marker itself in `a` (what the outputs are searched for).
    fn mark(self, a: Alphabet) -> String {
        let n = self.0;
        let m = match a {
            Alphabet::Alnum => format!("Cnry{n:06}Qz"),
            Alphabet::Hex => format!("c0ffee{n:06x}"),
            Alphabet::Upper => format!("CNRY{n:06}QZ"),
            Alphabet::Alpha => {
                let letters: String = format!("{n:06}")
                    .bytes()
                    .map(|d| char::from(b'k' + (d - b'0')))
                    .collect();
                format!("Cnry{letters}Qz")
            }
            Alphabet::Lower => {
                let letters: String = format!("{n:06}")
                    .bytes()
                    .map(|d| char::from(b'k' + (d - b'0')))
                    .collect();
                format!("cnry{letters}qz")
            }
        };
        assert_eq!(
            m.len(),
            MARK_LEN,
            "{m}: every marker is found by its length"
        );
        m
    }

    /// Exactly `len` characters of `a` holding the marker at the start and,
    /// when there is room, again at the end (a match cut short would leave
    /// the tail).
    fn fill(self, a: Alphabet, len: usize) -> String {
        let m = self.mark(a);
        assert!(len >= m.len(), "{len} cannot hold {m}");
        let pad = match a {
            Alphabet::Alnum | Alphabet::Alpha | Alphabet::Lower => 'b',
            Alphabet::Hex => 'a',
            Alphabet::Upper => 'B',
        };
        let mut s = m.clone();
        if len > 2 * m.len() {
            s.extend(std::iter::repeat_n(pad, len - 2 * m.len()));
            s.push_str(&m);
        } else {
            s.extend(std::iter::repeat_n(pad, len - m.len()));
        }
        s
    }
}

/// One credential shape: the kinds `--check` may name it by, and its sample.
struct Shape {
    /// The vocabulary kind (the first is what a shape rule names it).
    kinds: &'static [&'static str],
    /// The alphabet of its canary.
    alphabet: Alphabet,
    /// A sample holding the canary.
    make: fn(Canary) -> String,
}

impl Shape {
    /// Whether the sample has characters a URL or a member name would
    /// percent-encode (the vocabulary does not decode those: README).
    fn url_safe(&self) -> bool {
        !(self.make)(Canary(0)).contains([' ', '"', '\\', '\n'])
    }
}

use Alphabet::{Alnum, Alpha, Hex, Lower, Upper};

/// Every shape rule of the vocabulary, and the three context rules a
/// shape-less secret is caught by most often.
const SHAPES: &[Shape] = &[
    Shape {
        kinds: &["jwt"],
        alphabet: Alnum,
        make: |c| format!("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.{}", c.fill(Alnum, 43)),
    },
    Shape {
        kinds: &["jwt-base64"],
        alphabet: Alnum,
        make: |c| format!("ZXlK{}", c.fill(Alnum, 60)),
    },
    Shape {
        kinds: &["entra-token"],
        alphabet: Alnum,
        make: |c| format!("0.AXoA{}", c.fill(Alnum, 120)),
    },
    Shape {
        kinds: &["entra-token"],
        alphabet: Alnum,
        make: |c| format!("1.AVYA{}-{}", c.fill(Alnum, 60), c.fill(Alnum, 60)),
    },
    Shape {
        kinds: &["msa-token"],
        alphabet: Alnum,
        make: |c| format!("EwBwA{}", c.fill(Alnum, 200)),
    },
    Shape {
        kinds: &["entra-client-secret"],
        alphabet: Alnum,
        make: |c| format!("abc8Q~{}", c.fill(Alnum, 34)),
    },
    Shape {
        kinds: &["storage-key"],
        alphabet: Alnum,
        make: |c| format!("{}==", c.fill(Alnum, 86)),
    },
    Shape {
        kinds: &["azure-function-key"],
        alphabet: Alnum,
        make: |c| format!("{}AzFubbbbbA==", c.fill(Alnum, 44)),
    },
    Shape {
        kinds: &["azure-search-key"],
        alphabet: Alnum,
        make: |c| format!("{}AzSeAbbbbb", c.fill(Alnum, 42)),
    },
    Shape {
        kinds: &["azure-redis-key"],
        alphabet: Alnum,
        make: |c| format!("{}AzCaAbbbbb=", c.fill(Alnum, 33)),
    },
    Shape {
        kinds: &["azure-container-registry-key"],
        alphabet: Alnum,
        make: |c| format!("{}+ACRAbbbbb", c.fill(Alnum, 42)),
    },
    Shape {
        kinds: &["azure-apim-key", "storage-key"],
        alphabet: Alnum,
        make: |c| format!("{}APIMbbbbbA==", c.fill(Alnum, 76)),
    },
    Shape {
        kinds: &["azure-sas-key"],
        alphabet: Alnum,
        make: |c| format!("{}+ASbAbbbbb=", c.fill(Alnum, 33)),
    },
    Shape {
        kinds: &["azure-devops-pat"],
        alphabet: Alnum,
        make: |c| format!("{}JQQJ99b{}AZDObbbb", c.fill(Alnum, 52), "b".repeat(17)),
    },
    Shape {
        kinds: &["azure-common-annotated-key"],
        alphabet: Alnum,
        make: |c| format!("{}JQQJ99bA{}Bbbbbbbb", c.fill(Alnum, 52), c.fill(Alnum, 16)),
    },
    Shape {
        kinds: &["azure-identifiable-key", "storage-key"],
        alphabet: Alnum,
        make: |c| format!("{}+AStbbbbbg==", c.fill(Alnum, 76)),
    },
    Shape {
        kinds: &["azure-sas-key"],
        alphabet: Alnum,
        make: |c| format!("{}AZEGPbbbbb=", c.fill(Alnum, 33)),
    },
    Shape {
        kinds: &["jwt"],
        alphabet: Alnum,
        make: |c| {
            format!(
                "ewogICJhbGciOiAiSFMyNTYiCn0.ewogICJzdWIiOiAiMTIzNDU2Nzg5MCIKfQ.{}",
                c.fill(Alnum, 30)
            )
        },
    },
    Shape {
        kinds: &["docker-hub-token"],
        alphabet: Alnum,
        make: |c| format!("dckr_pat_{}", c.fill(Alnum, 27)),
    },
    Shape {
        kinds: &["nuget-api-key"],
        alphabet: Lower,
        make: |c| format!("oy2{}", c.fill(Lower, 43)),
    },
    Shape {
        kinds: &["pkcs12-certificate"],
        alphabet: Alnum,
        make: |c| format!("MIIKCQIBAzCC{}==", c.fill(Alnum, 120)),
    },
    Shape {
        kinds: &["private-key"],
        alphabet: Alnum,
        make: |c| {
            format!(
                "-----BEGIN RSA PRIVATE KEY----- MIIE{} -----END RSA PRIVATE KEY-----",
                c.fill(Alnum, 64)
            )
        },
    },
    Shape {
        kinds: &["github-token"],
        alphabet: Alnum,
        make: |c| format!("ghp_{}", c.fill(Alnum, 36)),
    },
    Shape {
        kinds: &["github-token"],
        alphabet: Alnum,
        make: |c| format!("github_pat_{}", c.fill(Alnum, 82)),
    },
    Shape {
        kinds: &["gitlab-token"],
        alphabet: Alnum,
        make: |c| format!("glpat-{}", c.fill(Alnum, 20)),
    },
    Shape {
        kinds: &["aws-access-key-id"],
        alphabet: Upper,
        make: |c| format!("AKIA{}", c.fill(Upper, 16)),
    },
    Shape {
        kinds: &["google-api-key"],
        alphabet: Alnum,
        make: |c| format!("AIza{}", c.fill(Alnum, 35)),
    },
    Shape {
        kinds: &["slack-token"],
        alphabet: Alnum,
        make: |c| format!("xoxb-123456789012-{}", c.fill(Alnum, 24)),
    },
    Shape {
        kinds: &["slack-webhook"],
        alphabet: Alnum,
        make: |c| {
            format!(
                "https://hooks.slack.com/services/T0000AAAA/B0000BBBB/{}",
                c.fill(Alnum, 24)
            )
        },
    },
    Shape {
        kinds: &["stripe-key"],
        alphabet: Alnum,
        make: |c| format!("sk_live_{}", c.fill(Alnum, 24)),
    },
    Shape {
        kinds: &["npm-token"],
        alphabet: Alnum,
        make: |c| format!("npm_{}", c.fill(Alnum, 36)),
    },
    Shape {
        kinds: &["pypi-token"],
        alphabet: Alnum,
        make: |c| format!("pypi-AgEIcHlwaS5vcmc{}", c.fill(Alnum, 60)),
    },
    Shape {
        kinds: &["openai-key"],
        alphabet: Alnum,
        make: |c| format!("sk-proj-{}T3BlbkFJ{}", c.fill(Alnum, 20), c.fill(Alnum, 20)),
    },
    Shape {
        kinds: &["anthropic-key"],
        alphabet: Alnum,
        make: |c| format!("sk-ant-api03-{}", c.fill(Alnum, 90)),
    },
    Shape {
        kinds: &["sendgrid-key"],
        alphabet: Alnum,
        make: |c| format!("SG.{}.{}", c.fill(Alnum, 22), c.fill(Alnum, 43)),
    },
    Shape {
        kinds: &["vault-token"],
        alphabet: Alnum,
        make: |c| format!("hvs.{}", c.fill(Alnum, 95)),
    },
    Shape {
        kinds: &["databricks-token"],
        alphabet: Hex,
        make: |c| format!("dapi{}", c.fill(Hex, 32)),
    },
    Shape {
        kinds: &["huggingface-token"],
        alphabet: Alpha,
        make: |c| format!("hf_{}", c.fill(Alpha, 34)),
    },
    Shape {
        kinds: &["shopify-token"],
        alphabet: Hex,
        make: |c| format!("shpat_{}", c.fill(Hex, 32)),
    },
    Shape {
        kinds: &["digitalocean-token"],
        alphabet: Hex,
        make: |c| format!("dop_v1_{}", c.fill(Hex, 64)),
    },
    Shape {
        kinds: &["atlassian-token"],
        alphabet: Alnum,
        make: |c| format!("ATATT3{}", c.fill(Alnum, 186)),
    },
    Shape {
        kinds: &["postman-key"],
        alphabet: Hex,
        make: |c| format!("PMAK-{}-{}", c.fill(Hex, 24), c.fill(Hex, 34)),
    },
    Shape {
        kinds: &["grafana-token"],
        alphabet: Alnum,
        make: |c| format!("glsa_{}_abcdef01", c.fill(Alnum, 32)),
    },
    Shape {
        kinds: &["newrelic-key"],
        alphabet: Upper,
        make: |c| format!("NRAK-{}", c.fill(Upper, 27)),
    },
    Shape {
        kinds: &["telegram-bot-token"],
        alphabet: Alnum,
        make: |c| format!("123456789:AA{}", c.fill(Alnum, 33)),
    },
    Shape {
        kinds: &["url-userinfo"],
        alphabet: Alnum,
        make: |c| {
            format!(
                "https://deploy:{}@artifacts.contoso.com/s.tgz",
                c.fill(Alnum, 16)
            )
        },
    },
    Shape {
        kinds: &["secret-query-parameter", "sas-signature"],
        alphabet: Alnum,
        make: |c| {
            format!(
                "https://sa.blob.core.windows.net/c/b?sv=2022-11-02&sig={}%3D",
                c.fill(Alnum, 30)
            )
        },
    },
    Shape {
        kinds: &["authorization-credential"],
        alphabet: Alnum,
        make: |c| format!("Bearer {}", c.fill(Alnum, 40)),
    },
];

// ---------------------------------------------------------------------------
// Containers

/// Every container the reader opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Container {
    HarRequestHeader,
    HarResponseHeader,
    HarCookie,
    HarQuery,
    HarFormPost,
    HarBodyPlain,
    HarBodyBase64,
    HarBodyGzipBase64,
    HarWebSocketText,
    HarWebSocketBinary,
    LogLine,
    LongLine,
    TaskExport,
    PoolExport,
    AccountExport,
    ImdsProbe,
    StorageProbe,
    MemberName,
    ArchiveComment,
    NestedArchive,
    Utf16File,
}

const CONTAINERS: &[Container] = &[
    Container::HarRequestHeader,
    Container::HarResponseHeader,
    Container::HarCookie,
    Container::HarQuery,
    Container::HarFormPost,
    Container::HarBodyPlain,
    Container::HarBodyBase64,
    Container::HarBodyGzipBase64,
    Container::HarWebSocketText,
    Container::HarWebSocketBinary,
    Container::LogLine,
    Container::LongLine,
    Container::TaskExport,
    Container::PoolExport,
    Container::AccountExport,
    Container::ImdsProbe,
    Container::StorageProbe,
    Container::MemberName,
    Container::ArchiveComment,
    Container::NestedArchive,
    Container::Utf16File,
];

impl Container {
    /// Whether `shape` can stand here at all: a URL or a member name would
    /// percent-encode a secret of several words.
    fn holds(self, shape: &Shape) -> bool {
        !matches!(self, Container::HarQuery | Container::MemberName) || shape.url_safe()
    }

    /// Where a shape rule does not decide the kind: the place does (every
    /// cookie is blanked as a cookie, whatever it holds).
    fn place_decides_kind(self) -> bool {
        matches!(self, Container::HarCookie)
    }

    fn file_name(self, chunk: usize) -> String {
        let stem = format!("{self:?}").to_ascii_lowercase();
        match self {
            c if c.is_har() => format!("{stem}-{chunk}.har"),
            Container::LogLine | Container::LongLine => format!("{stem}-{chunk}/agent-debug.log"),
            Container::Utf16File => format!("{stem}-{chunk}/agent-debug.log"),
            Container::TaskExport | Container::PoolExport | Container::AccountExport => {
                format!("{stem}-{chunk}.json")
            }
            Container::ImdsProbe | Container::StorageProbe => format!("{stem}-{chunk}.txt"),
            Container::MemberName | Container::ArchiveComment => format!("{stem}-{chunk}.zip"),
            _ => format!("{stem}-{chunk}.tar.gz"),
        }
    }

    fn is_har(self) -> bool {
        (self as usize) <= Container::HarWebSocketBinary as usize
    }

    /// The file holding `secrets` in this container.
    fn build(self, secrets: &[String]) -> Vec<u8> {
        match self {
            c if c.is_har() => har(secrets.iter().map(|s| har_entry(c, s)).collect()),
            Container::LogLine => log_lines(secrets).into_bytes(),
            Container::LongLine => {
                // Past 64 KiB, and one line past the reader's 1 MiB line limit.
                let all = secrets.join(" ");
                format!(
                    "2024-05-01T10:00:00.000Z INFO {} {all} end\n2024-05-01T10:00:01.000Z INFO {} {all} end\n",
                    "x".repeat(70 * 1024),
                    "y".repeat((1 << 20) + 4096)
                )
                .into_bytes()
            }
            Container::Utf16File => {
                let mut v = vec![0xFF, 0xFE];
                v.extend(log_lines(secrets).encode_utf16().flat_map(u16::to_le_bytes));
                v
            }
            Container::NestedArchive => {
                let inner = zip_of(&[("p/n/agent-debug.log", log_lines(secrets).into_bytes())]);
                gz(&tar_of(&[("upload/logs.zip", inner)]))
            }
            Container::MemberName => zip_of(
                &secrets
                    .iter()
                    .map(|s| {
                        (
                            format!("logs/{s}/agent.log"),
                            b"2024-05-01T10:00:00Z INFO ok\n".to_vec(),
                        )
                    })
                    .collect::<Vec<_>>(),
            ),
            Container::ArchiveComment => {
                let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
                w.set_comment(secrets.join(" ")).expect("a short comment");
                w.start_file("note.txt", zip::write::SimpleFileOptions::default())
                    .expect("in memory");
                w.write_all(b"nothing to see\n").expect("in memory");
                w.finish().expect("in memory").into_inner()
            }
            Container::TaskExport => {
                let details: Vec<Value> = secrets
                    .iter()
                    .enumerate()
                    .map(|(i, s)| json!({"name": format!("Note{i}"), "value": s}))
                    .collect();
                json!({"id": "canary-task", "state": "completed",
                    "commandLine": "/bin/bash -c 'render'",
                    "resourceFiles": [{"autoStorageContainerName": "inputs", "filePath": "inputs"}],
                    "executionInfo": {"result": "failure", "failureInfo": {"category": "usererror",
                        "code": "ResourceContainerListMiscError",
                        "message": format!("Miscellaneous error: {}", secrets.join(" ")),
                        "details": details}}})
                .to_string()
                .into_bytes()
            }
            Container::PoolExport => {
                let metadata: Vec<Value> = secrets
                    .iter()
                    .enumerate()
                    .map(|(i, s)| json!({"name": format!("note{i}"), "value": s}))
                    .collect();
                serde_json::to_vec_pretty(&json!({"id": "canary-pool",
                    "url": "https://contosobatch.westeurope.batch.azure.com/pools/canary-pool",
                    "state": "active", "vmSize": "standard_d2s_v3", "metadata": metadata}))
                .expect("in memory")
            }
            Container::AccountExport => {
                let tags: serde_json::Map<String, Value> = secrets
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (format!("note{i}"), json!(s)))
                    .collect();
                serde_json::to_vec_pretty(&json!({
                    "id": "/subscriptions/6f3c8a52-1d4e-4b7a-9c21-0e5d8f7a9b13/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/canaryacct",
                    "name": "canaryacct", "type": "Microsoft.Batch/batchAccounts", "location": "westeurope",
                    "tags": tags,
                    "properties": {"accountEndpoint": "canaryacct.westeurope.batch.azure.com",
                        "autoStorage": {"storageAccountId": "/subscriptions/6f3c8a52-1d4e-4b7a-9c21-0e5d8f7a9b13/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/canarysa",
                            "authenticationMode": "BatchAccountManagedIdentity"}}}))
                .expect("in memory")
            }
            Container::ImdsProbe => {
                let notes: String = secrets
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("< X-Note-{i}: {s}\n"))
                    .collect();
                format!("> GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/ HTTP/1.1\n> Host: 169.254.169.254\n> Metadata: true\n>\n< HTTP/1.1 400 Bad Request\n< Content-Type: application/json; charset=utf-8\n{notes}<\n{{\"error\":\"invalid_request\",\"error_description\":\"Identity not found {}\"}}\n", secrets.join(" ")).into_bytes()
            }
            Container::StorageProbe => {
                let notes: String = secrets
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("< x-ms-note-{i}: {s}\n"))
                    .collect();
                format!("> GET /inputs/scene.blend HTTP/1.1\n> Host: canarysa.blob.core.windows.net\n> x-ms-version: 2021-08-06\n>\n< HTTP/1.1 403 This request is not authorized to perform this operation using this permission.\n< x-ms-error-code: AuthorizationPermissionMismatch\n{notes}<\n<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission. {}</Message></Error>\n", secrets.join(" ")).into_bytes()
            }
            _ => unreachable!("every container is built above"),
        }
    }
}

/// One agent-log line per secret (with the markers that make it a log).
fn log_lines(secrets: &[String]) -> String {
    let mut s = String::from(
        "2024-05-01T10:00:00.000Z INFO agent \"PoolName\":\"canary-pool\" \"TVMName\":\"tvm-9_1-20240501t095900z\" health=Status.TvmJoinPoolInProgress\n",
    );
    for (i, secret) in secrets.iter().enumerate() {
        s.push_str(&format!(
            "2024-05-01T10:{:02}:{:02}.000Z INFO agent note {secret} end\n",
            1 + i / 60,
            i % 60
        ));
    }
    s
}

fn har(entries: Vec<Value>) -> Vec<u8> {
    json!({"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "entries": entries}})
        .to_string()
        .into_bytes()
}

fn har_entry(c: Container, secret: &str) -> Value {
    let enc = base64::engine::general_purpose::STANDARD;
    let mut e = json!({"startedDateTime": "2024-05-01T10:00:00Z", "time": 1,
        "request": {"method": "GET", "url": "https://contoso.example/api/items", "headers": [{"name": "Accept", "value": "*/*"}], "cookies": []},
        "response": {"status": 200, "headers": [{"name": "Content-Type", "value": "text/plain"}], "cookies": [],
            "content": {"mimeType": "text/plain", "text": "ok"}}});
    match c {
        Container::HarRequestHeader => {
            e["request"]["headers"] = json!([{"name": "X-Note", "value": secret}]);
        }
        Container::HarResponseHeader => {
            e["response"]["headers"] = json!([{"name": "X-Note", "value": secret}]);
        }
        Container::HarCookie => e["request"]["cookies"] = json!([{"name": "s", "value": secret}]),
        Container::HarQuery => {
            e["request"]["url"] = json!(format!("https://contoso.example/api/items?note={secret}"));
        }
        Container::HarFormPost => {
            e["request"]["method"] = json!("POST");
            e["request"]["postData"] = json!({"mimeType": "application/x-www-form-urlencoded",
                "text": format!("grant_type=client_credentials&note={secret}")});
        }
        Container::HarBodyPlain => {
            e["response"]["content"] = json!({"mimeType": "application/json",
                "text": json!({"message": secret}).to_string()});
        }
        Container::HarBodyBase64 => {
            e["response"]["content"] = json!({"mimeType": "text/plain", "encoding": "base64",
                "text": enc.encode(format!("note {secret}\n"))});
        }
        Container::HarBodyGzipBase64 => {
            e["response"]["content"] = json!({"mimeType": "text/plain", "encoding": "base64",
                "text": enc.encode(gz(format!("note {secret}\n").as_bytes()))});
        }
        Container::HarWebSocketText => {
            e["request"]["url"] = json!("wss://contoso.example/ws");
            e["_webSocketMessages"] = json!([{"type": "send", "time": 1714557601.5, "opcode": 1, "data": format!("note {secret}")}]);
        }
        Container::HarWebSocketBinary => {
            e["request"]["url"] = json!("wss://contoso.example/ws");
            e["_webSocketMessages"] = json!([{"type": "receive", "time": 1714557601.5, "opcode": 2, "data": enc.encode(format!("note {secret}"))}]);
        }
        _ => unreachable!("only HAR containers have entries"),
    }
    e
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("in memory");
    e.finish().expect("in memory")
}

fn tar_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        tar.append_data(&mut h, name, &data[..]).expect("in memory");
    }
    tar.into_inner().expect("in memory")
}

fn zip_of<N: AsRef<str>>(files: &[(N, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (n, b) in files {
        w.start_file(n.as_ref(), zip::write::SimpleFileOptions::default())
            .expect("in memory");
        w.write_all(b).expect("in memory");
    }
    w.finish().expect("in memory").into_inner()
}

// ---------------------------------------------------------------------------
// A bundle of placements, and what is checked of it

/// One secret of one shape in one container.
#[derive(Clone, Debug)]
struct Placement {
    shape: usize,
    container: Container,
    canary: Canary,
}

impl Placement {
    fn secret(&self) -> String {
        (SHAPES[self.shape].make)(self.canary)
    }
    fn mark(&self) -> String {
        self.canary.mark(SHAPES[self.shape].alphabet)
    }
}

/// At most this many placements per file: `--check` lists 50 findings of
/// an input with their place, and each placement must be seen listed.
const PER_FILE: usize = 24;

/// The corpus bundles copied into every test bundle, so that the original
/// has diagnoses the copy must keep.
const DIAGNOSED: &[&str] = &[
    "corpus/bd203-scenario4",
    "corpus/bd401-imds-client-id",
    "corpus/bd403-storage-no-version",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
}

fn batchdiag(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_batchdiag"))
        .args(args)
        .current_dir(root())
        .env_remove("BATCHDIAG_FORMAT")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Codes and confidences of a JSON report.
fn diagnoses(o: &Output) -> BTreeSet<(String, String)> {
    let out = String::from_utf8_lossy(&o.stdout);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"));
    let mut all = BTreeSet::new();
    {
        for d in v["diagnoses"].as_array().expect("diagnoses") {
            all.insert((d["code"].to_string(), d["confidence"].to_string()));
        }
    }
    all
}

/// Writes the bundle of `placements` under `dir` and returns its files
/// (relative paths) with the placements each holds.
fn write_bundle(dir: &Path, placements: &[Placement]) -> Vec<(String, Vec<Placement>)> {
    for src in DIAGNOSED {
        let name = Path::new(src).file_name().expect("a name");
        let to = dir.join("diagnosed").join(name);
        std::fs::create_dir_all(&to).expect("mkdir");
        for f in std::fs::read_dir(root().join(src)).expect("corpus") {
            let f = f.expect("entry").path();
            std::fs::copy(&f, to.join(f.file_name().expect("a name"))).expect("copy");
        }
    }
    let mut files = Vec::new();
    for &c in CONTAINERS {
        let here: Vec<Placement> = placements
            .iter()
            .filter(|p| p.container == c)
            .cloned()
            .collect();
        for (chunk, group) in here.chunks(PER_FILE).enumerate() {
            let name = c.file_name(chunk);
            let secrets: Vec<String> = group.iter().map(Placement::secret).collect();
            let path = dir.join(&name);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(&path, c.build(&secrets)).expect("write");
            files.push((name, group.to_vec()));
        }
    }
    files
}

/// Everything in a file, unpacked at every depth (gzip, zip with its
/// comment, tar, UTF-16, base64 strings of JSON), as text.
fn unpacked(bytes: &[u8], all: &mut String, depth: u32) {
    assert!(depth < 8, "nested too deep");
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut inner = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut inner)
            .expect("the copy's gzip reads");
        return unpacked(&inner, all, depth + 1);
    }
    if bytes.starts_with(b"PK") {
        let mut z =
            zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the copy's zip reads");
        all.push_str(&String::from_utf8_lossy(z.comment()));
        for i in 0..z.len() {
            let mut m = z.by_index(i).expect("member");
            all.push_str(&format!("\n{}\n", m.name().expect("a member name")));
            let mut b = Vec::new();
            m.read_to_end(&mut b).expect("member reads");
            unpacked(&b, all, depth + 1);
        }
        return;
    }
    if bytes.get(257..262) == Some(b"ustar") {
        let mut t = tar::Archive::new(bytes);
        for e in t.entries().expect("the copy's tar reads") {
            let mut e = e.expect("tar member");
            all.push_str(&format!("\n{}\n", String::from_utf8_lossy(&e.path_bytes())));
            let mut b = Vec::new();
            e.read_to_end(&mut b).expect("member reads");
            unpacked(&b, all, depth + 1);
        }
        return;
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        all.push_str(&String::from_utf16_lossy(&units));
        return;
    }
    all.push_str(&String::from_utf8_lossy(bytes));
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        strings(&v, all, depth);
    }
}

/// Base64 strings of a JSON document (HAR bodies, binary frames), decoded.
fn strings(v: &Value, all: &mut String, depth: u32) {
    match v {
        Value::String(s) => {
            if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(s) {
                all.push('\n');
                unpacked(&b, all, depth + 1);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| strings(x, all, depth)),
        Value::Object(o) => o.values().for_each(|x| strings(x, all, depth)),
        _ => {}
    }
}

fn unpack_dir(dir: &Path, all: &mut String) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("a directory")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        all.push_str(&format!("\n{}\n", p.display()));
        if p.is_dir() {
            unpack_dir(&p, all);
        } else {
            unpacked(&std::fs::read(&p).expect("read"), all, 0);
        }
    }
}

/// Every marker-shaped string in `haystack`: one pass per marker prefix,
/// so that hundreds of placements cost no more than one search.
fn marks_in(haystack: &str) -> HashSet<&str> {
    let mut found = HashSet::new();
    for prefix in ["Cnry", "CNRY", "cnry", "c0ffee"] {
        for (at, _) in haystack.match_indices(prefix) {
            if let Some(m) = haystack.get(at..at + MARK_LEN) {
                found.insert(m);
            }
        }
    }
    found
}

/// Asserts that no canary of `placements` is in `haystack` (what `what` wrote).
fn assert_no_canary(haystack: &str, placements: &[Placement], what: &str) {
    let found = marks_in(haystack);
    let left: Vec<String> = placements
        .iter()
        .filter(|p| found.contains(p.mark().as_str()))
        .map(|p| format!("{:?} in {:?}", SHAPES[p.shape].kinds, p.container))
        .collect();
    assert!(left.is_empty(), "{what} leaks: {left:#?}");
}

/// The whole suite over one bundle of placements.
fn check_bundle(placements: &[Placement]) {
    let tmp = tempfile::TempDir::new().expect("a temp dir");
    let bundle = tmp.path().join("bundle");
    let files = write_bundle(&bundle, placements);
    let b = bundle.to_str().expect("UTF-8 temp path");

    // The canaries are really there to be found.
    let mut original = String::new();
    unpack_dir(&bundle, &mut original);
    let planted = marks_in(&original);
    for p in placements {
        assert!(planted.contains(p.mark().as_str()), "not planted: {p:?}");
    }

    // analyze, every format, the bundle whole and --each file.
    let mut before = BTreeSet::new();
    for format in ["text", "json", "markdown", "html"] {
        let o = batchdiag(&["analyze", "-v", "-f", format, b]);
        assert_no_canary(&text(&o), placements, &format!("analyze -f {format}"));
        if format == "json" {
            before = diagnoses(&o);
        }
    }
    let each_paths: Vec<String> = files
        .iter()
        .map(|(n, _)| bundle.join(n).display().to_string())
        .collect();
    for format in ["json", "text"] {
        let mut args = vec!["analyze", "--each", "-f", format];
        args.extend(each_paths.iter().map(String::as_str));
        let o = batchdiag(&args);
        assert_no_canary(
            &text(&o),
            placements,
            &format!("analyze --each -f {format}"),
        );
    }

    // The gate on the original: exit 1, each placement named by its file
    // and kind, no value.
    let gate = batchdiag(&["redact", "--check", b]);
    let gate_out = text(&gate);
    assert_eq!(
        gate.status.code(),
        Some(1),
        "the original holds secrets: {gate_out}"
    );
    assert_no_canary(&gate_out, placements, "redact --check");
    for (name, group) in &files {
        let lines: Vec<&str> = gate_out
            .lines()
            .filter(|l| l.contains(name.as_str()))
            .collect();
        for p in group {
            let shape = &SHAPES[p.shape];
            let named = lines.iter().any(|l| {
                p.container.place_decides_kind()
                    || shape.kinds.iter().any(|k| l.ends_with(&format!(": {k}")))
            });
            assert!(
                named,
                "{name}: no finding names {:?} ({:?}): {lines:#?}",
                shape.kinds, p.container
            );
        }
        if !matches!(
            group.first().map(|p| p.container),
            Some(Container::ArchiveComment)
        ) {
            assert!(
                lines.len() >= group.len(),
                "{name}: {} findings listed for {} placements: {lines:#?}",
                lines.len(),
                group.len()
            );
        }
    }

    // The copy: nothing left, in the files or on the terminal; the gate
    // passes on it; it diagnoses the same.
    let copy = tmp.path().join("copy");
    let c = copy.to_str().expect("UTF-8 temp path");
    let o = batchdiag(&["redact", b, "-o", c]);
    assert_eq!(o.status.code(), Some(0), "redact: {}", text(&o));
    assert_no_canary(&text(&o), placements, "redact (stdout, stderr)");
    let mut copied = String::new();
    unpack_dir(&copy, &mut copied);
    assert_no_canary(&copied, placements, "the copy");
    let again = batchdiag(&["redact", "--check", c]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "the copy passes the gate: {}",
        text(&again)
    );

    let after = diagnoses(&batchdiag(&["analyze", "-f", "json", c]));
    for code in ["BD203", "BD401", "BD403"] {
        assert!(
            before.iter().any(|(c, _)| c.contains(code)),
            "{code} in {before:?}"
        );
    }
    assert_eq!(before, after, "the copy diagnoses the same");
}

/// Every shape in every container that can hold it, at least once.
#[test]
fn every_shape_in_every_container() {
    let mut placements = Vec::new();
    for &container in CONTAINERS {
        for (shape, s) in SHAPES.iter().enumerate() {
            if container.holds(s) {
                let canary = Canary(placements.len() as u32 + 1);
                placements.push(Placement {
                    shape,
                    container,
                    canary,
                });
            }
        }
    }
    assert!(placements.len() > SHAPES.len() * (CONTAINERS.len() - 2));
    check_bundle(&placements);
}

fn placement() -> impl Strategy<Value = (usize, usize)> {
    (0..SHAPES.len(), 0..CONTAINERS.len())
}

proptest! {
    // Each case spawns a dozen processes: a few cases of many placements.
    // No regressions file is written into the source tree; a failure
    // prints its placements, which the deterministic table can then hold.
    #![proptest_config(ProptestConfig {
        cases: 4,
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_placements_leave_no_canary(
        picks in proptest::collection::vec(placement(), 1..24),
        base in 100u32..9000,
    ) {
        let placements: Vec<Placement> = picks
            .iter()
            .enumerate()
            .filter(|(_, (s, c))| CONTAINERS[*c].holds(&SHAPES[*s]))
            .map(|(i, &(shape, c))| Placement { shape, container: CONTAINERS[c], canary: Canary(base * 100 + i as u32) })
            .collect();
        prop_assume!(!placements.is_empty());
        check_bundle(&placements);
    }
}
