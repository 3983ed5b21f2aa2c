//! The HTML report's figures as SVG text, drawn with plotters; pure functions of their inputs.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::Result;
use crate::report::render::fmt_setting_float;

pub(crate) mod collection;
pub(crate) mod search;
use crate::analysis::summary::{
    BaselinePoint, EpochPoint, Group, HeatCell, Heatmap, PooledPenalty,
};

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
    interpolate(&VIRIDIS, t)
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

/// ColorBrewer's YlOrBr at nine points, light yellow to dark brown: the heatmaps' scale.
/// Viridis stands for λ wherever λ is coloured, so the heatmaps, whose colours stand for a
/// metric, take a palette of their own.
pub const YLORBR: [(u8, u8, u8); 9] = [
    (255, 255, 229),
    (255, 247, 188),
    (254, 227, 145),
    (254, 196, 79),
    (254, 153, 41),
    (236, 112, 20),
    (204, 76, 2),
    (153, 52, 4),
    (102, 37, 6),
];

/// Linear interpolation in a table of colour stops at `t` in [0, 1].
fn interpolate(stops: &[(u8, u8, u8)], t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let x = t * (stops.len() - 1) as f64;
    let i = (x.floor() as usize).min(stops.len() - 2);
    let f = x - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The heatmap colour of a cell that is `better` (0 worst, 1 best): light is better.
pub fn heat_colour(better: f64) -> RGBColor {
    interpolate(&YLORBR, 1.0 - better)
}

/// Whether text on a heatmap fill needs to be light: YlOrBr turns dark past about 0.6.
fn dark_fill(better: f64) -> bool {
    1.0 - better > 0.6
}

/// Colours of the learning curves' ranks: the Okabe–Ito set without its greens and yellow,
/// which viridis' middle and end come close to, so a rank colour is never read as a λ.
pub const RANK_COLOURS: [RGBColor; 5] = [
    RGBColor(213, 94, 0),
    RGBColor(0, 114, 178),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
];

/// `n` colours for the ranks of the learning curves, repeating past five.
pub fn rank_colours(n: usize) -> Vec<RGBColor> {
    (0..n)
        .map(|i| RANK_COLOURS[i % RANK_COLOURS.len()])
        .collect()
}

const INK: RGBColor = RGBColor(34, 34, 34);
const MUTED: RGBColor = RGBColor(110, 110, 110);
/// Baselines are reference marks, black wherever they are drawn; their reference lines grey.
const BASELINE_INK: RGBColor = RGBColor(0, 0, 0);
const BASELINE_LINE: RGBColor = RGBColor(120, 120, 120);
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

/// Whether `lo..=hi` are positive, finite and further apart than a factor `ratio`.
fn spans(lo: f64, hi: f64, ratio: f64) -> bool {
    lo > 0.0 && lo.is_finite() && hi.is_finite() && hi / lo > ratio
}

/// The range an axis or colour scale takes from the values it plots, and whether it is
/// logarithmic. Values outside `lo..=hi` are off the scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fit {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
}

/// From this many values on, a set's core is its 10th to 90th percentile; a smaller set's
/// core is its quartiles, since a tenth of a handful of values is no value at all.
const ROBUST_MIN: usize = 10;

/// The percentile `q` (in [0, 1]) of sorted, non-empty values, interpolating linearly.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let x = q * (sorted.len() - 1) as f64;
    let i = x.floor() as usize;
    let j = (i + 1).min(sorted.len() - 1);
    sorted[i] + (sorted[j] - sorted[i]) * (x - i as f64)
}

/// A scale that a few wild values cannot stretch. The set's core is its 10th–90th
/// percentile, which up to a tenth of the values on either side cannot move (its quartiles
/// below [`ROBUST_MIN`] values). The scale takes in every value up to one core width beyond
/// the core (three interquartile ranges beyond the quartiles for a small set, Tukey's "far
/// out"), so a set without outliers is shown whole: for normal data the fence lies near four
/// standard deviations out. A value past the fence is off the scale. The fence is measured
/// in log space when the core itself spans more than [`LOG_RATIO`] (there a factor, not a
/// difference, says how far out a value is), and the scale is logarithmic when `allow_log`
/// and the kept values span more than `log_ratio`. Sets of one or two values, and sets whose
/// core has no width, are shown whole: nothing in them says what an outlier would be.
pub(crate) fn robust_fit(
    values: impl IntoIterator<Item = f64>,
    allow_log: bool,
    log_ratio: f64,
) -> Fit {
    let mut v: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let (Some(&first), Some(&last)) = (v.first(), v.last()) else {
        return Fit {
            lo: f64::NAN,
            hi: f64::NAN,
            log: false,
        };
    };
    let (q, reach) = if v.len() >= ROBUST_MIN {
        (0.10, 1.0)
    } else {
        (0.25, 3.0)
    };
    let (c_lo, c_hi) = (percentile(&v, q), percentile(&v, 1.0 - q));
    let log_space = allow_log && first > 0.0 && spans(c_lo, c_hi, LOG_RATIO);
    let t = |x: f64| if log_space { x.ln() } else { x };
    let width = t(c_hi) - t(c_lo);
    let (mut lo, mut hi) = (first, last);
    if v.len() > 2 && width > 0.0 {
        let fence = (t(c_lo) - reach * width)..=(t(c_hi) + reach * width);
        let inside = |x: &&f64| fence.contains(&t(**x));
        if let (Some(a), Some(b)) = (v.iter().find(inside), v.iter().rfind(inside)) {
            (lo, hi) = (*a, *b);
        }
    }
    Fit {
        lo,
        hi,
        log: allow_log && spans(lo, hi, log_ratio),
    }
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

    /// The value at `t` of the way from `lo` to `hi`.
    fn at_fraction(&self, t: f64) -> f64 {
        if self.log {
            (self.lo.ln() + (self.hi.ln() - self.lo.ln()) * t).exp()
        } else {
            self.lo + (self.hi - self.lo) * t
        }
    }

    /// -1 below the axis, 1 above it, 0 on it. A value at an end stays on the axis even
    /// when a trip through the logarithm has moved the end by an ulp.
    fn side(&self, v: f64) -> i32 {
        let tol = (self.hi - self.lo).abs() * 1e-9;
        if v < self.lo - tol {
            -1
        } else if v > self.hi + tol {
            1
        } else {
            0
        }
    }

    /// `v` if it is on the axis; otherwise the point just inside the frame on its side, where
    /// an off-scale mark is drawn.
    fn inset(&self, v: f64) -> f64 {
        match self.side(v) {
            -1 => self.at_fraction(0.025),
            1 => self.at_fraction(0.975),
            _ => v,
        }
    }
}

