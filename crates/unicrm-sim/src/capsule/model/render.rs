//! JSON rendering of the tenant's records, in the vendor's wire shapes.

use super::*;

impl Db {
    pub(crate) fn user_ref(&self, id: Option<u64>) -> Value {
        match id.and_then(|id| self.users.get(&id)) {
            Some(u) => json!({
                "id": u.id, "username": u.username, "name": u.name,
                "pictureURL": PERSON_AVATAR, "deleted": false
            }),
            None => Value::Null,
        }
    }

    pub(crate) fn party_ref(&self, id: Option<u64>) -> Value {
        let Some(p) = id.and_then(|id| self.parties.get(&id)) else {
            return Value::Null;
        };
        match p.kind {
            PartyKind::Person => json!({
                "id": p.id, "type": "person", "firstName": p.first_name,
                "lastName": p.last_name, "pictureURL": PERSON_AVATAR
            }),
            PartyKind::Organisation => json!({
                "id": p.id, "type": "organisation", "name": p.name, "pictureURL": ORG_AVATAR
            }),
        }
    }

    pub(crate) fn milestone_ref(&self, id: Option<u64>) -> Value {
        match id.and_then(|id| self.milestones.get(&id)) {
            Some(m) => json!({"id": m.id, "name": m.name}),
            None => Value::Null,
        }
    }

    pub(crate) fn kase_ref(&self, id: Option<u64>) -> Value {
        match id.and_then(|id| self.kases.kases.get(&id)) {
            Some(k) => json!({"id": k.id, "name": k.name}),
            None => Value::Null,
        }
    }

    pub(crate) fn opportunity_ref(&self, id: Option<u64>) -> Value {
        match id.and_then(|id| self.opportunities.get(&id)) {
            Some(o) => json!({"id": o.id, "name": o.name}),
            None => Value::Null,
        }
    }

    pub(crate) fn tags_value(defs: &BTreeMap<u64, TagDef>, ids: &[u64]) -> Value {
        Value::Array(
            ids.iter()
                .filter_map(|id| defs.get(id))
                .map(|t| json!({"id": t.id, "name": t.name, "dataTag": t.data_tag}))
                .collect(),
        )
    }

    pub(crate) fn fields_value(defs: &BTreeMap<u64, FieldDef>, rows: &[FieldRow]) -> Value {
        Value::Array(
            rows.iter()
                .map(|r| {
                    let name = defs.get(&r.definition).map(|d| d.name.clone());
                    json!({"id": r.id, "definition": {"id": r.definition, "name": name}, "value": r.value})
                })
                .collect(),
        )
    }

    pub(crate) fn missing_important(defs: &BTreeMap<u64, FieldDef>, rows: &[FieldRow]) -> bool {
        defs.values()
            .filter(|d| d.important)
            .any(|d| !rows.iter().any(|r| r.definition == d.id))
    }

    // ------------------------------------------------------------ records

