//! Reading the `-f FILE...` inputs of the offline commands (`-` is standard input).

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;

/// One input file's name (as given) and text.
#[derive(Debug)]
pub struct Input {
    /// The name to show in messages: the path, or `-` for standard input.
    pub name: String,
    /// The whole text.
    pub text: String,
}

/// Reads every file; `-` reads standard input once.
pub fn read_all(files: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
    files.iter().map(read_one).collect()
}

fn read_one(path: &PathBuf) -> anyhow::Result<Input> {
    let name = path.display().to_string();
    let mut text = String::new();
    if name == "-" {
        std::io::stdin()
            .take(crate::manifest::MAX_INPUT_BYTES as u64 + 1)
            .read_to_string(&mut text)
            .context("failed to read standard input")?;
    } else {
        let meta = std::fs::metadata(path).with_context(|| format!("failed to read {name}"))?;
        anyhow::ensure!(
            meta.len() <= crate::manifest::MAX_INPUT_BYTES as u64,
            "{name}: file is larger than {} bytes",
            crate::manifest::MAX_INPUT_BYTES
        );
        text = std::fs::read_to_string(path).with_context(|| format!("failed to read {name}"))?;
    }
    Ok(Input { name, text })
}
