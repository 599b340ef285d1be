//! Web Push in pure Rust (server only): the application server's VAPID identity
//! (RFC 8292) and message encryption for one subscription (RFC 8291, `aes128gcm` of
//! RFC 8188). Sending is in `channels`; this module only computes bytes and headers.

use crate::AppError;
use aes_gcm::aead::Aead;
use aes_gcm::{Aes128Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// The record size written into the header: one record carries the whole message.
pub const RECORD_SIZE: u32 = 4096;
/// The largest payload one record holds (record size minus the tag and the delimiter).
pub const MAX_PAYLOAD: usize = RECORD_SIZE as usize - 16 - 1 - 86;

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Base64url as browsers write it (padding tolerated).
pub fn unb64(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .ok()
}

/// The application server's key pair (P-256), made once and stored.
#[derive(Clone)]
pub struct VapidKeys {
    secret: SecretKey,
}

impl VapidKeys {
    pub fn generate() -> VapidKeys {
        VapidKeys {
            secret: SecretKey::random(&mut rand::rngs::OsRng),
        }
    }

    /// From the stored private scalar (base64url).
    pub fn from_private(text: &str) -> Option<VapidKeys> {
        let bytes = unb64(text)?;
        SecretKey::from_slice(&bytes)
            .ok()
            .map(|secret| VapidKeys { secret })
    }

    pub fn private_b64(&self) -> String {
        b64(&self.secret.to_bytes())
    }

    /// The uncompressed public point, base64url: the browser's `applicationServerKey`
    /// and the `k` parameter of the Authorization header.
    pub fn public_b64(&self) -> String {
        b64(self.secret.public_key().to_sec1_bytes().as_ref())
    }

    /// `Authorization: vapid t=<JWT>, k=<public key>` for a push to `endpoint`, valid
    /// for 12 hours from `now` (RFC 8292 §2–3).
    pub fn authorization(
        &self,
        endpoint: &str,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let url = reqwest::Url::parse(endpoint).map_err(AppError::internal)?;
        let audience = url.origin().ascii_serialization();
        let header = b64(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": audience,
            "exp": (now + Duration::hours(12)).timestamp(),
            "sub": subject,
        });
        let claims = b64(claims.to_string().as_bytes());
        let signing_input = format!("{header}.{claims}");
        let signature: Signature = SigningKey::from(&self.secret).sign(signing_input.as_bytes());
        Ok(format!(
            "vapid t={signing_input}.{}, k={}",
            b64(&signature.to_bytes()),
            self.public_b64()
        ))
    }
}

/// Encrypt `payload` for a subscription's `p256dh` key and `auth` secret (base64url, as
/// the browser gives them), with a fresh ephemeral key and salt.
pub fn encrypt(payload: &[u8], p256dh: &str, auth: &str) -> Result<Vec<u8>, AppError> {
    let ua_public = unb64(p256dh).ok_or_else(|| AppError::internal("bad p256dh key"))?;
    let auth = unb64(auth).ok_or_else(|| AppError::internal("bad auth secret"))?;
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt);
    let ephemeral = SecretKey::random(&mut rand::rngs::OsRng);
    encrypt_with(payload, &ua_public, &auth, &ephemeral, salt)
}

fn hkdf_expand<const N: usize>(salt: &[u8], ikm: &[u8], info: &[u8]) -> Result<[u8; N], AppError> {
    let mut out = [0u8; N];
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, &mut out)
        .map_err(|_| AppError::internal("hkdf length"))?;
    Ok(out)
}

