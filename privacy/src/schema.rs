//! Dataset schemas (every column tagged) and CSV ingestion into typed, in-memory columns.
//!
//! Parse, don't validate: a [`SchemaDoc`] from JSON becomes a [`Schema`] only through
//! [`Schema::validate`], and CSV bytes become a [`Dataset`] only through [`Dataset::from_csv`],
//! which reports the line and column at fault.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// Largest number of columns in a schema.
pub const MAX_COLUMNS: usize = 64;
/// Largest number of categories of a categorical column.
pub const MAX_CATEGORIES: usize = 1000;
/// Largest number of data rows in a CSV.
pub const MAX_ROWS: usize = 1_000_000;
/// Largest length of one CSV field, in bytes.
pub const MAX_FIELD_LEN: usize = 1024;
/// Largest number of decimals of a numeric column.
pub const MAX_DECIMALS: u8 = 6;
/// Largest magnitude of a numeric bound (so that scaled sums stay far from overflow).
pub const MAX_BOUND: f64 = 1e12;

/// The privacy tag of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    /// The person. Used only to bound contributions; never released, filtered on or grouped by.
    Identifier,
    /// Personally identifying information (names, addresses, birth dates).
    Pii,
    /// Protected health information (diagnoses, lab values).
    Phi,
    /// Payment card / billing information.
    Pci,
    /// Not identifying alone, but identifying in combination (birth year, sex, region).
    QuasiIdentifier,
    /// Public attributes.
    Public,
}

impl Tag {
    /// Whether a column with this tag may be used in a filter or as a group key.
    pub fn filterable(self) -> bool {
        matches!(self, Tag::Public | Tag::QuasiIdentifier)
    }

    /// The tag's name as written in schemas and policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Tag::Identifier => "identifier",
            Tag::Pii => "pii",
            Tag::Phi => "phi",
            Tag::Pci => "pci",
            Tag::QuasiIdentifier => "quasi_identifier",
            Tag::Public => "public",
        }
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// Free text: can be stored, never aggregated.
    Text,
    /// Fixed-point decimal number with `decimals` digits after the point.
    Numeric,
    /// One of a public set of categories.
    Categorical,
}

/// One column as written in a schema document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDoc {
    /// Column name, as in the CSV header.
    pub name: String,
    /// Privacy tag.
    pub tag: Tag,
    /// Value type.
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// Numeric only: digits after the decimal point (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u8>,
    /// Numeric only: public clamping bounds `[lower, upper]`. Without them the column cannot
    /// be summed or averaged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<[f64; 2]>,
    /// Categorical only: the public category set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
}

/// A schema document (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaDoc {
    /// The columns, in any order (matched to the CSV header by name).
    pub columns: Vec<ColumnDoc>,
    /// Contribution bound: rows kept per person before any aggregation (1..=100).
    pub max_rows_per_person: u32,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Why a schema is invalid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// No columns, or more than [`MAX_COLUMNS`].
    #[error("a schema has 1 to 64 columns")]
    ColumnCount,
    /// A column name is empty, too long or repeated.
    #[error("column {index}: name is empty, longer than 64 bytes, or repeated")]
    BadColumnName { index: usize },
    /// Not exactly one identifier column.
    #[error("a schema has exactly one `identifier` column (found {0})")]
    IdentifierCount(usize),
    /// The identifier column is not text.
    #[error("column `{0}`: an identifier column has type `text`")]
    IdentifierNotText(String),
    /// `max_rows_per_person` out of range.
    #[error("max_rows_per_person must be between 1 and 100")]
    ContributionBound,
    /// A field that the column's type does not take.
    #[error("column `{column}`: `{field}` does not apply to this type")]
    UnexpectedField { column: String, field: &'static str },
    /// Decimals out of range.
    #[error("column `{0}`: decimals must be at most 6")]
    Decimals(String),
    /// Bounds not finite, not ordered, too large or not representable with the decimals.
    #[error(
        "column `{0}`: bounds must be finite, lower <= upper, |bound| <= 1e12, with at most `decimals` digits"
    )]
    Bounds(String),
    /// Categories missing, empty, too many, repeated or too long.
    #[error(
        "column `{0}`: categories must be 1 to 1000 distinct non-empty strings of at most 1024 bytes"
    )]
    Categories(String),
}

