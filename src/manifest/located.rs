//! YAML text → JSON documents with the line and column of every node, so that an error on
//! `spec.container.app.ports[0].container_port` can point at `FILE:12:27`.
//!
//! serde-saphyr records where each node came from in its `Spanned<T>` wrapper. Parsing into a
//! small tree of `Spanned` nodes and walking it once gives both the `serde_json::Value` the
//! rest of the pipeline reads and a map from field path (rendered as [`FieldPath`] renders it)
//! to position. Repeated keys are reported here, with both positions, in the words `kubectl`
//! uses (`key "name" already set in map`), instead of the parser's own message.
//!
//! [`FieldPath`]: crate::validation::field::FieldPath

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::{DuplicateKeyPolicy, Spanned};

/// A 1-based line and column in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

impl Pos {
    fn of(loc: serde_saphyr::Location) -> Option<Self> {
        (loc.line() > 0).then(|| Self {
            line: u32::try_from(loc.line()).unwrap_or(u32::MAX),
            column: u32::try_from(loc.column()).unwrap_or(u32::MAX),
        })
    }
}

/// Where the nodes of one document are: by rendered field path, the key's and the value's
/// position.
#[derive(Clone, Debug, Default)]
pub struct Positions {
    start: Option<Pos>,
    keys: HashMap<String, Pos>,
    values: HashMap<String, Pos>,
}

impl Positions {
    /// Where the document starts.
    pub fn start(&self) -> Option<Pos> {
        self.start
    }

    /// The positions below `prefix` (for example `items[2]` of a `List`), re-rooted there.
    pub fn under(&self, prefix: &str) -> Positions {
        let strip = |m: &HashMap<String, Pos>| -> HashMap<String, Pos> {
            m.iter()
                .filter_map(|(k, v)| {
                    let rest = k.strip_prefix(prefix)?.strip_prefix('.')?;
                    Some((rest.to_owned(), *v))
                })
                .collect()
        };
        Positions {
            start: self.values.get(prefix).copied().or(self.start),
            keys: strip(&self.keys),
            values: strip(&self.values),
        }
    }

    /// Records the positions of the node at `from` (and below it) also under `to`: a key that
    /// was renamed after parsing is still found where it was written.
    pub fn alias(&mut self, from: &str, to: &str) {
        for m in [&mut self.keys, &mut self.values] {
            let moved: Vec<(String, Pos)> = m
                .iter()
                .filter_map(|(k, v)| {
                    let rest = k.strip_prefix(from)?;
                    (rest.is_empty() || rest.starts_with(['.', '[']))
                        .then(|| (format!("{to}{rest}"), *v))
                })
                .collect();
            m.extend(moved);
        }
    }

    /// The position of the node at `path`, or of its nearest ancestor that was written (a
    /// `Required value` points at the object that lacks the field). With `key`, the position
    /// of the mapping key rather than its value (for unknown and repeated fields).
    pub fn find(&self, path: &str, key: bool) -> Option<Pos> {
        let mut p = path;
        loop {
            let hit = if key {
                self.keys.get(p).or_else(|| self.values.get(p))
            } else {
                self.values.get(p)
            };
            if let Some(pos) = hit {
                return Some(*pos);
            }
            match p.rfind(['.', '[']) {
                Some(i) if i > 0 => p = &p[..i],
                _ => return self.start,
            }
        }
    }
}

/// One parsed document: its JSON value and its positions.
#[derive(Debug)]
pub struct LocatedDoc {
    /// The document, as JSON.
    pub value: Value,
    /// Where its nodes are.
    pub positions: Positions,
}

/// Why YAML text could not be read: the message in Kubernetes' words and where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// Where the problem is, when the parser says.
    pub pos: Option<Pos>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "line {}, column {}: {}", p.line, p.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Parses every YAML document in `text` (empty documents included, as `null`).
pub fn parse(text: &str) -> Result<Vec<LocatedDoc>, YamlError> {
    let options = serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
    };
    let trees: Vec<Spanned<Tree>> =
        serde_saphyr::from_multiple_with_options(text, options).map_err(parser_error)?;
    trees
        .into_iter()
        .map(|t| {
            let mut positions = Positions {
                start: Pos::of(t.referenced),
                ..Positions::default()
            };
            let value = walk(t, String::new(), &mut positions)?;
            Ok(LocatedDoc { value, positions })
        })
        .collect()
}

/// The parser's message without its source excerpt, and without the advice to change a Rust
/// option.
fn parser_error(e: serde_saphyr::Error) -> YamlError {
    let pos = e.location().and_then(Pos::of);
    let text = e.without_snippet().to_string();
    let first = text.lines().next().unwrap_or_default();
    // The location is shown once, by the caller: drop the parser's own "at line X column Y" /
    // "error: line X ..." prefixes and suffixes.
    let message = strip_location(first);
    YamlError { pos, message }
}

fn strip_location(s: &str) -> String {
    let mut s = s.trim();
    for prefix in ["error:", "Error:"] {
        s = s.strip_prefix(prefix).unwrap_or(s).trim();
    }
    if let Some(rest) = s.strip_prefix("line ")
        && let Some((_, msg)) = rest.split_once(':')
        && rest.split_whitespace().next().is_some_and(|n| {
            n.trim_end_matches([',', ':'])
                .chars()
                .all(|c| c.is_ascii_digit())
        })
    {
        s = msg.trim();
    }
    let s = match s.rfind(" at line ") {
        Some(i) => &s[..i],
        None => s,
    };
    s.trim().to_owned()
}