/// RFC 8291 §3.4 with the ephemeral key and salt given (the RFC's example fixes both).
/// The body is `salt ‖ rs ‖ idlen ‖ keyid (the ephemeral public key) ‖ ciphertext`.
pub fn encrypt_with(
    payload: &[u8],
    ua_public: &[u8],
    auth_secret: &[u8],
    ephemeral: &SecretKey,
    salt: [u8; 16],
) -> Result<Vec<u8>, AppError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(AppError::internal("push payload too large"));
    }
    let ua =
        PublicKey::from_sec1_bytes(ua_public).map_err(|_| AppError::internal("bad p256dh key"))?;
    let as_public = ephemeral.public_key().to_sec1_bytes();
    let shared = p256::ecdh::diffie_hellman(ephemeral.to_nonzero_scalar(), ua.as_affine());
    // IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" ‖ 0 ‖ ua_public ‖ as_public)
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_public);
    key_info.extend_from_slice(&as_public);
    let ikm: [u8; 32] = hkdf_expand(auth_secret, shared.raw_secret_bytes(), &key_info)?;
    let cek: [u8; 16] = hkdf_expand(&salt, &ikm, b"Content-Encoding: aes128gcm\0")?;
    let nonce: [u8; 12] = hkdf_expand(&salt, &ikm, b"Content-Encoding: nonce\0")?;
    // One record, the last: the payload and the delimiter 0x02, no padding.
    let mut record = payload.to_vec();
    record.push(2);
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(AppError::internal)?;
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), record.as_slice())
        .map_err(|_| AppError::internal("aes-gcm"))?;
    let mut body = Vec::with_capacity(16 + 4 + 1 + as_public.len() + sealed.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(as_public.len() as u8);
    body.extend_from_slice(&as_public);
    body.extend_from_slice(&sealed);
    Ok(body)
}

/// HMAC-SHA256, used by DingTalk's signed timestamps.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC takes keys of any length.
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(text: &str) -> Vec<u8> {
        unb64(text).unwrap_or_else(|| panic!("not base64url: {text}"))
    }

    /// RFC 8291 Appendix A: the published keys, salt and message.
    #[test]
    fn encryption_matches_the_rfc_8291_example() {
        let ephemeral =
            SecretKey::from_slice(&bytes("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"))
                .unwrap_or_else(|e| panic!("{e}"));
        let salt: [u8; 16] = bytes("DGv6ra1nlYgDCS1FRnbzlw")
            .try_into()
            .unwrap_or_else(|_| panic!("salt length"));
        let body = encrypt_with(
            b"When I grow up, I want to be a watermelon",
            &bytes("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"),
            &bytes("BTBZMqHH6r4Tts7J_aSIgg"),
            &ephemeral,
            salt,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            b64(&body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn the_vapid_token_is_signed_by_the_key_it_names() {
        use p256::ecdsa::VerifyingKey;
        use p256::ecdsa::signature::Verifier;
        let keys = VapidKeys::generate();
        let again = VapidKeys::from_private(&keys.private_b64()).unwrap_or_else(|| panic!("key"));
        assert_eq!(again.public_b64(), keys.public_b64());
        let now = Utc::now();
        let header = keys
            .authorization(
                "https://push.example/send/abc?x=1",
                "mailto:office@example",
                now,
            )
            .unwrap_or_else(|e| panic!("{e:?}"));
        let (t, k) = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .unwrap_or_else(|| panic!("{header}"));
        assert_eq!(k, keys.public_b64());
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&bytes(parts[1])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(claims["aud"], "https://push.example");
        assert_eq!(claims["sub"], "mailto:office@example");
        assert!(claims["exp"].as_i64().unwrap_or(0) > now.timestamp());
        let key = VerifyingKey::from_sec1_bytes(&bytes(k)).unwrap_or_else(|e| panic!("{e}"));
        let signature = Signature::from_slice(&bytes(parts[2])).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
                .is_ok()
        );
    }

    #[test]
    fn an_oversized_payload_is_refused() {
        let ua = SecretKey::random(&mut rand::rngs::OsRng)
            .public_key()
            .to_sec1_bytes();
        let big = vec![b'x'; MAX_PAYLOAD + 1];
        assert!(
            encrypt_with(
                &big,
                &ua,
                &[0; 16],
                &SecretKey::random(&mut rand::rngs::OsRng),
                [0; 16]
            )
            .is_err()
        );
    }
}
