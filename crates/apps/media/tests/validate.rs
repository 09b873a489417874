//! Image validation from the bytes: real images accepted with their dimensions; anything else,
//! truncated, forged, empty, oversized or absurdly large refused with DRF's messages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{GIF_1X1, WEBP_1X1, jpeg, png};
use strata_media::validate::{
    ImageFormat, InvalidImage, MAX_PIXELS, MAX_SIDE, ValidImage, validate_image,
};

const MAX: usize = 1 << 20;

fn accepted(bytes: &[u8]) -> ValidImage {
    validate_image(bytes, MAX).unwrap_or_else(|e| panic!("refused ({e}): {bytes:02x?}"))
}

#[test]
fn real_images_are_accepted_with_their_format_and_dimensions() {
    let cases: [(Vec<u8>, ImageFormat, u32, u32); 6] = [
        (png(1, 1), ImageFormat::Png, 1, 1),
        (png(300, 200), ImageFormat::Png, 300, 200),
        (jpeg(1, 1), ImageFormat::Jpeg, 1, 1),
        (jpeg(33, 17), ImageFormat::Jpeg, 33, 17),
        (GIF_1X1.to_vec(), ImageFormat::Gif, 1, 1),
        (WEBP_1X1.to_vec(), ImageFormat::Webp, 1, 1),
    ];
    for (bytes, format, width, height) in cases {
        assert_eq!(
            accepted(&bytes),
            ValidImage {
                format,
                width,
                height
            }
        );
    }
}

#[test]
fn formats_have_their_extension_and_content_type() {
    let table = [
        (ImageFormat::Png, "png", "image/png"),
        (ImageFormat::Jpeg, "jpg", "image/jpeg"),
        (ImageFormat::Gif, "gif", "image/gif"),
        (ImageFormat::Webp, "webp", "image/webp"),
    ];
    for (format, ext, content_type) in table {
        assert_eq!((format.ext(), format.content_type()), (ext, content_type));
    }
}

#[test]
fn messages_are_drfs() {
    assert_eq!(
        InvalidImage::NotAnImage.to_string(),
        "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
    );
    assert_eq!(
        InvalidImage::Empty.to_string(),
        "The submitted file is empty."
    );
    assert_eq!(
        InvalidImage::TooLarge { max_bytes: 65536 }.to_string(),
        "Ensure this file is no larger than 65536 bytes."
    );
}

#[test]
fn text_and_other_formats_are_not_images() {
    let bmp = {
        let mut bmp = b"BM".to_vec();
        bmp.resize(58, 0);
        bmp
    };
    let refused: [&[u8]; 6] = [
        b"hello, world",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>",
        b"<html><script>alert(1)</script></html>",
        b"%PDF-1.7\n",
        &bmp,
        &[0u8; 64],
    ];
    for bytes in refused {
        assert_eq!(
            validate_image(bytes, MAX),
            Err(InvalidImage::NotAnImage),
            "{bytes:?}"
        );
    }
}

#[test]
fn a_magic_number_followed_by_anything_is_refused() {
    let forged: Vec<Vec<u8>> = vec![
        b"GIF89a but not really".to_vec(),
        [&b"\x89PNG\r\n\x1a\n"[..], b"<html>not a png</html>"].concat(),
        [
            &[0xFF, 0xD8, 0xFF, 0xE0][..],
            b"<html>not a jpeg</html>",
            &[0xFF, 0xD9],
        ]
        .concat(),
        [&b"RIFF\x0c\x00\x00\x00WEBP"[..], b"VP8 "].concat(),
        // A real PNG header and a real end, with a forged chunk between.
        {
            let good = png(2, 2);
            let mut bad = good[..33].to_vec();
            bad.extend_from_slice(b"\x00\x00\x00\x04IDATjunk\x00\x00\x00\x00");
            bad.extend_from_slice(&good[good.len() - 12..]);
            bad
        },
    ];
    for bytes in forged {
        assert_eq!(
            validate_image(&bytes, MAX),
            Err(InvalidImage::NotAnImage),
            "{bytes:02x?}"
        );
    }
}