/// A triangle pointing along (`dx`, `dy`) in pixels (y down): the mark of a value off the
/// scale, drawn at the edge it lies beyond.
fn arrow_shape(dx: i32, dy: i32) -> Vec<(i32, i32)> {
    let len = ((dx * dx + dy * dy) as f64).sqrt().max(1.0);
    let (ux, uy) = (dx as f64 / len, dy as f64 / len);
    let p = |along: f64, across: f64| {
        (
            (ux * along - uy * across).round() as i32,
            (uy * along + ux * across).round() as i32,
        )
    };
    vec![p(8.0, 0.0), p(-5.0, 6.0), p(-5.0, -6.0)]
}

fn draw_arrow<CT: CoordTranslate>(
    area: &DrawingArea<SVGBackend<'_>, CT>,
    at: CT::From,
    (dx, dy): (i32, i32),
    colour: RGBColor,
) -> Result<()> {
    area.draw(&(EmptyElement::at(at) + Polygon::new(arrow_shape(dx, dy), colour.filled())))?;
    Ok(())
}

/// The sentence a caption carries when marks are off the scale, or nothing.
pub(crate) fn off_scale_sentence(n: usize, what: (&str, &str)) -> String {
    match n {
        0 => String::new(),
        1 => format!(
            " 1 {} is off the scale, drawn as an arrow at the edge.",
            what.0
        ),
        n => format!(
            " {n} {} are off the scale, drawn as arrows at the edge.",
            what.1
        ),
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

/// A label's box in pixels, corners `(x0, y0)` to `(x1, y1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LabelBox {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl LabelBox {
    pub fn overlaps(&self, o: &LabelBox) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    fn inside(&self, area: &LabelBox) -> bool {
        self.x0 >= area.x0 && self.x1 <= area.x1 && self.y0 >= area.y0 && self.y1 <= area.y1
    }

    /// Whether a mark of radius 5 at `p` reaches into the box.
    fn covers(&self, (x, y): (i32, i32)) -> bool {
        x >= self.x0 - 5 && x <= self.x1 + 5 && y >= self.y0 - 5 && y <= self.y1 + 5
    }
}

/// Height of a label's box: 13 px text with a little room above and below.
const LABEL_H: i32 = 18;

/// The box a 13 px label of `text` needs. SVG text is measured only by the viewer, so the
/// width is an estimate from the number of characters, on the generous side.
fn label_width(text: &str) -> i32 {
    (text.chars().count() as f64 * 13.0 * 0.58).ceil() as i32 + 8
}

/// Places one label per mark, so that no two labels overlap: each mark is `(at, width)` in
/// pixels. Labels are placed in order; each takes, of the boxes right of, left of, above and
/// below its mark, each shifted up or down in steps of a few pixels, the one that overlaps no
/// label placed before it, stays inside `area`, leaves its own mark uncovered, covers the
/// fewest of `points` and of the other marks, and lies nearest its mark. A box overlapping an earlier one is taken only if
/// every box does, which needs more labels than the area has rows for.
pub(crate) fn place_labels(
    marks: &[((i32, i32), i32)],
    points: &[(i32, i32)],
    area: LabelBox,
) -> Vec<LabelBox> {
    // Shifts go in small steps, so that labels of marks at slightly different heights
    // still stack tightly.
    let step = 4;
    let max_shift = ((area.y1 - area.y0) / step).max(1);
    let mut placed: Vec<LabelBox> = Vec::with_capacity(marks.len());
    for (m, &((x, y), w)) in marks.iter().enumerate() {
        let sides = [
            (x + 10, y - LABEL_H / 2),
            (x - 10 - w, y - LABEL_H / 2),
            (x - w / 2, y - 10 - LABEL_H),
            (x - w / 2, y + 10),
        ];
        let mut best: Option<(u64, LabelBox)> = None;
        for shift in 0..=max_shift {
            for sign in [1, -1] {
                if shift == 0 && sign == -1 {
                    continue;
                }
                for (side, &(x0, y0)) in sides.iter().enumerate() {
                    let y0 = y0 + sign * shift * step;
                    let b = LabelBox {
                        x0,
                        y0,
                        x1: x0 + w,
                        y1: y0 + LABEL_H,
                    };
                    let overlaps = placed.iter().filter(|p| p.overlaps(&b)).count() as u64;
                    let outside = u64::from(!b.inside(&area));
                    let hides_own = u64::from(b.covers((x, y)));
                    let covered = points.iter().filter(|p| b.covers(**p)).count()
                        + marks
                            .iter()
                            .enumerate()
                            .filter(|(k, (p, _))| *k != m && b.covers(*p))
                            .count();
                    let cost = overlaps * 1_000_000_000
                        + outside * 10_000_000
                        + hides_own * 1_000_000
                        + covered as u64 * 40
                        + (shift * step) as u64 * 2
                        + side as u64;
                    if best.is_none_or(|(c, _)| cost < c) {
                        best = Some((cost, b));
                    }
                }
            }
        }
        placed.push(best.expect("there are candidates").1);
    }
    placed
}

/// Draws `text` in the box `b` (backend pixels) with a pale ground, and a thin leader to the
/// mark at `at` when the box was moved away from it.
fn draw_label(root: &Area<'_>, b: LabelBox, at: (i32, i32), text: &str) -> Result<()> {
    let (cx, cy) = (at.0.clamp(b.x0, b.x1), at.1.clamp(b.y0, b.y1));
    if (cx - at.0).abs() + (cy - at.1).abs() > 16 {
        root.draw(&PathElement::new(
            vec![at, (cx, cy)],
            ShapeStyle::from(&MUTED).stroke_width(1),
        ))?;
    }
    root.draw(&Rectangle::new(
        [(b.x0, b.y0), (b.x1, b.y1)],
        WHITE.mix(0.75).filled(),
    ))?;
    root.draw(&Text::new(
        text.to_string(),
        (b.x0 + 4, (b.y0 + b.y1) / 2),
        text_style(13.0, HPos::Left, VPos::Center),
    ))?;
    Ok(())
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
/// A chart's frame in pixels: the outer margin, the right margin, and the room for the x
/// and y tick labels.
#[derive(Clone, Copy)]
pub(crate) struct Frame(pub u32, pub u32, pub u32, pub u32);

/// How a chart's mesh is labelled: the axes' descriptions (none for an empty y one), the x ticks' text (the y ticks
/// read as [`tick_label`] over the axis's span), the smaller type of a panel among several,
/// and whether vertical grid lines are drawn.
pub(crate) struct Mesh<'f> {
    pub x_desc: String,
    pub y_desc: String,
    pub x_label: &'f dyn Fn(&f64) -> String,
    pub small: bool,
    pub x_grid: bool,
}

pub(crate) type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;

/// Every chart of the report is built here, so that frames, type and grid lines look the
/// same across plots.
pub(crate) fn chart<'a, 'b>(
    area: &'a Area<'b>,
    Frame(margin, right, x_area, y_area): Frame,
    x: Axis,
    y: Axis,
    mesh: Mesh<'_>,
) -> Result<Chart<'a, 'b>> {
    let y_span = y.span();
    let mut chart = ChartBuilder::on(area)
        .margin(margin)
        .margin_right(right)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x, y)?;
    let (label, desc) = if mesh.small {
        (12.0, 13.0)
    } else {
        (13.0, 14.0)
    };
    let y_label = |v: &f64| tick_label(*v, y_span);
    let mut style = chart.configure_mesh();
    style.x_desc(mesh.x_desc);
    // An empty description would still leave an empty text element in the SVG.
    if !mesh.y_desc.is_empty() {
        style.y_desc(mesh.y_desc);
    }
    style
        .x_label_formatter(mesh.x_label)
        .y_label_formatter(&y_label)
        .label_style(font(label).color(&INK))
        .axis_desc_style(font(desc).color(&INK))
        .bold_line_style(GRID_BOLD);
    if !mesh.x_grid {
        style.disable_x_mesh();
    }
    style.draw()?;
    Ok(chart)
}

