//! Gate `images`: where images come from and whether they are pinned, for the app image
//! (`repo` + `tag`) and every sidecar image.
//!
//! Sources: when `allowedRegistries` or `allowedRepositories` is given, an image must match
//! an entry of either list (registry host, or `registry/path` after Docker Hub
//! normalisation); when neither is given, any source is allowed. Pinning: `forbidMutableTags`
//! refuses an image without a digest whose tag is missing or one of `mutableTags`;
//! `requireDigest` refuses any image without a digest. An image that is not a valid reference
//! is always a violation.

use std::fmt;

use serde::Deserialize;

use super::{Check, Ctx, Errors, Sink};
use crate::policy::Mode;
use crate::policy::image_ref::{self, ImageRef};
use crate::policy::pattern::{self, Glob};
use crate::validation::field::FieldPath;

/// The `images` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Config {
    pub(crate) mode: Option<Mode>,
    allowed_registries: Option<Vec<String>>,
    allowed_repositories: Option<Vec<String>>,
    forbid_mutable_tags: Option<bool>,
    mutable_tags: Option<Vec<String>>,
    require_digest: Option<bool>,
}

impl Config {
    pub(crate) fn merge(base: &Self, over: &Self) -> Self {
        merge_fields!(
            base,
            over,
            Self {
                mode,
                allowed_registries,
                allowed_repositories,
                forbid_mutable_tags,
                mutable_tags,
                require_digest,
            }
        )
    }

    pub(crate) fn compile(&self, at: &str, errs: &mut Errors) -> Gate {
        let sources = (self.allowed_registries.is_some() || self.allowed_repositories.is_some())
            .then(|| self.compile_sources(at, errs));
        Gate {
            mode: self.mode.unwrap_or_default(),
            sources,
            forbid_mutable_tags: self.forbid_mutable_tags.unwrap_or(true),
            mutable_tags: self
                .mutable_tags
                .clone()
                .unwrap_or_else(|| vec!["latest".to_owned()]),
            require_digest: self.require_digest.unwrap_or(false),
        }
    }

    fn compile_sources(&self, at: &str, errs: &mut Errors) -> Sources {
        let mut registries = Vec::new();
        for (i, r) in self.allowed_registries.iter().flatten().enumerate() {
            let r = if r == "index.docker.io" {
                "docker.io"
            } else {
                r
            };
            match Glob::new(r) {
                Ok(_) if r.contains('/') => errs.at(
                    &format!("{at}.allowedRegistries[{i}]"),
                    "a registry is a host[:port], without '/'",
                ),
                Ok(g) => registries.push(g),
                Err(e) => errs.at(&format!("{at}.allowedRegistries[{i}]"), e),
            }
        }
        let mut repositories = Vec::new();
        for (i, r) in self.allowed_repositories.iter().flatten().enumerate() {
            match normalize_repository_pattern(r).and_then(|n| Glob::path(&n)) {
                Ok(g) => repositories.push(g),
                Err(e) => errs.at(&format!("{at}.allowedRepositories[{i}]"), e),
            }
        }
        let mut allowed = Vec::new();
        if !registries.is_empty() {
            allowed.push(format!("registries {}", pattern::describe(&registries)));
        }
        if !repositories.is_empty() {
            allowed.push(format!("repositories {}", pattern::describe(&repositories)));
        }
        Sources {
            registries,
            repositories,
            allowed: if allowed.is_empty() {
                "no image sources".to_owned()
            } else {
                allowed.join("; ")
            },
        }
    }
}

/// Writes a repository pattern the way images are normalised: `nginx` →
/// `docker.io/library/nginx`, `fluent/*` → `docker.io/fluent/*`. Tags and digests are refused.
fn normalize_repository_pattern(p: &str) -> Result<String, String> {
    let last = p.rsplit('/').next().unwrap_or(p);
    if p.contains('@') || last.contains(':') {
        return Err(format!("{p:?} must be a repository without tag or digest"));
    }
    let (registry, path) = image_ref::split_registry(p);
    if registry == image_ref::DOCKER_HUB && !path.contains('/') && !path.contains('*') {
        Ok(format!("{registry}/library/{path}"))
    } else {
        Ok(format!("{registry}/{path}"))
    }
}

#[derive(Clone, Debug)]
struct Sources {
    registries: Vec<Glob>,
    repositories: Vec<Glob>,
    allowed: String,
}

