//! The run's metrics (`summary.json`): shop-wide, per group, VIP buyers
//! and VIP tiers, in output order.

use std::fmt;

use super::Better;
use super::{Def, Scope, Unit, When};
use Better::{Higher, Lower, Neither};

/// The shop metrics and the per-class figures (see [`scalars`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Id {
    Offered,
    Answered,
    Abandoned,
    Unfinished,
    PWait,
    AbandonRate,
    AsaAnsweredS,
    MeanWaitAllS,
    FrtMeanS,
    FrtP50S,
    FrtP90S,
    FrtP99S,
    WaitAnsweredP90S,
    WithinOverOffered,
    WithinOverAnswered,
    WithinOverOfferedMinusShortAbandons,
    MeanSessionS,
    SessionsUnfinished,
    OfflineMessages,
    OfflineNobodyOnline,
    OfflineQueueFull,
    OfflineAbandoned,
    OfflineMainOffline,
    OfflineAnswered,
    OfflineUnanswered,
    OfflineAnswerDelayMeanS,
    OfflineAnswerDelayP90S,
    Rerouted,
    OffersAccepted,
    OffersDeclined,
    OffersTimedOut,
    LeftUnassigned,
    Transfers,
    TransfersFailed,
    Overflowed,
    RoundResponseMeanS,
    ReplyRate3minRounds,
    ReplyRate3minMessages,
    Rounds,
    SilentAbandons,
    ClosedByInactivity,
    Utilisation,
    ProcessingMessages,
    Occupancy,
    QueueLenMean,
    SessionsInServiceMean,
    AgentsOnShiftMean,
    JainOccupancy,
    OccupancyCv,
    OccupancyMaxOverMean,
    ChatsPerHourCv,
    FairShareRatioMin,
    FairShareRatioMax,
    ClassOffered,
    ClassPWait,
    ClassGolden,
    ClassAsaAnsweredS,
    GroupOccupancy,
    GroupJainOccupancy,
}

const fn shop(
    id: Id,
    name: &'static str,
    unit: Unit,
    better: Better,
    definition: &'static str,
) -> Def<Id> {
    Def {
        id,
        name,
        unit,
        better,
        scope: Scope::Shop,
        when: When::Always,
        definition,
    }
}

const fn only(when: When, def: Def<Id>) -> Def<Id> {
    Def { when, ..def }
}

const fn scoped(scope: Scope, def: Def<Id>) -> Def<Id> {
    Def { scope, ..def }
}

/// First in `summary.json`: volumes, waits and first response.
#[rustfmt::skip]
pub const HEAD: [Def<Id>; 13] = [
    shop(Id::Offered, "offered", Unit::Chats, Neither, "chats arriving (转人工) in the measured window"),
    shop(Id::Answered, "answered", Unit::Chats, Neither, "offered chats taken by an agent (first human reply follows at assignment + first_reply delay)"),
    shop(Id::Abandoned, "abandoned", Unit::Chats, Neither, "offered chats whose buyer left the queue before an agent took them"),
    shop(Id::Unfinished, "unfinished", Unit::Chats, Neither, "offered chats still waiting for their first human reply when the simulation stopped (in the queue, or — dialogue model — with an agent who had not replied yet); neither answered nor abandoned"),
    shop(Id::PWait, "p_wait", Unit::Fraction, Lower, "fraction of offered chats not taken by an agent on arrival (they queued)"),
    shop(Id::AbandonRate, "abandon_rate", Unit::Fraction, Lower, "abandoned / offered"),
    shop(Id::AsaAnsweredS, "asa_answered_s", Unit::Seconds, Lower, "mean queue wait of answered chats, seconds"),
    shop(Id::MeanWaitAllS, "mean_wait_all_s", Unit::Seconds, Lower, "mean over offered chats of the time spent waiting live, min(wait, patience); unfinished chats count the time they had waited; chats that became offline messages on arrival (nobody waited) are left out; seconds"),
    shop(Id::FrtMeanS, "frt_mean_s", Unit::Seconds, Lower, "mean first response time (first human reply − arrival, queue included) of answered chats, seconds"),
    shop(Id::FrtP50S, "frt_p50_s", Unit::Seconds, Lower, "50th percentile of first response time over answered chats, seconds (3 significant digits)"),
    shop(Id::FrtP90S, "frt_p90_s", Unit::Seconds, Lower, "90th percentile of first response time over answered chats, seconds (3 significant digits)"),
    shop(Id::FrtP99S, "frt_p99_s", Unit::Seconds, Lower, "99th percentile of first response time over answered chats, seconds (3 significant digits)"),
    shop(Id::WaitAnsweredP90S, "wait_answered_p90_s", Unit::Seconds, Lower, "90th percentile of the queue wait of answered chats, seconds"),
];