/// Whole numbers on an axis (configurations, epochs).
pub(crate) fn whole(v: &f64) -> String {
    format!("{}", v.round() as i64)
}

/// A page with its title across the top: `draw` gets the whole page and the area below the
/// title.
pub(crate) fn titled_page<T>(
    height: u32,
    title: &str,
    px: f64,
    draw: impl FnOnce(&Area<'_>, &Area<'_>) -> Result<T>,
) -> Result<(String, T)> {
    svg_page(height, |root| {
        draw(root, &root.titled(title, font(px).color(&INK))?)
    })
}

/// Where a value pair is drawn on two axes (inset when off the scale), and which way it is
/// off the scale (pixels, y down).
pub(crate) fn locate(x_axis: &Axis, y_axis: &Axis, x: f64, y: f64) -> ((f64, f64), (i32, i32)) {
    (
        (x_axis.inset(x), y_axis.inset(y)),
        (x_axis.side(x), -y_axis.side(y)),
    )
}

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

/// A baseline's name as a label shows it.
fn baseline_name(name: &str) -> String {
    match name {
        "ols" => "OLS".into(),
        other => other.replace('_', " "),
    }
}

/// A baseline's mark at `at`: black, its shape telling the baselines apart; never a circle,
/// which stands for a setting group, nor a triangle, which stands for a value off the scale.
fn draw_baseline_mark<CT: CoordTranslate>(
    area: &DrawingArea<SVGBackend<'_>, CT>,
    at: CT::From,
    name: &str,
) -> Result<()> {
    let ink = BASELINE_INK;
    let stroke = ShapeStyle::from(&ink).stroke_width(2);
    let diamond = vec![(0, -7), (7, 0), (0, 7), (-7, 0)];
    let bar = |a: (i32, i32), b: (i32, i32)| {
        PathElement::new(vec![a, b], ShapeStyle::from(&ink).stroke_width(3))
    };
    match name {
        "persistence" => {
            area.draw(&(EmptyElement::at(at) + Polygon::new(diamond, ink.filled())))?
        }
        "ols" => area.draw(&(EmptyElement::at(at) + square(6, ink.filled())))?,
        "drift" => {
            area.draw(&(EmptyElement::at(at) + bar((-6, -6), (6, 6)) + bar((-6, 6), (6, -6))))?
        }
        "seasonal_naive" => {
            area.draw(&(EmptyElement::at(at) + bar((-7, 0), (7, 0)) + bar((0, -7), (0, 7))))?
        }
        "majority_direction" => area.draw(&(EmptyElement::at(at) + square(6, stroke)))?,
        _ => {
            let mut closed = diamond.clone();
            closed.push(diamond[0]);
            area.draw(&(EmptyElement::at(at) + PathElement::new(closed, stroke)))?
        }
    }
    Ok(())
}

