//! A search's figures: the optimisation history, the slice plots, the Pareto front of a
//! two-objective search, and the validation curves of pruned trials behind the survivors'.

use std::cmp::Ordering;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Area, Axis, CATEGORY_END, Frame, GRID_BOLD, HEIGHT, INK, LOG_RATIO, LabelBox, Mesh,
    RANK_COLOURS, chart, draw_arrow, draw_label, font, label_width, nice_ticks, place_labels,
    robust_fit, spans, text_style, tick_label, viridis, whole,
};
use super::{locate, titled_page};
use crate::analysis::summary::{
    ConfigRow, ConfigStatus, SearchSummary, SearchedSetting, SettingValue,
};
use crate::config::Objective;
use crate::error::Result;

/// Complete configurations' points.
const POINT: RGBColor = RANK_COLOURS[1];
/// What stands out: the confirmed configurations' rings, the Pareto front.
const HIGHLIGHT: RGBColor = RANK_COLOURS[0];
/// Pruned configurations and curves.
const PRUNED: RGBColor = RGBColor(170, 170, 170);
/// Diverged and failed configurations.
const BROKEN: RGBColor = RGBColor(140, 40, 40);

/// The axis title of an objective, with which way is better.
fn objective_desc(o: Objective, log: bool, what: &str) -> String {
    let name = match o {
        Objective::ValMse => "validation MSE",
        Objective::ValTrendAcc => "trend-match accuracy",
    };
    let better = if o.minimise() { "lower" } else { "higher" };
    let scale = if log { ", log scale" } else { "" };
    format!("{name}{what} ({better} is better{scale})")
}

/// The axis of an objective over `values`: robust at the worse end, so a diverging
/// configuration cannot squash the rest, but always reaching the best value, which is what a
/// search is read for; logarithmic for an MSE spanning more than [`LOG_RATIO`].
fn objective_axis(o: Objective, values: impl IntoIterator<Item = f64>, n_ticks: usize) -> Axis {
    let values: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    let mut fit = robust_fit(values.iter().copied(), o.minimise(), LOG_RATIO);
    if let Some(best) = values
        .iter()
        .copied()
        .min_by(|a, b| o.as_loss(*a).total_cmp(&o.as_loss(*b)))
    {
        if o.minimise() {
            fit.lo = fit.lo.min(best);
        } else {
            fit.hi = fit.hi.max(best);
        }
        fit.log = o.minimise() && spans(fit.lo, fit.hi, LOG_RATIO);
    }
    Axis::fit(fit.lo, fit.hi, 0.08, fit.log, n_ticks)
}

/// Whole-number ticks over `lo..=hi`, about `n` of them.
fn integer_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let ticks: Vec<f64> = nice_ticks(lo, hi, n)
        .into_iter()
        .filter(|v| v.fract() == 0.0)
        .collect();
    if ticks.is_empty() {
        vec![lo.round()]
    } else {
        ticks
    }
}

/// Draws a legend entry's mark centred on a pixel of the key.
type KeyMark = dyn Fn(&Area<'_>, (i32, i32)) -> Result<()>;

/// What a search figure left off its scale.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SearchOff {
    /// Points (configurations, or epochs of a curve) beyond the value axis.
    pub points: usize,
}