/// Per SLA threshold `{s}`, in `[sla] thresholds` order.
#[rustfmt::skip]
pub const WITHIN: [Def<Id>; 3] = [
    shop(Id::WithinOverOffered, "answered_within_{s}s_over_offered", Unit::Fraction, Higher, "chats whose first human reply came within {s} s of arrival ÷ offered chats; abandoned and unfinished count as misses{golden}"),
    shop(Id::WithinOverAnswered, "answered_within_{s}s_over_answered", Unit::Fraction, Higher, "chats whose first human reply came within {s} s ÷ answered chats"),
    shop(Id::WithinOverOfferedMinusShortAbandons, "answered_within_{s}s_over_offered_minus_short_abandons", Unit::Fraction, Higher, "chats whose first human reply came within {s} s ÷ (offered − chats abandoned within {s} s)"),
];

/// Sessions, offline messages, reroutes, offers, transfers.
#[rustfmt::skip]
pub const OUTCOMES: [Def<Id>; 19] = [
    shop(Id::MeanSessionS, "mean_session_s", Unit::Seconds, Neither, "mean time from assignment to session end of counted chats that ended, seconds"),
    shop(Id::SessionsUnfinished, "sessions_unfinished", Unit::Chats, Neither, "counted chats still with an agent when the simulation stopped"),
    shop(Id::OfflineMessages, "offline_messages", Unit::Chats, Neither, "offered chats that became offline messages (离线留言): nobody of the group online, queue full, abandoned in the queue with abandon_to_offline, or a private contact while the main account was offline; never counted as answered"),
    shop(Id::OfflineNobodyOnline, "offline_messages.nobody_online", Unit::Chats, Neither, "offered chats that became offline messages because nobody of the group was online"),
    shop(Id::OfflineQueueFull, "offline_messages.queue_full", Unit::Chats, Neither, "offered chats that became offline messages because the queue was at max_queue"),
    shop(Id::OfflineAbandoned, "offline_messages.abandoned", Unit::Chats, Neither, "offered chats that became offline messages after the buyer abandoned the queue (also counted in abandoned)"),
    shop(Id::OfflineMainOffline, "offline_messages.main_offline", Unit::Chats, Neither, "offered chats that became offline messages as private contacts while the main account was offline"),
    shop(Id::OfflineAnswered, "offline_answered", Unit::Chats, Neither, "offline messages of counted chats picked up by an agent"),
    shop(Id::OfflineUnanswered, "offline_unanswered", Unit::Chats, Lower, "offline messages of counted chats still pending when the simulation stopped"),
    shop(Id::OfflineAnswerDelayMeanS, "offline_answer_delay_mean_s", Unit::Seconds, Lower, "mean time from the buyer's message (arrival) to the first human reply of answered offline messages, seconds"),
    shop(Id::OfflineAnswerDelayP90S, "offline_answer_delay_p90_s", Unit::Seconds, Lower, "90th percentile of the answer delay of answered offline messages, seconds"),
    shop(Id::Rerouted, "rerouted", Unit::Chats, Neither, "counted chats in service ended at their agent's shift end and routed again (shift_end = \"reroute\")"),
    only(When::Offers, shop(Id::OffersAccepted, "offers_accepted", Unit::Chats, Neither, "offers of counted chats to agents that were accepted (offer variant; an accepted offer whose agent went off shift or on a break meanwhile counts as accepted but is routed again)")),
    only(When::Offers, shop(Id::OffersDeclined, "offers_declined", Unit::Chats, Neither, "offers of counted chats to agents that were declined (offer variant; an accepted offer whose agent went off shift or on a break meanwhile counts as accepted but is routed again)")),
    only(When::Offers, shop(Id::OffersTimedOut, "offers_timed_out", Unit::Chats, Neither, "offers of counted chats to agents that were timed out (offer variant; an accepted offer whose agent went off shift or on a break meanwhile counts as accepted but is routed again)")),
    only(When::Chatwoot, shop(Id::LeftUnassigned, "left_unassigned", Unit::Chats, Neither, "counted chats left unassigned because every agent was full (Chatwoot v1 variant, a known-bad baseline); they abandon or stay unfinished")),
    shop(Id::Transfers, "transfers", Unit::Chats, Neither, "counted chats transferred (转接) to an agent of another group, with their history"),
    shop(Id::TransfersFailed, "transfers_failed", Unit::Chats, Lower, "counted chats due for a transfer that no agent of the target group could take (online, or on a break if allowed, not suspended, under its cap unless allowed); they stayed"),
    shop(Id::Overflowed, "overflowed", Unit::Chats, Neither, "counted chats that moved to their group's overflow group after waiting overflow_after"),
];