/// The most λ values the trade-off legend lists one per row; past that (a search drawing λ
/// from a range has one per configuration) a colour bar stands for them.
const LAMBDA_ROWS: usize = 12;

/// The λ colours as a bar, darkest (smallest λ) at the top, labelled with the λ at five
/// evenly spaced places in their order (the colours follow that order, not the values).
/// Returns the y below it.
fn lambda_bar(legend: &Area<'_>, colours: &LambdaColours, top: i32) -> Result<i32> {
    let n = colours.colours.len();
    let height = 200;
    for (i, c) in colours.colours.iter().enumerate() {
        let ya = top - 6 + height * i as i32 / n as i32;
        let yb = top - 6 + height * (i as i32 + 1) / n as i32;
        legend.draw(&Rectangle::new([(10, ya), (26, yb + 1)], c.filled()))?;
    }
    legend.draw(&Rectangle::new(
        [(10, top - 6), (26, top - 6 + height)],
        INK.stroke_width(1),
    ))?;
    for k in 0..5 {
        let i = ((n - 1) * k).div_ceil(4).min(n - 1);
        let y = top - 6 + height * (2 * i as i32 + 1) / (2 * n as i32);
        legend.draw(&PathElement::new(
            vec![(26, y), (31, y)],
            INK.stroke_width(1),
        ))?;
        legend.draw(&Text::new(
            lambda_label(colours.lambdas[i]),
            (34, y),
            text_style(12.0, HPos::Left, VPos::Center),
        ))?;
    }
    Ok(top + height + 4)
}

/// What the trade-off scatter left off its scale: setting groups and baselines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TradeoffOffScale {
    pub groups: usize,
    pub baselines: usize,
}

/// Off-scale group points get a label with their value while there are at most this many;
/// past that the caption's count has to do.
const LABELLED_ARROWS: usize = 4;

