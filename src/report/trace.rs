//! `kefusim trace` output: one JSON object per line.

use serde_json::{Value, json};

use crate::agents::AgentId;
use crate::routing::OfflineCause;
use crate::routing::{BuyerKind, Class};
use crate::scenario::Scenario;
use crate::time::SimTime;
use crate::trace::{Outcome, TraceEvent};

/// Turns trace events into JSON Lines with names instead of indices.
pub struct TraceFormat<'a> {
    sc: &'a Scenario,
}

impl<'a> TraceFormat<'a> {
    /// A formatter for events of `sc`.
    pub fn new(sc: &'a Scenario) -> Self {
        Self { sc }
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
                        "reason": "nobody eligible",
                    }),
                    Outcome::Offline { cause } => json!({
                        "offline_message": true,
                        "reason": match cause {
                            OfflineCause::NobodyOnline => "nobody of the group online",
                            OfflineCause::QueueFull => "queue at max_queue",
                            OfflineCause::Abandoned => "buyer abandoned the queue",
                            OfflineCause::MainOffline => "private contact, main account offline",
                        },
                    }),
                };
                let candidates: Vec<Value> = candidates
                    .iter()
                    .map(|c| {
                        json!({
                            "agent": self.agent(c.agent), "state": c.presence.name(),
                            "open": c.open, "cap": c.cap, "eligible": c.eligible,
                        })
                    })
                    .collect();
                json!({
                    "t": self.time(*t), "event": "route", "conversation": conv,
                    "decision": decision, "candidates": candidates,
                })
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
                let answer = outcome.name().replace('_', " ");
                json!({
                    "t": self.time(*t), "event": "offer_answer", "conversation": conv,
                    "agent": self.agent(*agent), "answer": answer,
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
                "reason": if to.is_some() { "transferred with its history" } else { "no agent of the group online (or on a break, if allowed) and under its cap: the chat stays" },
            }),
            TraceEvent::ChatEnd { t, conv, agent } => json!({
                "t": self.time(*t), "event": "chat_end", "conversation": conv,
                "agent": self.agent(*agent),
            }),
            TraceEvent::Reroute { t, conv, agent } => json!({
                "t": self.time(*t), "event": "reroute", "conversation": conv,
                "agent": self.agent(*agent), "reason": "agent's shift ended (shift_end = reroute)",
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
