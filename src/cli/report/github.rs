//! GitHub Actions workflow commands: each error and warning becomes an annotation on the line
//! of the file it is about (`::error file=a.yaml,line=7,col=27,title=KIND/NAME::message`), shown
//! in the run's summary and on the pull request's diff. Values are escaped as the runner
//! expects (`%`, CR, LF everywhere; also `:` and `,` in properties).

use std::io::{self, Write};

use super::{Finding, Outcome, Report, Status, Verbosity, no_objects, summary_line};

/// Writes one workflow command per finding, then (unless quiet) the summary as a notice.
pub fn write(
    out: &mut dyn Write,
    report: &Report,
    verbosity: Verbosity,
    command: &str,
) -> io::Result<()> {
    if !verbosity.summary_only {
        for o in &report.outcomes {
            for e in &o.errors {
                annotate(out, "error", o, e)?;
            }
            if !verbosity.quiet {
                for w in &o.warnings {
                    annotate(out, "warning", o, w)?;
                }
            }
        }
    }
    if report.is_empty() {
        writeln!(out, "::error::{}", data(&no_objects(command)))?;
    }
    if !verbosity.quiet {
        writeln!(
            out,
            "::notice title=kds-webhook {command}::{}",
            data(&summary_line(&report.summary()))
        )?;
    }
    Ok(())
}

fn annotate(out: &mut dyn Write, level: &str, o: &Outcome, f: &Finding) -> io::Result<()> {
    let mut props = vec![format!("file={}", property(&o.file))];
    if o.status != Status::Unreadable
        && let Some(p) = f.pos.or(o.pos)
    {
        props.push(format!("line={}", p.line));
        props.push(format!("col={}", p.column));
    }
    if let Some(obj) = &o.object {
        props.push(format!("title={}", property(obj)));
    }
    writeln!(out, "::{level} {}::{}", props.join(","), data(&f.message))
}

fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn one_annotation_per_finding_on_its_line() {
        let mut out = Vec::new();
        write(&mut out, &sample(), Verbosity::default(), "validate").expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                "::error file=a.yaml,line=5,col=22,title=KubernetesDaemonSet/a::spec.min_ready_seconds: Invalid value: \"string\": must be of type integer",
                "::warning file=a.yaml,line=5,col=22,title=KubernetesDaemonSet/a::spec.min_ready_seconds: is odd, with a comma",
                "::error file=missing.yaml::the path \"missing.yaml\" does not exist",
                "::notice title=kds-webhook validate::2 document(s) checked: 1 valid, 1 invalid, 1 unreadable input(s)",
            ]
        );
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
