//! Just enough Engine.IO v4 / Socket.IO v5 to serve the bench contract over
//! WebSocket: recognise the four events by their prefix and slice their
//! arguments out of the frame without parsing JSON.

/// What a client frame asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// `40`: connect to the main namespace.
    Connect,
    /// `42ID["echo",ARGS...]`: ack with the same arguments (`ARGS...]`).
    Echo { id: &'a str, rest: &'a str },
    /// `42["broadcast",OBJ]`: emit `bcast(OBJ)` to everyone (`OBJ]`).
    Broadcast { rest: &'a str },
    /// `42ID["join","ROOM"]`: join ROOM, ack `true`.
    Join { id: &'a str, room: &'a str },
    /// `42["room_broadcast","ROOM",OBJ]`: emit `bcast(OBJ)` to ROOM (`OBJ]`).
    RoomBroadcast { room: &'a str, rest: &'a str },
    /// `1`: close.
    Close,
    /// Anything else (pongs included): ignored.
    Other,
}

/// Splits a leading ack id off `s`.
fn ack_id(s: &str) -> (&str, &str) {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    s.split_at(digits)
}

/// Reads a JSON string without escapes at the start of `s`, returning it and what follows.
fn plain_string(s: &str) -> Option<(&str, &str)> {
    let body = s.strip_prefix('"')?;
    let end = body.find('"')?;
    let value = &body[..end];
    (!value.contains('\\')).then_some((value, &body[end + 1..]))
}

/// Classifies a client text frame.
pub fn parse(frame: &str) -> Request<'_> {
    if frame == "40" || frame.starts_with("40{") {
        return Request::Connect;
    }
    if frame == "1" {
        return Request::Close;
    }
    let Some(event) = frame.strip_prefix("42") else {
        return Request::Other;
    };
    let (id, body) = ack_id(event);
    if let Some(rest) = body.strip_prefix("[\"echo\"")
        && !id.is_empty()
    {
        let rest = rest.strip_prefix(',').unwrap_or(rest);
        return Request::Echo { id, rest };
    }
    if let Some(rest) = body.strip_prefix("[\"broadcast\",") {
        return Request::Broadcast { rest };
    }
    if let Some(rest) = body.strip_prefix("[\"join\",")
        && let Some((room, _)) = plain_string(rest)
        && !id.is_empty()
    {
        return Request::Join { id, room };
    }
    if let Some(rest) = body.strip_prefix("[\"room_broadcast\",")
        && let Some((room, after)) = plain_string(rest)
        && let Some(rest) = after.strip_prefix(',')
    {
        return Request::RoomBroadcast { room, rest };
    }
    Request::Other
}

/// `43ID[ARGS...]` from the echo's remaining arguments (`ARGS...]`).
pub fn echo_ack(id: &str, rest: &str) -> String {
    format!("43{id}[{rest}")
}

/// `43ID[true]`.
pub fn join_ack(id: &str) -> String {
    format!("43{id}[true]")
}

/// `42["bcast",OBJ]` from `OBJ]`.
pub fn bcast(rest: &str) -> String {
    format!("42[\"bcast\",{rest}")
}

/// The Engine.IO open packet for a WebSocket session.
pub fn open(sid: &str) -> String {
    format!(
        "0{{\"sid\":\"{sid}\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}}"
    )
}

/// The Socket.IO CONNECT reply.
pub fn connected(sid: &str) -> String {
    format!("40{{\"sid\":\"{sid}\"}}")
}

/// A 20-character id from a number, in the base64url alphabet.
pub fn id(n: u64, salt: u64) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut x = (n ^ salt.rotate_left(17)).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    (0..20)
        .map(|i| {
            if i == 10 {
                x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ n;
            }
            let c = ALPHABET[(x & 63) as usize] as char;
            x = x.rotate_right(6);
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_frames() {
        assert_eq!(parse("40"), Request::Connect);
        assert_eq!(
            parse("427[\"echo\",1,\"a\"]"),
            Request::Echo {
                id: "7",
                rest: "1,\"a\"]"
            }
        );
        assert_eq!(echo_ack("7", "1,\"a\"]"), "437[1,\"a\"]");
        assert_eq!(parse("427[\"echo\"]"), Request::Echo { id: "7", rest: "]" });
        assert_eq!(echo_ack("7", "]"), "437[]");
        assert_eq!(
            parse("42[\"broadcast\",{\"seq\":1}]"),
            Request::Broadcast {
                rest: "{\"seq\":1}]"
            }
        );
        assert_eq!(bcast("{\"seq\":1}]"), "42[\"bcast\",{\"seq\":1}]");
        assert_eq!(
            parse("421[\"join\",\"r1\"]"),
            Request::Join {
                id: "1",
                room: "r1"
            }
        );
        assert_eq!(
            parse("42[\"room_broadcast\",\"r1\",{}]"),
            Request::RoomBroadcast {
                room: "r1",
                rest: "{}]"
            }
        );
        assert_eq!(parse("3"), Request::Other);
        assert_eq!(parse("1"), Request::Close);
        assert_eq!(id(1, 2).len(), 20);
        assert_ne!(id(1, 2), id(2, 2));
    }
}
