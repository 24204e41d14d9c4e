//! Image reference parsing as the images gate reads `repo`/`tag` and sidecar images. A
//! reference printed from its parts (`registry/path:tag@digest`) parses to the same parts,
//! and `repository` is `registry/[library/]path`.
//!
//! Input: one reference, or `repo` and `tag` separated by the first newline.
#![no_main]

use kds_webhook::fuzzing::{Image, parse_image, parse_image_parts};
use libfuzzer_sys::fuzz_target;

fn print(image: &Image) -> String {
    let mut s = format!("{}/{}", image.registry, image.path);
    if let Some(t) = &image.tag {
        s = format!("{s}:{t}");
    }
    if let Some(d) = &image.digest {
        s = format!("{s}@{d}");
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = match text.split_once('\n') {
        Some((repo, tag)) => parse_image_parts(repo, tag),
        None => parse_image(text),
    };
    let Some(image) = parsed else {
        return;
    };
    let official = image.registry == "docker.io" && !image.path.contains('/');
    let library = if official { "library/" } else { "" };
    assert_eq!(
        image.repository,
        format!("{}/{library}{}", image.registry, image.path)
    );
    let printed = print(&image);
    let again = parse_image(&printed).unwrap_or_else(|| panic!("{printed:?} does not parse"));
    assert_eq!(again, image, "{text:?} printed as {printed:?}");
});
