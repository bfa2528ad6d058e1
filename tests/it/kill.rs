//! `--out` is complete or absent even under SIGKILL (issue 11, defect 6):
//! 100 runs into one directory, each killed at a pseudo-random moment,
//! leave the old complete set or the new complete set every time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn run(seed: &str, out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_kefusim"))
        .args([
            "run",
            concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/feige_shop.toml"),
        ])
        .args(["--replications", "2", "--seed", seed, "--progress", "never"])
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts")
}

/// Every file of a directory with its bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| {
                    let e = e.unwrap();
                    (
                        e.file_name().into_string().unwrap(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_results_directory_survives_kill_9_at_any_moment() {
    let _cores = crate::support::exclusive();
    let root = std::env::temp_dir().join(format!("kefusim-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let reference = |seed: &str| -> (BTreeMap<String, Vec<u8>>, Duration) {
        let dir: PathBuf = root.join(format!("ref-{seed}"));
        let started = Instant::now();
        assert!(run(seed, &dir).wait().unwrap().success());
        (contents(&dir), started.elapsed())
    };
    let (a, took) = reference("1");
    let (b, _) = reference("2");
    assert_ne!(a["summary.json"], b["summary.json"]);
    let dir = root.join("out");
    assert!(run("1", &dir).wait().unwrap().success());

    // Kill moments spread over the whole run, writing included (an LCG,
    // so the test is the same every time).
    let span = took.as_micros().max(1_000) as u64 * 5 / 4;
    let mut x: u64 = 12_345;
    let (mut old, mut new, mut finished) = (0, 0, 0);
    for i in 0..100 {
        let (seed, target) = if i % 2 == 0 { ("2", &b) } else { ("1", &a) };
        let before = contents(&dir);
        let mut child = run(seed, &dir);
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        std::thread::sleep(Duration::from_micros((x >> 33) % span));
        if child.try_wait().unwrap().is_some() {
            finished += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = contents(&dir);
        if now == *target {
            new += 1;
        } else {
            assert!(
                now == before,
                "kill {i}: a mix of two runs: {:?}",
                now.keys().collect::<Vec<_>>()
            );
            old += 1;
        }
    }
    eprintln!(
        "100 kills: {old} left the old set, {new} the new one ({finished} runs had finished before their kill)"
    );
    assert!(
        old > 0 && new > 0,
        "the kills fell both before and after the swap"
    );
    // A full run afterwards repairs whatever the killed runs left beside it.
    assert!(run("1", &dir).wait().unwrap().success());
    assert_eq!(contents(&dir), a);
    let mut left: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["out", "ref-1", "ref-2"], "nothing left behind");
    let _ = std::fs::remove_dir_all(&root);
}
