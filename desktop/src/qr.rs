//! Reading a wallet link from a picture of a QR code (a PNG or JPEG the holder picked).
//!
//! The image is untrusted: its size is bounded before and while decoding, and only the
//! PNG and JPEG decoders are compiled in.

use base64::Engine as _;

use crate::error::AppError;
use crate::links::{IncomingLink, classify};

/// The largest image file accepted, in bytes.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// The largest image accepted, in pixels per side.
const MAX_SIDE: u32 = 6000;

/// Finds the wallet link in a QR code image given as base64 (as the page reads a file).
pub fn link_from_image(base64_image: &str) -> Result<IncomingLink, AppError> {
    if base64_image.len() > MAX_IMAGE_BYTES.div_ceil(3) * 4 {
        return Err(AppError::NotAnImage);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_image.trim())
        .map_err(|_| AppError::NotAnImage)?;
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| AppError::NotAnImage)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|_| AppError::NotAnImage)?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width() as usize,
        image.height() as usize,
        |x, y| {
            // x and y are below the image's width and height, which fit in u32.
            image.get_pixel(x as u32, y as u32)[0]
        },
    );
    let mut found_any = false;
    for grid in prepared.detect_grids() {
        if let Ok((_, content)) = grid.decode() {
            found_any = true;
            if let Some(link) = classify(&content) {
                return Ok(link);
            }
        }
    }
    Err(if found_any {
        AppError::NotAWalletLink
    } else {
        AppError::NoQrCode
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_images_and_blank_images_are_refused() {
        let text = base64::engine::general_purpose::STANDARD.encode(b"not an image at all");
        assert!(matches!(link_from_image(&text), Err(AppError::NotAnImage)));
        assert!(matches!(link_from_image("%%%"), Err(AppError::NotAnImage)));
        let mut png = Vec::new();
        image::GrayImage::from_pixel(64, 64, image::Luma([255]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let blank = base64::engine::general_purpose::STANDARD.encode(&png);
        assert!(matches!(link_from_image(&blank), Err(AppError::NoQrCode)));
    }

    fn qr_png(content: &str) -> String {
        let code = qrcode::QrCode::new(content.as_bytes()).unwrap();
        let width = code.width();
        let colors = code.to_colors();
        // 8 pixels per module and a 4-module quiet zone, as a printed code would have.
        let scale = 8;
        let side = u32::try_from((width + 8) * scale).unwrap();
        let image = image::GrayImage::from_fn(side, side, |x, y| {
            let (mx, my) = (x as usize / scale, y as usize / scale);
            let dark = (4..width + 4).contains(&mx)
                && (4..width + 4).contains(&my)
                && colors[(my - 4) * width + (mx - 4)] == qrcode::Color::Dark;
            image::Luma([if dark { 0 } else { 255 }])
        });
        let mut png = Vec::new();
        image
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        base64::engine::general_purpose::STANDARD.encode(&png)
    }

    #[test]
    fn reads_wallet_links_from_qr_codes_and_nothing_else() {
        let offer = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example.com%2Foffers%2F42";
        let link = link_from_image(&qr_png(offer)).unwrap();
        assert_eq!(link.link, offer);
        assert_eq!(link.kind, crate::links::LinkKind::CredentialOffer);
        assert!(matches!(
            link_from_image(&qr_png("https://example.com/not-a-wallet-link")),
            Err(AppError::NotAWalletLink)
        ));
    }
}
