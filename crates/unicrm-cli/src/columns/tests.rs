use super::*;
use serde_json::json;
use unicrm_core::*;

fn keys<T: serde::Serialize>(v: &T) -> Vec<String> {
    match serde_json::to_value(v).unwrap() {
        Value::Object(m) => m.keys().cloned().collect(),
        other => panic!("{other}"),
    }
}

fn schema<R: Record + Default>() -> Schema {
    Schema::new(catalog(&R::KIND), &keys(&R::default()))
}

fn headers(cols: &[Column]) -> Vec<&str> {
    cols.iter().map(|c| c.header.as_str()).collect()
}

fn defs(names: &[(&str, &str)]) -> Option<Vec<CustomField>> {
    Some(
        names
            .iter()
            .map(|(id, name)| CustomField {
                name: name.to_string(),
                id: id.to_string(),
                key: None,
            })
            .collect(),
    )
}

/// The catalogue names exactly the fields each record type serializes (so CSV headers and
/// `--columns` validation know every field, and nothing that does not exist).
#[test]
fn catalogues_match_the_record_types() {
    fn check<R: Record + Default>() {
        let mut serialized = keys(&R::default());
        serialized.retain(|k| k != "raw");
        serialized.sort();
        let mut declared: Vec<String> = catalog(&R::KIND)
            .fields
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        declared.sort();
        assert_eq!(declared, serialized, "{}", R::KIND);
        assert!(schema::<R>().extra_fields.is_empty());
    }
    check::<Contact>();
    check::<Account>();
    check::<Opportunity>();
    check::<Task>();
    check::<Note>();
    check::<User>();
    check::<Pipeline>();
    check::<Lead>();
}

/// The keys a path may name after a list index cover what the element types serialize.
#[test]
fn element_keys_cover_the_value_types() {
    fn covers<T: serde::Serialize>(shape: Shape, v: &T) {
        for k in keys(v) {
            assert!(
                shape.element_keys().contains(&k.as_str()),
                "{shape:?} lacks {k}"
            );
        }
    }
    covers(
        Shape::Emails,
        &Email {
            row_id: Some(RowId::from("1")),
            ..Default::default()
        },
    );
    covers(
        Shape::Phones,
        &Phone {
            row_id: Some(RowId::from("1")),
            ..Default::default()
        },
    );
    covers(
        Shape::Addresses,
        &Address {
            row_id: Some(RowId::from("1")),
            ..Default::default()
        },
    );
    covers(
        Shape::Websites,
        &Website {
            row_id: Some(RowId::from("1")),
            ..Default::default()
        },
    );
    covers(Shape::Tags, &Tag::named("x"));
    covers(Shape::Links, &RecordLink::default());
    covers(Shape::Stages, &Stage::default());
    covers(Shape::Milestones, &Milestone::default());
    covers(Shape::Participants, &Participant::default());
    covers(Shape::Choices, &FieldChoice::default());
    covers(Shape::Money, &Money::parse("1", "GBP").unwrap());
}

