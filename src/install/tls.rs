//! The TLS Secret and the checks on the PEM text it is built from.
//!
//! The API server connects to `https://<svc>.<ns>.svc:443` and verifies the serving
//! certificate against the webhook configuration's `caBundle`; a certificate that does not
//! name `<svc>.<ns>.svc` makes every call fail and, with `failurePolicy: Fail`, every write
//! of a KubernetesDaemonSet. So that is checked here, before anything is printed.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use x509_parser::extensions::GeneralName;

use super::Options;

/// Why certificate material was refused.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file that must hold a PEM certificate does not.
    #[error("{0} is not a PEM certificate (expected a -----BEGIN CERTIFICATE----- block)")]
    NotACertificate(&'static str),
    /// The key file holds no PEM private key.
    #[error("tls.key is not a PEM private key (expected a -----BEGIN ... PRIVATE KEY----- block)")]
    NotAKey,
    /// The serving certificate could not be parsed.
    #[error("failed to parse tls.crt: {0}")]
    Parse(String),
    /// The serving certificate does not name the Service.
    #[error(
        "tls.crt is for {found:?} but the API server will call {wanted:?}; \
         regenerate it with `kds-webhook certs --dns-name {wanted} --out DIR`"
    )]
    WrongName {
        /// The DNS name the API server verifies.
        wanted: String,
        /// The certificate's DNS names.
        found: Vec<String>,
    },
}

/// A CA certificate, a serving certificate and its key, all PEM (as `kds-webhook certs` writes
/// them: `ca.crt`, `tls.crt`, `tls.key`).
#[derive(Debug, Clone)]
pub struct TlsMaterial {
    /// The CA that signed `tls_crt`; becomes the webhooks' `caBundle`.
    pub ca_crt: String,
    /// The serving certificate (chain).
    pub tls_crt: String,
    /// The serving certificate's private key.
    pub tls_key: String,
}

impl TlsMaterial {
    /// Checks the PEM shapes and wraps the three texts.
    pub fn new(ca_crt: String, tls_crt: String, tls_key: String) -> Result<Self, TlsError> {
        check_ca_bundle(&ca_crt)?;
        if !is_pem_certificate(&tls_crt) {
            return Err(TlsError::NotACertificate("tls.crt"));
        }
        if !(tls_key.contains("-----BEGIN") && tls_key.contains("PRIVATE KEY-----")) {
            return Err(TlsError::NotAKey);
        }
        Ok(Self {
            ca_crt,
            tls_crt,
            tls_key,
        })
    }

    /// The serving certificate's DNS subject alternative names.
    pub fn dns_names(&self) -> Result<Vec<String>, TlsError> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(self.tls_crt.as_bytes())
            .map_err(|e| TlsError::Parse(e.to_string()))?;
        let cert = pem
            .parse_x509()
            .map_err(|e| TlsError::Parse(e.to_string()))?;
        let san = cert
            .subject_alternative_name()
            .map_err(|e| TlsError::Parse(e.to_string()))?;
        Ok(san
            .map(|s| {
                s.value
                    .general_names
                    .iter()
                    .filter_map(|n| match n {
                        GeneralName::DNSName(d) => Some((*d).to_owned()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Fails unless the serving certificate names `<svc>.<ns>.svc`.
    pub fn check_names(&self, opts: &Options) -> Result<(), TlsError> {
        let [wanted, _] = opts.service_dns_names();
        let found = self.dns_names()?;
        if found.contains(&wanted) {
            Ok(())
        } else {
            Err(TlsError::WrongName { wanted, found })
        }
    }
}

/// Fails unless `pem` holds at least one PEM certificate.
pub fn check_ca_bundle(pem: &str) -> Result<(), TlsError> {
    if is_pem_certificate(pem) {
        Ok(())
    } else {
        Err(TlsError::NotACertificate("the CA bundle"))
    }
}

fn is_pem_certificate(pem: &str) -> bool {
    pem.contains("-----BEGIN CERTIFICATE-----") && pem.contains("-----END CERTIFICATE-----")
}

/// The `kubernetes.io/tls` Secret the pods mount at `/certs`.
pub(super) fn secret(opts: &Options, m: &TlsMaterial) -> Secret {
    let bytes = |s: &str| ByteString(s.as_bytes().to_vec());
    Secret {
        metadata: opts.meta(opts.tls_secret_name(), true),
        type_: Some("kubernetes.io/tls".into()),
        data: Some(BTreeMap::from([
            ("ca.crt".to_owned(), bytes(&m.ca_crt)),
            ("tls.crt".to_owned(), bytes(&m.tls_crt)),
            ("tls.key".to_owned(), bytes(&m.tls_key)),
        ])),
        ..Secret::default()
    }
}
