//! Sharded runs and their exact merge.
//!
//! `run --shard i/N` runs its fixed share of the replications (a
//! contiguous block: shard `i` of `N` takes replications
//! `⌊R(i−1)/N⌋ .. ⌊Ri/N⌋`) and writes one shard file holding each
//! replication's own results, unmerged, with the scenario's text and
//! everything needed to check that shards belong together. `kefusim merge`
//! checks the shards, then folds their replications into the same
//! `replicate::Merge` a single run uses, in replication order, one shard in memory
//! at a time — so the merged summary, and every file written from it, is
//! byte-identical to the unsharded run's.
//!
//! A shard file is `KEFUSIM-SHARD 1\n`, one line of JSON ([`Header`]),
//! then the payload: postcard-encoded `Payload` (exact: every `f64` as
//! its 8 bytes), whose length and FNV-1a hash the header states, so a
//! truncated or damaged shard is refused.

use std::io::{BufRead, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::LoopStats;
use crate::metrics::RepResult;
use crate::replicate::{Merge, Summary};
use crate::scenario::{Scenario, fnv1a_hex as fnv};

/// First line of a shard file.
const MAGIC: &str = "KEFUSIM-SHARD 1";

/// The file a shard run writes into its `--out` directory.
pub const SHARD_FILE: &str = "shard.kfshard";

/// Which shard of how many (`index` from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSpec {
    /// 1..=count.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

/// Largest number of shards.
pub const MAX_SHARDS: u32 = 100_000;

impl ShardSpec {
    /// Parses `i/N` (1 ≤ i ≤ N ≤ [`MAX_SHARDS`]).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "--shard must be i/N with 1 <= i <= N <= {MAX_SHARDS} (e.g. 3/8) or `auto`, got `{text}`"
            )
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count || count > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    /// `--shard auto`: the shard from the environment of a job engine, and
    /// where it came from. In order: `KEFUSIM_SHARD` (`i/N`, e.g. set from a
    /// CI matrix); Slurm job arrays (`SLURM_ARRAY_TASK_ID` from
    /// `SLURM_ARRAY_TASK_MIN`, default 0, and `SLURM_ARRAY_TASK_COUNT`);
    /// Kubernetes Indexed Jobs (`JOB_COMPLETION_INDEX`, 0-based, with the
    /// count from `count` or `KEFUSIM_SHARD_COUNT`).
    pub fn from_env(
        count: Option<u32>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<(Self, String), String> {
        let num = |name: &str| -> Result<Option<u32>, String> {
            match env(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{name} must be a whole number, got `{v}`")),
            }
        };
        let checked = |index: u32, count: u32, source: String| {
            if index == 0 || index > count || count > MAX_SHARDS {
                Err(format!(
                    "{source} gives shard {index} of {count}, which is not a shard (1 <= i <= N <= {MAX_SHARDS})"
                ))
            } else {
                Ok((Self { index, count }, source))
            }
        };
        if let Some(v) = env("KEFUSIM_SHARD") {
            let s = Self::parse(&v).map_err(|e| format!("KEFUSIM_SHARD: {e}"))?;
            return Ok((s, format!("KEFUSIM_SHARD={v}")));
        }
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let n = num("SLURM_ARRAY_TASK_COUNT")?
                .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")?;
            let index = id.checked_sub(min).ok_or_else(|| {
                format!("SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}")
            })? + 1;
            return checked(
                index,
                n,
                format!("Slurm (SLURM_ARRAY_TASK_ID={id}, SLURM_ARRAY_TASK_COUNT={n})"),
            );
        }
        if let Some(k) = num("JOB_COMPLETION_INDEX")? {
            let n = match count {
                Some(n) => n,
                None => num("KEFUSIM_SHARD_COUNT")?.ok_or(
                    "JOB_COMPLETION_INDEX is set: give the number of shards with --shard-count N (the Job's completions) or KEFUSIM_SHARD_COUNT",
                )?,
            };
            return checked(
                k + 1,
                n,
                format!("a Kubernetes Indexed Job (JOB_COMPLETION_INDEX={k}, {n} completions)"),
            );
        }
        Err("--shard auto found no shard in the environment: set KEFUSIM_SHARD=i/N, or run as a Slurm array task (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)".to_string())
    }

    /// The work items this shard runs, of `total`: a contiguous block,
    /// `⌊total(i−1)/N⌋ .. ⌊total·i/N⌋`.
    pub fn items(&self, total: u64) -> Range<u64> {
        let at = |k: u32| (u128::from(total) * u128::from(k) / u128::from(self.count)) as u64;
        at(self.index - 1)..at(self.index)
    }

    /// The replications this shard of a run runs, of `total`.
    pub fn replications(&self, total: u32) -> Range<u32> {
        let r = self.items(u64::from(total));
        r.start as u32..r.end as u32
    }
}

