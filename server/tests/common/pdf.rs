//! Reading the product's PDFs back in tests with independent tools: the text as `lopdf`
//! extracts it, and the QR code drawn as filled squares, decoded with `rqrr`.

use std::collections::BTreeSet;

/// The text of every page, as a PDF reader extracts it.
pub fn text_of(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF the reader opens");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text")
}

/// The filled squares of the last page, in QR-module units, decoded with rqrr.
pub fn qr_of(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("PDF");
    let last = *doc.get_pages().values().last().expect("a page");
    let content = lopdf::content::Content::decode(&doc.get_page_content(last)).expect("content");
    let mut squares = Vec::new();
    for op in content.operations.iter().filter(|op| op.operator == "re") {
        let v: Vec<f32> = op.operands.iter().map(|o| o.as_float().expect("number")).collect();
        squares.push((v[0], v[1], v[2]));
    }
    assert!(squares.len() > 100, "a QR code is drawn ({} squares)", squares.len());
    let module = squares[0].2;
    let min_x = squares.iter().map(|s| s.0).fold(f32::MAX, f32::min);
    let max_y = squares.iter().map(|s| s.1).fold(f32::MIN, f32::max);
    let cells: BTreeSet<(usize, usize)> = squares
        .iter()
        .map(|(x, y, _)| {
            (
                ((x - min_x) / module).round() as usize,
                ((max_y - y) / module).round() as usize,
            )
        })
        .collect();
    let n = cells.iter().map(|c| c.0.max(c.1)).max().expect("cells") + 1;
    const PX: usize = 4;
    const QUIET: usize = 4;
    let side = (n + 2 * QUIET) * PX;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        let m = |p: usize| (p / PX).checked_sub(QUIET);
        match (m(x), m(y)) {
            (Some(mx), Some(my)) if cells.contains(&(mx, my)) => 0,
            _ => 255,
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("the QR code decodes").1
}
