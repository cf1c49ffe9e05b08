//! Fuzzy matching of bare words against names (skim's algorithm), with match positions for
//! highlighting.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

/// A fuzzy matcher; smart case (a pattern with an upper-case letter matches case-sensitively).
pub struct Fuzzy {
    matcher: SkimMatcherV2,
}

impl Default for Fuzzy {
    fn default() -> Self {
        Fuzzy {
            matcher: SkimMatcherV2::default().smart_case(),
        }
    }
}

impl Fuzzy {
    #[must_use]
    pub fn score(&self, text: &str, pattern: &str) -> Option<i64> {
        self.matcher.fuzzy_match(text, pattern)
    }

    #[must_use]
    pub fn matches(&self, text: &str, pattern: &str) -> bool {
        self.score(text, pattern).is_some()
    }

    /// Char positions of `text` that the pattern matched.
    #[must_use]
    pub fn indices(&self, text: &str, pattern: &str) -> Option<Vec<usize>> {
        self.matcher
            .fuzzy_indices(text, pattern)
            .map(|(_, idx)| idx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_subsequences() {
        let f = Fuzzy::default();
        assert!(f.matches("MultiHopRAG.forward", "mhrag"));
        assert!(f.matches("Retrieve.forward", "retri"));
        assert!(!f.matches("Predict.forward", "retri"));
        assert_eq!(f.indices("abc", "ac"), Some(vec![0, 2]));
    }
}
