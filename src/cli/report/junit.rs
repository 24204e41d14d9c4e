//! The JUnit XML format CI systems read (GitLab's `artifacts:reports:junit`, Jenkins, the
//! GitHub test-report actions): one `<testsuite>` per input file, one `<testcase>` per
//! document, a `<failure>` holding every error of an invalid document, an `<error>` for an
//! input that could not be read, warnings in `<system-out>`.

use std::io::{self, Write};

use super::{Outcome, Report, Status, line};

/// Writes `report` as a JUnit `<testsuites>` document.
pub fn write(out: &mut dyn Write, report: &Report, command: &str) -> io::Result<()> {
    let s = report.summary();
    let tests = report.outcomes.len();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="{}" tests="{tests}" failures="{}" errors="{}">"#,
        escape(&format!("kds-webhook {command}")),
        s.invalid,
        s.unreadable
    )?;
    for suite in report.outcomes.chunk_by(|a, b| a.file == b.file) {
        let failures = count(suite, Status::Invalid);
        let errors = count(suite, Status::Unreadable);
        let file = escape(&suite[0].file);
        writeln!(
            out,
            r#"  <testsuite name="{file}" tests="{}" failures="{failures}" errors="{errors}">"#,
            suite.len()
        )?;
        for o in suite {
            testcase(out, o)?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

fn count(suite: &[Outcome], status: Status) -> usize {
    suite.iter().filter(|o| o.status == status).count()
}

fn testcase(out: &mut dyn Write, o: &Outcome) -> io::Result<()> {
    let name = escape(o.object.as_deref().unwrap_or(&o.file));
    let file = escape(&o.file);
    write!(out, r#"    <testcase name="{name}" classname="{file}""#)?;
    if o.status == Status::Valid && o.warnings.is_empty() {
        return writeln!(out, "/>");
    }
    writeln!(out, ">")?;
    if let Some(first) = o.errors.first() {
        let (tag, kind) = match o.status {
            Status::Unreadable => ("error", "Unreadable"),
            _ => ("failure", first.reason.unwrap_or("Invalid")),
        };
        let body: Vec<String> = o.errors.iter().map(|e| line(o, e, "")).collect();
        writeln!(
            out,
            r#"      <{tag} message="{}" type="{kind}">{}</{tag}>"#,
            escape(&first.message),
            escape(&body.join("\n"))
        )?;
    }
    if !o.warnings.is_empty() {
        let body: Vec<String> = o.warnings.iter().map(|w| line(o, w, "warning: ")).collect();
        writeln!(
            out,
            "      <system-out>{}</system-out>",
            escape(&body.join("\n"))
        )?;
    }
    writeln!(out, "    </testcase>")
}

/// XML text and attribute escaping; characters XML 1.0 cannot carry at all are dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn parses_as_xml_with_one_testcase_per_document_and_consistent_counts() {
        let mut r = sample();
        r.unparsable(
            3,
            "bad <&>.yaml",
            "line 1, column 2: \"quote\" & more".into(),
            None,
        );
        let mut out = Vec::new();
        write(&mut out, &r, "validate").expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        let xml = roxmltree::Document::parse(&text).expect("well-formed XML");
        let root = xml.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        assert_eq!(root.attribute("tests"), Some("4"));
        assert_eq!(root.attribute("failures"), Some("2"));
        assert_eq!(root.attribute("errors"), Some("1"));
        let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
        let names: Vec<_> = suites.iter().map(|s| s.attribute("name")).collect();
        assert_eq!(
            names,
            vec![Some("a.yaml"), Some("missing.yaml"), Some("bad <&>.yaml")]
        );
        for s in &suites {
            assert_eq!(s.tag_name().name(), "testsuite");
            let cases: Vec<_> = s
                .children()
                .filter(|n| n.has_tag_name("testcase"))
                .collect();
            assert_eq!(s.attribute("tests"), Some(cases.len().to_string().as_str()));
            let failures = cases
                .iter()
                .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
                .count();
            assert_eq!(s.attribute("failures"), Some(failures.to_string().as_str()));
            for c in cases {
                assert!(c.attribute("name").is_some() && c.attribute("classname").is_some());
            }
        }
        let failure = xml
            .descendants()
            .find(|n| n.has_tag_name("failure"))
            .expect("a failure");
        assert_eq!(failure.attribute("type"), Some("FieldValueInvalid"));
        assert!(
            failure.text().is_some_and(
                |t| t.starts_with("a.yaml:5:22: KubernetesDaemonSet/a: spec.min_ready_seconds")
            ),
            "{failure:?}"
        );
        let error = xml
            .descendants()
            .find(|n| n.has_tag_name("error"))
            .expect("an error");
        assert_eq!(
            error.attribute("message"),
            Some("the path \"missing.yaml\" does not exist")
        );
    }
}
