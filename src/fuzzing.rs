//! Entry points for the fuzz targets in `fuzz/` into parsers that are private to the crate:
//! image references (the images gate) and the stored form of quantities (the expansion).
//!
//! Compiled only with the `fuzzing` feature, so it is no part of the library's API; each
//! function is a thin wrapper that adds no behaviour of its own, so the fuzzers test exactly
//! the code the webhook runs.

use crate::api::{ParsedQuantity, Quantity};
use crate::expansion::quantity;
use crate::policy::image_ref::ImageRef;

/// An image reference as the images gate reads it, with owned parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// Registry host (with port), `docker.io` when none was written.
    pub registry: String,
    /// Path below the registry, as written.
    pub path: String,
    /// The tag, when one was written.
    pub tag: Option<String>,
    /// The digest, when one was written.
    pub digest: Option<String>,
    /// `registry/path`, with `library/` for official Docker Hub images.
    pub repository: String,
}

impl From<ImageRef<'_>> for Image {
    fn from(r: ImageRef<'_>) -> Self {
        Self {
            repository: r.repository(),
            registry: r.registry.to_owned(),
            path: r.path.to_owned(),
            tag: r.tag.map(str::to_owned),
            digest: r.digest.map(str::to_owned),
        }
    }
}

/// A full reference (`ghcr.io/acme/agent:v1@sha256:...`), or `None` when it is not one.
pub fn parse_image(s: &str) -> Option<Image> {
    ImageRef::parse(s).ok().map(Image::from)
}

/// The app container's `repo` and `tag` fields read as one reference.
pub fn parse_image_parts(repo: &str, tag: &str) -> Option<Image> {
    ImageRef::from_parts(repo, tag).ok().map(Image::from)
}

/// apimachinery's canonical text of a parsed quantity, as the expansion prints it.
pub fn canonical_quantity(p: ParsedQuantity) -> String {
    quantity::canonical(p)
}

/// A quantity rounded up to a whole milli, as the API server stores container resources.
pub fn round_up_to_milli(p: ParsedQuantity) -> ParsedQuantity {
    quantity::round_up_to_milli(p)
}

/// A container resource as the expansion emits it: rounded, canonical, or as written.
pub fn resource_quantity(q: &str) -> String {
    quantity::resource(&Quantity::from(q)).0
}
