#[tether::events]
#[allow(dead_code)]
pub trait Events: Send {
    const LIMIT: usize;
    type Item;
    async fn asynchronous(room: String);
    fn with_body(room: String) {}
    #[serde(rename = "x")]
    fn attributed(room: String);
    fn on_connect(token: String);
    fn borrows_self(value: Self);
}

fn main() {}
