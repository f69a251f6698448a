use tether::contract::TypedSocket;

#[tether::events]
pub trait Server {
    fn message(text: String);
}

fn emit(socket: TypedSocket<Server>) {
    let _ = socket.mesage("hello");
}

fn main() {}
