//! The digests harden compares templates by: of a text, and of a template body whatever its
//! spacing. (Its own module so `prepare`, `artifacts` and `saved` share it without importing
//! one another.)

/// SHA-256 of a text, hex.
pub fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a template body as harden sends it (compact JSON), whatever spacing it is
/// returned with; a body that is not JSON is hashed as it is.
pub fn template_sha256(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => sha256(&serde_json::to_string(&v).expect("a JSON value serialises")),
        Err(_) => sha256(body),
    }
}