/// The platforms' round metrics, once for the whole day and once (name
/// suffix `.assessed`) for the daily assessment window.
#[rustfmt::skip]
pub const ROUNDS: [Def<Id>; 4] = [
    shop(Id::RoundResponseMeanS, "round_response_mean_s", Unit::Seconds, Lower, "Taobao 平均响应时长 ({window}): mean round response time, each round capped at 600 s, unanswered rounds (abandoned, unfinished) counted as 600 s; {round}; offline messages excluded; seconds"),
    shop(Id::ReplyRate3minRounds, "reply_rate_3min_rounds", Unit::Fraction, Higher, "3分钟人工回复率, round variant ({window}): rounds answered by a human within 180 s ÷ rounds; {round}"),
    shop(Id::ReplyRate3minMessages, "reply_rate_3min_messages", Unit::Fraction, Higher, "3分钟人工回复率, per-message variant ({window}): buyer messages whose next human reply came within 180 s ÷ buyer messages"),
    shop(Id::Rounds, "rounds", Unit::Chats, Neither, "reply rounds of counted chats ({window})"),
];

/// The dialogue model's own figures, the processing message, and the
/// shop's state over time.
#[rustfmt::skip]
pub const STATE: [Def<Id>; 8] = [
    only(When::Dialogue, shop(Id::SilentAbandons, "silent_abandons", Unit::Chats, Neither, "counted chats whose buyer left silently during the conversation (dialogue model; also answered)")),
    only(When::Dialogue, shop(Id::ClosedByInactivity, "closed_by_inactivity", Unit::Chats, Neither, "counted chats closed by the inactivity timeout before their last round: the buyer thought longer than inactivity_timeout")),
    only(When::Dialogue, shop(Id::Utilisation, "utilisation", Unit::Fraction, Neither, "fraction of agents' on-shift time spent typing replies (dialogue model)")),
    only(When::Processing, shop(Id::ProcessingMessages, "processing_messages", Unit::Chats, Lower, "counted chats still without a human reply {after} after arrival, which got the automatic \"正在为您处理中…\" message (not a response)")),
    shop(Id::Occupancy, "occupancy", Unit::Fraction, Neither, "∫ open chats of on-shift agents dt ÷ ∫ max_concurrent of on-shift agents dt over the window"),
    shop(Id::QueueLenMean, "queue_len_mean", Unit::Chats, Lower, "time-averaged number of chats waiting in the queue"),
    shop(Id::SessionsInServiceMean, "sessions_in_service_mean", Unit::Chats, Neither, "time-averaged number of chats held by agents"),
    shop(Id::AgentsOnShiftMean, "agents_on_shift_mean", Unit::Agents, Neither, "time-averaged number of agents on shift (breaks included)"),
];

