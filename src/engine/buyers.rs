//! Who a new buyer is: a private contact of the main account, a buyer who
//! addresses an agent of the group directly, one returning to an agent who
//! served them recently, or a new contact; and their VIP tier.

use rand::RngExt;
use rand_distr::{Distribution as _, Open01};

use super::Engine;
use crate::agents::AgentId;
use crate::routing::{BuyerKind, Dispatcher};
use crate::scenario::VipTier;
use crate::time::SimTime;

/// Most recent assignments remembered for returning buyers.
const RECENT_CONTACTS_LIMIT: usize = 1 << 20;

impl<D: Dispatcher> Engine<'_, D> {
    /// Who the buyer is: private contact, addressing an agent of the group,
    /// returning to a recent agent, or new (population stream).
    pub(super) fn draw_kind(&mut self, group: usize, now: SimTime) -> BuyerKind {
        if !self.population {
            return BuyerKind::New;
        }
        let b = &self.sc.buyers;
        let u: f64 = Open01.sample(&mut self.rng.population);
        let v: f64 = self.rng.population.random();
        if u < b.private_share {
            return BuyerKind::Private;
        }
        if u < b.private_share + b.direct_share {
            let members = &self.sc.groups[group].members;
            let k = ((v * members.len() as f64) as usize).min(members.len() - 1);
            return BuyerKind::Direct(members[k] as AgentId);
        }
        if u < b.private_share + b.direct_share + b.returning_share {
            let horizon = now.saturating_sub(b.recency);
            while self
                .recent_contacts
                .front()
                .is_some_and(|&(t, _)| t < horizon)
            {
                self.recent_contacts.pop_front();
            }
            let n = self.recent_contacts.len();
            if n > 0 {
                let k = ((v * n as f64) as usize).min(n - 1);
                return BuyerKind::Returning(self.recent_contacts[k].1);
            }
        }
        BuyerKind::New
    }

    /// Remembers an assignment for returning buyers.
    #[inline]
    pub(super) fn remember_contact(&mut self, agent: AgentId, now: SimTime) {
        if self.remember_contacts {
            if self.recent_contacts.len() == RECENT_CONTACTS_LIMIT {
                self.recent_contacts.pop_front();
            }
            self.recent_contacts.push_back((now, agent));
        }
    }
}

/// The VIP tier of a buyer with uniform draw `u` (1 = highest; 0 = not VIP).
pub(super) fn vip_tier(tiers: &[VipTier], u: f64) -> u8 {
    let mut acc = 0.0;
    for (i, t) in tiers.iter().enumerate() {
        acc += t.share;
        if u < acc {
            return i as u8 + 1;
        }
    }
    0
}
