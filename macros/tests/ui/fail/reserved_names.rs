#[tether::events]
pub trait Events {
    fn connect(token: String);
    fn disconnecting();
    #[event(name = "newListener")]
    fn listener(name: String);
}

#[tether::events(rename_all = "camelCase")]
pub trait Renamed {
    fn connect_error(message: String);
    fn remove_listener(name: String);
}

fn main() {}
