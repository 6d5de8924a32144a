use super::*;
use crate::columns::{Schema, catalog};
use serde_json::json;
use std::sync::{Arc, Mutex};

#[test]
fn width_comes_from_columns_then_the_terminal_else_none() {
    // COLUMNS wins, on a terminal or not.
    assert_eq!(table_width(Some("120"), false, None), Some(120));
    assert_eq!(table_width(Some(" 90 "), true, Some(200)), Some(90));
    // Too narrow is taken as the minimum.
    assert_eq!(table_width(Some("5"), false, None), Some(MIN_TABLE_WIDTH));
    // Unreadable or zero COLUMNS is ignored.
    assert_eq!(table_width(Some("wide"), true, Some(132)), Some(132));
    assert_eq!(table_width(Some("0"), false, None), None);
    // A terminal: its width, or 80 if it cannot be read.
    assert_eq!(table_width(None, true, Some(132)), Some(132));
    assert_eq!(table_width(None, true, None), Some(80));
    // Not a terminal: no limit, every cell whole.
    assert_eq!(table_width(None, false, Some(132)), None);
}

#[test]
fn truncation_counts_display_columns() {
    assert_eq!(truncate("hello", 5), "hello");
    assert_eq!(truncate("hello world", 6), "hello…");
    assert_eq!(truncate("hello", 1), "…");
    assert_eq!(truncate("hello", 0), "");
    // CJK characters are two columns wide.
    assert_eq!(truncate("予算は承認", 5), "予算…");
    assert_eq!(display_width(&truncate("予算は承認", 6)), 5);
    assert_eq!(truncate("Zoë Widgets", 4), "Zoë…");
}

#[test]
fn widths_fit_or_stay_natural() {
    assert_eq!(fit_widths(&[2, 5, 30], &[2, 3, 3], 100), [2, 5, 30]);
    let w = fit_widths(&[2, 20, 30], &[2, 3, 3], 30);
    assert_eq!(w.iter().sum::<usize>(), 30);
    assert_eq!(w[0], 2);
    // The widest are cut to a common cap.
    assert_eq!(w, [2, 14, 14]);
    // Floors hold even when nothing fits.
    assert_eq!(fit_widths(&[10, 10], &[10, 4], 5), [10, 4]);
    // Spare columns go left first.
    assert_eq!(fit_widths(&[9, 9, 9], &[3, 3, 3], 16), [6, 5, 5]);
    assert!(fit_widths(&[], &[], 10).is_empty());
}

fn contact_schema() -> (Schema, Vec<Column>) {
    let keys: Vec<String> = match serde_json::to_value(unicrm_core::Contact::default()).unwrap() {
        Value::Object(m) => m.keys().cloned().collect(),
        _ => unreachable!(),
    };
    let s = Schema::new(catalog(&unicrm_core::ResourceKind::Contact), &keys);
    let cols = s.columns(None, false).unwrap();
    (s, cols)
}

fn rows() -> Vec<Value> {
    (1..=3)
        .map(|i| {
            json!({
                "id": format!("1000{i}"),
                "first_name": "Bartholomew-Maximilian",
                "last_name": format!("Featherstonehaugh {i}"),
                "emails": [{"address": format!("bartholomew.featherstonehaugh.{i}@example.com")}],
                "account_name": "Éclat Partners — Société Anonyme",
                "owner_id": "3",
                "updated_at": "2024-05-27T13:16:20Z"
            })
        })
        .collect()
}

fn table(width: Option<u16>) -> String {
    let (_, cols) = contact_schema();
    let mut buf = Vec::new();
    let mut w = Writer::new(&mut buf, Format::Table, cols, width);
    for r in rows() {
        w.write(r).unwrap();
    }
    assert_eq!(w.finish().unwrap(), 3);
    String::from_utf8(buf).unwrap()
}

#[test]
fn tables_fit_their_width() {
    for width in [60u16, 80, 100, 132] {
        let t = table(Some(width));
        for line in t.lines() {
            assert!(
                display_width(line) <= usize::from(width),
                "{width}: {line} ({})",
                display_width(line)
            );
        }
        // Ids are never cut.
        assert!(t.contains("10001") && t.contains("10003"), "{t}");
    }
    // Narrower than the headers and ids need: as narrow as they allow (3n + 1 around 33
    // columns of headers and ids), no narrower.
    let tiny = table(Some(40));
    let drawn = tiny.lines().filter(|l| !l.ends_with("record(s)"));
    assert!(drawn.map(display_width).all(|w| w == 52), "{tiny}");
    let narrow = table(Some(80));
    assert!(narrow.contains('…'), "{narrow}");
    insta::assert_snapshot!("contacts_table_80", narrow);
}

#[test]
fn without_a_width_cells_stay_whole() {
    let t = table(None);
    assert!(!t.contains('…'), "{t}");
    assert!(t.contains("bartholomew.featherstonehaugh.2@example.com"));
    assert!(t.contains("Éclat Partners — Société Anonyme"));
    assert!(t.ends_with("3 record(s)\n"));
}

/// An output whose bytes the test can read while the writer still holds it.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn csv_streams_one_header_then_a_row_per_record() {
    let (s, _) = contact_schema();
    let cols = s.columns(Some("id,name,email,tags"), true).unwrap();
    let out = Shared::default();
    let mut w = Writer::new(out.clone(), Format::Csv, cols, None);
    let text = || String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let mut r = rows();
    r[0]["tags"] = json!([{"name": "a, b"}, {"name": "c"}]);
    w.write(r[0].clone()).unwrap();
    // The row is out before the listing ends: nothing is buffered.
    assert_eq!(
        text(),
        "id,name,email,tags\n10001,Bartholomew-Maximilian Featherstonehaugh 1,\
         bartholomew.featherstonehaugh.1@example.com,\"a, b; c\"\n"
    );
    w.write(r[1].clone()).unwrap();
    assert_eq!(text().lines().count(), 3);
    w.finish().unwrap();
    assert_eq!(text().matches("id,name").count(), 1);
}

#[test]
fn an_empty_csv_listing_still_has_its_header() {
    let (s, _) = contact_schema();
    let cols = s.columns(Some("id,email"), true).unwrap();
    let mut buf = Vec::new();
    Writer::new(&mut buf, Format::Csv, cols, None)
        .finish()
        .unwrap();
    assert_eq!(buf, b"id,email\n");
}

struct Closed;
impl Write for Closed {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
}

#[test]
fn a_closed_stdout_ends_every_format_quietly() {
    let (s, _) = contact_schema();
    for format in [Format::Csv, Format::Jsonl, Format::Json] {
        let cols = s.columns(Some("id"), true).unwrap();
        let mut w = Writer::new(Closed, format, cols, None);
        let err = w
            .write(json!({"id": "1"}))
            .err()
            .or_else(|| w.finish().err());
        assert!(err.is_some_and(|e| e.is_stdout_closed()), "{format:?}");
    }
}

#[test]
fn json_stays_lossless() {
    let mut buf = Vec::new();
    let mut w = Writer::new(&mut buf, Format::Json, Vec::new(), None);
    let r = rows().remove(0);
    w.write(r.clone()).unwrap();
    w.finish().unwrap();
    let back: Vec<Value> = serde_json::from_slice(&buf).unwrap();
    assert_eq!(back, [r]);
    let mut empty = Vec::new();
    Writer::new(&mut empty, Format::Json, Vec::new(), None)
        .finish()
        .unwrap();
    assert_eq!(empty, b"[]\n");
}
