//! What is stored of an upload: its pixels, never its metadata nor bytes after its end — and
//! still its orientation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{WEBP_1X1, jpeg, png};
use strata_media::strip_metadata;
use strata_media::validate::{ImageFormat, validate_image};

/// A GPS position the tests look for in the output.
const WHERE: &[u8] = b"N 35 41 21.6, E 51 23 20.4";

/// An EXIF block (big-endian TIFF): orientation `value`, and a GPS-like ASCII tag holding
/// [`WHERE`] (tag 0x8298, the copyright, stands in: any tag's text is what leaks).
fn exif(value: u16) -> Vec<u8> {
    let mut tiff = b"MM\0*\0\0\0\x08\0\x02".to_vec();
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    tiff.extend_from_slice(&value.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    let text_at = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&[0x82, 0x98, 0x00, 0x02]);
    tiff.extend_from_slice(&u32::try_from(WHERE.len()).unwrap().to_be_bytes());
    tiff.extend_from_slice(&u32::try_from(text_at).unwrap().to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(WHERE);
    tiff
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The orientation a decoder reads from the output.
fn decoded_orientation(bytes: &[u8], format: image::ImageFormat) -> image::metadata::Orientation {
    use image::ImageDecoder;
    let mut decoder = image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_decoder()
        .unwrap();
    decoder.orientation().unwrap()
}

#[test]
fn a_jpeg_loses_exif_xmp_comments_and_trailing_bytes_but_not_its_orientation() {
    let plain = jpeg(16, 16);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&exif(6));
    let segment = |marker: u8, data: &[u8]| {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&u16::try_from(data.len() + 2).unwrap().to_be_bytes());
        s.extend_from_slice(data);
        s
    };
    let jfif = segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let mut upload = plain[..2].to_vec();
    upload.extend(jfif.clone());
    upload.extend(segment(0xE1, &app1));
    upload.extend(segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>secret</x:xmpmeta>",
    ));
    upload.extend(segment(0xFE, b"shot at home"));
    upload.extend_from_slice(&plain[2..]);
    upload.extend_from_slice(b"motion photo bytes after EOI");
    assert!(validate_image(&upload, 1 << 20).is_ok());
    assert_eq!(
        decoded_orientation(&upload, image::ImageFormat::Jpeg),
        image::metadata::Orientation::Rotate90
    );

    let stored = strip_metadata(ImageFormat::Jpeg, upload).unwrap();
    for leak in [WHERE, b"xmpmeta", b"shot at home", b"motion photo"] {
        assert!(
            !contains(&stored, leak),
            "{:?} kept",
            String::from_utf8_lossy(leak)
        );
    }
    assert!(stored.ends_with(&[0xFF, 0xD9]));
    assert!(
        stored.starts_with(&[[0xFF, 0xD8].as_slice(), &jfif].concat()),
        "JFIF stays first"
    );
    let image = validate_image(&stored, 1 << 20).unwrap();
    assert_eq!((image.width, image.height), (16, 16));
    assert_eq!(
        decoded_orientation(&stored, image::ImageFormat::Jpeg),
        image::metadata::Orientation::Rotate90
    );
    image::load_from_memory(&stored).unwrap();

    // Without EXIF there is nothing to add: the plain file is stored as it was.
    assert_eq!(
        strip_metadata(ImageFormat::Jpeg, plain.clone()).unwrap(),
        plain
    );
}

#[test]
fn a_png_loses_its_text_and_exif_chunks_but_not_its_orientation() {
    let plain = png(4, 3);
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        let crc = crc32fast::hash(&c[4..]);
        c.extend_from_slice(&crc.to_be_bytes());
        c
    };
    // Signature + IHDR (8 + 25 bytes), then the metadata, then the rest.
    let mut upload = plain[..33].to_vec();
    upload.extend(chunk(b"eXIf", &exif(3)));
    upload.extend(chunk(b"tEXt", b"Comment\0shot at home"));
    upload.extend_from_slice(&plain[33..]);
    assert!(validate_image(&upload, 1 << 20).is_ok());

    let stored = strip_metadata(ImageFormat::Png, upload).unwrap();
    assert!(!contains(&stored, WHERE) && !contains(&stored, b"shot at home"));
    assert!(validate_image(&stored, 1 << 20).is_ok());
    assert_eq!(
        decoded_orientation(&stored, image::ImageFormat::Png),
        image::metadata::Orientation::Rotate180
    );
    assert_eq!(
        strip_metadata(ImageFormat::Png, plain.clone()).unwrap(),
        plain
    );
}

#[test]
fn a_webp_loses_its_exif_chunk_and_flag() {
    // VP8X (EXIF flag set, 1×1 canvas), the image, then an EXIF chunk.
    let vp8l = &WEBP_1X1[12..];
    let mut body = b"WEBP".to_vec();
    body.extend_from_slice(b"VP8X\x0a\0\0\0\x08\0\0\0\0\0\0\0\0\0");
    body.extend_from_slice(vp8l);
    let data = exif(1);
    body.extend_from_slice(b"EXIF");
    body.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    body.extend_from_slice(&data);
    if data.len() % 2 == 1 {
        body.push(0);
    }
    let mut upload = b"RIFF".to_vec();
    upload.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
    upload.extend(body);
    assert!(validate_image(&upload, 1 << 20).is_ok());

    let stored = strip_metadata(ImageFormat::Webp, upload).unwrap();
    assert!(!contains(&stored, WHERE) && !contains(&stored, b"EXIF"));
    assert_eq!(stored[20] & 0x08, 0, "the EXIF flag is cleared");
    assert!(
        validate_image(&stored, 1 << 20).is_ok(),
        "the RIFF size is right"
    );
}
