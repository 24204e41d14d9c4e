//! Image references, checked with the grammar of `github.com/distribution/reference`.
//!
//! The API server only checks that a template's image is non-empty; a malformed reference is
//! found by the kubelet, on every node, as an `InvalidImageName` pod that never starts. The
//! same grammar here turns that into an admission error on the field the user wrote.

/// Longest repository name the registry grammar allows.
const NAME_TOTAL_MAX: usize = 255;
/// Longest tag.
const TAG_MAX: usize = 128;

/// Why a reference does not parse, in distribution's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefError {
    /// Surrounding whitespace (the Pod validation's own check).
    Whitespace,
    /// Upper case in the repository path (`ErrNameContainsUppercase`).
    Uppercase,
    /// Longer than 255 characters (`ErrNameTooLong`).
    NameTooLong,
    /// The repository part does not match the grammar.
    Name,
    /// The tag does not match `[\w][\w.-]{0,127}`.
    Tag,
    /// The digest is not `sha256:<64 hex>` (or sha384/sha512 with their lengths).
    Digest,
}

impl RefError {
    /// The detail shown to the user.
    pub fn message(self) -> &'static str {
        match self {
            Self::Whitespace => "must not have leading or trailing whitespace",
            Self::Uppercase => "repository name must be lowercase",
            Self::NameTooLong => "repository name must not be more than 255 characters",
            Self::Name => {
                "invalid reference format: a repository is [registry-host[:port]/]path with lowercase path components of letters, digits and '.', '_', '__' or '-' separators"
            }
            Self::Tag => {
                "invalid reference format: a tag must match '[\\w][\\w.-]{0,127}', optionally followed by '@sha256:<64 hex digits>'"
            }
            Self::Digest => {
                "invalid reference format: a digest must be sha256:<64>, sha384:<96> or sha512:<128> lowercase hex digits"
            }
        }
    }
}

fn has_outer_space(s: &str) -> bool {
    s.trim() != s
}

/// A repository name (`[domain/]path`), as the app's `image.repo`.
pub fn check_repo(repo: &str) -> Result<(), RefError> {
    if has_outer_space(repo) {
        return Err(RefError::Whitespace);
    }
    let path = match repo.split_once('/') {
        Some((first, rest)) if is_domain_like(first) => {
            if !valid_domain(first) {
                return Err(RefError::Name);
            }
            rest
        }
        _ => repo,
    };
    if path.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(RefError::Uppercase);
    }
    if !path.split('/').all(valid_path_component) {
        return Err(RefError::Name);
    }
    if repo.len() > NAME_TOTAL_MAX {
        return Err(RefError::NameTooLong);
    }
    Ok(())
}

/// A tag with an optional `@digest`, as the app's `image.tag`.
pub fn check_tag(tag: &str) -> Result<(), RefError> {
    if has_outer_space(tag) {
        return Err(RefError::Whitespace);
    }
    let (tag, digest) = match tag.split_once('@') {
        Some((t, d)) => (t, Some(d)),
        None => (tag, None),
    };
    if !valid_tag(tag) {
        return Err(RefError::Tag);
    }
    match digest {
        Some(d) if !valid_digest(d) => Err(RefError::Digest),
        _ => Ok(()),
    }
}

/// A full reference `name[:tag][@digest]`, as a sidecar's `image`.
pub fn check_reference(image: &str) -> Result<(), RefError> {
    if has_outer_space(image) {
        return Err(RefError::Whitespace);
    }
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    if digest.is_some_and(|d| !valid_digest(d)) {
        return Err(RefError::Digest);
    }
    // A tag is a `:` after the last `/`; an earlier `:` is a registry port.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].find(':') {
        Some(i) => {
            let (name, tag) = rest.split_at(last_slash + i);
            check_repo(name)?;
            if valid_tag(&tag[1..]) {
                Ok(())
            } else {
                Err(RefError::Tag)
            }
        }
        None => check_repo(rest),
    }
}

/// The tag of a full reference, if it has one (for the mutable-tag warning).
pub fn tag_of(image: &str) -> Option<&str> {
    let rest = image.split_once('@').map_or(image, |(r, _)| r);
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    rest[last_slash..].split_once(':').map(|(_, t)| t)
}

/// distribution's `splitDockerDomain`: the first component is a registry host when it looks
/// like one.
fn is_domain_like(first: &str) -> bool {
    first.contains(['.', ':'])
        || first == "localhost"
        || first.bytes().any(|b| b.is_ascii_uppercase())
}

