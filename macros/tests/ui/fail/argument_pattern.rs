#[tether::events]
pub trait Events {
    fn point((x, y): (i32, i32));
    fn skip(_: String);
    fn mutable(mut count: u32);
}

fn main() {}
