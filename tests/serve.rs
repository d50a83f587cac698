//! `batchdiag serve` as a process: graceful shutdown on SIGTERM, and the
//! load test (16 concurrent uploads of a large HAR, each answered with the
//! CLI's JSON, the server's peak RSS bounded). A tiny HTTP/1.1 client over
//! `TcpStream` keeps the test free of an async runtime.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "serve-test-token-0123456789";

/// A running `batchdiag serve` on a loopback port the kernel chose.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, extra: &[&str]) -> Server {
    let tokens = dir.join("tokens");
    std::fs::write(&tokens, format!("{TOKEN}\n")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_batchdiag"))
        .args(["serve", "--bind", "127.0.0.1:0", "--token-file"])
        .arg(&tokens)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    Server { child, addr }
}

/// Sends a request head for a raw upload of `len` bytes.
fn post_head(c: &mut TcpStream, addr: SocketAddr, name: &str, len: u64) {
    write!(
        c,
        "POST /api/v1/analyze HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {TOKEN}\r\nx-file-name: {name}\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
}

/// Reads a whole `connection: close` response: the status, the
/// `x-batchdiag-exit-code` header, the body.
fn response(mut c: TcpStream) -> (u16, Option<String>, Vec<u8>) {
    let mut all = Vec::new();
    c.read_to_end(&mut all).unwrap();
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&all[..split]).into_owned();
    let status = head[9..12].parse().unwrap();
    let exit = head.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("x-batchdiag-exit-code: ")
            .map(str::to_string)
    });
    (status, exit, all[split + 4..].to_vec())
}

fn get(addr: SocketAddr, path: &str) -> std::io::Result<u16> {
    let mut c = TcpStream::connect(addr)?;
    write!(
        c,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )?;
    let mut all = Vec::new();
    c.read_to_end(&mut all)?;
    String::from_utf8_lossy(&all)
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn sigterm_refuses_new_requests_lets_in_flight_finish_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), &["--shutdown-grace", "20"]);
    assert_eq!(get(s.addr, "/healthz").unwrap(), 200);
    let har = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../corpus/bd101-chrome/portal-upload.har"
    ))
    .unwrap();
    // An upload in flight: half of its body sent when the signal comes.
    let mut c = TcpStream::connect(s.addr).unwrap();
    post_head(&mut c, s.addr, "portal-upload.har", har.len() as u64);
    let half = har.len() / 2;
    c.write_all(&har[..half]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let kill = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    std::thread::sleep(Duration::from_millis(500));
    // New requests: refused, by a 503 or by a closed listener.
    match get(s.addr, "/healthz") {
        Ok(code) => assert_eq!(code, 503),
        Err(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
            ),
            "{e}"
        ),
    }
    assert!(
        s.child.try_wait().unwrap().is_none(),
        "the server waits for the upload in flight"
    );
    c.write_all(&har[half..]).unwrap();
    let (status, exit, body) = response(c);
    assert_eq!(status, 200);
    assert_eq!(exit.as_deref(), Some("1"));
    assert!(String::from_utf8_lossy(&body).contains("\"BD101\""));
    let status = wait_exit(&mut s.child, Duration::from_secs(15)).expect("the server exits");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sixteen_concurrent_large_hars_get_the_cli_json_in_bounded_memory() {
    // The README's numbers are for 100 MB (BATCHDIAG_LOAD_MB=100); the
    // default keeps the debug test run short.
    let mb: u64 = std::env::var("BATCHDIAG_LOAD_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("large.har");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&har).unwrap());
        batchdiag_benches::large::write_large_har(&mut f, mb << 20, 7).unwrap();
        f.flush().unwrap();
    }
    let name = har.to_string_lossy().into_owned();
    let cli = Command::new(env!("CARGO_BIN_EXE_batchdiag"))
        .args(["analyze", "-f", "json", &name])
        .output()
        .unwrap();
    assert_eq!(cli.status.code(), Some(1), "BD101 is found");
    let want = cli.stdout;
    let s = start(dir.path(), &["--max-concurrent", "16"]);
    let len = std::fs::metadata(&har).unwrap().len();
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let (addr, har, name) = (s.addr, har.clone(), name.clone());
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                post_head(&mut c, addr, &name, len);
                std::io::copy(&mut std::fs::File::open(&har).unwrap(), &mut c).unwrap();
                response(c)
            })
        })
        .collect();
    for w in workers {
        let (status, exit, body) = w.join().unwrap();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(exit.as_deref(), Some("1"));
        assert!(body == want, "the API's JSON differs from the CLI's");
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.child.id())).unwrap();
    let hwm_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    eprintln!(
        "16 x {} MB HAR: server peak RSS {} MB",
        len >> 20,
        hwm_kb >> 10
    );
    assert!(hwm_kb < 256 << 10, "peak RSS {hwm_kb} kB");
}
