//! Image references, normalised the way Docker and containerd read them.
//!
//! `nginx` is `docker.io/library/nginx`, `fluent/fluentd` is `docker.io/fluent/fluentd`, and
//! the first component is a registry only when it contains `.` or `:` or is `localhost`
//! (`distribution/reference` `ParseNormalizedNamed`). `index.docker.io` is `docker.io`. Names
//! must be lowercase, tags `[A-Za-z0-9_.-]{1,128}` not starting with `.` or `-`, digests
//! `sha256:<64 hex>` or `sha512:<128 hex>`: anything else is not a reference the kubelet can
//! pull, so the images gate reports it instead of guessing.

/// Docker Hub's canonical registry name.
pub(crate) const DOCKER_HUB: &str = "docker.io";

/// A parsed, normalised image reference borrowing from the text it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// The registry host (with port), `docker.io` when none was written.
    pub registry: &'a str,
    /// The path below the registry, as written (`nginx`, `acme/agent`).
    pub path: &'a str,
    /// True for a one-component Docker Hub name, whose repository is `library/<name>`.
    pub official: bool,
    /// The tag, when one was written.
    pub tag: Option<&'a str>,
    /// The digest (`sha256:...`), when one was written.
    pub digest: Option<&'a str>,
}

/// Why a string is not an image reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InvalidReference;

// === impl ImageRef ===

impl<'a> ImageRef<'a> {
    /// Parses a full reference such as `ghcr.io/acme/agent:v1@sha256:...`.
    pub(crate) fn parse(s: &'a str) -> Result<Self, InvalidReference> {
        let (name_tag, digest) = match s.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (s, None),
        };
        let (name, tag) = split_tag(name_tag);
        Self::build(name, tag, digest)
    }

    /// Parses the app container's `repo` plus `tag`, where the tag may carry a digest
    /// (`v1@sha256:...`) or be a bare digest (`sha256:...`).
    pub(crate) fn from_parts(repo: &'a str, tag: &'a str) -> Result<Self, InvalidReference> {
        if tag.is_empty() {
            return Self::parse(repo);
        }
        if repo.contains('@') || split_tag(repo).1.is_some() {
            return Err(InvalidReference);
        }
        let (tag, digest) = if tag.starts_with("sha256:") || tag.starts_with("sha512:") {
            (None, Some(tag))
        } else {
            match tag.split_once('@') {
                Some((t, d)) => (Some(t), Some(d)),
                None => (Some(tag), None),
            }
        };
        Self::build(repo, tag, digest)
    }

    fn build(
        name: &'a str,
        tag: Option<&'a str>,
        digest: Option<&'a str>,
    ) -> Result<Self, InvalidReference> {
        let (registry, path) = split_registry(name);
        if !valid_registry(registry) || !valid_path(path) {
            return Err(InvalidReference);
        }
        if tag.is_some_and(|t| !valid_tag(t)) || digest.is_some_and(|d| !valid_digest(d)) {
            return Err(InvalidReference);
        }
        Ok(Self {
            registry,
            path,
            official: registry == DOCKER_HUB && !path.contains('/'),
            tag,
            digest,
        })
    }

    /// `registry/path` (`docker.io/library/nginx`), the string repository patterns are
    /// matched against; built only when there are such patterns.
    pub(crate) fn repository(&self) -> String {
        let library = if self.official { "library/" } else { "" };
        format!("{}/{library}{}", self.registry, self.path)
    }
}

/// Splits `name[:tag]`; a `:` before the last `/` is a registry port, not a tag.
fn split_tag(s: &str) -> (&str, Option<&str>) {
    let after_slash = s.rfind('/').map_or(0, |i| i + 1);
    match s[after_slash..].rfind(':') {
        Some(i) => (&s[..after_slash + i], Some(&s[after_slash + i + 1..])),
        None => (s, None),
    }
}

/// Splits the registry off a name (no tag or digest), normalising Docker Hub.
pub(crate) fn split_registry(name: &str) -> (&str, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            let registry = if first == "index.docker.io" {
                DOCKER_HUB
            } else {
                first
            };
            (registry, rest)
        }
        _ => (DOCKER_HUB, name),
    }
}

