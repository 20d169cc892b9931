//! Time-based one-time passwords (RFC 6238, over RFC 4226's HOTP): the codes
//! an authenticator app shows, six digits that change every 30 seconds, made
//! from a secret shared once through a QR code; and the recovery codes that
//! stand in for the app when it is lost.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

/// Seconds a code lasts.
pub const STEP: i64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Steps either side of now whose codes are taken (a clock a little out, a
/// code typed as it changed).
pub const DRIFT: i64 = 1;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, without padding (as authenticator apps take secrets).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buffer = [0u8; 5];
        buffer[..chunk.len()].copy_from_slice(chunk);
        let n = buffer.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(BASE32[((n >> (35 - 5 * i)) & 31) as usize] as char);
        }
    }
    out
}

/// Reads base32 (any case; spaces and padding ignored); `None` if it is not.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = BASE32
            .iter()
            .position(|b| *b as char == c.to_ascii_uppercase())?;
        bits = (bits << 5) | value as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// A new secret: 20 random bytes (160 bits, as RFC 4226 recommends), in base32.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    base32(&bytes)
}

/// HOTP: the code for `counter`.
pub fn hotp(key: &[u8], counter: u64) -> u32 {
    let mut mac = <Hmac<Sha1>>::new_from_slice(key).expect("any key length");
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    value % 10u32.pow(DIGITS)
}

/// The step a Unix time falls in.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP)
}

/// The step (within [`DRIFT`] of `unix_seconds`) whose code `code` is, for
/// the base32 `secret`; `None` when it is none of them. The caller refuses a
/// step already used, so a code works once.
pub fn verify(secret: &str, code: &str, unix_seconds: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let key = from_base32(secret)?;
    let now = step_of(unix_seconds);
    (now - DRIFT..=now + DRIFT)
        .filter(|s| *s >= 0)
        .find(|s| hotp(&key, *s as u64) == wanted)
}

/// The `otpauth://` link an authenticator app reads from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    let enc = app::api::encode_component;
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// The QR code of `text` as an SVG image (black on white, with its quiet zone).
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .dark_color(qrcode::render::svg::Color("#0b0c0c"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build()
            // Inline in a page: the image, without its XML declaration.
            .split_once("<svg")
            .map(|(_, svg)| format!("<svg{svg}"))
            .unwrap_or_default(),
        // Only text longer than a QR code holds (kilobytes) gets here.
        Err(_) => String::new(),
    }
}

/// Ten recovery codes, each 10 letters and digits in two groups of five
/// (`k7mq2-x9tfa`): about 50 bits each, used once.
pub fn recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| {
            let mut code = String::new();
            for i in 0..10 {
                if i == 5 {
                    code.push('-');
                }
                code.push(ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char);
            }
            code
        })
        .collect()
}

/// A recovery code as typed, made comparable: lower case, without spaces or
/// dashes.
pub fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_as_rfc_4648_writes_it() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes()), encoded);
            assert_eq!(from_base32(encoded).unwrap(), plain.as_bytes());
            assert_eq!(
                from_base32(&format!("{} ==", encoded.to_lowercase())).unwrap(),
                plain.as_bytes()
            );
        }
        assert_eq!(from_base32("MZ1W"), None, "1 is not base32");
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        assert_eq!(from_base32(&secret).unwrap().len(), 20);
    }

    #[test]
    fn codes_match_rfc_6238s_test_vectors() {
        // RFC 6238 appendix B, SHA-1 (its 8-digit codes, of which we show 6).
        let key = b"12345678901234567890";
        let secret = base32(key);
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(format!("{:06}", hotp(key, step_of(time) as u64)), code);
            assert_eq!(verify(&secret, code, time), Some(step_of(time)));
        }
        // RFC 4226 appendix D, counter 1.
        assert_eq!(hotp(key, 1), 287_082);
    }

    #[test]
    fn a_code_is_taken_one_step_either_side_and_no_further() {
        let secret = base32(b"12345678901234567890");
        let key = from_base32(&secret).unwrap();
        let now = 1_700_000_000;
        let code = |step: i64| format!("{:06}", hotp(&key, step as u64));
        let here = step_of(now);
        assert_eq!(verify(&secret, &code(here - 1), now), Some(here - 1));
        assert_eq!(verify(&secret, &code(here + 1), now), Some(here + 1));
        assert_eq!(verify(&secret, &code(here - 2), now), None);
        assert_eq!(verify(&secret, &code(here + 2), now), None);
        let spaced = format!("{} {}", &code(here)[..3], &code(here)[3..]);
        assert_eq!(verify(&secret, &spaced, now), Some(here));
        assert_eq!(verify(&secret, "12345", now), None);
        assert_eq!(verify(&secret, "abcdef", now), None);
        assert_eq!(verify(&secret, "1234567", now), None);
    }

    #[test]
    fn recovery_codes_are_ten_different_and_read_however_typed() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        assert!(codes
            .iter()
            .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        assert_eq!(normalise_recovery_code(" K7MQ2-x9tfa "), "k7mq2x9tfa");
    }

    #[test]
    fn the_app_link_names_pulse_and_the_account() {
        let uri = otpauth_uri("Pulse", "jane@example.gov.uk", "ABC");
        assert_eq!(
            uri,
            "otpauth://totp/Pulse:jane%40example.gov.uk?secret=ABC&issuer=Pulse&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri);
        assert!(svg.contains("<svg") && svg.contains("#0b0c0c"), "{svg}");
    }
}
