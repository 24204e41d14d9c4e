use super::*;
use crate::validation::field::FieldPath;

pub(super) fn sample() -> Report {
    let docs = crate::manifest::located::parse(
        "kind: KubernetesDaemonSet\nmetadata:\n  name: a\nspec:\n  min_ready_seconds: x\n",
    )
    .expect("yaml");
    let mut r = Report::default();
    let mut errs = FieldErrors::new();
    errs.push(FieldError::invalid(
        FieldPath::root("spec").child("min_ready_seconds"),
        "string",
        "must be of type integer",
    ));
    r.document(
        1,
        "a.yaml",
        "KubernetesDaemonSet/a",
        &docs[0].positions,
        &errs,
        &["spec.min_ready_seconds: is odd, with a comma".to_owned()],
    );
    r.document(
        1,
        "a.yaml",
        "KubernetesDaemonSet/b",
        &Positions::default(),
        &FieldErrors::new(),
        &[],
    );
    r.unreadable(
        2,
        "missing.yaml",
        "the path \"missing.yaml\" does not exist".into(),
    );
    r
}

fn render(r: &Report, format: Format, verbosity: Verbosity) -> String {
    let mut out = Vec::new();
    print(&mut out, r, format, verbosity, "validate").expect("write");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn text_lines_carry_file_line_and_column() {
    let text = render(&sample(), Format::Text, Verbosity::default());
    assert_eq!(
        text,
        "a.yaml:5:22: KubernetesDaemonSet/a: spec.min_ready_seconds: Invalid value: \"string\": must be of type integer\n\
         a.yaml:5:22: KubernetesDaemonSet/a: warning: spec.min_ready_seconds: is odd, with a comma\n\
         error: the path \"missing.yaml\" does not exist\n\
         2 document(s) checked: 1 valid, 1 invalid, 1 unreadable input(s)\n"
    );
    let quiet = render(
        &sample(),
        Format::Text,
        Verbosity {
            quiet: true,
            summary_only: false,
        },
    );
    assert_eq!(quiet.lines().count(), 2, "{quiet}");
    let summary = render(
        &sample(),
        Format::Text,
        Verbosity {
            quiet: false,
            summary_only: true,
        },
    );
    assert_eq!(
        summary,
        "2 document(s) checked: 1 valid, 1 invalid, 1 unreadable input(s)\n"
    );
    assert_eq!(sample().exit_code(), ExitCode::from(EXIT_UNREADABLE));
}

#[test]
fn an_empty_report_is_an_error_like_kubectl() {
    let r = Report::default();
    assert_eq!(r.exit_code(), ExitCode::from(EXIT_UNREADABLE));
    let text = render(&r, Format::Text, Verbosity::default());
    assert!(
        text.starts_with("error: no objects passed to validate\n"),
        "{text}"
    );
}

#[test]
fn json_has_the_documented_shape() {
    let v: serde_json::Value =
        serde_json::from_str(&render(&sample(), Format::Json, Verbosity::default())).expect("JSON");
    assert_eq!(
        v["summary"],
        serde_json::json!({"documents": 2, "valid": 1, "invalid": 1, "unreadable": 1})
    );
    let first = &v["resources"][0];
    assert_eq!(first["file"], "a.yaml");
    assert_eq!(first["object"], "KubernetesDaemonSet/a");
    assert_eq!(first["status"], "invalid");
    assert_eq!(first["line"], 1);
    let e = &first["errors"][0];
    assert_eq!(e["field"], "spec.min_ready_seconds");
    assert_eq!(e["type"], "FieldValueInvalid");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(5), Some(22))
    );
    assert_eq!(v["resources"][2]["status"], "unreadable");
}