/// Load balance over agents on shift in the window.
#[rustfmt::skip]
pub const BALANCE: [Def<Id>; 6] = [
    shop(Id::JainOccupancy, "jain_occupancy", Unit::Ratio, Higher, "Jain's fairness index of per-agent occupancy over agents that were on shift (1 = perfectly even)"),
    shop(Id::OccupancyCv, "occupancy_cv", Unit::Ratio, Lower, "coefficient of variation of per-agent occupancy"),
    shop(Id::OccupancyMaxOverMean, "occupancy_max_over_mean", Unit::Ratio, Lower, "highest per-agent occupancy ÷ mean per-agent occupancy"),
    shop(Id::ChatsPerHourCv, "chats_per_hour_cv", Unit::Ratio, Lower, "coefficient of variation of chats assigned per on-shift hour per unit of weight"),
    shop(Id::FairShareRatioMin, "fair_share_ratio_min", Unit::Ratio, Higher, "lowest ratio of an agent's assigned chats to its weight-fair share (per group: the group's chats split by weight × on-shift hours)"),
    shop(Id::FairShareRatioMax, "fair_share_ratio_max", Unit::Ratio, Lower, "highest ratio of an agent's assigned chats to its weight-fair share"),
];

/// The figures of a class of chats: each group, VIP buyers, each VIP tier.
#[rustfmt::skip]
pub const CLASS: [Def<Id>; 4] = [
    scoped(Scope::Class, shop(Id::ClassOffered, "offered", Unit::Chats, Neither, "offered chats of {who}")),
    scoped(Scope::Class, shop(Id::ClassPWait, "p_wait", Unit::Fraction, Lower, "fraction of {who}'s offered chats that queued")),
    scoped(Scope::Class, shop(Id::ClassGolden, "answered_within_120s_over_offered", Unit::Fraction, Higher, "golden 2-minute rate of {who}: first reply within 120 s ÷ offered")),
    scoped(Scope::Class, shop(Id::ClassAsaAnsweredS, "asa_answered_s", Unit::Seconds, Lower, "mean queue wait of {who}'s answered chats, seconds")),
];

/// A group's own load balance (after its class figures).
#[rustfmt::skip]
pub const GROUP_BALANCE: [Def<Id>; 2] = [
    scoped(Scope::Group, shop(Id::GroupOccupancy, "occupancy", Unit::Fraction, Neither, "occupancy of this group's agents (agents in several groups count in each)")),
    scoped(Scope::Group, shop(Id::GroupJainOccupancy, "jain_occupancy", Unit::Ratio, Higher, "Jain's index of per-agent occupancy within this group")),
];

/// The golden 2-minute rule (黄金2分钟), ms: the headline's limit, and the
/// wait after which golden priority serves a chat first.
pub const GOLDEN_MS: u64 = 120_000;

/// The headline: the golden 2-minute rate (黄金2分钟).
pub const GOLDEN: &str = "answered_within_120s_over_offered";
/// `abandon_rate`.
pub const ABANDON_RATE: &str = HEAD[5].name;
/// `occupancy`.
pub const OCCUPANCY: &str = STATE[4].name;
/// `frt_p90_s`.
pub const FRT_P90_S: &str = HEAD[10].name;
/// `offered`.
pub const OFFERED: &str = HEAD[0].name;
/// `frt_p50_s`.
pub const FRT_P50_S: &str = HEAD[9].name;
/// `frt_p99_s`.
pub const FRT_P99_S: &str = HEAD[11].name;
/// `jain_occupancy`.
pub const JAIN_OCCUPANCY: &str = BALANCE[0].name;

/// Every shop-wide and per-class entry, in table order.
pub(super) fn shop_defs() -> impl Iterator<Item = &'static Def<Id>> {
    HEAD.iter()
        .chain(&WITHIN)
        .chain(&OUTCOMES)
        .chain(&ROUNDS)
        .chain(&STATE)
        .chain(&BALANCE)
        .chain(&CLASS)
        .chain(&GROUP_BALANCE)
}