/// A validated column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Name.
    pub name: String,
    /// Tag.
    pub tag: Tag,
    /// Typed public metadata.
    pub kind: ColumnKind,
}

/// A validated column type with its public metadata.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    /// Free text.
    Text,
    /// Fixed-point numbers stored as integers scaled by `10^decimals`.
    Numeric {
        /// Digits after the point.
        decimals: u8,
        /// Scaled public bounds, if any.
        bounds: Option<(i64, i64)>,
    },
    /// Categories (public set, in schema order).
    Categorical {
        /// The category set.
        categories: Vec<String>,
    },
}

/// A validated schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    columns: Vec<Column>,
    identifier: usize,
    max_rows_per_person: u32,
    doc: SchemaDoc,
}

/// `value * 10^decimals` as an exact integer, if `value` has at most `decimals` digits.
pub fn scale_exact(value: f64, decimals: u8) -> Option<i64> {
    if !value.is_finite() || value.abs() > MAX_BOUND {
        return None;
    }
    let factor = 10f64.powi(i32::from(decimals));
    let scaled = (value * factor).round();
    let back = scaled / factor;
    if (back - value).abs() > 1e-9 * value.abs().max(1.0) {
        return None;
    }
    Some(scaled as i64)
}

/// Converts a scaled integer back to a number.
pub fn unscale(value: f64, decimals: u8) -> f64 {
    value / 10f64.powi(i32::from(decimals))
}

impl Schema {
    /// Validates a schema document.
    pub fn validate(doc: SchemaDoc) -> Result<Self, SchemaError> {
        if doc.columns.is_empty() || doc.columns.len() > MAX_COLUMNS {
            return Err(SchemaError::ColumnCount);
        }
        if !(1..=100).contains(&doc.max_rows_per_person) {
            return Err(SchemaError::ContributionBound);
        }
        let mut names = HashSet::new();
        let mut columns = Vec::with_capacity(doc.columns.len());
        for (index, c) in doc.columns.iter().enumerate() {
            if c.name.is_empty() || c.name.len() > 64 || !names.insert(c.name.as_str()) {
                return Err(SchemaError::BadColumnName { index });
            }
            let unexpected = |field| SchemaError::UnexpectedField {
                column: c.name.clone(),
                field,
            };
            let kind = match c.column_type {
                ColumnType::Text => {
                    if c.decimals.is_some() {
                        return Err(unexpected("decimals"));
                    }
                    if c.bounds.is_some() {
                        return Err(unexpected("bounds"));
                    }
                    if c.categories.is_some() {
                        return Err(unexpected("categories"));
                    }
                    ColumnKind::Text
                }
                ColumnType::Numeric => {
                    if c.categories.is_some() {
                        return Err(unexpected("categories"));
                    }
                    let decimals = c.decimals.unwrap_or(0);
                    if decimals > MAX_DECIMALS {
                        return Err(SchemaError::Decimals(c.name.clone()));
                    }
                    let bounds = match c.bounds {
                        None => None,
                        Some([lo, hi]) => {
                            let bad = || SchemaError::Bounds(c.name.clone());
                            let lo = scale_exact(lo, decimals).ok_or_else(bad)?;
                            let hi = scale_exact(hi, decimals).ok_or_else(bad)?;
                            if lo > hi {
                                return Err(bad());
                            }
                            Some((lo, hi))
                        }
                    };
                    ColumnKind::Numeric { decimals, bounds }
                }
                ColumnType::Categorical => {
                    if c.decimals.is_some() {
                        return Err(unexpected("decimals"));
                    }
                    if c.bounds.is_some() {
                        return Err(unexpected("bounds"));
                    }
                    let bad = || SchemaError::Categories(c.name.clone());
                    let categories = c.categories.clone().ok_or_else(bad)?;
                    let mut seen = HashSet::new();
                    if categories.is_empty()
                        || categories.len() > MAX_CATEGORIES
                        || categories
                            .iter()
                            .any(|k| k.is_empty() || k.len() > MAX_FIELD_LEN || !seen.insert(k))
                    {
                        return Err(bad());
                    }
                    ColumnKind::Categorical { categories }
                }
            };
            columns.push(Column {
                name: c.name.clone(),
                tag: c.tag,
                kind,
            });
        }
        let identifiers: Vec<usize> = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.tag == Tag::Identifier)
            .map(|(i, _)| i)
            .collect();
        let [identifier] = identifiers[..] else {
            return Err(SchemaError::IdentifierCount(identifiers.len()));
        };
        if columns[identifier].kind != ColumnKind::Text {
            return Err(SchemaError::IdentifierNotText(
                columns[identifier].name.clone(),
            ));
        }
        Ok(Self {
            columns,
            identifier,
            max_rows_per_person: doc.max_rows_per_person,
            doc,
        })
    }

    /// The columns in schema order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Looks a column up by name.
    pub fn column(&self, name: &str) -> Option<(usize, &Column)> {
        self.columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == name)
    }

    /// The contribution bound (rows kept per person).
    pub fn max_rows_per_person(&self) -> u32 {
        self.max_rows_per_person
    }

    /// The document this schema was validated from.
    pub fn doc(&self) -> &SchemaDoc {
        &self.doc
    }
}

