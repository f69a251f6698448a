//! Certificates made on the spot for the TLS tests: a certificate authority and
//! server certificates for `127.0.0.1` and `localhost` signed by it.

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

/// A certificate authority: its PEM certificate and what signs with it.
///
/// # Panics
///
/// If rcgen cannot make a key or the certificate.
pub fn authority() -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::new()).expect("no names");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().expect("a key");
    let certificate = params.self_signed(&key).expect("a CA certificate");
    (certificate.pem(), Issuer::new(params, key))
}

/// A server certificate for `127.0.0.1` and `localhost` signed by `issuer`: the
/// certificate and its key, PEM.
///
/// # Panics
///
/// If rcgen cannot make a key or the certificate.
pub fn server_certificate(issuer: &Issuer<'static, KeyPair>) -> (String, String) {
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("valid names");
    let key = KeyPair::generate().expect("a key");
    let certificate = params.signed_by(&key, issuer).expect("signed");
    (certificate.pem(), key.serialize_pem())
}
