//! BER → DER for signed files: many signing tools write CAdES envelopes with indefinite
//! lengths and the content as a constructed (chunked) OCTET STRING, which BER allows and the
//! strict DER reader of the `der` crate refuses. This re-encodes such an envelope in DER
//! (definite lengths, OCTET STRINGs joined); nothing else is changed.

/// Deepest nesting accepted (a CMS envelope needs about 12 levels).
const MAX_DEPTH: usize = 64;
/// Tag of a primitive OCTET STRING.
const OCTET_STRING: u8 = 0x04;
/// Tag of a constructed OCTET STRING (BER only).
const OCTET_STRING_CONSTRUCTED: u8 = 0x24;

/// Re-encodes one BER element (the whole input) in DER, or says what is wrong.
pub(crate) fn ber_to_der(input: &[u8]) -> Result<Vec<u8>, String> {
    let (der, used) = element(input, 0)?;
    if used != input.len() {
        return Err(format!("{} bytes after the envelope", input.len() - used));
    }
    Ok(der)
}

/// One element at the start of `input`: its DER encoding and how many input bytes it took.
fn element(input: &[u8], depth: usize) -> Result<(Vec<u8>, usize), String> {
    if depth > MAX_DEPTH {
        return Err("nested too deep".into());
    }
    let tag_len = tag_length(input)?;
    let tag = &input[..tag_len];
    let (length, length_len) = read_length(&input[tag_len..])?;
    let start = tag_len + length_len;
    let constructed = tag[0] & 0x20 != 0;
    if !constructed {
        let length = length.ok_or("an indefinite length on a primitive element")?;
        let end = start
            .checked_add(length)
            .filter(|&e| e <= input.len())
            .ok_or("truncated")?;
        return Ok((encode(tag, &input[start..end]), end));
    }
    let mut children = Vec::new();
    let mut at = start;
    let end = match length {
        Some(length) => Some(
            start
                .checked_add(length)
                .filter(|&e| e <= input.len())
                .ok_or("truncated")?,
        ),
        None => None,
    };
    loop {
        match end {
            Some(end) if at >= end => break,
            None if input.get(at..at + 2) == Some(&[0, 0]) => {
                at += 2;
                break;
            }
            None if at >= input.len() => return Err("truncated: no end-of-contents".into()),
            _ => {}
        }
        let (child, used) = element(&input[at..], depth + 1)?;
        children.push(child);
        at += used;
    }
    if tag == [OCTET_STRING_CONSTRUCTED] {
        // The chunks are OCTET STRINGs themselves (already primitive in DER): join their contents.
        let mut content = Vec::new();
        for child in &children {
            let (_, header) = header_length(child)?;
            content.extend_from_slice(&child[header..]);
        }
        return Ok((encode(&[OCTET_STRING], &content), at));
    }
    Ok((encode(tag, &children.concat()), at))
}

/// How many bytes the identifier octets take.
fn tag_length(input: &[u8]) -> Result<usize, String> {
    let first = *input.first().ok_or("truncated")?;
    if first & 0x1f != 0x1f {
        return Ok(1);
    }
    let more = input[1..].iter().position(|b| b & 0x80 == 0).ok_or("truncated tag")?;
    if more > 4 {
        return Err("tag number too large".into());
    }
    Ok(more + 2)
}

/// The length (`None` when indefinite) and how many bytes it took.
fn read_length(input: &[u8]) -> Result<(Option<usize>, usize), String> {
    let first = *input.first().ok_or("truncated")?;
    match first {
        0x80 => Ok((None, 1)),
        b if b < 0x80 => Ok((Some(usize::from(b)), 1)),
        b => {
            let count = usize::from(b & 0x7f);
            if count > 4 {
                return Err("length too large".into());
            }
            let bytes = input.get(1..1 + count).ok_or("truncated length")?;
            let length = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            Ok((Some(length), 1 + count))
        }
    }
}

/// The header length of a DER element: (tag length, tag + length bytes).
fn header_length(der: &[u8]) -> Result<(usize, usize), String> {
    let tag_len = tag_length(der)?;
    let (_, length_len) = read_length(&der[tag_len..])?;
    Ok((tag_len, tag_len + length_len))
}

/// Tag, DER definite length, content.
fn encode(tag: &[u8], content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tag.len() + 5 + content.len());
    out.extend_from_slice(tag);
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes = length.to_be_bytes();
        let skip = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len() - 1);
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indefinite_lengths_and_chunked_octet_strings_become_der() {
        // SEQUENCE (indefinite) { [0] constructed OCTET STRING (indefinite) { "ab", "c" } }
        let ber = [
            0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, 0x00, 0x00,
        ];
        assert_eq!(ber_to_der(&ber), Ok(vec![0x30, 0x05, 0x04, 0x03, b'a', b'b', b'c']));
        let long = vec![0u8; 300];
        let mut ber = vec![0x04, 0x82, 0x01, 0x2c];
        ber.extend_from_slice(&long);
        assert_eq!(ber_to_der(&ber).map(|d| d.len()), Ok(304));
        assert!(ber_to_der(&[0x30, 0x80, 0x04, 0x01]).is_err());
        assert!(ber_to_der(&[0x04, 0x80, 0x00, 0x00]).is_err());
    }
}
