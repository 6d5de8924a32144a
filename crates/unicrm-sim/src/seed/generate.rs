//! The generator: records of every type, linked, from one seeded generator.

use super::order::restamp;
use super::words::*;
use super::*;

fn pick<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A random timestamp between two years and one month before [`EPOCH`], with an update time
/// between the creation time and [`EPOCH`].
fn stamps(rng: &mut SmallRng) -> (DateTime<Utc>, DateTime<Utc>) {
    let now = epoch();
    let created = now - Duration::seconds(rng.random_range(30 * 86_400..730 * 86_400));
    let span = (now - created).num_seconds();
    let updated = if rng.random_bool(0.3) {
        created
    } else {
        created + Duration::seconds(rng.random_range(0..=span))
    };
    (created, updated)
}

fn date_near(rng: &mut SmallRng, base: DateTime<Utc>, min_days: i64, max_days: i64) -> NaiveDate {
    (base + Duration::days(rng.random_range(min_days..=max_days))).date_naive()
}

fn choose_tags(rng: &mut SmallRng) -> Vec<String> {
    let n = match rng.random_range(0..10) {
        0..=3 => 0,
        4..=7 => 1,
        8 => 2,
        _ => 3,
    };
    let mut out: Vec<String> = Vec::with_capacity(n);
    for _ in 0..n {
        let t = *pick(rng, TAGS);
        if !out.iter().any(|x| x == t) {
            out.push(t.to_string());
        }
    }
    out
}

fn address(rng: &mut SmallRng, kind: &str) -> Address {
    let (street, city, state, zip, country) = *pick(rng, PLACES);
    Address {
        kind: kind.to_string(),
        street: street.to_string(),
        city: city.to_string(),
        state: state.to_string(),
        zip: zip.to_string(),
        country: country.to_string(),
    }
}

fn phone(rng: &mut SmallRng) -> String {
    match rng.random_range(0..4) {
        0 => format!(
            "+44 20 7{:03} {:04}",
            rng.random_range(0..1000),
            rng.random_range(0..10_000)
        ),
        1 => format!(
            "+33 4 72 {:02} {:02} {:02}",
            rng.random_range(0..100),
            rng.random_range(0..100),
            rng.random_range(0..100)
        ),
        2 => format!("+1 (415) 555-{:04}", rng.random_range(0..10_000)),
        _ => format!(
            "+81 90-{:04}-{:04}",
            rng.random_range(0..10_000),
            rng.random_range(0..10_000)
        ),
    }
}

fn decimal(rng: &mut SmallRng, max_units: u64) -> String {
    let units = rng.random_range(1..=max_units);
    let cents = match rng.random_range(0..4) {
        0 => 0,
        1 => 50,
        _ => rng.random_range(0..100),
    };
    format!("{units}.{cents:02}")
}

/// A value of the right type for `def`.
fn field_value(rng: &mut SmallRng, def: &FieldDef, now: DateTime<Utc>) -> FieldValue {
    match &def.kind {
        FieldKind::Text => FieldValue::Text(pick(rng, NOTE_BODIES).to_string()),
        FieldKind::Number => FieldValue::Number(rng.random_range(1..5_000)),
        FieldKind::Decimal => FieldValue::Decimal(decimal(rng, 250_000)),
        FieldKind::Date => FieldValue::Date(date_near(rng, now, -900, -1)),
        FieldKind::DateTime => {
            FieldValue::DateTime(now - Duration::seconds(rng.random_range(3_600..900 * 86_400)))
        }
        FieldKind::Boolean => FieldValue::Boolean(rng.random_bool(0.5)),
        FieldKind::SingleChoice(options) => FieldValue::Choice(pick(rng, options).clone()),
        FieldKind::MultiChoice(options) => {
            let mut chosen: Vec<String> = options
                .iter()
                .filter(|_| rng.random_bool(0.5))
                .cloned()
                .collect();
            if chosen.is_empty() {
                chosen.push(options[0].clone());
            }
            FieldValue::Choices(chosen)
        }
        FieldKind::Url => FieldValue::Text(format!(
            "https://portal.example.com/c/{}",
            rng.random_range(1000..100_000)
        )),
    }
}

