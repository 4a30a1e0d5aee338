//! A small, defensive XML-to-tree reader built on quick-xml.
//!
//! It keeps element local names only (namespace prefixes such as `p:` or `ns2:` are
//! dropped), refuses any DOCTYPE before reading further, resolves only the five
//! predefined entities and character references, limits nesting depth and reports
//! a truncated document instead of silently accepting it.

use quick_xml::events::{BytesRef, Event};
use quick_xml::reader::Reader;

use super::error::{clip_detail, FatturaPaError};
use super::input_checks::{line_col, CheckedInput};

/// Deepest element nesting accepted. FatturaPA 1.2 needs about 8 levels.
pub(crate) const MAX_DEPTH: usize = 32;

/// Most elements accepted in one document. A real 5 MB invoice (thousands of lines)
/// has well under 200,000; the cap bounds memory on hostile input (~150 bytes per element).
pub(crate) const MAX_ELEMENTS: usize = 500_000;

/// One XML element: local name, attributes, direct text and child elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    /// Local name (prefix removed).
    pub name: String,
    /// Attributes as (local name, unescaped value); namespace declarations are left out.
    pub attributes: Vec<(String, String)>,
    /// Concatenated text and CDATA directly inside this element, untrimmed.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// Byte offset of the start tag in the original input.
    pub offset: usize,
}

impl Element {
    /// Value of the attribute with this local name.
    pub(crate) fn attribute(&self, local_name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(name, _)| name == local_name)
            .map(|(_, value)| value.as_str())
    }
}

