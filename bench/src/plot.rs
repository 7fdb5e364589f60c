//! The benchmarks' plots: one way to draw them.
//!
//! Every benchmark of the book draws its plots from its table of results
//! ([`crate::results::Table`], `results.csv`), so a plot can always be
//! redrawn from the numbers without measuring again. There are two kinds of
//! plot, in one style (white, sans-serif, the same colours in the same
//! order, a title, both axes labelled with their unit, a legend):
//!
//! - [`bar_chart`]: a value per thing measured, grouped (one bar per series
//!   in each group), with an optional horizontal baseline such as "md5
//!   alone"; the value is written above each bar.
//! - [`line_chart`]: a value against a load, both axes logarithmic, one line
//!   per server or model.
//!
//! The SVG files carry their title as a `<title>` element too, which
//! browsers show and tests read back ([`svg_title`]).

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The size of every plot, in pixels.
const SIZE: (u32, u32) = (760, 460);
/// The font of every text.
const FONT: &str = "sans-serif";
/// The colours of the series, in order (a colour-blind-safe palette).
const COLORS: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(120, 120, 120),
    RGBColor(240, 228, 66),
];

/// The colour of series number `i`.
fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

/// A number as a plot shows it: `850`, `12.5`, `1.9k`, `94k`, `1.2M`.
pub fn short_number(v: f64) -> String {
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    let a = v.abs();
    if a >= 1e6 {
        trim(format!("{:.1}", v / 1e6)) + "M"
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else if a >= 10.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.1}"))
    } else if a > 0.0 {
        trim(format!("{v:.2}"))
    } else {
        "0".into()
    }
}

/// A number as written above a bar: `1,910`, `12.5`, `0.42`.
pub fn exact_number(v: f64) -> String {
    if v.abs() < 10.0 {
        return short_number(v);
    }
    if v.abs() < 100.0 {
        let one_decimal = format!("{v:.1}");
        return one_decimal.trim_end_matches(".0").to_string();
    }
    let digits = format!("{:.0}", v.abs());
    let mut grouped = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(d);
    }
    if v < 0.0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// The numbers 1, 2 and 5 times a power of ten between `lo` and `hi`:
/// where a logarithmic axis is labelled.
fn steps_1_2_5(lo: f64, hi: f64) -> Vec<f64> {
    let mut steps = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            let v = decade * m;
            if v >= lo && v <= hi {
                steps.push(v);
            }
        }
        decade *= 10.0;
    }
    steps
}

/// Where a legend goes, inside the plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    /// Top left.
    UpperLeft,
    /// Top right.
    UpperRight,
    /// Bottom left.
    LowerLeft,
    /// Bottom right.
    LowerRight,
}

impl Corner {
    fn position(self) -> SeriesLabelPosition {
        match self {
            Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
            Corner::UpperRight => SeriesLabelPosition::UpperRight,
            Corner::LowerLeft => SeriesLabelPosition::LowerLeft,
            Corner::LowerRight => SeriesLabelPosition::LowerRight,
        }
    }
}

/// One series of a bar chart: a value (or none) for each group.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// One value per group of the chart, in order; `None` draws no bar.
    pub values: Vec<Option<f64>>,
}

/// A horizontal line across a bar chart: what the bars are compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// Its name in the legend (`md5 alone`).
    pub name: String,
    /// Its height, in the unit of the vertical axis.
    pub value: f64,
}

/// A grouped bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// The title above the plot.
    pub title: String,
    /// What the groups are (the horizontal axis's label).
    pub x_label: String,
    /// What the bars measure, with the unit (`MB/s`).
    pub y_label: String,
    /// The groups, left to right.
    pub groups: Vec<String>,
    /// The series: one bar of each in every group.
    pub series: Vec<Series>,
    /// A line to compare with, if any.
    pub baseline: Option<Baseline>,
    /// A logarithmic vertical axis, for values that differ a thousandfold.
    pub log_y: bool,
    /// Where the legend goes.
    pub legend: Corner,
}

