//! The demo's photos, drawn rather than downloaded: a sky and ground, a house or an apartment
//! block with lit windows, a tree or two; or a room with a window onto the sky. Everything
//! comes from a seed, so a property gets the same pictures on every machine.

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

use crate::Rng;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 800;
const QUALITY: u8 = 80;

/// Skies as (zenith, horizon): day, late afternoon, sunset, dusk.
const SKIES: &[([u8; 3], [u8; 3])] = &[
    ([74, 144, 226], [198, 226, 247]),
    ([92, 158, 214], [247, 222, 170]),
    ([88, 97, 170], [250, 170, 110]),
    ([38, 52, 110], [206, 132, 140]),
];
const GROUNDS: &[[u8; 3]] = &[
    [96, 148, 72],
    [164, 150, 112],
    [128, 128, 124],
    [110, 160, 96],
];
const WALLS: &[[u8; 3]] = &[
    [236, 226, 206],
    [214, 190, 160],
    [200, 208, 214],
    [232, 214, 190],
    [186, 120, 96],
    [244, 240, 232],
];
const ROOFS: &[[u8; 3]] = &[[150, 62, 48], [72, 76, 86], [120, 84, 60], [58, 96, 110]];
const FLOORS: &[[u8; 3]] = &[
    [168, 124, 84],
    [196, 170, 130],
    [120, 90, 70],
    [210, 206, 198],
];

/// The `index`th photo of property `n`, as a JPEG of [`WIDTH`]×[`HEIGHT`]: the first two
/// outside (a house or a block, by the seed), the third inside.
pub fn photo(n: u32, index: u32) -> Result<Vec<u8>, image::ImageError> {
    let mut rng = Rng(u64::from(n).wrapping_mul(0x9E37_79B9) ^ u64::from(index) << 40);
    let mut img = RgbImage::new(WIDTH, HEIGHT);
    if index < 2 {
        outside(&mut img, &mut rng);
    } else {
        inside(&mut img, &mut rng);
    }
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, QUALITY).encode_image(&img)?;
    Ok(bytes)
}

fn outside(img: &mut RgbImage, rng: &mut Rng) {
    let (zenith, horizon) = *rng.pick(SKIES);
    let horizon_y = 480 + rng.below(120) as u32;
    gradient(img, 0, horizon_y, zenith, horizon);
    let ground = *rng.pick(GROUNDS);
    gradient(
        img,
        horizon_y,
        HEIGHT,
        shade(ground, 1.1),
        shade(ground, 0.75),
    );
    // The sun, somewhere in the sky.
    let sun = (100 + rng.below(1000) as i64, 80 + rng.below(200) as i64);
    disc(img, sun, 46, [255, 244, 210]);
    let wall = *rng.pick(WALLS);
    let roof = *rng.pick(ROOFS);
    let lit = rng.below(2) == 0;
    let glass = if lit {
        [255, 214, 130]
    } else {
        [150, 190, 220]
    };
    let left = 220 + rng.below(360) as u32;
    if rng.below(2) == 0 {
        // A house: a wide wall, a pitched roof, a door and two rows of windows.
        let width = 420 + rng.below(200) as u32;
        let top = horizon_y - 220 - rng.below(60) as u32;
        rect(img, left, top, width, horizon_y + 40 - top, wall);
        let peak = top.saturating_sub(130 + rng.below(60) as u32);
        roof_triangle(img, left - 30, left + width + 30, top, peak, roof);
        let door = left + width / 2 - 35;
        rect(img, door, horizon_y - 90, 70, 130, shade(roof, 0.8));
        for row in 0..2 {
            for col in 0..4 {
                let x = left + 30 + col * (width - 60) / 4;
                let y = top + 30 + row * 100;
                if row == 1 && x + 60 > door && x < door + 70 {
                    continue;
                }
                window(img, x, y, 60, 60, glass);
            }
        }
    } else {
        // A block of flats: tall, a flat roof, a grid of windows.
        // As many floors as fit under the top of the picture (at least 480 - 20 = 6 × 70 px).
        let floors = (4 + rng.below(6) as u32).min((horizon_y - 20) / 70);
        let width = 300 + rng.below(220) as u32;
        let top = horizon_y + 40 - (floors * 70 + 30);
        rect(img, left, top, width, horizon_y + 40 - top, wall);
        rect(img, left - 10, top - 16, width + 20, 20, shade(wall, 0.7));
        let columns = width / 80;
        for floor in 0..floors {
            for col in 0..columns {
                let x = left + 20 + col * (width - 20) / columns;
                let y = top + 30 + floor * 70;
                let pane = if rng.below(3) == 0 {
                    shade(glass, 0.7)
                } else {
                    glass
                };
                window(img, x, y, 44, 40, pane);
            }
        }
    }
    for _ in 0..1 + rng.below(3) {
        let x = 60 + rng.below(1080) as u32;
        if x + 40 > left && x < left + 700 {
            continue;
        }
        tree(img, x, horizon_y + 30, rng);
    }
}

