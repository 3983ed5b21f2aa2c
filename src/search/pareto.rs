//! Pareto ranking of points with two or more objectives, every one to be minimised: the
//! non-dominated sorting and crowding distance of NSGA-II (Deb et al. 2002). The TPE sampler
//! uses [`order`] to pick its "good" group when there is more than one objective.
//!
//! A non-finite value (NaN or either infinity) counts as the worst possible, `+inf`, so a
//! failed or diverged configuration never looks better than one that finished.

use std::cmp::Ordering;

/// The value an objective is compared by: non-finite values become `+inf`, the worst.
fn key(v: f64) -> f64 {
    if v.is_finite() { v } else { f64::INFINITY }
}

/// Whether `a` dominates `b`: no worse in every objective and strictly better in at least
/// one. Identical points do not dominate each other. Compares as many objectives as the
/// shorter slice holds.
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    let mut better = false;
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (key(x), key(y));
        if x > y {
            return false;
        }
        better |= x < y;
    }
    better
}

/// Lexicographic comparison of two points by their keys, used to visit every dominator of a
/// point before the point itself.
fn lex(a: &[f64], b: &[f64]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| key(x).total_cmp(&key(y)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Non-dominated sorting: front 0 holds the points nobody dominates, front 1 those dominated
/// only by front 0, and so on. Indices within a front ascend.
///
/// A point's front is one more than the highest front among the points dominating it (0 if
/// none). A dominator is always lexicographically smaller, so visiting the points in
/// lexicographic order settles each front after all its dominators': O(n² · objectives) time
/// and O(n) memory, however many fronts there are.
pub fn fronts(values: &[Vec<f64>]) -> Vec<Vec<usize>> {
    let n = values.len();
    let mut by_lex: Vec<usize> = (0..n).collect();
    by_lex.sort_by(|&i, &j| lex(&values[i], &values[j]).then(i.cmp(&j)));
    let mut rank = vec![0usize; n];
    for (pos, &i) in by_lex.iter().enumerate() {
        rank[i] = by_lex[..pos]
            .iter()
            .filter(|&&j| dominates(&values[j], &values[i]))
            .map(|&j| rank[j] + 1)
            .max()
            .unwrap_or(0);
    }
    let count = rank.iter().map(|r| r + 1).max().unwrap_or(0);
    let mut out = vec![Vec::new(); count];
    for (i, &r) in rank.iter().enumerate() {
        out[r].push(i);
    }
    out
}

/// NSGA-II crowding distance of each member of `front`, in the same order: the sum over
/// objectives of the gap between a member's two neighbours along that objective, divided by
/// the front's spread in it. It rewards members in sparse parts of the front, so a cut
/// through a front keeps its extent. The extreme members of each objective get `+inf`, as
/// does every member of a front of two or fewer. An objective with no finite spread adds
/// nothing; a neighbour at `+inf` (a non-finite value) makes a gap infinite.
pub fn crowding(values: &[Vec<f64>], front: &[usize]) -> Vec<f64> {
    let m = front.len();
    let mut dist = vec![0.0; m];
    if m <= 2 {
        return vec![f64::INFINITY; m];
    }
    let objectives = front.iter().map(|&i| values[i].len()).max().unwrap_or(0);
    for k in 0..objectives {
        // A missing value counts as the worst, like a non-finite one.
        let column: Vec<f64> = front
            .iter()
            .map(|&i| key(values[i].get(k).copied().unwrap_or(f64::NAN)))
            .collect();
        let v = |p: usize| column[p];
        // Positions within `front`, sorted by this objective; ties keep front order.
        let mut sorted: Vec<usize> = (0..m).collect();
        sorted.sort_by(|&p, &q| v(p).total_cmp(&v(q)).then(p.cmp(&q)));
        let finite: Vec<f64> = sorted
            .iter()
            .map(|&p| v(p))
            .filter(|x| x.is_finite())
            .collect();
        let spread = match (finite.first(), finite.last()) {
            (Some(lo), Some(hi)) => hi - lo,
            _ => 0.0,
        };
        dist[sorted[0]] = f64::INFINITY;
        dist[sorted[m - 1]] = f64::INFINITY;
        if !(spread > 0.0 && spread.is_finite()) {
            continue;
        }
        for w in sorted.windows(3) {
            let gap = (v(w[2]) - v(w[0])) / spread;
            // Both neighbours at +inf (so the member too) give NaN: no gap to speak of.
            if !gap.is_nan() {
                dist[w[1]] += gap;
            }
        }
    }
    dist
}

/// Every index, best first: by front, then within a front by crowding distance, largest
/// first, ties by index. Taking the first `k` is NSGA-II's selection: whole fronts while they
/// fit, then the most isolated members of the next.
pub fn order(values: &[Vec<f64>]) -> Vec<usize> {
    let mut out = Vec::with_capacity(values.len());
    for front in fronts(values) {
        let dist = crowding(values, &front);
        let mut pos: Vec<usize> = (0..front.len()).collect();
        pos.sort_by(|&p, &q| dist[q].total_cmp(&dist[p]).then(front[p].cmp(&front[q])));
        out.extend(pos.into_iter().map(|p| front[p]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Front 0 is 0..=3 (objective 1 rising, objective 2 falling); 4 is dominated by 1 only,
    /// 5 by 2 and by 4.
    fn six() -> Vec<Vec<f64>> {
        vec![
            vec![1.0, 9.0],
            vec![2.0, 6.0],
            vec![4.0, 5.0],
            vec![7.0, 1.0],
            vec![3.0, 8.0],
            vec![8.0, 8.0],
        ]
    }

    #[test]
    fn six_points_by_hand() {
        let v = six();
        assert_eq!(fronts(&v), vec![vec![0, 1, 2, 3], vec![4], vec![5]]);
        // Point 1: (4 - 1) / 6 + (9 - 5) / 8 = 1; point 2: (7 - 2) / 6 + (6 - 1) / 8.
        let c = crowding(&v, &[0, 1, 2, 3]);
        assert_eq!(c[0], f64::INFINITY);
        assert_eq!(c[3], f64::INFINITY);
        assert!((c[1] - 1.0).abs() < 1e-12, "{c:?}");
        assert!((c[2] - (5.0 / 6.0 + 5.0 / 8.0)).abs() < 1e-12, "{c:?}");
        assert_eq!(order(&v), vec![0, 3, 2, 1, 4, 5]);
    }

    #[test]
    fn small_fronts_and_flat_objectives() {
        let v = vec![vec![0.0, 1.0], vec![1.0, 0.0], vec![2.0, 2.0]];
        assert_eq!(crowding(&v, &[0, 1]), vec![f64::INFINITY; 2]);
        assert_eq!(crowding(&v, &[2]), vec![f64::INFINITY]);
        // The second objective has no spread and adds nothing; the first gives (2 - 0) / 2.
        let flat = vec![vec![0.0, 3.0], vec![1.0, 3.0], vec![2.0, 3.0]];
        assert_eq!(
            crowding(&flat, &[0, 1, 2]),
            vec![f64::INFINITY, 1.0, f64::INFINITY]
        );
    }

    #[test]
    fn non_finite_values_are_the_worst() {
        assert!(!dominates(&[1.0, f64::NAN], &[1.0, 2.0]));
        assert!(dominates(&[1.0, 2.0], &[1.0, f64::NAN]));
        assert!(dominates(&[1.0, 2.0], &[1.0, f64::NEG_INFINITY]));
        assert!(!dominates(&[f64::NAN, f64::NAN], &[f64::NAN, f64::NAN]));
        assert!(!dominates(&[f64::NAN, 0.0], &[f64::INFINITY, 0.0]));
        let v = vec![vec![f64::NAN, 0.0], vec![0.0, 0.0], vec![1.0, f64::NAN]];
        assert_eq!(fronts(&v), vec![vec![1], vec![0, 2]]);
    }

    #[test]
    fn identical_points_share_the_first_front() {
        let v = vec![
            vec![1.0, 2.0],
            vec![1.0, 2.0],
            vec![0.5, 3.0],
            vec![2.0, 2.5],
        ];
        assert!(!dominates(&v[0], &v[1]) && !dominates(&v[1], &v[0]));
        assert_eq!(fronts(&v), vec![vec![0, 1, 2], vec![3]]);
        assert_eq!(order(&v)[3], 3);
    }

    #[test]
    fn fronts_cover_every_index_once_and_respect_dominance() {
        // A deterministic scatter, including a long chain of dominated points.
        let v: Vec<Vec<f64>> = (0..60)
            .map(|i| {
                let t = i as f64;
                vec![((t * 7.3).sin() + 1.0) * 3.0, ((t * 3.1).cos() + 1.0) * 2.0]
            })
            .chain((0..10).map(|i| vec![10.0 + i as f64, 10.0 + i as f64]))
            .collect();
        let f = fronts(&v);
        let mut rank = vec![usize::MAX; v.len()];
        for (r, front) in f.iter().enumerate() {
            assert!(front.windows(2).all(|w| w[0] < w[1]));
            for &i in front {
                assert_eq!(rank[i], usize::MAX);
                rank[i] = r;
            }
        }
        for i in 0..v.len() {
            for j in 0..v.len() {
                if dominates(&v[i], &v[j]) {
                    assert!(rank[i] < rank[j]);
                }
            }
            if rank[i] > 0 {
                assert!((0..v.len()).any(|j| rank[j] == rank[i] - 1 && dominates(&v[j], &v[i])));
            }
        }
        let mut o = order(&v);
        o.sort();
        assert_eq!(o, (0..v.len()).collect::<Vec<_>>());
    }
}
