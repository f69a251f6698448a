//! The Rust client over `https://` and `wss://` against tether serving TLS itself
//! (`bind_tls`), with a CA the test makes: every transport setup works when the
//! client trusts the CA, and a client that trusts only the system's roots is
//! refused with an error that names the certificate.

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tether::client::{Client, TransportMode};
use tether::server::{Event, Server, ServerConfig, Socket};

/// A certificate authority: its PEM certificate and what signs with it.
fn authority() -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::new()).expect("no names");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().expect("a key");
    let certificate = params.self_signed(&key).expect("a CA certificate");
    (certificate.pem(), Issuer::new(params, key))
}

/// A TLS server configuration for 127.0.0.1 with a certificate `issuer` signed.
fn server_tls(issuer: &Issuer<'static, KeyPair>) -> std::sync::Arc<rustls::ServerConfig> {
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("valid names");
    let key = KeyPair::generate().expect("a key");
    let certificate = params.signed_by(&key, issuer).expect("signed");
    let dir = std::env::temp_dir().join(format!("tether-client-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, certificate.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let config = tether::http::tls_config_from_pem(&cert_path, &key_path).expect("a TLS config");
    let _ = std::fs::remove_dir_all(&dir);
    config
}

#[tokio::test]
async fn the_client_speaks_tls_on_every_transport_and_refuses_an_unknown_ca() {
    let (ca, issuer) = authority();
    let io = Server::new(ServerConfig::default());
    io.main()
        .on("secure?", |socket: Socket, mut event: Event| async move {
            event.ack(&socket.handshake().secure())
        });
    let server = tether::http::bind_tls(io.clone(), "127.0.0.1:0", server_tls(&issuer))
        .await
        .expect("bound");
    let url = format!("https://localhost:{}", server.local_addr().port());

    for mode in [
        TransportMode::WebSocket,
        TransportMode::Polling,
        TransportMode::PollingThenWebSocket,
    ] {
        let client = Client::builder(&url)
            .transport(mode)
            .tls_root_certificates_pem(ca.clone())
            .connect()
            .await
            .unwrap_or_else(|error| panic!("{mode:?}: {error}"));
        let secure: bool = client
            .emit_with_ack("secure?", &())
            .await
            .expect("an answer");
        assert!(secure, "{mode:?}: the server sees a TLS connection");
        client.disconnect();
    }

    for mode in [TransportMode::WebSocket, TransportMode::Polling] {
        let refused = Client::builder(&url)
            .transport(mode)
            .connect()
            .await
            .expect_err("a certificate from an unknown CA");
        let message = refused.to_string();
        assert!(message.contains("certificate"), "{mode:?}: {message}");
    }

    let bad = Client::builder(&url)
        .tls_root_certificates_pem("not a certificate")
        .connect()
        .await
        .expect_err("no CA in the PEM");
    assert!(bad.to_string().contains("TLS setup failed"), "{bad}");
    io.close(std::time::Duration::from_secs(1)).await;
    server.shutdown(std::time::Duration::from_secs(1)).await;
}
