//! Command-line types (clap derive only; the work is in the `app` module).

// The help texts name scenario sections as `[plan]`, which rustdoc would
// read as links.
#![allow(rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// kefusim: load simulator for e-commerce customer-service chat (客服) routing.
#[derive(Debug, Parser)]
#[command(
    name = "kefusim",
    version,
    about,
    long_about = None,
    after_help = "Examples:\n  kefusim run scenarios/quickstart.toml\n  kefusim run scenarios/feige_shop.toml --out reports/feige --replications 30\n  kefusim check scenarios/taobao_shop.toml\n  kefusim trace scenarios/taobao_shop.toml --until 2h\n  kefusim plan scenarios/double11.toml --out plans/double11\n  kefusim sweep scenarios/quickstart.toml --set agents.presale.count=16..28:4\n  kefusim compare results/new baselines/quickstart.summary.json\n\nExit codes: 0 ok, 1 run failed, 2 usage, 3 invalid scenario, 4 cannot write results, 5 thresholds or plan targets missed, 6 regression against a baseline."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and print a summary (optionally write result files).
    Run(RunArgs),
    /// Validate a scenario and print it with every default resolved.
    Check(CheckArgs),
    /// Write the event log of one replication as JSON Lines: arrivals,
    /// routing decisions with their reason and the candidates considered,
    /// replies, abandonments, overflows, chat ends and agent state changes.
    #[command(
        after_help = "Examples:\n  kefusim trace scenarios/feige_shop.toml --until 1h | head\n  kefusim trace scenarios/taobao_shop.toml --conversation 42\n  kefusim trace scenarios/feige_shop.toml --agent presale-03 --until 2026-11-11T12:00:00+08:00"
    )]
    Trace(TraceArgs),
    /// Plan capacity: agents needed per interval, a roster of shifts, and its verification.
    ///
    /// Needs a [plan] section in the scenario (the pool to staff, per-interval
    /// targets, shrinkage, shift templates). Prints required vs scheduled
    /// agents per interval, the roster and its cost, and whether the roster's
    /// own simulation meets every target; exit code 5 when it does not.
    #[command(
        after_help = "Examples:\n  kefusim plan scenarios/double11.toml\n  kefusim plan scenarios/double11.toml --out plans/double11   # plan.csv, plan.json, roster.toml, scenario.toml, plan.svg/png and the roster's report.html\n  kefusim plan scenarios/double11.toml --apply double11-planned.toml   # the scenario with the roster merged in"
    )]
    Plan(PlanArgs),
    /// Run a grid of what-ifs over scenario keys (same seed at every point).
    ///
    /// Every combination of the --set values is run with the scenario's seed
    /// and replications (common random numbers: each point sees the same
    /// buyers). Prints one CSV row per point (swept keys, then each metric's
    /// mean and 95% half-width, then whether the scenario's thresholds are met).
    #[command(
        after_help = "Examples:\n  kefusim sweep scenarios/quickstart.toml --set agents.presale.count=16..28:4\n  kefusim sweep scenarios/quickstart.toml --set routing.policy=least_active,round_robin,random --set agents.*.max_concurrent=3,5 --out sweeps/policy\n  kefusim sweep scenarios/feige_shop.toml --set arrivals.rate_per_hour=70..130:15 --metric reply_rate_3min_rounds.assessed\n\nKeys: a dotted path into the scenario file; [[agents]] and [[groups]] entries by name, by index from 0, or * for all."
    )]
    Sweep(SweepArgs),
    /// Compare results with a baseline, metric by metric; exit code 6 on a regression.
    ///
    /// With the same seed and replications on both sides, replication i of
    /// each saw the same buyers, so metrics are compared replication by
    /// replication (paired); otherwise by Welch's t. A judged metric (every
    /// metric with a direction, or those of --metrics / [compare]) regresses
    /// when significantly worse than its tolerance, with the chance of any
    /// false alarm held at --alpha (Holm–Bonferroni). Same scenario digest:
    /// every difference is listed as a behaviour change.
    #[command(
        after_help = "Examples:\n  kefusim run scenarios/quickstart.toml --out new\n  kefusim compare new baselines/quickstart.summary.json\n  kefusim compare new old --tolerance frt_p90_s=+5% --tolerance abandon_rate=0.005\n  kefusim compare new old --metrics golden_rate,abandon_rate,frt_p90_s --alpha 0.01\n  kefusim compare new old --strict --format json"
    )]
    Compare(CompareArgs),
    /// Merge the shards of a run (`run --shard i/N`) into the results of
    /// the whole run, exactly: the same files `run` writes, byte for byte.
    ///
    /// Checks that every shard is from the same scenario, seed, kefusim
    /// and shard count, and that each is given exactly once, then judges
    /// thresholds (exit code 5) and --baseline (exit code 6) on the merge.
    #[command(
        after_help = "Examples:\n  for i in 1 2 3; do kefusim run scenarios/double11.toml --shard $i/3 --out shards/$i; done\n  kefusim merge shards/* --out all\n  kefusim merge shards/* --out all --baseline baselines/double11.summary.json"
    )]
    Merge(MergeArgs),
    /// Rebuild report.html and the plots from results saved by `run --out DIR`.
    #[command(
        after_help = "Example:\n  kefusim run scenarios/quickstart.toml --out reports/quick --no-report\n  kefusim report reports/quick"
    )]
    Report {
        /// A directory written by `kefusim run --out`.
        dir: PathBuf,
    },
    /// Serve the scenario's routing engine over the routing protocol
    /// (docs/protocol.md): the reference routing service, and the target of
    /// `run --router`.
    ///
    /// Listens on 127.0.0.1:7878 by default (loopback only unless
    /// --allow-remote); prints the address on stderr; stops by itself after
    /// --idle-exit without a request, or on Ctrl-C.
    #[command(
        after_help = "Examples:\n  kefusim serve scenarios/quickstart.toml &\n  kefusim run scenarios/quickstart.toml --router http://127.0.0.1:7878\n  kefusim serve scenarios/double11.toml --listen 127.0.0.1:0   # any free port"
    )]
    Serve(ServeArgs),
    /// Load-test a running routing service: play the scenario in real time
    /// (or --speed times faster) against it, k6-style, and measure both its
    /// customer-service levels and its latency.
    ///
    /// Events are sent when they are due on the wall clock; simulated agents
    /// act on the service's decisions when they arrive, so a slow service
    /// shows as longer waits. Latency is measured from each request's
    /// intended send time (no coordinated omission). Writes the same results
    /// as `run`, plus live.csv and a "live" section in summary.json.
    #[command(
        after_help = "Examples:\n  kefusim serve scenarios/quickstart.toml &\n  kefusim live scenarios/quickstart.toml --router http://127.0.0.1:7878 --speed 3600 --out live-out\n  kefusim run scenarios/quickstart.toml --out sim-out && kefusim compare live-out sim-out\n  kefusim live scenarios/double11.toml --router http://127.0.0.1:7878 --speed 600 --duration 2m --decisions callback\n\nExit codes as for run; 7 when the service cannot be reached or goes down; 130 when interrupted (results for what was sent are written, marked as interrupted)."
    )]
    Live(LiveArgs),
    /// Print a JSON Schema of the scenario format (for editors: completion
    /// and checks), or with --protocol of the routing protocol's messages.
    #[command(
        after_help = "Examples:\n  kefusim schema > kefusim.schema.json\n  kefusim schema --protocol > docs/protocol.schema.json"
    )]
    Schema {
        /// The routing protocol's messages instead of the scenario format.
        #[arg(long)]
        protocol: bool,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  kefusim completions bash > ~/.local/share/bash-completion/completions/kefusim\n  kefusim completions zsh > ~/.zfunc/_kefusim"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `kefusim serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Scenario file (TOML): its agents, groups, policies and routing rules.
    pub scenario: PathBuf,
    /// Address to listen on (port 0: any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7878")]
    pub listen: std::net::SocketAddr,
    /// Allow listening on an address that is not loopback.
    #[arg(long)]
    pub allow_remote: bool,
    /// Stop after this long without a request.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub idle_exit: String,
    /// Wait this long before answering each events request: a slow
    /// service, to load-test against (e.g. 20ms).
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub delay: String,
}

