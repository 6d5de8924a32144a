//! Output formats: table, json, jsonl, csv. json, jsonl and csv stream in constant memory;
//! a table is laid out once every row is known.
//!
//! json and jsonl are the lossless formats: every field of the unified record, nested as it is.
//! Tables and CSV show [`Column`]s: a table the resource's default columns (or `--columns`),
//! fitted to the terminal; CSV every field flattened for spreadsheets, with a header decided
//! before the first record (see [`crate::columns`]).

use std::io::{IsTerminal, Write};

use serde::Serialize;
use serde_json::Value;

use crate::cli::Format;
use crate::columns::{Column, csv_text, table_text};
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

/// The narrowest table width honoured; a smaller `COLUMNS` is taken as this.
pub const MIN_TABLE_WIDTH: u16 = 20;

/// How wide a table may be: `COLUMNS` when it holds a number (it overrides the terminal, so
/// scripts and tests can ask for a width); else the terminal's width when stdout is a terminal
/// (80 if it cannot be read); else no limit: a table written to a file or a pipe keeps every
/// cell whole.
pub fn table_width(
    columns_env: Option<&str>,
    stdout_tty: bool,
    tty_width: Option<u16>,
) -> Option<u16> {
    if let Some(n) = columns_env.and_then(|s| s.trim().parse::<u16>().ok()) {
        if n > 0 {
            return Some(n.max(MIN_TABLE_WIDTH));
        }
    }
    if stdout_tty {
        return Some(tty_width.unwrap_or(80).max(MIN_TABLE_WIDTH));
    }
    None
}

/// [`table_width`] for this process.
pub fn this_table_width() -> Option<u16> {
    let tty = std::io::stdout().is_terminal();
    let tty_width = if tty {
        comfy_table::Table::new().width()
    } else {
        None
    };
    table_width(std::env::var("COLUMNS").ok().as_deref(), tty, tty_width)
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

fn csv_error(e: csv::Error) -> CliError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io.into(),
        other => CliError::runtime(format!("CSV error: {other:?}")),
    }
}

enum Sink<W: Write> {
    Json(W),
    Jsonl(W),
    Csv(Box<csv::Writer<W>>, Vec<Column>),
    Table(W, Vec<Column>, Vec<Vec<String>>, Option<u16>),
}

/// Writes records one by one in a format.
pub struct Writer<W: Write> {
    sink: Sink<W>,
    count: usize,
}

