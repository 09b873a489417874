//! Accounts, API tokens, sessions and the admin API's users resource. Private data: nothing here is ever cached.

pub mod accounts;
pub mod admin;
pub mod sessions;
pub mod tokens;

use rand::RngCore;
use sha2::{Digest, Sha256};

/// `bytes` random bytes from the OS's CSPRNG, as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex(&buf)
}

/// How secrets (token keys, session keys) are stored: their SHA-256. They are random and long,
/// so a fast hash suffices; a stolen table cannot be replayed.
fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
