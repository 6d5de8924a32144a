//! Output formats: table, json, jsonl, csv. jsonl and csv stream in constant memory.

use std::io::{IsTerminal, Write};

use serde::Serialize;
use serde_json::Value;

use crate::cli::Format;
use crate::exit::CliError;

/// The format to use when none was asked for: a table on a terminal, JSON lines otherwise.
pub fn default_format(asked: Option<Format>) -> Format {
    asked.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Jsonl
        }
    })
}

/// Lines on stdout, written and flushed one by one so a closed stdout is noticed at once
/// (and ends the command quietly, see [`CliError::stdout_closed`]).
#[derive(Debug, Default)]
pub struct Stdout;

impl Stdout {
    /// The process's stdout.
    pub fn new() -> Self {
        Stdout
    }

    /// Writes `text` and a newline, and flushes.
    pub fn line(&mut self, text: &str) -> Result<(), CliError> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()?;
        Ok(())
    }
}

/// Serializes a record for output, without its raw payload unless `raw`.
pub fn to_value<T: Serialize>(record: &T, raw: bool) -> Result<Value, CliError> {
    let mut v = serde_json::to_value(record)?;
    if !raw {
        if let Value::Object(map) = &mut v {
            map.remove("raw");
        }
    }
    Ok(v)
}

/// Writes records one by one in a format.
pub struct Writer<W: Write> {
    out: W,
    format: Format,
    count: usize,
    csv_header: Option<Vec<String>>,
    table_rows: Vec<Value>,
}

impl<W: Write> Writer<W> {
    /// A writer for `format` on `out`.
    pub fn new(out: W, format: Format) -> Self {
        Writer {
            out,
            format,
            count: 0,
            csv_header: None,
            table_rows: Vec::new(),
        }
    }

    /// Writes one record.
    pub fn write(&mut self, v: Value) -> Result<(), CliError> {
        match self.format {
            Format::Jsonl => {
                serde_json::to_writer(&mut self.out, &v)?;
                self.out.write_all(b"\n")?;
            }
            Format::Json => {
                self.out
                    .write_all(if self.count == 0 { b"[\n" } else { b",\n" })?;
                serde_json::to_writer(&mut self.out, &v)?;
            }
            Format::Csv => {
                let Value::Object(map) = &v else {
                    return Err(CliError::runtime("only records can be written as CSV"));
                };
                if self.csv_header.is_none() {
                    let header = columns(map);
                    write_csv_row(&mut self.out, header.iter().map(String::as_str))?;
                    self.csv_header = Some(header);
                }
                let header = self.csv_header.as_deref().unwrap_or(&[]);
                let cells: Vec<String> = header
                    .iter()
                    .map(|k| cell_text(map.get(k).unwrap_or(&Value::Null)))
                    .collect();
                write_csv_row(&mut self.out, cells.iter().map(String::as_str))?;
            }
            Format::Table => self.table_rows.push(v),
        }
        self.count += 1;
        Ok(())
    }

    /// Finishes the output (closes the JSON array, prints the table).
    pub fn finish(mut self) -> Result<usize, CliError> {
        match self.format {
            Format::Json => {
                if self.count == 0 {
                    self.out.write_all(b"[]\n")?;
                } else {
                    self.out.write_all(b"\n]\n")?;
                }
            }
            Format::Table => {
                let table = render_table(&self.table_rows);
                writeln!(self.out, "{table}")?;
            }
            _ => {}
        }
        self.out.flush()?;
        Ok(self.count)
    }
}

/// Column order: `id` first, then the other fields by name (JSON objects here are sorted maps).
fn columns(map: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut cols: Vec<String> = map.keys().filter(|k| *k != "id").cloned().collect();
    if map.contains_key("id") {
        cols.insert(0, "id".to_string());
    }
    cols
}

fn write_csv_row<'a, W: Write>(
    out: &mut W,
    cells: impl IntoIterator<Item = &'a str>,
) -> Result<(), CliError> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(cells)
        .map_err(|e| CliError::runtime(format!("CSV error: {e}")))?;
    let bytes = w
        .into_inner()
        .map_err(|e| CliError::runtime(format!("CSV error: {e}")))?;
    out.write_all(&bytes)?;
    Ok(())
}

/// A cell: strings as they are, null empty, everything else as compact JSON.
fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// A short summary for table cells: first item of lists of objects with an address/number/name.
fn table_cell(v: &Value) -> String {
    match v {
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .take(2)
                .map(|i| match i {
                    Value::Object(o) => ["address", "number", "url", "name", "id"]
                        .iter()
                        .find_map(|k| o.get(*k).and_then(Value::as_str).map(str::to_string))
                        .unwrap_or_else(|| i.to_string()),
                    other => cell_text(other),
                })
                .collect();
            let more = if items.len() > 2 {
                format!(" (+{})", items.len() - 2)
            } else {
                String::new()
            };
            format!("{}{more}", parts.join(", "))
        }
        Value::Object(o) => o
            .get("amount")
            .and_then(Value::as_str)
            .map(|a| {
                format!(
                    "{a} {}",
                    o.get("currency").and_then(Value::as_str).unwrap_or("")
                )
            })
            .unwrap_or_else(|| v.to_string()),
        other => {
            let s = cell_text(other);
            if s.chars().count() > 40 {
                format!("{}…", s.chars().take(39).collect::<String>())
            } else {
                s
            }
        }
    }
}

fn render_table(rows: &[Value]) -> String {
    // Columns: keys that have a value in at least one row, at most 9, in the record's order.
    let mut columns: Vec<String> = Vec::new();
    if let Some(Value::Object(first)) = rows.first() {
        for key in &self::columns(first) {
            let used = rows.iter().any(|r| {
                r.get(key).is_some_and(|v| match v {
                    Value::Null => false,
                    Value::Array(a) => !a.is_empty(),
                    Value::String(s) => !s.is_empty(),
                    _ => true,
                })
            });
            if used && key != "raw" {
                columns.push(key.clone());
            }
        }
    }
    columns.truncate(9);
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    table.set_header(columns.clone());
    for r in rows {
        table.add_row(
            columns
                .iter()
                .map(|c| table_cell(r.get(c).unwrap_or(&Value::Null)))
                .collect::<Vec<_>>(),
        );
    }
    format!("{table}\n{} record(s)", rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_flattens() {
        let mut buf = Vec::new();
        let mut w = Writer::new(&mut buf, Format::Csv);
        w.write(serde_json::json!({"id":"1","name":"A, B","tags":[{"name":"x"}],"n":null}))
            .unwrap();
        w.finish().unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(
            s,
            "id,n,name,tags\n1,,\"A, B\",\"[{\"\"name\"\":\"\"x\"\"}]\"\n"
        );
    }

    #[test]
    fn json_array() {
        let mut buf = Vec::new();
        let w = Writer::new(&mut buf, Format::Json);
        w.finish().unwrap();
        assert_eq!(buf, b"[]\n");
    }
}
