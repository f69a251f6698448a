//! The few Socket.IO packets of the benchmark in socket.io-msgpack-parser's form
//! (one MessagePack map per packet: `type`, `nsp`, `data`, `id`), written from
//! constant pieces and read with a cursor that never allocates, as the JSON side
//! of [`crate::eio`] does.

/// Whether `frame` is a MessagePack packet (a map) rather than an Engine.IO text.
pub fn is_packet(frame: &[u8]) -> bool {
    matches!(frame.first(), Some(0x80..=0x8f | 0xde | 0xdf))
}

fn str(out: &mut Vec<u8>, s: &str) {
    // Every string of the benchmark is under 32 bytes: a fixstr.
    out.push(0xa0 | s.len() as u8);
    out.extend_from_slice(s.as_bytes());
}

fn uint(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0x7f => out.push(n as u8),
        0x80..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(0xcf);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// A map of `fields` entries (at most 15) that starts `type: packet_type, nsp: "/"`.
fn packet(fields: u8, packet_type: u8, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity);
    out.push(0x80 | fields);
    str(&mut out, "type");
    out.push(packet_type);
    str(&mut out, "nsp");
    str(&mut out, "/");
    out
}

/// `{type:0,nsp:"/"}`: CONNECT to the main namespace.
pub fn connect() -> Vec<u8> {
    packet(2, 0, 16)
}

/// `{type:2,nsp:"/",data:["broadcast",{seq,t}]}`
pub fn broadcast(seq: u64, t_us: u64) -> Vec<u8> {
    let mut out = packet(3, 2, 48);
    str(&mut out, "data");
    out.push(0x92);
    str(&mut out, "broadcast");
    out.push(0x82);
    str(&mut out, "seq");
    uint(&mut out, seq);
    str(&mut out, "t");
    uint(&mut out, t_us);
    out
}

/// `{type:2,nsp:"/",id,data:["echo",t]}`
pub fn echo(id: u64, t_us: u64) -> Vec<u8> {
    let mut out = packet(4, 2, 40);
    str(&mut out, "id");
    uint(&mut out, id);
    str(&mut out, "data");
    out.push(0x92);
    str(&mut out, "echo");
    uint(&mut out, t_us);
    out
}

/// A read position in a MessagePack value.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let slice = self.bytes.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(slice)
    }

    fn be(&mut self, len: usize) -> Option<u64> {
        Some(
            self.take(len)?
                .iter()
                .fold(0u64, |value, &byte| (value << 8) | u64::from(byte)),
        )
    }

    /// A map's or array's length, given its marker.
    fn container(&mut self, marker: u8) -> Option<(bool, usize)> {
        Some(match marker {
            0x80..=0x8f => (true, usize::from(marker & 0x0f)),
            0x90..=0x9f => (false, usize::from(marker & 0x0f)),
            0xdc => (false, self.be(2)? as usize),
            0xdd => (false, self.be(4)? as usize),
            0xde => (true, self.be(2)? as usize),
            0xdf => (true, self.be(4)? as usize),
            _ => return None,
        })
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let len = match self.byte()? {
            marker @ 0xa0..=0xbf => usize::from(marker & 0x1f),
            0xd9 => self.be(1)? as usize,
            0xda => self.be(2)? as usize,
            0xdb => self.be(4)? as usize,
            _ => return None,
        };
        self.take(len)
    }

    /// A non-negative integer (JavaScript numbers may come as floats).
    fn number(&mut self) -> Option<u64> {
        Some(match self.byte()? {
            small @ 0x00..=0x7f => u64::from(small),
            0xcc => self.be(1)?,
            0xcd => self.be(2)?,
            0xce => self.be(4)?,
            0xcf => self.be(8)?,
            0xd0 => self.be(1)? as i8 as u64,
            0xd1 => self.be(2)? as i16 as u64,
            0xd2 => self.be(4)? as i32 as u64,
            0xd3 => self.be(8)?,
            0xca => f32::from_bits(self.be(4)? as u32) as u64,
            0xcb => f64::from_bits(self.be(8)?) as u64,
            _ => return None,
        })
    }

    /// Skips one value of any type, nested at most `depth` deep.
    fn skip(&mut self, depth: u8) -> Option<()> {
        let marker = self.byte()?;
        let len = match marker {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => 0,
            0xa0..=0xbf => usize::from(marker & 0x1f),
            0xcc | 0xd0 => 1,
            0xcd | 0xd1 => 2,
            0xce | 0xd2 | 0xca => 4,
            0xcf | 0xd3 | 0xcb => 8,
            0xd9 | 0xc4 => self.be(1)? as usize,
            0xda | 0xc5 => self.be(2)? as usize,
            0xdb | 0xc6 => self.be(4)? as usize,
            0xd4 => 2,
            0xd5 => 3,
            0xd6 => 5,
            0xd7 => 9,
            0xd8 => 17,
            0xc7 => self.be(1)? as usize + 1,
            0xc8 => self.be(2)? as usize + 1,
            0xc9 => self.be(4)? as usize + 1,
            _ => {
                let (map, len) = self.container(marker)?;
                let depth = depth.checked_sub(1)?;
                for _ in 0..len * if map { 2 } else { 1 } {
                    self.skip(depth)?;
                }
                return Some(());
            }
        };
        self.take(len).map(|_| ())
    }
}