    pub(crate) fn render_party(&self, p: &Party, embed: Embed) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), json!(p.id));
        o.insert("type".into(), json!(p.kind.as_str()));
        match p.kind {
            PartyKind::Person => {
                o.insert("title".into(), json!(p.title));
                o.insert("firstName".into(), json!(p.first_name));
                o.insert("lastName".into(), json!(p.last_name));
                o.insert("jobTitle".into(), json!(p.job_title));
                o.insert("organisation".into(), self.party_ref(p.organisation));
            }
            PartyKind::Organisation => {
                o.insert("name".into(), json!(p.name));
            }
        }
        o.insert("about".into(), json!(p.about));
        o.insert("owner".into(), self.user_ref(p.owner));
        o.insert("team".into(), Value::Null);
        o.insert("createdAt".into(), json!(fmt_dt(&p.created_at)));
        o.insert("updatedAt".into(), json!(fmt_dt(&p.updated_at)));
        o.insert("lastContactedAt".into(), dt_value(&p.last_contacted_at));
        o.insert(
            "pictureURL".into(),
            json!(match p.kind {
                PartyKind::Person => PERSON_AVATAR,
                PartyKind::Organisation => ORG_AVATAR,
            }),
        );
        o.insert("enrichment".into(), Value::Null);
        o.insert(
            "emailAddresses".into(),
            Value::Array(
                p.emails
                    .iter()
                    .map(|e| json!({"id": e.id, "type": e.kind, "address": e.address}))
                    .collect(),
            ),
        );
        o.insert(
            "phoneNumbers".into(),
            Value::Array(
                p.phones
                    .iter()
                    .map(|e| json!({"id": e.id, "type": e.kind, "number": e.number}))
                    .collect(),
            ),
        );
        o.insert(
            "addresses".into(),
            Value::Array(
                p.addresses
                    .iter()
                    .map(|a| {
                        json!({"id": a.id, "type": a.kind, "street": a.street, "city": a.city,
                               "state": a.state, "country": a.country, "zip": a.zip})
                    })
                    .collect(),
            ),
        );
        o.insert(
            "websites".into(),
            Value::Array(
                p.websites
                    .iter()
                    .map(|w| {
                        json!({"id": w.id, "type": w.kind, "address": w.address,
                               "service": w.service, "url": website_url(&w.service, &w.address)})
                    })
                    .collect(),
            ),
        );
        if embed.tags {
            o.insert("tags".into(), Self::tags_value(&self.party_tags, &p.tags));
        }
        if embed.fields {
            o.insert(
                "fields".into(),
                Self::fields_value(&self.party_fields, &p.fields),
            );
        }
        if embed.missing {
            o.insert(
                "missingImportantFields".into(),
                json!(Self::missing_important(&self.party_fields, &p.fields)),
            );
        }
        Value::Object(o)
    }

    pub(crate) fn render_opportunity(&self, op: &Opportunity, embed: Embed) -> Value {
        let value = op.amount.as_ref().map_or(
            Value::Null,
            |a| json!({"amount": number_value(a), "currency": op.currency}),
        );
        let lost_reason = op
            .lost_reason
            .and_then(|id| self.lost_reasons.get(&id))
            .map_or(Value::Null, |r| json!({"id": r.id, "name": r.name}));
        let mut o = json!({
            "id": op.id,
            "name": op.name,
            "description": op.description,
            "owner": self.user_ref(op.owner),
            "team": null,
            "party": self.party_ref(Some(op.party)),
            "milestone": self.milestone_ref(Some(op.milestone)),
            "lastOpenMilestone": self.milestone_ref(op.last_open_milestone),
            "lostReason": lost_reason,
            "value": value,
            "expectedCloseOn": date_value(&op.expected_close_on),
            "probability": op.probability,
            "durationBasis": op.duration_basis,
            "duration": op.duration,
            "closedOn": date_value(&op.closed_on),
            "lastContactedAt": dt_value(&op.last_contacted_at),
            "lastStageChangedAt": dt_value(&op.last_stage_changed_at),
            "createdAt": fmt_dt(&op.created_at),
            "updatedAt": fmt_dt(&op.updated_at),
        });
        if let Value::Object(map) = &mut o {
            if embed.tags {
                map.insert("tags".into(), Self::tags_value(&self.opp_tags, &op.tags));
            }
            if embed.fields {
                map.insert(
                    "fields".into(),
                    Self::fields_value(&self.opp_fields, &op.fields),
                );
            }
            if embed.missing {
                map.insert(
                    "missingImportantFields".into(),
                    json!(Self::missing_important(&self.opp_fields, &op.fields)),
                );
            }
        }
        o
    }

    pub(crate) fn render_task(&self, t: &Task) -> Value {
        let category = t.category.and_then(|id| self.categories.get(&id)).map_or(
            Value::Null,
            |c| json!({"id": c.id, "name": c.name, "colour": category_colour(&c.name)}),
        );
        let completed_by = t
            .completed_by
            .and_then(|u| self.users.get(&u))
            .map(|u| u.username.clone());
        json!({
            "id": t.id,
            "description": t.description,
            "detail": t.detail,
            "category": category,
            "dueOn": fmt_date(&t.due_on),
            "dueTime": t.due_time,
            "status": t.status,
            "party": self.party_ref(t.party),
            "opportunity": self.opportunity_ref(t.opportunity),
            "kase": self.kase_ref(t.kase),
            "owner": self.user_ref(t.owner),
            "completedAt": dt_value(&t.completed_at),
            "completedBy": completed_by,
            "createdAt": fmt_dt(&t.created_at),
            "updatedAt": fmt_dt(&t.updated_at),
            "hasTrack": t.has_track,
            "daysAfter": null,
            "taskDelayRule": null,
            "taskDayDelayRule": null,
            "nextTask": null,
            "repeat": null,
            "active": t.status != "PENDING",
            "overrideToCurrentUser": null,
        })
    }

    pub(crate) fn render_entry(&self, e: &Entry) -> Value {
        let name = self.activity_types.get(&e.activity_type).map_or_else(
            || activity_name(e.activity_type).to_string(),
            |t| t.name.clone(),
        );
        let mut v = json!({
            "id": e.id,
            "type": e.kind,
            "content": e.content,
            "entryAt": fmt_dt(&e.entry_at),
            "createdAt": fmt_dt(&e.created_at),
            "updatedAt": fmt_dt(&e.updated_at),
            "creator": self.user_ref(Some(e.creator)),
            "activityType": {"id": e.activity_type, "name": name},
            "party": self.party_ref(e.party),
            "opportunity": self.opportunity_ref(e.opportunity),
            "kase": null,
            "attachments": [],
        });
        if e.kind == "email" {
            v["subject"] = json!(e.subject);
            v["parties"] =
                Value::Array(e.parties.iter().map(|p| self.party_ref(Some(*p))).collect());
            v["participants"] = Value::Array(
                e.participants
                    .iter()
                    .map(|p| json!({"id": p.id, "name": p.name, "address": p.address, "role": p.role}))
                    .collect(),
            );
        }
        v
    }

    pub(crate) fn render_activity_type(&self, t: &ActivityType) -> Value {
        let (order, display, system) = match t.icon.as_str() {
            "NOTE" => (29, "Note", t.id == -1),
            "MEETING" => (18, "Meeting", false),
            "PHONE" => (12, "Phone", false),
            _ => (1, "Other", false),
        };
        json!({
            "id": t.id,
            "name": t.name,
            "icon": {
                "order": order,
                "id": t.icon,
                "displayName": display,
                "iconName": t.icon.to_ascii_lowercase(),
                "isSystem": system,
            },
            "updateLastContacted": t.update_last_contacted,
        })
    }

    pub(crate) fn render_user(&self, u: &User) -> Value {
        json!({
            "id": u.id,
            "username": u.username,
            "name": u.name,
            "locale": "en_GB",
            "currency": u.currency,
            "timezone": "Europe/London",
            "status": "ACTIVE",
            "lastLoginAt": fmt_dt(&u.created_at),
            "taskReminder": true,
            "deleted": false,
            "pictureURL": PERSON_AVATAR,
            "party": null,
        })
    }

    pub(crate) fn render_tag(t: &TagDef) -> Value {
        let mut v = json!({"id": t.id, "name": t.name, "dataTag": t.data_tag});
        if let (Some(d), Value::Object(m)) = (&t.description, &mut v) {
            m.insert("description".into(), json!(d));
        }
        v
    }

    pub(crate) fn render_definition(d: &FieldDef) -> Value {
        let mut v = json!({
            "id": d.id, "name": d.name, "type": d.kind, "description": d.description,
            "important": d.important, "displayOrder": d.display_order, "tag": null,
            "captureRule": d.capture_rule,
        });
        if d.kind == "list" {
            if let Value::Object(m) = &mut v {
                m.insert("options".into(), json!(d.options));
            }
        }
        v
    }

    pub(crate) fn render_pipeline(&self, p: &Pipeline) -> Value {
        let mut v = json!({
            "id": p.id, "name": p.name,
            "createdAt": fmt_dt(&p.created_at), "updatedAt": fmt_dt(&p.created_at),
        });
        if let (Some(d), Value::Object(m)) = (&p.description, &mut v) {
            m.insert("description".into(), json!(d));
        }
        v
    }

    pub(crate) fn render_milestone(&self, m: &Milestone) -> Value {
        let pipeline = self
            .pipelines
            .get(&m.pipeline)
            .map_or(Value::Null, |p| json!({"id": p.id, "name": p.name}));
        let mut v = json!({
            "id": m.id, "name": m.name, "probability": m.probability, "complete": m.complete,
            "pipeline": pipeline, "displayOrder": m.display_order,
            "createdAt": fmt_dt(&self.seeded_at), "updatedAt": fmt_dt(&self.seeded_at),
        });
        if let (Some(d), Value::Object(map)) = (m.days_until_stale, &mut v) {
            map.insert("daysUntilStale".into(), json!(d));
        }
        v
    }

    pub(crate) fn render_hook(&self, h: &Hook) -> Value {
        json!({
            "id": h.id, "event": h.event, "targetUrl": h.target_url,
            "description": h.description, "embed": h.embed, "batched": false,
            "user": self.user_ref(Some(h.user)), "clientId": h.client_id,
            "createdAt": fmt_dt(&h.created_at), "updatedAt": fmt_dt(&h.created_at),
        })
    }

    /// Milestones of a pipeline in display order.
    pub(crate) fn pipeline_milestones(&self, pipeline: u64) -> Vec<&Milestone> {
        let mut ms: Vec<&Milestone> = self
            .milestones
            .values()
            .filter(|m| m.pipeline == pipeline)
            .collect();
        ms.sort_by_key(|m| (m.display_order, m.id));
        ms
    }

    /// Case-insensitive substring search over a party's names, emails, phones, addresses.
    pub(crate) fn party_matches(p: &Party, needle: &str) -> bool {
        let hit = |s: &Option<String>| {
            s.as_deref()
                .is_some_and(|s| s.to_lowercase().contains(needle))
        };
        let full = format!(
            "{} {}",
            p.first_name.as_deref().unwrap_or(""),
            p.last_name.as_deref().unwrap_or("")
        );
        full.to_lowercase().contains(needle)
            || hit(&p.name)
            || hit(&p.job_title)
            || p.emails
                .iter()
                .any(|e| e.address.to_lowercase().contains(needle))
            || p.phones
                .iter()
                .any(|e| e.number.to_lowercase().contains(needle))
            || p.addresses
                .iter()
                .any(|a| hit(&a.zip) || hit(&a.city) || hit(&a.street))
    }
}

