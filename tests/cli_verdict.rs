//! The cluster's verdict offline, and messages in Kubernetes' words: lowerCamelCase keys are
//! unknown fields (the CRD schema knows only snake_case) unless `--camel-case` migrates them;
//! types, repeated keys and YAML errors are named without Rust; everything the CLI accepts,
//! and everything `default` makes of it, passes the CRD's structural schema.

use crate::cli_support;

use cli_support::{example_text, repo, run, run_in, run_stdin, tree};
use kds_webhook::manifest::{parse_documents, schema};

const CAMEL: &str = "apiVersion: kubernetes.project-planton.org/v1
kind: KubernetesDaemonSet
metadata:
  name: camel
spec:
  namespace: {value: agents}
  createNamespace: true
  container:
    app:
      image: {repo: nginx, tag: \"1.27\"}
      ports:
        - name: web
          containerPort: 80
          networkProtocol: TCP
";

#[test]
fn camel_case_keys_are_unknown_fields_naming_the_snake_case_spelling() {
    let r = run_stdin(&["validate", "-f", "-"], CAMEL);
    assert_eq!(r.code, 1, "the cluster refuses these keys: {}", r.stdout);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[1].starts_with(
            "<stdin>:13:11: KubernetesDaemonSet/camel: spec.container.app.ports[0].containerPort: Forbidden: unknown field \"spec.container.app.ports[0].containerPort\"; this field is spelled container_port"
        ),
        "{}",
        r.stdout
    );
    assert!(
        lines[2].contains("networkProtocol: Forbidden"),
        "{}",
        r.stdout
    );
    assert!(
        lines[0].starts_with("<stdin>:7:3: KubernetesDaemonSet/camel: spec.createNamespace: Forbidden: unknown field \"spec.createNamespace\"; this field is spelled create_namespace"),
        "{}",
        r.stdout
    );
}

#[test]
fn camel_case_migration_is_explicit_and_warns() {
    let r = run_stdin(&["validate", "--camel-case", "-f", "-"], CAMEL);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("<stdin>:7:20: KubernetesDaemonSet/camel: warning: spec.createNamespace: read as create_namespace (--camel-case)"),
        "{}",
        r.stdout
    );
    // What the migration prints is snake_case, and the cluster's schema accepts it.
    let d = run_stdin(&["default", "--camel-case", "-f", "-"], CAMEL);
    assert_eq!(d.code, 0, "{}", d.stderr);
    let docs = parse_documents(&d.stdout).expect("yaml");
    assert_eq!(docs[0]["spec"]["create_namespace"], true);
    assert!(
        schema::check(&docs[0]).is_empty(),
        "{}",
        schema::check(&docs[0])
    );
}

#[test]
fn unknown_field_hints_offer_only_snake_case() {
    let text =
        example_text("cni-agent").replace("  container:\n", "  container:\n    colour: red\n");
    let r = run_stdin(&["validate", "-f", "-"], &text);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("unknown field \"spec.container.colour\"; known fields here: app, sidecars"),
        "{}",
        r.stdout
    );
}

#[test]
fn types_repeated_keys_and_yaml_errors_in_kubernetes_words() {
    let text =
        example_text("fluentd-logger").replace("spec:\n", "spec:\n  min_ready_seconds: twenty\n");
    let r = run_stdin(&["validate", "-f", "-"], &text);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("spec.min_ready_seconds: Invalid value: \"string\": spec.min_ready_seconds in body must be of type integer: \"string\""), "{}", r.stdout);

    let dup = "apiVersion: kubernetes.project-planton.org/v1\nkind: KubernetesDaemonSet\nmetadata:\n  name: a\n  name: b\nspec: {}\n";
    let r = run_stdin(&["validate", "-f", "-"], dup);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout.lines().next(),
        Some(
            "<stdin>:5:3: error parsing YAML: metadata.name: Duplicate value: key \"name\" already set in map (first at line 4)"
        )
    );

    for out in [
        &r.stdout,
        &run_stdin(&["validate", "-f", "-"], "a: [1\n").stdout,
    ] {
        for rust in [
            "DuplicateKeyPolicy",
            "expected i32",
            "invalid type",
            "error: line",
            "-:",
        ] {
            assert!(!out.contains(rust), "{rust:?} in {out}");
        }
    }
}

#[test]
fn everything_the_cli_accepts_passes_the_crd_schema() {
    let mut accepted = Vec::new();
    for entry in std::fs::read_dir(repo("examples")).expect("examples") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "yaml") {
            accepted.push(p);
        }
    }
    accepted.push(repo("tests/fixtures/specs/seed-fluentd.yaml"));
    accepted.sort();
    assert!(accepted.len() >= 6);
    for p in &accepted {
        let f = p.display().to_string();
        let v = run(&["validate", "-f", &f]);
        assert_eq!(v.code, 0, "{f}: {}", v.stdout);
        let d = run(&["default", "-f", &f]);
        assert_eq!(d.code, 0, "{f}: {}", d.stderr);
        let written = parse_documents(&std::fs::read_to_string(p).expect("read")).expect("yaml");
        let defaulted = parse_documents(&d.stdout).expect("yaml");
        for doc in written.iter().chain(&defaulted) {
            assert!(crd_structural_ok(doc), "{f}: {doc}");
        }
    }
}

/// An independent reading of the CRD's structural schema (not the CLI's walker): every key
/// of an object with `properties` is declared, every value has the declared type.
fn crd_structural_ok(doc: &serde_json::Value) -> bool {
    let crd = kds_webhook::crd::crd_value();
    let root = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"];
    ["spec", "status"]
        .iter()
        .all(|k| doc.get(*k).is_none_or(|v| conforms(v, &root[*k])))
}

fn conforms(v: &serde_json::Value, s: &serde_json::Value) -> bool {
    use serde_json::Value;
    if v.is_null() || s["x-kubernetes-preserve-unknown-fields"] == true {
        return true;
    }
    if s["x-kubernetes-int-or-string"] == true {
        return v.is_string() || v.is_i64() || v.is_u64();
    }
    match (s["type"].as_str(), v) {
        (Some("object"), Value::Object(m)) => m.iter().all(|(k, child)| {
            if let Some(ap) = s.get("additionalProperties").filter(|a| a.is_object()) {
                conforms(child, ap)
            } else {
                s["properties"].get(k).is_some_and(|cs| conforms(child, cs))
            }
        }),
        (Some("array"), Value::Array(items)) => items.iter().all(|i| conforms(i, &s["items"])),
        (Some("string"), v) => v.is_string(),
        (Some("boolean"), v) => v.is_boolean(),
        (Some("integer"), v) => v.is_i64() || v.is_u64(),
        (Some("number"), v) => v.is_number(),
        (None, _) => true,
        _ => false,
    }
}

#[test]
fn a_directory_the_cli_accepts_also_passes_the_schema_check() {
    // The same property through the binary: a tree of every example is valid as a whole.
    let files: Vec<(String, String)> = [
        "cni-agent",
        "fluentd-logger",
        "log-shipper",
        "node-exporter",
        "security-agent",
    ]
    .iter()
    .map(|n| (format!("{n}.yaml"), example_text(n)))
    .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = tree(&refs);
    let r = run_in(Some(dir.path()), &["validate", "-f", ".", "--summary"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.stdout, "5 document(s) checked: 5 valid, 0 invalid\n");
}
