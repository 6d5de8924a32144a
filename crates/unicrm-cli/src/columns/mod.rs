//! Columns of tables and CSV files: which fields, under which header, flattened how.
//!
//! A column is named by a unified field (`first_name`), an alias a person would say (`name`,
//! `email`, `owner`, `updated`), a path into the record (`emails.0.address`,
//! `custom_fields.Region`, `amount.currency`), or `cf:<name>` for a custom field. Columns are
//! decided before the listing starts, from the resource's [`catalog`] and the vendor's custom
//! field definitions, so CSV streams with one header and constant memory.

mod catalog;
mod cell;

pub use catalog::{Catalog, Shape, aliases, catalog};
pub use cell::{Getter, csv_text, table_text};

use serde_json::Value;
use unicrm_core::CustomFieldDefinition;

use crate::exit::CliError;

/// One output column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Its header.
    pub header: String,
    /// How its cell is read from a record.
    pub getter: Getter,
}

impl Column {
    fn new(header: impl Into<String>, getter: Getter) -> Self {
        Column {
            header: header.into(),
            getter,
        }
    }

    /// The cell's value in `record` (`Null` when absent).
    pub fn value<'a>(&self, record: &'a Value) -> std::borrow::Cow<'a, Value> {
        self.getter.get(record)
    }
}

/// A custom field, as columns name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomField {
    /// Display name (the column is `cf:<name>`).
    pub name: String,
    /// The definition's id (what values carry).
    pub id: String,
    /// The vendor's key, when it has one.
    pub key: Option<String>,
}

impl CustomField {
    /// From a definition.
    pub fn from_definition(d: &CustomFieldDefinition) -> Self {
        CustomField {
            name: d.name.clone(),
            id: d.id.to_string(),
            key: d.key.clone(),
        }
    }

    fn matches(&self, s: &str) -> bool {
        self.name.eq_ignore_ascii_case(s)
            || self.id == s
            || self
                .key
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case(s))
    }
}

/// What a column list is built from.
#[derive(Debug, Clone)]
pub struct Schema {
    /// The resource's catalogue, completed with the fields its record type serializes.
    pub catalog: Catalog,
    /// Fields serialized by the record type but unknown to the catalogue (plain fields).
    pub extra_fields: Vec<String>,
    /// The custom fields defined for the resource, when they are known.
    pub custom_fields: Option<Vec<CustomField>>,
}

impl Schema {
    /// The schema of a record type from its catalogue and the keys of its serialized default.
    pub fn new(catalog: Catalog, serialized_keys: &[String]) -> Self {
        let extra_fields = serialized_keys
            .iter()
            .filter(|k| *k != "raw" && !catalog.fields.iter().any(|(n, _)| n == k))
            .cloned()
            .collect();
        Schema {
            catalog,
            extra_fields,
            custom_fields: None,
        }
    }

    /// Every field, in reading order, with its shape.
    pub fn fields(&self) -> Vec<(&str, Shape)> {
        let mut out: Vec<(&str, Shape)> = self.catalog.fields.to_vec();
        // Keep the stamps last.
        let stamps = out.split_off(out.len().saturating_sub(2));
        out.extend(
            self.extra_fields
                .iter()
                .map(|f| (f.as_str(), Shape::Scalar)),
        );
        out.extend(stamps);
        out
    }

    fn shape(&self, field: &str) -> Option<Shape> {
        self.fields()
            .into_iter()
            .find_map(|(n, s)| (n == field).then_some(s))
    }

    fn has_custom_fields(&self) -> bool {
        self.shape("custom_fields") == Some(Shape::CustomFields)
    }

    /// The columns of a table or CSV file: `spec` is the `--columns` value (`None` gives the
    /// default: the catalogue's table columns for a table, every field for CSV).
    pub fn columns(&self, spec: Option<&str>, csv: bool) -> Result<Vec<Column>, CliError> {
        let mut out = Vec::new();
        match spec {
            None if csv => self.all(&mut out),
            None => {
                for name in self.catalog.table {
                    // The generic catalogue names columns a record may not have.
                    if let Ok(cols) = self.resolve(name) {
                        out.extend(cols);
                    }
                }
            }
            Some(spec) => {
                for name in spec.split(',').map(str::trim) {
                    if name.is_empty() {
                        continue;
                    }
                    if name == "all" {
                        self.all(&mut out);
                    } else {
                        out.extend(self.resolve(name)?);
                    }
                }
                if out.is_empty() {
                    return Err(CliError::usage(format!(
                        "--columns names no column; {}",
                        self.valid_names()
                    )));
                }
            }
        }
        Ok(out)
    }