impl Id {
    /// Its entry in the catalogue.
    pub fn def(self) -> &'static Def<Id> {
        shop_defs()
            .find(|d| d.id == self)
            .expect("every Id has an entry (tested)")
    }

    /// Its name (before any prefix, suffix or threshold).
    pub fn name(self) -> &'static str {
        self.def().name
    }
}

/// The name of "first reply within `s` seconds ÷ offered".
pub fn within_name(s: u32) -> String {
    WITHIN[0].name.replace("{s}", &s.to_string())
}

/// The scenario facts that decide which metrics a run reports and how they are named.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    /// `[sla] thresholds`, seconds.
    pub thresholds_s: Vec<u32>,
    /// Group names.
    pub groups: Vec<String>,
    /// VIP tier names.
    pub tiers: Vec<String>,
    /// An offer variant is on.
    pub offers: bool,
    /// The Chatwoot v1 variant is on.
    pub chatwoot: bool,
    /// The dialogue model is on.
    pub dialogue: bool,
    /// `processing_message_after`, as written (e.g. `2m`), if set.
    pub processing_after: Option<String>,
}

/// Which instance of a metric: its threshold, window, group or tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// None.
    None,
    /// SLA threshold `k` (`s` seconds).
    Threshold {
        /// Index in `thresholds_s`.
        k: usize,
        /// Seconds.
        s: u32,
    },
    /// The round metrics: all day, or the assessment window.
    Window {
        /// The assessment window.
        assessed: bool,
    },
    /// Group `g`.
    Group(usize),
    /// VIP buyers, all tiers.
    Vip,
    /// VIP tier `t` (0 = highest).
    Tier(usize),
}

/// One metric of a run: which, its name and its definition.
#[derive(Debug, Clone)]
pub struct Scalar {
    /// The catalogue entry.
    pub def: &'static Def<Id>,
    /// Which instance.
    pub arg: Arg,
    /// Its name in `summary.json`.
    pub name: String,
    /// What it measures, filled in.
    pub definition: String,
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Every metric a run of a scenario of this shape reports, in
/// `summary.json` order.
pub fn scalars(shape: &Shape) -> Vec<Scalar> {
    let mut out = Vec::new();
    let mut put = |def: &'static Def<Id>,
                   arg: Arg,
                   (prefix, suffix): (&str, &str),
                   fill: &dyn Fn(&str) -> String| {
        let reported = match def.when {
            When::Always => true,
            When::Offers => shape.offers,
            When::Chatwoot => shape.chatwoot,
            When::Dialogue => shape.dialogue,
            When::Processing => shape.processing_after.is_some(),
        };
        if reported {
            out.push(Scalar {
                def,
                arg,
                name: format!("{prefix}{}{suffix}", fill(def.name)),
                definition: fill(def.definition),
            });
        }
    };
    let same = |t: &str| t.to_string();
    for def in &HEAD {
        put(def, Arg::None, ("", ""), &same);
    }
    for (k, &s) in shape.thresholds_s.iter().enumerate() {
        let golden = if s == 120 {
            " (golden 2-minute rule, 黄金2分钟: the headline)"
        } else {
            ""
        };
        for def in &WITHIN {
            let fill = |t: &str| t.replace("{s}", &s.to_string()).replace("{golden}", golden);
            put(def, Arg::Threshold { k, s }, ("", ""), &fill);
        }
    }
    for def in &OUTCOMES {
        put(def, Arg::None, ("", ""), &same);
    }
    let round = if shape.dialogue {
        "a round runs from the buyer's first unanswered message to the next human reply"
    } else {
        "session model: one round per chat, from arrival to the first human reply"
    };
    for (assessed, suffix, window) in [
        (false, "", "all day"),
        (
            true,
            ".assessed",
            "chats arriving in the platforms' assessment window 08:00:00–22:59:59",
        ),
    ] {
        for def in &ROUNDS {
            let fill = |t: &str| t.replace("{window}", window).replace("{round}", round);
            put(def, Arg::Window { assessed }, ("", suffix), &fill);
        }
    }
    let after = shape.processing_after.clone().unwrap_or_default();
    for def in &STATE {
        put(def, Arg::None, ("", ""), &|t: &str| {
            t.replace("{after}", &after)
        });
    }
    for def in &BALANCE {
        put(def, Arg::None, ("", ""), &same);
    }
    let class = |who: &str| {
        let who = who.to_string();
        move |t: &str| t.replace("{who}", &who)
    };
    for (g, name) in shape.groups.iter().enumerate() {
        let prefix = format!("group.{name}.");
        let fill = class(&format!("group {name}"));
        for def in &CLASS {
            put(def, Arg::Group(g), (&prefix, ""), &fill);
        }
        for def in &GROUP_BALANCE {
            put(def, Arg::Group(g), (&prefix, ""), &same);
        }
    }
    let fill = class("VIP buyers");
    for def in &CLASS {
        put(def, Arg::Vip, ("vip.", ""), &fill);
    }
    if shape.tiers.len() > 1 {
        for (t, name) in shape.tiers.iter().enumerate() {
            let fill = class(&format!("VIP tier {name}"));
            for def in &CLASS {
                put(def, Arg::Tier(t), (&format!("vip.{name}."), ""), &fill);
            }
        }
    }
    out
}

/// The name patterns of every metric, for people and editors:
/// `answered_within_{s}s_over_offered` (one per SLA threshold),
/// `round_response_mean_s[.assessed]`, `group.<group>.offered`,
/// `vip[.<tier>].offered`, …
pub fn name_patterns() -> Vec<String> {
    let mut out: Vec<String> = HEAD
        .iter()
        .chain(&WITHIN)
        .chain(&OUTCOMES)
        .map(|d| d.name.to_string())
        .collect();
    out.extend(ROUNDS.iter().map(|d| format!("{}[.assessed]", d.name)));
    out.extend(STATE.iter().chain(&BALANCE).map(|d| d.name.to_string()));
    out.extend(
        CLASS
            .iter()
            .chain(&GROUP_BALANCE)
            .map(|d| format!("group.<group>.{}", d.name)),
    );
    out.extend(CLASS.iter().map(|d| format!("vip[.<tier>].{}", d.name)));
    out
}

/// The names of every metric a run of a scenario of this shape reports.
pub fn names(shape: &Shape) -> Vec<String> {
    scalars(shape).into_iter().map(|s| s.name).collect()
}

/// Whether `name` is `pattern` with `{s}` standing for a number of seconds.
fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once("{s}") {
        Some((head, tail)) => name
            .strip_prefix(head)
            .and_then(|rest| rest.strip_suffix(tail))
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())),
        None => pattern == name,
    }
}

