//! `tls_config_from_pem`: what a bad certificate or key file gives, with the file
//! named. Serving over TLS is tested with socket.io-client in
//! `tests/js/test/tls.test.mjs`.

use std::io::ErrorKind;

use rcgen::{CertificateParams, KeyPair};
use tether::http::tls_config_from_pem;

struct Files {
    dir: std::path::PathBuf,
}

impl Files {
    fn new(name: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("tether-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Files { dir }
    }

    fn write(&self, name: &str, contents: &str) -> std::path::PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn self_signed() -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn a_matching_pair_loads() {
    let files = Files::new("ok");
    let (cert, key) = self_signed();
    let config =
        tls_config_from_pem(files.write("c.pem", &cert), files.write("k.pem", &key)).unwrap();
    assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
}

#[test]
fn bad_files_are_named_in_the_error() {
    let files = Files::new("bad");
    let (cert, key) = self_signed();
    let (_, other_key) = self_signed();
    let cert_path = files.write("c.pem", &cert);
    let key_path = files.write("k.pem", &key);

    let missing = tls_config_from_pem(files.dir.join("absent.pem"), &key_path).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::InvalidData);
    assert!(missing.to_string().contains("absent.pem"), "{missing}");

    let empty =
        tls_config_from_pem(files.write("empty.pem", "nothing here\n"), &key_path).unwrap_err();
    assert!(empty.to_string().contains("no certificate"), "{empty}");

    let no_key = tls_config_from_pem(&cert_path, &cert_path).unwrap_err();
    assert!(no_key.to_string().contains("c.pem"), "{no_key}");

    let mismatch =
        tls_config_from_pem(&cert_path, files.write("other.pem", &other_key)).unwrap_err();
    assert!(mismatch.to_string().contains("other.pem"), "{mismatch}");
}
