//! apimachinery's name rules (`util/validation`, `api/validate/content`), hand-written.
//!
//! Each check returns apimachinery's messages for one value, in its order. An empty `Vec`
//! does not allocate, so the common case (a valid value) costs one pass over its bytes and
//! no regex.

use std::borrow::Cow;

/// apimachinery's messages for one value; empty when the value is valid.
pub type Msgs = Vec<Cow<'static, str>>;

/// `RegexError` for DNS-1123 labels.
pub const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
/// `RegexError` for DNS-1123 subdomains.
pub const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
/// `RegexError` for the name part of a qualified name.
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
/// A label key with more than one `/`.
const LABEL_KEY_SLASHES_MSG: &str = "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
/// `RegexError` for label values.
pub const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
/// `RegexError` for ConfigMap and Secret keys.
pub const CONFIG_KEY_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
/// The relaxed (1.34+) env-var-name rule.
pub const ENV_NAME_MSG: &str = "a valid environment variable name must consist only of printable ASCII characters other than '='";
/// `RegexError` for HTTP header names.
pub const HTTP_HEADER_MSG: &str = "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')";
/// `RegexError` for percent strings.
pub const PERCENT_MSG: &str = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
/// `IsValidPortNum`.
pub const PORT_RANGE_MSG: &str = "must be between 1 and 65535, inclusive";

/// Longest DNS-1123 label.
pub const DNS1123_LABEL_MAX: usize = 63;
/// Longest DNS-1123 subdomain.
pub const DNS1123_SUBDOMAIN_MAX: usize = 253;
/// Longest label value and label-key name part.
pub const LABEL_VALUE_MAX: usize = 63;

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
fn matches_label(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => {
            is_lower_alnum(f)
                && is_lower_alnum(l)
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        }
        _ => false,
    }
}

/// The subdomain regex: dot-separated labels.
fn matches_subdomain(s: &str) -> bool {
    s.split('.').all(matches_label)
}

/// `IsDNS1123Label`: container, volume and namespace names.
pub fn dns1123_label(s: &str) -> Msgs {
    let mut m = Msgs::new();
    if s.len() > DNS1123_LABEL_MAX {
        m.push("must be no more than 63 characters".into());
    }
    if !matches_label(s) {
        if matches_subdomain(s) {
            m.push("must not contain dots".into());
        } else {
            m.push(DNS1123_LABEL_MSG.into());
        }
    }
    m
}