/// What is wrong at a CSV position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvProblem {
    /// The CSV could not be tokenised (bad quoting, invalid UTF-8).
    #[error("malformed CSV or invalid UTF-8")]
    Malformed,
    /// The header lacks a schema column.
    #[error("header lacks this schema column")]
    MissingColumn,
    /// The header has a column the schema does not describe.
    #[error("column is not in the schema")]
    UnexpectedColumn,
    /// The header repeats a column.
    #[error("column appears twice in the header")]
    DuplicateColumn,
    /// A row has the wrong number of fields.
    #[error("expected {expected} fields, found {found}")]
    FieldCount { expected: usize, found: usize },
    /// An empty value where one is required.
    #[error("value is empty")]
    Empty,
    /// A field longer than [`MAX_FIELD_LEN`].
    #[error("value is longer than 1024 bytes")]
    TooLong,
    /// Not a decimal number with at most the schema's decimals.
    #[error("not a number with at most {0} decimals")]
    NotANumber(u8),
    /// Not in the public category set.
    #[error("value is not in the column's category set")]
    UnknownCategory,
    /// More than [`MAX_ROWS`] rows.
    #[error("more than 1000000 rows")]
    TooManyRows,
    /// No header.
    #[error("the CSV has no header line")]
    NoHeader,
}

/// A CSV error with its position. The offending value itself is never echoed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CSV line {line}{}: {problem}", column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default())]
pub struct CsvError {
    /// 1-based line number (the header is line 1).
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    /// What is wrong.
    pub problem: CsvProblem,
}

/// Parses a decimal literal into an integer scaled by `10^decimals`, exactly (no floats).
pub fn parse_fixed(text: &str, decimals: u8) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
        || frac_part.len() > usize::from(decimals)
        || (digits.contains('.') && frac_part.is_empty())
    {
        return None;
    }
    let mut value: i64 = 0;
    for b in int_part.bytes() {
        value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    let mut frac_digits = 0u8;
    for b in frac_part.bytes() {
        value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
        frac_digits += 1;
    }
    for _ in frac_digits..decimals {
        value = value.checked_mul(10)?;
    }
    if value.unsigned_abs() as f64 > MAX_BOUND * 10f64.powi(i32::from(decimals)) {
        return None;
    }
    Some(if negative { -value } else { value })
}

/// The typed values of one column, held in memory. Text columns are not kept: no query can
/// use them.
#[derive(Debug, Clone)]
pub enum ColumnData {
    /// Not loaded (text or identifier).
    NotLoaded,
    /// Scaled integers.
    Numeric(Vec<i64>),
    /// Indices into the category set.
    Categorical(Vec<u16>),
}

/// A dataset: its schema and typed columns, with the person of each row.
#[derive(Debug, Clone)]
pub struct Dataset {
    schema: Schema,
    /// Dense person index of each row: `0..person_count`, numbered in order of first
    /// appearance, computed once at load so that queries never hash identifiers.
    persons: Vec<u32>,
    /// Number of distinct persons (one more than the largest index in `persons`).
    person_count: usize,
    columns: Vec<ColumnData>,
}

