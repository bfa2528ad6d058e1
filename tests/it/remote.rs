//! Issue 13: routing by a service over the routing protocol. `kefusim
//! serve` carries everything the built-in router uses (byte-identical
//! results for every shipped scenario); faults of the service stop the run
//! with exit 7 and nothing written; `serve` survives bad requests. Only
//! 127.0.0.1 is ever contacted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::support::{Served, kefusim, repo, text};

/// `kefusim run scenarios/double11.toml --router URL [extra] --out DIR`
/// against a service killed 1.5 s into the run.
fn run_while_the_service_dies(extra: &[&str], out_dir: &Path) -> Output {
    let mut served = Served::start("scenarios/double11.toml");
    let child = Command::new(env!("CARGO_BIN_EXE_kefusim"))
        .args(["run", "scenarios/double11.toml", "--progress", "never"])
        .args(["--router", &served.url])
        .args(extra)
        .args(["--out", out_dir.to_str().unwrap()])
        .current_dir(repo(""))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    served.child.kill().unwrap();
    child.wait_with_output().unwrap()
}

/// `run --router` against `kefusim serve` writes the same summary.json,
/// timeseries.csv and agents.csv as the built-in router, for every shipped
/// scenario (2 replications each, on 2 threads: sessions are independent).
#[test]
fn serve_reproduces_the_built_in_router_for_every_shipped_scenario() {
    let tmp = std::env::temp_dir().join(format!("kefusim-remote-{}", std::process::id()));
    let mut scenarios: Vec<_> = std::fs::read_dir(repo("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 7);
    for sc in &scenarios {
        let sc = sc.to_str().unwrap();
        let served = Served::start(sc);
        let stem = std::path::Path::new(sc)
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap();
        let (local, remote) = (
            tmp.join(format!("{stem}-local")),
            tmp.join(format!("{stem}-remote")),
        );
        for (dir, router) in [(&local, None), (&remote, Some(served.url.as_str()))] {
            let mut args = vec![
                "run",
                sc,
                "--replications",
                "2",
                "--threads",
                "2",
                "--progress",
                "never",
                "--no-report",
                "--out",
                dir.to_str().unwrap(),
            ];
            if let Some(url) = router {
                args.extend(["--router", url]);
            }
            let out = kefusim(&args);
            assert!(
                matches!(out.status.code(), Some(0 | 5)),
                "{sc}: {}",
                text(&out.stderr)
            );
        }
        for f in ["summary.json", "timeseries.csv", "agents.csv"] {
            assert!(
                std::fs::read(local.join(f)).unwrap() == std::fs::read(remote.join(f)).unwrap(),
                "{sc}: {f} differs between the built-in router and kefusim serve"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A free loopback port with nothing listening on it.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fake service: answers each connection's requests with `answer` (raw
/// HTTP), or never answers when it is `None`.
fn fake(answer: Option<&'static str>) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        listener.set_nonblocking(false).unwrap();
        let mut held = Vec::new();
        for _ in 0..4 {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let mut buf = [0u8; 4096];
            let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
            let _ = s.read(&mut buf);
            match answer {
                Some(a) => {
                    let _ = s.write_all(a.as_bytes());
                }
                None => held.push(s),
            }
        }
        std::thread::sleep(Duration::from_secs(3));
    });
    (url, handle)
}

/// Faults of the service: exit 7 with a clear message, before or instead of
/// any result; nothing is written.
#[test]
fn a_failing_service_stops_the_run_with_exit_7_and_writes_nothing() {
    let tmp = std::env::temp_dir().join(format!("kefusim-remote-fault-{}", std::process::id()));
    let out_dir = tmp.join("out");
    let run = |url: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "scenarios/quickstart.toml",
            "--progress",
            "never",
            "--router",
            url,
            "--out",
            out_dir.to_str().unwrap(),
        ];
        args.extend(extra);
        kefusim(&args)
    };
    // Down at start.
    let url = format!("http://127.0.0.1:{}", closed_port());
    let out = run(&url, &[]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("routing service {url}: GET /v1/health")),
        "{err}"
    );
    assert!(!out_dir.exists());
    // Answers that are not the protocol's.
    let (url, _h) = fake(Some(
        "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
    ));
    let out = run(&url, &[]);
    assert_eq!(out.status.code(), Some(7));
    assert!(
        text(&out.stderr).contains("the answer is not valid"),
        "{}",
        text(&out.stderr)
    );
    let (url, _h) = fake(Some(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 20\r\nconnection: close\r\n\r\n{\"error\":\"overload\"}",
    ));
    let out = run(&url, &[]);
    assert_eq!(out.status.code(), Some(7));
    assert!(
        text(&out.stderr).contains("HTTP 503 Service Unavailable: overload"),
        "{}",
        text(&out.stderr)
    );
    // No answer in time ([routing] timeout).
    let slow = tmp.join("slow.toml");
    std::fs::create_dir_all(&tmp).unwrap();
    let base = std::fs::read_to_string(repo("scenarios/quickstart.toml")).unwrap();
    std::fs::write(
        &slow,
        base.replace("[routing]\n", "[routing]\ntimeout = \"300ms\"\n"),
    )
    .unwrap();
    assert_ne!(
        std::fs::read_to_string(&slow).unwrap(),
        base,
        "quickstart has [routing]"
    );
    let (url, _h) = fake(None);
    let started = std::time::Instant::now();
    let out = kefusim(&[
        "run",
        slow.to_str().unwrap(),
        "--progress",
        "never",
        "--router",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(7));
    assert!(
        text(&out.stderr).contains("no answer in time"),
        "{}",
        text(&out.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    // A service for another shop refuses the session (409).
    let other = Served::start("scenarios/feige_shop.toml");
    let out = run(&other.url, &[]);
    assert_eq!(out.status.code(), Some(7));
    assert!(
        text(&out.stderr).contains("HTTP 409 Conflict"),
        "{}",
        text(&out.stderr)
    );
    drop(other);
    // Dies mid-run.
    let out = run_while_the_service_dies(&[], &out_dir);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("POST /v1/sessions/"),
        "{}",
        text(&out.stderr)
    );
    assert!(!out_dir.exists(), "nothing is written");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Safe by default: loopback only, http only, clear usage errors.
#[test]
fn routing_services_are_loopback_unless_allowed() {
    let out = kefusim(&[
        "run",
        "scenarios/quickstart.toml",
        "--router",
        "http://10.1.2.3:80",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(
        "is not on this machine; kefusim only talks to loopback services unless --allow-remote"
    ));
    let out = kefusim(&[
        "run",
        "scenarios/quickstart.toml",
        "--router",
        "https://127.0.0.1:80",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("https is not supported"));
    let out = kefusim(&[
        "run",
        "scenarios/quickstart.toml",
        "--router",
        "http://127.0.0.1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("names no port"));
    let out = kefusim(&[
        "serve",
        "scenarios/quickstart.toml",
        "--listen",
        "0.0.0.0:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a loopback address"));
    let out = kefusim(&["serve", "scenarios/quickstart.toml", "--idle-exit", "0s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--idle-exit must be a duration of at least 1s"));
    // In the file: located errors.
    let tmp =
        std::env::temp_dir().join(format!("kefusim-remote-check-{}.toml", std::process::id()));
    let base = std::fs::read_to_string(repo("scenarios/quickstart.toml")).unwrap();
    std::fs::write(
        &tmp,
        base.replace(
            "[routing]\n",
            "[routing]\nservice = \"ftp://127.0.0.1:1\"\ntimeout = \"20m\"\n",
        ),
    )
    .unwrap();
    let out = kefusim(&["check", tmp.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.contains("routing.service") && err.contains("is not an http:// URL"),
        "{err}"
    );
    assert!(err.contains("timeout must be 1ms..=10m, got 20m"), "{err}");
    let _ = std::fs::remove_file(&tmp);
}

/// POSTs `body` to `url` and returns the status (0 if no answer).
fn post(agent: &ureq::Agent, url: &str, body: &[u8]) -> u16 {
    match agent
        .post(url)
        .header("content-type", "application/json")
        .send(body)
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// Hundreds of bad bodies: `serve` answers each with a status (4xx for the
/// malformed, 422 for events its router cannot follow), never panics or
/// hangs, and is still healthy afterwards.
#[test]
fn serve_survives_bad_requests() {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut below = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let served = Served::start("scenarios/taobao_shop.toml");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let sc = kefusim::scenario::Scenario::load(&repo("scenarios/taobao_shop.toml")).unwrap();
    let hello = serde_json::to_vec(&kefusim::remote::hello(&sc, 0)).unwrap();
    let open = |agent: &ureq::Agent| -> String {
        let mut r = agent
            .post(format!("{}/v1/sessions", served.url))
            .header("content-type", "application/json")
            .send(&hello[..])
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let w: kefusim::remote::Welcome = r.body_mut().read_json().unwrap();
        format!("{}/v1/sessions/{}/events", served.url, w.session)
    };
    let valid = br#"{"now":1000,"changes":[],"events":[{"type":"arrived","chat":{"slot":0,"id":0},"arrived_at":1000,"group":0,"queue":0,"kind":{"kind":"new"},"tier":0,"offline":false}]}"#;
    let mut events_url = open(&agent);
    assert_eq!(post(&agent, &events_url, valid), 200);
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..400 {
        let base: &[u8] = if i % 2 == 0 { valid } else { &hello };
        let mut body = base.to_vec();
        for _ in 0..1 + below(5) {
            if body.is_empty() {
                break;
            }
            let at = below(body.len());
            match below(4) {
                0 => body[at] = below(256) as u8,
                1 => {
                    body.remove(at);
                }
                2 => body.insert(at, b"{}[]\",:-9e99"[below(12)]),
                _ => body.truncate(at),
            }
        }
        let url = if i % 2 == 0 {
            events_url.clone()
        } else {
            format!("{}/v1/sessions", served.url)
        };
        let status = post(&agent, &url, &body);
        assert!(
            (200..500).contains(&status),
            "request {i} got {status}: {}",
            String::from_utf8_lossy(&body)
        );
        *statuses.entry(status).or_insert(0) += 1;
        if status == 422 || status == 404 {
            events_url = open(&agent);
        }
    }
    // Events the router cannot follow: an agent and a group it does not know.
    let bad = br#"{"now":1,"changes":[{"agent":99999,"cap":1,"weight":1,"routable":true,"main":false,"shift_assigned":0,"presence":"online","open":0,"reserved":0,"last_assigned_at":null,"idle_since":0,"last_activity":0}],"events":[]}"#;
    assert_eq!(post(&agent, &events_url, bad), 400);
    let bad = br#"{"now":1,"events":[{"type":"arrived","chat":{"slot":0,"id":0},"arrived_at":1,"group":77,"queue":77,"kind":{"kind":"new"},"tier":0,"offline":false}]}"#;
    assert_eq!(post(&agent, &events_url, bad), 422);
    assert_eq!(
        post(&agent, &format!("{}/v1/nothing", served.url), b"{}"),
        404
    );
    let health = agent
        .get(format!("{}/v1/health", served.url))
        .call()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200, "{statuses:?}");
    assert!(
        statuses.get(&400).copied().unwrap_or(0) > 100,
        "{statuses:?}"
    );
}

/// The protocol's schema in the repo is what kefusim prints, and the
/// document's sample messages are messages kefusim reads.
#[test]
fn the_protocol_document_and_schema_match_the_code() {
    let out = kefusim(&["schema", "--protocol"]);
    assert!(out.status.success());
    let saved = std::fs::read_to_string(repo("docs/protocol.schema.json")).unwrap();
    assert!(
        text(&out.stdout) == saved,
        "docs/protocol.schema.json is stale: kefusim schema --protocol > docs/protocol.schema.json"
    );
    let doc = std::fs::read_to_string(repo("docs/protocol.md")).unwrap();
    let blocks: Vec<&str> = doc
        .split("```json\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert_eq!(
        blocks.len(),
        7,
        "Health, Hello, Welcome, Events, sample events, Answer, a callback's Answer"
    );
    use kefusim::remote::{Answer, Events, Health, Hello, Welcome};
    serde_json::from_str::<Health>(blocks[0]).unwrap();
    serde_json::from_str::<Hello>(blocks[1]).unwrap();
    serde_json::from_str::<Welcome>(blocks[2]).unwrap();
    let e: Events = serde_json::from_str(blocks[3]).unwrap();
    assert_eq!(e.changes.len(), 1);
    for line in blocks[4].lines() {
        serde_json::from_str::<kefusim::routing::Notice>(line)
            .unwrap_or_else(|err| panic!("{line}: {err}"));
    }
    let a: Answer = serde_json::from_str(blocks[5]).unwrap();
    assert_eq!(a.commands.len(), 1);
    let callback: Answer = serde_json::from_str(blocks[6]).unwrap();
    assert_eq!(callback.reply_to, Some(57));
    assert_eq!(e.seq, 57);
    // An answer may leave both fields out.
    let empty: Answer = serde_json::from_str("{}").unwrap();
    assert!(empty.commands.is_empty() && !empty.more);
}

/// Starts an example router (`examples/routers/NAME.py`) on a free port:
/// the process and its URL, or `None` without python3 (`cargo test` needs
/// no system package; `.ci/run` sets KEFUSIM_REQUIRE_PYTHON after
/// installing python3 when it is missing, and then this fails instead).
fn python_router(name: &str) -> Option<(Child, String)> {
    if Command::new("python3").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("KEFUSIM_REQUIRE_PYTHON").is_none(),
            "python3 is required (KEFUSIM_REQUIRE_PYTHON)"
        );
        eprintln!("note: python3 not found; the {name} router's test is skipped");
        return None;
    }
    let mut child = Command::new("python3")
        .args([&format!("examples/routers/{name}.py"), "--port", "0"])
        .current_dir(repo(""))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line[line.find("http://127.0.0.1:").expect(&line)..]
        .trim()
        .to_string();
    Some((child, url))
}

/// The example router (Python standard library, written from the protocol
/// document alone) routes the quickstart. It implements least-active with
/// the documented tie-break but not the platform's other rules (returning
/// and addressed buyers are routed like new ones), so its results are
/// compared with the built-in `least_active` within confidence intervals,
/// not byte for byte.
#[test]
fn the_python_example_router_routes_the_quickstart() {
    let Some((mut child, url)) = python_router("least_active") else {
        return;
    };
    let run = |router: Option<&str>| {
        let mut args = vec![
            "run",
            "scenarios/quickstart.toml",
            "--replications",
            "4",
            "--format",
            "json",
            "--progress",
            "never",
        ];
        if let Some(u) = router {
            args.extend(["--router", u]);
        }
        let out = kefusim(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let remote = run(Some(&url));
    let _ = child.kill();
    let _ = child.wait();
    let local = run(None);
    for m in [
        "answered_within_120s_over_offered",
        "abandon_rate",
        "occupancy",
    ] {
        let (a, b) = (&remote["metrics"][m], &local["metrics"][m]);
        let (ma, mb) = (a["mean"].as_f64().unwrap(), b["mean"].as_f64().unwrap());
        let (ha, hb) = (a["ci95"].as_f64().unwrap(), b["ci95"].as_f64().unwrap());
        assert!(
            (ma - mb).abs() <= ha + hb + 0.005,
            "{m}: example router {ma} ± {ha}, built-in {mb} ± {hb}"
        );
    }
}

/// A deliberately wrong router (examples/routers/careless.py: ignores
/// presence, caps and private contacts) is refused rule by rule, and
/// kefusim's counts equal the router's own account exactly.
#[test]
fn a_careless_router_is_caught_rule_by_rule() {
    let Some((mut child, url)) = python_router("careless") else {
        return;
    };
    let out = kefusim(&[
        "run",
        "scenarios/feige_shop.toml",
        "--replications",
        "2",
        "--format",
        "json",
        "--progress",
        "never",
        "--router",
        &url,
    ]);
    let own: serde_json::Value = ureq::get(format!("{url}/debug/sessions"))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    // The refusals are in the trace too.
    let traced = kefusim(&[
        "trace",
        "scenarios/feige_shop.toml",
        "--until",
        "2h",
        "--router",
        &url,
    ]);
    assert!(traced.status.success(), "{}", text(&traced.stderr));
    let log = text(&traced.stdout);
    assert!(
        log.lines().any(
            |l| l.contains("\"event\":\"refused\"") && l.contains("\"rule\":\"agent_offline\"")
        ),
        "{}",
        &log[..log.len().min(2000)]
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        out.status.code(),
        Some(5),
        "thresholds missed, not a failure: {}",
        text(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let counted = summary["router"]["violations"].as_object().unwrap();
    let mut expected = std::collections::BTreeMap::new();
    for session in own.as_object().unwrap().values() {
        for (rule, n) in session.as_object().unwrap() {
            *expected.entry(rule.clone()).or_insert(0) += n.as_u64().unwrap();
        }
    }
    assert!(expected.len() >= 2, "{expected:?}");
    let counted: std::collections::BTreeMap<String, u64> = counted
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(counted, expected);
    assert_eq!(summary["router"]["examples"].as_array().unwrap().len(), 5);
    assert!(
        text(&out.stderr).contains("ROUTER: the routing service broke the shop's rules")
            || text(&out.stdout).contains("router")
    );
}

/// A fake service on keep-alive connections: health and sessions answer;
/// events answer `{}` except every `slow`-th (answered after `delay`) and
/// every `bad`-th (HTTP 500).
fn flaky(slow: usize, delay: Duration, bad: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().take(10_000) {
            let Ok(stream) = stream else { return };
            let count = count.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut request = String::new();
                    if reader.read_line(&mut request).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        if h == "\r\n" {
                            break;
                        }
                        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let (status, answer) = if request.contains("/v1/health") {
                        ("200 OK", r#"{"protocol":"kefusim-routing/1"}"#)
                    } else if request.contains("/events") {
                        let n = count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        if n.is_multiple_of(slow) {
                            std::thread::sleep(delay);
                        }
                        if n.is_multiple_of(bad) {
                            ("500 Internal Server Error", r#"{"error":"flaky"}"#)
                        } else {
                            ("200 OK", "{}")
                        }
                    } else if request.starts_with("POST") {
                        ("201 Created", r#"{"session":"1"}"#)
                    } else {
                        ("204 No Content", "")
                    };
                    let reply = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if stream.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// Requests that time out or fail go to the fallback (the chat waits in
/// its queue) and are counted in summary.json; a service that fails
/// `MAX_FAILURES_IN_A_ROW` requests in a row counts as down (exit 7).
#[test]
fn timeouts_and_errors_go_to_the_fallback_and_are_counted() {
    let small = "[run]\nstart = \"2026-11-25T09:00:00+08:00\"\nduration = \"30m\"\nreplications = 1\n\
                 [arrivals]\nrate_per_hour = 40\n[buyers]\npatience = { dist = \"exponential\", mean = \"1m\" }\n\
                 [service]\nduration = { dist = \"exponential\", mean = \"5m\" }\n\
                 [routing]\ntimeout = \"100ms\"\n[[agents]]\ncount = 2\n";
    let tmp = std::env::temp_dir().join(format!("kefusim-flaky-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let sc = tmp.join("small.toml");
    std::fs::write(&sc, small).unwrap();
    let url = flaky(7, Duration::from_millis(300), 5);
    let out = kefusim(&[
        "run",
        sc.to_str().unwrap(),
        "--router",
        &url,
        "--progress",
        "never",
        "--out",
        tmp.join("out").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("out/summary.json")).unwrap())
            .unwrap();
    let router = &summary["router"];
    assert!(router["timeouts"].as_u64().unwrap() > 0, "{router}");
    assert!(router["errors"].as_u64().unwrap() > 0, "{router}");
    assert!(
        text(&out.stdout).contains("ROUTER: the routing service"),
        "{}",
        text(&out.stdout)
    );
    // `kefusim report` reads it back.
    let again = kefusim(&["report", tmp.join("out").to_str().unwrap()]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let html = std::fs::read_to_string(tmp.join("out/report.html")).unwrap();
    assert!(html.contains("Routing service:"));
    // Every request failing: down after MAX_FAILURES_IN_A_ROW.
    let url = flaky(1_000_000, Duration::ZERO, 1);
    let out = kefusim(&[
        "run",
        sc.to_str().unwrap(),
        "--router",
        &url,
        "--progress",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!(
            "{} requests in a row failed",
            kefusim::remote::MAX_FAILURES_IN_A_ROW
        )),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `trace --router` logs the same events against `kefusim serve` as with
/// the built-in router.
#[test]
fn trace_against_serve_is_the_built_in_trace() {
    let served = Served::start("scenarios/taobao_shop.toml");
    let local = kefusim(&["trace", "scenarios/taobao_shop.toml", "--until", "3h"]);
    let remote = kefusim(&[
        "trace",
        "scenarios/taobao_shop.toml",
        "--until",
        "3h",
        "--router",
        &served.url,
    ]);
    assert!(remote.status.success(), "{}", text(&remote.stderr));
    assert!(local.stdout.len() > 10_000);
    assert!(local.stdout == remote.stdout, "the traces differ");
    let down = format!("http://127.0.0.1:{}", closed_port());
    let out = kefusim(&["trace", "scenarios/taobao_shop.toml", "--router", &down]);
    assert_eq!(out.status.code(), Some(7));
}

/// With `--finish-on-fallback`, a service that dies mid-run does not stop
/// the run: it finishes on the fallback and every output says so.
#[test]
fn a_run_can_finish_on_the_fallback_and_says_so() {
    let tmp = std::env::temp_dir().join(format!("kefusim-remote-down-{}", std::process::id()));
    let out_dir = tmp.join("out");
    let out =
        run_while_the_service_dies(&["--replications", "1", "--finish-on-fallback"], &out_dir);
    assert!(
        matches!(out.status.code(), Some(0 | 5)),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("THE ROUTING SERVICE WENT DOWN in 1 replication(s)"),
        "{}",
        text(&out.stdout)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["router"]["service_down"]["replications"], 1);
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("THE ROUTING SERVICE WENT DOWN"));
    let again = kefusim(&["report", out_dir.to_str().unwrap()]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        std::fs::read_to_string(out_dir.join("report.html"))
            .unwrap()
            .contains("THE ROUTING SERVICE WENT DOWN")
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `kefusim serve` on an address it cannot take exits 7 and says why.
#[test]
fn serve_on_a_taken_port_exits_7() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = kefusim(&["serve", "scenarios/quickstart.toml", "--listen", &addr]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!("kefusim serve: cannot listen on {addr}")),
        "{}",
        text(&out.stderr)
    );
}
