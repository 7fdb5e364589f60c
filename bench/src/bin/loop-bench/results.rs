//! What `loop-bench` records (`results.csv`, a row per model and level) and
//! how it draws it (with the book's one plotting module,
//! `book_bench::plot`).

use std::path::Path;

use anyhow::{Context, Result};
use book_bench::plot::{Corner, Line, LineChart, line_chart};
use book_bench::results::Table;

/// One model at one level of load.
#[derive(Debug, Clone)]
pub struct Row {
    /// The model's name.
    pub model: String,
    /// Concurrent clients.
    pub clients: usize,
    /// Round trips per second (the median of the rounds).
    pub rate: f64,
    /// The lowest and the highest rate of the rounds.
    pub rate_min: f64,
    pub rate_max: f64,
    /// Median round trip, µs.
    pub p50_us: f64,
    /// 99th percentile round trip, µs.
    pub p99_us: f64,
    /// The server's CPU time per round trip, µs (its threads and children).
    pub cpu_us: f64,
    /// Clients that failed.
    pub errors: usize,
    /// Handshakes the kernel dropped because an accept queue was full,
    /// during the level (the whole machine's count: see
    /// `book_bench::load::Level::listen_overflows`).
    pub overflows: u64,
    /// The server's peak memory during the load, KiB.
    pub peak_kib: u64,
    /// The server's memory per idle connection, KiB.
    pub idle_kib: f64,
}

/// The columns of `results.csv`, each with its unit.
pub const COLUMNS: [&str; 12] = [
    "model",
    "clients",
    "round_trips_per_s",
    "round_trips_per_s_min",
    "round_trips_per_s_max",
    "p50_us",
    "p99_us",
    "server_cpu_us_per_round_trip",
    "errors",
    "listen_overflows",
    "peak_kib",
    "idle_kib_per_connection",
];

impl Row {
    /// The rows as the table `results.csv` holds.
    pub fn table(rows: &[Row]) -> Table {
        let mut table = Table::new(&COLUMNS);
        for r in rows {
            table.push(vec![
                r.model.clone(),
                r.clients.to_string(),
                format!("{:.0}", r.rate),
                format!("{:.0}", r.rate_min),
                format!("{:.0}", r.rate_max),
                format!("{:.0}", r.p50_us),
                format!("{:.0}", r.p99_us),
                format!("{:.1}", r.cpu_us),
                r.errors.to_string(),
                r.overflows.to_string(),
                r.peak_kib.to_string(),
                format!("{:.1}", r.idle_kib),
            ]);
        }
        table
    }

    /// The rows of a table that [`Row::table`] made.
    pub fn from_table(table: &Table) -> Result<Vec<Row>> {
        let number = |name: &str| -> Result<Vec<f64>> {
            table
                .numbers(name)?
                .into_iter()
                .map(|v| v.with_context(|| format!("a row without {name}")))
                .collect()
        };
        let models = table.texts("model")?;
        let clients = number("clients")?;
        let rate = number("round_trips_per_s")?;
        let rate_min = number("round_trips_per_s_min")?;
        let rate_max = number("round_trips_per_s_max")?;
        let p50 = number("p50_us")?;
        let p99 = number("p99_us")?;
        let cpu = number("server_cpu_us_per_round_trip")?;
        let errors = number("errors")?;
        let overflows = number("listen_overflows")?;
        let peak = number("peak_kib")?;
        let idle = number("idle_kib_per_connection")?;
        Ok((0..models.len())
            .map(|i| Row {
                model: models[i].to_string(),
                clients: clients[i] as usize,
                rate: rate[i],
                rate_min: rate_min[i],
                rate_max: rate_max[i],
                p50_us: p50[i],
                p99_us: p99[i],
                cpu_us: cpu[i],
                errors: errors[i] as usize,
                overflows: overflows[i] as u64,
                peak_kib: peak[i] as u64,
                idle_kib: idle[i],
            })
            .collect())
    }
}

/// Reads the rows a benchmark wrote.
pub fn read_csv(path: &Path) -> Result<Vec<Row>> {
    Row::from_table(&Table::read(path)?).with_context(|| format!("in {}", path.display()))
}

/// The plots the benchmark draws, file name and title.
pub const PLOTS: [(&str, &str); 3] = [
    ("rate.svg", "Round trips per second by concurrency model"),
    (
        "latency.svg",
        "p99 latency of one round trip by concurrency model",
    ),
    (
        "memory.svg",
        "Server memory (PSS) under load by concurrency model",
    ),
];

// ANCHOR: plot
/// Draws every model's round trips per second, p99 latency and memory
/// against the number of connections, one line per model (both axes
/// logarithmic), into `out`. A level where clients failed is left out of
/// its model's line: its numbers are not comparable.
pub fn draw(rows: &[Row], out: &Path) -> Result<()> {
    let mut models: Vec<&str> = Vec::new();
    for r in rows {
        if !models.contains(&r.model.as_str()) {
            models.push(&r.model);
        }
    }
    type Value = fn(&Row) -> f64;
    let values: [(Value, &str, Corner); 3] = [
        (|r| r.rate, "round trips per second", Corner::LowerLeft),
        (|r| r.p99_us, "p99 latency (µs)", Corner::UpperLeft),
        (
            |r| r.peak_kib as f64,
            "peak memory (KiB)",
            Corner::UpperLeft,
        ),
    ];
    for ((file, title), (value, y_label, legend)) in PLOTS.into_iter().zip(values) {
        let lines = models
            .iter()
            .map(|model| Line {
                name: model.to_string(),
                points: rows
                    .iter()
                    .filter(|r| r.model == *model && r.errors == 0)
                    .map(|r| (r.clients as f64, value(r)))
                    .collect(),
            })
            .collect();
        let chart = LineChart {
            title: title.into(),
            x_label: "concurrent connections".into(),
            y_label: y_label.into(),
            lines,
            legend,
        };
        line_chart(&out.join(file), &chart)?;
    }
    Ok(())
}
// ANCHOR_END: plot
