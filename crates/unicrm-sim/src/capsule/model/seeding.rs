//! Conversion of the vendor-neutral seed dataset into the tenant.

use super::*;

fn field_kind(kind: &FieldKind) -> (&'static str, Vec<String>) {
    match kind {
        FieldKind::Text | FieldKind::DateTime | FieldKind::MultiChoice(_) => ("text", vec![]),
        FieldKind::Number | FieldKind::Decimal => ("number", vec![]),
        FieldKind::Date => ("date", vec![]),
        FieldKind::Boolean => ("boolean", vec![]),
        FieldKind::SingleChoice(o) => ("list", o.clone()),
        FieldKind::Url => ("link", vec![]),
    }
}

fn field_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Text(s) | FieldValue::Decimal(s) | FieldValue::Choice(s) => json!(s),
        FieldValue::Number(n) => json!(n.to_string()),
        FieldValue::Date(d) => json!(fmt_date(d)),
        FieldValue::DateTime(t) => json!(fmt_dt(t)),
        FieldValue::Boolean(b) => json!(b),
        FieldValue::Choices(c) => json!(c.join(", ")),
    }
}

/// Seed records of every type in the order they were created (ties: parties, then
/// opportunities, tasks, notes, by dataset id), as `(type, dataset id)`; type 0 = organisation,
/// 1 = person, 2 = opportunity, 3 = task, 4 = note.
fn creation_sequence(data: &Dataset) -> Vec<(u8, u64)> {
    let mut all: Vec<(DateTime<Utc>, u8, u64)> = Vec::new();
    all.extend(data.organisations.iter().map(|o| (o.created_at, 0, o.id)));
    all.extend(data.people.iter().map(|p| (p.created_at, 1, p.id)));
    all.extend(data.opportunities.iter().map(|o| (o.created_at, 2, o.id)));
    all.extend(data.tasks.iter().map(|t| (t.created_at, 3, t.id)));
    all.extend(data.notes.iter().map(|n| (n.created_at, 4, n.id)));
    all.sort_by_key(|(t, kind, id)| (*t, u8::from(*kind >= 2), *kind, *id));
    all.into_iter().map(|(_, k, id)| (k, id)).collect()
}