impl Dataset {
    /// Parses and validates CSV bytes against a schema. The first line is the header; columns
    /// are matched by name.
    pub fn from_csv(schema: Schema, bytes: &[u8]) -> Result<Self, CsvError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut records = reader.byte_records();
        let err = |line: u64, column: Option<&str>, problem| CsvError {
            line,
            column: column.map(str::to_owned),
            problem,
        };
        let header = match records.next() {
            None => return Err(err(1, None, CsvProblem::NoHeader)),
            Some(Err(_)) => return Err(err(1, None, CsvProblem::Malformed)),
            Some(Ok(h)) => h,
        };
        // position in the CSV of each schema column
        let mut positions: Vec<Option<usize>> = vec![None; schema.columns.len()];
        for (pos, field) in header.iter().enumerate() {
            let name =
                std::str::from_utf8(field).map_err(|_| err(1, None, CsvProblem::Malformed))?;
            let name = name.trim_start_matches('\u{feff}').trim();
            let Some((index, _)) = schema.column(name) else {
                return Err(err(1, Some(name), CsvProblem::UnexpectedColumn));
            };
            if positions[index].replace(pos).is_some() {
                return Err(err(1, Some(name), CsvProblem::DuplicateColumn));
            }
        }
        let positions: Vec<usize> = positions
            .iter()
            .zip(&schema.columns)
            .map(|(p, c)| p.ok_or_else(|| err(1, Some(&c.name), CsvProblem::MissingColumn)))
            .collect::<Result<_, _>>()?;
        let width = header.len();

