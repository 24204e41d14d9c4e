//! Development certificates: a CA and a serving certificate made with rcgen.
//!
//! `serve` without `--tls-cert/--tls-key` and `kds-webhook certs` both call [`ensure`], which
//! writes `ca.crt`, `ca.key`, `tls.crt` and `tls.key` (keys mode 0600) into a directory, or
//! reuses what is there: the serving certificate is re-issued (by the same CA) when its SANs do
//! not cover the requested names or it expires within [`RENEW_BEFORE`]; the CA is re-made only
//! when it is missing, unreadable or itself expiring. Files are written to a temporary name and
//! renamed, so a server polling them never reads half a file.
//!
//! [`Ca`] is public so that tests can make their own CAs, serving and client certificates.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// CA certificate file name.
pub const CA_CERT: &str = "ca.crt";
/// CA private key file name (needed to re-issue the serving certificate).
pub const CA_KEY: &str = "ca.key";
/// Serving certificate file name.
pub const TLS_CERT: &str = "tls.crt";
/// Serving private key file name.
pub const TLS_KEY: &str = "tls.key";
/// A certificate expiring sooner than this is re-issued.
pub const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);
/// Names every development serving certificate covers.
pub const LOCAL_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

const CA_COMMON_NAME: &str = "kds-webhook development CA";
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
const LEAF_VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);

/// Why certificates could not be made, read or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// rcgen refused the parameters or failed to sign.
    #[error("failed to generate a certificate")]
    Generate(#[source] rcgen::Error),
    /// A file could not be read or written.
    #[error("failed to access {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file holds no certificate, or one that does not parse.
    #[error("failed to parse certificate: {0}")]
    Parse(String),
    /// A name for the serving certificate is neither a DNS name nor an IP address.
    #[error("{0}")]
    Name(String),
}

impl From<rcgen::Error> for Error {
    fn from(e: rcgen::Error) -> Self {
        Self::Generate(e)
    }
}

/// What [`ensure`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Everything on disk was current.
    Reused,
    /// The serving certificate was re-issued by the existing CA.
    IssuedLeaf,
    /// A new CA and serving certificate were made.
    CreatedAll,
}

/// The outcome of [`ensure`].
#[derive(Clone, Debug)]
pub struct Ensured {
    /// What was done.
    pub action: Action,
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// Path of `tls.crt`.
    pub cert_path: PathBuf,
    /// Path of `tls.key`.
    pub key_path: PathBuf,
}

impl Ensured {
    /// The CA as a webhook configuration's `caBundle`: base64 of the PEM.
    pub fn ca_bundle(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.ca_pem.as_bytes())
    }
}

impl Action {
    /// What was done, in words, naming the files written in `dir`.
    pub fn describe(self, dir: &Path) -> String {
        let dir = dir.display();
        match self {
            Self::Reused => format!("{dir} already holds a current CA and serving certificate"),
            Self::IssuedLeaf => format!(
                "issued a new serving certificate with the existing CA: wrote {TLS_CERT} and {TLS_KEY} in {dir}"
            ),
            Self::CreatedAll => format!(
                "created a new CA and serving certificate: wrote {CA_CERT}, {CA_KEY}, {TLS_CERT} and {TLS_KEY} in {dir}"
            ),
        }
    }
}

/// Checks that every name can go into a serving certificate: an IP address, a DNS name
/// (RFC 1123 subdomain, as Kubernetes names are), or a wildcard `*.` followed by one.
pub fn check_names(names: &[String]) -> Result<(), Error> {
    for name in names {
        if name.parse::<IpAddr>().is_ok() {
            continue;
        }
        let host = name.strip_prefix("*.").unwrap_or(name);
        if let Some(m) = crate::validation::names::dns1123_subdomain(host).first() {
            return Err(Error::Name(format!(
                "--dns-name {name:?}: Invalid value: {name:?}: {m}"
            )));
        }
    }
    Ok(())
}

