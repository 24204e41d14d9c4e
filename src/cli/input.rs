//! The `-f` inputs of the offline commands, as `kubectl -f` reads them: files, directories
//! (their `.yaml`, `.yml` and `.json` files; `-R` walks subdirectories too), globs and `-`
//! (standard input, named `<stdin>` in messages).
//!
//! Every input is tried: one that cannot be read becomes a [`Failure`] in its place and the
//! rest are still read, so a CI run shows every problem at once. Order is deterministic: the
//! arguments in the order given, a directory's entries and a glob's matches sorted by name.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::manifest::MAX_INPUT_BYTES;

/// The name standard input has in messages.
pub const STDIN_NAME: &str = "<stdin>";

/// File extensions read from a directory.
const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// The input flags `validate`, `render`, `default` and `diff` share.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Manifest file, directory or glob to read (YAML, multi-document YAML, JSON or a JSON
    /// List); repeatable; `-` reads standard input. A directory's `.yaml`, `.yml` and `.json`
    /// files are read in name order.
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true)]
    pub files: Vec<String>,
    /// Also read the directories inside a directory given with -f.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Read the original Project Planton lowerCamelCase field names (`containerPort`) as their
    /// snake_case fields, with a warning each: for migrating old files. Without it they are
    /// unknown fields, as in a cluster, whose CRD schema knows only snake_case.
    #[arg(long)]
    pub camel_case: bool,
}

/// One input read whole.
#[derive(Debug)]
pub struct Input {
    /// The name to show in messages: the path, or `<stdin>`.
    pub name: String,
    /// The whole text.
    pub text: String,
}

/// An input that could not be read, and why, in `kubectl`'s words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The path (or pattern) as given or found.
    pub name: String,
    /// What went wrong, for example `the path "a.yaml" does not exist`.
    pub message: String,
}

/// Reads every input named by `args`, in order.
pub fn read_all(args: &InputArgs) -> Vec<Result<Input, Failure>> {
    let mut out = Vec::new();
    let mut stdin_read = false;
    for arg in &args.files {
        if arg == "-" {
            out.push(if stdin_read {
                Err(Failure {
                    name: STDIN_NAME.to_owned(),
                    message: "standard input can be read only once (`-f -` given twice)".into(),
                })
            } else {
                stdin_read = true;
                read_stdin()
            });
            continue;
        }
        let path = Path::new(arg);
        if !path.exists() && is_pattern(arg) {
            expand_glob(arg, args.recursive, &mut out);
        } else {
            expand_path(path, true, args.recursive, &mut out);
        }
    }
    out
}

fn is_pattern(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn expand_glob(pattern: &str, recursive: bool, out: &mut Vec<Result<Input, Failure>>) {
    let paths = match glob::glob(pattern) {
        Ok(paths) => paths,
        Err(e) => {
            out.push(Err(Failure {
                name: pattern.to_owned(),
                message: format!("invalid pattern {pattern:?}: {}", e.msg),
            }));
            return;
        }
    };
    let mut matched: Vec<PathBuf> = Vec::new();
    for p in paths {
        match p {
            Ok(p) => matched.push(p),
            Err(e) => out.push(Err(failure(e.path(), e.error()))),
        }
    }
    if matched.is_empty() {
        out.push(Err(Failure {
            name: pattern.to_owned(),
            message: format!("the path {pattern:?} does not exist (no file matches it)"),
        }));
    }
    matched.sort();
    for p in matched {
        expand_path(&p, true, recursive, out);
    }
}

/// A file is read; a directory is listed (its subdirectories only when `recursive`).
/// `given` is true for a path named on the command line, which is read whatever its extension.
fn expand_path(path: &Path, given: bool, recursive: bool, out: &mut Vec<Result<Input, Failure>>) {
    if !path.is_dir() {
        if given || has_manifest_extension(path) {
            out.push(read_file(path));
        }
        return;
    }
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            out.push(Err(failure(path, &e)));
            return;
        }
    };
    entries.sort();
    for entry in entries {
        // A symlink to a directory is not walked (as `kubectl -R` does not): a link back up the
        // tree would never end.
        let real_dir = std::fs::symlink_metadata(&entry).is_ok_and(|m| m.is_dir());
        if entry.is_dir() {
            if recursive && real_dir {
                expand_path(&entry, false, recursive, out);
            }
        } else if has_manifest_extension(&entry) {
            out.push(read_file(&entry));
        }
    }
}