        let category_index: Vec<HashMap<&str, u16>> = schema
            .columns
            .iter()
            .map(|c| match &c.kind {
                ColumnKind::Categorical { categories } => categories
                    .iter()
                    .enumerate()
                    // MAX_CATEGORIES (1000) < u16::MAX
                    .map(|(i, k)| (k.as_str(), i as u16))
                    .collect(),
                _ => HashMap::new(),
            })
            .collect();
        let mut columns: Vec<ColumnData> = schema
            .columns
            .iter()
            .map(|c| match c.kind {
                ColumnKind::Numeric { .. } => ColumnData::Numeric(Vec::new()),
                ColumnKind::Categorical { .. } => ColumnData::Categorical(Vec::new()),
                ColumnKind::Text => ColumnData::NotLoaded,
            })
            .collect();
        let mut person_ids: HashMap<Vec<u8>, u32> = HashMap::new();
        let mut persons = Vec::new();
        let mut line = 1u64;
        for record in records {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let at = e.position().map(|p| p.line()).unwrap_or(line + 1);
                    return Err(err(at, None, CsvProblem::Malformed));
                }
            };
            line = record.position().map(|p| p.line()).unwrap_or(line + 1);
            if persons.len() >= MAX_ROWS {
                return Err(err(line, None, CsvProblem::TooManyRows));
            }
            if record.len() != width {
                return Err(err(
                    line,
                    None,
                    CsvProblem::FieldCount {
                        expected: width,
                        found: record.len(),
                    },
                ));
            }
            for (index, column) in schema.columns.iter().enumerate() {
                let raw = &record[positions[index]];
                let at = |problem| err(line, Some(&column.name), problem);
                if raw.len() > MAX_FIELD_LEN {
                    return Err(at(CsvProblem::TooLong));
                }
                let value = std::str::from_utf8(raw).map_err(|_| at(CsvProblem::Malformed))?;
                if index == schema.identifier {
                    let id = value.trim();
                    if id.is_empty() {
                        return Err(at(CsvProblem::Empty));
                    }
                    let next = person_ids.len() as u32;
                    let person = *person_ids.entry(id.as_bytes().to_vec()).or_insert(next);
                    persons.push(person);
                    continue;
                }
                match (&column.kind, &mut columns[index]) {
                    (ColumnKind::Numeric { decimals, .. }, ColumnData::Numeric(values)) => {
                        if value.trim().is_empty() {
                            return Err(at(CsvProblem::Empty));
                        }
                        let v = parse_fixed(value, *decimals)
                            .ok_or_else(|| at(CsvProblem::NotANumber(*decimals)))?;
                        values.push(v);
                    }
                    (ColumnKind::Categorical { .. }, ColumnData::Categorical(values)) => {
                        let v = category_index[index]
                            .get(value.trim())
                            .ok_or_else(|| at(CsvProblem::UnknownCategory))?;
                        values.push(*v);
                    }
                    _ => {}
                }
            }
        }
        Ok(Self {
            schema,
            persons,
            person_count: person_ids.len(),
            columns,
        })
    }

    /// The schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.persons.len()
    }

    /// The person index of each row.
    pub(crate) fn persons(&self) -> &[u32] {
        &self.persons
    }

    /// Number of distinct persons: every entry of [`Self::persons`] is below it.
    pub(crate) fn person_count(&self) -> usize {
        self.person_count
    }

    /// The typed values of a column.
    pub(crate) fn column_data(&self, index: usize) -> &ColumnData {
        &self.columns[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        let doc: SchemaDoc = serde_json::from_value(serde_json::json!({
            "max_rows_per_person": 2,
            "columns": [
                {"name": "id", "tag": "identifier", "type": "text"},
                {"name": "age", "tag": "quasi_identifier", "type": "numeric", "bounds": [0, 120]},
                {"name": "lab", "tag": "phi", "type": "numeric", "decimals": 1, "bounds": [4.0, 14.5]},
                {"name": "sex", "tag": "public", "type": "categorical", "categories": ["F", "M"]}
            ]
        }))
        .unwrap();
        Schema::validate(doc).unwrap()
    }

    #[test]
    fn parses_fixed_point_exactly() {
        assert_eq!(parse_fixed("5.7", 1), Some(57));
        assert_eq!(parse_fixed("-12", 2), Some(-1200));
        assert_eq!(parse_fixed("0.05", 2), Some(5));
        assert_eq!(parse_fixed("0.055", 2), None);
        assert_eq!(parse_fixed("1e3", 0), None);
        assert_eq!(parse_fixed("NaN", 0), None);
        assert_eq!(parse_fixed("", 0), None);
        assert_eq!(parse_fixed("5.", 1), None);
        assert_eq!(parse_fixed("99999999999999999999", 0), None);
    }

    #[test]
    fn loads_csv_with_columns_in_any_order() {
        let csv = "sex,id,lab,age\nF,p1,5.5,30\nM,p2,7,41\nF,p1,6.1,30\n";
        let d = Dataset::from_csv(schema(), csv.as_bytes()).unwrap();
        assert_eq!(d.rows(), 3);
        assert_eq!(d.persons(), &[0, 1, 0]);
        match d.column_data(2) {
            ColumnData::Numeric(v) => assert_eq!(v, &[55, 70, 61]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reports_line_and_column_at_fault() {
        let cases = [
            ("id,age,lab,sex\np1,30,5.5,F\np2,x,5.5,F\n", 3, Some("age")),
            ("id,age,lab,sex\np1,30,5.55,F\n", 2, Some("lab")),
            ("id,age,lab,sex\np1,30,5.5,F\np2,30,5.5,Q\n", 3, Some("sex")),
            ("id,age,lab,sex\np1,30,5.5\n", 2, None),
            ("id,age,lab\n", 1, Some("sex")),
            ("id,age,lab,sex,extra\n", 1, Some("extra")),
            ("id,age,lab,sex\n,30,5.5,F\n", 2, Some("id")),
        ];
        for (csv, line, column) in cases {
            let e = Dataset::from_csv(schema(), csv.as_bytes()).unwrap_err();
            assert_eq!(e.line, line, "{csv}: {e}");
            assert_eq!(e.column.as_deref(), column, "{csv}: {e}");
        }
    }

    #[test]
    fn rejects_bad_schemas() {
        let bad = [
            serde_json::json!({"max_rows_per_person": 1, "columns": [{"name": "a", "tag": "public", "type": "text"}]}),
            serde_json::json!({"max_rows_per_person": 0, "columns": [{"name": "a", "tag": "identifier", "type": "text"}]}),
            serde_json::json!({"max_rows_per_person": 1, "columns": [
                {"name": "a", "tag": "identifier", "type": "text"},
                {"name": "b", "tag": "phi", "type": "numeric", "bounds": [5, 1]}]}),
            serde_json::json!({"max_rows_per_person": 1, "columns": [
                {"name": "a", "tag": "identifier", "type": "text"},
                {"name": "b", "tag": "phi", "type": "categorical"}]}),
            serde_json::json!({"max_rows_per_person": 1, "columns": [
                {"name": "a", "tag": "identifier", "type": "text"},
                {"name": "a", "tag": "phi", "type": "text"}]}),
        ];
        for doc in bad {
            let doc: SchemaDoc = serde_json::from_value(doc).unwrap();
            assert!(Schema::validate(doc).is_err());
        }
    }
}