/// The trade-off scatter: one circle per setting group on the scale and nothing else drawn
/// as a circle, so the points can be counted in the SVG. The axes come from the groups alone
/// ([`robust_fit`]); a group off the scale is a triangle at the edge pointing towards its
/// value, in its λ colour. Baselines never set the scale: one on it is a black mark, one off
/// it an arrow at the edge whose label gives its value; a baseline with only an accuracy (or
/// only an MSE) is a dashed grey line across the plot at that value, labelled with its name.
pub(crate) fn tradeoff_svg(
    groups: &[Group],
    front: &[&Group],
    baselines: &[BaselinePoint],
    colours: &LambdaColours,
) -> Result<(String, TradeoffOffScale)> {
    titled_page(
        HEIGHT,
        "Validation MSE against trend-match accuracy, one circle per setting group",
        16.0,
        |root, body| {
            let (plot, legend) = body.split_horizontally(WIDTH as i32 - 180);

            let x_fit = robust_fit(groups.iter().map(|g| g.val_mse), true, LOG_RATIO);
            let y_fit = robust_fit(groups.iter().map(|g| g.val_trend_acc), false, LOG_RATIO);
            let log = x_fit.log;
            let x_axis = Axis::fit(x_fit.lo, x_fit.hi, 0.06, log, 7);
            let y_axis = Axis::fit(y_fit.lo, y_fit.hi, 0.08, false, 8);
            let x_span = x_axis.span();
            let x_desc = if log {
                "validation MSE (series units², log scale)"
            } else {
                "validation MSE (series units²)"
            };

            let mut chart = chart(
                &plot,
                Frame(12, 24, 52, 72),
                x_axis.clone(),
                y_axis.clone(),
                Mesh {
                    x_desc: x_desc.into(),
                    y_desc: "trend-match accuracy (fraction)".into(),
                    x_label: &|v| tick_label(*v, x_span),
                    small: false,
                    x_grid: true,
                },
            )?;
            let locate = |x: f64, y: f64| locate(&x_axis, &y_axis, x, y);
            // What is off the scale, in words, for a label.
            let off_words = |x: Option<f64>, y: Option<f64>| -> Vec<String> {
                let mut w = Vec::new();
                if let Some(x) = x.filter(|x| x_axis.side(*x) != 0) {
                    w.push(format!("MSE {}", fmt_tick(x)));
                }
                if let Some(y) = y.filter(|y| y_axis.side(*y) != 0) {
                    w.push(format!("accuracy {}", fmt_tick(y)));
                }
                w
            };

            let (on, off): (Vec<&Group>, Vec<&Group>) = groups
                .iter()
                .partition(|g| x_axis.side(g.val_mse) == 0 && y_axis.side(g.val_trend_acc) == 0);
            // Translucent, so overlapping groups still show as two; the front goes on top, or
            // the points crowded near it would hide it.
            chart.draw_series(on.iter().map(|g| {
                Circle::new(
                    (g.val_mse, g.val_trend_acc),
                    5,
                    colours.of(g.lambda()).mix(0.8).filled(),
                )
            }))?;
            if front.len() >= 2 {
                chart.draw_series(LineSeries::new(
                    front.iter().map(|g| locate(g.val_mse, g.val_trend_acc).0),
                    ShapeStyle::from(&INK).stroke_width(2),
                ))?;
            }
            // Labels to place: the mark's pixel and the text.
            let mut labels: Vec<((i32, i32), String)> = Vec::new();
            for g in &off {
                let (pos, dir) = locate(g.val_mse, g.val_trend_acc);
                draw_arrow(chart.plotting_area(), pos, dir, colours.of(g.lambda()))?;
                if off.len() <= LABELLED_ARROWS {
                    let words = off_words(Some(g.val_mse), Some(g.val_trend_acc));
                    labels.push((chart.backend_coord(&pos), words.join(", ")));
                }
            }

            let several_windows = baselines
                .iter()
                .map(|b| b.window)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                > 1;
            let (px_range, py_range) = chart.plotting_area().get_pixel_range();
            let mut off_baselines = 0;
            let mut line_names: Vec<&str> = Vec::new();
            let mut mark_names: Vec<&str> = Vec::new();
            for b in baselines {
                let mut label = baseline_name(&b.name);
                if several_windows {
                    label.push_str(&format!(" (window {})", b.window));
                }
                let at = match (b.val_mse, b.val_trend_acc) {
                    (Some(x), Some(y)) => {
                        let (pos, dir) = locate(x, y);
                        let words = off_words(Some(x), Some(y));
                        if words.is_empty() {
                            draw_baseline_mark(chart.plotting_area(), pos, &b.name)?;
                            if !mark_names.contains(&b.name.as_str()) {
                                mark_names.push(&b.name);
                            }
                        } else {
                            off_baselines += 1;
                            draw_arrow(chart.plotting_area(), pos, dir, BASELINE_INK)?;
                            label.push_str(&format!(": {}, off the scale", words.join(", ")));
                        }
                        chart.backend_coord(&pos)
                    }
                    (x, y) => {
                        // One figure only: a reference line across the plot at it.
                        let horizontal = y.is_some();
                        let (v, axis) = if horizontal {
                            (y.unwrap_or_default(), &y_axis)
                        } else {
                            (x.unwrap_or_default(), &x_axis)
                        };
                        let what = if horizontal { "accuracy" } else { "MSE" };
                        let inset = axis.inset(v);
                        let (from, to, end) = if horizontal {
                            let end = (x_axis.at_fraction(0.975), inset);
                            ((x_axis.lo, inset), (x_axis.hi, inset), end)
                        } else {
                            let end = (inset, y_axis.at_fraction(0.975));
                            ((inset, y_axis.lo), (inset, y_axis.hi), end)
                        };
                        if axis.side(v) == 0 {
                            chart.draw_series(DashedLineSeries::new(
                                [from, to],
                                7,
                                5,
                                ShapeStyle::from(&BASELINE_LINE).stroke_width(2),
                            ))?;
                            label.push_str(&format!(": {what} {}", fmt_tick(v)));
                            if !line_names.contains(&b.name.as_str()) {
                                line_names.push(&b.name);
                            }
                        } else {
                            off_baselines += 1;
                            let dir = if horizontal {
                                (0, -axis.side(v))
                            } else {
                                (axis.side(v), 0)
                            };
                            draw_arrow(chart.plotting_area(), end, dir, BASELINE_INK)?;
                            label.push_str(&format!(": {what} {}, off the scale", fmt_tick(v)));
                        }
                        chart.backend_coord(&end)
                    }
                };
                labels.push((at, label));
            }
            // Every label placed at once, so none lands on another; group points are obstacles.
            let point_px: Vec<(i32, i32)> = on
                .iter()
                .map(|g| chart.backend_coord(&(g.val_mse, g.val_trend_acc)))
                .collect();
            let marks: Vec<((i32, i32), i32)> =
                labels.iter().map(|(at, t)| (*at, label_width(t))).collect();
            let area = LabelBox {
                x0: px_range.start,
                y0: py_range.start,
                x1: px_range.end,
                y1: py_range.end,
            };
            for (b, (at, text)) in place_labels(&marks, &point_px, area)
                .into_iter()
                .zip(&labels)
            {
                draw_label(root, b, *at, text)?;
            }

            let mut y = 30;
            legend.draw(&Text::new(
                "penalty weight",
                (8, y - 18),
                text_style(13.0, HPos::Left, VPos::Center),
            ))?;
            if colours.lambdas.len() <= LAMBDA_ROWS {
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
            } else {
                y = lambda_bar(&legend, colours, y)?;
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
            for name in mark_names {
                draw_legend_row(
                    &legend,
                    y,
                    |a, p| draw_baseline_mark(a, p, name),
                    &baseline_name(name),
                )?;
                y += 22;
            }
            for name in line_names {
                draw_legend_row(
                    &legend,
                    y,
                    |a, (px, py)| {
                        a.draw(&PathElement::new(
                            vec![(px - 10, py), (px + 10, py)],
                            ShapeStyle::from(&BASELINE_LINE).stroke_width(2),
                        ))?;
                        Ok(())
                    },
                    &baseline_name(name),
                )?;
                y += 22;
            }
            if !off.is_empty() || off_baselines > 0 {
                draw_legend_row(
                    &legend,
                    y,
                    |a, p| draw_arrow(a, p, (1, 0), MUTED),
                    "off the scale",
                )?;
            }
            Ok(TradeoffOffScale {
                groups: off.len(),
                baselines: off_baselines,
            })
        },
    )
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
pub(crate) fn heatmap_svg(heatmap: &Heatmap, metric: Metric) -> Result<(String, HeatScale)> {
    let (lambdas, batches) = (&heatmap.lambdas, &heatmap.batches);
    let facet = heatmap.facet.as_ref();
    let n_panels = heatmap.cells.len();
    let cells = &heatmap.cells;
    let fit = robust_fit(
        cells
            .iter()
            .flatten()
            .flatten()
            .filter_map(|c| metric.of_cell(c)),
        metric == Metric::Mse,
        COLOUR_LOG_RATIO,
    );
    let (lo, hi, log) = (fit.lo, fit.hi, fit.log);
    let scale = Axis::fit(lo, hi, 0.0, log, 2);
    // A cell beyond the scale takes the colour of the end it passes.
    let better = |v: f64| -> f64 {
        let t = scale.fraction(v).clamp(0.0, 1.0);
        if metric == Metric::Acc { t } else { 1.0 - t }
    };
    let mut clamped = 0;

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
                    let value = metric.of_cell(v);
                    let beyond = value.map_or(0, |v| scale.side(v));
                    let (fill, label, light) = match (value, v.trials) {
                        (Some(v), _) => {
                            let t = better(v);
                            let text = fmt_cell(v, metric == Metric::Acc);
                            let text = match beyond {
                                1 => format!("▲ {text}"),
                                -1 => format!("▼ {text}"),
                                _ => text,
                            };
                            (heat_colour(t), text, dark_fill(t))
                        }
                        (None, 0) => (EMPTY_CELL, "not run".to_string(), false),
                        (None, _) => (EMPTY_CELL, "no ok trial".to_string(), false),
                    };
                    root.draw(&Rectangle::new(rect, fill.filled()))?;
                    if beyond != 0 {
                        // Off the colour scale: an inked frame inside the cell.
                        clamped += 1;
                        let frame = if light { WHITE } else { INK };
                        root.draw(&Rectangle::new(
                            [(x + 4, y + 4), (x + cell_w - 4, y + cell_h - 4)],
                            frame.stroke_width(2),
                        ))?;
                    }
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
                heat_colour(t0).filled(),
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
        if clamped > 0 {
            root.draw(&Text::new(
                "▲▼ off the bar",
                (bx - 6, by1 + 34),
                font(12.0)
                    .color(&MUTED)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        Ok(HeatScale { log, clamped })
    })
}

/// How a heatmap's colour scale came out: logarithmic or not, and how many cells lie beyond
/// it (drawn in the colour of the end they pass, framed, with ▲ or ▼ before their value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeatScale {
    pub log: bool,
    pub clamped: usize,
}

/// One panel of the penalty figure; returns how many of its table rows are off the scale.
/// The scale comes from the rows through [`robust_fit`], widened to take in zero, the line
/// everything is compared with, and every pooled mean and interval end: those are what the
/// figure reports, and an interval that an outlying pair widens is wide in truth.
fn penalty_panel(
    area: &Area<'_>,
    pooled: &[PooledPenalty],
    colours: &LambdaColours,
    metric: Metric,
) -> Result<usize> {
    let k = pooled.len();
    let get = |p: &PooledPenalty| match metric {
        Metric::Mse => (p.mse_change, p.row_mse.clone()),
        Metric::Acc => (p.d_val_trend_acc, p.row_acc.clone()),
    };
    let mut rows = Vec::new();
    let mut shown = vec![0.0];
    for p in pooled {
        let (iv, r) = get(p);
        shown.push(iv.mean);
        shown.extend(iv.low());
        shown.extend(iv.high());
        rows.extend(r);
    }
    let fit = robust_fit(rows, false, LOG_RATIO);
    shown.extend([fit.lo, fit.hi]);
    let (lo, hi) = min_max(shown);
    let y_axis = Axis::fit(lo, hi, 0.08, false, 8);
    let mut off = 0;
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
    let desc = match metric {
        Metric::Mse => "val MSE vs λ = 0 (% change)",
        Metric::Acc => "Δ trend-match accuracy vs λ = 0 (fraction)",
    };
    let mut chart = chart(
        area,
        Frame(10, 18, 48, 76),
        Axis::fixed(x_lo, x_hi, (0..k).map(|i| i as f64).collect()),
        y_axis.clone(),
        Mesh {
            x_desc: "λ (penalty weight)".into(),
            y_desc: desc.into(),
            x_label: &label_of,
            small: false,
            x_grid: false,
        },
    )?;
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
        for (j, r) in rows.iter().enumerate() {
            let dx = if m > 1 {
                0.14 * j as f64 / (m - 1) as f64
            } else {
                0.07
            };
            let at = (x + 0.16 + dx, y_axis.inset(*r));
            match y_axis.side(*r) {
                0 => {
                    chart.draw_series(std::iter::once(Circle::new(
                        at,
                        3,
                        MUTED.stroke_width(1),
                    )))?;
                }
                side => {
                    off += 1;
                    draw_arrow(chart.plotting_area(), at, (0, -side), MUTED)?;
                }
            }
        }
        let xi = x - 0.05;
        if let (Some(l), Some(h)) = (iv.low(), iv.high()) {
            let stroke = ShapeStyle::from(&c).stroke_width(3);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(xi, y_axis.inset(l)), (xi, y_axis.inset(h))],
                stroke,
            )))?;
            for end in [l, h] {
                match y_axis.side(end) {
                    0 => {
                        chart.draw_series(std::iter::once(
                            EmptyElement::at((xi, end))
                                + PathElement::new(vec![(-8, 0), (8, 0)], stroke),
                        ))?;
                    }
                    side => {
                        off += 1;
                        draw_arrow(
                            chart.plotting_area(),
                            (xi, y_axis.inset(end)),
                            (0, -side),
                            c,
                        )?;
                    }
                }
            }
        }
        match y_axis.side(iv.mean) {
            0 => {
                chart.draw_series(std::iter::once(
                    EmptyElement::at((xi, iv.mean)) + square(6, c.filled()),
                ))?;
            }
            side => {
                off += 1;
                draw_arrow(
                    chart.plotting_area(),
                    (xi, y_axis.inset(iv.mean)),
                    (0, -side),
                    c,
                )?;
            }
        }
    }
    Ok(off)
}

