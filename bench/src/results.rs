//! The benchmarks' results: one way to record them.
//!
//! Every benchmark of the book writes what it measured as a [`Table`]
//! (`results.csv`, one row per measurement, the unit in each column's name)
//! and draws its plots from that table ([`crate::plot`]), so a plot can
//! always be redrawn from the numbers without measuring again, and a test
//! can read back what a benchmark wrote.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};

/// A table of results, read from or written to CSV (RFC 4180 as the `csv`
/// crate writes it: comma-separated, a header line, `\n` after each line,
/// cells quoted only where they hold a comma, a quote or a line break).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The column names, each with its unit (`mb_per_s`, `p99_us`).
    pub header: Vec<String>,
    /// The rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; it must have one cell per column.
    pub fn push(&mut self, row: Vec<String>) {
        assert_eq!(
            row.len(),
            self.header.len(),
            "a row of {} cells for {} columns",
            row.len(),
            self.header.len()
        );
        self.rows.push(row);
    }

    /// The table as CSV text.
    pub fn to_csv(&self) -> String {
        let mut csv = csv::Writer::from_writer(Vec::new());
        for record in std::iter::once(&self.header).chain(&self.rows) {
            // Writing to memory fails only on rows of another length, which
            // `push` refuses.
            csv.write_record(record)
                .expect("a row as long as the header");
        }
        let bytes = csv.into_inner().expect("writing to memory cannot fail");
        String::from_utf8(bytes).expect("CSV of UTF-8 cells is UTF-8")
    }

    /// Parses CSV text as [`Table::to_csv`] writes it (blank lines are
    /// skipped; every row must be as long as the header).
    pub fn from_csv(text: &str) -> Result<Table> {
        let mut csv = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = csv.headers()?.iter().map(String::from).collect();
        ensure!(!header.is_empty(), "an empty CSV file");
        let rows = csv
            .records()
            .map(|record| Ok(record?.iter().map(String::from).collect()))
            .collect::<Result<_>>()?;
        Ok(Table { header, rows })
    }

    /// Writes the table to `path`.
    pub fn write(&self, path: &Path) -> Result<()> {
        fs::write(path, self.to_csv()).with_context(|| format!("cannot write {}", path.display()))
    }

    /// Reads a table from `path`.
    pub fn read(path: &Path) -> Result<Table> {
        let text =
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        Table::from_csv(&text).with_context(|| format!("in {}", path.display()))
    }

    /// The index of the column `name`.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("no column {name:?} in {:?}", self.header))
    }

    /// The text of column `name` in every row.
    pub fn texts(&self, name: &str) -> Result<Vec<&str>> {
        let c = self.column(name)?;
        Ok(self.rows.iter().map(|r| r[c].as_str()).collect())
    }

    /// The number in column `name` of every row (`None` where the cell is
    /// empty or not a number).
    pub fn numbers(&self, name: &str) -> Result<Vec<Option<f64>>> {
        let c = self.column(name)?;
        Ok(self.rows.iter().map(|r| r[c].parse().ok()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_survives_csv_with_commas_and_quotes() {
        let mut t = Table::new(&["what", "mb_per_s"]);
        t.push(vec!["get, \"warm\"".into(), "499".into()]);
        t.push(vec!["md5".into(), "".into()]);
        let back = Table::from_csv(&t.to_csv()).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.numbers("mb_per_s").unwrap(), vec![Some(499.0), None]);
        assert!(back.column("nope").is_err());
        assert_eq!(
            t.to_csv(),
            "what,mb_per_s\n\"get, \"\"warm\"\"\",499\nmd5,\n"
        );
    }

    #[test]
    fn a_csv_file_with_blank_lines_reads_and_a_short_row_does_not() {
        let t = Table::from_csv("a,b\n\n1,2\r\n\n").unwrap();
        assert_eq!(t.rows, [["1", "2"]]);
        assert!(Table::from_csv("a,b\n1\n").is_err());
        assert!(Table::from_csv("").is_err());
    }

    /// The benchmarks' committed results read back, and write out again
    /// byte for byte.
    #[test]
    fn the_books_results_survive_a_round_trip() {
        let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../book");
        let mut seen = 0;
        for chapter in fs::read_dir(&book).unwrap().flatten() {
            let path = chapter.path().join("bench/results.csv");
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            let table = Table::read(&path).unwrap();
            assert!(!table.rows.is_empty(), "{}", path.display());
            assert_eq!(table.to_csv(), text, "{}", path.display());
            seen += 1;
        }
        assert!(seen > 0, "no bench/results.csv under {}", book.display());
    }
}