/// Parses the whole document into a tree, or explains why it is not acceptable XML.
pub(crate) fn parse_tree(input: &CheckedInput<'_>, original: &[u8], file: &str) -> Result<Element, FatturaPaError> {
    let mut reader = Reader::from_str(&input.text);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = true;
    config.trim_text(false);

    // Offset in the original bytes; cheap, unlike the line/column below (only for errors).
    let byte_offset_of = |offset: u64| -> usize {
        input
            .base_offset
            .saturating_add(usize::try_from(offset).unwrap_or(usize::MAX))
    };
    let position = |offset: u64| -> (usize, usize, usize) {
        let byte_offset = byte_offset_of(offset);
        let (line, column) = line_col(original, byte_offset);
        (byte_offset, line, column)
    };
    let malformed = |offset: u64, detail: String| -> FatturaPaError {
        let (byte_offset, line, column) = position(offset);
        FatturaPaError::Malformed {
            file: file.to_owned(),
            line,
            column,
            byte_offset,
            detail,
        }
    };

    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut element_count: usize = 0;
    loop {
        let event_start = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(err) => {
                let at = reader.error_position();
                return Err(classify_reader_error(&err, position(at), file));
            }
        };
        match event {
            Event::DocType(_) => {
                let (_, line, column) = position(event_start);
                return Err(FatturaPaError::DoctypeRejected {
                    file: file.to_owned(),
                    line,
                    column,
                });
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    let (_, line, _) = position(event_start);
                    return Err(FatturaPaError::TooDeep {
                        file: file.to_owned(),
                        max_depth: MAX_DEPTH,
                        line,
                    });
                }
                element_count += 1;
                if element_count > MAX_ELEMENTS {
                    let (_, line, _) = position(event_start);
                    return Err(FatturaPaError::TooManyElements {
                        file: file.to_owned(),
                        max_elements: MAX_ELEMENTS,
                        line,
                    });
                }
                if stack.is_empty() && root.is_some() {
                    return Err(malformed(
                        event_start,
                        "a second root element after the end of the document".into(),
                    ));
                }
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                let mut attributes = Vec::new();
                for attr in start.attributes() {
                    let attr =
                        attr.map_err(|err| malformed(event_start, format!("bad attribute in <{name}>: {err}")))?;
                    let key = attr.key;
                    if key.as_ref() == b"xmlns" || key.prefix().is_some_and(|p| p.as_ref() == b"xmlns") {
                        continue;
                    }
                    let value = attr
                        .unescape_value()
                        .map_err(|err| malformed(event_start, format!("bad attribute value in <{name}>: {err}")))?;
                    check_xml_chars(&value).map_err(|detail| malformed(event_start, detail))?;
                    attributes.push((
                        String::from_utf8_lossy(key.local_name().as_ref()).into_owned(),
                        value.into_owned(),
                    ));
                }
                let offset = byte_offset_of(event_start);
                stack.push(Element {
                    name,
                    attributes,
                    text: String::new(),
                    children: Vec::new(),
                    offset,
                });
            }
            Event::End(_) => {
                // check_end_names guarantees an End matches the open Start.
                let Some(done) = stack.pop() else {
                    return Err(malformed(event_start, "closing tag without an opening tag".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(text) => {
                let text = text
                    .xml10_content()
                    .map_err(|err| malformed(event_start, format!("undecodable text: {err}")))?;
                check_xml_chars(&text).map_err(|detail| malformed(event_start, detail))?;
                push_text(&mut stack, &text).map_err(|detail| malformed(event_start, detail))?;
            }
            Event::CData(cdata) => {
                let text = cdata
                    .xml10_content()
                    .map_err(|err| malformed(event_start, format!("undecodable CDATA: {err}")))?;
                check_xml_chars(&text).map_err(|detail| malformed(event_start, detail))?;
                push_text(&mut stack, &text).map_err(|detail| malformed(event_start, detail))?;
            }
            Event::GeneralRef(reference) => {
                let ch = resolve_reference(&reference).map_err(|detail| malformed(event_start, detail))?;
                push_text(&mut stack, ch.encode_utf8(&mut [0u8; 4]))
                    .map_err(|detail| malformed(event_start, detail))?;
            }
            Event::Empty(_) => {
                // Not produced: expand_empty_elements turns `<a/>` into Start + End.
                return Err(malformed(event_start, "unexpected empty-element event".into()));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }

    if let Some(open) = stack.last() {
        let path = stack.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join("/");
        let (byte_offset, line, column) = position(reader.buffer_position());
        return Err(FatturaPaError::Truncated {
            file: file.to_owned(),
            line,
            column,
            byte_offset,
            detail: clip_detail(&format!("end of file inside <{}> (open elements: {path})", open.name)),
        });
    }
    root.ok_or_else(|| malformed(reader.buffer_position(), "no root element".into()))
}

/// Maps a quick-xml error to our error, treating "input ended inside markup" as truncation.
fn classify_reader_error(
    err: &quick_xml::Error,
    (byte_offset, line, column): (usize, usize, usize),
    file: &str,
) -> FatturaPaError {
    use quick_xml::errors::SyntaxError;
    let file = file.to_owned();
    let detail = clip_detail(&err.to_string());
    match err {
        // Even an unfinished DOCTYPE is a DOCTYPE: refuse it as such.
        quick_xml::Error::Syntax(SyntaxError::UnclosedDoctype) => {
            FatturaPaError::DoctypeRejected { file, line, column }
        }
        quick_xml::Error::Syntax(
            SyntaxError::UnclosedPI
            | SyntaxError::UnclosedXmlDecl
            | SyntaxError::UnclosedComment
            | SyntaxError::UnclosedCData
            | SyntaxError::UnclosedTag
            | SyntaxError::UnclosedSingleQuotedAttributeValue
            | SyntaxError::UnclosedDoubleQuotedAttributeValue,
        ) => FatturaPaError::Truncated {
            file,
            line,
            column,
            byte_offset,
            detail,
        },
        _ => FatturaPaError::Malformed {
            file,
            line,
            column,
            byte_offset,
            detail,
        },
    }
}

/// Appends text to the innermost open element; only whitespace may appear outside the root.
fn push_text(stack: &mut [Element], text: &str) -> Result<(), String> {
    match stack.last_mut() {
        Some(open) => {
            open.text.push_str(text);
            Ok(())
        }
        None if text.chars().all(char::is_whitespace) => Ok(()),
        None => Err("text outside the root element".into()),
    }
}

/// Resolves `&name;`: character references and the five XML predefined entities only.
/// Anything else would need a DTD, which is never accepted.
fn resolve_reference(reference: &BytesRef<'_>) -> Result<char, String> {
    if reference.is_char_ref() {
        let ch = reference
            .resolve_char_ref()
            .map_err(|err| format!("bad character reference: {err}"))?
            .ok_or_else(|| "bad character reference".to_string())?;
        if !is_xml_char(ch) {
            return Err(format!(
                "character reference to U+{:04X}, which XML 1.0 does not allow",
                u32::from(ch)
            ));
        }
        return Ok(ch);
    }
    let name: &[u8] = reference;
    match name {
        b"amp" => Ok('&'),
        b"lt" => Ok('<'),
        b"gt" => Ok('>'),
        b"quot" => Ok('"'),
        b"apos" => Ok('\''),
        other => Err(format!(
            "undefined entity &{};  (only &amp; &lt; &gt; &quot; &apos; are allowed)",
            String::from_utf8_lossy(other)
        )),
    }
}

/// XML 1.0 `Char` production (Rust `char` already excludes surrogates).
fn is_xml_char(ch: char) -> bool {
    matches!(ch, '\t' | '\n' | '\r') || (ch >= ' ' && !matches!(ch, '\u{FFFE}' | '\u{FFFF}'))
}

fn check_xml_chars(text: &str) -> Result<(), String> {
    match text.chars().find(|&c| !is_xml_char(c)) {
        Some(bad) => Err(format!("character U+{:04X} is not allowed in XML 1.0", u32::from(bad))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(xml: &str) -> Result<Element, FatturaPaError> {
        parse_tree(
            &CheckedInput {
                text: std::borrow::Cow::Borrowed(xml),
                base_offset: 0,
            },
            xml.as_bytes(),
            "t.xml",
        )
    }

    #[test]
    fn prefixes_are_dropped_and_entities_resolved() {
        let root =
            tree(r#"<p:A xmlns:p="urn:x" p:v="1"><p:B>x &amp; &#65;<![CDATA[<y>]]></p:B><C/></p:A>"#).expect("valid");
        assert_eq!(root.name, "A");
        assert_eq!(root.attribute("v"), Some("1"));
        assert_eq!(root.children[0].name, "B");
        assert_eq!(root.children[0].text, "x & A<y>");
        assert_eq!(root.children[1].name, "C");
    }

    #[test]
    fn undefined_entity_is_malformed() {
        let err = tree("<a>&foo;</a>").expect_err("must fail");
        assert!(matches!(err, FatturaPaError::Malformed { .. }), "{err}");
        assert!(err.to_string().contains("&foo;"), "{err}");
    }

    #[test]
    fn depth_is_limited() {
        let xml = "<a>".repeat(MAX_DEPTH + 1);
        assert!(matches!(tree(&xml), Err(FatturaPaError::TooDeep { .. })));
    }

    #[test]
    fn element_count_is_limited() {
        let xml = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS));
        assert!(matches!(tree(&xml), Err(FatturaPaError::TooManyElements { .. })));
        let xml = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS - 1));
        assert!(tree(&xml).is_ok());
    }

    #[test]
    fn control_characters_are_rejected() {
        assert!(matches!(tree("<a>\u{1}</a>"), Err(FatturaPaError::Malformed { .. })));
        assert!(matches!(tree("<a>&#1;</a>"), Err(FatturaPaError::Malformed { .. })));
    }

    #[test]
    fn two_roots_are_rejected() {
        assert!(matches!(tree("<a/><b/>"), Err(FatturaPaError::Malformed { .. })));
        assert!(matches!(tree("<a/>text"), Err(FatturaPaError::Malformed { .. })));
    }
}
