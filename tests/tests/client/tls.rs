//! The Rust client over `https://` and `wss://` against tether serving TLS itself
//! (`bind_tls`), with a CA the test makes: every transport setup works when the
//! client trusts the CA, and a client that trusts only the system's roots is
//! refused with an error that names the certificate.

use rcgen::{Issuer, KeyPair};
use tether::client::{Client, TransportMode};
use tether::server::{Event, Server, ServerConfig, Socket};
use tether_tests::certs::{authority, server_certificate};
use tether_tests::redis::TempDir;

/// A TLS server configuration for 127.0.0.1 with a certificate `issuer` signed.
fn server_tls(issuer: &Issuer<'static, KeyPair>) -> std::sync::Arc<rustls::ServerConfig> {
    let (certificate, key) = server_certificate(issuer);
    let files = TempDir::new("client-tls");
    tether::http::tls_config_from_pem(
        files.write("cert.pem", &certificate),
        files.write("key.pem", &key),
    )
    .expect("a TLS config")
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
