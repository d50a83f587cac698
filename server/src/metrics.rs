//! Counters for `/metrics`, written by hand in the Prometheus text format
//! (a handful of series does not need a metrics framework).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the request-duration histogram, in seconds.
const BUCKETS: [f64; 10] = [0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0];

/// Everything `/metrics` shows.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    durations: Mutex<BTreeMap<&'static str, Histogram>>,
    diagnoses: Mutex<BTreeMap<String, u64>>,
    rejections: Mutex<BTreeMap<&'static str, u64>>,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    in_flight: AtomicI64,
    cancelled: AtomicU64,
    spooled: AtomicU64,
}

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

fn bump<K: Ord>(m: &Mutex<BTreeMap<K, u64>>, k: K, n: u64) {
    let mut m = m.lock().unwrap_or_else(|e| e.into_inner());
    *m.entry(k).or_default() += n;
}

impl Metrics {
    /// One request answered.
    pub fn request(&self, route: &'static str, status: u16, took: Duration) {
        bump(&self.requests, (route, status), 1);
        let mut d = self.durations.lock().unwrap_or_else(|e| e.into_inner());
        let h = d.entry(route).or_default();
        let secs = took.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Body bytes received.
    pub fn bytes_in(&self, n: u64) {
        self.bytes_in.fetch_add(n, Ordering::Relaxed);
    }

    /// Response bytes sent.
    pub fn bytes_out(&self, n: u64) {
        self.bytes_out.fetch_add(n, Ordering::Relaxed);
    }

    /// A request refused (`reason` is a fixed word: too_large, timeout, busy...).
    pub fn reject(&self, reason: &'static str) {
        bump(&self.rejections, reason, 1);
    }

    /// A diagnosis reported.
    pub fn diagnosis(&self, code: &str) {
        bump(&self.diagnoses, code.to_string(), 1);
    }

    /// An analysis stopped because its client went away or time ran out.
    pub fn cancelled(&self) {
        self.cancelled.fetch_add(1, Ordering::Relaxed);
    }

    /// Bytes of an uploaded zip written to a temporary file.
    pub fn spooled(&self, n: u64) {
        self.spooled.fetch_add(n, Ordering::Relaxed);
    }

    /// An analysis starts (+1) or ends (-1).
    pub fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut o = String::new();
        o.push_str("# HELP batchdiag_requests_total HTTP requests answered, by route and status.\n# TYPE batchdiag_requests_total counter\n");
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                o,
                "batchdiag_requests_total{{route=\"{route}\",code=\"{status}\"}} {n}"
            );
        }
        o.push_str("# HELP batchdiag_request_duration_seconds Time to answer a request, by route.\n# TYPE batchdiag_request_duration_seconds histogram\n");
        for (route, h) in self
            .durations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "batchdiag_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                o,
                "batchdiag_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                o,
                "batchdiag_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                o,
                "batchdiag_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(o, "# HELP batchdiag_received_bytes_total Request body bytes received.\n# TYPE batchdiag_received_bytes_total counter\nbatchdiag_received_bytes_total {}", self.bytes_in.load(Ordering::Relaxed));
        let _ = writeln!(o, "# HELP batchdiag_sent_bytes_total Response body bytes sent by the API.\n# TYPE batchdiag_sent_bytes_total counter\nbatchdiag_sent_bytes_total {}", self.bytes_out.load(Ordering::Relaxed));
        o.push_str("# HELP batchdiag_diagnoses_total Diagnoses reported, by code.\n# TYPE batchdiag_diagnoses_total counter\n");
        for (code, n) in self
            .diagnoses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            // Codes come from the catalog (BD101...), never from the upload.
            let _ = writeln!(o, "batchdiag_diagnoses_total{{code=\"{code}\"}} {n}");
        }
        o.push_str("# HELP batchdiag_rejections_total Requests refused, by reason.\n# TYPE batchdiag_rejections_total counter\n");
        for (reason, n) in self
            .rejections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(o, "batchdiag_rejections_total{{reason=\"{reason}\"}} {n}");
        }
        let _ = writeln!(o, "# HELP batchdiag_analyses_in_flight Analyses and copies running now.\n# TYPE batchdiag_analyses_in_flight gauge\nbatchdiag_analyses_in_flight {}", self.in_flight.load(Ordering::Relaxed));
        let _ = writeln!(o, "# HELP batchdiag_analyses_cancelled_total Analyses stopped early (client gone, time limit, shutdown).\n# TYPE batchdiag_analyses_cancelled_total counter\nbatchdiag_analyses_cancelled_total {}", self.cancelled.load(Ordering::Relaxed));
        let _ = writeln!(o, "# HELP batchdiag_spooled_bytes_total Bytes of uploaded zips written to unlinked temporary files.\n# TYPE batchdiag_spooled_bytes_total counter\nbatchdiag_spooled_bytes_total {}", self.spooled.load(Ordering::Relaxed));
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_every_family() {
        let m = Metrics::default();
        m.request("analyze", 200, Duration::from_millis(30));
        m.reject("too_large");
        m.diagnosis("BD101");
        m.bytes_in(10);
        m.spooled(7);
        let t = m.render();
        assert!(
            t.contains("batchdiag_requests_total{route=\"analyze\",code=\"200\"} 1\n"),
            "{t}"
        );
        assert!(t.contains(
            "batchdiag_request_duration_seconds_bucket{route=\"analyze\",le=\"0.01\"} 0\n"
        ));
        assert!(t.contains(
            "batchdiag_request_duration_seconds_bucket{route=\"analyze\",le=\"0.05\"} 1\n"
        ));
        assert!(t.contains("batchdiag_rejections_total{reason=\"too_large\"} 1\n"));
        assert!(t.contains("batchdiag_diagnoses_total{code=\"BD101\"} 1\n"));
        assert!(t.contains("batchdiag_received_bytes_total 10\n"));
        assert!(t.contains("batchdiag_spooled_bytes_total 7\n"));
    }
}