fn valid_registry(r: &str) -> bool {
    !r.is_empty()
        && r.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

fn valid_path(p: &str) -> bool {
    !p.is_empty()
        && p.split('/').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
                && c.as_bytes()[0].is_ascii_alphanumeric()
                && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
        })
}

fn valid_tag(t: &str) -> bool {
    (1..=128).contains(&t.len())
        && !t.starts_with(['.', '-'])
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// True for `sha256:<64 hex>` and `sha512:<128 hex>` (lowercase hex, as OCI requires).
pub(crate) fn valid_digest(d: &str) -> bool {
    let hex = |h: &str, n: usize| {
        h.len() == n
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match d.split_once(':') {
        Some(("sha256", h)) => hex(h, 64),
        Some(("sha512", h)) => hex(h, 128),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn norm(s: &str) -> Option<(String, Option<&str>, bool)> {
        ImageRef::parse(s)
            .ok()
            .map(|r| (r.repository(), r.tag, r.digest.is_some()))
    }

    #[test]
    fn normalises_like_docker() {
        let digest = format!("nginx@{D}");
        let tagged_digest = format!("ghcr.io/acme/agent:v1@{D}");
        type Want<'a> = Option<(&'a str, Option<&'a str>, bool)>;
        let table: &[(&str, Want<'_>)] = &[
            ("nginx", Some(("docker.io/library/nginx", None, false))),
            (
                "nginx:1.25",
                Some(("docker.io/library/nginx", Some("1.25"), false)),
            ),
            (
                "fluent/fluentd:v1",
                Some(("docker.io/fluent/fluentd", Some("v1"), false)),
            ),
            (
                "docker.io/nginx",
                Some(("docker.io/library/nginx", None, false)),
            ),
            (
                "index.docker.io/library/nginx:1",
                Some(("docker.io/library/nginx", Some("1"), false)),
            ),
            (
                "ghcr.io/acme/agent",
                Some(("ghcr.io/acme/agent", None, false)),
            ),
            (
                "localhost/agent:dev",
                Some(("localhost/agent", Some("dev"), false)),
            ),
            (
                "localhost:5000/nginx",
                Some(("localhost:5000/nginx", None, false)),
            ),
            (
                "registry.example.com:5000/team/app:v2",
                Some(("registry.example.com:5000/team/app", Some("v2"), false)),
            ),
            (&digest, Some(("docker.io/library/nginx", None, true))),
            (
                &tagged_digest,
                Some(("ghcr.io/acme/agent", Some("v1"), true)),
            ),
            // `acme` has no dot: a Docker Hub organisation, not a registry.
            (
                "acme/team/app",
                Some(("docker.io/acme/team/app", None, false)),
            ),
            ("", None),
            ("NGINX", None),
            ("nginx:", None),
            ("nginx@sha256:abc", None),
            ("nginx:-bad", None),
            ("a//b", None),
        ];
        for (input, want) in table {
            let got = norm(input);
            let want = want.map(|(r, t, d)| (r.to_owned(), t, d));
            assert_eq!(got, want, "input {input:?}");
        }
    }

    #[test]
    fn reads_app_repo_and_tag() {
        let r = ImageRef::from_parts("nginx", "1.25").expect("valid");
        assert_eq!(
            (r.repository().as_str(), r.tag),
            ("docker.io/library/nginx", Some("1.25"))
        );
        let r = ImageRef::from_parts("ghcr.io/a/b", D).expect("bare digest as tag");
        assert_eq!((r.tag, r.digest), (None, Some(D)));
        let with = format!("v1@{D}");
        let r = ImageRef::from_parts("ghcr.io/a/b", &with).expect("tag@digest");
        assert_eq!((r.tag, r.digest), (Some("v1"), Some(D)));
        let r = ImageRef::from_parts("localhost:5000/a", "").expect("no tag");
        assert_eq!((r.registry, r.tag), ("localhost:5000", None));
        assert!(ImageRef::from_parts("nginx:1.25", "1.26").is_err());
    }
}