#[test]
fn every_truncation_of_every_format_is_refused() {
    for image in [png(3, 2), jpeg(9, 9), GIF_1X1.to_vec(), WEBP_1X1.to_vec()] {
        accepted(&image);
        for len in 1..image.len() {
            assert!(
                validate_image(&image[..len], MAX).is_err(),
                "accepted the first {len} of {} bytes: {:02x?}",
                image.len(),
                &image[..len]
            );
        }
    }
}

#[test]
fn a_corrupted_byte_is_refused() {
    // Any flipped bit inside a PNG chunk breaks its CRC.
    let image = png(4, 4);
    for at in 8..image.len() {
        let mut bad = image.clone();
        bad[at] ^= 0x01;
        assert!(validate_image(&bad, MAX).is_err(), "flipped byte {at}");
    }
    // A GIF whose image data runs past its end.
    let mut gif = GIF_1X1.to_vec();
    gif[38] = 0x40;
    assert_eq!(validate_image(&gif, MAX), Err(InvalidImage::NotAnImage));
    // A WebP whose RIFF size disagrees with the file.
    let mut webp = WEBP_1X1.to_vec();
    webp[4] += 2;
    assert_eq!(validate_image(&webp, MAX), Err(InvalidImage::NotAnImage));
}

#[test]
fn data_after_the_end_is_refused_except_after_a_jpeg() {
    // Phones append data after a JPEG's EOI (motion photos) and decoders ignore it.
    let mut jpg = jpeg(8, 8);
    jpg.extend_from_slice(b"appended by a phone");
    assert_eq!(accepted(&jpg).format, ImageFormat::Jpeg);
    for image in [png(1, 1), GIF_1X1.to_vec(), WEBP_1X1.to_vec()] {
        let mut longer = image.clone();
        longer.extend_from_slice(b"<html>");
        assert_eq!(validate_image(&longer, MAX), Err(InvalidImage::NotAnImage));
    }
}

#[test]
fn empty_files_are_refused() {
    assert_eq!(validate_image(b"", MAX), Err(InvalidImage::Empty));
}

#[test]
fn files_over_the_limit_are_refused_at_the_limit() {
    let image = png(10, 10);
    assert!(validate_image(&image, image.len()).is_ok());
    assert_eq!(
        validate_image(&image, image.len() - 1),
        Err(InvalidImage::TooLarge {
            max_bytes: image.len() - 1
        })
    );
}

#[test]
fn sides_over_the_maximum_are_refused() {
    let side = MAX_SIDE as u16;
    assert_eq!(accepted(&png(MAX_SIDE, 1)).width, MAX_SIDE);
    assert_eq!(accepted(&jpeg(1, side)).height, MAX_SIDE);
    let refused = [
        (png(MAX_SIDE + 1, 1), MAX_SIDE as usize + 1, 1),
        (png(1, MAX_SIDE + 1), 1, MAX_SIDE as usize + 1),
        (jpeg(side + 1, 2), MAX_SIDE as usize + 1, 2),
        (jpeg(u16::MAX, 1), 65535, 1),
    ];
    for (image, width, height) in refused {
        let err = validate_image(&image, 1 << 24).unwrap_err();
        assert_eq!(err, InvalidImage::OversizedDimensions { width, height });
        assert_eq!(
            err.to_string(),
            format!(
                "Ensure this image is no larger than 10000×10000 pixels (it is {width}×{height})."
            )
        );
    }
}

/// Sides within the maximum but too many pixels: a decompression bomb (a few hundred
/// kilobytes of JPEG here), refused before anything decodes it.
#[test]
fn too_many_pixels_are_refused() {
    assert_eq!(MAX_PIXELS, 8000 * 6250);
    assert_eq!(accepted(&jpeg(8000, 6250)).width, 8000);
    let err = validate_image(&jpeg(8000, 6251), 1 << 24).unwrap_err();
    assert_eq!(
        err,
        InvalidImage::TooManyPixels {
            width: 8000,
            height: 6251
        }
    );
    assert_eq!(
        err.to_string(),
        "Ensure this image has no more than 50000000 pixels (it is 8000×6251)."
    );
}

#[test]
fn a_zero_side_is_not_an_image() {
    assert_eq!(
        validate_image(&png(0, 5), MAX),
        Err(InvalidImage::NotAnImage)
    );
    assert_eq!(
        validate_image(&jpeg(5, 0), MAX),
        Err(InvalidImage::NotAnImage)
    );
}