/// `host[:port]`, host being dot-separated `[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?` or an
/// IPv6 address in brackets.
fn valid_domain(domain: &str) -> bool {
    let (host_ok, port) = match domain.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((ip, "")) => (valid_ipv6(ip), None),
            // Anything after `]` must be `:port`; an empty port fails below.
            Some((ip, tail)) => (valid_ipv6(ip), Some(tail.strip_prefix(':').unwrap_or(""))),
            None => return false,
        },
        None => {
            let (host, port) = match domain.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (domain, None),
            };
            (host.split('.').all(valid_domain_component), port)
        }
    };
    host_ok && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn valid_ipv6(ip: &str) -> bool {
    !ip.is_empty() && ip.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
}

fn valid_domain_component(c: &str) -> bool {
    let b = c.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
        }
        _ => false,
    }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && alnum(b[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == b.len() {
            return true;
        }
        let sep = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        match &c[sep..i] {
            "." | "_" | "__" => {}
            s if s.bytes().all(|x| x == b'-') => {}
            _ => return false,
        }
    }
}

/// `[\w][\w.-]{0,127}`
fn valid_tag(t: &str) -> bool {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= TAG_MAX
        && word(&b[0])
        && b.iter().all(|x| word(x) || matches!(x, b'.' | b'-'))
}

/// `go-digest`'s `Parse` for the algorithms it knows.
fn valid_digest(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let len = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn accepts_repos() {
        for good in [
            "nginx",
            "fluent/fluentd-kubernetes-daemonset",
            "gcr.io/project/image",
            "localhost:5000/nginx",
            "registry.example.com:5000/team/app",
            "a__b/c.d/e---f",
            "Registry.Example.com/app",
            "[::1]:5000/app",
        ] {
            assert_eq!(check_repo(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn rejects_repos() {
        let cases = [
            (" nginx", RefError::Whitespace),
            ("nginx\n", RefError::Whitespace),
            ("Nginx", RefError::Uppercase),
            ("team/Nginx", RefError::Uppercase),
            ("a..b", RefError::Name),
            ("a___b", RefError::Name),
            ("-a", RefError::Name),
            ("a/", RefError::Name),
            ("", RefError::Name),
            ("nginx:1.2", RefError::Name),
            ("host:port/app", RefError::Name),
        ];
        for (repo, want) in cases {
            assert_eq!(check_repo(repo), Err(want), "{repo}");
        }
        assert_eq!(check_repo(&"a".repeat(256)), Err(RefError::NameTooLong));
    }

    #[test]
    fn checks_tags_and_digests() {
        for good in ["v1.16-debian", "latest", "_x", "1", &format!("v1@{SHA}")] {
            assert_eq!(check_tag(good), Ok(()), "{good}");
        }
        for (bad, want) in [
            ("", RefError::Tag),
            (".v1", RefError::Tag),
            ("v 1", RefError::Tag),
            ("v1 ", RefError::Whitespace),
            ("v1@sha256:abc", RefError::Digest),
            ("v1@md5:0123", RefError::Digest),
        ] {
            assert_eq!(check_tag(bad), Err(want), "{bad}");
        }
        assert_eq!(check_tag(&"a".repeat(129)), Err(RefError::Tag));
    }

    #[test]
    fn checks_full_references() {
        for good in [
            "busybox",
            "busybox:1.36",
            "localhost:5000/busybox",
            "localhost:5000/busybox:1.36",
            &format!("busybox@{SHA}"),
            &format!("busybox:1.36@{SHA}"),
        ] {
            assert_eq!(check_reference(good), Ok(()), "{good}");
        }
        for (bad, want) in [
            ("BusyBox", RefError::Uppercase),
            ("busybox:", RefError::Tag),
            ("busybox:1:2", RefError::Tag),
            ("busybox@sha256:1", RefError::Digest),
            (" busybox", RefError::Whitespace),
        ] {
            assert_eq!(check_reference(bad), Err(want), "{bad}");
        }
    }

    #[test]
    fn finds_tags() {
        assert_eq!(tag_of("busybox"), None);
        assert_eq!(tag_of("busybox:latest"), Some("latest"));
        assert_eq!(tag_of("localhost:5000/busybox"), None);
        assert_eq!(tag_of(&format!("busybox:1@{SHA}")), Some("1"));
    }
}
