//! Writing generated files and detecting stale copies.

#![allow(missing_docs)]

use std::fs;
use std::path::PathBuf;

use tether::contract::NamespaceDescriptor;
use tether_codegen::{Document, Error};

#[tether::events]
pub trait Client {
    /// Says hello.
    fn hello(name: String);
}

#[tether::events]
pub trait Server {
    fn welcome(text: String);
}

fn document() -> Document {
    Document::new("files", "1.0.0").namespace(NamespaceDescriptor::new::<Client, Server>("/"))
}

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("tether-codegen-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn writes_the_three_files() {
    let dir = TempDir::new("write");
    let paths = document().write_all(&dir.0, "api").unwrap();
    let names: Vec<_> = paths
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["api.schema.json", "api.ts", "api.asyncapi.json"]);
    let ts = fs::read_to_string(dir.0.join("api.ts")).unwrap();
    assert_eq!(ts, document().typescript().unwrap());
    document().check_all(&dir.0, "api").unwrap();
}

#[test]
fn stale_and_missing_files_are_reported_with_a_diff() {
    let dir = TempDir::new("stale");
    document().write_all(&dir.0, "api").unwrap();
    let ts = dir.0.join("api.ts");
    let edited = fs::read_to_string(&ts)
        .unwrap()
        .replace("hello: (name: string)", "hello: (name: number)");
    fs::write(&ts, edited).unwrap();
    fs::remove_file(dir.0.join("api.asyncapi.json")).unwrap();

    match document().check_all(&dir.0, "api") {
        Err(Error::Stale { paths, diff }) => {
            assert_eq!(paths, [ts.clone(), dir.0.join("api.asyncapi.json")]);
            assert!(diff.contains("-  hello: (name: number) => void;"), "{diff}");
            assert!(diff.contains("+  hello: (name: string) => void;"), "{diff}");
            assert!(diff.contains("+  \"asyncapi\": \"3.1.0\","), "{diff}");
        }
        other => panic!("expected stale files, got {other:?}"),
    }

    document().write_all(&dir.0, "api").unwrap();
    document().check_all(&dir.0, "api").unwrap();
}