    /// Every field, flattened.
    fn all(&self, out: &mut Vec<Column>) {
        for (field, shape) in self.fields() {
            out.extend(self.field_columns(field, shape));
        }
    }

    /// The columns of one whole field.
    fn field_columns(&self, field: &str, shape: Shape) -> Vec<Column> {
        let path = |p: &[&str]| Getter::Path(p.iter().map(|s| s.to_string()).collect());
        match shape {
            Shape::Scalar => vec![Column::new(field, path(&[field]))],
            Shape::Money => {
                let currency = if field == "amount" {
                    "currency".to_string()
                } else {
                    format!("{field}_currency")
                };
                vec![
                    Column::new(field, path(&[field, "amount"])),
                    Column::new(currency, path(&[field, "currency"])),
                ]
            }
            Shape::Emails => vec![Column::new("email", path(&[field, "0", "address"]))],
            Shape::Phones => vec![Column::new("phone", path(&[field, "0", "number"]))],
            Shape::Websites => vec![Column::new("website", path(&[field, "0", "url"]))],
            Shape::Addresses => vec![Column::new("address", Getter::Address(field.into()))],
            Shape::Tags | Shape::Stages => vec![Column::new(
                field,
                Getter::Joined {
                    field: field.into(),
                    key: Some("name".into()),
                },
            )],
            Shape::Milestones | Shape::Participants | Shape::Choices => {
                let key = match shape {
                    Shape::Milestones => "title",
                    Shape::Participants => "name",
                    _ => "value",
                };
                vec![Column::new(
                    field,
                    Getter::Joined {
                        field: field.into(),
                        key: Some(key.into()),
                    },
                )]
            }
            Shape::Ids => vec![Column::new(
                field,
                Getter::Joined {
                    field: field.into(),
                    key: None,
                },
            )],
            Shape::Links => vec![Column::new(field, Getter::Links(field.into()))],
            Shape::CustomFields => match &self.custom_fields {
                Some(defs) => defs
                    .iter()
                    .map(|d| Column::new(format!("cf:{}", d.name), Getter::custom(d)))
                    .collect(),
                // Definitions unknown (the vendor has none for this resource): every value in
                // one cell, `name=value`.
                None => vec![Column::new(field, Getter::AllCustom(field.into()))],
            },
        }
    }

    /// The columns one `--columns` name stands for.
    fn resolve(&self, name: &str) -> Result<Vec<Column>, CliError> {
        if let Some(shape) = self.shape(name) {
            return Ok(self.field_columns(name, shape));
        }
        if let Some(col) = self.alias(name) {
            return Ok(vec![col]);
        }
        if let Some(cf) = name.strip_prefix("cf:") {
            return self.custom(name, cf).map(|c| vec![c]);
        }
        if let Some((first, rest)) = name.split_once('.') {
            if first == "custom_fields" && self.has_custom_fields() {
                let mut col = self.custom(name, rest)?;
                col.header = name.to_string();
                return Ok(vec![col]);
            }
            if let Some(shape) = self.shape(first) {
                self.check_path(name, shape, rest)?;
                let segs = name.split('.').map(str::to_string).collect();
                return Ok(vec![Column::new(name, Getter::Path(segs))]);
            }
        }
        Err(CliError::usage(format!(
            "unknown column `{name}` for {}; {}",
            self.catalog.resource,
            self.valid_names()
        )))
    }