fn inside(img: &mut RgbImage, rng: &mut Rng) {
    let wall = *rng.pick(WALLS);
    let floor = *rng.pick(FLOORS);
    let floor_y = 520 + rng.below(80) as u32;
    gradient(img, 0, floor_y, shade(wall, 1.05), shade(wall, 0.85));
    gradient(img, floor_y, HEIGHT, shade(floor, 0.9), shade(floor, 1.15));
    rect(img, 0, floor_y - 12, WIDTH, 12, shade(wall, 0.7));
    // A window onto the sky, with its frame and cross bars.
    let (zenith, horizon) = *rng.pick(SKIES);
    let (x, y, w, h) = (200 + rng.below(400) as u32, 120, 360, 300);
    rect(img, x - 14, y - 14, w + 28, h + 28, [250, 250, 248]);
    let mut sky = RgbImage::new(w, h);
    gradient(&mut sky, 0, h, zenith, horizon);
    image::imageops::overlay(img, &sky, i64::from(x), i64::from(y));
    rect(img, x + w / 2 - 5, y, 10, h, [250, 250, 248]);
    rect(img, x, y + h / 2 - 5, w, 10, [250, 250, 248]);
    // A sofa and a rug.
    let sofa = *rng.pick(ROOFS);
    let sx = 640 + rng.below(200) as u32;
    rect(img, sx, floor_y - 130, 320, 130, sofa);
    rect(img, sx - 20, floor_y - 170, 360, 60, shade(sofa, 0.85));
    rect(
        img,
        sx + 40,
        floor_y + 60,
        260,
        120,
        shade(*rng.pick(WALLS), 0.9),
    );
}

fn tree(img: &mut RgbImage, x: u32, base: u32, rng: &mut Rng) {
    let height = 120 + rng.below(80) as u32;
    rect(img, x + 14, base - height / 2, 14, height / 2, [96, 70, 48]);
    let green = [52 + rng.below(40) as u8, 110 + rng.below(40) as u8, 60];
    disc(
        img,
        (i64::from(x) + 21, i64::from(base - height / 2) - 30),
        50,
        green,
    );
}

fn window(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, glass: [u8; 3]) {
    rect(img, x - 4, y - 4, w + 8, h + 8, [80, 80, 84]);
    rect(img, x, y, w, h, glass);
}

fn shade(c: [u8; 3], by: f32) -> [u8; 3] {
    c.map(|v| (f32::from(v) * by).clamp(0.0, 255.0) as u8)
}

/// Rows `from..to` blend from `top` to `bottom`.
fn gradient(img: &mut RgbImage, from: u32, to: u32, top: [u8; 3], bottom: [u8; 3]) {
    let span = to.saturating_sub(from).max(1) as f32;
    for y in from..to.min(img.height()) {
        let t = (y - from) as f32 / span;
        let colour = std::array::from_fn(|i| {
            (f32::from(top[i]) * (1.0 - t) + f32::from(bottom[i]) * t) as u8
        });
        rect(img, 0, y, img.width(), 1, colour);
    }
}

/// A rectangle, clipped to the image; filled a row slice at a time (debug builds draw too).
fn rect(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, colour: [u8; 3]) {
    let (width, height) = img.dimensions();
    let (x_end, y_end) = ((x + w).min(width), (y + h).min(height));
    if x >= x_end {
        return;
    }
    let stride = width as usize * 3;
    let row: Vec<u8> = colour.repeat((x_end - x) as usize);
    for py in y..y_end {
        let start = py as usize * stride + x as usize * 3;
        let buffer: &mut [u8] = img.as_mut();
        buffer[start..start + row.len()].copy_from_slice(&row);
    }
}

fn disc(img: &mut RgbImage, (cx, cy): (i64, i64), r: i64, colour: [u8; 3]) {
    for y in (cy - r).max(0)..(cy + r).min(i64::from(img.height())) {
        for x in (cx - r).max(0)..(cx + r).min(i64::from(img.width())) {
            if (x - cx).pow(2) + (y - cy).pow(2) <= r * r {
                img.put_pixel(x as u32, y as u32, Rgb(colour));
            }
        }
    }
}

/// A roof from `left` to `right` along row `base`, rising to `peak` in the middle.
fn roof_triangle(img: &mut RgbImage, left: u32, right: u32, base: u32, peak: u32, colour: [u8; 3]) {
    let middle = (left + right) / 2;
    let half = (right - left) / 2;
    for y in peak..base {
        // The roof's half-width grows linearly from the peak down.
        let reach = half * (y - peak) / (base - peak).max(1);
        rect(img, middle - reach, y, reach * 2, 1, colour);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_jpegs_of_the_stated_size_and_differ() {
        let a = photo(1, 0).unwrap();
        assert_eq!(image::guess_format(&a).unwrap(), image::ImageFormat::Jpeg);
        let decoded = image::load_from_memory_with_format(&a, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (WIDTH, HEIGHT));
        assert_eq!(
            photo(1, 0).unwrap(),
            a,
            "the same seed draws the same photo"
        );
        assert_ne!(photo(2, 0).unwrap(), a);
        assert_ne!(photo(1, 2).unwrap(), a);
    }
}