/// The fields of a packet the benchmark reads: its type, ack id, and where its
/// `data` starts.
struct Fields {
    kind: Option<u64>,
    id: Option<u64>,
    data: Option<usize>,
}

fn fields(frame: &[u8]) -> Option<Fields> {
    let mut cursor = Cursor {
        bytes: frame,
        at: 0,
    };
    let marker = cursor.byte()?;
    let (true, len) = cursor.container(marker)? else {
        return None;
    };
    let mut found = Fields {
        kind: None,
        id: None,
        data: None,
    };
    for _ in 0..len {
        match cursor.string()? {
            b"type" => found.kind = Some(cursor.number()?),
            b"id" => found.id = Some(cursor.number()?),
            b"data" => {
                found.data = Some(cursor.at);
                cursor.skip(8)?;
            }
            _ => cursor.skip(8)?,
        }
    }
    Some(found)
}

/// `(seq, t)` of a `bcast` event.
pub fn parse_bcast(frame: &[u8]) -> Option<(u64, u64)> {
    let found = fields(frame)?;
    if found.kind != Some(2) {
        return None;
    }
    let mut cursor = Cursor {
        bytes: frame,
        at: found.data?,
    };
    let marker = cursor.byte()?;
    let (false, 2..) = cursor.container(marker)? else {
        return None;
    };
    if cursor.string()? != b"bcast" {
        return None;
    }
    let marker = cursor.byte()?;
    let (true, len) = cursor.container(marker)? else {
        return None;
    };
    let (mut seq, mut t) = (None, None);
    for _ in 0..len {
        match cursor.string()? {
            b"seq" => seq = Some(cursor.number()?),
            b"t" => t = Some(cursor.number()?),
            _ => cursor.skip(8)?,
        }
    }
    Some((seq?, t?))
}

/// The id of an ack and the start of its arguments (an array).
pub fn parse_ack(frame: &[u8]) -> Option<(u64, &[u8])> {
    let found = fields(frame)?;
    if found.kind != Some(3) {
        return None;
    }
    Some((found.id?, &frame[found.data?..]))
}

/// The first argument of an ack's arguments, as a number.
pub fn first_number_arg(args: &[u8]) -> Option<u64> {
    let mut cursor = Cursor { bytes: args, at: 0 };
    let marker = cursor.byte()?;
    let (false, 1..) = cursor.container(marker)? else {
        return None;
    };
    cursor.number()
}

/// Whether the packet is the CONNECT reply.
pub fn is_connect_ok(frame: &[u8]) -> bool {
    fields(frame).is_some_and(|found| found.kind == Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_servers_write() {
        // socket.io-msgpack-parser (notepack): {type:2,data:["bcast",{seq:7,t:1.7e15}],nsp:"/"}
        let mut bcast = vec![0x83];
        str(&mut bcast, "type");
        bcast.push(2);
        str(&mut bcast, "data");
        bcast.push(0x92);
        str(&mut bcast, "bcast");
        bcast.push(0x82);
        str(&mut bcast, "seq");
        bcast.push(7);
        str(&mut bcast, "t");
        bcast.push(0xcb);
        bcast.extend_from_slice(&1_700_000_000_000_000f64.to_bits().to_be_bytes());
        str(&mut bcast, "nsp");
        str(&mut bcast, "/");
        assert_eq!(parse_bcast(&bcast), Some((7, 1_700_000_000_000_000)));
        let relayed = broadcast(12, 345_678);
        assert_eq!(parse_bcast(&relayed), None, "a broadcast is not a bcast");
        let mut ack = vec![0x84];
        str(&mut ack, "type");
        ack.push(3);
        str(&mut ack, "nsp");
        str(&mut ack, "/");
        str(&mut ack, "id");
        ack.extend_from_slice(&[0xcd, 1, 0]);
        str(&mut ack, "data");
        ack.extend_from_slice(&[0x91, 0xce, 0, 1, 0, 0]);
        let (id, args) = parse_ack(&ack).unwrap();
        assert_eq!(id, 256);
        assert_eq!(first_number_arg(args), Some(65_536));
        assert!(is_connect_ok(&connect()));
        assert!(!is_connect_ok(&ack));
        assert!(is_packet(&echo(1, 2)));
        assert!(!is_packet(b"2"));
    }
}
