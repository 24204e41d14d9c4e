//! The `validate`, `render` and `default` subcommands through the real binary: exit codes
//! (0 valid, 1 invalid, 2 unreadable or usage), where output goes, and its shape.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_kds-webhook");
const EXAMPLES: &[&str] = &[
    "fluentd-logger",
    "node-exporter",
    "cni-agent",
    "log-shipper",
    "security-agent",
];

fn path(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

fn example(name: &str) -> String {
    path(&format!("examples/{name}.yaml"))
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("runs")
}

fn run_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("writes");
    child.wait_with_output().expect("runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn yaml_docs(text: &str) -> Value {
    Value::Array(kds_webhook::manifest::parse_documents(text).expect("YAML"))
}

fn golden(name: &str) -> Value {
    yaml_docs(
        &std::fs::read_to_string(path(&format!("tests/fixtures/golden/{name}.yaml")))
            .expect("golden"),
    )
}

#[test]
fn validate_accepts_every_example() {
    for name in EXAMPLES {
        let o = run(&["validate", "-f", &example(name)]);
        assert_eq!(code(&o), 0, "{name}: {}{}", stdout(&o), stderr(&o));
        assert!(
            stdout(&o).ends_with("1 document(s) checked: 1 valid, 0 invalid\n"),
            "{name}: {}",
            stdout(&o)
        );
        assert_eq!(
            stderr(&o),
            "",
            "{name}: the report is all on standard output"
        );
    }
}

#[test]
fn render_prints_the_golden_objects() {
    for name in EXAMPLES {
        let o = run(&["render", "-f", &example(name)]);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        assert_eq!(yaml_docs(&stdout(&o)), golden(name), "{name}");
    }
}

#[test]
fn render_json_is_one_list() {
    let o = run(&["render", "-o", "json", "-f", &example("log-shipper")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let list: Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"], golden("log-shipper"));
}

#[test]
fn render_concatenates_several_files_in_order() {
    let o = run(&[
        "render",
        "-f",
        &example("fluentd-logger"),
        "-f",
        &example("cni-agent"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut want = golden("fluentd-logger").as_array().expect("list").clone();
    want.extend(
        golden("cni-agent")
            .as_array()
            .expect("list")
            .iter()
            .cloned(),
    );
    assert_eq!(yaml_docs(&stdout(&o)), Value::Array(want));
}

#[test]
fn reads_standard_input_and_json() {
    let seed = std::fs::read_to_string(example("fluentd-logger")).expect("seed");
    let o = run_stdin(&["render", "-f", "-"], &seed);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(yaml_docs(&stdout(&o)), golden("fluentd-logger"));

    let as_json =
        serde_json::to_string(&kds_webhook::manifest::parse_documents(&seed).expect("yaml")[0])
            .expect("json");
    let o = run_stdin(&["validate", "-f", "-"], &as_json);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn an_invalid_manifest_exits_1_with_a_field_error_line() {
    let file = path("tests/fixtures/specs/invalid-port.yaml");
    let o = run(&["validate", "-f", &file, "-f", &example("fluentd-logger")]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let line = out.lines().next().expect("an error line");
    assert_eq!(
        line,
        format!(
            "{file}:16:27: KubernetesDaemonSet/bad-port: spec.container.app.ports[0].container_port: \
             Invalid value: \"string\": spec.container.app.ports[0].container_port in body must be of type integer: \"string\""
        )
    );
    assert!(
        out.ends_with("2 document(s) checked: 1 valid, 1 invalid\n"),
        "{out}"
    );
}

#[test]
fn render_of_an_invalid_manifest_prints_no_objects() {
    let file = path("tests/fixtures/specs/invalid-port.yaml");
    let o = run(&["render", "-f", &example("fluentd-logger"), "-f", &file]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "", "nothing for kubectl to apply");
    assert!(
        stderr(&o).contains(&format!("{file}:16:27: KubernetesDaemonSet/bad-port: spec.container.app.ports[0].container_port: Invalid value")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn text_that_is_not_yaml_is_invalid_not_unreadable() {
    let o = run_stdin(&["validate", "-f", "-"], "spec: [unclosed\n");
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let first = out.lines().next().expect("a line");
    assert!(
        first.starts_with("<stdin>:1:7: error parsing YAML: "),
        "{out}"
    );
    assert_eq!(
        first.matches("line").count(),
        0,
        "the position is shown once: {first}"
    );
    assert!(
        out.ends_with("1 document(s) checked: 0 valid, 1 invalid\n"),
        "{out}"
    );
}

#[test]
fn unreadable_input_or_usage_errors_exit_2() {
    for cmd in ["validate", "render", "default"] {
        let o = run(&[cmd, "-f", "/nonexistent/kds.yaml"]);
        assert_eq!(code(&o), 2, "{cmd}");
        let all = stdout(&o) + &stderr(&o);
        assert!(
            all.contains("error: the path \"/nonexistent/kds.yaml\" does not exist"),
            "{cmd}: {all}"
        );
        assert!(!all.contains("os error"), "{cmd}: {all}");
        assert_eq!(code(&run(&[cmd])), 2, "{cmd} without -f");
    }
    let o = run(&["render", "-o", "xml", "-f", &example("cni-agent")]);
    assert_eq!(code(&o), 2);
    let o = run(&[
        "validate",
        "--policy",
        "/nonexistent/policy.yaml",
        "-f",
        &example("cni-agent"),
    ]);
    assert_eq!(code(&o), 2);
}

#[test]
fn default_prints_the_defaulted_manifest() {
    let o = run(&["default", "-f", &example("fluentd-logger")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let docs = yaml_docs(&stdout(&o));
    assert_eq!(
        docs[0]["spec"]["update_strategy"]["rolling_update"]["max_surge"],
        "0"
    );
    assert_eq!(
        docs[0]["spec"]["container"]["app"]["volume_mounts"][0]["host_path"],
        serde_json::json!({"path": "/var/log"})
    );
}

#[test]
fn default_patch_is_one_array_per_document() {
    for name in EXAMPLES {
        let o = run(&["default", "--patch", "-f", &example(name)]);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        let patch: Value = serde_json::from_str(&stdout(&o)).expect("JSON");
        let want: Value = serde_json::from_str(
            &std::fs::read_to_string(path(&format!("tests/fixtures/golden/{name}.patch.json")))
                .expect("golden"),
        )
        .expect("JSON");
        assert_eq!(patch, want, "{name}");
    }
    let o = run(&[
        "default",
        "--patch",
        "-f",
        &example("fluentd-logger"),
        "-f",
        &example("cni-agent"),
    ]);
    let patches: Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let patches = patches.as_array().expect("array of patches");
    assert_eq!(patches.len(), 2);
    assert!(patches.iter().all(Value::is_array));
}

#[test]
fn default_reports_decode_errors() {
    let file = path("tests/fixtures/specs/invalid-port.yaml");
    let o = run(&["default", "-f", &file]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains(
            ":16:27: KubernetesDaemonSet/bad-port: spec.container.app.ports[0].container_port"
        ),
        "{}",
        stderr(&o)
    );
}
