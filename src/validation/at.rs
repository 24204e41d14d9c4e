//! Paths rendered only when an error needs them.
//!
//! A list of hundreds of env variables must not cost hundreds of `format!`s when all of them
//! are valid: checks carry an [`At`] (a parent path plus one step, both borrowed) and render it
//! into a [`FieldPath`] only on the error branch.

use super::field::FieldPath;

/// One step below a parent path.
#[derive(Clone, Copy, Debug)]
enum Step<'a> {
    Child(&'a str),
    Index(usize),
    Key(&'a str),
}

/// A path not yet rendered: `parent` plus one step.
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    parent: &'a FieldPath,
    step: Step<'a>,
}

// === impl At ===

impl<'a> At<'a> {
    /// `parent.name`.
    pub fn child(parent: &'a FieldPath, name: &'a str) -> Self {
        Self {
            parent,
            step: Step::Child(name),
        }
    }

    /// `parent[i]`.
    pub fn index(parent: &'a FieldPath, i: usize) -> Self {
        Self {
            parent,
            step: Step::Index(i),
        }
    }

    /// `parent[key]`.
    pub fn key(parent: &'a FieldPath, key: &'a str) -> Self {
        Self {
            parent,
            step: Step::Key(key),
        }
    }

    /// The rendered path.
    pub fn path(&self) -> FieldPath {
        match self.step {
            Step::Child(n) => self.parent.child(n),
            Step::Index(i) => self.parent.index(i),
            Step::Key(k) => self.parent.key(k),
        }
    }

    /// The rendered path of a field below this one.
    pub fn field(&self, name: &str) -> FieldPath {
        self.path().child(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_step() {
        let p = FieldPath::root("spec").child("ports");
        assert_eq!(
            At::index(&p, 2).field("name").as_str(),
            "spec.ports[2].name"
        );
        assert_eq!(At::key(&p, "k").path().as_str(), "spec.ports[k]");
        assert_eq!(At::child(&p, "x").path().as_str(), "spec.ports.x");
    }
}