/// What a shard file says of itself, readable without its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// kefusim's version that wrote it (shards of other versions are refused).
    pub kefusim: String,
    /// Scenario name.
    pub scenario: String,
    /// [`Scenario::digest`] after overrides.
    pub digest: String,
    /// FNV-1a of the scenario file's text (thresholds and `[compare]` included).
    pub text_hash: String,
    /// Seed of the run.
    pub seed: u64,
    /// Replications of the whole run (of each point of a sweep).
    pub replications: u32,
    /// A sweep's grid (`None`: a run, one point).
    pub sweep: Option<SweepSpec>,
    /// Work items of the whole run: (point, replication) pairs, point by
    /// point, replications in order.
    pub items: u64,
    /// This shard.
    pub shard: ShardSpec,
    /// The first work item it holds.
    pub first: u64,
    /// How many.
    pub count: u64,
    /// The routing service it ran with (`--router`), if any.
    pub router: Option<String>,
    /// Payload length in bytes.
    pub payload_bytes: u64,
    /// FNV-1a of the payload.
    pub payload_hash: String,
}

/// The grid of a sharded sweep, as given to `sweep`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    /// The `--set KEY=VALUES` arguments.
    pub axes: Vec<String>,
    /// The `--metric` arguments.
    pub metrics: Vec<String>,
    /// `--seed`, if given (applied to every point).
    pub seed: Option<u64>,
    /// `--replications`, if given.
    pub replications: Option<u32>,
    /// `--router`, if given.
    pub router: Option<String>,
}

/// A shard's payload: the scenario as given, and each work item's results.
#[derive(Serialize, Deserialize)]
struct Payload {
    /// The scenario file's path as given to `run` (for messages).
    file: String,
    /// Its default name (the file stem).
    default_name: String,
    /// Its text.
    text: String,
    /// `(result, loop stats)` per work item, in order.
    results: Vec<(RepResult, LoopStats)>,
}

/// The scenario file a shard ran, as the merge rebuilds it.
pub struct Source<'a> {
    /// Path as given.
    pub file: &'a Path,
    /// Text.
    pub text: &'a str,
}

/// What a shard ran: the base scenario (overrides applied), its file, the
/// shard, its work items, and the sweep's grid if it is a sweep's.
pub struct Ran<'a> {
    /// The scenario (a sweep's base scenario).
    pub sc: &'a Scenario,
    /// Its file.
    pub source: Source<'a>,
    /// This shard.
    pub shard: ShardSpec,
    /// Work items of the whole run.
    pub items: u64,
    /// The sweep's grid.
    pub sweep: Option<SweepSpec>,
}

/// The bytes of a shard file for `results` (this shard's work items, in order).
pub fn encode(ran: &Ran<'_>, results: Vec<(RepResult, LoopStats)>) -> Vec<u8> {
    let (sc, source) = (ran.sc, &ran.source);
    let mine = ran.shard.items(ran.items);
    assert_eq!(
        results.len() as u64,
        mine.end - mine.start,
        "one result per work item"
    );
    let payload = Payload {
        file: source.file.display().to_string(),
        default_name: default_name(source.file),
        text: source.text.to_string(),
        results,
    };
    let body = postcard::to_allocvec(&payload).expect("plain data serialises");
    let header = Header {
        kefusim: env!("CARGO_PKG_VERSION").to_string(),
        scenario: sc.name.clone(),
        digest: sc.digest(),
        text_hash: fnv(source.text.as_bytes()),
        seed: sc.run.seed,
        replications: sc.run.replications,
        sweep: ran.sweep.clone(),
        items: ran.items,
        shard: ran.shard,
        first: mine.start,
        count: mine.end - mine.start,
        router: sc.router.as_ref().map(|r| r.url.clone()),
        payload_bytes: body.len() as u64,
        payload_hash: fnv(&body),
    };
    let mut out = format!(
        "{MAGIC}\n{}\n",
        serde_json::to_string(&header).expect("a header serialises")
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// The name a scenario gets from its file when `run.name` is not set.
pub fn default_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".to_string())
}

/// Why shards cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A shard file cannot be read or is not a shard.
    #[error("{path}: {why}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The shards do not make up one run.
    #[error("{0}")]
    Mismatch(String),
}

