//! Status lists: the W3C Bitstring Status List and IETF Token Status List examples, bounds
//! checks, and properties of encoding, lookup and index allocation.

mod allocator;
mod bitstring;
mod token;

/// GZIP- or ZLIB-compresses `bytes` the way a third-party issuer might.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}