/// Builds the tenant from the dataset. Every record gets its id from one tenant-wide counter
/// in creation order (`createdAt`), as on the real service: organisations interleaved with
/// their people, opportunities, tasks and notes between them.
pub(crate) fn build(
    data: &Dataset,
    seed: u64,
    budget: u32,
    window: Duration,
    clock: SimClock,
) -> Db {
    // Fixed, so metadata timestamps (pipelines, milestones, users) are deterministic too.
    let seeded_at = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut db = Db {
        next_id: 10_000,
        next_row: 5_000_000,
        next_small: 0,
        rng: SmallRng::seed_from_u64(seed ^ 0xC0FF_EE00_CAB5_0001),
        users: BTreeMap::new(),
        parties: BTreeMap::new(),
        org_names: HashMap::new(),
        opportunities: BTreeMap::new(),
        tasks: BTreeMap::new(),
        entries: BTreeMap::new(),
        activity_types: BTreeMap::new(),
        teams_edition: true,
        deleted_parties: Vec::new(),
        deleted_opportunities: Vec::new(),
        party_tags: BTreeMap::new(),
        opp_tags: BTreeMap::new(),
        party_fields: BTreeMap::new(),
        opp_fields: BTreeMap::new(),
        pipelines: BTreeMap::new(),
        milestones: BTreeMap::new(),
        lost_reasons: BTreeMap::new(),
        categories: BTreeMap::new(),
        hooks: BTreeMap::new(),
        jobs: HashMap::new(),
        tokens: HashMap::new(),
        codes: HashMap::new(),
        refresh_tokens: HashMap::new(),
        windows: HashMap::new(),
        budget,
        window,
        client_id: String::new(),
        client_secret: String::new(),
        seeded_at,
        clock,
        search_lag: chrono::Duration::zero(),
        party_pending: HashMap::new(),
        opp_pending: HashMap::new(),
        kases: KaseStore::default(),
    };
    db.client_id = format!("sim-{}", db.token(24));
    db.client_secret = db.token(40);

    // Users: user 1 always exists and is an administrator.
    for u in &data.users {
        let username = u
            .email
            .split('@')
            .next()
            .filter(|s| !s.is_empty())
            .map_or_else(|| format!("user{}", u.id), str::to_string);
        db.users.insert(
            u.id,
            User {
                id: u.id,
                username,
                name: format!("{} {}", u.first_name, u.last_name)
                    .trim()
                    .to_string(),
                admin: u.admin || u.id == 1,
                currency: "GBP".into(),
                created_at: seeded_at,
            },
        );
    }
    db.users.entry(1).or_insert_with(|| User {
        id: 1,
        username: "admin".into(),
        name: "Sam Admin".into(),
        admin: true,
        currency: "GBP".into(),
        created_at: seeded_at,
    });
    let known_user = |db: &Db, id: u64| {
        if db.users.contains_key(&id) {
            Some(id)
        } else {
            Some(1)
        }
    };

    // Custom field definitions, split by entity; ids kept from the dataset.
    let mut order_p = 0;
    let mut order_o = 0;
    for f in &data.fields {
        let (kind, options) = field_kind(&f.kind);
        let (map, order) = if f.applies_to == "opportunity" {
            (&mut db.opp_fields, &mut order_o)
        } else {
            (&mut db.party_fields, &mut order_p)
        };
        *order += 1;
        map.insert(
            f.id,
            FieldDef {
                id: f.id,
                name: f.name.clone(),
                kind,
                description: None,
                options,
                capture_rule: None,
                important: false,
                display_order: *order,
            },
        );
    }

    // Tags.
    for name in &data.tags {
        tag_by_name(&mut db, TagScope::Party, name);
    }

    // Pipelines and milestones (each pipeline gets a won and a lost milestone).
    let mut pipelines = data.pipelines.clone();
    if pipelines.is_empty() {
        pipelines.push(default_pipeline());
    }
    let mut next_stage = pipelines
        .iter()
        .flat_map(|p| p.stages.iter().map(|s| s.id))
        .max()
        .unwrap_or(0);
    for p in &pipelines {
        db.pipelines.insert(
            p.id,
            Pipeline {
                id: p.id,
                name: p.name.clone(),
                description: None,
                created_at: seeded_at,
            },
        );
        let mut order = 0;
        for s in &p.stages {
            order = order.max(s.order);
            let complete = s.won || s.lost;
            db.milestones.insert(
                s.id,
                Milestone {
                    id: s.id,
                    name: s.name.clone(),
                    pipeline: p.id,
                    probability: if s.won {
                        100
                    } else if s.lost {
                        0
                    } else {
                        s.probability.min(99)
                    },
                    complete,
                    display_order: s.order,
                    days_until_stale: if complete { None } else { Some(14) },
                },
            );
        }
        for (won, name) in [(true, "Won"), (false, "Lost")] {
            let has = p.stages.iter().any(|s| if won { s.won } else { s.lost });
            if !has {
                next_stage += 1;
                order += 1;
                db.milestones.insert(
                    next_stage,
                    Milestone {
                        id: next_stage,
                        name: name.into(),
                        pipeline: p.id,
                        probability: if won { 100 } else { 0 },
                        complete: true,
                        display_order: order,
                        days_until_stale: None,
                    },
                );
            }
        }
    }

    // Lost reasons and categories.
    for name in ["Price", "Went with competitor", "No budget", "Timing"] {
        named(&mut db.lost_reasons, name);
    }
    for name in ["Call", "Email", "Follow-up", "Meeting"] {
        named(&mut db.categories, name);
    }

    // Ids in creation order.
    let mut assigned: [HashMap<u64, u64>; 5] = Default::default();
    for (kind, id) in creation_sequence(data) {
        let new = db.id();
        assigned[usize::from(kind)].insert(id, new);
    }
    let [org_ids, person_ids, opp_seq, task_seq, note_seq] = assigned;
    let tenant_id = |map: &HashMap<u64, u64>, id: u64| map.get(&id).copied().unwrap_or(0);

    // Parties.
    for o in &data.organisations {
        let id = tenant_id(&org_ids, o.id);
        let mut party = blank_party(id, PartyKind::Organisation, o.created_at, o.updated_at);
        party.name = Some(o.name.clone());
        party.about = o.about.clone();
        party.owner = known_user(&db, o.owner_id);
        fill_rows(
            &mut db,
            &mut party,
            (&o.emails, &o.phones, &o.websites, &o.addresses),
        );
        party.tags = o
            .tags
            .iter()
            .map(|t| tag_by_name(&mut db, TagScope::Party, t))
            .collect();
        party.fields = seed_fields(&mut db, &o.fields);
        db.org_names.insert(o.name.to_lowercase(), id);
        db.parties.insert(id, party);
    }
    for p in &data.people {
        let id = tenant_id(&person_ids, p.id);
        let mut party = blank_party(id, PartyKind::Person, p.created_at, p.updated_at);
        party.title = p.title.clone();
        party.first_name = Some(p.first_name.clone()).filter(|s| !s.is_empty());
        party.last_name = Some(p.last_name.clone()).filter(|s| !s.is_empty());
        party.job_title = p.job_title.clone();
        party.organisation = p.organisation_id.and_then(|o| org_ids.get(&o).copied());
        party.about = p.about.clone();
        party.owner = known_user(&db, p.owner_id);
        fill_rows(
            &mut db,
            &mut party,
            (&p.emails, &p.phones, &p.websites, &p.addresses),
        );
        party.tags = p
            .tags
            .iter()
            .map(|t| tag_by_name(&mut db, TagScope::Party, t))
            .collect();
        party.fields = seed_fields(&mut db, &p.fields);
        db.parties.insert(id, party);
    }

    // Opportunities.
    let mut opp_ids: HashMap<u64, u64> = HashMap::new();
    for o in &data.opportunities {
        let party = if o.party_is_person {
            person_ids.get(&o.party_id)
        } else {
            org_ids.get(&o.party_id)
        };
        let (Some(&party), Some(ms)) = (party, db.milestones.get(&o.stage_id).cloned()) else {
            continue;
        };
        let id = tenant_id(&opp_seq, o.id);
        opp_ids.insert(o.id, id);
        let lost_reason = if ms.is_lost() {
            o.lost_reason
                .as_deref()
                .map(|r| named(&mut db.lost_reasons, r))
        } else {
            None
        };
        let last_open = if ms.complete {
            db.pipeline_milestones(ms.pipeline)
                .into_iter()
                .rev()
                .find(|m| !m.complete)
                .map(|m| m.id)
        } else {
            None
        };
        let tags = o
            .tags
            .iter()
            .map(|t| tag_by_name(&mut db, TagScope::Opportunity, t))
            .collect();
        let fields = seed_fields(&mut db, &o.fields);
        db.opportunities.insert(
            id,
            Opportunity {
                id,
                name: o.name.clone(),
                description: o.description.clone(),
                party,
                milestone: ms.id,
                last_open_milestone: last_open,
                lost_reason,
                amount: Some(o.amount.clone()),
                currency: Some(o.currency.clone()),
                expected_close_on: o.expected_close_on,
                probability: if ms.complete {
                    ms.probability
                } else {
                    o.probability.min(100)
                },
                duration_basis: "FIXED".into(),
                duration: None,
                closed_on: if ms.complete {
                    o.closed_on.or(Some(o.updated_at.date_naive()))
                } else {
                    None
                },
                owner: known_user(&db, o.owner_id),
                tags,
                fields,
                additional_parties: Vec::new(),
                created_at: o.created_at,
                updated_at: o.updated_at,
                last_stage_changed_at: Some(o.updated_at),
                last_contacted_at: None,
            },
        );
    }

    // Tasks.
    for t in &data.tasks {
        let id = tenant_id(&task_seq, t.id);
        let category = t.category.as_deref().map(|c| named(&mut db.categories, c));
        let party = t.person_id.and_then(|p| person_ids.get(&p).copied());
        let opportunity = if party.is_none() {
            t.opportunity_id.and_then(|o| opp_ids.get(&o).copied())
        } else {
            None
        };
        let owner = known_user(&db, t.owner_id);
        // An open task of a closed opportunity reads as PENDING.
        let closed = opportunity
            .and_then(|o| db.opportunities.get(&o))
            .and_then(|o| db.milestones.get(&o.milestone))
            .is_some_and(|m| m.complete);
        let status = match (t.completed, closed) {
            (true, _) => "COMPLETED",
            (false, true) => "PENDING",
            (false, false) => "OPEN",
        };
        db.tasks.insert(
            id,
            Task {
                id,
                description: t.description.clone(),
                detail: t.detail.clone(),
                due_on: t.due_on,
                due_time: None,
                status,
                category,
                party,
                opportunity,
                kase: None,
                has_track: false,
                owner,
                completed_at: if t.completed {
                    t.completed_at.or(Some(t.updated_at))
                } else {
                    None
                },
                completed_by: if t.completed { owner } else { None },
                created_at: t.created_at,
                updated_at: t.updated_at,
            },
        );
    }

    // Notes: exactly one link; a person beats an organisation beats an opportunity.
    for n in &data.notes {
        let party = n
            .person_id
            .and_then(|p| person_ids.get(&p).copied())
            .or_else(|| n.organisation_id.and_then(|o| org_ids.get(&o).copied()));
        let opportunity = if party.is_none() {
            n.opportunity_id.and_then(|o| opp_ids.get(&o).copied())
        } else {
            None
        };
        if party.is_none() && opportunity.is_none() {
            continue;
        }
        let id = tenant_id(&note_seq, n.id);
        let content = if n.title.is_empty() {
            n.content.clone()
        } else {
            format!("{}\n\n{}", n.title, n.content)
        };
        let creator = known_user(&db, n.owner_id).unwrap_or(1);
        db.entries.insert(
            id,
            Entry {
                id,
                kind: "note",
                content,
                subject: None,
                entry_at: n.created_at,
                creator,
                activity_type: -1,
                party,
                opportunity,
                parties: Vec::new(),
                participants: Vec::new(),
                created_at: n.created_at,
                updated_at: n.updated_at,
            },
        );
        if let Some(p) = party.and_then(|p| db.parties.get_mut(&p)) {
            if p.last_contacted_at.is_none_or(|t| t < n.created_at) {
                p.last_contacted_at = Some(n.created_at);
            }
        }
    }
    seed_kases(&mut db);

    super::activities::seed_activities(&mut db);
    db
}