/// Where the shard file of `arg` is: the file itself, or `SHARD_FILE` in a directory.
fn shard_path(arg: &Path) -> PathBuf {
    if arg.is_dir() {
        arg.join(SHARD_FILE)
    } else {
        arg.to_path_buf()
    }
}

/// Reads a shard's header; returns it and the reader positioned at the payload.
fn open(path: &Path) -> Result<(Header, std::io::BufReader<std::fs::File>), MergeError> {
    let bad = |why: String| MergeError::Bad {
        path: path.to_path_buf(),
        why,
    };
    let file = std::fs::File::open(path).map_err(|e| {
        bad(format!(
            "cannot read it ({e}); give shard directories written by `run --shard i/N --out DIR`, or their {SHARD_FILE} files"
        ))
    })?;
    let mut reader = std::io::BufReader::new(file);
    let mut line = String::new();
    let take_line = |reader: &mut std::io::BufReader<std::fs::File>, line: &mut String| {
        line.clear();
        (&mut *reader)
            .take(1 << 20)
            .read_line(line)
            .map_err(|e| bad(format!("cannot read it ({e})")))
    };
    take_line(&mut reader, &mut line)?;
    if line.trim_end() != MAGIC {
        return Err(bad(format!(
            "not a kefusim shard (it does not start with `{MAGIC}`)"
        )));
    }
    take_line(&mut reader, &mut line)?;
    let header: Header = serde_json::from_str(line.trim_end()).map_err(|e| {
        let version = serde_json::from_str::<serde_json::Value>(line.trim_end())
            .ok()
            .and_then(|v| v.get("kefusim").and_then(|k| k.as_str()).map(str::to_string));
        match version {
            Some(v) if v != env!("CARGO_PKG_VERSION") => bad(format!(
                "written by kefusim {v}; this is kefusim {} (run the shards again with one version)",
                env!("CARGO_PKG_VERSION")
            )),
            _ => bad(format!("damaged shard header ({e})")),
        }
    })?;
    Ok((header, reader))
}

/// Reads and checks the payload of a shard whose header is `h`.
fn payload(
    path: &Path,
    h: &Header,
    mut reader: std::io::BufReader<std::fs::File>,
) -> Result<Payload, MergeError> {
    let bad = |why: String| MergeError::Bad {
        path: path.to_path_buf(),
        why,
    };
    let mut body = Vec::with_capacity(h.payload_bytes.min(1 << 30) as usize);
    reader
        .read_to_end(&mut body)
        .map_err(|e| bad(format!("cannot read it ({e})")))?;
    if body.len() as u64 != h.payload_bytes || fnv(&body) != h.payload_hash {
        return Err(bad(format!(
            "damaged shard: its results are {} bytes with hash {}, the header says {} bytes with hash {} (copy it again, or run the shard again)",
            body.len(),
            fnv(&body),
            h.payload_bytes,
            h.payload_hash
        )));
    }
    let p: Payload = postcard::from_bytes(&body)
        .map_err(|e| bad(format!("damaged shard: cannot decode its results ({e})")))?;
    if p.results.len() as u64 != h.count || fnv(p.text.as_bytes()) != h.text_hash {
        return Err(bad(
            "damaged shard: its results do not match its header".to_string()
        ));
    }
    Ok(p)
}

