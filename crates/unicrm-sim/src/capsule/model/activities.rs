//! Activity types and the seeded engagements: entries that are logged calls, meetings and
//! custom activities, a filed email and a completed-task record
//! (docs/vendors/capsule-v2-addendum.md, "Activity types", "Entries as engagements").

use super::*;

/// The id of the seeded custom activity type ("Video call", phone icon).
pub(crate) const VIDEO_CALL: i64 = 2;

fn activity(id: i64, name: &str, icon: &str, update_last_contacted: bool) -> ActivityType {
    ActivityType {
        id,
        name: name.into(),
        icon: icon.into(),
        update_last_contacted,
    }
}

impl Db {
    /// Whether entries may carry activity type `id`: a listed type, or -4 (task completed),
    /// which entries carry although `/activitytypes` does not list it (docs/vendors/
    /// capsule-v2-addendum.md, "Uncertain" #5).
    pub(crate) fn entry_activity_known(&self, id: i64) -> bool {
        id == -4 || self.activity_types.contains_key(&id)
    }

    /// Whether an entry of type `id` moves its record's `lastContactedAt`.
    pub(crate) fn activity_updates_last_contacted(&self, id: i64) -> bool {
        self.activity_types
            .get(&id)
            .is_none_or(|t| t.update_last_contacted)
    }

    /// The next custom activity type id (positive).
    pub(crate) fn next_activity_id(&self) -> i64 {
        self.activity_types
            .keys()
            .next_back()
            .map_or(1, |k| (*k).max(0) + 1)
    }
}

/// Built-ins -1 Note, -2 Meeting, -3 Call and one custom type; then, on the first people and
/// the first organisation: a meeting (back-dated three days before it was logged), a call, a
/// video call, a received email with participants, and a completed-task record.
pub(crate) fn seed_activities(db: &mut Db) {
    for t in [
        activity(-1, "Note", "NOTE", true),
        activity(-2, "Meeting", "MEETING", true),
        activity(-3, "Call", "PHONE", true),
        activity(VIDEO_CALL, "Video call", "PHONE", true),
    ] {
        db.activity_types.insert(t.id, t);
    }
    let people: Vec<(u64, DateTime<Utc>, String, String)> = db
        .parties
        .values()
        .filter(|p| p.kind == PartyKind::Person)
        .take(3)
        .map(|p| {
            let name = format!(
                "{} {}",
                p.first_name.as_deref().unwrap_or_default(),
                p.last_name.as_deref().unwrap_or_default()
            );
            let address = p.emails.first().map_or_else(
                || format!("person{}@example.com", p.id),
                |e| e.address.clone(),
            );
            (p.id, p.created_at, name.trim().to_string(), address)
        })
        .collect();
    let org = db
        .parties
        .values()
        .find(|p| p.kind == PartyKind::Organisation)
        .map(|p| (p.id, p.created_at));
    let user = db
        .users
        .get(&1)
        .map(|u| (u.name.clone(), format!("{}@sim.example", u.username)));
    let day = chrono::Duration::days(1);
    let add = |db: &mut Db,
               kind: &'static str,
               activity: i64,
               party: u64,
               at: DateTime<Utc>,
               content: String| {
        let id = db.id();
        db.entries.insert(
            id,
            Entry {
                id,
                kind,
                content,
                subject: None,
                entry_at: at,
                creator: 1,
                activity_type: activity,
                party: Some(party),
                opportunity: None,
                parties: Vec::new(),
                participants: Vec::new(),
                created_at: at + day * 3,
                updated_at: at + day * 3,
            },
        );
        id
    };
    if let Some((p, t, _, _)) = people.first() {
        add(
            db,
            "note",
            -2,
            *p,
            *t + day,
            "On-site meeting.\n\n- agreed the installation window\n- next step: revised quote"
                .into(),
        );
    }
    if let Some((p, t, _, _)) = people.get(1) {
        add(
            db,
            "note",
            -3,
            *p,
            *t + day,
            "Called about delivery windows; prefers Tuesdays.".into(),
        );
    }
    if let Some((o, t)) = org {
        add(
            db,
            "note",
            VIDEO_CALL,
            o,
            t + day * 2,
            "Video call with the buying team.".into(),
        );
    }
    if let (Some((p, t, name, address)), Some((user_name, user_address))) = (people.first(), user) {
        let id = add(
            db,
            "email",
            -6,
            *p,
            *t + day * 2,
            "Hello,\n\ncould you add a second grinder to the quote?\n\nThanks".into(),
        );
        let (a, b) = (db.row_id(), db.row_id());
        if let Some(e) = db.entries.get_mut(&id) {
            e.subject = Some("Re: grinder quote".into());
            e.parties = vec![*p];
            e.participants = vec![
                Participant {
                    id: a,
                    name: name.clone(),
                    address: address.clone(),
                    role: "FROM",
                },
                Participant {
                    id: b,
                    name: user_name,
                    address: user_address,
                    role: "TO",
                },
            ];
        }
    }
    if let Some((p, t, _, _)) = people.get(2) {
        add(db, "task", -4, *p, *t + day, "Send the price list".into());
    }
}