fn has_manifest_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e))
}

fn read_file(path: &Path) -> Result<Input, Failure> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| failure(path, &e))?;
    if meta.len() > MAX_INPUT_BYTES as u64 {
        return Err(Failure {
            message: format!(
                "{name}: the file is {} bytes, larger than the {MAX_INPUT_BYTES} byte limit",
                meta.len()
            ),
            name,
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| failure(path, &e))?;
    Ok(Input { name, text })
}

fn read_stdin() -> Result<Input, Failure> {
    let mut text = String::new();
    let fail = |message: String| Failure {
        name: STDIN_NAME.to_owned(),
        message,
    };
    std::io::stdin()
        .take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .map_err(|e| fail(format!("read {STDIN_NAME}: {}", e.kind())))?;
    if text.len() > MAX_INPUT_BYTES {
        return Err(fail(format!(
            "{STDIN_NAME} is larger than the {MAX_INPUT_BYTES} byte limit"
        )));
    }
    Ok(Input {
        name: STDIN_NAME.to_owned(),
        text,
    })
}

/// An I/O error in the words `kubectl` (Go) uses: `the path "x" does not exist`,
/// `open x: permission denied`; never Rust's `(os error 2)`.
fn failure(path: &Path, e: &std::io::Error) -> Failure {
    let name = path.display().to_string();
    let message = match e.kind() {
        std::io::ErrorKind::NotFound => format!("the path {name:?} does not exist"),
        std::io::ErrorKind::InvalidData => format!("read {name}: the file is not UTF-8 text"),
        kind => format!("open {name}: {kind}"),
    };
    Failure { name, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(args: &InputArgs) -> Vec<Result<String, String>> {
        read_all(args)
            .into_iter()
            .map(|r| r.map(|i| i.name).map_err(|f| f.message))
            .collect()
    }

    fn args(files: &[&str], recursive: bool) -> InputArgs {
        InputArgs {
            files: files.iter().map(|s| (*s).to_owned()).collect(),
            recursive,
            camel_case: false,
        }
    }

    #[test]
    fn directories_globs_and_failures_in_a_stable_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        for f in ["b.yaml", "a.yml", "c.json", "notes.txt", "sub/d.yaml"] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, "{}").expect("write");
        }
        let s = |p: &str| d.join(p).display().to_string();
        assert_eq!(
            names(&args(&[&s("")], false)),
            vec![Ok(s("a.yml")), Ok(s("b.yaml")), Ok(s("c.json"))]
        );
        assert_eq!(
            names(&args(&[&s("")], true)),
            vec![
                Ok(s("a.yml")),
                Ok(s("b.yaml")),
                Ok(s("c.json")),
                Ok(s("sub/d.yaml"))
            ]
        );
        assert_eq!(
            names(&args(
                &[&s("missing.yaml"), &s("*.y*ml"), &s("nothing*")],
                false
            )),
            vec![
                Err(format!("the path {:?} does not exist", s("missing.yaml"))),
                Ok(s("a.yml")),
                Ok(s("b.yaml")),
                Err(format!(
                    "the path {:?} does not exist (no file matches it)",
                    s("nothing*")
                )),
            ]
        );
        // A symlink back up the tree is not followed.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d, d.join("sub/loop")).expect("symlink");
            assert_eq!(names(&args(&[&s("")], true)).len(), 4);
        }
        // A file named on the command line is read whatever its extension.
        assert_eq!(
            names(&args(&[&s("notes.txt")], false)),
            vec![Ok(s("notes.txt"))]
        );
    }
}