/// One line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Its name in the legend.
    pub name: String,
    /// Its points, `(x, y)`; points with a value of 0 or less are left out
    /// (a logarithmic axis cannot show them).
    pub points: Vec<(f64, f64)>,
}

/// A line chart with both axes logarithmic.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// The title above the plot.
    pub title: String,
    /// The horizontal axis's label, with the unit.
    pub x_label: String,
    /// The vertical axis's label, with the unit.
    pub y_label: String,
    /// The lines.
    pub lines: Vec<Line>,
    /// Where the legend goes.
    pub legend: Corner,
}

// ANCHOR: bar_chart
/// Draws `chart` into an SVG file at `path`.
pub fn bar_chart(path: &Path, chart: &BarChart) -> Result<()> {
    ensure!(
        !chart.groups.is_empty(),
        "{}: no groups to draw",
        chart.title
    );
    for s in &chart.series {
        ensure!(
            s.values.len() == chart.groups.len(),
            "{}: series {} has {} values for {} groups",
            chart.title,
            s.name,
            s.values.len(),
            chart.groups.len()
        );
    }
    let mut values: Vec<f64> = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .filter(|v| *v > 0.0)
        .collect();
    values.extend(chart.baseline.as_ref().map(|b| b.value));
    let top = values.iter().copied().fold(0.0, f64::max).max(1e-9);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let groups = chart.groups.len() as f64;
        if chart.log_y {
            let low = values
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min)
                .min(top);
            // A decade below the smallest bar, so that even a bar of 1 shows.
            let low = 10f64.powf((low * 0.9).log10().floor()).max(1e-9);
            let high = 10f64.powf((top * 1.5).log10().ceil() + f64::from(shows_legend(chart)));
            let mut area = frame(&root, &chart.title)?;
            let mut ctx = area.build_cartesian_2d(0.0..groups, (low..high).log_scale())?;
            bars(&root, &mut ctx, chart, low)?;
        } else {
            let mut area = frame(&root, &chart.title)?;
            // Room above the bars for their values, and for the legend.
            let room = if shows_legend(chart) { 1.4 } else { 1.15 };
            let mut ctx = area.build_cartesian_2d(0.0..groups, 0.0..top * room)?;
            bars(&root, &mut ctx, chart, 0.0)?;
        }
        root.present()?;
    }
    write_svg(path, &svg, &chart.title)
}
// ANCHOR_END: bar_chart

/// The chart builder of every plot: a caption and room for the axes.
fn frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
) -> Result<ChartBuilder<'a, 'b, SVGBackend<'b>>> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, (FONT, 21))
        .margin(14)
        .x_label_area_size(58)
        .y_label_area_size(78);
    Ok(builder)
}

