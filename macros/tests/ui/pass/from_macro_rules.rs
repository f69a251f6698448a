//! A contract written by a `macro_rules!` compiles and works like one written
//! by hand: the argument, ack and receiver names the generated code uses do not
//! depend on where the types were written, nor on whether the attribute or the
//! trait's body came from the macro.

use tether::contract::TypedSocket;

macro_rules! versioned_contract {
    ($name:ident, $payload:ty, $ack:ty) => {
        #[tether::events]
        pub trait $name {
            fn notice(text: $payload, count: u32);
            fn ask(question: $payload) -> $ack;
        }
    };
}

macro_rules! contract_with_own_types {
    ($name:ident) => {
        #[tether::events]
        pub trait $name {
            fn notice(text: String, count: u32);
            fn ask(question: String) -> bool;
        }
    };
}

macro_rules! contract_from_body {
    ($name:ident { $($body:tt)* }) => {
        #[tether::events]
        pub trait $name {
            $($body)*
        }
    };
}

versioned_contract!(Notices, String, bool);
contract_with_own_types!(OwnNotices);
contract_from_body!(BodyNotices {
    fn notice(text: String, count: u32);
    fn ask(question: String) -> bool;
});

#[allow(dead_code)]
fn emit(
    socket: &TypedSocket<Notices>,
    own: &TypedSocket<OwnNotices>,
    body: &TypedSocket<BodyNotices>,
) {
    let _ = socket.notice("hello".to_owned(), 1);
    let _ = socket.ask("ready?".to_owned());
    let _ = own.notice("hello".to_owned(), 2);
    let _ = own.ask("ready?".to_owned());
    let _ = body.notice("hello".to_owned(), 3);
    let _ = body.ask("ready?".to_owned());
}

fn main() {
    use tether::contract::ContractEvent;
    let args: tether::protocol::Args = serde_json::from_str(r#"["hi",3]"#).unwrap();
    match NoticesEvent::decode("notice", &args).unwrap() {
        NoticesEvent::Notice { text, count } => assert_eq!((text.as_str(), count), ("hi", 3)),
        other => panic!("decoded {}", other.name()),
    }
    match OwnNoticesEvent::decode("notice", &args).unwrap() {
        OwnNoticesEvent::Notice { text, count } => assert_eq!((text.as_str(), count), ("hi", 3)),
        other => panic!("decoded {}", other.name()),
    }
    match BodyNoticesEvent::decode("notice", &args).unwrap() {
        BodyNoticesEvent::Notice { text, count } => assert_eq!((text.as_str(), count), ("hi", 3)),
        other => panic!("decoded {}", other.name()),
    }
}