/// The optimisation history: each complete configuration's first objective against its
/// number, the best so far as a step line, confirmed configurations ringed, and the
/// configurations without a score (pruned, diverged, failed) as ticks in a strip under the
/// plot.
pub(crate) fn history_svg(search: &SearchSummary) -> Result<(String, SearchOff)> {
    let o = search.first_objective();
    let configs = &search.configs;
    let last = configs.iter().map(|c| c.index).max().unwrap_or(0) as f64;
    let scored: Vec<(&ConfigRow, f64)> = configs
        .iter()
        .filter_map(|c| c.objective(o).map(|v| (c, v)))
        .collect();
    let unscored: Vec<&ConfigRow> = configs
        .iter()
        .filter(|c| c.objective(o).is_none())
        .collect();
    let plot_h = 420;
    let height = 30 + plot_h + 44 + 40;
    let title = format!(
        "Search history: {} of each configuration in the order tried",
        o.name()
    );
    titled_page(height, &title, 16.0, |root, body| {
        let (plot, rest) = body.split_vertically(plot_h);
        let (strip, key) = rest.split_vertically(44);
        let y_axis = objective_axis(o, scored.iter().map(|(_, v)| *v), 7);
        let x_axis = Axis::fixed(-0.6, last + 0.6, integer_ticks(0.0, last, 12));
        let mut chart = chart(
            &plot,
            Frame(10, 24, 44, 76),
            x_axis,
            y_axis.clone(),
            Mesh {
                x_desc: "configuration, in the order the search proposed them".into(),
                y_desc: objective_desc(o, y_axis.log, ", mean over seeds"),
                x_label: &whole,
                small: false,
                x_grid: false,
            },
        )?;
        // Faint lines between generations, while there are few enough to tell apart.
        let mut starts: Vec<usize> = Vec::new();
        for pair in configs.windows(2) {
            if pair[1].generation != pair[0].generation {
                starts.push(pair[1].index);
            }
        }
        if starts.len() <= 40 {
            for s in &starts {
                let x = *s as f64 - 0.5;
                chart.draw_series(DashedLineSeries::new(
                    [(x, y_axis.at_fraction(0.0)), (x, y_axis.at_fraction(1.0))],
                    4,
                    4,
                    ShapeStyle::from(&GRID_BOLD).stroke_width(1),
                ))?;
            }
        }
        // The best so far, as steps: level until a configuration beats it.
        let mut steps: Vec<(f64, f64)> = Vec::new();
        for c in configs {
            if let Some(b) = c.best_so_far {
                let (x, y) = (c.index as f64, y_axis.inset(b));
                if let Some(&(_, prev)) = steps.last() {
                    steps.push((x, prev));
                }
                steps.push((x, y));
            }
        }
        if let Some(&(_, y)) = steps.last() {
            steps.push((last + 0.5, y));
        }
        chart.draw_series(LineSeries::new(
            steps,
            ShapeStyle::from(&INK).stroke_width(2),
        ))?;
        let mut off = 0;
        for (c, v) in &scored {
            let at = (c.index as f64, y_axis.inset(*v));
            match y_axis.side(*v) {
                0 => {
                    chart.draw_series(std::iter::once(Circle::new(
                        at,
                        4,
                        POINT.mix(0.85).filled(),
                    )))?;
                }
                side => {
                    off += 1;
                    draw_arrow(chart.plotting_area(), at, (0, -side), POINT)?;
                }
            }
            if c.confirmed_rank.is_some() {
                chart.draw_series(std::iter::once(Circle::new(
                    at,
                    8,
                    ShapeStyle::from(&HIGHLIGHT).stroke_width(2),
                )))?;
            }
        }
        // The configurations without a score, in a strip of their own under the x axis, so
        // they are never read as values.
        let (px, _) = chart.plotting_area().get_pixel_range();
        let y = strip.get_base_pixel().1 + 20;
        root.draw(&Text::new(
            "no score:",
            (px.start - 8, y),
            text_style(12.0, HPos::Right, VPos::Center),
        ))?;
        root.draw(&PathElement::new(
            vec![(px.start, y), (px.end, y)],
            ShapeStyle::from(&GRID_BOLD).stroke_width(1),
        ))?;
        for c in &unscored {
            let (x, _) = chart.backend_coord(&(c.index as f64, y_axis.lo));
            let colour = match c.status {
                ConfigStatus::Diverged | ConfigStatus::Failed => BROKEN,
                _ => PRUNED,
            };
            root.draw(&PathElement::new(
                vec![(x, y - 8), (x, y + 8)],
                ShapeStyle::from(&colour).stroke_width(2),
            ))?;
        }

        let mut x = 20;
        let row = 20;
        let item = |x: &mut i32, label: &str, mark: &KeyMark| -> Result<()> {
            mark(&key, (*x + 8, row))?;
            key.draw(&Text::new(
                label.to_string(),
                (*x + 22, row),
                text_style(13.0, HPos::Left, VPos::Center),
            ))?;
            *x += 22 + label_width(label) + 10;
            Ok(())
        };
        item(&mut x, "complete configuration", &|a, p| {
            a.draw(&Circle::new(p, 4, POINT.filled()))?;
            Ok(())
        })?;
        item(&mut x, "best so far", &|a, (px, py)| {
            a.draw(&PathElement::new(
                vec![(px - 8, py), (px + 8, py)],
                ShapeStyle::from(&INK).stroke_width(2),
            ))?;
            Ok(())
        })?;
        if scored.iter().any(|(c, _)| c.confirmed_rank.is_some()) {
            item(&mut x, "confirmed", &|a, p| {
                a.draw(&Circle::new(
                    p,
                    7,
                    ShapeStyle::from(&HIGHLIGHT).stroke_width(2),
                ))?;
                Ok(())
            })?;
        }
        // The strip's ticks: pruned, and diverged or failed, where there are any.
        let broken =
            |c: &&ConfigRow| matches!(c.status, ConfigStatus::Diverged | ConfigStatus::Failed);
        for (label, colour, any) in [
            (
                "pruned",
                PRUNED,
                unscored.iter().any(|c| c.status == ConfigStatus::Pruned),
            ),
            ("diverged or failed", BROKEN, unscored.iter().any(broken)),
        ] {
            if any {
                item(&mut x, label, &move |a, (px, py)| {
                    a.draw(&PathElement::new(
                        vec![(px, py - 7), (px, py + 7)],
                        ShapeStyle::from(&colour).stroke_width(2),
                    ))?;
                    Ok(())
                })?;
            }
        }
        Ok(SearchOff { points: off })
    })
}