/// Values for the definitions in `defs`: every field when `all`, else a random subset.
fn field_values(
    rng: &mut SmallRng,
    defs: &[&FieldDef],
    all: bool,
    now: DateTime<Utc>,
) -> Vec<(u64, FieldValue)> {
    let mut out = Vec::new();
    for d in defs {
        if all || rng.random_bool(0.45) {
            out.push((d.id, field_value(rng, d, now)));
        }
    }
    out
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn field_defs() -> Vec<FieldDef> {
    let party = "party";
    let opp = "opportunity";
    let defs: Vec<(&str, FieldKind, &'static str)> = vec![
        (
            "Region",
            FieldKind::SingleChoice(strings(&["EMEA", "Americas", "APAC"])),
            party,
        ),
        ("Long notes", FieldKind::Text, party),
        ("Employees", FieldKind::Number, party),
        ("Annual spend", FieldKind::Decimal, party),
        ("Contract start", FieldKind::Date, party),
        ("Last audit at", FieldKind::DateTime, party),
        ("Is partner", FieldKind::Boolean, party),
        (
            "Languages",
            FieldKind::MultiChoice(strings(&["English", "French", "Japanese", "Spanish"])),
            party,
        ),
        ("Portal URL", FieldKind::Url, party),
        (
            "Lead source",
            FieldKind::SingleChoice(strings(&["Web", "Referral", "Trade fair", "Cold call"])),
            party,
        ),
        ("Competitor", FieldKind::Text, opp),
        ("Seats", FieldKind::Number, opp),
        ("Discount", FieldKind::Decimal, opp),
        ("Signed on", FieldKind::Date, opp),
        ("Kick-off at", FieldKind::DateTime, opp),
        ("Renewal", FieldKind::Boolean, opp),
        (
            "Deal size",
            FieldKind::SingleChoice(strings(&["Small", "Medium", "Large"])),
            opp,
        ),
        (
            "Products",
            FieldKind::MultiChoice(strings(&["Hardware", "Software", "Support", "Training"])),
            opp,
        ),
        ("Proposal URL", FieldKind::Url, opp),
    ];
    defs.into_iter()
        .enumerate()
        .map(|(i, (name, kind, applies_to))| FieldDef {
            id: i as u64 + 1,
            name: name.to_string(),
            kind,
            applies_to,
        })
        .collect()
}

fn users() -> Vec<User> {
    let raw = [
        ("Ada", "Byron", "ada@example.com", true),
        ("Søren", "Kierkegaard", "soren@example.com", false),
        ("Grace", "Hopper", "grace@example.com", false),
        ("Chloé", "Lefèvre", "chloe@example.com", false),
    ];
    raw.iter()
        .enumerate()
        .map(|(i, (f, l, e, admin))| User {
            id: i as u64 + 1,
            first_name: f.to_string(),
            last_name: l.to_string(),
            email: e.to_string(),
            admin: *admin,
        })
        .collect()
}

fn pipelines() -> Vec<Pipeline> {
    let raw: [(&str, &[(&str, u8)]); 3] = [
        (
            "New business",
            &[
                ("Qualify", 10),
                ("Propose", 40),
                ("Negotiate", 70),
                ("Won", 100),
                ("Lost", 0),
            ],
        ),
        (
            "Renewals",
            &[
                ("Review", 50),
                ("Quote", 75),
                ("Renewed", 100),
                ("Churned", 0),
            ],
        ),
        (
            "Partnerships",
            &[
                ("Introduction", 20),
                ("Pilot", 50),
                ("Contract", 80),
                ("Signed", 100),
                ("Declined", 0),
            ],
        ),
    ];
    let mut stage_id = 0;
    raw.iter()
        .enumerate()
        .map(|(i, (name, stages))| {
            let n = stages.len();
            Pipeline {
                id: i as u64 + 1,
                name: name.to_string(),
                stages: stages
                    .iter()
                    .enumerate()
                    .map(|(j, (sname, prob))| {
                        stage_id += 1;
                        Stage {
                            id: stage_id,
                            name: sname.to_string(),
                            probability: *prob,
                            order: j as u32 + 1,
                            won: j + 2 == n,
                            lost: j + 1 == n,
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Generates the dataset for `options`. Deterministic: same options, same dataset.
///
/// Ids of every record type start at 1 and are dense. Timestamps lie in the two years
/// before [`EPOCH`] (2025-01-01), with `updated_at >= created_at`.
pub fn generate(options: SeedOptions) -> Dataset {
    let mut rng = SmallRng::seed_from_u64(options.seed);
    let now = epoch();
    let n_people = options.records;
    let n_orgs = if n_people == 0 {
        0
    } else {
        n_people.div_ceil(3)
    };
    let n_opps = n_people / 2;
    let n_tasks = n_people / 2;
    let n_notes = n_people / 2;

    let users = users();
    let n_users = users.len() as u64;
    let fields = field_defs();
    let party_defs: Vec<&FieldDef> = fields.iter().filter(|f| f.applies_to == "party").collect();
    let opp_defs: Vec<&FieldDef> = fields
        .iter()
        .filter(|f| f.applies_to == "opportunity")
        .collect();
    let pipelines = pipelines();

    // Organisations, with unique names.
    let mut names: HashSet<String> = HashSet::with_capacity(n_orgs);
    let mut base_counts: HashMap<String, usize> = HashMap::new();
    let mut organisations = Vec::with_capacity(n_orgs);
    for i in 0..n_orgs {
        let id = i as u64 + 1;
        let base = format!(
            "{} {} {}",
            pick(&mut rng, ORG_FIRST),
            pick(&mut rng, ORG_SECOND),
            pick(&mut rng, ORG_SUFFIX)
        );
        let seen = base_counts.entry(base.clone()).or_insert(0);
        *seen += 1;
        let mut k = *seen;
        let mut name = if k == 1 {
            base.clone()
        } else {
            format!("{base} {k}")
        };
        while names.contains(&name) {
            k += 1;
            name = format!("{base} {k}");
        }
        *seen = k;
        names.insert(name.clone());
        let domain = format!("org{id}.example.com");
        let (created_at, updated_at) = stamps(&mut rng);
        let mut emails = vec![("Work".to_string(), format!("info@{domain}"))];
        if rng.random_bool(0.5) {
            emails.push(("Work".to_string(), format!("sales@{domain}")));
        }
        let mut phones = vec![("Work".to_string(), phone(&mut rng))];
        if rng.random_bool(0.3) {
            phones.push(("Fax".to_string(), phone(&mut rng)));
        }
        let mut websites = vec![("URL".to_string(), format!("https://{domain}"))];
        if rng.random_bool(0.3) {
            websites.push((
                "LINKED_IN".to_string(),
                format!("https://www.linkedin.com/company/org{id}"),
            ));
        }
        let mut addresses = vec![address(&mut rng, "Billing")];
        if rng.random_bool(0.4) {
            addresses.push(address(&mut rng, "Shipping"));
        }
        organisations.push(Organisation {
            id,
            name,
            about: rng.random_bool(0.5).then(|| {
                format!(
                    "{} customer since {}.",
                    pick(&mut rng, ORG_SECOND),
                    created_at.format("%Y")
                )
            }),
            emails,
            phones,
            websites,
            addresses,
            tags: choose_tags(&mut rng),
            fields: field_values(&mut rng, &party_defs, i == 0, now),
            owner_id: rng.random_range(1..=n_users),
            created_at,
            updated_at,
        });
    }

    // People. Organisations come into use in id order, each just before its first person
    // (the account's creation order, see `creation_order`); later people also join
    // organisations created earlier.
    let mut people = Vec::with_capacity(n_people);
    let mut orgs_in_use: u64 = 0;
    for i in 0..n_people {
        let id = i as u64 + 1;
        let (first, first_slug) = *pick(&mut rng, FIRST_NAMES);
        let (last, last_slug) = *pick(&mut rng, LAST_NAMES);
        let organisation_id = (n_orgs > 0 && (i < 3 || rng.random_bool(0.9))).then(|| {
            let left_orgs = n_orgs as u64 - orgs_in_use;
            let left_people = (n_people - i) as u64;
            let new_org =
                orgs_in_use == 0 || (left_orgs > 0 && rng.random_range(0..left_people) < left_orgs);
            if new_org {
                orgs_in_use += 1;
                orgs_in_use
            } else {
                rng.random_range(1..=orgs_in_use)
            }
        });
        let (created_at, updated_at) = stamps(&mut rng);
        let mut emails = vec![(
            "Work".to_string(),
            format!("{first_slug}.{last_slug}.{id}@example.com"),
        )];
        if i < 3 || rng.random_bool(0.4) {
            emails.push((
                "Home".to_string(),
                format!("{first_slug}{id}@mail.example.org"),
            ));
        }
        let mut phones = vec![("Work".to_string(), phone(&mut rng))];
        if i < 3 || rng.random_bool(0.5) {
            phones.push(("Mobile".to_string(), phone(&mut rng)));
        }
        if rng.random_bool(0.15) {
            phones.push(("Home".to_string(), phone(&mut rng)));
        }
        let mut websites = Vec::new();
        if rng.random_bool(0.4) {
            websites.push((
                "LINKED_IN".to_string(),
                format!("https://www.linkedin.com/in/{first_slug}-{last_slug}-{id}"),
            ));
        }
        if rng.random_bool(0.2) {
            websites.push(("TWITTER".to_string(), format!("@{first_slug}{id}")));
        }
        let mut addresses = Vec::new();
        if i < 3 || rng.random_bool(0.7) {
            addresses.push(address(&mut rng, "Work"));
        }
        if i < 3 || rng.random_bool(0.2) {
            addresses.push(address(&mut rng, "Home"));
        }
        let mut tags = choose_tags(&mut rng);
        if i == 0 && !tags.iter().any(|t| t == "VIP") {
            tags.push("VIP".to_string());
        }
        people.push(Person {
            id,
            title: rng
                .random_bool(0.3)
                .then(|| pick(&mut rng, TITLES).to_string()),
            first_name: first.to_string(),
            last_name: last.to_string(),
            job_title: rng
                .random_bool(0.7)
                .then(|| pick(&mut rng, JOB_TITLES).to_string()),
            organisation_id,
            about: rng
                .random_bool(0.3)
                .then(|| pick(&mut rng, NOTE_BODIES).to_string()),
            emails,
            phones,
            websites,
            addresses,
            tags,
            fields: field_values(&mut rng, &party_defs, i == 0, now),
            owner_id: rng.random_range(1..=n_users),
            created_at,
            updated_at,
        });
    }

    // Opportunities.
    let mut opportunities = Vec::with_capacity(n_opps);
    for i in 0..n_opps {
        let id = i as u64 + 1;
        let pipeline = &pipelines[i % pipelines.len()];
        // The first few cycle through a won and a lost stage so both always exist.
        let stage = match i {
            0 => &pipeline.stages[pipeline.stages.len() - 2],
            1 => &pipeline.stages[pipeline.stages.len() - 1],
            _ => pick(&mut rng, &pipeline.stages),
        };
        let party_is_person = n_orgs == 0 || rng.random_bool(0.3);
        let party_id = if party_is_person {
            rng.random_range(1..=n_people as u64)
        } else {
            rng.random_range(1..=n_orgs as u64)
        };
        let (created_at, updated_at) = stamps(&mut rng);
        let closed = stage.won || stage.lost;
        let closed_on = closed.then(|| updated_at.date_naive());
        let expected_close_on = if closed {
            closed_on
        } else {
            rng.random_bool(0.8)
                .then(|| date_near(&mut rng, now, 7, 240))
        };
        opportunities.push(Opportunity {
            id,
            name: format!("{} — {}", pick(&mut rng, OPP_NOUNS), id),
            description: rng
                .random_bool(0.5)
                .then(|| pick(&mut rng, NOTE_BODIES).to_string()),
            party_id,
            party_is_person,
            pipeline_id: pipeline.id,
            stage_id: stage.id,
            amount: if i == 0 {
                "12000.50".to_string()
            } else {
                decimal(&mut rng, 150_000)
            },
            currency: CURRENCIES[i % CURRENCIES.len()].to_string(),
            probability: stage.probability,
            expected_close_on,
            closed_on,
            lost_reason: stage.lost.then(|| pick(&mut rng, LOST_REASONS).to_string()),
            tags: choose_tags(&mut rng),
            fields: field_values(&mut rng, &opp_defs, i == 0, now),
            owner_id: rng.random_range(1..=n_users),
            created_at,
            updated_at,
        });
    }

    // Tasks.
    let mut tasks = Vec::with_capacity(n_tasks);
    for i in 0..n_tasks {
        let id = i as u64 + 1;
        let (created_at, updated_at) = stamps(&mut rng);
        let completed = i == 0 || (i != 1 && rng.random_bool(0.35));
        let person_id =
            (n_people > 0 && rng.random_bool(0.7)).then(|| rng.random_range(1..=n_people as u64));
        let opportunity_id = (n_opps > 0 && (person_id.is_none() || rng.random_bool(0.3)))
            .then(|| rng.random_range(1..=n_opps as u64));
        tasks.push(Task {
            id,
            description: pick(&mut rng, TASK_TITLES).to_string(),
            detail: rng
                .random_bool(0.5)
                .then(|| pick(&mut rng, NOTE_BODIES).to_string()),
            due_on: date_near(&mut rng, created_at, 1, 60),
            completed,
            completed_at: completed.then_some(updated_at),
            person_id,
            opportunity_id,
            category: rng
                .random_bool(0.6)
                .then(|| pick(&mut rng, TASK_CATEGORIES).to_string()),
            owner_id: rng.random_range(1..=n_users),
            created_at,
            updated_at,
        });
    }

    // Notes: exactly one link each.
    let mut notes = Vec::with_capacity(n_notes);
    for i in 0..n_notes {
        let id = i as u64 + 1;
        let (created_at, updated_at) = stamps(&mut rng);
        let (mut person_id, mut organisation_id, mut opportunity_id) = (None, None, None);
        match (i % 3, n_orgs > 0, n_opps > 0) {
            (1, true, _) => organisation_id = Some(rng.random_range(1..=n_orgs as u64)),
            (2, _, true) => opportunity_id = Some(rng.random_range(1..=n_opps as u64)),
            _ => person_id = Some(rng.random_range(1..=n_people as u64)),
        }
        notes.push(Note {
            id,
            title: pick(&mut rng, NOTE_TITLES).to_string(),
            content: pick(&mut rng, NOTE_BODIES).to_string(),
            person_id,
            organisation_id,
            opportunity_id,
            owner_id: rng.random_range(1..=n_users),
            created_at,
            updated_at,
        });
    }

    let mut data = Dataset {
        users,
        fields,
        tags: TAGS.iter().map(|t| t.to_string()).collect(),
        organisations,
        people,
        pipelines,
        opportunities,
        tasks,
        notes,
    };
    restamp(&mut data, options.seed);
    data
}
