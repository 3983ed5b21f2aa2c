//! "Did you mean" for misspelt keys and values, so a typo costs one re-run, not a hunt.

/// Common short spellings from other tools that are too far from ours for edit distance.
const ALIASES: [(&str, &str); 5] = [
    ("lr", "learning_rate"),
    ("bs", "batch_size"),
    ("batch", "batch_size"),
    ("hidden", "n_dense"),
    ("units", "n_dense"),
];

/// The candidate the user most plausibly meant, or `None` when nothing is close enough to
/// be worth suggesting (a wrong guess is worse than a list of valid keys).
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_lowercase();
    if let Some(hit) = candidates.iter().find(|c| c.eq_ignore_ascii_case(&lower)) {
        return Some(hit);
    }
    if let Some((_, target)) = ALIASES.iter().find(|(alias, _)| *alias == lower)
        && let Some(hit) = candidates.iter().find(|c| *c == target)
    {
        return Some(hit);
    }
    let mut best: Option<(usize, &'a str)> = None;
    for &candidate in candidates {
        let distance = edit_distance(&lower, candidate);
        let longest = lower.chars().count().max(candidate.chars().count());
        // Allow roughly one edit per three characters: "lamda" → "lambda", but "x" ↛ "seed".
        let close = distance <= 3 && distance * 3 <= longest;
        if close && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    if best.is_none() && lower.chars().count() >= 4 {
        // A truncated key ("learning", "val") is a prefix of the intended one.
        return candidates.iter().copied().find(|c| c.starts_with(&lower));
    }
    best.map(|(_, c)| c)
}

/// Optimal-string-alignment distance: Levenshtein plus adjacent swaps, because swapped
/// letters ("epohcs") are among the most common typos and should cost one edit, not two.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

/// The tail of an "unknown ..." message: a suggestion when one is close, else the full list.
pub(crate) fn hint(word: &str, candidates: &[&str]) -> String {
    match closest(word, candidates) {
        Some(c) => format!("did you mean \"{c}\"?"),
        None => format!("valid: {}", candidates.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 5] = ["lambda", "n_dense", "epochs", "seed", "learning_rate"];

    #[test]
    fn distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("lamda", "lambda"), 1);
        assert_eq!(edit_distance("lamdba", "lambda"), 1);
        assert_eq!(edit_distance("epohcs", "epochs"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(closest("lamda", &KEYS), Some("lambda"));
        assert_eq!(closest("Lambda", &KEYS), Some("lambda"));
        assert_eq!(closest("ephocs", &KEYS), Some("epochs"));
        assert_eq!(closest("lr", &KEYS), Some("learning_rate"));
        assert_eq!(closest("learning", &KEYS), Some("learning_rate"));
        assert_eq!(closest("x", &KEYS), None);
        assert_eq!(closest("momentum", &KEYS), None);
    }

    #[test]
    fn hint_lists_everything_when_nothing_is_close() {
        assert_eq!(hint("lamda", &KEYS), "did you mean \"lambda\"?");
        assert!(hint("zzz", &KEYS).contains("learning_rate"));
    }
}
