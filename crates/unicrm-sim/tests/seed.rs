//! Tests of the vendor-neutral seed generator.

use std::collections::HashSet;
use unicrm_sim::seed::{self, FieldKind, FieldValue, SeedOptions};

fn opts(seed: u64, records: usize) -> SeedOptions {
    SeedOptions { seed, records }
}

#[test]
fn deterministic_for_same_options() {
    let a = seed::generate(opts(7, 300));
    let b = seed::generate(opts(7, 300));
    assert_eq!(a, b);
    let c = seed::generate(opts(8, 300));
    assert_ne!(a, c);
}

#[test]
fn counts_follow_records() {
    let d = seed::generate(opts(1, 300));
    assert_eq!(d.people.len(), 300);
    assert_eq!(d.organisations.len(), 100);
    assert_eq!(d.opportunities.len(), 150);
    assert_eq!(d.tasks.len(), 150);
    assert_eq!(d.notes.len(), 150);
    assert!(d.users.len() >= 3);
    assert!(d.pipelines.len() >= 2);
}

#[test]
fn zero_and_tiny_record_counts_work() {
    for n in 0..5 {
        let d = seed::generate(opts(3, n));
        assert_eq!(d.people.len(), n);
        assert!(d.users.len() >= 3);
    }
}

#[test]
fn links_are_valid() {
    let d = seed::generate(opts(42, 600));
    let people: HashSet<u64> = d.people.iter().map(|p| p.id).collect();
    let orgs: HashSet<u64> = d.organisations.iter().map(|o| o.id).collect();
    let opps: HashSet<u64> = d.opportunities.iter().map(|o| o.id).collect();
    let users: HashSet<u64> = d.users.iter().map(|u| u.id).collect();
    let fields: HashSet<u64> = d.fields.iter().map(|f| f.id).collect();
    assert_eq!(fields.len(), d.fields.len(), "field ids unique");
    let names: HashSet<&str> = d.organisations.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names.len(),
        d.organisations.len(),
        "organisation names unique"
    );
    for p in &d.people {
        if let Some(o) = p.organisation_id {
            assert!(orgs.contains(&o));
        }
        assert!(users.contains(&p.owner_id));
        assert!(p.updated_at >= p.created_at);
        assert!(!p.emails.is_empty());
        for (id, _) in &p.fields {
            assert!(fields.contains(id));
        }
    }
    assert!(
        d.people
            .iter()
            .filter(|p| p.organisation_id.is_some())
            .count()
            > d.people.len() / 2
    );
    for o in &d.opportunities {
        if o.party_is_person {
            assert!(people.contains(&o.party_id));
        } else {
            assert!(orgs.contains(&o.party_id));
        }
        let pipeline = d
            .pipelines
            .iter()
            .find(|p| p.id == o.pipeline_id)
            .expect("pipeline");
        let stage = pipeline
            .stages
            .iter()
            .find(|s| s.id == o.stage_id)
            .expect("stage in pipeline");
        assert_eq!(stage.lost, o.lost_reason.is_some());
        assert!(o.updated_at >= o.created_at);
        let (units, cents) = o.amount.split_once('.').expect("decimal amount");
        assert!(units.parse::<u64>().is_ok() && cents.len() == 2);
    }
    for t in &d.tasks {
        assert!(t.person_id.is_some_and(|p| people.contains(&p)) || t.opportunity_id.is_some());
        if let Some(o) = t.opportunity_id {
            assert!(opps.contains(&o));
        }
        assert_eq!(t.completed, t.completed_at.is_some());
    }
    assert!(d.tasks.iter().any(|t| t.completed));
    assert!(d.tasks.iter().any(|t| !t.completed));
    for n in &d.notes {
        let links = [
            n.person_id.is_some(),
            n.organisation_id.is_some(),
            n.opportunity_id.is_some(),
        ];
        assert_eq!(links.iter().filter(|x| **x).count(), 1);
        if let Some(p) = n.person_id {
            assert!(people.contains(&p));
        }
        if let Some(o) = n.organisation_id {
            assert!(orgs.contains(&o));
        }
        if let Some(o) = n.opportunity_id {
            assert!(opps.contains(&o));
        }
    }
}

