#[tether::events(rename = "camelCase")]
pub trait Events {
    #[event(nme = "x")]
    fn one();
}

#[tether::events(rename_all = "camel")]
pub trait Rule {
    #[event(name = 42)]
    fn two();
    #[event(name = "a", name = "b")]
    fn three();
}

#[tether::events(version = "")]
pub trait Unversioned {
    fn four();
}

fn main() {}
