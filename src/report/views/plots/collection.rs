//! A collection's per-series picture: the chosen setting against each series' best
//! baseline, and how the penalty's effect spreads over the series.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Axis, Frame, HEIGHT, INK, Mesh, RANK_COLOURS, chart, label_width, text_style, titled_page,
    whole,
};
use crate::analysis::collection::LambdaEffect;
use crate::analysis::scores::CLIP;
use crate::error::Result;

/// Drawn where the chosen setting's MSE is below the best baseline's (it wins the series).
const WIN: RGBColor = RANK_COLOURS[1];
/// Drawn where the baseline is at least as good.
const LOSS: RGBColor = RANK_COLOURS[0];

/// A log axis over ratios, clipped as the scores clip them and always showing 1.
fn ratio_axis(values: impl Iterator<Item = f64>) -> Axis {
    let (lo, hi) = values
        .map(|v| v.clamp(CLIP.0, CLIP.1))
        .fold((1.0f64, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    Axis::fit(lo, hi, 0.06, true, 6)
}

/// The win/loss strip: per series (sorted), the chosen setting's MSE over its best baseline's,
/// on a log scale, below 1 a win. `split` names the part the MSEs are from.
pub(crate) fn strip_svg(against_best: &[(String, f64)], split: &str) -> Result<String> {
    let mut ratios: Vec<f64> = against_best.iter().map(|(_, r)| *r).collect();
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len().max(1) as f64;
    let y_axis = ratio_axis(ratios.iter().copied());
    let x_axis = Axis::fixed(0.5, n + 0.5, super::nice_ticks(1.0, n, 8));
    let title = format!("The chosen setting against each series' best baseline ({split} MSE)");
    let (svg, ()) = titled_page(HEIGHT, &title, 16.0, |_, body| {
        let (plot, key) = body.split_vertically(HEIGHT as i32 - 30 - 36);
        let mut chart = chart(
            &plot,
            Frame(10, 24, 44, 76),
            x_axis.clone(),
            y_axis.clone(),
            Mesh {
                x_desc: "series, sorted by the ratio".into(),
                y_desc: format!("{split} MSE over the best baseline's (log scale)"),
                x_label: &whole,
                small: false,
                x_grid: false,
            },
        )?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.5, 1.0), (n + 0.5, 1.0)],
            ShapeStyle::from(&INK).stroke_width(1),
        )))?;
        chart.draw_series(ratios.iter().enumerate().map(|(i, r)| {
            let colour = if *r < 1.0 { WIN } else { LOSS };
            let r = r.clamp(y_axis.lo, y_axis.hi);
            PathElement::new(
                vec![(i as f64 + 1.0, 1.0), (i as f64 + 1.0, r)],
                ShapeStyle::from(&colour).stroke_width(2),
            )
        }))?;
        let wins = ratios.iter().filter(|r| **r < 1.0).count();
        let mut x = 30;
        for (colour, label) in [
            (WIN, format!("setting better ({wins})")),
            (
                LOSS,
                format!("baseline as good or better ({})", ratios.len() - wins),
            ),
        ] {
            key.draw(&Rectangle::new(
                [(x, 12), (x + 14, 26)],
                ShapeStyle::from(&colour).filled(),
            ))?;
            key.draw(&Text::new(
                label.clone(),
                (x + 20, 19),
                text_style(13.0, HPos::Left, VPos::Center),
            ))?;
            x += 20 + label_width(&label) + 24;
        }
        Ok(())
    })?;
    Ok(svg)
}

/// The penalty's per-series effects: for each λ > 0, one dot per series (its geometric mean
/// MSE ratio against λ = 0 on validation), spread sideways, with the collection's geometric
/// mean and its bootstrap interval as a black bar.
pub(crate) fn effects_svg(effects: &[LambdaEffect]) -> Result<String> {
    let shown: Vec<(f64, &crate::analysis::collection::Effect)> = effects
        .iter()
        .filter_map(|e| e.splits[0].as_ref().map(|x| (e.lambda, x)))
        .collect();
    let k = shown.len().max(1);
    let y_axis = ratio_axis(
        shown
            .iter()
            .flat_map(|(_, e)| e.per_series.iter().map(|(_, r)| *r)),
    );
    let x_axis = Axis::fixed(-0.5, k as f64 - 0.5, (0..k).map(|i| i as f64).collect());
    let labels: Vec<String> = shown
        .iter()
        .map(|(l, _)| format!("λ = {}", crate::grid::fmt_setting_float(*l)))
        .collect();
    let x_label = |v: &f64| {
        let i = v.round();
        if i >= 0.0 && (i as usize) < labels.len() && (v - i).abs() < 1e-9 {
            labels[i as usize].clone()
        } else {
            String::new()
        }
    };
    let title = "The penalty's effect on each series: validation MSE against λ = 0";
    let (svg, ()) = titled_page(HEIGHT, title, 16.0, |_, body| {
        let mut chart = chart(
            body,
            Frame(10, 24, 44, 76),
            x_axis.clone(),
            y_axis.clone(),
            Mesh {
                x_desc: "penalty weight".into(),
                y_desc: "MSE ratio against λ = 0 (log scale)".into(),
                x_label: &x_label,
                small: false,
                x_grid: false,
            },
        )?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, 1.0), (k as f64 - 0.5, 1.0)],
            ShapeStyle::from(&INK).stroke_width(1),
        )))?;
        for (i, (_, e)) in shown.iter().enumerate() {
            let m = e.per_series.len().max(1) as f64;
            // Series spread evenly across the column in their (name) order, so the dots of
            // a large collection do not stack on one line.
            chart.draw_series(e.per_series.iter().enumerate().map(|(j, (_, r))| {
                let x = i as f64 - 0.3 + 0.6 * (j as f64 + 0.5) / m;
                let colour = if *r < 1.0 { WIN } else { LOSS };
                Circle::new(
                    (x, r.clamp(y_axis.lo, y_axis.hi)),
                    3,
                    colour.mix(0.7).filled(),
                )
            }))?;
            let x = i as f64;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, e.low), (x, e.high)],
                ShapeStyle::from(&BLACK).stroke_width(4),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x - 0.35, e.ratio), (x + 0.35, e.ratio)],
                ShapeStyle::from(&BLACK).stroke_width(3),
            )))?;
        }
        Ok(())
    })?;
    Ok(svg)
}