/// How a routing service gives its decisions back in a live run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Decisions {
    /// In the response to each events request.
    Response,
    /// Posted by the service to kefusim's callback endpoint (loopback).
    Callback,
}

/// `kefusim live`.
#[derive(Debug, clap::Args)]
pub struct LiveArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// The routing service: http://127.0.0.1:PORT (overrides [routing] service).
    #[arg(long, value_name = "URL")]
    pub router: Option<String>,
    /// Simulated time per wall-clock time: 1 is real time, 60 plays an
    /// hour in a minute (0.01..=100000).
    #[arg(long, value_name = "K", default_value_t = 1.0)]
    pub speed: f64,
    /// Stop after this much wall time (e.g. 5m); results cover what was sent.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Requests one session may have waiting to be sent, the one in flight
    /// included; beyond that the harness drops events (counted as
    /// dropped_by_harness, their chats wait in their queues).
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_in_flight: u32,
    /// How decisions come back: in each response, or posted to kefusim's
    /// callback endpoint (the URL is sent in the session's hello).
    #[arg(long, value_enum, default_value_t = Decisions::Response)]
    pub decisions: Decisions,
    /// Where the callback endpoint listens (loopback only unless --allow-remote).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub callback_listen: std::net::SocketAddr,
    /// Allow a service (and a callback address) that is not on this machine.
    #[arg(long)]
    pub allow_remote: bool,
    /// If the service goes down, finish on the fallback instead of exit 7.
    #[arg(long)]
    pub finish_on_fallback: bool,
    /// Override run.seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override run.replications (all run at once when the service's
    /// sessions are independent).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: Option<u32>,
    /// Also write summary.json, timeseries.csv, agents.csv, live.csv, the
    /// plots and report.html into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With --out: skip report.html.
    #[arg(long)]
    pub no_report: bool,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Progress on stderr (as for run).
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
}