/// Checks that `headers` (with their paths) are every shard of one run,
/// once each; returns them in shard order.
fn check_set(mut shards: Vec<(PathBuf, Header)>) -> Result<Vec<(PathBuf, Header)>, MergeError> {
    let Some((first_path, first)) = shards.first().cloned() else {
        return Err(MergeError::Mismatch("no shards given".to_string()));
    };
    let same = |what: &str, a: &dyn std::fmt::Display, b: &dyn std::fmt::Display, p: &Path| {
        MergeError::Mismatch(format!(
            "{} is from another run: its {what} is {b}, {}'s is {a}",
            p.display(),
            first_path.display()
        ))
    };
    for (p, h) in &shards {
        if h.kefusim != first.kefusim {
            return Err(same("kefusim version", &first.kefusim, &h.kefusim, p));
        }
        if h.scenario != first.scenario {
            return Err(same(
                "scenario",
                &format!("`{}`", first.scenario),
                &format!("`{}`", h.scenario),
                p,
            ));
        }
        if h.seed != first.seed {
            return Err(same("seed", &first.seed, &h.seed, p));
        }
        if h.replications != first.replications {
            return Err(same(
                "replications",
                &first.replications,
                &h.replications,
                p,
            ));
        }
        if h.digest != first.digest {
            return Err(same(
                "scenario digest (the model differs)",
                &first.digest,
                &h.digest,
                p,
            ));
        }
        if h.text_hash != first.text_hash {
            return Err(same(
                "scenario file (thresholds or [compare] differ)",
                &first.text_hash,
                &h.text_hash,
                p,
            ));
        }
        if h.sweep != first.sweep || h.items != first.items {
            return Err(MergeError::Mismatch(format!(
                "{} is from another run: {}, {} is {}",
                p.display(),
                describe_kind(h),
                first_path.display(),
                describe_kind(&first)
            )));
        }
        if h.shard.count != first.shard.count {
            return Err(same("shard count", &first.shard.count, &h.shard.count, p));
        }
        if h.router != first.router {
            return Err(MergeError::Mismatch(format!(
                "{} ran with another routing service than {}",
                p.display(),
                first_path.display()
            )));
        }
        let expected = h.shard.items(h.items);
        if h.first != expected.start || h.count != expected.end - expected.start {
            return Err(MergeError::Bad {
                path: p.clone(),
                why: "damaged shard: its replications are not those of its shard".to_string(),
            });
        }
    }
    shards.sort_by_key(|(_, h)| h.shard.index);
    let n = first.shard.count;
    let mut problems = Vec::new();
    for w in shards.windows(2) {
        if w[0].1.shard.index == w[1].1.shard.index {
            problems.push(format!(
                "shard {}/{n} is given twice: {} and {}",
                w[0].1.shard.index,
                w[0].0.display(),
                w[1].0.display()
            ));
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|i| !shards.iter().any(|(_, h)| h.shard.index == *i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        let shown = if missing.len() > 20 {
            format!("{} … ({} in all)", missing[..20].join(", "), missing.len())
        } else {
            missing.join(", ")
        };
        problems.push(format!("missing shard(s) of {n}: {shown}"));
    }
    if problems.is_empty() {
        Ok(shards)
    } else {
        Err(MergeError::Mismatch(problems.join("; ")))
    }
}

/// What kind of run a shard is from, for messages.
fn describe_kind(h: &Header) -> String {
    match &h.sweep {
        None => format!("a run of {} replications", h.replications),
        Some(s) => format!("a sweep over {} ({} work items)", s.axes.join(" "), h.items),
    }
}

/// Every shard of one run, checked, in order, and the scenario file they ran.
pub struct ShardSet {
    shards: Vec<(PathBuf, Header)>,
    first: Payload,
}

impl ShardSet {
    /// Reads the headers of the shards at `args` (directories or shard
    /// files), checks they are every shard of one run exactly once, and
    /// reads the first shard's payload.
    pub fn open(args: &[PathBuf]) -> Result<Self, MergeError> {
        let mut headers = Vec::with_capacity(args.len());
        for arg in args {
            let path = shard_path(arg);
            let (h, _) = open(&path)?;
            headers.push((path, h));
        }
        let shards = check_set(headers)?;
        let (path0, h0) = &shards[0];
        let first = payload(path0, h0, open(path0)?.1)?;
        Ok(Self { shards, first })
    }

    /// The header the shards share (the first shard's).
    pub fn header(&self) -> &Header {
        &self.shards[0].1
    }

    /// The scenario file's text, its path as given, and its default name.
    pub fn source(&self) -> (&str, &str, &str) {
        (&self.first.text, &self.first.file, &self.first.default_name)
    }

    /// The base scenario the shards ran (seed, replications and routing
    /// service as they ran), checked against the recorded digest.
    pub fn scenario(&self) -> Result<Scenario, MergeError> {
        let h = self.header();
        let sc = scenario_of(
            &self.first.text,
            &self.first.file,
            &self.first.default_name,
            h,
        )
        .map_err(|why| MergeError::Bad {
            path: self.shards[0].0.clone(),
            why,
        })?;
        if sc.digest() != h.digest {
            return Err(MergeError::Bad {
                path: self.shards[0].0.clone(),
                why: format!(
                    "its scenario rebuilt has digest {}, the shard says {} (written by another kefusim?)",
                    sc.digest(),
                    h.digest
                ),
            });
        }
        Ok(sc)
    }

    /// Hands every work item's results to `sink`, in order, reading one
    /// shard at a time.
    pub fn fold(
        self,
        mut sink: impl FnMut(u64, RepResult, LoopStats) -> Result<(), MergeError>,
    ) -> Result<(), MergeError> {
        let mut item = 0;
        let mut feed = |p: Payload| {
            for (r, s) in p.results {
                sink(item, r, s)?;
                item += 1;
            }
            Ok::<_, MergeError>(())
        };
        feed(self.first)?;
        for (path, h) in &self.shards[1..] {
            feed(payload(path, h, open(path)?.1)?)?;
        }
        Ok(())
    }
}

/// The merged run of the shards at `args` (directories or shard files),
/// and the scenario rebuilt from them: checked to be every shard of one
/// run exactly once, then folded in replication order.
pub fn merge(args: &[PathBuf]) -> Result<(Scenario, Summary), MergeError> {
    merge_set(ShardSet::open(args)?)
}

/// [`merge`] of a set already opened.
pub fn merge_set(set: ShardSet) -> Result<(Scenario, Summary), MergeError> {
    if let Some(s) = &set.header().sweep {
        return Err(MergeError::Mismatch(format!(
            "these are shards of a sweep (--set {}), not of a run",
            s.axes.join(" --set ")
        )));
    }
    let sc = set.scenario()?;
    let mut merge = Merge::new(&sc);
    set.fold(|_, r, s| {
        merge.add(r, s);
        Ok(())
    })?;
    let summary = merge.finish();
    Ok((sc, summary))
}

/// A scenario as a shard ran it: `text` with the run's seed, replications
/// and routing service (only for the digest and the outputs: a merge
/// talks to no service).
pub fn scenario_of(
    text: &str,
    file: &str,
    default_name: &str,
    h: &Header,
) -> Result<Scenario, String> {
    let sc = Scenario::from_toml(text, file, default_name)
        .map_err(|e| format!("its scenario no longer loads: {e}"))?;
    with_run_settings(sc, h)
}

/// `sc` with the seed, replications and routing service the shard ran with.
pub fn with_run_settings(sc: Scenario, h: &Header) -> Result<Scenario, String> {
    let mut sc = sc.with_seed(h.seed).with_replications(h.replications);
    if let Some(url) = &h.router {
        sc.router = Some(crate::scenario::ServiceSpec::parse(
            url,
            sc.router_timeout_ms,
        )?);
    }
    Ok(sc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_replications_into_contiguous_blocks() {
        for (total, n) in [(40u32, 8u32), (10, 3), (5, 7), (1, 1), (7, 7)] {
            let mut next = 0;
            for i in 1..=n {
                let r = ShardSpec { index: i, count: n }.replications(total);
                assert_eq!(r.start, next);
                assert!(r.len() as u32 <= total.div_ceil(n));
                next = r.end;
            }
            assert_eq!(next, total);
        }
    }

    #[test]
    fn shard_specs_parse_and_come_from_job_engines() {
        assert_eq!(
            ShardSpec::parse("3/8"),
            Ok(ShardSpec { index: 3, count: 8 })
        );
        for bad in ["0/8", "9/8", "3", "a/b", "1/0"] {
            assert!(ShardSpec::parse(bad).unwrap_err().contains("i/N"), "{bad}");
        }
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let (s, from) = ShardSpec::from_env(None, env(&[("KEFUSIM_SHARD", "2/5")])).unwrap();
        assert_eq!((s.index, s.count), (2, 5));
        assert!(from.contains("KEFUSIM_SHARD"));
        let (s, from) = ShardSpec::from_env(
            None,
            env(&[
                ("SLURM_ARRAY_TASK_ID", "11"),
                ("SLURM_ARRAY_TASK_MIN", "10"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ]),
        )
        .unwrap();
        assert_eq!((s.index, s.count), (2, 4));
        assert!(from.contains("Slurm"));
        let (s, from) =
            ShardSpec::from_env(Some(8), env(&[("JOB_COMPLETION_INDEX", "7")])).unwrap();
        assert_eq!((s.index, s.count), (8, 8));
        assert!(from.contains("Indexed Job"));
        let e = ShardSpec::from_env(None, env(&[("JOB_COMPLETION_INDEX", "7")])).unwrap_err();
        assert!(e.contains("--shard-count"), "{e}");
        let e = ShardSpec::from_env(Some(4), env(&[("JOB_COMPLETION_INDEX", "7")])).unwrap_err();
        assert!(e.contains("not a shard"), "{e}");
        assert!(ShardSpec::from_env(None, env(&[])).is_err());
    }
}