/// The bars, group names, baseline and legend of a bar chart whose
/// vertical axis (linear or logarithmic) starts at `floor`.
fn bars<'b: 'c, 'c, Y>(
    root: &DrawingArea<SVGBackend<'b>, Shift>,
    ctx: &mut ChartContext<
        'c,
        SVGBackend<'b>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, Y>,
    >,
    chart: &BarChart,
    floor: f64,
) -> Result<()>
where
    Y: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let label_style = (FONT, 14).into_font();
    ctx.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .y_label_formatter(&|y| short_number(*y))
        .label_style(label_style.clone())
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE)
        .draw()?;
    let n = chart.series.len().max(1) as f64;
    let width = 0.8 / n;
    for (si, series) in chart.series.iter().enumerate() {
        let c = color(si);
        let mut rects = Vec::new();
        for (gi, value) in series.values.iter().enumerate() {
            let Some(v) = value.filter(|v| *v > floor) else {
                continue;
            };
            let x0 = gi as f64 + 0.1 + width * si as f64;
            rects.push(Rectangle::new(
                [(x0, floor), (x0 + width * 0.92, v)],
                c.filled(),
            ));
        }
        ctx.draw_series(rects)?
            .label(series.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.filled()));
        // The value above each bar, so a reader need not guess it.
        for (gi, value) in series.values.iter().enumerate() {
            let Some(v) = value.filter(|v| *v > floor) else {
                continue;
            };
            let x = gi as f64 + 0.1 + width * (si as f64 + 0.46);
            let (px, py) = ctx.backend_coord(&(x, v));
            root.draw(&Text::new(
                exact_number(v),
                (px, py - 3),
                TextStyle::from((FONT, 12).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))?;
        }
    }
    // The group names under the axis, centred under each group.
    for (gi, name) in chart.groups.iter().enumerate() {
        let (px, py) = ctx.backend_coord(&(gi as f64 + 0.5, floor));
        root.draw(&Text::new(
            name.clone(),
            (px, py + 8),
            TextStyle::from(label_style.clone()).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    if let Some(base) = &chart.baseline {
        let groups = chart.groups.len() as f64;
        let grey = RGBColor(60, 60, 60);
        ctx.draw_series(DashedLineSeries::new(
            vec![(0.0, base.value), (groups, base.value)],
            8,
            5,
            grey.stroke_width(2),
        ))?
        .label(format!("{} ({})", base.name, short_number(base.value)))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], grey.stroke_width(2)));
    }
    if shows_legend(chart) {
        ctx.configure_series_labels()
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(chart.legend.position())
            .draw()?;
    }
    Ok(())
}

/// A legend is drawn for more than one series, or a baseline; a single
/// series is named by the title and the axis.
fn shows_legend(chart: &BarChart) -> bool {
    chart.series.len() > 1 || chart.baseline.is_some()
}

// ANCHOR: line_chart
/// Draws `chart` (both axes logarithmic) into an SVG file at `path`.
pub fn line_chart(path: &Path, chart: &LineChart) -> Result<()> {
    let shown = |p: &&(f64, f64)| p.0 > 0.0 && p.1 > 0.0;
    let points: Vec<(f64, f64)> = chart
        .lines
        .iter()
        .flat_map(|l| l.points.iter().filter(shown).copied())
        .collect();
    if points.is_empty() {
        bail!("{}: no points to draw", chart.title);
    }
    let (xs, ys): (Vec<f64>, Vec<f64>) = points.into_iter().unzip();
    // The labels of the horizontal axis: the loads measured, exactly.
    let mut x_keys = xs.clone();
    x_keys.sort_by(f64::total_cmp);
    x_keys.dedup();
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    // A margin around the points, and at least a factor of 4 on each axis
    // so that a logarithmic axis has labels to read.
    let span = |lo: f64, hi: f64| {
        let (lo, hi) = (lo / 1.3, hi * 1.3);
        let widen = (4.0 / (hi / lo)).max(1.0).sqrt();
        (lo / widen, hi * widen)
    };
    let (x_lo, x_hi) = span(min(&xs), max(&xs));
    let (y_lo, y_hi) = span(min(&ys), max(&ys));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut ctx = frame(&root, &chart.title)?.build_cartesian_2d(
            (x_lo..x_hi).log_scale().with_key_points(x_keys),
            (y_lo..y_hi)
                .log_scale()
                .with_key_points(steps_1_2_5(y_lo, y_hi)),
        )?;
        ctx.configure_mesh()
            .x_desc(chart.x_label.as_str())
            .y_desc(chart.y_label.as_str())
            .x_label_formatter(&|x| short_number(*x))
            .y_label_formatter(&|y| short_number(*y))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .light_line_style(WHITE)
            .draw()?;
        for (i, line) in chart.lines.iter().enumerate() {
            let c = color(i);
            let points: Vec<(f64, f64)> = line.points.iter().filter(shown).copied().collect();
            ctx.draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))?
                .label(line.name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
            ctx.draw_series(points.into_iter().map(|p| Circle::new(p, 3, c.filled())))?;
        }
        ctx.configure_series_labels()
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(chart.legend.position())
            .draw()?;
        root.present()?;
    }
    write_svg(path, &svg, &chart.title)
}
// ANCHOR_END: line_chart

