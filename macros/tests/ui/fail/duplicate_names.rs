#[tether::events(rename_all = "camelCase")]
pub trait Events {
    fn send_message(text: String);
    #[event(name = "sendMessage")]
    fn send(text: String);
    fn dup(a: u8, a: u8);
}

#[tether::events(rename_all = "kebab-case")]
pub trait Kebab {
    #[event(name = "user-joined")]
    fn joined(name: String);
    fn user_joined(name: String);
}

fn main() {}
