//! The account's creation order, and creation times that follow it.

use super::*;

/// Which party a step of [`creation_order`] creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyRef {
    /// The organisation with this dataset id.
    Organisation(u64),
    /// The person with this dataset id.
    Person(u64),
}

/// The order in which the account's organisations and people were created, as in a real
/// account: each organisation just before its first person, people interleaved with the
/// organisations they join (and some with none). Ids of each type increase along it, and so
/// do `created_at` across both types (strictly: one second at least between two creations).
pub fn creation_order(data: &Dataset) -> Vec<PartyRef> {
    let mut out = Vec::with_capacity(data.organisations.len() + data.people.len());
    let mut next_org = 1u64;
    for p in &data.people {
        if let Some(o) = p.organisation_id {
            while next_org <= o {
                out.push(PartyRef::Organisation(next_org));
                next_org += 1;
            }
        }
        out.push(PartyRef::Person(p.id));
    }
    while next_org <= data.organisations.len() as u64 {
        out.push(PartyRef::Organisation(next_org));
        next_org += 1;
    }
    out
}

/// A random update time for a record created at `created`: never updated (30 %), or at a
/// random time between `created` and the epoch.
fn updated_after(rng: &mut SmallRng, created: DateTime<Utc>) -> DateTime<Utc> {
    let span = (epoch() - created).num_seconds().max(0);
    if rng.random_bool(0.3) {
        created
    } else {
        created + Duration::seconds(rng.random_range(0..=span))
    }
}

/// Increasing creation times for `n` records between two years and one month before the
/// epoch, at least one second apart.
fn increasing_times(rng: &mut SmallRng, n: usize) -> Vec<DateTime<Utc>> {
    let start = epoch() - Duration::days(730);
    let span = 700 * 86_400_i64;
    let n_i = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
    let mean_gap = (span / n_i).max(1);
    let mut t = start;
    (0..n)
        .map(|_| {
            t += Duration::seconds(1 + rng.random_range(0..2 * mean_gap));
            t
        })
        .collect()
}

/// Gives every record a creation time that increases with its id: parties in
/// [`creation_order`] (organisations interleaved with their people), and opportunities, tasks
/// and notes each in id order. Update times are at or after creation.
pub(super) fn restamp(data: &mut Dataset, seed: u64) {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x5EED_0DE7_C0DE_0002);
    let order = creation_order(data);
    let times = increasing_times(&mut rng, order.len());
    for (step, created) in order.iter().zip(times) {
        let updated = updated_after(&mut rng, created);
        let (c, u) = match *step {
            PartyRef::Organisation(id) => {
                let o = &mut data.organisations[(id - 1) as usize];
                (&mut o.created_at, &mut o.updated_at)
            }
            PartyRef::Person(id) => {
                let p = &mut data.people[(id - 1) as usize];
                (&mut p.created_at, &mut p.updated_at)
            }
        };
        *c = created;
        *u = updated;
    }
    let times = increasing_times(&mut rng, data.opportunities.len());
    for (o, created) in data.opportunities.iter_mut().zip(times) {
        o.created_at = created;
        o.updated_at = updated_after(&mut rng, created);
        if o.closed_on.is_some() {
            o.closed_on = Some(o.updated_at.date_naive());
            o.expected_close_on = o.closed_on;
        }
    }
    let times = increasing_times(&mut rng, data.tasks.len());
    for (t, created) in data.tasks.iter_mut().zip(times) {
        t.created_at = created;
        t.updated_at = updated_after(&mut rng, created);
        t.due_on = (created + Duration::days(rng.random_range(1..=60))).date_naive();
        if t.completed {
            t.completed_at = Some(t.updated_at);
        }
    }
    let times = increasing_times(&mut rng, data.notes.len());
    for (n, created) in data.notes.iter_mut().zip(times) {
        n.created_at = created;
        n.updated_at = updated_after(&mut rng, created);
    }
}