/// [`LOCAL_NAMES`] followed by `extra`, without duplicates.
pub fn serving_names(extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = LOCAL_NAMES.iter().map(|s| (*s).to_owned()).collect();
    for n in extra {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
}

/// Makes sure `dir` holds a CA and a serving certificate for `names` (see the module docs).
/// `force` re-makes everything.
pub fn ensure(dir: &Path, names: &[String], force: bool) -> Result<Ensured, Error> {
    check_names(names)?;
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_owned(),
        source,
    })?;
    let ca = if force { None } else { Ca::load(dir) };
    let (ca, mut action) = match ca {
        Some(ca) => (ca, Action::Reused),
        None => {
            let ca = Ca::new(CA_COMMON_NAME)?;
            write(&dir.join(CA_KEY), ca.key_pem().as_bytes(), true)?;
            write(&dir.join(CA_CERT), ca.cert_pem().as_bytes(), false)?;
            (ca, Action::CreatedAll)
        }
    };
    let cert_path = dir.join(TLS_CERT);
    let key_path = dir.join(TLS_KEY);
    let leaf_ok = action == Action::Reused
        && std::fs::read(&key_path)
            .is_ok_and(|k| KeyPair::from_pem(&String::from_utf8_lossy(&k)).is_ok())
        && std::fs::read(&cert_path)
            .ok()
            .and_then(|pem| inspect(&pem).ok())
            .is_some_and(|info| info.covers(names) && !info.expires_within(RENEW_BEFORE));
    if !leaf_ok {
        let (cert, key) = ca.issue_server(names)?;
        write(&key_path, key.as_bytes(), true)?;
        write(&cert_path, cert.as_bytes(), false)?;
        if action == Action::Reused {
            action = Action::IssuedLeaf;
        }
    }
    Ok(Ensured {
        action,
        ca_pem: ca.cert_pem(),
        cert_path,
        key_path,
    })
}

/// Writes a file through a temporary name and a rename; `secret` files get mode 0600.
///
/// The temporary name is per file (`.tls.key.tmp`), so a key and its certificate never share
/// one, and it is created fresh (`create_new`: no symlink followed, no stale file whose looser
/// mode would be kept); a leftover from a crash is removed first.
fn write(path: &Path, content: &[u8], secret: bool) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(if secret { 0o600 } else { 0o644 });
    }
    let _ = secret;
    let mut f = opts.open(&tmp).map_err(io)?;
    f.write_all(content).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// What the webhook needs to know about a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// notAfter, seconds since the epoch.
    pub not_after: i64,
    /// DNS SANs.
    pub dns_names: Vec<String>,
    /// IP SANs.
    pub ips: Vec<IpAddr>,
    /// Serial number, hex.
    pub serial: String,
    /// Subject common name(s), joined.
    pub subject: String,
}

impl CertInfo {
    /// True when every name (DNS name or IP literal) is among the SANs.
    pub fn covers(&self, names: &[String]) -> bool {
        names.iter().all(|n| match n.parse::<IpAddr>() {
            Ok(ip) => self.ips.contains(&ip),
            Err(_) => self.dns_names.iter().any(|d| d.eq_ignore_ascii_case(n)),
        })
    }

    /// True when the certificate is expired or expires within `d`.
    pub fn expires_within(&self, d: Duration) -> bool {
        let horizon = unix_now().saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.not_after <= horizon
    }
}

/// Reads the first certificate of a PEM bundle.
pub fn inspect(pem: &[u8]) -> Result<CertInfo, Error> {
    let der = CertificateDer::pem_slice_iter(pem)
        .next()
        .ok_or_else(|| Error::Parse("no CERTIFICATE block".into()))?
        .map_err(|e| Error::Parse(e.to_string()))?;
    inspect_der(&der)
}

