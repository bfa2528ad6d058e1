//! `kefusim trace` output: one JSON object per line.

use serde_json::{Value, json};

use crate::agents::AgentId;
use crate::routing::OfflineCause;
use crate::routing::{BuyerKind, Class};
use crate::scenario::Scenario;
use crate::time::SimTime;
use crate::trace::{Candidate, Candidates, Outcome, TraceEvent};

/// Turns trace events into JSON Lines with names instead of indices.
pub struct TraceFormat<'a> {
    sc: &'a Scenario,
    candidates: Candidates,
}

impl<'a> TraceFormat<'a> {
    /// A formatter for events of `sc`, listing routing candidates as `candidates` says.
    pub fn new(sc: &'a Scenario, candidates: Candidates) -> Self {
        Self { sc, candidates }
    }

    /// Why an agent could not take the chat, as one word.
    fn ineligible(c: &Candidate) -> &'static str {
        use crate::agents::Presence;
        match c.presence {
            Presence::Online if c.open >= c.cap => "full",
            Presence::Online => "held_back",
            Presence::Offline => "offline",
            Presence::Break => "break",
            Presence::Busy => "busy",
            Presence::Suspended => "suspended",
        }
    }

    /// The candidates of a routing decision, as much as asked for.
    fn candidates(&self, list: &[Candidate]) -> Option<Value> {
        let counts = || {
            let mut m = serde_json::Map::new();
            m.insert(
                "eligible".into(),
                json!(list.iter().filter(|c| c.eligible).count()),
            );
            for c in list.iter().filter(|c| !c.eligible) {
                let n = m.entry(Self::ineligible(c)).or_insert(json!(0));
                *n = json!(n.as_u64().unwrap_or(0) + 1);
            }
            Value::Object(m)
        };
        let one = |c: &Candidate| {
            json!({
                "agent": self.agent(c.agent), "state": c.presence.name(),
                "open": c.open, "cap": c.cap, "eligible": c.eligible,
            })
        };
        match self.candidates {
            Candidates::None => None,
            Candidates::Counts => Some(counts()),
            Candidates::Eligible => {
                let mut v = counts();
                v["agents"] = list.iter().filter(|c| c.eligible).map(one).collect();
                Some(v)
            }
            Candidates::All => Some(list.iter().map(one).collect()),
        }
    }

    fn agent(&self, id: AgentId) -> &str {
        &self.sc.agents[id as usize].name
    }

    fn queue(&self, q: usize) -> String {
        match self.sc.groups.get(q) {
            Some(g) => g.name.clone(),
            None => format!("main account {}", self.main_name()),
        }
    }

    fn main_name(&self) -> &str {
        self.sc
            .main_account()
            .map_or("?", |m| self.sc.agents[m].name.as_str())
    }

    /// A queue class by name: a VIP tier's name, `normal` or `offline`.
    fn class(&self, c: Class) -> String {
        let tiers = &self.sc.buyers.vip_tiers;
        match usize::from(c.0) {
            i if i < tiers.len() => tiers[i].name.clone(),
            i if i == tiers.len() => "normal".to_string(),
            _ => "offline".to_string(),
        }
    }

    fn time(&self, t: SimTime) -> Value {
        json!(self.sc.run.clock.format(t))
    }

    fn kind(&self, k: BuyerKind) -> Value {
        match k {
            BuyerKind::New => json!({"type": "new"}),
            BuyerKind::Private => json!({"type": "private_contact"}),
            BuyerKind::Direct(a) => json!({"type": "direct", "agent": self.agent(a)}),
            BuyerKind::Returning(a) => json!({"type": "returning", "agent": self.agent(a)}),
        }
    }

    /// One event as one line (without the newline).
    pub fn line(&self, e: &TraceEvent) -> String {
        let v = match e {
            TraceEvent::Arrival {
                t,
                conv,
                entry,
                group,
                vip,
                kind,
                counted,
            } => json!({
                "t": self.time(*t), "event": "arrival", "conversation": conv,
                "entry": entry.name(), "group": self.sc.groups[*group].name,
                "vip": vip, "buyer": self.kind(*kind), "counted": counted,
            }),
            TraceEvent::Route {
                t,
                conv,
                outcome,
                candidates,
            } => {
                let decision = match outcome {
                    Outcome::Assigned { agent, reason } => json!({
                        "assigned_to": self.agent(*agent), "reason": reason.name(),
                    }),
                    Outcome::Offered { agent, reason } => json!({
                        "offered_to": self.agent(*agent), "reason": reason.name(),
                    }),
                    Outcome::Queued { queue, class } => json!({
                        "queued_in": self.queue(*queue),
                        "class": self.class(*class),
                        "reason": "nobody_eligible",
                    }),
                    Outcome::Offline { cause } => json!({
                        "offline_message": true,
                        "reason": match cause {
                            OfflineCause::NobodyOnline => "nobody_online",
                            OfflineCause::QueueFull => "queue_full",
                            OfflineCause::Abandoned => "abandoned",
                            OfflineCause::MainOffline => "main_account_offline",
                        },
                    }),
                };
                let mut line = json!({
                    "t": self.time(*t), "event": "route", "conversation": conv,
                    "decision": decision,
                });
                if let Some(c) = self.candidates(candidates) {
                    line["candidates"] = c;
                }
                line
            }
            TraceEvent::FirstReply {
                t,
                conv,
                agent,
                frt_ms,
            } => json!({
                "t": self.time(*t), "event": "first_reply", "conversation": conv,
                "agent": self.agent(*agent), "frt_s": *frt_ms as f64 / 1e3,
            }),
            TraceEvent::Message { t, conv } => json!({
                "t": self.time(*t), "event": "message", "conversation": conv,
            }),
            TraceEvent::Reply { t, conv, agent } => json!({
                "t": self.time(*t), "event": "reply", "conversation": conv,
                "agent": self.agent(*agent),
            }),
            TraceEvent::OfferAnswer {
                t,
                conv,
                agent,
                outcome,
            } => {
                json!({
                    "t": self.time(*t), "event": "offer_answer", "conversation": conv,
                    "agent": self.agent(*agent), "answer": outcome.name(),
                })
            }
            TraceEvent::Abandon { t, conv, waited_ms } => json!({
                "t": self.time(*t), "event": "abandon", "conversation": conv,
                "waited_s": *waited_ms as f64 / 1e3,
            }),
            TraceEvent::Overflow { t, conv, from, to } => json!({
                "t": self.time(*t), "event": "overflow", "conversation": conv,
                "from": self.sc.groups[*from].name, "to": self.sc.groups[*to].name,
            }),
            TraceEvent::Transfer {
                t,
                conv,
                from,
                to,
                group,
            } => json!({
                "t": self.time(*t), "event": "transfer", "conversation": conv,
                "from": self.agent(*from), "to": to.map(|a| self.agent(a)),
                "group": self.sc.groups[*group].name,
                "reason": if to.is_some() { "transferred" } else { "no_target" },
            }),
            TraceEvent::ChatEnd { t, conv, agent } => json!({
                "t": self.time(*t), "event": "chat_end", "conversation": conv,
                "agent": self.agent(*agent),
            }),
            TraceEvent::Reroute { t, conv, agent } => json!({
                "t": self.time(*t), "event": "reroute", "conversation": conv,
                "agent": self.agent(*agent), "reason": "shift_ended",
            }),
            TraceEvent::Refused {
                t,
                conv,
                agent,
                command,
                rule,
            } => json!({
                "t": self.time(*t), "event": "refused", "conversation": conv,
                "agent": agent.map(|a| self.agent(a)), "command": command, "rule": rule,
            }),
            TraceEvent::State { t, agent, from, to } => json!({
                "t": self.time(*t), "event": "state", "agent": self.agent(*agent),
                "from": from.name(), "to": to.name(),
            }),
        };
        v.to_string()
    }
}
