//! `validate -o text|json|junit|github`, `--quiet` and `--summary` through the binary: the
//! JSON shape the README documents, JUnit that an XML parser reads with consistent counts,
//! GitHub annotations on the offending line, and the same bytes on every run.

use crate::cli_support;

use cli_support::{invalid_manifest, manifest, run_in, tree};
use serde_json::Value;

fn fixture() -> tempfile::TempDir {
    tree(&[
        ("a-good.yaml", &manifest("good")),
        ("b-bad.yaml", &invalid_manifest("bad")),
        (
            "c-two.yaml",
            &format!("{}---\n{}", manifest("one"), invalid_manifest("two")),
        ),
    ])
}

fn validate(dir: &tempfile::TempDir, extra: &[&str]) -> cli_support::Run {
    let mut args = vec!["validate", "-f", "."];
    args.extend_from_slice(extra);
    run_in(Some(dir.path()), &args)
}

#[test]
fn json_has_the_documented_shape() {
    let dir = fixture();
    let r = validate(&dir, &["-o", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
    let v: Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    assert_eq!(
        v["summary"],
        serde_json::json!({"documents": 4, "valid": 2, "invalid": 2, "unreadable": 0})
    );
    let resources = v["resources"].as_array().expect("resources");
    assert_eq!(resources.len(), 4);
    for r in resources {
        let keys: Vec<&str> = r
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        for k in ["file", "object", "status", "errors", "warnings"] {
            assert!(keys.contains(&k), "{k} in {r}");
        }
        assert!(["valid", "invalid"].contains(&r["status"].as_str().expect("status")));
    }
    let bad = &resources[1];
    assert_eq!(bad["file"], "./b-bad.yaml");
    assert_eq!(bad["object"], "KubernetesDaemonSet/bad");
    let e = &bad["errors"][0];
    assert_eq!(e["field"], "spec.container.app.ports[0].container_port");
    assert_eq!(e["type"], "FieldValueInvalid");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(13), Some(27))
    );
    assert!(
        e["message"]
            .as_str()
            .expect("message")
            .contains("must be of type integer")
    );
    // The second document of a file starts on its own line.
    assert_eq!(resources[3]["line"], 14);
}

#[test]
fn junit_is_xml_with_one_testcase_per_document() {
    let dir = fixture();
    let r = validate(&dir, &["-o", "junit"]);
    assert_eq!(r.code, 1);
    let xml = roxmltree::Document::parse(&r.stdout).expect("well-formed XML");
    let root = xml.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(
        (
            root.attribute("tests"),
            root.attribute("failures"),
            root.attribute("errors")
        ),
        (Some("4"), Some("2"), Some("0"))
    );
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 3, "one suite per file");
    let mut cases = 0;
    for s in &suites {
        assert_eq!(s.tag_name().name(), "testsuite");
        let n = s.children().filter(|c| c.has_tag_name("testcase")).count();
        assert_eq!(s.attribute("tests"), Some(n.to_string().as_str()));
        cases += n;
    }
    assert_eq!(cases, 4);
    let failures: Vec<_> = xml
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 2);
    assert!(
        failures
            .iter()
            .all(|f| f.attribute("type") == Some("FieldValueInvalid"))
    );
}

#[test]
fn github_annotations_point_at_the_line() {
    let dir = fixture();
    let r = validate(&dir, &["-o", "github"]);
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(
        lines[0].starts_with("::error file=./b-bad.yaml,line=13,col=27,title=KubernetesDaemonSet/bad::spec.container.app.ports[0].container_port: Invalid value"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(
            "::error file=./c-two.yaml,line=26,col=27,title=KubernetesDaemonSet/two::"
        ),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[2],
        "::notice title=kds-webhook validate::4 document(s) checked: 2 valid, 2 invalid"
    );
    let quiet = validate(&dir, &["-o", "github", "--quiet"]);
    assert_eq!(quiet.stdout.lines().count(), 2);
}

#[test]
fn quiet_and_summary() {
    let dir = fixture();
    let quiet = validate(&dir, &["-q"]);
    assert_eq!(
        quiet.stdout.lines().count(),
        2,
        "errors only: {}",
        quiet.stdout
    );
    let summary = validate(&dir, &["--summary"]);
    assert_eq!(
        summary.stdout,
        "4 document(s) checked: 2 valid, 2 invalid\n"
    );
    assert_eq!(
        validate(&dir, &["-q", "--summary"]).code,
        2,
        "they conflict"
    );
}

#[test]
fn output_is_the_same_on_every_run() {
    let dir = fixture();
    for format in ["text", "json", "junit", "github"] {
        let a = validate(&dir, &["-o", format]);
        let b = validate(&dir, &["-o", format]);
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
}
