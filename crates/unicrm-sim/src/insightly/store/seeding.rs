//! Conversion of the vendor-neutral seed dataset into the instance: reference data first
//! ([`reference`](super::reference)), then the records.

use super::*;

use super::reference::*;

fn field_json(def: &CfDef, v: &FieldValue) -> Value {
    match v {
        FieldValue::Text(s) | FieldValue::Choice(s) => Value::String(s.clone()),
        FieldValue::Number(n) => Value::from(*n),
        FieldValue::Decimal(d) => {
            serde_json::from_str::<Value>(d).unwrap_or_else(|_| Value::String(d.clone()))
        }
        FieldValue::Date(d) => Value::String(fmt_date(*d)),
        FieldValue::DateTime(t) => Value::String(fmt_dt(*t)),
        FieldValue::Boolean(b) => Value::Bool(*b),
        FieldValue::Choices(c) => {
            let _ = def;
            Value::String(c.join(";"))
        }
    }
}

impl Db {
    /// Builds the instance from the vendor-neutral dataset.
    pub(crate) fn from_dataset(d: &Dataset) -> Db {
        let mut db = Db {
            tables: KINDS
                .iter()
                .map(|k| Table {
                    rows: BTreeMap::new(),
                    next_id: k.id_base() + 1,
                    pending: HashMap::new(),
                })
                .collect(),
            next_link_id: 90_000_000,
            next_sub_id: 70_000_000,
            ..Db::default()
        };
        let epoch = DateTime::parse_from_rfc3339(crate::seed::EPOCH)
            .map_or_else(|_| Utc::now(), |t| t.with_timezone(&Utc));
        let base_time = fmt_dt(epoch - chrono::Duration::days(800));
        let refs = seed_reference(&mut db, d, &base_time);
        seed_records(&mut db, d, &refs);
        super::activities::seed_activities(&mut db, d);

        crate::insightly::projects::seed(&mut db, &base_time);
        crate::insightly::activity_sets::seed(&mut db);
        db
    }
}

