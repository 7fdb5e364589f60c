//! What the benchmark reads from outside a server (its memory, in /proc),
//! what it records, and how it draws it.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use plotters::prelude::*;

/// The children of process `pid` (from each `/proc/N/stat`).
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in dir.flatten() {
        let Some(n) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{n}/stat")) else {
            continue;
        };
        // After the last ')' come the state and the parent's pid.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(pid) {
            found.push(n);
        }
    }
    found
}

// ANCHOR: memory
/// The memory of a server: the proportional set size (PSS) of the process
/// and its children, in KiB. PSS divides each shared page among the
/// processes that share it, so a forking server's children, which share
/// most of their pages with the parent, are not counted many times over.
pub fn memory_kib(pid: u32) -> u64 {
    let pss = |p: u32| {
        fs::read_to_string(format!("/proc/{p}/smaps_rollup"))
            .ok()
            .and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("Pss:"))?.to_owned();
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .unwrap_or(0)
    };
    pss(pid) + children(pid).into_iter().map(pss).sum::<u64>()
}
// ANCHOR_END: memory

/// Samples [`memory_kib`] on a thread until dropped; keeps the peak.
#[derive(Debug)]
pub struct PeakMemory {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<thread::JoinHandle<()>>,
}

impl PeakMemory {
    /// Starts sampling `pid` every `every`.
    pub fn start(pid: u32, every: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(memory_kib(pid)));
        let thread = {
            let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(memory_kib(pid), Ordering::Relaxed);
                    // A sampling period, not a wait for an event.
                    thread::sleep(every);
                }
            })
        };
        PeakMemory {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    /// Stops sampling and returns the peak, in KiB.
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

/// One model at one level of load.
#[derive(Debug, Clone)]
pub struct Row {
    /// The model's name.
    pub model: String,
    /// Concurrent clients.
    pub clients: usize,
    /// Round trips per second.
    pub rate: f64,
    /// Median round trip, µs.
    pub p50_us: f64,
    /// 99th percentile round trip, µs.
    pub p99_us: f64,
    /// Clients that failed.
    pub errors: usize,
    /// The server's peak memory during the load, KiB.
    pub peak_kib: u64,
    /// The server's memory per idle connection, KiB.
    pub idle_kib: f64,
}

impl Row {
    /// The CSV header.
    pub const HEADER: &'static str = "model,clients,rate,p50_us,p99_us,errors,peak_kib,idle_kib";

    /// One CSV line.
    pub fn to_csv(&self) -> String {
        format!(
            "{},{},{:.0},{:.0},{:.0},{},{},{:.1}",
            self.model,
            self.clients,
            self.rate,
            self.p50_us,
            self.p99_us,
            self.errors,
            self.peak_kib,
            self.idle_kib
        )
    }

    /// Parses one CSV line.
    pub fn from_csv(line: &str) -> Option<Row> {
        let f: Vec<&str> = line.split(',').collect();
        Some(Row {
            model: f.first()?.to_string(),
            clients: f.get(1)?.parse().ok()?,
            rate: f.get(2)?.parse().ok()?,
            p50_us: f.get(3)?.parse().ok()?,
            p99_us: f.get(4)?.parse().ok()?,
            errors: f.get(5)?.parse().ok()?,
            peak_kib: f.get(6)?.parse().ok()?,
            idle_kib: f.get(7)?.parse().ok()?,
        })
    }
}

/// Reads the rows a benchmark wrote.
pub fn read_csv(path: &Path) -> Result<Vec<Row>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text.lines().skip(1).filter_map(Row::from_csv).collect())
}

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

// ANCHOR: plot
/// Draws one value of every model against the number of clients (both
/// axes logarithmic) into an SVG file. A level where clients failed is
/// left out of its model's line: its rate is not comparable.
pub fn plot(
    rows: &[Row],
    path: &Path,
    (title, y_label): (&str, &str),
    legend: SeriesLabelPosition,
    value: fn(&Row) -> f64,
) -> Result<()> {
    let mut models: Vec<&str> = Vec::new();
    for r in rows {
        if !models.contains(&r.model.as_str()) {
            models.push(&r.model);
        }
    }
    let shown = |r: &&Row| r.errors == 0 && value(r) > 0.0;
    let ys: Vec<f64> = rows.iter().filter(shown).map(value).collect();
    let lo = ys.iter().copied().fold(f64::INFINITY, f64::min).max(1e-3) / 2.0;
    let hi = ys.iter().copied().fold(0.0, f64::max) * 2.0;
    let root = SVGBackend::new(path, (720, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (8f64..12_500f64).log_scale(),
            (lo..hi.max(lo * 10.0)).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("concurrent connections")
        .y_desc(y_label)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for (i, model) in models.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.model == *model)
            .filter(shown)
            .map(|r| (r.clients as f64, value(r)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(*model)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(legend)
        .draw()?;
    root.present()?;
    Ok(())
}
// ANCHOR_END: plot
