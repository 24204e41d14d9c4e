//! Which gates apply in which namespace.
//!
//! `namespaces` entries are tried in file order and the first whose `match` has a pattern
//! matching the object's namespace wins: it either exempts the namespace from every gate or
//! supplies its own gates (the defaults with the entry's overrides merged in, compiled at load
//! time). A namespace no entry matches gets the defaults.

use super::gates::Gates;
use super::pattern::Glob;

/// A compiled policy: the default gates and the namespace entries, in file order.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    pub(crate) defaults: Gates,
    pub(crate) rules: Vec<Rule>,
}

/// One compiled `namespaces` entry.
#[derive(Debug)]
pub(crate) struct Rule {
    pub(crate) patterns: Vec<Glob>,
    pub(crate) action: Action,
}

/// What a matching entry does.
#[derive(Debug)]
pub(crate) enum Action {
    /// No gates at all.
    Exempt,
    /// These gates instead of the defaults.
    Gates(Box<Gates>),
}

/// Which part of the policy governs a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeMatch {
    /// No `namespaces` entry matched: the `defaults` apply.
    Defaults,
    /// `namespaces[index]` matched (the first one that did).
    Namespace {
        /// The entry's position in the file's `namespaces` list.
        index: usize,
        /// True when the entry exempts the namespace from every gate.
        exempt: bool,
    },
}

impl Compiled {
    /// The first entry matching `namespace`, if any, with its position.
    fn rule_for(&self, namespace: &str) -> Option<(usize, &Rule)> {
        self.rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.patterns.iter().any(|p| p.matches(namespace)))
    }

    /// The gates for `namespace`, or `None` when it is exempt.
    pub(crate) fn gates_for(&self, namespace: &str) -> Option<&Gates> {
        match self.rule_for(namespace) {
            None => Some(&self.defaults),
            Some((_, r)) => match &r.action {
                Action::Exempt => None,
                Action::Gates(g) => Some(g),
            },
        }
    }

    /// Which part of the policy governs `namespace`.
    pub(crate) fn scope(&self, namespace: &str) -> ScopeMatch {
        match self.rule_for(namespace) {
            None => ScopeMatch::Defaults,
            Some((index, r)) => ScopeMatch::Namespace {
                index,
                exempt: matches!(r.action, Action::Exempt),
            },
        }
    }
}
