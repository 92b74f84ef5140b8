//! Argon2id password hashing (the OWASP-recommended default parameters of the `argon2`
//! crate). Hashing is deliberately slow, so callers run it on the blocking pool.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password must be at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Checks the policy and returns the PHC string (`$argon2id$v=19$...`) to store.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    check_policy(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// Whether `password` matches the stored hash. A malformed stored hash never matches.
pub fn verify(password: &str, stored_hash: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordHash::new(stored_hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the same time as a real verification, so that a login for an unknown username
/// cannot be told apart from a wrong password by its timing.
pub fn verify_against_nothing(password: &str) {
    static DUMMY_HASH: LazyLock<String> =
        LazyLock::new(|| hash("not a real password, only for timing").unwrap_or_default());
    let _ = verify(password, &DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn policy_refuses_short_and_huge_passwords() {
        assert!(matches!(hash("short"), Err(PasswordError::TooShort)));
        assert!(matches!(
            hash(&"x".repeat(2000)),
            Err(PasswordError::TooLong)
        ));
        // Counted in characters, not bytes: eight Chinese characters are enough.
        assert!(check_policy("田长田长田长田长").is_ok());
    }
}