type SeedRows<'a> = (
    &'a [(String, String)],
    &'a [(String, String)],
    &'a [(String, String)],
    &'a [seed::Address],
);

fn fill_rows(db: &mut Db, party: &mut Party, (emails, phones, websites, addresses): SeedRows<'_>) {
    for (kind, address) in emails {
        let id = db.row_id();
        party.emails.push(EmailRow {
            id,
            kind: Some(kind.clone()),
            address: address.clone(),
        });
    }
    for (kind, number) in phones {
        let id = db.row_id();
        party.phones.push(PhoneRow {
            id,
            kind: Some(kind.clone()),
            number: number.clone(),
        });
    }
    for (service, address) in websites {
        let id = db.row_id();
        let service = if WEBSITE_SERVICES.contains(&service.as_str()) {
            service.clone()
        } else {
            "URL".to_string()
        };
        party.websites.push(WebsiteRow {
            id,
            kind: None,
            address: address.clone(),
            service,
        });
    }
    for a in addresses {
        let id = db.row_id();
        let opt = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        party.addresses.push(AddressRow {
            id,
            kind: opt(&a.kind),
            street: opt(&a.street),
            city: opt(&a.city),
            state: opt(&a.state),
            country: opt(&a.country),
            zip: opt(&a.zip),
        });
    }
}

fn seed_fields(db: &mut Db, values: &[(u64, FieldValue)]) -> Vec<FieldRow> {
    values
        .iter()
        .map(|(def, v)| FieldRow {
            id: db.row_id(),
            definition: *def,
            value: field_value(v),
        })
        .collect()
}

fn default_pipeline() -> seed::Pipeline {
    let stage = |id, name: &str, probability, order, won, lost| seed::Stage {
        id,
        name: name.to_string(),
        probability,
        order,
        won,
        lost,
    };
    seed::Pipeline {
        id: 1,
        name: "Sales".into(),
        stages: vec![
            stage(1, "Lead", 10, 1, false, false),
            stage(2, "Qualified", 25, 2, false, false),
            stage(3, "Proposal", 50, 3, false, false),
            stage(4, "Negotiation", 75, 4, false, false),
            stage(5, "Won", 100, 5, true, false),
            stage(6, "Lost", 0, 6, false, true),
        ],
    }
}
