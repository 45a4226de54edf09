//! The push route under a real load generator: wrk (Debian's package) against calsim and
//! against a bare axum route in the same run, 1 thread, 32 connections, 5 s, 3 rounds
//! each, 1,000 distinct realistic pushes rotating over users 1-5 and five apps, Cal.com's
//! default secret and key, default journal and logging. Prints requests/s, p50/p99,
//! peak RSS (VmHWM) and cold start (process start to first answer) for both, and the
//! ratio of the medians. Loopback only.
//!
//! `cargo bench --bench load` (needs `wrk`: `apt-get install wrk`)
//!
//! Where the push route's time went (perf on `calsim serve` under this load, 2026-12-02,
//! when the baseline here served about 120,000 req/s and calsim 0.45x of it): the
//! kernel's socket work about 39% (as for bare axum), glibc's malloc and free about 21%
//! (its arena locks: one runtime thread frees what the other allocated), the per-push
//! log line about 12% (formatting it and one write(2) to stderr each), the journal about
//! 9%, the route's own work (JSON.parse, hex, AES, zod, upsert) the rest. After: the
//! binary (and this benchmark, so the baseline too) allocates with jemalloc, and the log
//! writes at most 50 lines a second (the rest are counted in one line), which took the
//! route from about 56,000 to about 78,000 req/s: 0.63x to 0.67x of the baseline in the
//! same run. Peak RSS stayed about 28 MiB.
//!
//! Second pass (perf with frame pointers, 2026-12-03, on a busier machine where this
//! benchmark read 0.59x to 0.69x): the handler was 38% of calsim's samples, the kernel's
//! socket work most of the rest. Inside the handler: decrypting and storing 15% (of
//! which building the `{"message"}` answer through a `serde_json` map 3.6%, the key's
//! UTF-16 units collected into a vector 1.5%), the journal 11% (its entry size taken by
//! writing the verdict to a string 1.8%, the evicted entry freed under the lock 2.3%),
//! `from_utf8_lossy`'s byte-by-byte check of the body 1.6%, `JSON.parse` of body and
//! plaintext 5.4%. After writing the answer directly, counting the verdict's bytes,
//! reading the key in place, checking UTF-8 word by word and freeing outside the lock:
//! 0.70x to 0.77x in four runs, and the in-process benchmark went from 0.71x to 0.81x.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The allocator the `calsim` binary ships with, so the baseline runs on it too.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const ROUNDS: usize = 3;
const APPS: [&str; 5] = [
    "google-calendar",
    "zoom",
    "office365-calendar",
    "hubspot",
    "msteams",
];