/// `kefusim trace`.
#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Only this conversation (its arrival number, from 0, as in the log).
    #[arg(long, value_name = "ID", conflicts_with = "agent")]
    pub conversation: Option<u64>,
    /// Only events involving this agent (by name, as in agents.csv).
    #[arg(long, value_name = "NAME")]
    pub agent: Option<String>,
    /// How much of the candidates each routing line lists: `counts` (how
    /// many were eligible, how many full, on a break, offline, …), `none`,
    /// `eligible` (those agents with their open chats and cap, and the
    /// counts) or `all` (every agent of the group; with --agent, also the
    /// decisions that agent was only a candidate in).
    #[arg(long, value_name = "DETAIL", default_value = "counts", value_parser = ["none", "counts", "eligible", "all"])]
    pub candidates: String,
    /// Stop at this time: an instant (RFC 3339) or a duration from the start (e.g. 2h).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Which replication to trace (from 0).
    #[arg(long, default_value_t = 0)]
    pub replication: u32,
    /// Override run.seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write the log to this file instead of stdout (written completely or not at all).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Route with this routing service instead of the built-in router
    /// (overrides [routing] service; see `run --router`).
    #[arg(long, value_name = "URL")]
    pub router: Option<String>,
    /// Allow a routing service that is not on this machine.
    #[arg(long)]
    pub allow_remote: bool,
}

/// How to judge a comparison with a baseline (shared by `compare` and `run --baseline`).
#[derive(Debug, Clone, clap::Args)]
pub struct JudgeArgs {
    /// How much worse METRIC may get before it is a regression: an amount in
    /// its unit or a percentage of the baseline (repeatable).
    #[arg(long = "tolerance", value_name = "METRIC=AMOUNT")]
    pub tolerances: Vec<String>,
    /// Judge only these metrics (comma-separated; replaces `[compare]
    /// metrics`); the others are reported, not judged. Default: every
    /// metric with a better direction.
    #[arg(long, value_name = "METRIC,…", value_delimiter = ',')]
    pub metrics: Vec<String>,
    /// The family-wise false-alarm rate across the judged metrics
    /// (Holm–Bonferroni), in (0, 0.5]; default `[compare] alpha` or 0.05.
    #[arg(long, value_name = "RATE")]
    pub alpha: Option<f64>,
    /// Fail on any difference at all, better or worse (for pinned baselines in CI).
    #[arg(long)]
    pub strict: bool,
}

/// `--seed`, `--replications` and `--threads`, shared by the commands that run simulations.
#[derive(Debug, Clone, clap::Args)]
pub struct RunOverrides {
    /// Override run.seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override run.replications.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: Option<u32>,
    /// Worker threads for replications (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Route with this routing service instead of the built-in router
    /// (overrides [routing] service): http://127.0.0.1:PORT, speaking the
    /// protocol of docs/protocol.md (e.g. `kefusim serve`).
    #[arg(long, value_name = "URL")]
    pub router: Option<String>,
    /// Allow a routing service that is not on this machine (loopback only
    /// otherwise).
    #[arg(long)]
    pub allow_remote: bool,
    /// If the routing service goes down during the run, finish on the
    /// fallback (chats wait in their queues) and say so in every output,
    /// instead of stopping with exit code 7.
    #[arg(long)]
    pub finish_on_fallback: bool,
}

