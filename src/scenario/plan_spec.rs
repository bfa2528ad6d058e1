//! `[plan]`: what capacity planning (`kefusim plan`) is asked to staff.

use crate::catalog::Threshold;
use crate::shifts::ShiftPlan;

/// `[plan]`, validated.
#[derive(Debug, Clone)]
pub struct PlanSpec {
    /// The `[[agents]]` entry the plan staffs: its groups, cap, weight,
    /// speed and episodes make the planned agents.
    pub entry: usize,
    /// Entries left out of the planned scenario (`entry` among them).
    pub replace: Vec<usize>,
    /// Per-interval targets (monotone in staffing: see [`crate::catalog::check_target`]).
    pub targets: Vec<Threshold>,
    /// Share of scheduled on-duty time lost to things the model does not
    /// see (meetings, training, absence), in `[0, 0.9]`.
    pub shrinkage: f64,
    /// Shift templates to build the roster from.
    pub shifts: Vec<ShiftTemplate>,
    /// Most pool agents on duty in one interval.
    pub max_agents: u32,
}

/// One `[[plan.shifts]]` template.
#[derive(Debug, Clone)]
pub struct ShiftTemplate {
    /// Name (the roster entry is called `<entry>-<name>`).
    pub name: String,
    /// The duty pattern.
    pub plan: ShiftPlan,
    /// At most this many agents on it.
    pub max: Option<u32>,
    /// The `shift` table as written, for the roster fragment.
    pub toml: String,
}