/// The catalogue entry of a metric named as in `summary.json` (with its
/// `group.<name>.`, `vip.` or `vip.<tier>.` prefix, `.assessed` suffix or
/// threshold), if it is one.
pub fn lookup(name: &str) -> Option<&'static Def<Id>> {
    fn find<'a>(mut defs: impl Iterator<Item = &'a Def<Id>>, base: &str) -> Option<&'a Def<Id>> {
        defs.find(|d| name_matches(d.name, base))
    }
    // `group.<name>.<metric>` and `vip.<tier>.<metric>`: names may contain dots.
    let scoped = |rest: &str, with_group: bool, bare: bool| {
        let starts = bare
            .then_some(0)
            .into_iter()
            .chain(rest.match_indices('.').map(|(i, _)| i + 1));
        starts.into_iter().find_map(|at| {
            let base = &rest[at..];
            let defs = CLASS
                .iter()
                .chain(GROUP_BALANCE.iter().filter(|_| with_group));
            find(defs, base)
        })
    };
    if let Some(rest) = name.strip_prefix("group.") {
        return scoped(rest, true, false);
    }
    if let Some(rest) = name.strip_prefix("vip.") {
        return scoped(rest, false, true);
    }
    if let Some(base) = name.strip_suffix(".assessed") {
        return find(ROUNDS.iter(), base);
    }
    let shop = HEAD
        .iter()
        .chain(&WITHIN)
        .chain(&OUTCOMES)
        .chain(&ROUNDS)
        .chain(&STATE)
        .chain(&BALANCE);
    find(shop, name)
}
