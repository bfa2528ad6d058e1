//! Draining: serving waiting chats head first, one per answer, while
//! someone can take them (see the module docs of `builtin`).

use super::{DRAIN, LIMITER, Router};
use crate::agents::AgentId;
use crate::catalog::GOLDEN_MS;
use crate::routing::queue::{Head, Waiting};
use crate::routing::{ChatRef, Class, Command, Commands, Ctx, Reason};
use crate::time::SimTime;

/// Which queues a drain serves.
#[derive(Debug, Clone, Copy)]
pub(super) enum Job {
    /// Every queue.
    All,
    /// One queue.
    One(usize),
    /// The queues this agent serves, if it has room now.
    For(AgentId),
}

/// The drain in progress, if any.
pub(super) struct Drain {
    /// Its queues; `None` = no drain in progress.
    pub job: Option<Job>,
    pub overdue_at: Option<SimTime>,
    /// Heads only agents that declined them could take, set aside so the
    /// chats behind them go first; put back at the front when the drain ends.
    pub set_aside: Vec<(usize, Head)>,
}

impl Router {
    /// Asks for one drain of every queue at `now` (after all simultaneous
    /// shift starts), unless one is due already or nothing waits.
    pub(super) fn drain_soon(&mut self, now: SimTime, out: &mut Commands<'_>) {
        if !self.waiting.is_empty() && !self.drain_scheduled {
            self.drain_scheduled = true;
            out.push(Command::Wake {
                at: now,
                tag: DRAIN,
            });
        }
    }

    /// Under the fairness limiter, makes sure the queue is drained again
    /// when an agent of group `q` is released.
    pub(super) fn wake_for_limiter(&mut self, q: usize, ctx: &Ctx<'_>, out: &mut Commands<'_>) {
        if !self.fairness || q >= self.groups {
            return;
        }
        let now = ctx.now();
        if let Some(t) = self.sel.next_release(q, ctx)
            && self.limiter_wake.is_none_or(|w| w < now || w > t)
        {
            self.limiter_wake = Some(t);
            out.push(Command::Wake {
                at: t,
                tag: LIMITER,
            });
        }
    }

    /// Runs due drains until one gives a chat (then asks to go on) or none is left.
    pub(super) fn run_jobs(&mut self, ctx: &mut Ctx<'_>, out: &mut Commands<'_>) -> bool {
        loop {
            if let Some(job) = self.current.job {
                if self.drain_step(job, ctx, out) {
                    return true;
                }
                continue;
            }
            let Some(job) = self.jobs.pop_front() else {
                return false;
            };
            self.start(job, ctx);
        }
    }

    /// Starts a drain if anything waits (and, for an agent's drain, if the
    /// agent is on shift with room).
    #[inline(always)]
    pub(super) fn start(&mut self, job: Job, ctx: &Ctx<'_>) {
        if self.waiting.is_empty() {
            return;
        }
        if let Job::For(agent) = job {
            let a = ctx.agent(agent);
            if !(a.presence.on_shift() && a.load() < a.cap) {
                return;
            }
        }
        let overdue_at = if self.golden_priority {
            ctx.now().checked_sub(GOLDEN_MS)
        } else {
            None
        };
        self.current.job = Some(job);
        self.current.overdue_at = overdue_at;
    }

    /// The next chat of the drain's queues in the shop-wide order, with its queue.
    #[inline(always)]
    fn best_head(&mut self, job: &Job, overdue_at: Option<SimTime>) -> Option<(Head, usize)> {
        let Self {
            all_queues,
            drain_sets,
            blocked,
            waiting,
            seats,
            ..
        } = self;
        let queues: &[usize] = match job {
            Job::All => all_queues,
            Job::One(q) => std::slice::from_ref(q),
            Job::For(agent) => &drain_sets[*agent as usize],
        };
        let mut best: Option<(Head, usize)> = None;
        for &q in queues {
            if blocked[q] {
                continue;
            }
            let live = |w: Waiting, class: Class| {
                seats.get(w.conv as usize).is_some_and(|s| {
                    s.waiting && s.id == w.token && s.queue == q && s.class == class
                })
            };
            let Some(head) = waiting.head(q, live, overdue_at) else {
                continue;
            };
            if best.is_none_or(|(b, _)| head.key < b.key) {
                best = Some((head, q));
            }
        }
        best
    }

    /// Clears the blocked marks of the drain's queues.
    fn unblock(&mut self, job: &Job) {
        let queues: &[usize] = match job {
            Job::All => &self.all_queues,
            Job::One(q) => std::slice::from_ref(q),
            Job::For(agent) => &self.drain_sets[*agent as usize],
        };
        for &q in queues {
            self.blocked[q] = false;
        }
    }

    /// Assigns waiting chats of the current drain's queues in the shop-wide
    /// order while someone can take them: returns `true` after giving one
    /// (the engine applies it, then asks again); `false` once the drain is over.
    fn drain_step(&mut self, job: Job, ctx: &mut Ctx<'_>, out: &mut Commands<'_>) -> bool {
        loop {
            let best = self.best_head(&job, self.current.overdue_at);
            let Some((head, q)) = best else { break };
            let chat = ChatRef {
                slot: head.entry.conv,
                id: head.entry.token,
            };
            let excluded = if self.offers {
                std::mem::take(self.excluded_mut(chat.slot))
            } else {
                Vec::new()
            };
            let target = if q == self.personal {
                self.main
                    .filter(|&m| {
                        let a = ctx.agent(m);
                        a.presence.on_shift() && a.load() < a.cap
                    })
                    .map(|m| (m, Reason::Private))
            } else {
                self.sel.route_group_excluding(q, ctx, &excluded)
            };
            let has_exclusions = !excluded.is_empty();
            if self.offers {
                *self.excluded_mut(chat.slot) = excluded;
            }
            match target {
                Some((agent, reason)) => {
                    self.waiting.take(q, &head);
                    self.seat_mut(chat.slot).waiting = false;
                    self.give(chat, agent, reason, ctx.now(), out);
                    return true;
                }
                None if has_exclusions => {
                    // Only agents that declined it are free: let the chats behind it go first.
                    self.waiting.take(q, &head);
                    self.current.set_aside.push((q, head));
                }
                None => {
                    self.blocked[q] = true;
                    self.wake_for_limiter(q, ctx, out);
                }
            }
        }
        self.unblock(&job);
        self.current.job = None;
        while let Some((q, head)) = self.current.set_aside.pop() {
            self.waiting.push_front(q, head.class, head.entry);
        }
        false
    }
}