/// Writes `svg` to `path` with `title` as its `<title>` element.
fn write_svg(path: &Path, svg: &str, title: &str) -> Result<()> {
    let end = svg.find('>').context("plotters wrote no <svg> element")? + 1;
    let escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let text = format!("{}\n<title>{escaped}</title>{}", &svg[..end], &svg[end..]);
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Reads an SVG file, checks that it is well-formed XML whose element is
/// `<svg>` (a browser shows nothing of one that is not), and returns its
/// `<title>`.
pub fn svg_title(path: &Path) -> Result<String> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let svg = roxmltree::Document::parse(&text)
        .with_context(|| format!("{} is not well-formed XML", path.display()))?;
    let root = svg.root_element();
    ensure!(
        root.has_tag_name("svg"),
        "the document's element is <{}>, not <svg>",
        root.tag_name().name()
    );
    let title = root
        .children()
        .find(|node| node.has_tag_name("title"))
        .context("the SVG has no <title>")?;
    Ok(title.text().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers() {
        let shown: Vec<String> = [0.25, 4.0, 12.5, 850.0, 1910.0, 94_081.0, 1_250_000.0]
            .into_iter()
            .map(short_number)
            .collect();
        assert_eq!(shown, ["0.25", "4", "12", "850", "1.9k", "94k", "1.2M"]);
        assert_eq!(exact_number(65_536.0), "65,536");
        assert_eq!(exact_number(1910.4), "1,910");
        assert_eq!(exact_number(12.5), "12.5");
    }

    #[test]
    fn both_charts_are_well_formed_svg_with_their_title() {
        let dir = tempfile::tempdir().unwrap();
        let bars = BarChart {
            title: "Bars & <more>".into(),
            x_label: "method".into(),
            y_label: "MB/s".into(),
            groups: vec!["a".into(), "b".into()],
            series: vec![
                Series {
                    name: "one".into(),
                    values: vec![Some(1.0), Some(1000.0)],
                },
                Series {
                    name: "two".into(),
                    values: vec![None, Some(10.0)],
                },
            ],
            baseline: Some(Baseline {
                name: "base".into(),
                value: 500.0,
            }),
            log_y: true,
            legend: Corner::UpperLeft,
        };
        bar_chart(&dir.path().join("bars.svg"), &bars).unwrap();
        bar_chart(
            &dir.path().join("linear.svg"),
            &BarChart {
                log_y: false,
                ..bars
            },
        )
        .unwrap();
        let lines = LineChart {
            title: "Lines".into(),
            x_label: "clients".into(),
            y_label: "round trips/s".into(),
            lines: vec![Line {
                name: "x".into(),
                points: vec![(1.0, 5.0), (10.0, 50.0), (100.0, 0.0)],
            }],
            legend: Corner::LowerRight,
        };
        line_chart(&dir.path().join("lines.svg"), &lines).unwrap();
        assert_eq!(
            svg_title(&dir.path().join("bars.svg")).unwrap(),
            "Bars & <more>"
        );
        assert_eq!(
            svg_title(&dir.path().join("linear.svg")).unwrap(),
            "Bars & <more>"
        );
        assert_eq!(svg_title(&dir.path().join("lines.svg")).unwrap(), "Lines");
    }

    #[test]
    fn a_broken_svg_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.svg");
        fs::write(&path, "<svg><title>t</title><g></svg>").unwrap();
        assert!(svg_title(&path).is_err());
        fs::write(&path, "<html></html>").unwrap();
        assert!(svg_title(&path).is_err());
        fs::write(&path, "<svg><g><title>deep</title></g></svg>").unwrap();
        assert!(svg_title(&path).is_err());
        fs::write(&path, "<svg><title>a &amp; b</title></svg>").unwrap();
        assert_eq!(svg_title(&path).unwrap(), "a & b");
    }
}