/// `IsDNS1123Subdomain`: object names.
pub fn dns1123_subdomain(s: &str) -> Msgs {
    let mut m = Msgs::new();
    if s.len() > DNS1123_SUBDOMAIN_MAX {
        m.push("must be no more than 253 characters".into());
    }
    if !matches_subdomain(s) {
        m.push(DNS1123_SUBDOMAIN_MSG.into());
    }
    m
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, non-empty.
fn matches_qualified_name(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// `IsQualifiedName` / `IsLabelKey`: label keys, node-selector keys, toleration keys.
pub fn label_key(s: &str) -> Msgs {
    let mut m = Msgs::new();
    let name = match s.split_once('/') {
        None => s,
        Some((_, rest)) if rest.contains('/') => {
            m.push(LABEL_KEY_SLASHES_MSG.into());
            return m;
        }
        Some((prefix, name)) => {
            if prefix.is_empty() {
                m.push("prefix part must be non-empty".into());
            } else {
                for msg in dns1123_subdomain(prefix) {
                    m.push(format!("prefix part {msg}").into());
                }
            }
            name
        }
    };
    if name.is_empty() {
        m.push("name part must be non-empty".into());
    } else if name.len() > LABEL_VALUE_MAX {
        m.push("name part must be no more than 63 bytes".into());
    }
    if !matches_qualified_name(name) {
        m.push(format!("name part {QUALIFIED_NAME_MSG}").into());
    }
    m
}

/// `IsValidLabelValue`: label values, node-selector values, toleration values.
pub fn label_value(s: &str) -> Msgs {
    let mut m = Msgs::new();
    if s.len() > LABEL_VALUE_MAX {
        m.push("must be no more than 63 bytes".into());
    }
    if !s.is_empty() && !matches_qualified_name(s) {
        m.push(LABEL_VALUE_MSG.into());
    }
    m
}

/// `IsValidPortName`: the five IANA_SVC_NAME checks, each its own message.
pub fn port_name(s: &str) -> Msgs {
    let mut m = Msgs::new();
    let b = s.as_bytes();
    if b.len() > 15 {
        m.push("must be no more than 15 characters".into());
    }
    if b.is_empty() || !b.iter().all(|&c| is_lower_alnum(c) || c == b'-') {
        m.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !b.iter().any(u8::is_ascii_lowercase) {
        m.push("must contain at least one letter (a-z)".into());
    }
    if s.contains("--") {
        m.push("must not contain consecutive hyphens".into());
    }
    if b.first() == Some(&b'-') || b.last() == Some(&b'-') {
        m.push("must not begin or end with a hyphen".into());
    }
    m
}

/// True for a port number the API server accepts.
pub fn is_port_number(n: i32) -> bool {
    (1..=65535).contains(&n)
}

/// `IsRelaxedEnvVarName` (1.34+): printable ASCII other than `=`. The caller reports an
/// empty name as `Required`.
pub fn env_name(s: &str) -> Msgs {
    if s.bytes().all(|b| (0x20..=0x7e).contains(&b) && b != b'=') {
        Msgs::new()
    } else {
        vec![ENV_NAME_MSG.into()]
    }
}

/// `IsConfigMapKey`: ConfigMap and Secret data keys.
pub fn config_key(s: &str) -> Msgs {
    let mut m = Msgs::new();
    if s.len() > DNS1123_SUBDOMAIN_MAX {
        m.push("must be no more than 253 characters".into());
    }
    let charset = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    if s.is_empty() || !s.as_bytes().iter().all(charset) {
        m.push(CONFIG_KEY_MSG.into());
    }
    if s == "." {
        m.push("must not be '.'".into());
    } else if s == ".." {
        m.push("must not be '..'".into());
    } else if s.starts_with("..") {
        m.push("must not start with '..'".into());
    }
    m
}

/// `IsHTTPHeaderName`: `[-A-Za-z0-9]+`.
pub fn http_header_name(s: &str) -> Msgs {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Msgs::new()
    } else {
        vec![HTTP_HEADER_MSG.into()]
    }
}

/// `IsValidPercent` (`[0-9]+%`): the number, when valid.
pub fn percent(s: &str) -> Option<u64> {
    let digits = s.strip_suffix('%')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Leading zeros and huge numbers are valid percents; saturate, it only has to exceed 100.
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// True when no `/`-separated element of the path is `..`.
pub fn has_no_dotdot(path: &str) -> bool {
    !path.split('/').any(|e| e == "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(m: Msgs) -> bool {
        m.is_empty()
    }

    #[test]
    fn dns_labels() {
        for good in ["a", "abc", "a-1", "123", "0-a", &"a".repeat(63)] {
            assert!(ok(dns1123_label(good)), "{good}");
        }
        assert_eq!(dns1123_label("a.b"), vec!["must not contain dots"]);
        for bad in ["", "-a", "a-", "A", "a_b", "a b"] {
            assert_eq!(dns1123_label(bad), vec![DNS1123_LABEL_MSG], "{bad}");
        }
        assert_eq!(
            dns1123_label(&"a".repeat(64)),
            vec!["must be no more than 63 characters"]
        );
    }

    #[test]
    fn dns_subdomains() {
        for good in ["a", "a.b", "example.com", "a-b.c-d", &"a".repeat(253)] {
            assert!(ok(dns1123_subdomain(good)), "{good}");
        }
        for bad in ["", ".a", "a.", "a..b", "A.b", "a_b", "-a.b"] {
            assert_eq!(dns1123_subdomain(bad), vec![DNS1123_SUBDOMAIN_MSG], "{bad}");
        }
        assert_eq!(dns1123_subdomain(&"a".repeat(254)).len(), 1);
    }

    #[test]
    fn label_keys() {
        for good in [
            "a",
            "A",
            "kubernetes.io/os",
            "node-role.kubernetes.io/control-plane",
            "a_b.c-D",
            "1",
        ] {
            assert!(ok(label_key(good)), "{good}");
        }
        assert_eq!(
            label_key("/a"),
            vec![Cow::from("prefix part must be non-empty")]
        );
        assert_eq!(label_key("a/b/c"), vec![LABEL_KEY_SLASHES_MSG]);
        assert!(label_key("Example.com/a")[0].starts_with("prefix part a lowercase RFC 1123"));
        assert_eq!(label_key("a/").len(), 2, "empty name: non-empty + regex");
        assert!(label_key(&"a".repeat(64))[0].contains("no more than 63 bytes"));
        assert!(label_key("-a")[0].starts_with("name part must consist"));
    }

    #[test]
    fn label_values() {
        for good in ["", "a", "A_b.c-1", &"a".repeat(63)] {
            assert!(ok(label_value(good)), "{good}");
        }
        assert_eq!(label_value("-a"), vec![LABEL_VALUE_MSG]);
        assert_eq!(label_value("a b"), vec![LABEL_VALUE_MSG]);
        assert_eq!(
            label_value(&"a".repeat(64)),
            vec!["must be no more than 63 bytes"]
        );
    }

    #[test]
    fn port_names() {
        for good in ["a", "abc", "do-re-me", "http2", "a1b2c3d4e5f6g7h"] {
            assert!(ok(port_name(good)), "{good}");
        }
        let cases: &[(&str, &[&str])] = &[
            ("abcdefghijklmnop", &["no more than 15"]),
            ("a.b", &["only alpha-numeric"]),
            ("Http", &["only alpha-numeric"]),
            ("80", &["at least one letter"]),
            ("a--b", &["consecutive hyphens"]),
            ("-a", &["begin or end"]),
            ("", &["only alpha-numeric", "at least one letter"]),
            ("-", &["at least one letter", "begin or end"]),
        ];
        for (name, want) in cases {
            let got = port_name(name);
            assert_eq!(got.len(), want.len(), "{name}: {got:?}");
            for (g, w) in got.iter().zip(*want) {
                assert!(g.contains(w), "{name}: {g} !~ {w}");
            }
        }
    }

    #[test]
    fn env_names() {
        for good in ["A", "my.env-name", "1abc", "..", "a b", "~!@#"] {
            assert!(ok(env_name(good)), "{good}");
        }
        for bad in ["A=B", "tab\t", "é"] {
            assert_eq!(env_name(bad), vec![ENV_NAME_MSG], "{bad}");
        }
    }

    #[test]
    fn config_keys() {
        for good in ["a", "key.name", "KEY_NAME", "key-name", ".a", "a..b"] {
            assert!(ok(config_key(good)), "{good}");
        }
        assert_eq!(config_key("a/b"), vec![CONFIG_KEY_MSG]);
        assert_eq!(config_key(""), vec![CONFIG_KEY_MSG]);
        assert_eq!(config_key("."), vec!["must not be '.'"]);
        assert_eq!(config_key(".."), vec!["must not be '..'"]);
        assert_eq!(config_key("..a"), vec!["must not start with '..'"]);
        assert_eq!(config_key(&"a".repeat(254)).len(), 1);
    }

    #[test]
    fn header_names_and_percents() {
        assert!(ok(http_header_name("X-Header-1")));
        assert_eq!(http_header_name("X_Header"), vec![HTTP_HEADER_MSG]);
        assert_eq!(http_header_name(""), vec![HTTP_HEADER_MSG]);
        for (s, want) in [("0%", Some(0)), ("01%", Some(1)), ("101%", Some(101))] {
            assert_eq!(percent(s), want, "{s}");
        }
        for bad in ["", "0", "100", "0.0%", "-1%", "+1%", " 1%", "1% ", "%"] {
            assert_eq!(percent(bad), None, "{bad}");
        }
    }

    #[test]
    fn dotdot_elements() {
        assert!(has_no_dotdot("/var/log"));
        assert!(has_no_dotdot("a/..b"));
        assert!(!has_no_dotdot("/var/../etc"));
        assert!(!has_no_dotdot(".."));
    }
}
