//! Glob patterns compiled once at load time.
//!
//! `*` matches any run of characters, `?` one character, `[abc]`/`[!abc]` a class. A pattern
//! without any of these is compared as a plain string, which is the common case (`kube-system`,
//! `ghcr.io`) and costs nothing. Path-aware patterns (image repositories) do not let `*` or
//! `?` cross a `/`; `**` as a whole component matches any depth there.

use glob::MatchOptions;

/// A compiled glob pattern, kept with its text for messages.
#[derive(Clone, Debug)]
pub(crate) struct Glob {
    text: Box<str>,
    /// `None` for a literal pattern, compared with `==`.
    pattern: Option<glob::Pattern>,
    path_aware: bool,
}

// === impl Glob ===

impl Glob {
    /// A pattern where `*` matches anything, `/` included (namespaces, registries, keys).
    pub(crate) fn new(text: &str) -> Result<Self, String> {
        Self::compile(text, false)
    }

    /// A pattern where `*` stops at `/` and `**` spans components (image repositories).
    pub(crate) fn path(text: &str) -> Result<Self, String> {
        Self::compile(text, true)
    }

    fn compile(text: &str, path_aware: bool) -> Result<Self, String> {
        if text.is_empty() {
            return Err("must not be empty".to_owned());
        }
        let pattern = if text.contains(['*', '?', '[', ']']) {
            Some(
                glob::Pattern::new(text)
                    .map_err(|e| format!("invalid glob pattern {text:?}: {}", e.msg))?,
            )
        } else {
            None
        };
        Ok(Self {
            text: text.into(),
            pattern,
            path_aware,
        })
    }

    /// True when `s` matches the whole pattern.
    pub(crate) fn matches(&self, s: &str) -> bool {
        match &self.pattern {
            None => *self.text == *s,
            Some(p) => p.matches_with(
                s,
                MatchOptions {
                    case_sensitive: true,
                    require_literal_separator: self.path_aware,
                    require_literal_leading_dot: false,
                },
            ),
        }
    }

    /// The pattern as written (after normalisation, where the caller normalised it).
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }
}

/// Joins pattern texts for an "allowed: ..." message.
pub(crate) fn describe(globs: &[Glob]) -> String {
    globs
        .iter()
        .map(Glob::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_patterns_compare_exactly() {
        let g = Glob::new("kube-system").expect("valid");
        assert!(g.matches("kube-system"));
        assert!(!g.matches("kube-system2"));
    }

    #[test]
    fn star_matches_any_suffix() {
        let g = Glob::new("team-*").expect("valid");
        assert!(g.matches("team-a"));
        assert!(g.matches("team-"));
        assert!(!g.matches("teams"));
    }

    #[test]
    fn path_patterns_stop_at_slash_unless_double_star() {
        let one = Glob::path("ghcr.io/acme/*").expect("valid");
        assert!(one.matches("ghcr.io/acme/agent"));
        assert!(!one.matches("ghcr.io/acme/team/agent"));
        assert!(!one.matches("ghcr.io/acme-evil/agent"));
        let deep = Glob::path("ghcr.io/acme/**").expect("valid");
        assert!(deep.matches("ghcr.io/acme/team/agent"));
        assert!(!deep.matches("ghcr.io/other/agent"));
    }

    #[test]
    fn rejects_bad_patterns() {
        assert!(Glob::new("[").is_err());
        assert!(Glob::new("").is_err());
        assert!(Glob::path("a/b**").is_err());
    }
}