    fn custom(&self, header: &str, name: &str) -> Result<Column, CliError> {
        if !self.has_custom_fields() {
            return Err(CliError::usage(format!(
                "{} have no custom fields (column `{header}`); {}",
                self.catalog.resource,
                self.valid_names()
            )));
        }
        let header = format!("cf:{name}");
        match &self.custom_fields {
            Some(defs) => match defs.iter().find(|d| d.matches(name)) {
                Some(d) => Ok(Column::new(header, Getter::custom(d))),
                None => Err(CliError::usage(format!(
                    "unknown custom field `{name}` for {}; defined: {}",
                    self.catalog.resource,
                    if defs.is_empty() {
                        "none".to_string()
                    } else {
                        defs.iter()
                            .map(|d| d.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ))),
            },
            None => Ok(Column::new(
                header,
                Getter::Custom {
                    names: vec![name.to_string()],
                },
            )),
        }
    }

    /// Checks `rest` (the path after a field of `shape`) against the shape's keys.
    fn check_path(&self, name: &str, shape: Shape, rest: &str) -> Result<(), CliError> {
        let mut segs = rest.split('.');
        let bad = |why: String| {
            CliError::usage(format!(
                "invalid column `{name}`: {why}; {}",
                self.valid_names()
            ))
        };
        if shape.is_list() {
            let index = segs.next().unwrap_or("");
            if index.parse::<usize>().is_err() {
                return Err(bad(format!("`{index}` is not a list index (0, 1, …)")));
            }
        }
        let keys = shape.element_keys();
        match (segs.next(), segs.next()) {
            (None, _) => Ok(()),
            (Some(k), None) if keys.contains(&k) => Ok(()),
            (Some(k), None) if keys.is_empty() => {
                Err(bad(format!("`{k}`: the field has no parts")))
            }
            (Some(k), None) => Err(bad(format!("`{k}` is not one of {}", keys.join(", ")))),
            (Some(_), Some(_)) => Err(bad("the path is too deep".into())),
        }
    }

    fn alias(&self, name: &str) -> Option<Column> {
        if !aliases(&self.catalog).contains(&name) {
            return None;
        }
        let p = |segs: &[&str]| segs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let getter = match name {
            "name" => Getter::PersonName,
            "email" => Getter::Path(p(&["emails", "0", "address"])),
            "phone" => Getter::Path(p(&["phones", "0", "number"])),
            "website" => Getter::Path(p(&["websites", "0", "url"])),
            "address" => Getter::Address("addresses".into()),
            "account" => Getter::FirstOf(vec![p(&["account_name"]), p(&["account_id"])]),
            "owner" => Getter::Path(p(&["owner_id"])),
            "stage" => Getter::FirstOf(vec![p(&["stage_name"]), p(&["stage_id"])]),
            "close_date" => Getter::FirstOf(vec![p(&["closed_date"]), p(&["expected_close_date"])]),
            "due" => Getter::Path(p(&["due_date"])),
            "about" => Getter::About,
            "occurred" => Getter::Path(p(&["occurred_at"])),
            "company" => Getter::Path(p(&["company_name"])),
            "currency" => Getter::Path(p(&["amount", "currency"])),
            "active" => Getter::Path(p(&["is_active"])),
            "admin" => Getter::Path(p(&["is_admin"])),
            "updated" => Getter::Path(p(&["updated_at"])),
            "created" => Getter::Path(p(&["created_at"])),
            _ => return None,
        };
        Some(Column::new(name, getter))
    }

    /// The sentence listing what `--columns` accepts, for usage errors.
    pub fn valid_names(&self) -> String {
        let fields: Vec<&str> = self.fields().into_iter().map(|(n, _)| n).collect();
        let mut s = format!(
            "valid columns: {}; aliases: {}; `all`; or a path such as ",
            fields.join(", "),
            aliases(&self.catalog).join(", ")
        );
        let example = self
            .fields()
            .into_iter()
            .find(|(_, shape)| shape.is_list() && *shape != Shape::CustomFields)
            .map(|(n, shape)| format!("{n}.0.{}", shape.element_keys().first().unwrap_or(&"id")));
        s.push_str(example.as_deref().unwrap_or("id"));
        if self.has_custom_fields() {
            s.push_str(" or cf:<name> (custom_fields.<name>)");
            if let Some(defs) = &self.custom_fields {
                if !defs.is_empty() {
                    let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
                    s.push_str(&format!(" with <name> one of {}", names.join(", ")));
                }
            }
        }
        s
    }
}

#[cfg(test)]
mod tests;
