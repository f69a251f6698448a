#[tether::events]
pub trait Generic<T> {
    fn value(value: T);
}

#[tether::events]
pub trait Methods {
    fn each<T>(value: T);
    fn anything(value: impl serde::Serialize);
    fn borrowed(name: &str, list: &[u8]);
    fn lifetime<'a>(name: std::borrow::Cow<'a, str>);
}

fn main() {}
