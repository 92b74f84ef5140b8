//! Photos for tests: small real JPEGs made on the spot, and their upload through the tus
//! endpoint the way a phone sends them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};
use tianzhang_server::blobs::Sha256Ref;

use crate::TestApp;

/// A real JPEG made for the test, and its hash.
#[derive(Clone)]
pub struct Photo {
    pub bytes: Vec<u8>,
    pub hash: String,
}

impl Photo {
    pub fn from_bytes(bytes: Vec<u8>) -> Photo {
        let hash = hash_of(&bytes);
        Photo { bytes, hash }
    }

    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
}

/// A JPEG of `width`×`height` with content that depends on `seed` (and compresses like a
/// photo: smooth gradients with some noise). `noise` from 0 (smooth) to 255 (all noise).
pub fn photo(width: u32, height: u32, seed: u32, noise: u8) -> Photo {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let image = RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state & 0xFF) as u8;
        let mix = |base: u32| -> u8 {
            let smooth = (base % 256) as u8;
            let (a, b) = (u16::from(smooth), u16::from(n));
            let k = u16::from(noise);
            ((a * (255 - k) + b * k) / 255) as u8
        };
        Rgb([
            mix(x * 255 / width.max(1) + seed),
            mix(y * 255 / height.max(1) + seed * 7),
            mix((x + y) + seed * 13),
        ])
    });
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 90)
        .encode_image(&image)
        .unwrap();
    Photo::from_bytes(bytes)
}

/// `sha256:<hex>` of some bytes.
pub fn hash_of(bytes: &[u8]) -> String {
    Sha256Ref::from_digest(&Sha256::digest(bytes)).to_string()
}

pub fn b64(value: &str) -> String {
    STANDARD.encode(value)
}

/// The `Upload-Metadata` of a photo with this declared hash.
pub fn metadata(hash: &str) -> String {
    format!(
        "sha256 {},filetype {},filename {}",
        b64(hash),
        b64("image/jpeg"),
        b64("地块-1.jpg")
    )
}

/// Uploads a whole photo in one request (tus creation-with-upload); asserts it was stored.
pub async fn upload(app: &TestApp, token: &str, photo: &Photo) {
    let response = app
        .authed(Method::POST, "/api/v1/uploads", token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", photo.size().to_string())
        .header("upload-metadata", metadata(&photo.hash))
        .header("content-type", "application/offset+octet-stream")
        .body(photo.bytes.clone())
        .send()
        .await
        .expect("upload request");
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "upload of {}",
        photo.hash
    );
    let offset = response
        .headers()
        .get("upload-offset")
        .and_then(|v| v.to_str().ok());
    assert_eq!(
        offset,
        Some(photo.size().to_string().as_str()),
        "the whole photo arrived"
    );
}
