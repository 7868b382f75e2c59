//! "Did you mean" suggestions for misspelt names, shared by validation, expressions and forms.

/// The candidate closest to `name`, when it is close enough to be a plausible typo.
///
/// Closeness is the Damerau-Levenshtein distance, allowed to grow with the length of the name
/// (one edit for short names, about a third of the length for longer ones), so that `aproved`
/// suggests `approved` but `x` never suggests `amount`.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let allowed = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|candidate| *candidate != name)
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// `unknown <kind> "<name>"`, followed by ` (did you mean "<x>"?)` when a candidate is close.
pub(crate) fn unknown<'a>(
    kind: &str,
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    match suggest(name, candidates) {
        Some(best) => format!("unknown {kind} \"{name}\" (did you mean \"{best}\"?)"),
        None => format!("unknown {kind} \"{name}\""),
    }
}