/// A searched setting's values as positions on a slice plot's x axis: the value itself for a
/// number drawn from a range, the index among its sorted distinct values otherwise (a list
/// of choices reads best evenly spaced).
struct SliceAxis {
    categories: Vec<SettingValue>,
    log: bool,
}

fn cmp_value(a: &SettingValue, b: &SettingValue) -> Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

impl SliceAxis {
    fn new(setting: &SearchedSetting, configs: &[ConfigRow]) -> SliceAxis {
        let numeric = setting.range.is_some()
            && configs
                .iter()
                .filter_map(|c| c.setting(&setting.name))
                .all(|v| v.as_f64().is_some());
        let mut categories: Vec<SettingValue> = Vec::new();
        if !numeric {
            for c in configs {
                if let Some(v) = c.setting(&setting.name)
                    && !categories.contains(v)
                {
                    categories.push(v.clone());
                }
            }
            categories.sort_by(cmp_value);
        }
        SliceAxis {
            categories,
            log: numeric && setting.log_scale,
        }
    }

    fn numeric(&self) -> bool {
        self.categories.is_empty()
    }

    fn position(&self, v: &SettingValue) -> Option<f64> {
        if self.numeric() {
            v.as_f64()
        } else {
            self.categories
                .iter()
                .position(|c| c == v)
                .map(|i| i as f64)
        }
    }
}

/// Panels per row of the slice plots, and their height.
const SLICE_COLUMNS: usize = 2;
const SLICE_H: u32 = 270;