impl Sources {
    /// True when the image's registry or repository is listed.
    fn allow(&self, image: &ImageRef<'_>) -> bool {
        if self.registries.iter().any(|g| g.matches(image.registry)) {
            return true;
        }
        if self.repositories.is_empty() {
            return false;
        }
        let repository = image.repository();
        self.repositories.iter().any(|g| g.matches(&repository))
    }
}

/// The compiled `images` gate.
#[derive(Clone, Debug, Default)]
pub(crate) struct Gate {
    mode: Mode,
    sources: Option<Sources>,
    forbid_mutable_tags: bool,
    mutable_tags: Vec<String>,
    require_digest: bool,
}

/// An image as written, for messages: `repo:tag` for the app, the string for a sidecar.
struct Shown<'a>(&'a str, &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            "" => f.write_str(self.0),
            t if t.starts_with("sha256:") || t.starts_with("sha512:") => {
                write!(f, "{}@{t}", self.0)
            }
            t => write!(f, "{}:{t}", self.0),
        }
    }
}

impl Check for Gate {
    const NAME: &'static str = "images";

    fn mode(&self) -> Mode {
        self.mode
    }

    fn check(&self, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
        let Some(container) = &ctx.kds.spec.container else {
            return;
        };
        let at = FieldPath::root("spec").child("container");
        if let Some(image) = container.app.as_ref().and_then(|a| a.image.as_ref()) {
            let repo = image.repo.as_deref().unwrap_or_default();
            let tag = image.tag.as_deref().unwrap_or_default();
            if !repo.is_empty() {
                let image_at = at.child("app").child("image");
                let (source, pin) = (|| image_at.child("repo"), || image_at.child("tag"));
                let parsed = ImageRef::from_parts(repo, tag);
                self.check_image(parsed, &Shown(repo, tag), &source, &pin, sink);
            }
        }
        let sidecars = container.sidecars.as_deref().unwrap_or_default();
        for (i, s) in sidecars.iter().enumerate() {
            let Some(image) = s.image.as_deref().filter(|i| !i.is_empty()) else {
                continue;
            };
            let here = || at.child("sidecars").index(i).child("image");
            self.check_image(
                ImageRef::parse(image),
                &Shown(image, ""),
                &here,
                &here,
                sink,
            );
        }
    }
}

impl Gate {
    fn check_image(
        &self,
        parsed: Result<ImageRef<'_>, image_ref::InvalidReference>,
        shown: &Shown<'_>,
        source_at: &dyn Fn() -> FieldPath,
        pin_at: &dyn Fn() -> FieldPath,
        sink: &mut Sink<'_>,
    ) {
        let Ok(image) = parsed else {
            let what = format_args!("{shown} is not a valid image reference");
            return sink.violation(source_at(), what, "");
        };
        if let Some(sources) = &self.sources
            && !sources.allow(&image)
        {
            let what = format_args!("image {shown} is not from an allowed source");
            sink.violation(source_at(), what, &sources.allowed);
        }
        if image.digest.is_some() {
            return;
        }
        if self.require_digest {
            let what = format_args!("image {shown} must be pinned by digest");
            sink.violation(pin_at(), what, "tag@sha256:<digest>");
        } else if self.forbid_mutable_tags {
            match image.tag {
                None => sink.violation(
                    pin_at(),
                    format_args!("image {shown} has no tag (means latest)"),
                    "a pinned tag or digest",
                ),
                Some(t) if self.mutable_tags.iter().any(|m| m == t) => sink.violation(
                    pin_at(),
                    format_args!("mutable tag {t:?} is not allowed"),
                    "a pinned tag or digest",
                ),
                Some(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_repository_patterns() {
        let table = [
            ("nginx", Ok("docker.io/library/nginx")),
            ("fluent/*", Ok("docker.io/fluent/*")),
            ("ghcr.io/acme/*", Ok("ghcr.io/acme/*")),
            ("docker.io/library/*", Ok("docker.io/library/*")),
            ("localhost:5000/x", Ok("localhost:5000/x")),
        ];
        for (input, want) in table {
            assert_eq!(
                normalize_repository_pattern(input).as_deref(),
                want.map_err(|_: ()| String::new()).as_deref(),
                "{input}"
            );
        }
        assert!(normalize_repository_pattern("nginx:1.25").is_err());
        assert!(normalize_repository_pattern("ghcr.io/a@sha256:x").is_err());
    }
}