/// A YAML node whose children carry their positions.
enum Tree {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Seq(Vec<Spanned<Tree>>),
    Map(Vec<(Spanned<String>, Spanned<Tree>)>),
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
        Tree::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tree, E> {
        Ok(Tree::Number(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Tree, E> {
        // Beyond 64 bits JSON has no exact integer; keep the digits as a string so the
        // schema check reports the field (as the API server's own decoder would refuse it).
        Ok(Tree::String(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Tree, E> {
        Ok(Tree::String(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Tree, E> {
        Ok(Number::from_f64(v).map_or(Tree::Null, Tree::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Tree::Map(entries))
    }
}

/// Converts a tree to JSON, recording positions under `path` (the rendered path of the node).
fn walk(node: Spanned<Tree>, path: String, out: &mut Positions) -> Result<Value, YamlError> {
    if let Some(p) = Pos::of(node.referenced) {
        out.values.entry(path.clone()).or_insert(p);
    }
    Ok(match node.value {
        Tree::Null => Value::Null,
        Tree::Bool(b) => Value::Bool(b),
        Tree::Number(n) => Value::Number(n),
        Tree::String(s) => Value::String(s),
        Tree::Seq(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| walk(item, format!("{path}[{i}]"), out))
                .collect::<Result<_, _>>()?,
        ),
        Tree::Map(entries) => {
            let mut m = Map::new();
            let mut first: HashMap<String, Option<Pos>> = HashMap::new();
            for (key, value) in entries {
                let key_pos = Pos::of(key.referenced);
                let name = key.value;
                if let Some(earlier) = first.get(&name) {
                    return Err(duplicate(&path, &name, key_pos, *earlier));
                }
                first.insert(name.clone(), key_pos);
                // A map's keys render as `[key]`, a struct's fields as `.field`; which one
                // this is depends on the schema, so both spellings are recorded.
                let dotted = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                let bracketed = format!("{path}[{name}]");
                if let Some(p) = key_pos {
                    out.keys.insert(dotted.clone(), p);
                    out.keys.insert(bracketed.clone(), p);
                }
                if let Some(p) = Pos::of(value.referenced) {
                    out.values.insert(bracketed, p);
                }
                let v = walk(value, dotted, out)?;
                m.insert(name, v);
            }
            Value::Object(m)
        }
    })
}

fn duplicate(path: &str, name: &str, pos: Option<Pos>, earlier: Option<Pos>) -> YamlError {
    let field = if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    };
    let mut message = format!("{field}: Duplicate value: key {name:?} already set in map");
    if let Some(e) = earlier {
        message.push_str(&format!(" (first at line {})", e.line));
    }
    YamlError { pos, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_the_line_and_column_of_every_node() {
        let text = "apiVersion: v1\nspec:\n  container:\n    app:\n      ports:\n        - name: m\n          container_port: eighty\n";
        let docs = parse(text).expect("parses");
        assert_eq!(docs.len(), 1);
        let pos = &docs[0].positions;
        let at = pos
            .find("spec.container.app.ports[0].container_port", false)
            .expect("found");
        assert_eq!((at.line, at.column), (7, 27));
        let key = pos
            .find("spec.container.app.ports[0].container_port", true)
            .expect("found");
        assert_eq!((key.line, key.column), (7, 11));
        // A field that was never written points at its nearest written ancestor.
        let parent = pos
            .find("spec.container.app.image.repo", false)
            .expect("ancestor");
        assert_eq!(parent.line, 5);
        assert_eq!(
            docs[0]
                .value
                .pointer("/spec/container/app/ports/0/container_port"),
            Some(&Value::from("eighty"))
        );
    }

    #[test]
    fn map_keys_are_found_in_both_spellings() {
        let docs = parse("spec:\n  node_selector:\n    kubernetes.io/os: linux\n").expect("yaml");
        let pos = &docs[0].positions;
        assert_eq!(
            pos.find("spec.node_selector[kubernetes.io/os]", false)
                .map(|p| p.line),
            Some(3)
        );
        assert_eq!(
            pos.find("spec.node_selector.kubernetes.io/os", true)
                .map(|p| p.line),
            Some(3)
        );
    }

    #[test]
    fn a_repeated_key_is_named_in_kubectl_words_with_both_lines() {
        let err = parse("metadata:\n  name: a\n  labels: {}\n  name: b\n").expect_err("dup");
        assert_eq!(err.pos.map(|p| p.line), Some(4));
        assert_eq!(
            err.message,
            "metadata.name: Duplicate value: key \"name\" already set in map (first at line 2)"
        );
        assert!(!err.to_string().contains("DuplicateKeyPolicy"), "{err}");
    }

    #[test]
    fn syntax_errors_carry_the_position_once() {
        let err = parse("a: 1\nspec: [unclosed\n").expect_err("bad");
        assert!(err.pos.is_some(), "{err:?}");
        let shown = err.to_string();
        assert_eq!(shown.matches("line").count(), 1, "{shown}");
        assert!(!shown.contains("error:"), "{shown}");
    }

    #[test]
    fn documents_and_scalars_read_as_the_plain_parser_reads_them() {
        let text = "a: 1\nb: true\nc: ~\nd: 1.5\ne: '0777'\n---\n---\n- x\n";
        let located: Vec<Value> = parse(text)
            .expect("yaml")
            .into_iter()
            .map(|d| d.value)
            .collect();
        let plain: Vec<Value> = serde_saphyr::from_multiple(text).expect("yaml");
        assert_eq!(located, plain);
    }
}
