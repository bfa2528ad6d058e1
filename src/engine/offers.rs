//! The offer variants (Salesforce Omni-Channel, Twilio TaskRouter): an
//! offered chat reserves a slot until the agent accepts, declines or lets
//! the offer lapse; the answer is drawn when the offer is made.

use rand_distr::{Distribution as _, Open01};

use super::{Engine, Event};
use crate::agents::{AgentId, Presence};
use crate::conversation::ConvState;
use crate::routing::{Dispatcher, Notice, OfferOutcome, Reason};
use crate::time::SimTime;
use crate::trace::{Outcome, TraceEvent};

impl<D: Dispatcher> Engine<'_, D> {
    /// Offers a waiting chat to `agent`, reserving one of its slots; the
    /// answer (accept, decline) or the timeout is drawn now and delivered later.
    pub(super) fn offer(&mut self, conv: u32, agent: AgentId, reason: Reason, now: SimTime) {
        let o = self
            .sc
            .routing
            .variant
            .offer()
            .expect("checked: offer variants only");
        let ConvState::Queued {
            patience,
            wake,
            class,
        } = self.convs.get(conv).state
        else {
            return;
        };
        if let Some(timer) = wake {
            self.queue.cancel(timer);
        }
        let response = o.response.sample_ms(&mut self.rng.offers);
        let u: f64 = Open01.sample(&mut self.rng.offers);
        let (delay, outcome) = if response <= o.timeout as f64 {
            let answer = if u >= o.accept {
                OfferOutcome::Declined
            } else {
                OfferOutcome::Accepted
            };
            (response.round() as SimTime, answer)
        } else {
            (o.timeout, OfferOutcome::TimedOut)
        };
        let timer = self
            .queue
            .schedule_timer(now.saturating_add(delay), Event::OfferEnd { conv, outcome });
        self.agents.reserve(agent, 1);
        self.trace_route(conv, Outcome::Offered { agent, reason }, now);
        self.convs.get_mut(conv).state = ConvState::Offered {
            agent,
            patience,
            offer: timer,
            class,
            reason,
        };
    }

    pub(super) fn on_offer_end(&mut self, conv: u32, outcome: OfferOutcome, now: SimTime) {
        let c = self.convs.get(conv);
        let ConvState::Offered {
            agent,
            patience,
            class,
            reason,
            ..
        } = c.state
        else {
            unreachable!("offer timers are cancelled when the buyer leaves");
        };
        let (token, counted) = (c.token, c.interval.is_some());
        self.agents.reserve(agent, -1);
        let a = self.agents.get(agent);
        // An agent who went off shift or on a break meanwhile cannot take it.
        let can_take =
            matches!(a.presence, Presence::Online | Presence::Suspended) && a.load() < a.cap;
        if counted {
            self.rec.on_offer(outcome);
        }
        self.trace(Some(token), &[agent], |_| TraceEvent::OfferAnswer {
            t: now,
            conv: token,
            agent,
            outcome,
        });
        let chat = self.chat_ref(conv);
        if outcome == OfferOutcome::Accepted && can_take {
            if let Some(timer) = patience {
                self.queue.cancel(timer);
            }
            self.assign(conv, agent, reason, now);
            self.dispatch(Notice::OfferAccepted { chat, agent }, now);
            return;
        }
        // Back in its queue; the dispatcher puts it at the front.
        self.convs.get_mut(conv).state = ConvState::Queued {
            patience,
            wake: None,
            class,
        };
        self.count_queued(class, 1);
        self.dispatch(
            Notice::OfferFailed {
                chat,
                agent,
                outcome,
            },
            now,
        );
    }
}
