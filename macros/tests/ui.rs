//! Compile tests of `#[tether::events]` and `#[derive(tether::Room)]`: `pass/` must
//! compile (and run), `fail/` must fail with the errors in the `.stderr` files.
//!
//! The expected errors are rustc 1.95's; after a toolchain change, review and
//! refresh them with `TRYBUILD=overwrite cargo test -p tether-macros --test ui`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
