//! `run --shard i/N` and `kefusim merge`: a run split into shards that run
//! anywhere, merged into exactly the files the unsharded run writes.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{kefusim, text};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kefusim-shards-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "{}", text(&out.stderr));
    out
}

/// Every file of `a` equals the same file of `b`, and they hold the same names.
fn same_files(a: &Path, b: &Path) {
    let names = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(a), names(b));
    assert!(names(a).len() >= 3, "{:?}", names(a));
    for n in names(a) {
        assert!(
            std::fs::read(a.join(&n)).unwrap() == std::fs::read(b.join(&n)).unwrap(),
            "{n} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// Runs shards 1..=n of `scenario` into `dir/s<i>`; returns their directories.
fn shards(dir: &Path, scenario: &str, reps: &str, n: u32) -> Vec<PathBuf> {
    (1..=n)
        .map(|i| {
            let d = dir.join(format!("s{i}"));
            let spec = format!("{i}/{n}");
            ok(kefusim(&[
                "run",
                scenario,
                "--replications",
                reps,
                "--shard",
                &spec,
                "--out",
                s(&d),
                "--progress",
                "never",
            ]));
            d
        })
        .collect()
}

fn merge(shards: &[PathBuf], out: &Path) -> Output {
    let mut args = vec!["merge".to_string()];
    args.extend(shards.iter().map(|p| s(p).to_string()));
    args.extend(["--out".to_string(), s(out).to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    kefusim(&args)
}

/// The issue's own check: double11, 40 replications, 8 shards.
#[test]
fn double11_in_eight_shards_merges_to_the_single_run_byte_for_byte() {
    let dir = scratch("d11");
    let single = dir.join("single");
    let whole = ok(kefusim(&[
        "run",
        "scenarios/double11.toml",
        "--replications",
        "40",
        "--out",
        s(&single),
        "--progress",
        "never",
    ]));
    let parts = shards(&dir, "scenarios/double11.toml", "40", 8);
    let all = dir.join("all");
    let merged = ok(merge(&parts, &all));
    same_files(&all, &single);
    assert_eq!(
        text(&merged.stdout),
        text(&whole.stdout),
        "the same summary printed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Uneven splits (10 replications in 3 and 7 shards), and one shard.
#[test]
fn uneven_shards_merge_exactly() {
    let dir = scratch("uneven");
    let single = dir.join("single");
    ok(kefusim(&[
        "run",
        "scenarios/quickstart.toml",
        "--replications",
        "10",
        "--out",
        s(&single),
        "--progress",
        "never",
    ]));
    for n in [1, 3, 7] {
        let sub = dir.join(format!("n{n}"));
        let parts = shards(&sub, "scenarios/quickstart.toml", "10", n);
        // Given in any order.
        let mut given = parts.clone();
        given.reverse();
        let all = sub.join("all");
        ok(merge(&given, &all));
        same_files(&all, &single);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A sweep's (point, replication) work items in shards whose edges fall
/// inside points: the merged sweep.csv and plots are the sweep's own.
#[test]
fn a_sweep_in_shards_merges_to_the_whole_sweep() {
    let dir = scratch("sweep");
    let sweep = |extra: &[&str]| {
        let mut args = vec![
            "sweep",
            "scenarios/quickstart.toml",
            "--set",
            "agents.*.max_concurrent=3,5",
            "--set",
            "routing.policy=least_active,round_robin",
            "--replications",
            "3",
        ];
        args.extend_from_slice(extra);
        ok(kefusim(&args))
    };
    let single = dir.join("single");
    let whole = sweep(&["--out", s(&single)]);
    // 4 points × 3 replications = 12 work items: 3 and 7 shards split
    // them unevenly, some inside a point.
    let mut parts = Vec::new();
    for n in [1, 3, 7] {
        parts = (1..=n)
            .map(|i| {
                let d = dir.join(format!("n{n}-s{i}"));
                sweep(&["--shard", &format!("{i}/{n}"), "--out", s(&d)]);
                d
            })
            .collect();
        let all = dir.join(format!("all{n}"));
        let merged = ok(merge(&parts, &all));
        same_files(&all, &single);
        assert_eq!(
            text(&merged.stdout),
            text(&whole.stdout),
            "the same CSV printed"
        );
    }
    // A run's shard does not belong with a sweep's.
    let run = dir.join("run");
    ok(kefusim(&[
        "run",
        "scenarios/quickstart.toml",
        "--replications",
        "3",
        "--shard",
        "1/7",
        "--out",
        s(&run),
    ]));
    let mut mixed = parts[1..].to_vec();
    mixed.push(run);
    let o = merge(&mixed, &dir.join("mixed"));
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o.stderr).contains("is from another run"),
        "{}",
        text(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Missing, duplicated, foreign and damaged shards are refused with exit
/// code 3, a message naming the problem, and nothing written.
#[test]
fn shard_sets_that_are_not_one_run_are_refused_and_nothing_is_written() {
    let dir = scratch("bad");
    let parts = shards(&dir, "scenarios/quickstart.toml", "3", 3);
    let out = dir.join("all");
    let refused = |given: &[PathBuf], needle: &str| {
        let o = merge(given, &out);
        assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains(needle),
            "wanted `{needle}` in: {}",
            text(&o.stderr)
        );
        assert!(!out.exists(), "nothing written");
    };
    refused(&parts[..2], "missing shard(s) of 3: 3");
    let file = parts[1].join("shard.kfshard");
    refused(
        &[parts[0].clone(), parts[1].clone(), file, parts[2].clone()],
        "shard 2/3 is given twice",
    );
    // Another seed, another scenario.
    let other = dir.join("other");
    ok(kefusim(&[
        "run",
        "scenarios/quickstart.toml",
        "--replications",
        "3",
        "--seed",
        "9",
        "--shard",
        "3/3",
        "--out",
        s(&other),
    ]));
    refused(
        &[parts[0].clone(), parts[1].clone(), other.clone()],
        "is from another run: its seed is 9",
    );
    let feige = dir.join("feige");
    ok(kefusim(&[
        "run",
        "scenarios/feige_shop.toml",
        "--replications",
        "3",
        "--shard",
        "3/3",
        "--out",
        s(&feige),
    ]));
    refused(
        &[parts[0].clone(), parts[1].clone(), feige],
        "its scenario is `feige_shop`",
    );
    // One byte changed in the results, or the file cut short.
    let damaged = dir.join("damaged");
    std::fs::create_dir_all(&damaged).unwrap();
    let mut bytes = std::fs::read(parts[2].join("shard.kfshard")).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0x40;
    std::fs::write(damaged.join("shard.kfshard"), &bytes).unwrap();
    let mut given = parts[..2].to_vec();
    given.push(damaged.clone());
    refused(&given, "damaged shard");
    std::fs::write(damaged.join("shard.kfshard"), &bytes[..bytes.len() / 2]).unwrap();
    refused(&given, "damaged shard");
    std::fs::write(damaged.join("shard.kfshard"), "summary").unwrap();
    refused(&given, "not a kefusim shard");
    refused(&[dir.join("nowhere")], "cannot read it");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shard_flags_are_checked_and_auto_reads_the_job_engine() {
    let dir = scratch("flags");
    let o = kefusim(&["run", "scenarios/quickstart.toml", "--shard", "2/3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("give --out DIR"),
        "{}",
        text(&o.stderr)
    );
    let o = kefusim(&[
        "run",
        "scenarios/quickstart.toml",
        "--shard",
        "4/3",
        "--out",
        s(&dir),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("i/N"), "{}", text(&o.stderr));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kefusim"))
        .args([
            "run",
            "scenarios/quickstart.toml",
            "--replications",
            "3",
            "--shard",
            "auto",
            "--shard-count",
            "3",
            "--out",
            s(&dir.join("k")),
        ])
        .env("JOB_COMPLETION_INDEX", "1")
        .env_remove("KEFUSIM_SHARD")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .current_dir(crate::support::repo(""))
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("shard 2/3 from a Kubernetes Indexed Job"),
        "{err}"
    );
    assert!(err.contains("replications 1..2 of 3"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A thousand shards of one replication each: the merge is still the
/// single run's, and reads one shard at a time (its memory does not grow
/// with the shards' results; measured in the closing note).
#[test]
fn a_thousand_shards_merge_exactly() {
    use kefusim::replicate::{self, Progress};
    use kefusim::shard::{self, Ran, ShardSpec, Source};
    let dir = scratch("thousand");
    let path = crate::support::repo("scenarios/quickstart.toml");
    let scenario_text = std::fs::read_to_string(&path).unwrap();
    let sc = crate::support::load("scenarios/quickstart.toml").with_replications(1000);
    let n = 1000;
    let mut given = Vec::new();
    for i in 1..=n {
        let spec = ShardSpec { index: i, count: n };
        let reps = spec.replications(1000);
        let results =
            replicate::run_part(&sc, Some(1), &Progress::default(), reps.clone()).unwrap();
        let ran = Ran {
            sc: &sc,
            source: Source {
                file: &path,
                text: &scenario_text,
            },
            shard: spec,
            items: 1000,
            sweep: None,
        };
        let file = dir.join(format!("{i}.kfshard"));
        std::fs::write(&file, shard::encode(&ran, results)).unwrap();
        given.push(file);
    }
    let (_, merged) = shard::merge(&given).unwrap();
    let single = replicate::run(&sc, None).unwrap();
    assert_eq!(
        kefusim::report::summary_json(&merged),
        kefusim::report::summary_json(&single)
    );
    // The binary merges the same files reading one shard at a time: its
    // peak memory stays far below the shards' total size.
    let total: u64 = given.iter().map(|f| f.metadata().unwrap().len()).sum();
    let out = dir.join("all");
    let mut args = vec!["merge".to_string()];
    args.extend(given.iter().map(|p| s(p).to_string()));
    args.extend(["--out".to_string(), s(&out).to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = ok(kefusim(&args));
    // "…; peak memory 14.2 MB" (Linux: the merge's own VmHWM).
    let err = text(&o.stderr);
    let peak_mb: f64 = err
        .split("peak memory ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no peak memory in: {err}"));
    let peak = (peak_mb * 1024.0 * 1024.0) as u64;
    assert_eq!(
        std::fs::read_to_string(out.join("summary.json")).unwrap(),
        kefusim::report::summary_json(&single)
    );
    assert!(
        peak < total / 2,
        "merge peaked at {peak} bytes for {total} bytes of shards"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The merge judges what a run judges: the scenario's thresholds (exit
/// code 5, results still written) and a baseline (exit code 6 on a change
/// with --strict; 0 against the single run's own results).
#[test]
fn the_merge_judges_thresholds_and_the_baseline() {
    let dir = scratch("judge");
    let text = std::fs::read_to_string(crate::support::repo("scenarios/quickstart.toml"))
        .unwrap()
        .replace("require = [", "require = [\n  \"golden_rate >= 99.99%\",");
    let strict = dir.join("strict.toml");
    std::fs::write(&strict, text).unwrap();
    let parts: Vec<PathBuf> = (1..=2)
        .map(|i| {
            let d = dir.join(format!("s{i}"));
            ok(kefusim(&[
                "run",
                s(&strict),
                "--replications",
                "2",
                "--shard",
                &format!("{i}/2"),
                "--out",
                s(&d),
            ]));
            d
        })
        .collect();
    let all = dir.join("all");
    let o = merge(&parts, &all);
    assert_eq!(o.status.code(), Some(5), "{}", text_of(&o));
    assert!(
        text_of(&o).contains("answered_within_120s_over_offered >= 0.9999:"),
        "{}",
        text_of(&o)
    );
    assert!(all.join("summary.json").exists(), "results still written");
    // Against itself: nothing changed; against another seed's run, --strict fails.
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(parts.iter().map(|p| s(p).to_string()));
    let with = |extra: &[&str]| {
        let mut a = args.clone();
        a.extend(extra.iter().map(|x| x.to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        kefusim(&a)
    };
    let same = with(&["--baseline", s(&all), "--strict"]);
    assert_eq!(
        same.status.code(),
        Some(5),
        "thresholds still missed, no regression"
    );
    let other = dir.join("other");
    // (Its own thresholds may fail: only its results are needed.)
    kefusim(&[
        "run",
        "scenarios/quickstart.toml",
        "--replications",
        "2",
        "--seed",
        "3",
        "--out",
        s(&other),
    ]);
    assert!(other.join("summary.json").exists());
    let changed = with(&[
        "--baseline",
        s(&other),
        "--strict",
        "--out",
        s(&dir.join("x")),
    ]);
    assert_eq!(changed.status.code(), Some(5), "5 wins over 6");
    assert!(
        text_of(&changed).contains("compared with"),
        "{}",
        text_of(&changed)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn text_of(o: &Output) -> String {
    text(&o.stderr)
}
