//! The HTML report's figures as SVG text, drawn with plotters; pure functions of their inputs.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::Result;
use crate::report::render::fmt_setting_float;
use crate::report::summary::{BaselinePoint, EpochPoint, Group, HeatCell, Heatmap, PooledPenalty};

/// Width and height of a single-panel plot: wide enough to read on a laptop without zooming,
/// small enough that a figure and its caption fit on one screen.
pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 500;

/// Viridis at nine evenly spaced points (matplotlib's table). Its lightness rises
/// monotonically, so the order of its colours survives grayscale printing and the common
/// colour-vision deficiencies; interpolating between nine stops is indistinguishable from the
/// full 256-entry table at the sizes drawn here.
pub const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (72, 40, 120),
    (62, 73, 137),
    (49, 104, 142),
    (38, 130, 142),
    (31, 158, 137),
    (53, 183, 121),
    (110, 206, 88),
    (253, 231, 37),
];

/// Viridis at `t` in [0, 1].
pub fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The last stop of viridis is a yellow that all but vanishes on white, so categories that
/// are drawn as marks (not filled cells) stop short of it.
const CATEGORY_END: f64 = 0.85;

/// `n` colours for ordered categories, darkest first.
pub fn category_colours(n: usize) -> Vec<RGBColor> {
    match n {
        0 => vec![],
        1 => vec![viridis(0.0)],
        _ => (0..n)
            .map(|i| viridis(CATEGORY_END * i as f64 / (n - 1) as f64))
            .collect(),
    }
}

/// Whether text on this fill needs to be light: viridis is dark below about its middle.
fn dark_fill(t: f64) -> bool {
    t < 0.55
}

const INK: RGBColor = RGBColor(34, 34, 34);
const MUTED: RGBColor = RGBColor(110, 110, 110);
const GRID_BOLD: RGBColor = RGBColor(215, 215, 215);
const EMPTY_CELL: RGBColor = RGBColor(225, 225, 225);

/// plotters' SVG backend writes `font-size` as the requested size divided by 1.24, so asking
/// for `px · 1.24` gives text of `px` pixels. The product is nudged by an ulp or two until the
/// division gives `px` back exactly, so the SVG says `13` rather than `13.000000000000002`.
fn font(px: f64) -> FontDesc<'static> {
    let mut size = px * 1.24;
    for _ in 0..8 {
        let back = size / 1.24;
        if back == px {
            break;
        }
        let bits = size.to_bits();
        size = f64::from_bits(if back > px { bits - 1 } else { bits + 1 });
    }
    ("sans-serif", size).into_font()
}

fn text_style(px: f64, h: HPos, v: VPos) -> TextStyle<'static> {
    font(px).color(&INK).pos(Pos::new(h, v))
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Above this ratio of largest to smallest value an MSE axis turns logarithmic: across a sweep, a diverging learning rate can raise the MSE a thousandfold,
/// and on a linear scale every sensible setting would then sit in one corner.
pub const LOG_RATIO: f64 = 30.0;

/// The same for a heatmap's MSE colours, lower because colour resolves differences less
/// finely than position does.
pub const COLOUR_LOG_RATIO: f64 = 3.0;

/// Whether positive values spanning `lo..=hi` need a log scale.
pub fn wants_log(lo: f64, hi: f64) -> bool {
    lo > 0.0 && hi.is_finite() && hi / lo > LOG_RATIO
}

/// A numeric axis, linear or logarithmic, whose ticks are exactly the given values.
/// plotters' own f64 axis picks its ticks itself, which categories at 0, 1, 2… and whole
/// epochs cannot use, and its log axis is a different type; one type for every axis keeps
/// the drawing code the same for both scales.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
}

/// 1, 2 or 5 times a power of ten, the step that gives at most `n` ticks over `lo..hi`; ticks
/// are integer multiples of it, so zero is exactly zero.
fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Ticks at 1, 2 and 5 times each power of ten in range, or only the powers when that would
/// crowd the axis; a range within one decade falls back to linear ticks.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (d0, d1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let within = |v: &f64| *v >= lo * (1.0 - 1e-12) && *v <= hi * (1.0 + 1e-12);
    let all: Vec<f64> = (d0..=d1)
        .flat_map(|d| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(d)))
        .filter(within)
        .collect();
    if all.len() <= 9 && all.len() >= 3 {
        return all;
    }
    let powers: Vec<f64> = (d0..=d1).map(|d| 10f64.powi(d)).filter(within).collect();
    if powers.len() >= 2 {
        powers
    } else {
        nice_ticks(lo, hi, 6)
    }
}

impl Axis {
    /// Ticks given by the caller (categories, epochs).
    pub fn fixed(lo: f64, hi: f64, ticks: Vec<f64>) -> Axis {
        Axis {
            lo,
            hi,
            log: false,
            ticks,
        }
    }

    /// Data from `lo` to `hi`, padded by `frac` of the span (in log space on a log axis).
    pub fn fit(lo: f64, hi: f64, frac: f64, log: bool, n_ticks: usize) -> Axis {
        if log && lo > 0.0 {
            let (a, b) = padded(lo.ln(), hi.ln(), frac);
            let (lo, hi) = (a.exp(), b.exp());
            Axis {
                lo,
                hi,
                log: true,
                ticks: log_ticks(lo, hi),
            }
        } else {
            let (lo, hi) = padded(lo, hi, frac);
            Axis {
                lo,
                hi,
                log: false,
                ticks: nice_ticks(lo, hi, n_ticks),
            }
        }
    }

