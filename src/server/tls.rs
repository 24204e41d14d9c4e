//! rustls server configuration from PEM bytes: TLS 1.2 and 1.3 only, ALPN `h2` (with
//! `--http2`) and `http/1.1`, no SNI needed (one certificate for every name), and optional
//! client-certificate verification (mTLS).

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

use super::Error;

/// ALPN id of HTTP/2.
pub const ALPN_H2: &[u8] = b"h2";
/// ALPN id of HTTP/1.1.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// What stays the same across certificate reloads.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Trust anchors for client certificates; `None` disables client authentication.
    pub client_roots: Option<Arc<RootCertStore>>,
    /// Offer `h2` in ALPN.
    pub http2: bool,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds a server configuration from a PEM certificate chain and PEM private key.
pub fn server_config(
    cert_pem: &[u8],
    key_pem: &[u8],
    settings: &Settings,
) -> Result<Arc<ServerConfig>, Error> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Pem(format!("certificate: {e}")))?;
    if chain.is_empty() {
        return Err(Error::Pem(
            "certificate file holds no CERTIFICATE block".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => Error::NoTlsKey,
        e => Error::Pem(format!("private key: {e}")),
    })?;
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(Error::InvalidCredentials)?;
    let builder = match &settings.client_roots {
        Some(roots) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider())
                .build()
                .map_err(|e| Error::ClientCa(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(Error::InvalidCredentials)?;
    config.alpn_protocols = if settings.http2 {
        vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()]
    } else {
        vec![ALPN_HTTP11.to_vec()]
    };
    Ok(Arc::new(config))
}

/// Reads a PEM CA bundle into a root store for client-certificate verification.
pub fn client_roots(pem: &[u8]) -> Result<Arc<RootCertStore>, Error> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| Error::ClientCa(e.to_string()))?;
        roots
            .add(cert)
            .map_err(|e| Error::ClientCa(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(Error::ClientCa("no CERTIFICATE block".into()));
    }
    Ok(Arc::new(roots))
}