/// Reads a DER certificate.
pub fn inspect_der(der: &[u8]) -> Result<CertInfo, Error> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|e| Error::Parse(e.to_string()))?;
    let mut dns_names = Vec::new();
    let mut ips = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => dns_names.push((*d).to_owned()),
                GeneralName::IPAddress(b) => {
                    if let Ok(a) = <[u8; 4]>::try_from(*b) {
                        ips.push(IpAddr::from(a));
                    } else if let Ok(a) = <[u8; 16]>::try_from(*b) {
                        ips.push(IpAddr::from(a));
                    }
                }
                _ => {}
            }
        }
    }
    let subject = cert
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    Ok(CertInfo {
        not_after: cert.validity().not_after.timestamp(),
        dns_names,
        ips,
        serial: cert.raw_serial_as_string(),
        subject,
    })
}

/// A certificate authority able to issue serving and client certificates.
pub struct Ca {
    params: CertificateParams,
    key: KeyPair,
    cert_pem: String,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

// === impl Ca ===

impl Ca {
    /// A new self-signed CA with the given common name, valid for ten years.
    pub fn new(common_name: &str) -> Result<Self, Error> {
        let key = KeyPair::generate()?;
        let params = ca_params(common_name);
        let cert_pem = params.self_signed(&key)?.pem();
        Ok(Self {
            params,
            key,
            cert_pem,
        })
    }

    /// The development CA stored in `dir`, when its files are present, it is ours (same
    /// subject), and it does not expire within [`RENEW_BEFORE`].
    fn load(dir: &Path) -> Option<Self> {
        let cert_pem = std::fs::read_to_string(dir.join(CA_CERT)).ok()?;
        let key_pem = std::fs::read_to_string(dir.join(CA_KEY)).ok()?;
        let key = KeyPair::from_pem(&key_pem).ok()?;
        let info = inspect(cert_pem.as_bytes()).ok()?;
        if info.subject != CA_COMMON_NAME || info.expires_within(RENEW_BEFORE) {
            return None;
        }
        // The issuer needs only the CA's subject, key identifier method and key; rebuilding
        // the parameters deterministically gives the same subject the stored cert has.
        Some(Self {
            params: ca_params(CA_COMMON_NAME),
            key,
            cert_pem,
        })
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> String {
        self.cert_pem.clone()
    }

    /// The CA private key, PEM.
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    /// Issues a serving certificate for `names` (DNS names or IP literals); returns the
    /// certificate and key PEMs. The certificate's CN is the first name.
    pub fn issue_server(&self, names: &[String]) -> Result<(String, String), Error> {
        self.issue(names, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// Issues a client certificate (for mTLS) with the given common name.
    pub fn issue_client(&self, common_name: &str) -> Result<(String, String), Error> {
        self.issue(
            &[common_name.to_owned()],
            ExtendedKeyUsagePurpose::ClientAuth,
        )
    }

    fn issue(
        &self,
        names: &[String],
        usage: ExtendedKeyUsagePurpose,
    ) -> Result<(String, String), Error> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.subject_alt_names = names
            .iter()
            .map(|n| match n.parse::<IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => Ok(SanType::DnsName(n.clone().try_into()?)),
            })
            .collect::<Result<_, rcgen::Error>>()?;
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            names.first().map_or("kds-webhook", String::as_str),
        );
        params.distinguished_name = dn;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![usage];
        params.use_authority_key_identifier_extension = true;
        params.serial_number = Some(serial());
        set_validity(&mut params, LEAF_VALIDITY);
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer)?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

fn ca_params(common_name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.serial_number = Some(serial());
    set_validity(&mut params, CA_VALIDITY);
    params
}

/// Valid from one hour ago (clock skew) to `d` from now.
fn set_validity(params: &mut CertificateParams, d: Duration) {
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    params.not_before = epoch + now.saturating_sub(Duration::from_secs(3600));
    params.not_after = epoch + now + d;
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A positive serial unique enough for development certificates: time in nanoseconds.
fn serial() -> SerialNumber {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let n = nanos.wrapping_add(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    // Leading byte 0x01 keeps the DER integer positive and non-zero.
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(&n.to_be_bytes());
    SerialNumber::from(bytes)
}