    /// Where `v` falls, from 0 at `lo` to 1 at `hi`.
    pub fn fraction(&self, v: f64) -> f64 {
        let (v, lo, hi) = if self.log {
            (v.max(f64::MIN_POSITIVE).ln(), self.lo.ln(), self.hi.ln())
        } else {
            (v, self.lo, self.hi)
        };
        if hi > lo { (v - lo) / (hi - lo) } else { 0.5 }
    }

    fn span(&self) -> f64 {
        self.hi - self.lo
    }
}

impl Ranged for Axis {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        limit.0 + ((limit.1 - limit.0) as f64 * self.fraction(*v)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
}

/// Tick labels: at most four significant digits and no trailing zeros, since axis labels only
/// locate the marks (the tables carry the exact figures) and long labels would collide.
pub fn fmt_tick(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.2e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        return format!("{}e{exp}", trim_zeros(mantissa));
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    trim_zeros(&format!("{v:.decimals$}"))
}

/// Tick labels for an axis spanning `span`: a tick that should be zero but carries rounding
/// residue (3.47e-18) prints as 0.
fn tick_label(v: f64, span: f64) -> String {
    if v.abs() <= span.abs() * 1e-9 {
        "0".into()
    } else {
        fmt_tick(v)
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// A number inside a heatmap cell: whole units for large MSEs (the digits after the point
/// are noise at that scale), otherwise four significant digits with trailing zeros kept so
/// neighbouring cells line up digit for digit.
fn fmt_cell(v: f64, accuracy: bool) -> String {
    if accuracy {
        return format!("{v:.3}");
    }
    let a = v.abs();
    if (1e3..1e7).contains(&a) {
        format!("{v:.0}")
    } else if (1e-4..1e3).contains(&a) {
        let decimals = (3 - a.log10().floor() as i32).clamp(0, 8) as usize;
        format!("{v:.decimals$}")
    } else if a == 0.0 {
        "0".into()
    } else {
        format!("{v:.3e}")
    }
}

/// The range an axis shows: the groups' range, stretched to take in baselines only as far as
/// 1.5 times the groups' span (with `floor` as the least span). A baseline beyond that is
/// drawn at the edge with its value in its label: taking it in would squash the groups, which
/// are what the plot compares, into a sliver.
fn reach(g_lo: f64, g_hi: f64, b_lo: f64, b_hi: f64, floor: f64) -> (f64, f64) {
    if !g_lo.is_finite() {
        return (b_lo, b_hi);
    }
    let span = (g_hi - g_lo).max(floor).max(f64::MIN_POSITIVE);
    let lo = if b_lo.is_finite() {
        g_lo.min(b_lo.max(g_lo - 1.5 * span))
    } else {
        g_lo
    };
    let hi = if b_hi.is_finite() {
        g_hi.max(b_hi.min(g_hi + 1.5 * span))
    } else {
        g_hi
    };
    (lo, hi)
}

/// `lo..hi` widened by a margin, and made non-empty, so marks at the extremes are not cut by
/// the frame.
fn padded(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    if span <= 0.0 {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.05 };
        return (lo - d, hi + d);
    }
    (lo - span * frac, hi + span * frac)
}

fn min_max(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

fn finish(svg: String) -> String {
    // plotters ends without a final newline on some paths; one keeps files diff-friendly.
    if svg.ends_with('\n') { svg } else { svg + "\n" }
}

/// λ values and their colours, shared by every figure so one λ has one colour throughout.
#[derive(Debug, Clone)]
pub(crate) struct LambdaColours {
    pub lambdas: Vec<f64>,
    pub colours: Vec<RGBColor>,
}

impl LambdaColours {
    pub fn new(lambdas: Vec<f64>) -> LambdaColours {
        let colours = category_colours(lambdas.len());
        LambdaColours { lambdas, colours }
    }

    pub fn of(&self, lambda: f64) -> RGBColor {
        self.lambdas
            .iter()
            .position(|l| l.total_cmp(&lambda).is_eq())
            .map(|i| self.colours[i])
            .unwrap_or(MUTED)
    }
}

fn lambda_label(l: f64) -> String {
    format!("λ = {}", fmt_setting_float(l))
}

/// Where a marker's label goes, in pixel offsets from the marker.
struct LabelPlacement {
    anchor: (i32, i32),
    h: HPos,
    halo: [(i32, i32); 2],
}

/// Puts a label of estimated width `w` right of, left of, above or below the marker at
/// `at` (in that order of preference), choosing the side that covers the fewest points and
/// stays inside the plotting area.
fn place_label(
    at: (i32, i32),
    w: i32,
    points: &[(i32, i32)],
    (xr, yr): (&Range<i32>, &Range<i32>),
) -> LabelPlacement {
    let candidates = [
        ((12, 0), HPos::Left, [(9, -10), (w + 15, 10)]),
        ((-12, 0), HPos::Right, [(-w - 15, -10), (-9, 10)]),
        (
            (0, -21),
            HPos::Center,
            [(-w / 2 - 3, -31), (w / 2 + 3, -11)],
        ),
        ((0, 21), HPos::Center, [(-w / 2 - 3, 11), (w / 2 + 3, 31)]),
    ];
    let cost = |halo: &[(i32, i32); 2]| -> usize {
        let (x0, y0) = (at.0 + halo[0].0, at.1 + halo[0].1);
        let (x1, y1) = (at.0 + halo[1].0, at.1 + halo[1].1);
        let outside = x0 < xr.start || x1 > xr.end || y0 < yr.start || y1 > yr.end;
        // A point's radius counts: one whose edge reaches into the box is covered too.
        let covered = points
            .iter()
            .filter(|(px, py)| *px >= x0 - 5 && *px <= x1 + 5 && *py >= y0 - 5 && *py <= y1 + 5)
            .count();
        covered + if outside { 10_000 } else { 0 }
    };
    let (anchor, h, halo) = candidates
        .iter()
        .min_by_key(|(_, _, halo)| cost(halo))
        .copied()
        .expect("there are candidates");
    LabelPlacement { anchor, h, halo }
}

/// A filled square centred on a pixel offset, for markers that must not be circles.
fn square(size: i32, style: ShapeStyle) -> Rectangle<(i32, i32)> {
    Rectangle::new([(-size, -size), (size, size)], style)
}

fn draw_legend_row(
    area: &Area<'_>,
    y: i32,
    mark: impl FnOnce(&Area<'_>, (i32, i32)) -> Result<()>,
    label: &str,
) -> Result<()> {
    mark(area, (16, y))?;
    area.draw(&Text::new(
        label.to_string(),
        (34, y),
        text_style(13.0, HPos::Left, VPos::Center),
    ))?;
    Ok(())
}

/// Draws one SVG, `WIDTH` by `height` pixels on white, through `draw`; returns its text
/// (ending in a newline) and what `draw` returned.
fn svg_page<T>(
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<T>,
) -> Result<(String, T)> {
    let mut svg = String::new();
    let value = {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let value = draw(&root)?;
        root.present()?;
        value
    };
    Ok((finish(svg), value))
}

/// The trade-off scatter: one circle per setting group and nothing else drawn as a circle,
/// so the points can be counted in the SVG.
pub(crate) fn tradeoff_svg(
    groups: &[Group],
    front: &[&Group],
    baselines: &[BaselinePoint],
    colours: &LambdaColours,
) -> Result<String> {
    let (svg, ()) = svg_page(HEIGHT, |root| {
        let body = root.titled(
            "Validation MSE against trend-match accuracy, one circle per setting group",
            font(16.0).color(&INK),
        )?;
        let (plot, legend) = body.split_horizontally(WIDTH as i32 - 180);

        let (gx_lo, gx_hi) = min_max(groups.iter().map(|g| g.val_mse));
        let (bx_lo, bx_hi) = min_max(baselines.iter().map(|b| b.val_mse));
        let (gy_lo, gy_hi) = min_max(groups.iter().map(|g| g.val_trend_acc));
        let (by_lo, by_hi) = min_max(baselines.iter().map(|b| b.val_trend_acc));
        let log = wants_log(gx_lo.min(bx_lo), gx_hi.max(bx_hi));
        let x_axis = if log {
            Axis::fit(gx_lo.min(bx_lo), gx_hi.max(bx_hi), 0.06, true, 7)
        } else {
            let (lo, hi) = reach(gx_lo, gx_hi, bx_lo, bx_hi, gx_hi.abs() * 0.5);
            Axis::fit(lo, hi, 0.06, false, 7)
        };
        let (lo, hi) = reach(gy_lo, gy_hi, by_lo, by_hi, 0.1);
        let y_axis = Axis::fit(lo, hi, 0.08, false, 8);
        let (x_lo, x_hi) = (x_axis.lo, x_axis.hi);
        let (y_lo, y_hi) = (y_axis.lo, y_axis.hi);
        let (x_span, y_span) = (x_axis.span(), y_axis.span());
        let x_desc = if log {
            "validation MSE (series units², log scale)"
        } else {
            "validation MSE (series units²)"
        };

        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(52)
            .y_label_area_size(72)
            .build_cartesian_2d(x_axis.clone(), y_axis)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("trend-match accuracy (fraction)")
            .x_label_formatter(&|v| tick_label(*v, x_span))
            .y_label_formatter(&|v| tick_label(*v, y_span))
            .label_style(font(13.0).color(&INK))
            .axis_desc_style(font(14.0).color(&INK))
            .bold_line_style(GRID_BOLD)
            .draw()?;

        // Translucent, so overlapping groups still show as two; the front goes on top, or
        // the points crowded near it would hide it.
        chart.draw_series(groups.iter().map(|g| {
            Circle::new(
                (g.val_mse, g.val_trend_acc),
                5,
                colours.of(g.lambda()).mix(0.8).filled(),
            )
        }))?;
        if front.len() >= 2 {
            chart.draw_series(LineSeries::new(
                front.iter().map(|g| (g.val_mse, g.val_trend_acc)),
                ShapeStyle::from(&INK).stroke_width(2),
            ))?;
        }

        let several_windows = baselines
            .iter()
            .map(|b| b.window)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1;
        // Where the group points fall on screen, so baseline labels can avoid them.
        let point_px: Vec<(i32, i32)> = groups
            .iter()
            .map(|g| chart.backend_coord(&(g.val_mse, g.val_trend_acc)))
            .collect();
        let (px_range, py_range) = chart.plotting_area().get_pixel_range();
        // An off-scale baseline sits just inside the frame, not on the axis line.
        let inset = |lo: f64, hi: f64| (lo + (hi - lo) * 0.025, hi - (hi - lo) * 0.025);
        let (x_in_lo, x_in_hi) = inset(x_lo, x_hi);
        let (y_in_lo, y_in_hi) = inset(y_lo, y_hi);
        for b in baselines {
            let off_x = b.val_mse > x_hi || b.val_mse < x_lo;
            let off_y = b.val_trend_acc > y_hi || b.val_trend_acc < y_lo;
            let x = if off_x {
                b.val_mse.clamp(x_in_lo, x_in_hi)
            } else {
                b.val_mse
            };
            let y = if off_y {
                b.val_trend_acc.clamp(y_in_lo, y_in_hi)
            } else {
                b.val_trend_acc
            };
            let mut label = if b.name == "ols" {
                "OLS".to_string()
            } else {
                b.name.clone()
            };
            if several_windows {
                label.push_str(&format!(" (window {})", b.window));
            }
            let mut off = Vec::new();
            if off_x {
                off.push(format!("MSE {}", fmt_tick(b.val_mse)));
            }
            if off_y {
                off.push(format!("accuracy {}", fmt_tick(b.val_trend_acc)));
            }
            if !off.is_empty() {
                label.push_str(&format!(" ({}, off the scale)", off.join(", ")));
            }
            let pos = (x, y);
            let at = chart.backend_coord(&pos);
            // SVG text is measured only by the viewer, so the label's box is an estimate.
            let w = (label.chars().count() as f64 * 13.0 * 0.56).ceil() as i32;
            let placement = place_label(at, w, &point_px, (&px_range, &py_range));
            let style = INK.filled();
            // A pale box behind the label keeps it readable where it still crosses points.
            let halo = Rectangle::new(placement.halo, WHITE.mix(0.7).filled());
            let label_el = Text::new(
                label,
                placement.anchor,
                text_style(13.0, placement.h, VPos::Center),
            );
            if b.name == "persistence" {
                chart.draw_series(std::iter::once(
                    EmptyElement::at(pos) + halo + TriangleMarker::new((0, 0), 8, style) + label_el,
                ))?;
            } else {
                chart.draw_series(std::iter::once(
                    EmptyElement::at(pos) + halo + square(6, style) + label_el,
                ))?;
            }
        }

        let mut y = 30;
        legend.draw(&Text::new(
            "penalty weight",
            (8, y - 18),
            text_style(13.0, HPos::Left, VPos::Center),
        ))?;
        for (l, c) in colours.lambdas.iter().zip(&colours.colours) {
            let c = *c;
            draw_legend_row(
                &legend,
                y,
                |a, p| {
                    a.draw(&(EmptyElement::at(p) + square(6, c.filled())))?;
                    Ok(())
                },
                &lambda_label(*l),
            )?;
            y += 22;
        }
        y += 12;
        if front.len() >= 2 {
            draw_legend_row(
                &legend,
                y,
                |a, (px, py)| {
                    a.draw(&PathElement::new(
                        vec![(px - 10, py), (px + 10, py)],
                        ShapeStyle::from(&INK).stroke_width(2),
                    ))?;
                    Ok(())
                },
                "Pareto front",
            )?;
            y += 22;
        }
        if baselines.iter().any(|b| b.name == "persistence") {
            draw_legend_row(
                &legend,
                y,
                |a, p| {
                    a.draw(&TriangleMarker::new(p, 8, INK.filled()))?;
                    Ok(())
                },
                "persistence",
            )?;
            y += 22;
        }
        if baselines.iter().any(|b| b.name != "persistence") {
            draw_legend_row(
                &legend,
                y,
                |a, p| {
                    a.draw(&(EmptyElement::at(p) + square(6, INK.filled())))?;
                    Ok(())
                },
                "OLS",
            )?;
        }
        Ok(())
    })?;
    Ok(svg)
}

/// Which metric a figure shows, with the words and direction that go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metric {
    Mse,
    Acc,
}

impl Metric {
    pub fn of_cell(self, c: &HeatCell) -> Option<f64> {
        match self {
            Metric::Mse => c.val_mse,
            Metric::Acc => c.val_trend_acc,
        }
    }

    pub fn of_point(self, p: &EpochPoint) -> f64 {
        match self {
            Metric::Mse => p.val_mse,
            Metric::Acc => p.val_trend_acc,
        }
    }

    pub fn axis_label(self) -> &'static str {
        match self {
            Metric::Mse => "validation MSE (series units²)",
            Metric::Acc => "trend-match accuracy (fraction)",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Metric::Mse => "val_mse",
            Metric::Acc => "val_trend_acc",
        }
    }
}

/// Narrowest heatmap cell that still holds a printed number, and widest worth drawing.
const MIN_CELL_W: i32 = 56;
const MAX_CELL_W: i32 = 150;

/// Mean of one metric over λ (columns) × batch size (rows), one panel per value of `facet`.
/// Colours run from dark (worse) to bright (better) for both metrics, so the two heatmaps
/// read the same way even though one is better low and the other better high. Returns the
/// SVG and whether the MSE colours had to go logarithmic.
pub(crate) fn heatmap_svg(heatmap: &Heatmap, metric: Metric) -> Result<(String, bool)> {
    let (lambdas, batches) = (&heatmap.lambdas, &heatmap.batches);
    let facet = heatmap.facet.as_ref();
    let n_panels = heatmap.cells.len();
    let cells = &heatmap.cells;
    let (lo, hi) = min_max(
        cells
            .iter()
            .flatten()
            .flatten()
            .filter_map(|c| metric.of_cell(c)),
    );
    let log = metric == Metric::Mse && lo > 0.0 && hi / lo > COLOUR_LOG_RATIO;
    let scale = Axis::fit(lo, hi, 0.0, log, 2);
    let better = |v: f64| -> f64 {
        let t = scale.fraction(v);
        if metric == Metric::Acc { t } else { 1.0 - t }
    };

    let n_p = n_panels as i32;
    let n_cols = lambdas.len().max(1) as i32;
    let n_rows = batches.len().max(1) as i32;
    let left = 96;
    let bar_w = 120;
    let gap = 24;
    let avail = WIDTH as i32 - left - bar_w;
    // Panels sit side by side while every cell keeps room for its number, and otherwise one
    // under another; cells stop growing at a width where a row still reads as one row.
    let side_by_side = n_p == 1 || (avail - gap * (n_p - 1)) / n_p / n_cols >= MIN_CELL_W;
    let per_row = if side_by_side { n_p } else { 1 };
    let cell_w = ((avail - gap * (per_row - 1)) / per_row / n_cols).min(MAX_CELL_W);
    let panel_w = cell_w * n_cols;
    let cell_h = (280 / n_rows).clamp(36, 70);
    let facet_h = if facet.is_some() { 26 } else { 0 };
    let block_h = facet_h + n_rows * cell_h + 30;
    let panel_rows = (n_p + per_row - 1) / per_row;
    let top = 36;
    let grid_h = panel_rows * block_h + (panel_rows - 1) * 12;
    let height = (top + grid_h + 34) as u32;
    // Top-left corner of a panel's cells.
    let origin = |pi: i32| -> (i32, i32) {
        let (col, row) = (pi % per_row, pi / per_row);
        (
            left + col * (panel_w + gap),
            top + row * (block_h + 12) + facet_h,
        )
    };

    svg_page(height, |root| {
        let title = match metric {
            Metric::Mse => "Mean validation MSE by λ and batch size",
            Metric::Acc => "Mean trend-match accuracy by λ and batch size",
        };
        root.draw(&Text::new(
            title,
            (WIDTH as i32 / 2, 16),
            text_style(16.0, HPos::Center, VPos::Center),
        ))?;
        let cell_px = if cell_w < 64 { 11.0 } else { 13.0 };
        for pi in 0..n_panels {
            let (x0, y0) = origin(pi as i32);
            if let Some((name, values)) = facet {
                let v = &values[pi];
                root.draw(&Text::new(
                    format!("{name} = {v}"),
                    (x0 + panel_w / 2, y0 - 14),
                    text_style(14.0, HPos::Center, VPos::Center),
                ))?;
            }
            for (ri, row) in cells[pi].iter().enumerate() {
                let y = y0 + ri as i32 * cell_h;
                for (ci, v) in row.iter().enumerate() {
                    let x = x0 + ci as i32 * cell_w;
                    let rect = [(x + 1, y + 1), (x + cell_w - 1, y + cell_h - 1)];
                    let (fill, label, light) = match (metric.of_cell(v), v.trials) {
                        (Some(v), _) => {
                            let t = better(v);
                            (viridis(t), fmt_cell(v, metric == Metric::Acc), dark_fill(t))
                        }
                        (None, 0) => (EMPTY_CELL, "not run".to_string(), false),
                        (None, _) => (EMPTY_CELL, "no ok trial".to_string(), false),
                    };
                    root.draw(&Rectangle::new(rect, fill.filled()))?;
                    let ink = if light { WHITE } else { INK };
                    root.draw(&Text::new(
                        label,
                        (x + cell_w / 2, y + cell_h / 2),
                        font(cell_px)
                            .color(&ink)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    ))?;
                }
            }
            let below = y0 + n_rows * cell_h + 14;
            for (ci, l) in lambdas.iter().enumerate() {
                root.draw(&Text::new(
                    l.to_string(),
                    (x0 + ci as i32 * cell_w + cell_w / 2, below),
                    text_style(13.0, HPos::Center, VPos::Center),
                ))?;
            }
            if pi as i32 % per_row == 0 {
                for (ri, b) in batches.iter().enumerate() {
                    root.draw(&Text::new(
                        b.to_string(),
                        (left - 8, y0 + ri as i32 * cell_h + cell_h / 2),
                        text_style(13.0, HPos::Right, VPos::Center),
                    ))?;
                }
            }
        }
        let grid_w = per_row * panel_w + (per_row - 1) * gap;
        root.draw(&Text::new(
            "λ (penalty weight)",
            (left + grid_w / 2, top + grid_h + 14),
            text_style(14.0, HPos::Center, VPos::Center),
        ))?;
        root.draw(&Text::new(
            "batch size",
            (22, top + grid_h / 2),
            font(14.0)
                .transform(FontTransform::Rotate270)
                .color(&INK)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;

        // The colour bar: bright at the top, with the value that brightness stands for.
        let bx = WIDTH as i32 - bar_w + 28;
        let by0 = top + facet_h + 14;
        let by1 = (top + facet_h + n_rows * cell_h - 14).max(by0 + 60);
        let steps = 40;
        for s in 0..steps {
            let t0 = 1.0 - s as f64 / steps as f64;
            let ya = by0 + (by1 - by0) * s / steps;
            let yb = by0 + (by1 - by0) * (s + 1) / steps;
            // One pixel of overlap: abutting rectangles leave anti-aliased seams.
            root.draw(&Rectangle::new(
                [(bx, ya), (bx + 16, yb + 1)],
                viridis(t0).filled(),
            ))?;
        }
        root.draw(&Rectangle::new(
            [(bx, by0), (bx + 16, by1)],
            INK.stroke_width(1),
        ))?;
        if lo.is_finite() {
            let (top_v, bottom_v) = if metric == Metric::Acc {
                (hi, lo)
            } else {
                (lo, hi)
            };
            for (v, y, word) in [(top_v, by0, "better"), (bottom_v, by1, "worse")] {
                root.draw(&Text::new(
                    fmt_cell(v, metric == Metric::Acc),
                    (bx + 22, y),
                    text_style(12.0, HPos::Left, VPos::Center),
                ))?;
                root.draw(&Text::new(
                    word,
                    (bx + 8, if word == "better" { y - 14 } else { y + 14 }),
                    font(12.0)
                        .color(&MUTED)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                ))?;
            }
        }
        root.draw(&Text::new(
            if log {
                format!("{}, log scale", metric.column())
            } else {
                metric.column().to_string()
            },
            (WIDTH as i32 - bar_w / 2, height as i32 - 22),
            font(12.0)
                .color(&MUTED)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        Ok(log)
    })
}

fn penalty_panel(
    area: &Area<'_>,
    pooled: &[PooledPenalty],
    colours: &LambdaColours,
    metric: Metric,
) -> Result<()> {
    let k = pooled.len();
    let get = |p: &PooledPenalty| match metric {
        Metric::Mse => (p.d_val_mse, p.row_mse.clone()),
        Metric::Acc => (p.d_val_trend_acc, p.row_acc.clone()),
    };
    let mut values = vec![0.0];
    for p in pooled {
        let (iv, rows) = get(p);
        values.push(iv.mean);
        values.extend(iv.low());
        values.extend(iv.high());
        values.extend(rows);
    }
    let (lo, hi) = min_max(values);
    let y_axis = Axis::fit(lo, hi, 0.08, false, 8);
    let y_span = y_axis.span();
    let x_lo = -0.6;
    let x_hi = k as f64 - 0.4;
    let labels: Vec<String> = pooled.iter().map(|p| fmt_setting_float(p.lambda)).collect();
    let label_of = |x: &f64| -> String {
        let i = x.round();
        if (x - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < labels.len() {
            labels[i as usize].clone()
        } else {
            String::new()
        }
    };
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_right(18)
        .x_label_area_size(48)
        .y_label_area_size(76)
        .build_cartesian_2d(
            Axis::fixed(x_lo, x_hi, (0..k).map(|i| i as f64).collect()),
            y_axis,
        )?;
    let desc = match metric {
        Metric::Mse => "Δ validation MSE vs λ = 0 (series units²)",
        Metric::Acc => "Δ trend-match accuracy vs λ = 0 (fraction)",
    };
    chart
        .configure_mesh()
        .x_desc("λ (penalty weight)")
        .y_desc(desc)
        .x_label_formatter(&label_of)
        .y_label_formatter(&|v| tick_label(*v, y_span))
        .label_style(font(13.0).color(&INK))
        .axis_desc_style(font(14.0).color(&INK))
        .bold_line_style(GRID_BOLD)
        .disable_x_mesh()
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        [(x_lo, 0.0), (x_hi, 0.0)],
        6,
        4,
        ShapeStyle::from(&INK).stroke_width(1),
    ))?;
    for (i, p) in pooled.iter().enumerate() {
        let (iv, rows) = get(p);
        let x = i as f64;
        let c = colours.of(p.lambda);
        // The pooled rows to the right of the interval, spread so equal means stay visible.
        let m = rows.len();
        chart.draw_series(rows.iter().enumerate().map(|(j, r)| {
            let dx = if m > 1 {
                0.14 * j as f64 / (m - 1) as f64
            } else {
                0.07
            };
            Circle::new((x + 0.16 + dx, *r), 3, MUTED.stroke_width(1))
        }))?;
        let xi = x - 0.05;
        if let (Some(l), Some(h)) = (iv.low(), iv.high()) {
            let stroke = ShapeStyle::from(&c).stroke_width(3);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(xi, l), (xi, h)],
                stroke,
            )))?;
            for end in [l, h] {
                chart.draw_series(std::iter::once(
                    EmptyElement::at((xi, end)) + PathElement::new(vec![(-8, 0), (8, 0)], stroke),
                ))?;
            }
        }
        chart.draw_series(std::iter::once(
            EmptyElement::at((xi, iv.mean)) + square(6, c.filled()),
        ))?;
    }
    Ok(())
}

/// The penalty effect per λ: pooled mean difference to λ = 0 with its 95 % t-interval
/// (coloured square and bar), the table rows it pools (small grey rings), and the zero line.
pub(crate) fn penalty_svg(pooled: &[PooledPenalty], colours: &LambdaColours) -> Result<String> {
    let (svg, ()) = svg_page(HEIGHT, |root| {
        let body = root.titled(
            "Change from λ = 0, paired by seed and settings (pooled mean, 95 % interval)",
            font(16.0).color(&INK),
        )?;
        let (body, key) = body.split_vertically(HEIGHT as i32 - 60);
        let (left, right) = body.split_horizontally(WIDTH as i32 / 2);
        penalty_panel(&left, pooled, colours, Metric::Mse)?;
        penalty_panel(&right, pooled, colours, Metric::Acc)?;
        key.draw(&(EmptyElement::at((40, 14)) + square(6, MUTED.filled())))?;
        key.draw(&PathElement::new(
            vec![(40, 2), (40, 26)],
            ShapeStyle::from(&MUTED).stroke_width(3),
        ))?;
        key.draw(&Text::new(
            "mean of all pairs, 95 % t-interval",
            (54, 14),
            text_style(13.0, HPos::Left, VPos::Center),
        ))?;
        key.draw(&Circle::new((300, 14), 3, MUTED.stroke_width(1)))?;
        key.draw(&Text::new(
            "one penalty-table row",
            (312, 14),
            text_style(13.0, HPos::Left, VPos::Center),
        ))?;
        key.draw(&PathElement::new(
            vec![(500, 14), (508, 14)],
            ShapeStyle::from(&INK).stroke_width(1),
        ))?;
        key.draw(&PathElement::new(
            vec![(512, 14), (520, 14)],
            ShapeStyle::from(&INK).stroke_width(1),
        ))?;
        key.draw(&Text::new(
            "zero: no change from λ = 0",
            (530, 14),
            text_style(13.0, HPos::Left, VPos::Center),
        ))?;
        Ok(())
    })?;
    Ok(svg)
}

/// One learning curve: whose it is and how it is drawn.
pub(crate) struct CurveSpec {
    pub label: String,
    pub points: Vec<EpochPoint>,
    pub colour: RGBColor,
    pub dashed: bool,
    /// 0 circle, 1 triangle, 2 square: the rank among the best settings, so a curve and its
    /// λ = 0 partner share a marker.
    pub marker: usize,
}

/// A curve's marker at `at`, in chart or pixel coordinates: filled for a best setting,
/// outlined for its λ = 0 partner (plotters' triangle marker is always filled, so the outline
/// is drawn as a closed path).
fn draw_marker<CT: CoordTranslate>(
    area: &DrawingArea<SVGBackend<'_>, CT>,
    at: CT::From,
    spec: &CurveSpec,
) -> Result<()> {
    let stroke = ShapeStyle::from(&spec.colour).stroke_width(2);
    let fill = spec.colour.filled();
    let style = if spec.dashed { stroke } else { fill };
    let triangle = vec![(0, -7), (6, 4), (-6, 4)];
    match spec.marker % 3 {
        0 => area.draw(&(EmptyElement::at(at) + Circle::new((0, 0), 5, style)))?,
        1 if spec.dashed => {
            let mut closed = triangle.clone();
            closed.push(triangle[0]);
            area.draw(&(EmptyElement::at(at) + PathElement::new(closed, stroke)))?
        }
        1 => area.draw(&(EmptyElement::at(at) + Polygon::new(triangle, fill)))?,
        _ => area.draw(&(EmptyElement::at(at) + square(5, style)))?,
    }
    Ok(())
}

fn curve_panel(area: &Area<'_>, curves: &[CurveSpec], metric: Metric) -> Result<()> {
    let (e_lo, e_hi) = min_max(
        curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.epoch as f64)),
    );
    let (v_lo, v_hi) = min_max(
        curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| metric.of_point(p))),
    );
    let log = metric == Metric::Mse && wants_log(v_lo, v_hi);
    let y_axis = Axis::fit(v_lo, v_hi, 0.08, log, 6);
    let y_span = y_axis.span();
    let y_desc = if log {
        "validation MSE (series units², log scale)"
    } else {
        metric.axis_label()
    };
    let (x_lo, x_hi) = if e_hi > e_lo {
        (e_lo - 0.2, e_hi + 0.2)
    } else {
        (e_lo - 1.0, e_lo + 1.0)
    };
    let epochs = (e_hi - e_lo).max(0.0) as usize + 1;
    // Every epoch gets a tick while they fit; beyond that, about ten evenly spaced ones.
    let step = epochs.div_ceil(10).max(1);
    let ticks: Vec<f64> = (0..epochs).step_by(step).map(|i| e_lo + i as f64).collect();
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_right(24)
        .x_label_area_size(44)
        .y_label_area_size(76)
        .build_cartesian_2d(Axis::fixed(x_lo, x_hi, ticks), y_axis)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_desc)
        .x_label_formatter(&|v| format!("{}", v.round() as i64))
        .y_label_formatter(&|v| tick_label(*v, y_span))
        .label_style(font(13.0).color(&INK))
        .axis_desc_style(font(14.0).color(&INK))
        .bold_line_style(GRID_BOLD)
        .draw()?;
    let mut chart = chart;
    // A marker on every epoch while there are few; beyond that on about a dozen, enough to
    // tell the shapes apart without hiding the lines.
    let marker_step = epochs.div_ceil(12).max(1) as u64;
    let e_first = e_lo.max(0.0) as u64;
    for c in curves {
        let pts: Vec<(f64, f64)> = c
            .points
            .iter()
            .map(|p| (p.epoch as f64, metric.of_point(p)))
            .collect();
        let line = ShapeStyle::from(&c.colour).stroke_width(2);
        if c.dashed {
            chart.draw_series(DashedLineSeries::new(pts.clone(), 8, 5, line))?;
        } else {
            chart.draw_series(LineSeries::new(pts.clone(), line))?;
        }
        for p in c
            .points
            .iter()
            .filter(|p| (p.epoch - e_first).is_multiple_of(marker_step))
        {
            draw_marker(
                chart.plotting_area(),
                (p.epoch as f64, metric.of_point(p)),
                c,
            )?;
        }
    }
    Ok(())
}

