//! The filter's text in the detail pane: where a row says it (case-insensitively, for the
//! highlight), which rows do (for `n` and `N`), and which tab shows the field a search found
//! it in.

use crate::model::TextField;
use crate::ui::state::detail::Tab;
use ratatui::text::{Line, Text};
use std::ops::Range;

/// The byte ranges of `hay` that read as `lower` (a lowercased text), in any case.
#[must_use]
pub fn find_ci(hay: &str, lower: &str) -> Vec<Range<usize>> {
    let want: Vec<char> = lower.chars().collect();
    if want.is_empty() {
        return Vec::new();
    }
    let chars: Vec<(usize, char)> = hay.char_indices().collect();
    let fold = |c: char| c.to_lowercase().next().unwrap_or(c);
    let mut out = Vec::new();
    let mut i = 0;
    while i + want.len() <= chars.len() {
        if chars[i..i + want.len()]
            .iter()
            .zip(&want)
            .all(|(&(_, h), &w)| fold(h) == w)
        {
            let end = chars.get(i + want.len()).map_or(hay.len(), |&(at, _)| at);
            out.push(chars[i].0..end);
            i += want.len();
        } else {
            i += 1;
        }
    }
    out
}

/// A row's text, its spans joined.
#[must_use]
pub fn row_text(line: &Line<'_>) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

/// The rows of `text` that say `lower`.
#[must_use]
pub fn rows_with(text: &Text<'_>, lower: &str) -> Vec<usize> {
    text.lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !find_ci(&row_text(l), lower).is_empty())
        .map(|(i, _)| i)
        .collect()
}

/// The tab that shows a field: inputs and the prompt on the first, outputs and the response on
/// the second.
#[must_use]
pub fn tab_of(field: &TextField) -> Tab {
    match field {
        TextField::Prompt | TextField::Inputs | TextField::Name => Tab::Prompt,
        TextField::Response | TextField::Outputs => Tab::Response,
        TextField::Error => Tab::Error,
        TextField::Attribute(_) => Tab::Attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_found_in_any_case_and_not_twice_over_itself() {
        let hay = "Rate limit: RATE LIMIT, rate-limit";
        let found: Vec<&str> = find_ci(hay, "rate limit")
            .into_iter()
            .map(|r| &hay[r])
            .collect();
        assert_eq!(found, ["Rate limit", "RATE LIMIT"]);
        assert_eq!(find_ci("aaaa", "aa"), [0..2, 2..4]);
        assert!(find_ci("abc", "").is_empty());
        // ranges are on character boundaries
        let hay = "Zürich ZÜRICH";
        let found: Vec<&str> = find_ci(hay, "zürich")
            .into_iter()
            .map(|r| &hay[r])
            .collect();
        assert_eq!(found, ["Zürich", "ZÜRICH"]);
    }

    #[test]
    fn rows_that_say_it() {
        let text = Text::from(vec![
            Line::raw("the answer"),
            Line::raw("nothing"),
            Line::from(vec!["a ".into(), "Refund".into()]),
        ]);
        assert_eq!(rows_with(&text, "refund"), [2]);
        assert_eq!(rows_with(&text, "answer"), [0]);
    }
}
