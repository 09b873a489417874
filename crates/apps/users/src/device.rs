//! Device cookies (OWASP's "Slow down online guessing attacks with device cookies"): a browser
//! that has logged in as a user gets a cookie signed for that user, and its later logins as
//! that user are counted per device instead of in the username's window. An attacker guessing
//! a password from anywhere can then use up the username's window for clients the account has
//! never been seen on, but cannot lock the user out of the devices they already use.
//!
//! The value is `<user id>.<nonce>.<signature>`, the signature an HMAC-SHA256 of the user's id,
//! username and the nonce keyed with the user's stored password hash: a secret every instance
//! shares through the database (no key to configure), unknown to clients, and replaced by every
//! password change — which retires the user's device cookies with their old password.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::models::user;
use crate::services::{hex, random_hex};

/// The cookie's name; it is sent only to `/api/auth/` (`DEVICE_PATH`).
pub const DEVICE_COOKIE: &str = "strata_device";
pub const DEVICE_PATH: &str = "/api/auth/";
/// How long a device is remembered after its last login: 180 days.
pub const DEVICE_TTL: std::time::Duration = std::time::Duration::from_secs(180 * 24 * 3600);

/// A new cookie value for a browser that has just logged in as `user`.
pub fn issue(user: &user::Model) -> String {
    let nonce = random_hex(16);
    let signature = sign(user, &nonce);
    format!("{}.{nonce}.{signature}", user.id)
}

/// The device's nonce (its throttle key) when `value` was issued to a browser that logged in
/// as `user` with their current password; `None` for anything else.
pub fn recognise<'a>(value: &'a str, user: &user::Model) -> Option<&'a str> {
    let mut parts = value.split('.');
    let (Some(id), Some(nonce), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if id != user.id.to_string() || nonce.is_empty() {
        return None;
    }
    let expected = sign(user, nonce);
    bool::from(expected.as_bytes().ct_eq(signature.as_bytes())).then_some(nonce)
}

fn sign(user: &user::Model, nonce: &str) -> String {
    let message = format!("strata-device\0{}\0{}\0{nonce}", user.id, user.username);
    hex(&hmac_sha256(user.password.as_bytes(), message.as_bytes()))
}

/// HMAC-SHA256 (RFC 2104) on the `sha2` the crate already uses.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn user(id: i64, password: &str) -> user::Model {
        user::Model {
            id,
            username: "mina".into(),
            email: String::new(),
            password: password.into(),
            role: "admin".into(),
            is_active: true,
            last_login: None,
            date_joined: Utc::now(),
            version: 1,
        }
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2, and test case 6 (a key longer than a block).
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_cookie_is_recognised_only_for_its_user_and_password() {
        let mina = user(1, "$argon2id$one");
        let value = issue(&mina);
        assert!(recognise(&value, &mina).is_some());
        assert_eq!(recognise(&value, &user(2, "$argon2id$one")), None);
        assert_eq!(
            recognise(&value, &user(1, "$argon2id$two")),
            None,
            "password changed"
        );
        let mut forged = value.clone();
        forged.pop();
        forged.push('x');
        assert_eq!(recognise(&forged, &mina), None);
        for junk in ["", "1", "1..", "1.a.b.c", &format!("{value}.x")] {
            assert_eq!(recognise(junk, &mina), None, "{junk}");
        }
    }
}
