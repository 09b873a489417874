//! What `strata seed --demo` draws rather than downloads: photos of houses, blocks of flats and
//! rooms ([`photo`]), varied by a seeded [`Rng`] so every machine gets the same demo.
//!
//! A crate of its own so debug builds can compile it optimized (`Cargo.toml`'s dev profile):
//! drawing and JPEG-encoding a photo pixel by pixel is generic code, compiled in the crate
//! that calls it, and every test that seeds waits for it.

mod photos;

pub use photos::{HEIGHT, WIDTH, photo};

/// A small deterministic generator (SplitMix64): the same seed gives the same demo everywhere.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