/// The penalty effect per λ: pooled mean difference to λ = 0 with its 95 % t-interval
/// (coloured square and bar), the table rows it pools (small grey rings), and the zero line.
/// Returns the SVG and how many marks are off the scale.
pub(crate) fn penalty_svg(
    pooled: &[PooledPenalty],
    colours: &LambdaColours,
) -> Result<(String, usize)> {
    titled_page(
        HEIGHT,
        "Change from λ = 0, paired by seed and settings (95 % intervals)",
        16.0,
        |_, body| {
            let (body, key) = body.split_vertically(HEIGHT as i32 - 60);
            let (left, right) = body.split_horizontally(WIDTH as i32 / 2);
            let off = penalty_panel(&left, pooled, colours, Metric::Mse)?
                + penalty_panel(&right, pooled, colours, Metric::Acc)?;
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
            Ok(off)
        },
    )
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

/// One panel of the learning curves; returns how many of its points are off the scale
/// (drawn as arrows at the edge, with the line running along the edge there).
fn curve_panel(area: &Area<'_>, curves: &[CurveSpec], metric: Metric) -> Result<usize> {
    let (e_lo, e_hi) = min_max(
        curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.epoch as f64)),
    );
    let fit = robust_fit(
        curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| metric.of_point(p))),
        metric == Metric::Mse,
        LOG_RATIO,
    );
    let log = fit.log;
    let y_axis = Axis::fit(fit.lo, fit.hi, 0.08, log, 6);
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
    let mut chart = chart(
        area,
        Frame(10, 24, 44, 76),
        Axis::fixed(x_lo, x_hi, ticks),
        y_axis.clone(),
        Mesh {
            x_desc: "epoch".into(),
            y_desc: y_desc.into(),
            x_label: &whole,
            small: false,
            x_grid: true,
        },
    )?;
    // A marker on every epoch while there are few; beyond that on about a dozen, enough to
    // tell the shapes apart without hiding the lines.
    let marker_step = epochs.div_ceil(12).max(1) as u64;
    let e_first = e_lo.max(0.0) as u64;
    let mut off = 0;
    for c in curves {
        let pts: Vec<(f64, f64)> = c
            .points
            .iter()
            .map(|p| (p.epoch as f64, y_axis.inset(metric.of_point(p))))
            .collect();
        let line = ShapeStyle::from(&c.colour).stroke_width(2);
        if c.dashed {
            chart.draw_series(DashedLineSeries::new(pts.clone(), 8, 5, line))?;
        } else {
            chart.draw_series(LineSeries::new(pts.clone(), line))?;
        }
        for p in &c.points {
            let v = metric.of_point(p);
            let at = (p.epoch as f64, y_axis.inset(v));
            match y_axis.side(v) {
                0 if (p.epoch - e_first).is_multiple_of(marker_step) => {
                    draw_marker(chart.plotting_area(), at, c)?;
                }
                0 => {}
                side => {
                    off += 1;
                    draw_arrow(chart.plotting_area(), at, (0, -side), c.colour)?;
                }
            }
        }
    }
    Ok(off)
}