/// The slice plots: the first objective of every complete configuration against each
/// searched setting, one panel per setting sharing one value axis, the points coloured from
/// dark (tried first) to light (tried last).
pub(crate) fn slices_svg(search: &SearchSummary) -> Result<(String, SearchOff)> {
    let o = search.first_objective();
    let scored: Vec<(&ConfigRow, f64)> = search
        .configs
        .iter()
        .filter_map(|c| c.objective(o).map(|v| (c, v)))
        .collect();
    let n_panels = search.searched.len().max(1);
    let rows = n_panels.div_ceil(SLICE_COLUMNS) as u32;
    let height = 30 + rows * SLICE_H + 46;
    let last = search
        .configs
        .iter()
        .map(|c| c.index)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let colour = |c: &ConfigRow| viridis(CATEGORY_END * c.index as f64 / last);
    titled_page(
        height,
        &format!(
            "{} of each complete configuration against each searched setting",
            o.name()
        ),
        16.0,
        |_, body| {
            let (grid, key) = body.split_vertically(rows * SLICE_H);
            let panels = grid.split_evenly((rows as usize, SLICE_COLUMNS));
            let y_axis = objective_axis(o, scored.iter().map(|(_, v)| *v), 5);
            let mut off = 0;
            for (setting, area) in search.searched.iter().zip(&panels) {
                let axis = SliceAxis::new(setting, &search.configs);
                let positions: Vec<f64> = search
                    .configs
                    .iter()
                    .filter_map(|c| c.setting(&setting.name).and_then(|v| axis.position(v)))
                    .collect();
                let lo = positions.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = positions.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let x_axis = if axis.numeric() {
                    match &setting.range {
                        // The whole range the search drew from, so the reader sees where in it
                        // the configurations went.
                        Some((_, low, high)) if !axis.log || *low > 0.0 => {
                            Axis::fit(low.min(lo), high.max(hi), 0.04, axis.log, 5)
                        }
                        _ => Axis::fit(lo, hi, 0.06, axis.log, 5),
                    }
                } else {
                    let k = axis.categories.len().max(1);
                    Axis::fixed(-0.5, k as f64 - 0.5, (0..k).map(|i| i as f64).collect())
                };
                let x_span = x_axis.span();
                let categories = axis.categories.clone();
                let x_label = move |v: &f64| -> String {
                    if categories.is_empty() {
                        tick_label(*v, x_span)
                    } else {
                        let i = v.round();
                        if (v - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < categories.len() {
                            categories[i as usize].to_string()
                        } else {
                            String::new()
                        }
                    }
                };
                let title = match &setting.range {
                    Some((kind, _, _)) => format!("{} ({kind})", setting.name),
                    None => format!("{} (choices)", setting.name),
                };
                let area = area.titled(&title, font(14.0).color(&INK))?;
                let mut chart = chart(
                    &area,
                    Frame(6, 18, 36, 64),
                    x_axis.clone(),
                    y_axis.clone(),
                    Mesh {
                        x_desc: if axis.log {
                            format!("{} (log scale)", setting.name)
                        } else {
                            setting.name.clone()
                        },
                        y_desc: String::new(),
                        x_label: &x_label,
                        small: true,
                        x_grid: true,
                    },
                )?;
                for (c, v) in &scored {
                    let Some(x) = c.setting(&setting.name).and_then(|s| axis.position(s)) else {
                        continue;
                    };
                    let at = (x, y_axis.inset(*v));
                    match y_axis.side(*v) {
                        0 => {
                            chart.draw_series(std::iter::once(Circle::new(
                                at,
                                4,
                                colour(c).mix(0.9).filled(),
                            )))?;
                        }
                        side => {
                            off += 1;
                            draw_arrow(chart.plotting_area(), at, (0, -side), colour(c))?;
                        }
                    }
                }
            }
            // The colour key: configuration order, dark to light.
            let (x0, x1, y) = (180, 420, 22);
            key.draw(&Text::new(
                "tried first",
                (x0 - 8, y),
                text_style(13.0, HPos::Right, VPos::Center),
            ))?;
            let steps = 40;
            for s in 0..steps {
                let xa = x0 + (x1 - x0) * s / steps;
                let xb = x0 + (x1 - x0) * (s + 1) / steps;
                key.draw(&Rectangle::new(
                    [(xa, y - 7), (xb + 1, y + 7)],
                    viridis(CATEGORY_END * s as f64 / (steps - 1) as f64).filled(),
                ))?;
            }
            key.draw(&Text::new(
                "tried last",
                (x1 + 8, y),
                text_style(13.0, HPos::Left, VPos::Center),
            ))?;
            Ok(SearchOff { points: off })
        },
    )
}

/// A two-objective search's complete configurations: the first objective across, the second
/// up, the Pareto front highlighted, joined and labelled with the configurations' numbers.
pub(crate) fn pareto_svg(search: &SearchSummary) -> Result<(String, SearchOff)> {
    let (a, b) = match search.objectives.as_slice() {
        [a, b, ..] => (*a, *b),
        _ => (Objective::ValMse, Objective::ValTrendAcc),
    };
    let points: Vec<(&ConfigRow, f64, f64)> = search
        .configs
        .iter()
        .filter_map(|c| Some((c, c.objective(a)?, c.objective(b)?)))
        .collect();
    let front = search.front();
    titled_page(
        HEIGHT + 40,
        &format!(
            "{} against {}, one circle per complete configuration",
            a.name(),
            b.name()
        ),
        16.0,
        |root, body| {
            let (plot, key) = body.split_vertically(HEIGHT as i32 - 30);
            let x_axis = objective_axis(a, points.iter().map(|p| p.1), 7);
            let y_axis = objective_axis(b, points.iter().map(|p| p.2), 7);
            let x_span = x_axis.span();
            let mut chart = chart(
                &plot,
                Frame(12, 24, 48, 76),
                x_axis.clone(),
                y_axis.clone(),
                Mesh {
                    x_desc: objective_desc(a, x_axis.log, ""),
                    y_desc: objective_desc(b, y_axis.log, ""),
                    x_label: &|v| tick_label(*v, x_span),
                    small: false,
                    x_grid: true,
                },
            )?;
            let locate = |x: f64, y: f64| locate(&x_axis, &y_axis, x, y);
            let mut off = 0;
            let on_front = |c: &ConfigRow| c.pareto == Some(true);
            for (_, x, y) in points.iter().filter(|p| !on_front(p.0)) {
                let (at, dir) = locate(*x, *y);
                if dir == (0, 0) {
                    chart.draw_series(std::iter::once(Circle::new(
                        at,
                        4,
                        PRUNED.mix(0.9).filled(),
                    )))?;
                } else {
                    off += 1;
                    draw_arrow(chart.plotting_area(), at, dir, PRUNED)?;
                }
            }
            let line: Vec<(f64, f64)> = front
                .iter()
                .filter_map(|c| Some(locate(c.objective(a)?, c.objective(b)?).0))
                .collect();
            if line.len() >= 2 {
                chart.draw_series(LineSeries::new(
                    line.clone(),
                    ShapeStyle::from(&HIGHLIGHT).stroke_width(2),
                ))?;
            }
            let mut marks: Vec<((i32, i32), String)> = Vec::new();
            for c in &front {
                let (Some(x), Some(y)) = (c.objective(a), c.objective(b)) else {
                    continue;
                };
                let (at, dir) = locate(x, y);
                if dir == (0, 0) {
                    chart.draw_series(std::iter::once(Circle::new(at, 6, HIGHLIGHT.filled())))?;
                } else {
                    off += 1;
                    draw_arrow(chart.plotting_area(), at, dir, HIGHLIGHT)?;
                }
                marks.push((chart.backend_coord(&at), format!("#{}", c.index)));
            }
            // The front's numbers, while few enough to place without crowding.
            if marks.len() <= 12 {
                let (px, py) = chart.plotting_area().get_pixel_range();
                let area = LabelBox {
                    x0: px.start,
                    y0: py.start,
                    x1: px.end,
                    y1: py.end,
                };
                let obstacles: Vec<(i32, i32)> = points
                    .iter()
                    .map(|(_, x, y)| chart.backend_coord(&locate(*x, *y).0))
                    .collect();
                let sizes: Vec<((i32, i32), i32)> =
                    marks.iter().map(|(at, t)| (*at, label_width(t))).collect();
                for (bx, (at, text)) in place_labels(&sizes, &obstacles, area)
                    .into_iter()
                    .zip(&marks)
                {
                    draw_label(root, bx, *at, text)?;
                }
            }
            key.draw(&Circle::new((30, 20), 6, HIGHLIGHT.filled()))?;
            key.draw(&Text::new(
                "on the Pareto front (joined)",
                (44, 20),
                text_style(13.0, HPos::Left, VPos::Center),
            ))?;
            key.draw(&Circle::new((300, 20), 4, PRUNED.filled()))?;
            key.draw(&Text::new(
                "dominated: another configuration is better on both",
                (312, 20),
                text_style(13.0, HPos::Left, VPos::Center),
            ))?;
            Ok(SearchOff { points: off })
        },
    )
}

/// The search trials' validation curves of the first objective: pruned trials' in grey
/// behind the others', with the rungs where pruning decided as dashed lines.
pub(crate) fn curves_svg(search: &SearchSummary) -> Result<(String, SearchOff)> {
    let o = search.first_objective();
    let value = |p: &crate::analysis::summary::EpochPoint| match o {
        Objective::ValMse => p.val_mse,
        Objective::ValTrendAcc => p.val_trend_acc,
    };
    let curves = &search.curves;
    let last = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.epoch))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let plot_h = 440;
    titled_page(
        30 + plot_h + 40,
        &format!("{} after each epoch, every search trial", o.name()),
        16.0,
        |_, body| {
            let (plot, key) = body.split_vertically(plot_h);
            let y_axis =
                objective_axis(o, curves.iter().flat_map(|c| c.points.iter().map(value)), 7);
            let x_axis = Axis::fixed(0.7, last + 0.3, integer_ticks(1.0, last, 12));
            let mut chart = chart(
                &plot,
                Frame(10, 24, 44, 76),
                x_axis,
                y_axis.clone(),
                Mesh {
                    x_desc: "epoch".into(),
                    y_desc: objective_desc(o, y_axis.log, ""),
                    x_label: &whole,
                    small: false,
                    x_grid: true,
                },
            )?;
            for r in search.prune.iter().flat_map(|p| &p.rungs) {
                let x = *r as f64;
                chart.draw_series(DashedLineSeries::new(
                    [(x, y_axis.at_fraction(0.0)), (x, y_axis.at_fraction(1.0))],
                    6,
                    4,
                    ShapeStyle::from(&INK).stroke_width(1),
                ))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!("rung {r}"),
                    (x, y_axis.at_fraction(0.985)),
                    text_style(12.0, HPos::Left, VPos::Top),
                )))?;
            }
            let mut off = 0;
            // Pruned curves first, so the survivors are drawn over them.
            for pruned in [true, false] {
                let style = if pruned {
                    ShapeStyle::from(&PRUNED.mix(0.6)).stroke_width(1)
                } else {
                    ShapeStyle::from(&POINT.mix(0.8)).stroke_width(2)
                };
                for c in curves.iter().filter(|c| c.pruned == pruned) {
                    let pts: Vec<(f64, f64)> = c
                        .points
                        .iter()
                        .filter(|p| value(p).is_finite())
                        .map(|p| (p.epoch as f64, y_axis.inset(value(p))))
                        .collect();
                    off += c
                        .points
                        .iter()
                        .filter(|p| value(p).is_finite() && y_axis.side(value(p)) != 0)
                        .count();
                    if pts.len() == 1 {
                        chart.draw_series(std::iter::once(Circle::new(
                            pts[0],
                            2,
                            style.filled(),
                        )))?;
                    } else {
                        chart.draw_series(LineSeries::new(pts, style))?;
                    }
                }
            }
            let pruned = curves.iter().filter(|c| c.pruned).count();
            let others = curves.len() - pruned;
            let entries = [
                (POINT, 2, format!("not pruned ({others} trials)")),
                (PRUNED, 2, format!("pruned ({pruned} trials)")),
            ];
            let mut x = 30;
            for (colour, width, label) in entries {
                key.draw(&PathElement::new(
                    vec![(x, 20), (x + 24, 20)],
                    ShapeStyle::from(&colour).stroke_width(width),
                ))?;
                key.draw(&Text::new(
                    label.clone(),
                    (x + 32, 20),
                    text_style(13.0, HPos::Left, VPos::Center),
                ))?;
                x += 32 + label_width(&label) + 24;
            }
            if search.prune.as_ref().is_some_and(|p| !p.rungs.is_empty()) {
                key.draw(&PathElement::new(
                    vec![(x, 20), (x + 8, 20)],
                    ShapeStyle::from(&INK).stroke_width(1),
                ))?;
                key.draw(&PathElement::new(
                    vec![(x + 14, 20), (x + 22, 20)],
                    ShapeStyle::from(&INK).stroke_width(1),
                ))?;
                key.draw(&Text::new(
                    "rung: where pruning decided",
                    (x + 32, 20),
                    text_style(13.0, HPos::Left, VPos::Center),
                ))?;
            }
            Ok(SearchOff { points: off })
        },
    )
}