/// Organisations, contacts, leads, opportunities, tasks and notes.
fn seed_records(db: &mut Db, d: &Dataset, refs: &SeedRefs) {
    let owner = |uid: u64| USER_BASE + uid;
    let custom = |fields: &[(u64, FieldValue)]| -> Vec<(String, Value)> {
        fields
            .iter()
            .filter_map(|(id, v)| {
                refs.by_seed_id
                    .get(id)
                    .map(|def| (def.name.clone(), field_json(def, v)))
            })
            .collect()
    };
    let stage_map = &refs.stage_map;
    let stage_flags = &refs.stage_flags;
    // Organisations.
    let org_names: HashMap<u64, String> = d
        .organisations
        .iter()
        .map(|o| (o.id, o.name.clone()))
        .collect();
    for o in &d.organisations {
        let k = Kind::Organisation;
        let id = k.id_base() + o.id;
        let mut r = Rec::new(k);
        r.set(k, "ORGANISATION_NAME", o.name.clone());
        r.set_opt(k, "BACKGROUND", o.about.clone());
        let phone = |kind: &str| {
            o.phones
                .iter()
                .find(|(k, _)| k == kind)
                .map(|(_, n)| n.clone())
        };
        r.set_opt(k, "PHONE", phone("Work"));
        r.set_opt(k, "PHONE_FAX", phone("Fax"));
        let site = |kind: &str| {
            o.websites
                .iter()
                .find(|(k, _)| k == kind)
                .map(|(_, n)| n.clone())
        };
        r.set_opt(k, "WEBSITE", site("URL"));
        r.set_opt(k, "SOCIAL_LINKEDIN", site("LINKED_IN"));
        r.set_opt(k, "SOCIAL_TWITTER", site("TWITTER"));
        for (prefix, a) in ["ADDRESS_BILLING", "ADDRESS_SHIP"].iter().zip(&o.addresses) {
            r.set(k, &format!("{prefix}_STREET"), a.street.clone());
            r.set(k, &format!("{prefix}_CITY"), a.city.clone());
            r.set(k, &format!("{prefix}_STATE"), a.state.clone());
            r.set(k, &format!("{prefix}_POSTCODE"), a.zip.clone());
            r.set(k, &format!("{prefix}_COUNTRY"), a.country.clone());
        }
        r.set(k, "OWNER_USER_ID", owner(o.owner_id));
        r.set(k, "CREATED_USER_ID", owner(o.owner_id));
        r.set(k, "VISIBLE_TO", "EVERYONE");
        r.set(k, "DATE_CREATED_UTC", fmt_dt(o.created_at));
        r.set(k, "DATE_UPDATED_UTC", fmt_dt(o.updated_at));
        r.tags = o.tags.clone();
        r.custom = custom(&o.fields);
        let mut domains: Vec<&str> = o
            .emails
            .iter()
            .filter_map(|(_, e)| e.split_once('@').map(|x| x.1))
            .collect();
        domains.dedup();
        for dom in domains {
            let did = db.next_sub();
            r.domains
                .push(json!({"EMAIL_DOMAIN_ID": did, "EMAIL_DOMAIN": dom}));
        }
        db.insert(k, id, r);
    }

    // Contacts.
    for p in &d.people {
        let k = Kind::Contact;
        let id = k.id_base() + p.id;
        let mut r = Rec::new(k);
        r.set_opt(k, "SALUTATION", p.title.clone());
        r.set(k, "FIRST_NAME", p.first_name.clone());
        r.set(k, "LAST_NAME", p.last_name.clone());
        r.set_opt(k, "TITLE", p.job_title.clone());
        r.set_opt(k, "BACKGROUND", p.about.clone());
        r.set_opt(k, "EMAIL_ADDRESS", p.emails.first().map(|(_, e)| e.clone()));
        r.set(k, "EMAIL_OPTED_OUT", p.id % 17 == 0);
        for (kind, field) in [
            ("Work", "PHONE"),
            ("Mobile", "PHONE_MOBILE"),
            ("Home", "PHONE_HOME"),
        ] {
            r.set_opt(
                k,
                field,
                p.phones
                    .iter()
                    .find(|(x, _)| x == kind)
                    .map(|(_, n)| n.clone()),
            );
        }
        for (kind, field) in [
            ("LINKED_IN", "SOCIAL_LINKEDIN"),
            ("TWITTER", "SOCIAL_TWITTER"),
        ] {
            r.set_opt(
                k,
                field,
                p.websites
                    .iter()
                    .find(|(x, _)| x == kind)
                    .map(|(_, n)| n.clone()),
            );
        }
        for (prefix, a) in ["ADDRESS_MAIL", "ADDRESS_OTHER"].iter().zip(&p.addresses) {
            r.set(k, &format!("{prefix}_STREET"), a.street.clone());
            r.set(k, &format!("{prefix}_CITY"), a.city.clone());
            r.set(k, &format!("{prefix}_STATE"), a.state.clone());
            r.set(k, &format!("{prefix}_POSTCODE"), a.zip.clone());
            r.set(k, &format!("{prefix}_COUNTRY"), a.country.clone());
        }
        r.set_opt(
            k,
            "ORGANISATION_ID",
            p.organisation_id.map(|o| Kind::Organisation.id_base() + o),
        );
        r.set(k, "OWNER_USER_ID", owner(p.owner_id));
        r.set(k, "CREATED_USER_ID", owner(p.owner_id));
        r.set(k, "VISIBLE_TO", "EVERYONE");
        r.set(k, "DATE_CREATED_UTC", fmt_dt(p.created_at));
        r.set(k, "DATE_UPDATED_UTC", fmt_dt(p.updated_at));
        r.tags = p.tags.clone();
        r.custom = custom(&p.fields);
        if p.id % 7 == 0 {
            let did = db.next_sub();
            r.dates.push(json!({
                "DATE_ID": did,
                "OCCASION_NAME": "Work anniversary",
                "OCCASION_DATE": fmt_date(p.created_at.date_naive()),
                "REPEAT_YEARLY": true,
                "CREATE_TASK_YEARLY": false
            }));
        }
        db.insert(k, id, r);
        if let Some(org) = p.organisation_id {
            db.add_link(
                (k, id),
                (Kind::Organisation, Kind::Organisation.id_base() + org),
                p.job_title.clone(),
                None,
            );
        }

        // Every tenth person (from the third) also exists as a lead.
        if p.id % 10 == 3 {
            let lk = Kind::Lead;
            let lid = lk.id_base() + p.id / 10 + 1;
            let mut l = Rec::new(lk);
            l.set_opt(lk, "SALUTATION", p.title.clone());
            l.set(lk, "FIRST_NAME", p.first_name.clone());
            l.set(lk, "LAST_NAME", p.last_name.clone());
            l.set_opt(lk, "TITLE", p.job_title.clone());
            l.set_opt(lk, "EMAIL", p.emails.last().map(|(_, e)| e.clone()));
            l.set_opt(lk, "PHONE", p.phones.first().map(|(_, n)| n.clone()));
            l.set_opt(
                lk,
                "ORGANISATION_NAME",
                p.organisation_id.and_then(|o| org_names.get(&o).cloned()),
            );
            l.set(
                lk,
                "INDUSTRY",
                INDUSTRIES[(p.id as usize) % INDUSTRIES.len()],
            );
            l.set(lk, "EMPLOYEE_COUNT", 5 + (p.id * 37) % 500);
            l.set_opt(lk, "LEAD_DESCRIPTION", p.about.clone());
            l.set(lk, "LEAD_RATING", p.id % 6);
            l.set(
                lk,
                "LEAD_SOURCE_ID",
                LEAD_SOURCES[(p.id as usize) % LEAD_SOURCES.len()].0,
            );
            l.set(
                lk,
                "LEAD_STATUS_ID",
                LEAD_STATUSES[(p.id as usize / 10) % LEAD_STATUSES.len()].0,
            );
            if let Some(a) = p.addresses.first() {
                l.set(lk, "ADDRESS_STREET", a.street.clone());
                l.set(lk, "ADDRESS_CITY", a.city.clone());
                l.set(lk, "ADDRESS_STATE", a.state.clone());
                l.set(lk, "ADDRESS_POSTCODE", a.zip.clone());
                l.set(lk, "ADDRESS_COUNTRY", a.country.clone());
            }
            l.set(lk, "CONVERTED", false);
            l.set(lk, "EMAIL_OPTED_OUT", false);
            l.set(lk, "OWNER_USER_ID", owner(p.owner_id));
            l.set(lk, "RESPONSIBLE_USER_ID", owner(p.owner_id));
            l.set(lk, "CREATED_USER_ID", owner(p.owner_id));
            l.set(lk, "VISIBLE_TO", "EVERYONE");
            l.set(lk, "DATE_CREATED_UTC", fmt_dt(p.created_at));
            l.set(lk, "DATE_UPDATED_UTC", fmt_dt(p.updated_at));
            l.tags = p.tags.clone();
            db.insert(lk, lid, l);
        }
    }

    // Opportunities.
    for o in &d.opportunities {
        let k = Kind::Opportunity;
        let id = k.id_base() + o.id;
        let mut r = Rec::new(k);
        r.set(k, "OPPORTUNITY_NAME", o.name.clone());
        r.set_opt(k, "OPPORTUNITY_DETAILS", o.description.clone());
        let (won, lost) = stage_flags
            .get(&o.stage_id)
            .copied()
            .unwrap_or((false, false));
        r.set(
            k,
            "OPPORTUNITY_STATE",
            if won {
                "WON"
            } else if lost {
                "LOST"
            } else {
                "OPEN"
            },
        );
        r.set(k, "RESPONSIBLE_USER_ID", owner(o.owner_id));
        r.set(
            k,
            "CATEGORY_ID",
            OPP_CATEGORIES[(o.id as usize) % OPP_CATEGORIES.len()].0,
        );
        r.set(k, "BID_CURRENCY", o.currency.clone());
        let amount = serde_json::from_str::<Value>(&o.amount).unwrap_or(Value::Null);
        r.set(k, "BID_AMOUNT", amount.clone());
        r.set(k, "BID_TYPE", "Fixed Bid");
        r.set(k, "OPPORTUNITY_VALUE", amount);
        r.set(k, "PROBABILITY", o.probability);
        r.set_opt(k, "FORECAST_CLOSE_DATE", o.expected_close_on.map(fmt_date));
        r.set_opt(k, "ACTUAL_CLOSE_DATE", o.closed_on.map(fmt_date));
        if let Some((pid, sid)) = stage_map.get(&o.stage_id) {
            r.set(k, "PIPELINE_ID", *pid);
            r.set(k, "STAGE_ID", *sid);
        }
        let org = if o.party_is_person {
            d.people
                .get(o.party_id as usize - 1)
                .and_then(|p| p.organisation_id)
        } else {
            Some(o.party_id)
        };
        r.set_opt(
            k,
            "ORGANISATION_ID",
            org.map(|x| Kind::Organisation.id_base() + x),
        );
        r.set(k, "OWNER_USER_ID", owner(o.owner_id));
        r.set(k, "CREATED_USER_ID", owner(o.owner_id));
        r.set(k, "VISIBLE_TO", "EVERYONE");
        r.set(k, "DATE_CREATED_UTC", fmt_dt(o.created_at));
        r.set(k, "DATE_UPDATED_UTC", fmt_dt(o.updated_at));
        r.tags = o.tags.clone();
        r.custom = custom(&o.fields);
        db.insert(k, id, r);
        if let Some(org) = org {
            db.add_link(
                (k, id),
                (Kind::Organisation, Kind::Organisation.id_base() + org),
                None,
                None,
            );
        }
        if o.party_is_person {
            let cid = Kind::Contact.id_base() + o.party_id;
            db.add_link(
                (k, id),
                (Kind::Contact, cid),
                Some("Decision maker".into()),
                None,
            );
        }
    }

    // Tasks.
    for t in &d.tasks {
        let k = Kind::Task;
        let id = k.id_base() + t.id;
        let mut r = Rec::new(k);
        r.set(k, "TITLE", t.description.clone());
        r.set_opt(k, "DETAILS", t.detail.clone());
        let status = if t.completed {
            "COMPLETED"
        } else {
            [
                "NOT STARTED",
                "IN PROGRESS",
                "WAITING",
                "DEFERRED",
                "NOT STARTED",
            ][(t.id as usize) % 5]
        };
        r.set(k, "STATUS", status);
        r.set(k, "PRIORITY", 1 + t.id % 3);
        r.set(
            k,
            "PERCENT_COMPLETE",
            if t.completed {
                100
            } else if status == "IN PROGRESS" {
                50
            } else {
                0
            },
        );
        r.set(k, "COMPLETED", t.completed);
        r.set_opt(k, "COMPLETED_DATE_UTC", t.completed_at.map(fmt_dt));
        r.set(k, "START_DATE", fmt_date(t.created_at.date_naive()));
        r.set(k, "DUE_DATE", fmt_date(t.due_on));
        r.set(k, "REMINDER_SENT", false);
        r.set_opt(
            k,
            "CATEGORY_ID",
            t.category
                .as_ref()
                .and_then(|c| TASK_CATEGORIES.iter().find(|x| x.1 == c))
                .map(|x| x.0),
        );
        r.set(k, "RESPONSIBLE_USER_ID", owner(t.owner_id));
        r.set(k, "OWNER_USER_ID", owner(t.owner_id));
        r.set(k, "ASSIGNED_BY_USER_ID", owner(t.owner_id));
        r.set(k, "ASSIGNED_DATE_UTC", fmt_dt(t.created_at));
        r.set(k, "CREATED_USER_ID", owner(t.owner_id));
        r.set(k, "OWNER_VISIBLE", true);
        r.set(k, "PUBLICLY_VISIBLE", true);
        r.set_opt(
            k,
            "OPPORTUNITY_ID",
            t.opportunity_id.map(|x| Kind::Opportunity.id_base() + x),
        );
        r.set(k, "DATE_CREATED_UTC", fmt_dt(t.created_at));
        r.set(k, "DATE_UPDATED_UTC", fmt_dt(t.updated_at));
        db.insert(k, id, r);
        if let Some(o) = t.opportunity_id {
            db.add_link(
                (k, id),
                (Kind::Opportunity, Kind::Opportunity.id_base() + o),
                None,
                None,
            );
        }
        if let Some(p) = t.person_id {
            db.add_link(
                (k, id),
                (Kind::Contact, Kind::Contact.id_base() + p),
                None,
                None,
            );
        }
    }

    // Notes.
    for n in &d.notes {
        let k = Kind::Note;
        let id = k.id_base() + n.id;
        let mut r = Rec::new(k);
        r.set(k, "TITLE", n.title.clone());
        r.set(k, "BODY", format!("<p>{}</p>", html_escape(&n.content)));
        r.set(k, "OWNER_USER_ID", owner(n.owner_id));
        r.set(k, "DATE_CREATED_UTC", fmt_dt(n.created_at));
        r.set(k, "DATE_UPDATED_UTC", fmt_dt(n.updated_at));
        db.insert(k, id, r);
        let parent = if let Some(p) = n.person_id {
            (Kind::Contact, Kind::Contact.id_base() + p)
        } else if let Some(o) = n.organisation_id {
            (Kind::Organisation, Kind::Organisation.id_base() + o)
        } else {
            (
                Kind::Opportunity,
                Kind::Opportunity.id_base() + n.opportunity_id.unwrap_or(0),
            )
        };
        db.add_link((k, id), parent, None, None);
    }
}