/// The bare baseline: a route that reads the body and answers a JSON message.
async fn bare() {
    let app = axum::Router::new().route(
        "/api/webhook/app-credential",
        axum::routing::post(|body: bytes::Bytes| async move {
            let _ = body.len();
            axum::Json(serde_json::json!({ "message": "ok" }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("{}", listener.local_addr().unwrap().port());
    std::io::stdout().flush().unwrap();
    axum::serve(listener, app).await.unwrap();
}

struct Server {
    child: Child,
    url: String,
    cold_start: Duration,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a server, reads its port from its first stdout line, and measures the time to
/// its first answer.
fn start(mut command: Command, port_of: impl Fn(&str) -> u16) -> Server {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = format!("http://127.0.0.1:{}", port_of(&line));
    let address = url.trim_start_matches("http://").to_owned();
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(&address) {
            let request = "POST /api/webhook/app-credential HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut answer = [0u8; 12];
                if std::io::Read::read(&mut stream, &mut answer).unwrap_or(0) > 0 {
                    break;
                }
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the server answers within 10 s"
        );
    }
    Server {
        child,
        url,
        cold_start: started.elapsed(),
    }
}

fn peak_rss_kib(server: &Server) -> u64 {
    std::fs::read_to_string(format!("/proc/{}/status", server.child.id()))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A wrk script rotating over the push bodies.
fn script(secret: &str) -> String {
    let key =
        calsim::crypto::EncryptionKey::from_env_string("calsim-dev-key-0123456789abcdef!").unwrap();
    let mut bodies = Vec::with_capacity(1_000);
    for index in 0..1_000_i64 {
        let token = format!(
            r#"{{"access_token":"ya29.load-{index:05}-a0AfH6SMBx","refresh_token":"1//load-{index:05}","scope":"https://www.googleapis.com/auth/calendar","token_type":"Bearer","expiry_date":{}}}"#,
            1_900_000_000_000_i64 + index
        );
        let keys = calsim::crypto::symmetric_encrypt(&token, &key);
        let body = format!(
            r#"{{"userId":{},"appSlug":"{}","keys":"{keys}"}}"#,
            1 + index % 5,
            APPS[(index % 5) as usize]
        );
        bodies.push(format!("[[{body}]]"));
    }
    format!(
        "local bodies = {{{}}}\nlocal i = 0\nwrk.method = \"POST\"\nwrk.headers[\"content-type\"] = \"application/json\"\nwrk.headers[\"calcom-credential-sync-secret\"] = \"{secret}\"\nrequest = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, \"/api/webhook/app-credential\", nil, bodies[i])\nend\n",
        bodies.join(",")
    )
}

struct Run {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
}

fn milliseconds(text: &str) -> f64 {
    let text = text.trim();
    let number = |suffix: &str| {
        text.trim_end_matches(suffix)
            .parse::<f64>()
            .unwrap_or(f64::NAN)
    };
    if text.ends_with("us") {
        number("us") / 1000.0
    } else if text.ends_with("ms") {
        number("ms")
    } else if text.ends_with('s') {
        number("s") * 1000.0
    } else {
        f64::NAN
    }
}

fn wrk(url: &str, script: &std::path::Path) -> Run {
    let output = Command::new("wrk")
        .args(["-t1", "-c32", "-d5s", "--latency", "-s"])
        .arg(script)
        .arg(url)
        .output()
        .expect("wrk runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let field = |prefix: &str| {
        text.lines().find_map(|line| {
            line.trim()
                .strip_prefix(prefix)
                .map(str::trim)
                .map(str::to_owned)
        })
    };
    Run {
        requests_per_second: field("Requests/sec:")
            .and_then(|value| value.parse().ok())
            .unwrap_or(0.0),
        p50_ms: field("50%").map_or(f64::NAN, |value| milliseconds(&value)),
        p99_ms: field("99%").map_or(f64::NAN, |value| milliseconds(&value)),
        non_2xx: field("Non-2xx or 3xx responses:")
            .and_then(|value| value.parse().ok())
            .unwrap_or(0),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    if std::env::var("CALSIM_LOAD_ROLE").as_deref() == Ok("bare") {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(bare());
        return;
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("wrk is not installed (apt-get install wrk); skipping the load benchmark");
        return;
    }
    let script_path = std::env::temp_dir().join(format!("calsim-load-{}.lua", std::process::id()));
    std::fs::write(&script_path, script("calsim-dev-sync-secret")).unwrap();
    let mut bare_command = Command::new(std::env::current_exe().unwrap());
    bare_command.env("CALSIM_LOAD_ROLE", "bare");
    let bare = start(bare_command, |line| line.trim().parse().unwrap());
    let mut calsim_command = Command::new(env!("CARGO_BIN_EXE_calsim"));
    calsim_command.args(["serve", "--port", "0", "--ready-json"]);
    let calsim = start(calsim_command, |line| {
        serde_json::from_str::<serde_json::Value>(line).unwrap()["port"]
            .as_u64()
            .unwrap() as u16
    });
    let (mut bare_runs, mut calsim_runs) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        bare_runs.push(wrk(&bare.url, &script_path));
        calsim_runs.push(wrk(&calsim.url, &script_path));
    }
    let report = |name: &str, runs: &[Run], server: &Server| {
        let rate = median(runs.iter().map(|run| run.requests_per_second).collect());
        println!(
            "{name:28} {rate:>9.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  non-2xx {:>6}  peak RSS {:>6.1} MiB  cold start {:>6.1} ms",
            median(runs.iter().map(|run| run.p50_ms).collect()),
            median(runs.iter().map(|run| run.p99_ms).collect()),
            runs.iter().map(|run| run.non_2xx).sum::<u64>(),
            peak_rss_kib(server) as f64 / 1024.0,
            server.cold_start.as_secs_f64() * 1000.0,
        );
        rate
    };
    let baseline = report("bare axum (baseline)", &bare_runs, &bare);
    let pushed = report("calsim push route", &calsim_runs, &calsim);
    println!(
        "calsim / bare axum, median req/s: {:.2}x",
        pushed / baseline
    );
    let _ = std::fs::remove_file(script_path);
}
