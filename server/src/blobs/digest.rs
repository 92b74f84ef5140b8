//! Content hashes: the `sha256:<hex>` references photos are named by, and the per-chunk
//! checksums of tus's checksum extension.

use std::fmt;

use sha1::Sha1;
use sha2::{Digest, Sha256};
use tianzhang_sync::merge::is_sha256_ref;

/// A SHA-256 content hash written as photo records name it: `sha256:` and 64 lowercase hex
/// digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Ref(String);

impl Sha256Ref {
    /// Accepts exactly `sha256:` and 64 lowercase hex digits.
    pub fn parse(value: &str) -> Option<Self> {
        is_sha256_ref(value).then(|| Self(value.to_owned()))
    }

    /// The reference of a finished SHA-256 digest.
    pub fn from_digest(digest: &[u8]) -> Self {
        let mut text = String::with_capacity(7 + 2 * digest.len());
        text.push_str("sha256:");
        for byte in digest {
            text.push(hex_digit(byte >> 4));
            text.push(hex_digit(byte & 0x0f));
        }
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 64 hex digits without the `sha256:` prefix.
    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }
}

impl fmt::Display for Sha256Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

/// The algorithms `Upload-Checksum` may name (advertised in `Tus-Checksum-Algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    pub const ALL: [ChecksumAlgorithm; 2] = [ChecksumAlgorithm::Sha1, ChecksumAlgorithm::Sha256];

    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Sha1 => "sha1",
            ChecksumAlgorithm::Sha256 => "sha256",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    pub fn hasher(self) -> ChecksumHasher {
        match self {
            ChecksumAlgorithm::Sha1 => ChecksumHasher::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => ChecksumHasher::Sha256(Sha256::new()),
        }
    }
}

/// A running checksum of one chunk.
pub enum ChecksumHasher {
    Sha1(Sha1),
    Sha256(Sha256),
}

impl ChecksumHasher {
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            ChecksumHasher::Sha1(h) => h.update(bytes),
            ChecksumHasher::Sha256(h) => h.update(bytes),
        }
    }

    pub fn finish(self) -> Vec<u8> {
        match self {
            ChecksumHasher::Sha1(h) => h.finalize().to_vec(),
            ChecksumHasher::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_strict_and_round_trip() {
        let digest = Sha256::digest(b"abc");
        let r = Sha256Ref::from_digest(&digest);
        assert_eq!(
            r.as_str(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Sha256Ref::parse(r.as_str()), Some(r.clone()));
        assert_eq!(r.hex().len(), 64);
        assert!(Sha256Ref::parse(&r.as_str().to_uppercase()).is_none());
        assert!(Sha256Ref::parse(r.hex()).is_none());
        assert!(Sha256Ref::parse("sha256:abc").is_none());
    }

    #[test]
    fn checksums_match_known_digests() {
        let mut sha1 = ChecksumAlgorithm::from_name("sha1").unwrap().hasher();
        sha1.update(b"a");
        sha1.update(b"bc");
        assert_eq!(
            Sha256Ref::from_digest(&sha1.finish()).hex(),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert!(ChecksumAlgorithm::from_name("md5").is_none());
    }
}
