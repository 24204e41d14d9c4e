//! Golden files: the full `render` output, the `default --patch` output and the warnings of
//! every example.
//!
//! The goldens are the contract for what each example deploys; review them by eye when they
//! change. Regenerate them with:
//!
//!     UPDATE_GOLDEN=1 cargo test --test integration expansion::
//!
//! Comparison is semantic (both sides parsed to JSON), so formatting does not matter.

use std::path::{Path, PathBuf};

use assert_json_diff::assert_json_eq;
use kds_webhook::{engine, manifest, yaml};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `examples/*.yaml` (not `examples/policies/`), sorted.
fn examples() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    out.sort();
    out
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .and_then(|s| s.to_str())
        .expect("utf-8 name")
        .to_owned()
}

/// What `render` and `default --patch` print for one example, as JSON, and the warnings
/// `validate` prints for it (one string each).
fn expand_example(path: &Path) -> (Value, Value, Value) {
    let text = std::fs::read_to_string(path).expect("read example");
    let mut objects = Vec::new();
    let mut patches = Vec::new();
    let mut warnings = Vec::new();
    for doc in manifest::load(&text).expect("parses") {
        let kds = doc.decoded.expect("decodes");
        let checked = engine::check(kds, None);
        assert!(checked.is_valid(), "{}: {}", path.display(), checked.errors);
        warnings.extend(checked.warnings.iter().map(|w| Value::from(w.to_string())));
        objects.extend(engine::render(&checked).expect("expands").objects());
        let defaulted = manifest::to_value(&checked.defaulted);
        patches.push(serde_json::to_value(json_patch::diff(&doc.raw, &defaulted)).expect("json"));
    }
    let patch = if patches.len() == 1 {
        patches.remove(0)
    } else {
        Value::Array(patches)
    };
    (Value::Array(objects), patch, Value::Array(warnings))
}

fn check_or_update(path: &Path, actual: &Value, write: impl Fn(&Value) -> String) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, write(actual)).expect("write golden");
        return;
    }
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run UPDATE_GOLDEN=1 cargo test --test integration expansion::",
            path.display()
        )
    });
    let expected = if path.extension().is_some_and(|x| x == "json") {
        serde_json::from_str(&text).expect("golden JSON")
    } else {
        Value::Array(manifest::parse_documents(&text).expect("golden YAML"))
    };
    assert_json_eq!(actual.clone(), expected);
}

#[test]
fn every_example_matches_its_golden_render_and_patch() {
    let golden = root().join("tests/fixtures/golden");
    let examples = examples();
    assert!(examples.len() >= 5, "{examples:?}");
    for example in examples {
        let name = stem(&example);
        let (objects, patch, warnings) = expand_example(&example);
        check_or_update(&golden.join(format!("{name}.yaml")), &objects, |v| {
            yaml::to_yaml_stream(v.as_array().expect("objects")).expect("yaml")
        });
        check_or_update(&golden.join(format!("{name}.patch.json")), &patch, |v| {
            serde_json::to_string_pretty(v).expect("json") + "\n"
        });
        check_or_update(
            &golden.join(format!("{name}.warnings.json")),
            &warnings,
            |v| serde_json::to_string_pretty(v).expect("json") + "\n",
        );
    }
}

#[test]
fn every_golden_belongs_to_an_example() {
    let names: Vec<String> = examples().iter().map(|p| stem(p)).collect();
    for entry in std::fs::read_dir(root().join("tests/fixtures/golden")).expect("golden/") {
        let file = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if file == "README.md" {
            continue;
        }
        let name = file
            .strip_suffix(".patch.json")
            .or_else(|| file.strip_suffix(".warnings.json"))
            .or_else(|| file.strip_suffix(".yaml"))
            .unwrap_or(&file);
        assert!(names.iter().any(|n| n == name), "stale golden {file}");
    }
}

#[test]
fn the_fluentd_example_is_the_seed_as_written() {
    let example =
        std::fs::read_to_string(root().join("examples/fluentd-logger.yaml")).expect("example");
    let seed = std::fs::read_to_string(root().join("tests/fixtures/specs/seed-fluentd.yaml"))
        .expect("seed");
    assert_eq!(example, seed);
}

#[test]
fn every_rendered_daemonset_selects_its_own_pods() {
    for example in examples() {
        let (objects, _, _) = expand_example(&example);
        let ds = objects
            .as_array()
            .and_then(|o| o.last())
            .expect("a DaemonSet last");
        assert_eq!(ds["kind"], "DaemonSet");
        let labels = &ds["spec"]["template"]["metadata"]["labels"];
        for (k, v) in ds["spec"]["selector"]["matchLabels"]
            .as_object()
            .expect("matchLabels")
        {
            assert_eq!(&labels[k], v, "{}: {k}", example.display());
        }
    }
}
