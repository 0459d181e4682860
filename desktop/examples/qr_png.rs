//! Writes a PNG picture of a QR code holding TEXT, as a person would save from a web page or
//! photograph from a screen, for the end-to-end "choose a picture of the QR code" test.
//!
//! `cargo run -p desktop --example qr_png -- TEXT OUT.png`

use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let text = args.next().ok_or("usage: qr_png TEXT OUT.png")?;
    let out = args.next().ok_or("usage: qr_png TEXT OUT.png")?;
    let code = qrcode::QrCode::new(text.as_bytes())?;
    let width = code.width();
    let colors = code.to_colors();
    // 6 pixels per module and the 4-module quiet zone a printed code has.
    let (scale, quiet) = (6, 4);
    let side = u32::try_from((width + 2 * quiet) * scale)?;
    let image = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x as usize / scale, y as usize / scale);
        let inside = (quiet..width + quiet).contains(&mx) && (quiet..width + quiet).contains(&my);
        let dark = inside && colors[(my - quiet) * width + (mx - quiet)] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    image.save_with_format(out, image::ImageFormat::Png)?;
    Ok(())
}