#[test]
fn every_kind_is_present() {
    let d = seed::generate(opts(42, 200));
    for applies in ["party", "opportunity"] {
        let kinds: HashSet<&str> = d
            .fields
            .iter()
            .filter(|f| f.applies_to == applies)
            .map(|f| match f.kind {
                FieldKind::Text => "text",
                FieldKind::Number => "number",
                FieldKind::Decimal => "decimal",
                FieldKind::Date => "date",
                FieldKind::DateTime => "datetime",
                FieldKind::Boolean => "boolean",
                FieldKind::SingleChoice(_) => "single",
                FieldKind::MultiChoice(_) => "multi",
                FieldKind::Url => "url",
            })
            .collect();
        assert_eq!(kinds.len(), 9, "{applies}: {kinds:?}");
    }
    let values: Vec<&FieldValue> = d
        .people
        .iter()
        .flat_map(|p| p.fields.iter().map(|(_, v)| v))
        .chain(
            d.opportunities
                .iter()
                .flat_map(|o| o.fields.iter().map(|(_, v)| v)),
        )
        .collect();
    assert!(values.iter().any(|v| matches!(v, FieldValue::Text(_))));
    assert!(values.iter().any(|v| matches!(v, FieldValue::Number(_))));
    assert!(values.iter().any(|v| matches!(v, FieldValue::Decimal(_))));
    assert!(values.iter().any(|v| matches!(v, FieldValue::Date(_))));
    assert!(values.iter().any(|v| matches!(v, FieldValue::DateTime(_))));
    assert!(values.iter().any(|v| matches!(v, FieldValue::Boolean(_))));
    assert!(values.iter().any(|v| matches!(v, FieldValue::Choice(_))));
    assert!(values.iter().any(|v| matches!(v, FieldValue::Choices(_))));
    // Unicode names, the VIP tag, several currencies, won and lost opportunities.
    assert!(
        d.people
            .iter()
            .any(|p| !p.last_name.is_ascii() || !p.first_name.is_ascii())
    );
    assert!(d.people.iter().any(|p| p.tags.iter().any(|t| t == "VIP")));
    assert!(d.tags.iter().any(|t| t == "VIP"));
    let currencies: HashSet<&str> = d
        .opportunities
        .iter()
        .map(|o| o.currency.as_str())
        .collect();
    for c in ["GBP", "USD", "EUR"] {
        assert!(currencies.contains(c));
    }
    assert!(d.opportunities.iter().any(|o| o.amount == "12000.50"));
    for p in &d.pipelines {
        assert_eq!(p.stages.iter().filter(|s| s.won).count(), 1);
        assert_eq!(p.stages.iter().filter(|s| s.lost).count(), 1);
        for (i, s) in p.stages.iter().enumerate() {
            assert_eq!(s.order as usize, i + 1);
        }
    }
    let opp_stages: HashSet<u64> = d.opportunities.iter().map(|o| o.stage_id).collect();
    let won = d
        .pipelines
        .iter()
        .flat_map(|p| &p.stages)
        .filter(|s| s.won)
        .any(|s| opp_stages.contains(&s.id));
    let lost = d
        .pipelines
        .iter()
        .flat_map(|p| &p.stages)
        .filter(|s| s.lost)
        .any(|s| opp_stages.contains(&s.id));
    assert!(won && lost);
}

#[test]
fn hundred_thousand_records() {
    let d = seed::generate(opts(5, 100_000));
    assert_eq!(d.people.len(), 100_000);
    assert_eq!(d.organisations.len(), 33_334);
    let names: HashSet<&str> = d.organisations.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names.len(), d.organisations.len());
}