/// `kefusim plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Scenario file (TOML) with a [plan] section.
    pub scenario: PathBuf,
    /// Also write plan.csv, plan.json, roster.toml, plan.txt, the plot and
    /// the verification run's results (summary.json, …, report.html) here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// If the plan is accepted, write the scenario with the roster merged in
    /// to FILE (the replaced [[agents]] removed, one entry per template,
    /// [plan] naming them): a complete scenario that runs as it is. FILE may
    /// be the scenario itself. `--out` writes the same as scenario.toml.
    #[arg(long, value_name = "FILE")]
    pub apply: Option<PathBuf>,
    /// Seed, replications and threads.
    #[command(flatten)]
    pub overrides: RunOverrides,
}

/// `kefusim sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// A key and its values: KEY=V1,V2,… or KEY=FROM..TO:STEP (repeatable; the grid is every combination).
    #[arg(long = "set", value_name = "KEY=VALUES", required = true)]
    pub axes: Vec<String>,
    /// A metric to report (repeatable; the first is plotted). Default: golden
    /// rate, abandonment, FRT p90, occupancy, Jain's index.
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
    /// Also write sweep.csv and the plot (sweep.svg, sweep.png) into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seed, replications and threads.
    #[command(flatten)]
    pub overrides: RunOverrides,
    /// Run only shard i of N of the grid's (point, replication) work
    /// items (`3/8`), or `auto` (as `run --shard`); writes one shard file
    /// into --out for `kefusim merge`.
    #[arg(long, value_name = "i/N|auto")]
    pub shard: Option<String>,
    /// With `--shard auto` in a Kubernetes Indexed Job: the number of shards.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub shard_count: Option<u32>,
}

/// `kefusim compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The current results: a directory written by `run --out`, or a summary.json.
    pub current: PathBuf,
    /// The baseline: a directory written by `run --out`, or a summary.json.
    pub baseline: PathBuf,
    /// How to judge.
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// What to print on stdout: `table`, the comparison as a readable table
    /// (one row per metric: both sides, the difference with its interval,
    /// the verdict); `json`, the same comparison as a JSON document (every
    /// metric's values, difference, p-value and verdict, and the overall
    /// verdict).
    #[arg(long, value_enum, default_value_t = Format::Table, hide_possible_values = true)]
    pub format: Format,
}

/// `kefusim run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Also write summary.json, timeseries.csv, agents.csv, the plots (SVG, PNG)
    /// and report.html into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With --out: skip report.html.
    #[arg(long)]
    pub no_report: bool,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Seed, replications and threads.
    #[command(flatten)]
    pub overrides: RunOverrides,
    /// Progress on stderr: a live line on a terminal; otherwise status lines
    /// (every 10 s with auto, every 2 s and at the end with always).
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// Compare the results with this baseline (a summary.json or a
    /// directory written by `run --out`); exit code 6 on a regression.
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: how to judge.
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// Run only shard i of N of the replications (`3/8`), or `auto` to
    /// take it from the environment (KEFUSIM_SHARD=i/N, a Slurm array
    /// task, a Kubernetes Indexed Job); writes one shard file into --out
    /// for `kefusim merge`, which judges thresholds and baselines.
    #[arg(long, value_name = "i/N|auto")]
    pub shard: Option<String>,
    /// With `--shard auto` in a Kubernetes Indexed Job: the number of
    /// shards (the Job's completions).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub shard_count: Option<u32>,
}

/// `kefusim merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Shard directories written by `run --shard i/N --out DIR` (or their
    /// shard.kfshard files): every shard of one run, once each.
    #[arg(required = true, value_name = "SHARD")]
    pub shards: Vec<PathBuf>,
    /// Write summary.json, timeseries.csv, agents.csv, the plots and
    /// report.html into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With --out: skip report.html.
    #[arg(long)]
    pub no_report: bool,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Compare the merged results with this baseline; exit code 6 on a regression.
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: how to judge.
    #[command(flatten)]
    pub judge: JudgeArgs,
}

/// `--progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    /// A live line on a terminal, a status line every 10 s otherwise.
    Auto,
    /// Like auto, with status lines every 2 s and a final one when not on a terminal.
    Always,
    /// Nothing.
    Never,
}

/// `kefusim check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
}

/// Output format of `kefusim run` on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable summary table.
    Table,
    /// The summary.json document and nothing else.
    Json,
}