impl<W: Write> Writer<W> {
    /// A writer for `format` on `out`; `columns` are those of a table or CSV file (ignored by
    /// json and jsonl); `width` limits a table's width (see [`table_width`]).
    pub fn new(out: W, format: Format, columns: Vec<Column>, width: Option<u16>) -> Self {
        let sink = match format {
            Format::Json => Sink::Json(out),
            Format::Jsonl => Sink::Jsonl(out),
            Format::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out)), columns),
            Format::Table => Sink::Table(out, columns, Vec::new(), width),
        };
        Writer { sink, count: 0 }
    }

    /// Writes one record.
    pub fn write(&mut self, v: Value) -> Result<(), CliError> {
        match &mut self.sink {
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &v)?;
                out.write_all(b"\n")?;
            }
            Sink::Json(out) => {
                out.write_all(if self.count == 0 { b"[\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *out, &v)?;
            }
            Sink::Csv(w, columns) => {
                if self.count == 0 {
                    w.write_record(columns.iter().map(|c| c.header.as_str()))
                        .map_err(csv_error)?;
                }
                w.write_record(columns.iter().map(|c| csv_text(&c.value(&v))))
                    .map_err(csv_error)?;
                // One flush per record: a closed stdout is noticed at once, and a slow
                // listing shows its rows as they come.
                w.flush()?;
            }
            Sink::Table(_, columns, rows, _) => {
                rows.push(columns.iter().map(|c| table_text(&c.value(&v))).collect());
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Finishes the output (closes the JSON array, writes a CSV header when no record came,
    /// prints the table) and returns the number of records.
    pub fn finish(self) -> Result<usize, CliError> {
        match self.sink {
            Sink::Json(mut out) => {
                out.write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
                out.flush()?;
            }
            Sink::Jsonl(mut out) => out.flush()?,
            Sink::Csv(mut w, columns) => {
                if self.count == 0 {
                    w.write_record(columns.iter().map(|c| c.header.as_str()))
                        .map_err(csv_error)?;
                }
                w.flush()?;
            }
            Sink::Table(mut out, columns, rows, width) => {
                let table = render_table(&columns, rows, width);
                writeln!(out, "{table}")?;
                writeln!(out, "{} record(s)", self.count)?;
                out.flush()?;
            }
        }
        Ok(self.count)
    }
}

/// The display width of `s` in a terminal (accents take one column, CJK two).
pub fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` cut to at most `width` display columns, ending with `…` where cut.
pub fn truncate(s: &str, width: usize) -> String {
    if display_width(s) <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Column widths that fit `available` display columns: every column keeps its natural width
/// if they all fit; else the widest are cut to one common cap (the largest that fits), never
/// below their floor (the header's width, at least 3, or the natural width if smaller), and
/// columns left of the rest get the odd spare columns.
pub fn fit_widths(natural: &[usize], floors: &[usize], available: usize) -> Vec<usize> {
    let floor = |i: usize| floors.get(i).copied().unwrap_or(0).min(natural[i]);
    let at_cap = |cap: usize| -> Vec<usize> {
        (0..natural.len())
            .map(|i| natural[i].min(cap).max(floor(i)))
            .collect()
    };
    if natural.iter().sum::<usize>() <= available {
        return natural.to_vec();
    }
    // The largest cap whose widths fit (`lo` always fits or is 0).
    let (mut lo, mut hi) = (0usize, natural.iter().copied().max().unwrap_or(0));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if at_cap(mid).iter().sum::<usize>() <= available {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut widths = at_cap(lo);
    let mut spare = available.saturating_sub(widths.iter().sum());
    for (i, w) in widths.iter_mut().enumerate() {
        if spare == 0 {
            break;
        }
        if *w < natural[i] {
            *w += 1;
            spare -= 1;
        }
    }
    widths
}

/// The table of `rows` under `columns`' headers. With a `width`, the table fits it: cells are
/// cut (ending with `…`) so that no line is wider; without, every cell is whole.
pub fn render_table(columns: &[Column], mut rows: Vec<Vec<String>>, width: Option<u16>) -> String {
    use comfy_table::{ContentArrangement, Table, presets};
    let mut headers: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
    if let Some(width) = width {
        let natural: Vec<usize> = (0..headers.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r.get(i).map_or(0, |c| display_width(c)))
                    .chain([display_width(&headers[i])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // Ids stay whole: they are what a person copies into the next command.
        let floors: Vec<usize> = headers
            .iter()
            .zip(&natural)
            .map(|(h, n)| {
                if h == "id" {
                    *n
                } else {
                    display_width(h).max(3)
                }
            })
            .collect();
        // UTF8_BORDERS_ONLY: a border on each side, one space of padding each side of a
        // cell, and a (blank) separator between cells: 3n + 1 columns around the cells.
        let available = usize::from(width).saturating_sub(1 + 3 * headers.len());
        let widths = fit_widths(&natural, &floors, available);
        for (h, w) in headers.iter_mut().zip(&widths) {
            *h = truncate(h, *w);
        }
        for r in &mut rows {
            for (c, w) in r.iter_mut().zip(&widths) {
                if display_width(c) > *w {
                    *c = truncate(c, *w);
                }
            }
        }
    }
    let mut table = Table::new();
    table.load_preset(presets::UTF8_BORDERS_ONLY);
    table.force_no_tty();
    table.set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(headers);
    for r in rows {
        table.add_row(r);
    }
    table.to_string()
}

#[cfg(test)]
mod tests;
