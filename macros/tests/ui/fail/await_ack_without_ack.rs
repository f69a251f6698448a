use tether::contract::TypedSocket;

#[tether::events]
pub trait Server {
    fn message(text: String);
}

async fn emit(socket: TypedSocket<Server>) {
    let _ = socket.message("hello").await;
}

fn main() {}
