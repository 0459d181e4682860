//! QR codes of credential offers: SVG from the `qrcode` crate, PNG rendered here from the
//! module matrix (8-bit grayscale, 4-module quiet zone) and encoded with `png`.

use qrcode::{Color, EcLevel, QrCode};

/// Why a QR code could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The data does not fit a QR code.
    #[error("data too long for a QR code")]
    TooLong,
    /// PNG encoding failed.
    #[error("PNG encoding failed")]
    Png,
}

/// Pixels per module in the PNG.
const SCALE: usize = 8;
/// Quiet zone in modules (ISO/IEC 18004 requires 4).
const QUIET: usize = 4;

fn code(data: &str) -> Result<QrCode, QrError> {
    // Level M: offers by value are long; M keeps the symbol scannable on screens.
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).map_err(|_| QrError::TooLong)
}

/// An SVG image of `data`.
pub fn svg(data: &str) -> Result<String, QrError> {
    Ok(code(data)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

/// A PNG image of `data`.
pub fn png(data: &str) -> Result<Vec<u8>, QrError> {
    let code = code(data)?;
    let width = code.width();
    let colors = code.to_colors();
    let side = (width + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (mx, my) = (i % width + QUIET, i / width + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                let row = y * side;
                pixels[row + mx * SCALE..row + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let side = u32::try_from(side).map_err(|_| QrError::TooLong)?;
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|_| QrError::Png)?;
        writer.write_image_data(&pixels).map_err(|_| QrError::Png)?;
        writer.finish().map_err(|_| QrError::Png)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_decodes_to_a_square_with_the_module_pattern() {
        let bytes = png("openid-credential-offer://?credential_offer=%7B%7D").unwrap();
        let decoder = ::png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.width, info.height);
        let code = code("openid-credential-offer://?credential_offer=%7B%7D").unwrap();
        assert_eq!(info.width as usize, (code.width() + 8) * SCALE);
        // The top-left finder pattern's corner module is dark; the quiet zone is light.
        let side = info.width as usize;
        assert_eq!(buf[0], 255);
        let corner = (QUIET * SCALE) * side + QUIET * SCALE;
        assert_eq!(buf[corner], 0);
    }

    #[test]
    fn svg_is_an_svg_document() {
        let s = svg("hello").unwrap();
        assert!(s.contains("<svg") && s.contains("</svg>"));
    }

    #[test]
    fn oversized_data_is_refused() {
        assert!(matches!(png(&"x".repeat(5000)), Err(QrError::TooLong)));
    }
}
