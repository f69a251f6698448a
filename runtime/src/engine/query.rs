//! Reading `application/x-www-form-urlencoded` query strings.

/// Iterates over the decoded `(name, value)` pairs of a query string.
pub(crate) fn pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => (decode(name), decode(value)),
            None => (decode(pair), String::new()),
        })
}

/// The decoded value of the first parameter called `name`.
pub(crate) fn get(query: &str, name: &str) -> Option<String> {
    pairs(query)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Percent-decodes one component; `+` is a space. Invalid escapes stay as they are,
/// and invalid UTF-8 is replaced, so decoding never fails.
pub(crate) fn decode(component: &str) -> String {
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_plus() {
        assert_eq!(decode("a%20b+c%2B"), "a b c+");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%e2%82%ac"), "%zz€");
        assert_eq!(decode("%+1"), "% 1");
    }

    #[test]
    fn finds_parameters() {
        let query = "EIO=4&transport=polling&t=N8hyd6w&flag";
        assert_eq!(get(query, "EIO").as_deref(), Some("4"));
        assert_eq!(get(query, "flag").as_deref(), Some(""));
        assert_eq!(get(query, "sid"), None);
    }
}
