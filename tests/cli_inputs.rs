//! Every input, every time: files, directories, `-R`, globs, `-`; an unreadable path is
//! reported and the rest still checked; no documents at all is an error, as in `kubectl`.

use crate::cli_support;

use cli_support::{invalid_manifest, manifest, run, run_in, run_stdin, tree};

#[test]
fn one_bad_path_hides_nothing() {
    let dir = tree(&[
        ("good.yaml", &manifest("good")),
        ("bad.yaml", &invalid_manifest("bad")),
    ]);
    let r = run_in(
        Some(dir.path()),
        &[
            "validate",
            "-f",
            "good.yaml",
            "-f",
            "bad.yaml",
            "-f",
            "missing.yaml",
        ],
    );
    assert_eq!(r.code, 2, "an unreadable input is the worst outcome");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines,
        vec![
            "bad.yaml:13:27: KubernetesDaemonSet/bad: spec.container.app.ports[0].container_port: Invalid value: \"string\": spec.container.app.ports[0].container_port in body must be of type integer: \"string\"",
            "error: the path \"missing.yaml\" does not exist",
            "2 document(s) checked: 1 valid, 1 invalid, 1 unreadable input(s)",
        ],
        "{}",
        r.stdout
    );
}

#[test]
fn directories_recursion_and_globs() {
    let dir = tree(&[
        ("agents/a.yaml", &manifest("a")),
        ("agents/b.yml", &manifest("b")),
        (
            "agents/c.json",
            r#"{"apiVersion":"kubernetes.project-planton.org/v1","kind":"KubernetesDaemonSet","metadata":{"name":"c"},"spec":{"namespace":{"value":"agents"},"container":{"app":{"image":{"repo":"nginx","tag":"1.27"}}}}}"#,
        ),
        ("agents/README.md", "not a manifest"),
        ("agents/nested/d.yaml", &invalid_manifest("d")),
    ]);
    let here = Some(dir.path());
    let flat = run_in(here, &["validate", "-f", "agents", "-o", "json"]);
    assert_eq!(flat.code, 0, "{}", flat.stdout);
    let v: serde_json::Value = serde_json::from_str(&flat.stdout).expect("json");
    let objects: Vec<&str> = v["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["object"].as_str())
        .collect();
    assert_eq!(
        objects,
        vec![
            "KubernetesDaemonSet/a",
            "KubernetesDaemonSet/b",
            "KubernetesDaemonSet/c"
        ]
    );

    let deep = run_in(here, &["validate", "-R", "-f", "agents"]);
    assert_eq!(deep.code, 1, "{}", deep.stdout);
    assert!(
        deep.stdout
            .starts_with("agents/nested/d.yaml:13:27: KubernetesDaemonSet/d: "),
        "{}",
        deep.stdout
    );
    assert!(
        deep.stdout
            .ends_with("4 document(s) checked: 3 valid, 1 invalid\n"),
        "{}",
        deep.stdout
    );

    let glob = run_in(here, &["validate", "-f", "agents/*.y*ml", "--summary"]);
    assert_eq!(glob.code, 0);
    assert_eq!(glob.stdout, "2 document(s) checked: 2 valid, 0 invalid\n");

    let none = run_in(here, &["validate", "-f", "agents/*.toml"]);
    assert_eq!(none.code, 2);
    assert!(
        none.stdout
            .contains("error: the path \"agents/*.toml\" does not exist"),
        "{}",
        none.stdout
    );
}

#[test]
fn nothing_to_check_is_an_error_like_kubectl() {
    let dir = tree(&[
        ("empty.yaml", ""),
        ("comments.yaml", "# only a comment\n---\n"),
    ]);
    for f in ["empty.yaml", "comments.yaml"] {
        let r = run_in(Some(dir.path()), &["validate", "-f", f]);
        assert_eq!(r.code, 2, "{f}");
        assert!(
            r.stdout
                .starts_with("error: no objects passed to validate\n"),
            "{f}: {}",
            r.stdout
        );
        let r = run_in(Some(dir.path()), &["render", "-f", f]);
        assert_eq!(r.code, 2, "render {f}");
        assert_eq!(r.stdout, "");
        assert_eq!(r.stderr, "error: no objects passed to render\n");
    }
    let r = run_stdin(&["validate", "-f", "-"], "");
    assert_eq!(r.code, 2);
    assert!(
        r.stdout.starts_with("error: no objects passed to validate"),
        "{}",
        r.stdout
    );
}

#[test]
fn standard_input_is_named_stdin() {
    let r = run_stdin(&["validate", "-f", "-"], &invalid_manifest("s"));
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .starts_with("<stdin>:13:27: KubernetesDaemonSet/s: "),
        "{}",
        r.stdout
    );
    let r = run(&["validate", "-f", "-", "-f", "-"]);
    assert_eq!(r.code, 2, "standard input twice: {}", r.stdout);
}