/// Learning curves, MSE above accuracy, sharing one legend below them.
pub(crate) fn curves_svg(curves: &[CurveSpec]) -> Result<String> {
    let title = if curves.iter().any(|c| c.dashed) {
        "Learning curves, mean over seeds: best settings (solid) and their λ = 0 partners (dashed)"
    } else {
        "Learning curves, mean over seeds, of the best settings"
    };
    let legend_rows = curves.len().max(1) as u32;
    let legend_h = 16 + legend_rows * 22;
    let panel_h = 300;
    let height = 30 + 2 * panel_h + legend_h;
    let (svg, ()) = svg_page(height, |root| {
        let body = root.titled(title, font(15.0).color(&INK))?;
        let (top, rest) = body.split_vertically(panel_h as i32);
        let (bottom, legend) = rest.split_vertically(panel_h as i32);
        curve_panel(&top, curves, Metric::Mse)?;
        curve_panel(&bottom, curves, Metric::Acc)?;
        // One row per curve, each partner under its best setting: a column of full-width
        // rows never truncates a long description of settings.
        for (row, c) in curves.iter().enumerate() {
            let col_x = if c.dashed { 40 } else { 20 };
            let y = 12 + row as i32 * 22;
            let line = ShapeStyle::from(&c.colour).stroke_width(2);
            if c.dashed {
                legend.draw(&PathElement::new(vec![(col_x, y), (col_x + 8, y)], line))?;
                legend.draw(&PathElement::new(
                    vec![(col_x + 14, y), (col_x + 22, y)],
                    line,
                ))?;
                legend.draw(&PathElement::new(
                    vec![(col_x + 28, y), (col_x + 36, y)],
                    line,
                ))?;
            } else {
                legend.draw(&PathElement::new(vec![(col_x, y), (col_x + 36, y)], line))?;
            }
            draw_marker(&legend, (col_x + 18, y), c)?;
            legend.draw(&Text::new(
                c.label.clone(),
                (col_x + 46, y),
                text_style(13.0, HPos::Left, VPos::Center),
            ))?;
        }
        Ok(())
    })?;
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short_and_exact() {
        assert_eq!(fmt_tick(250000.0), "250000");
        assert_eq!(fmt_tick(0.30000000000000004), "0.3");
        assert_eq!(fmt_tick(0.05), "0.05");
        assert_eq!(fmt_tick(-20000.0), "-20000");
        assert_eq!(fmt_tick(2.5e7), "2.5e7");
        assert_eq!(tick_label(3.47e-18, 0.1), "0");
        assert_eq!(fmt_cell(0.0709, false), "0.07090");
        assert_eq!(fmt_cell(1.338, false), "1.338");
        assert_eq!(fmt_cell(241795.4, false), "241795");
        assert_eq!(fmt_cell(0.78049, true), "0.780");
        assert_eq!(
            nice_ticks(-0.6, 2.6, 8),
            [-0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
        );
        assert!(nice_ticks(-0.013, 0.021, 8).contains(&0.0));
    }

    #[test]
    fn log_ticks_cover_the_decades() {
        assert_eq!(
            log_ticks(0.05, 20000.0),
            [0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0]
        );
        assert_eq!(log_ticks(0.9, 60.0), [1.0, 2.0, 5.0, 10.0, 20.0, 50.0]);
        assert!(wants_log(0.07, 10523.0));
        assert!(!wants_log(240000.0, 800000.0));
        assert!(!wants_log(-1.0, 100.0));
    }

    #[test]
    fn viridis_runs_dark_to_light() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(0.5), RGBColor(38, 130, 142));
        let luma = |c: RGBColor| 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
        let colours = category_colours(6);
        assert!(
            colours.windows(2).all(|w| luma(w[0]) < luma(w[1])),
            "lighter with each category"
        );
    }
}
