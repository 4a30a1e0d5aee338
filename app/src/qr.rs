//! QR codes of BOLT11 invoices, drawn where they are shown (in the browser for the POS and the
//! back office), so the gateway's answer to a sale carries only the BOLT11.

use fast_qr::qr::{QRBuilder, QRCode};

/// Light modules around the code (the quiet zone QR readers need), in modules.
pub const QUIET_ZONE_MODULES: usize = 4;

/// The QR code of a BOLT11 invoice as a `LIGHTNING:` URI in upper case, which QR codes store in
/// the denser alphanumeric mode; error correction level M, as wallets' own QR codes use.
/// `None` when the text is too long for any QR code.
pub fn code(payment_request: &str) -> Option<QRCode> {
    let uri = format!("lightning:{payment_request}").to_ascii_uppercase();
    QRBuilder::new(uri).ecl(fast_qr::ECL::M).build().ok()
}

/// [`code`] as an SVG image that scales to its container (a viewBox, no fixed size): one path of
/// horizontal runs of dark modules, smaller and quicker to draw than a shape per module.
pub fn svg(payment_request: &str) -> Option<String> {
    use std::fmt::Write;
    let code = code(payment_request)?;
    let n = code.size;
    let side = n + 2 * QUIET_ZONE_MODULES;
    let dark = |x: usize, y: usize| code.data[y * n + x].value();
    let mut svg = String::with_capacity(n * n * 3);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\""
    );
    for y in 0..n {
        let mut x = 0;
        while x < n {
            if !dark(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < n && dark(x, y) {
                x += 1;
            }
            let run = x - start;
            let _ = write!(
                svg,
                "M{},{}h{run}v1h-{run}z",
                start + QUIET_ZONE_MODULES,
                y + QUIET_ZONE_MODULES
            );
        }
    }
    svg.push_str("\"/></svg>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Pixels per module when the test draws a QR code for the decoder.
    const PX_PER_MODULE: usize = 4;

    /// A real regtest BOLT11's length (about 300 characters).
    fn long_bolt11() -> String {
        format!("lnbcrt277780n1p5{}", "q7sqpj".repeat(48))
    }

    /// Draws `code`'s modules (with the quiet zone) as a greyscale image and decodes it.
    fn decode(code: &QRCode) -> String {
        let side = (code.size + 2 * QUIET_ZONE_MODULES) * PX_PER_MODULE;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let module = |p: usize| (p / PX_PER_MODULE).checked_sub(QUIET_ZONE_MODULES);
            match (module(x), module(y)) {
                (Some(mx), Some(my)) if mx < code.size && my < code.size && code.data[my * code.size + mx].value() => 0,
                _ => 255,
            }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        match grids[0].decode() {
            Ok((_meta, content)) => content,
            Err(e) => panic!("the QR code does not decode: {e}"),
        }
    }

    #[test]
    fn the_qr_decodes_to_the_upper_case_lightning_uri() {
        let long = long_bolt11();
        for bolt11 in ["lnbcrt1u1pexample", long.as_str()] {
            let Some(code) = code(bolt11) else {
                panic!("no QR code for {bolt11}");
            };
            assert_eq!(decode(&code), format!("LIGHTNING:{}", bolt11.to_ascii_uppercase()));
        }
    }

    #[test]
    fn text_too_long_for_a_qr_code_gives_none() {
        assert!(svg(&"q".repeat(5000)).is_none());
    }

    /// The dark modules the SVG's path draws, as (x, y) without the quiet zone.
    fn drawn_modules(svg: &str) -> BTreeSet<(usize, usize)> {
        let d = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default();
        let mut drawn = BTreeSet::new();
        for run in d.split('M').filter(|r| !r.is_empty()) {
            let (xy, rest) = run.split_once('h').unwrap_or_default();
            let (x, y) = xy.split_once(',').unwrap_or_default();
            let width = rest.split('v').next().unwrap_or_default();
            let (x, y, width): (usize, usize, usize) = (
                x.parse().unwrap_or(0),
                y.parse().unwrap_or(0),
                width.parse().unwrap_or(0),
            );
            assert!(rest.ends_with(&format!("v1h-{width}z")), "run {run}");
            for dx in 0..width {
                drawn.insert((x + dx - QUIET_ZONE_MODULES, y - QUIET_ZONE_MODULES));
            }
        }
        drawn
    }

    #[test]
    fn the_svg_draws_exactly_the_dark_modules_inside_a_quiet_zone() {
        let bolt11 = long_bolt11();
        let (Some(code), Some(svg)) = (code(&bolt11), svg(&bolt11)) else {
            panic!("no QR code");
        };
        let side = code.size + 2 * QUIET_ZONE_MODULES;
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")),
            "{}",
            &svg[..120]
        );
        let expected: BTreeSet<(usize, usize)> = (0..code.size)
            .flat_map(|y| (0..code.size).map(move |x| (x, y)))
            .filter(|&(x, y)| code.data[y * code.size + x].value())
            .collect();
        assert_eq!(drawn_modules(&svg), expected);
    }
}
