//! Running the `kds-webhook` binary in CLI tests: arguments, optional standard input, a
//! working directory, and no inherited `KDS_WEBHOOK_*` variables.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_kds-webhook");

/// The repository's copy of `rel`.
pub fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// An example manifest's text.
pub fn example_text(name: &str) -> String {
    std::fs::read_to_string(repo(&format!("examples/{name}.yaml"))).expect("example")
}

/// What one run printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().expect("exit code"),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

fn command(dir: Option<&Path>, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args);
    if let Some(d) = dir {
        c.current_dir(d);
    }
    for (k, _) in std::env::vars() {
        if k.starts_with("KDS_WEBHOOK_") {
            c.env_remove(k);
        }
    }
    c
}

/// Runs the binary in `dir` (or here), standard input closed.
pub fn run_in(dir: Option<&Path>, args: &[&str]) -> Run {
    command(dir, args)
        .stdin(Stdio::null())
        .output()
        .expect("runs")
        .into()
}

/// Runs the binary here.
pub fn run(args: &[&str]) -> Run {
    run_in(None, args)
}

/// Runs the binary with `input` on standard input.
pub fn run_stdin(args: &[&str], input: &str) -> Run {
    let mut child = command(None, args)
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
    child.wait_with_output().expect("runs").into()
}

/// A temporary directory holding `files` (relative path, content).
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// The first lines of a minimal manifest named `name`, up to its image.
fn head(name: &str) -> String {
    format!(
        "apiVersion: kubernetes.project-planton.org/v1\nkind: KubernetesDaemonSet\nmetadata:\n  name: {name}\nspec:\n  container:\n    app:\n      image:\n        repo: nginx\n        tag: \"1.27\"\n"
    )
}

const TAIL: &str = "  namespace:\n    value: agents\n";

/// A minimal valid manifest named `name` (12 lines).
pub fn manifest(name: &str) -> String {
    head(name) + TAIL
}

/// The same manifest with a string container port `eighty` on line 13, column 27.
pub fn invalid_manifest(name: &str) -> String {
    head(name) + "      ports:\n        - name: web\n          container_port: eighty\n" + TAIL
}