#[test]
fn default_table_columns_per_resource() {
    let t = |s: Schema| {
        headers(&s.columns(None, false).unwrap())
            .iter()
            .map(|h| h.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(
        t(schema::<Contact>()),
        "id,name,email,account,owner,updated"
    );
    assert_eq!(t(schema::<Account>()), "id,name,email,phone,owner,updated");
    assert_eq!(
        t(schema::<Opportunity>()),
        "id,name,amount,currency,stage,status,close_date"
    );
    assert_eq!(t(schema::<Task>()), "id,title,status,priority,due,owner");
    assert_eq!(t(schema::<Note>()), "id,title,content,about,owner,occurred");
    assert_eq!(t(schema::<User>()), "id,name,email,username,active,admin");
    assert_eq!(t(schema::<Pipeline>()), "id,name,applies_to,stages");
    assert_eq!(t(schema::<Lead>()), "id,name,company,email,status,owner");
    assert_eq!(
        t(schema::<Project>()),
        "id,name,status,stage,account,owner,close_date"
    );
    assert_eq!(
        t(schema::<Engagement>()),
        "id,kind,subject,start_at,status,about,owner"
    );
    assert_eq!(
        t(schema::<EngagementType>()),
        "id,name,kind,is_system,active"
    );
    assert_eq!(
        t(schema::<FieldDefinition>()),
        "id,name,kind,applies_to,choices"
    );
}

#[test]
fn csv_flattens_every_field() {
    let mut s = schema::<Opportunity>();
    s.custom_fields = defs(&[("7", "Region"), ("8", "Seats")]);
    let cols = s.columns(None, true).unwrap();
    let h = headers(&cols);
    assert_eq!(&h[..5], ["id", "name", "description", "amount", "currency"]);
    assert!(h.contains(&"cf:Region") && h.contains(&"cf:Seats") && h.contains(&"tags"));
    assert_eq!(h.last(), Some(&"updated_at"));
    assert!(!h.contains(&"custom_fields") && !h.contains(&"raw"));

    let mut a = schema::<Account>();
    a.custom_fields = defs(&[]);
    let h2 = a.columns(None, true).unwrap();
    let h2 = headers(&h2);
    assert!(h2.contains(&"annual_revenue") && h2.contains(&"annual_revenue_currency"));
    assert!(h2.contains(&"email") && h2.contains(&"phone") && h2.contains(&"address"));

    // Without definitions, the custom fields share one `name=value` column.
    let c = schema::<Contact>().columns(None, true).unwrap();
    assert!(headers(&c).contains(&"custom_fields"));
}

fn contact() -> Value {
    json!({
        "id": "1",
        "prefix": "Dr",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "account_id": "9",
        "emails": [{"address": "ada@example.com"}, {"address": "a@b.c"}],
        "phones": [{"number": "+44 1"}],
        "addresses": [{"street_1": "1 Main St", "city": "London", "country": "UK"}],
        "tags": [{"name": "VIP"}, {"name": "Maths"}],
        "custom_fields": [
            {"definition_id": "7", "name": "Region", "value": {"type": "text", "value": "EMEA"}},
            {"definition_id": "8", "value": {"type": "multi_choice", "value": ["a", "b"]}},
            {"definition_id": "9", "name": "Empty", "value": null}
        ],
        "links": [{"kind": "account", "id": "9"}],
        "updated_at": "2024-01-01T00:00:00Z"
    })
}

fn cells(s: &Schema, spec: &str, csv: bool, record: &Value) -> Vec<String> {
    s.columns(Some(spec), csv)
        .unwrap()
        .iter()
        .map(|c| csv_text(&c.value(record)))
        .collect()
}

#[test]
fn columns_read_fields_aliases_paths_and_custom_fields() {
    let mut s = schema::<Contact>();
    s.custom_fields = defs(&[("7", "Region"), ("8", "Languages"), ("9", "Empty")]);
    let r = contact();
    assert_eq!(
        cells(
            &s,
            "name, email,emails.1.address,phone,account,tags,cf:Region",
            false,
            &r
        ),
        [
            "Dr Ada Lovelace",
            "ada@example.com",
            "a@b.c",
            "+44 1",
            "9",
            "VIP; Maths",
            "EMEA"
        ]
    );
    assert_eq!(
        cells(
            &s,
            "custom_fields.region,cf:8,cf:Empty,address,links,updated",
            false,
            &r
        ),
        [
            "EMEA",
            "a; b",
            "",
            "1 Main St, London, UK",
            "account:9",
            "2024-01-01T00:00:00Z"
        ]
    );
    // A path past the end of a list is an empty cell, not an error.
    assert_eq!(cells(&s, "emails.5.address", false, &r), [""]);
    // `account` prefers the name when there is one.
    let mut named = r.clone();
    named["account_name"] = json!("Analytical Engines");
    assert_eq!(cells(&s, "account", false, &named), ["Analytical Engines"]);
    // Without definitions a custom field is still found by name.
    let plain = schema::<Contact>();
    assert_eq!(cells(&plain, "cf:Region", true, &r), ["EMEA"]);
    assert_eq!(
        cells(&plain, "custom_fields", true, &r),
        ["Region=EMEA; 8=a; b; Empty="]
    );
}

#[test]
fn money_and_stage_columns() {
    let s = schema::<Opportunity>();
    let r = json!({
        "id": "3", "name": "Deal", "amount": {"amount": "12000.50", "currency": "GBP"},
        "stage_id": "5", "status": "open", "expected_close_date": "2025-01-31"
    });
    assert_eq!(
        cells(&s, "amount,stage,close_date,amount.currency", true, &r),
        ["12000.50", "GBP", "5", "2025-01-31", "GBP"]
    );
    let mut won = r.clone();
    won["closed_date"] = json!("2024-12-01");
    won["stage_name"] = json!("Won");
    assert_eq!(
        cells(&s, "close_date,stage", true, &won),
        ["2024-12-01", "Won"]
    );
}

#[test]
fn all_gives_every_field() {
    let s = schema::<Task>();
    let all = s.columns(Some("all"), false).unwrap();
    assert_eq!(all.len(), catalog(&ResourceKind::Task).fields.len());
    assert_eq!(all[0].header, "id");
}

#[test]
fn unknown_columns_are_usage_errors_naming_the_valid_ones() {
    let mut s = schema::<Contact>();
    let err = s.columns(Some("name,bogus"), false).unwrap_err();
    assert_eq!(err.code, 2);
    assert!(
        err.message.contains("unknown column `bogus` for contacts"),
        "{}",
        err.message
    );
    assert!(err.message.contains("first_name") && err.message.contains("emails.0.address"));
    for (spec, want) in [
        ("emails.x.address", "`x` is not a list index"),
        (
            "emails.0.nope",
            "`nope` is not one of address, kind, primary, row_id",
        ),
        ("first_name.x", "the field has no parts"),
        ("emails.0.address.more", "too deep"),
        (" , ", "names no column"),
    ] {
        let e = s.columns(Some(spec), true).unwrap_err();
        assert_eq!(e.code, 2, "{spec}");
        assert!(e.message.contains(want), "{spec}: {}", e.message);
    }
    s.custom_fields = defs(&[("7", "Region")]);
    let e = s.columns(Some("cf:Nope"), true).unwrap_err();
    assert_eq!(e.code, 2);
    assert!(e.message.contains("defined: Region"), "{}", e.message);
    let e = schema::<Task>()
        .columns(Some("cf:Region"), true)
        .unwrap_err();
    assert!(
        e.message.contains("tasks have no custom fields"),
        "{}",
        e.message
    );
    // An alias that does not apply to the resource is unknown there.
    assert_eq!(
        schema::<User>()
            .columns(Some("stage"), false)
            .unwrap_err()
            .code,
        2
    );
}

#[test]
fn unknown_resources_get_generic_columns() {
    let s = Schema::new(
        catalog(&ResourceKind::Other("project".into())),
        &[
            "id".into(),
            "name".into(),
            "updated_at".into(),
            "created_at".into(),
            "budget".into(),
        ],
    );
    assert_eq!(s.extra_fields, ["name", "budget"]);
    let t = s.columns(None, false).unwrap();
    assert_eq!(headers(&t), ["id", "name", "updated"]);
    let all = s.columns(None, true).unwrap();
    assert_eq!(
        headers(&all),
        ["id", "name", "budget", "created_at", "updated_at"]
    );
}

#[test]
fn text_of_values() {
    assert_eq!(table_text(&json!("a\nb\r\n\tc")), "a b c");
    assert_eq!(csv_text(&json!("a\nb")), "a\nb");
    assert_eq!(
        csv_text(&json!({"amount": "1.5", "currency": "EUR"})),
        "1.5 EUR"
    );
    assert_eq!(csv_text(&json!({"type": "boolean", "value": true})), "true");
    assert_eq!(csv_text(&json!([1, "x", null])), "1; x; ");
    assert_eq!(csv_text(&json!({"k": 1})), r#"{"k":1}"#);
    assert_eq!(csv_text(&Value::Null), "");
}
