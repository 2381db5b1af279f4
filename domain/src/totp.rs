//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, HMAC-SHA-1, 6 digits, 30-second steps): the
//! second factor of staff logins (等保三级 身份鉴别). Pure: the caller passes the time.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step, and digits per code: what every authenticator app uses by default.
pub const STEP_SECS: i64 = 30;
pub const DIGITS: u32 = 6;
/// Steps either side of now that are still accepted (a phone's clock a little off, a code typed at the turn).
pub const DRIFT_STEPS: i64 = 1;
/// A new secret's length: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

/// HOTP (RFC 4226 §5.3): HMAC-SHA-1 of the counter, dynamically truncated, modulo 10^digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin =
        u32::from_be_bytes([h[offset], h[offset + 1], h[offset + 2], h[offset + 3]]) & 0x7fff_ffff;
    bin % 10u32.pow(digits)
}

/// The time step of a Unix time (seconds).
pub fn step_of(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The code for a Unix time, zero-padded to `digits`.
pub fn code_at(secret: &[u8], unix_secs: i64, digits: u32) -> String {
    let c = hotp(secret, step_of(unix_secs).max(0) as u64, digits);
    format!("{c:0width$}", width = digits as usize)
}

/// What a person typed, reduced to its digits (spaces and a middle hyphen are allowed); `None` if it is not a
/// six-digit code.
pub fn normalise_code(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

/// Checks a typed code at a Unix time. Accepts the current step and [`DRIFT_STEPS`] either side, but never a step
/// at or before `last_step` (the last one accepted for this secret), so a code seen over a shoulder or in a log
/// cannot be replayed. Returns the accepted step, to be stored as the new `last_step`.
pub fn verify(secret: &[u8], typed: &str, unix_secs: i64, last_step: Option<i64>) -> Option<i64> {
    let code = normalise_code(typed)?;
    let want: u32 = code.parse().ok()?;
    let now = step_of(unix_secs);
    let mut found = None;
    // every candidate is computed and compared, so the time taken does not tell which step matched
    for s in (now - DRIFT_STEPS)..=(now + DRIFT_STEPS) {
        if s < 0 || last_step.is_some_and(|l| s <= l) {
            continue;
        }
        if hotp(secret, s as u64, DIGITS) == want && found.is_none() {
            found = Some(s);
        }
    }
    found
}

/// A secret as authenticator apps take it: unpadded RFC 4648 base32.
pub fn to_base32(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// The secret of a base32 text (spaces ignored, any case); `None` if it is not base32.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    data_encoding::BASE32_NOPAD
        .decode(t.trim_end_matches('=').as_bytes())
        .ok()
}

/// A recovery code as typed, reduced to what is stored: lower-case letters and digits only.
pub fn normalise_recovery(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 Appendix B, the SHA-1 column (8 digits)
        for (t, want) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(RFC_SECRET, t, 8), want, "T = {t}");
        }
    }

    #[test]
    fn rfc4226_hotp_vectors() {
        // RFC 4226 Appendix D
        let want = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (c, w) in want.iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, c as u64, 6), *w, "counter {c}");
        }
    }

    #[test]
    fn drift_and_replay() {
        let t = 1_234_567_890;
        let code = code_at(RFC_SECRET, t, DIGITS);
        let step = step_of(t);
        assert_eq!(verify(RFC_SECRET, &code, t, None), Some(step));
        assert_eq!(
            verify(RFC_SECRET, &code, t + 30, None),
            Some(step),
            "one step late"
        );
        assert_eq!(
            verify(RFC_SECRET, &code, t - 30, None),
            Some(step),
            "one step early"
        );
        assert_eq!(
            verify(RFC_SECRET, &code, t + 90, None),
            None,
            "three steps late"
        );
        assert_eq!(verify(RFC_SECRET, &code, t, Some(step)), None, "replayed");
        assert_eq!(verify(RFC_SECRET, "12345", t, None), None);
        assert_eq!(verify(RFC_SECRET, "abcdef", t, None), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(verify(RFC_SECRET, &spaced, t, None), Some(step));
    }

    #[test]
    fn base32_round_trip_and_apps_form() {
        assert_eq!(to_base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap(),
            RFC_SECRET
        );
        assert!(from_base32("not base32!").is_none());
    }

    proptest! {
        #[test]
        fn a_code_is_accepted_once_within_its_window(
            secret in proptest::collection::vec(any::<u8>(), 10..40),
            t in 0i64..4_000_000_000,
            skew in -29i64..30,
        ) {
            let code = code_at(&secret, t, DIGITS);
            prop_assert_eq!(code.len(), DIGITS as usize);
            let accepted = verify(&secret, &code, t + skew, None);
            prop_assert!(accepted.is_some());
            let s = accepted.unwrap();
            prop_assert!((s - step_of(t + skew)).abs() <= DRIFT_STEPS);
            prop_assert_eq!(verify(&secret, &code, t + skew, Some(s)), None);
        }

        #[test]
        fn codes_far_from_now_are_refused(
            secret in proptest::collection::vec(any::<u8>(), 20..21),
            t in 100_000i64..4_000_000_000,
        ) {
            let old = code_at(&secret, t - 10 * STEP_SECS, DIGITS);
            // a coincidence (the same six digits in the window) is possible but 3 in a million
            if let Some(s) = verify(&secret, &old, t, None) {
                prop_assert_eq!(code_at(&secret, s * STEP_SECS, DIGITS), old);
            }
        }

        #[test]
        fn base32_round_trips(secret in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(from_base32(&to_base32(&secret)).unwrap(), secret);
        }
    }
}
