#[tether::events]
pub trait Events {
    fn hello(&self, name: String);
    fn bye(self);
}

fn main() {}