pub(crate) fn activity_name(id: i64) -> &'static str {
    match id {
        -2 => "Meeting",
        -3 => "Call",
        -4 => "Task completed",
        -5 => "Email sent",
        -6 => "Email received",
        _ => "Note",
    }
}

fn category_colour(name: &str) -> &'static str {
    match name {
        "Call" => "#2E8B57",
        "Email" => "#4169E1",
        "Meeting" => "#DAA520",
        _ => "#708090",
    }
}

pub(crate) const WEBSITE_SERVICES: &[&str] = &[
    "URL",
    "SKYPE",
    "TWITTER",
    "LINKED_IN",
    "FACEBOOK",
    "XING",
    "FEED",
    "GOOGLE_PLUS",
    "FLICKR",
    "GITHUB",
    "YOUTUBE",
    "INSTAGRAM",
    "PINTEREST",
    "TIKTOK",
    "THREADS",
    "BLUESKY",
    "SNAPCHAT",
];

/// The read-only derived `url` of a website row.
pub(crate) fn website_url(service: &str, address: &str) -> Value {
    if address.starts_with("http://") || address.starts_with("https://") {
        return json!(address);
    }
    let handle = address.trim_start_matches('@');
    let url = match service {
        "URL" | "FEED" => format!("http://{address}"),
        "TWITTER" => format!("https://twitter.com/{handle}"),
        "LINKED_IN" => format!("https://www.linkedin.com/in/{handle}"),
        "FACEBOOK" => format!("https://www.facebook.com/{handle}"),
        "GITHUB" => format!("https://github.com/{handle}"),
        "INSTAGRAM" => format!("https://instagram.com/{handle}"),
        "YOUTUBE" => format!("https://www.youtube.com/{handle}"),
        "XING" => format!("https://www.xing.com/profile/{handle}"),
        "TIKTOK" => format!("https://www.tiktok.com/@{handle}"),
        _ => return Value::Null,
    };
    json!(url)
}