/// Learning curves, MSE above accuracy, sharing one legend below them.
/// Returns the SVG and how many points are off the scale in the two panels together.
pub(crate) fn curves_svg(curves: &[CurveSpec]) -> Result<(String, usize)> {
    let title = if curves.iter().any(|c| c.dashed) {
        "Learning curves, mean over seeds: best settings (solid) and their λ = 0 partners (dashed)"
    } else {
        "Learning curves, mean over seeds, of the best settings"
    };
    let legend_rows = curves.len().max(1) as u32;
    let legend_h = 16 + legend_rows * 22;
    let panel_h = 300;
    let height = 30 + 2 * panel_h + legend_h;
    titled_page(height, title, 15.0, |_, body| {
        let (top, rest) = body.split_vertically(panel_h as i32);
        let (bottom, legend) = rest.split_vertically(panel_h as i32);
        let off =
            curve_panel(&top, curves, Metric::Mse)? + curve_panel(&bottom, curves, Metric::Acc)?;
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
        Ok(off)
    })
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
        assert!(spans(0.07, 10523.0, LOG_RATIO));
        assert!(!spans(240000.0, 800000.0, LOG_RATIO));
        assert!(!spans(-1.0, 100.0, LOG_RATIO));
        assert!(!spans(0.0, 100.0, LOG_RATIO));
        assert!(!spans(1.0, f64::INFINITY, LOG_RATIO));
    }

    #[test]
    fn a_wild_value_does_not_stretch_the_range() {
        // 40 ordinary values from 100 to 139 and one a hundred times larger.
        let mut v: Vec<f64> = (0..40).map(|i| 100.0 + i as f64).collect();
        v.push(13_900.0);
        let fit = robust_fit(v.iter().copied(), true, LOG_RATIO);
        assert_eq!((fit.lo, fit.hi, fit.log), (100.0, 139.0, false));
        let axis = Axis::fit(fit.lo, fit.hi, 0.06, fit.log, 7);
        assert_eq!(axis.side(13_900.0), 1);
        assert_eq!(axis.side(120.0), 0);
        assert_eq!(axis.side(-5.0), -1);
        // The ends of a log scale with no margin, which pass through ln and exp, are on it.
        let log_scale = Axis::fit(0.09683, 12.14, 0.0, true, 2);
        assert_eq!((log_scale.side(0.09683), log_scale.side(12.14)), (0, 0));
        // An off-scale value is drawn just inside the frame, an on-scale one where it is.
        assert!(axis.inset(13_900.0) < axis.hi && axis.inset(13_900.0) > 139.0);
        assert!(axis.inset(-5.0) > axis.lo && axis.inset(-5.0) < 100.0);
        assert_eq!(axis.inset(120.0), 120.0);
        // Without the wild value everything is kept: a clean set is shown whole.
        let clean = robust_fit(v[..40].iter().copied(), true, LOG_RATIO);
        assert_eq!((clean.lo, clean.hi), (100.0, 139.0));
        // Low outliers go too.
        let mut low = v[..40].to_vec();
        low.push(-5000.0);
        assert_eq!(robust_fit(low, false, LOG_RATIO).lo, 100.0);
    }

    #[test]
    fn ranges_spanning_decades_turn_logarithmic() {
        // Values spread evenly over four decades: nothing is an outlier in log terms.
        let v: Vec<f64> = (0..=40).map(|i| 10f64.powf(i as f64 / 10.0)).collect();
        let fit = robust_fit(v.iter().copied(), true, LOG_RATIO);
        assert_eq!((fit.lo, fit.hi), (1.0, 10_000.0));
        assert!(fit.log);
        // The same values where a log scale is not allowed (say a difference) stay linear,
        // and a linear fence then drops none of them either, the largest being within reach.
        assert!(!robust_fit(v.iter().copied(), false, LOG_RATIO).log);
        // A log scale needs positive values.
        let signed = [-1.0, 0.5, 2.0, 100.0, 300.0];
        let fit = robust_fit(signed, true, LOG_RATIO);
        assert!(!fit.log && fit.lo == -1.0 && fit.hi == 300.0, "{fit:?}");
        // One wild value does not turn a narrow set logarithmic.
        let mut narrow: Vec<f64> = (0..30).map(|i| 200_000.0 + 1000.0 * i as f64).collect();
        narrow.push(2.0e7);
        let fit = robust_fit(narrow, true, LOG_RATIO);
        assert!(!fit.log && fit.hi == 229_000.0, "{fit:?}");
    }

    #[test]
    fn small_sets_are_shown_whole_unless_a_value_is_far_out() {
        let few = [1.0, 2.0, 3.0, 4.0, 8.0];
        assert_eq!(robust_fit(few, false, LOG_RATIO).hi, 8.0);
        let wild = [1.0, 1.1, 1.2, 1.3, 1.4, 100.0];
        assert_eq!(robust_fit(wild, false, LOG_RATIO).hi, 1.4);
        // Two values, or a core without width, say nothing about outliers.
        assert_eq!(robust_fit([1.0, 1000.0], false, LOG_RATIO).hi, 1000.0);
        assert_eq!(
            robust_fit([5.0, 5.0, 5.0, 5.0, 9.0], false, LOG_RATIO).hi,
            9.0
        );
        let none = robust_fit(std::iter::empty(), true, LOG_RATIO);
        assert!(none.lo.is_nan() && !none.log);
        // Non-finite values are ignored.
        let fit = robust_fit([1.0, f64::NAN, 2.0, f64::INFINITY], true, LOG_RATIO);
        assert_eq!((fit.lo, fit.hi), (1.0, 2.0));
    }

    fn assert_apart(boxes: &[LabelBox], area: LabelBox) {
        for (i, a) in boxes.iter().enumerate() {
            assert!(a.inside(&area), "label {i} leaves the plot: {a:?}");
            for (j, b) in boxes.iter().enumerate().skip(i + 1) {
                assert!(!a.overlaps(b), "labels {i} and {j} overlap: {a:?} {b:?}");
            }
        }
    }

    #[test]
    fn two_windows_of_a_baseline_get_separate_labels() {
        let area = LabelBox {
            x0: 84,
            y0: 40,
            x1: 600,
            y1: 430,
        };
        // Persistence at two windows: almost the same place on screen.
        let texts = ["persistence (window 8)", "persistence (window 16)"];
        let marks: Vec<((i32, i32), i32)> = [(300, 200), (303, 204)]
            .into_iter()
            .zip(texts)
            .map(|(at, t)| (at, label_width(t)))
            .collect();
        let boxes = place_labels(&marks, &[], area);
        assert_apart(&boxes, area);
        // Each label stays beside its own mark, which it leaves uncovered.
        for (b, (at, _)) in boxes.iter().zip(&marks) {
            assert!(!b.covers(*at), "{b:?} hides {at:?}");
            assert!((b.y0 - at.1).abs() < 60, "{b:?} strays from {at:?}");
        }
    }

    #[test]
    fn many_baselines_at_one_spot_still_get_separate_labels() {
        let area = LabelBox {
            x0: 84,
            y0: 40,
            x1: 600,
            y1: 430,
        };
        // Five baselines at four windows, all piled where the plot is crowded with points.
        let names = [
            "persistence",
            "OLS",
            "drift",
            "seasonal naive",
            "majority direction",
        ];
        let mut marks = Vec::new();
        for (n, name) in names.iter().enumerate() {
            for w in [4, 8, 16, 32] {
                let text = format!("{name} (window {w})");
                marks.push(((340 + n as i32, 380 - w / 4), label_width(&text)));
            }
        }
        let points: Vec<(i32, i32)> = (0..60).map(|i| (300 + i, 360 + i % 7)).collect();
        let boxes = place_labels(&marks, &points, area);
        assert_eq!(boxes.len(), 20);
        assert_apart(&boxes, area);
        // And marks at the corners, where some sides fall outside.
        let corners = [(86, 42), (598, 42), (86, 428), (598, 428)];
        let marks: Vec<_> = corners
            .iter()
            .map(|c| (*c, label_width("OLS (window 16)")))
            .collect();
        assert_apart(&place_labels(&marks, &[], area), area);
    }

    #[test]
    fn arrows_point_off_the_scale() {
        // The tip lies in the direction given, the base behind it.
        let right = arrow_shape(1, 0);
        assert_eq!(right[0], (8, 0));
        assert!(right[1..].iter().all(|p| p.0 < 0));
        let up = arrow_shape(0, -1);
        assert_eq!(up[0], (0, -8));
        let diagonal = arrow_shape(1, 1);
        assert!(diagonal[0].0 > 0 && diagonal[0].1 > 0);
    }

    #[test]
    fn colours_keep_one_meaning() {
        // The ranks of the curves use none of the λ colours, whatever the number of λ.
        for n in 1..8 {
            let lambdas = category_colours(n);
            for r in rank_colours(5) {
                for l in &lambdas {
                    let d = (r.0 as i32 - l.0 as i32).abs()
                        + (r.1 as i32 - l.1 as i32).abs()
                        + (r.2 as i32 - l.2 as i32).abs();
                    assert!(d > 60, "rank colour {r:?} is close to λ colour {l:?}");
                }
            }
        }
        // The heatmap runs light (better) to dark (worse).
        let luma = |c: RGBColor| 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
        assert!(luma(heat_colour(1.0)) > luma(heat_colour(0.5)));
        assert!(luma(heat_colour(0.5)) > luma(heat_colour(0.0)));
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
