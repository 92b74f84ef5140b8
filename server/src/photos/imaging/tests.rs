//! Renditions of small JPEGs made on the spot: sizes, orientation, bad input, the hash.

use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::{GrayImage, Luma, Rgb, RgbImage};

use super::*;

/// Small sizes, so that a 640×480 photo is scaled for both renditions.
const SMALL: RenditionSizes = RenditionSizes {
    thumbnail_px: 100,
    preview_px: 320,
    quality: 80,
};

fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .unwrap();
    bytes
}

fn decoded(encoded: &Encoded) -> RgbImage {
    let image = image::load_from_memory(&encoded.bytes).unwrap().to_rgb8();
    assert_eq!(
        image.dimensions(),
        (encoded.width, encoded.height),
        "the stated size is the JPEG's"
    );
    image
}

/// A picture with structure: soft blobs of colour, placed by `seed`, on a gradient.
fn scene(width: u32, height: u32, seed: u32) -> RgbImage {
    let mut state = seed.wrapping_mul(2_654_435_761) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state % 1000) as f32 / 1000.0
    };
    let blobs: Vec<_> = (0..6)
        .map(|_| {
            let (x, y, r) = (next(), next(), 0.08 + 0.2 * next());
            (x, y, r, [next() * 255.0, next() * 255.0, next() * 255.0])
        })
        .collect();
    RgbImage::from_fn(width, height, |x, y| {
        let (u, v) = (x as f32 / width as f32, y as f32 / height as f32);
        let mut colour = [u * 120.0, v * 120.0, 60.0];
        for (bx, by, r, c) in &blobs {
            let weight = (-((u - bx).powi(2) + (v - by).powi(2)) / (r * r)).exp();
            for (channel, target) in colour.iter_mut().zip(c) {
                *channel += (target - *channel) * weight;
            }
        }
        Rgb(colour.map(|c| c.clamp(0.0, 255.0) as u8))
    })
}

#[test]
fn landscape_and_portrait_renditions_get_their_long_edges() {
    for ((width, height), preview, thumbnail) in [
        ((640, 480), (320, 240), (100, 75)),
        ((480, 640), (240, 320), (75, 100)),
        ((641, 401), (320, 200), (100, 63)),
    ] {
        let renditions = render(&jpeg(&scene(width, height, 1), 90), 1, &SMALL).unwrap();
        assert_eq!(decoded(&renditions.preview).dimensions(), preview);
        assert_eq!(decoded(&renditions.thumbnail).dimensions(), thumbnail);
        let alone = thumbnail_of(&jpeg(&scene(width, height, 1), 90), 1);
        assert_eq!(decoded(&alone).dimensions(), thumbnail);
    }
}

fn thumbnail_of(bytes: &[u8], orientation: u16) -> Encoded {
    thumbnail(bytes, orientation, SMALL.thumbnail_px, SMALL.quality).unwrap()
}

#[test]
fn a_very_thin_image_keeps_at_least_one_pixel() {
    let renditions = render(&jpeg(&scene(1000, 2, 1), 90), 1, &SMALL).unwrap();
    assert_eq!(decoded(&renditions.thumbnail).dimensions(), (100, 1));
}

#[test]
fn small_images_are_not_upscaled() {
    let bytes = jpeg(&scene(200, 150, 2), 90);
    let renditions = render(&bytes, 6, &RenditionSizes::default()).unwrap();
    assert_eq!(decoded(&renditions.preview).dimensions(), (150, 200));
    assert_eq!(decoded(&renditions.thumbnail).dimensions(), (150, 200));
    let alone = thumbnail(&bytes, 1, 400, 80).unwrap();
    assert_eq!((alone.width, alone.height), (200, 150));
}

#[test]
fn scaling_factor_is_the_smallest_that_covers_the_target() {
    let factor = |long_edge, target| {
        let factor = scaling_factor(long_edge, target);
        (factor.num(), factor.denom())
    };
    assert_eq!(factor(4000, 400), (1, 8));
    assert_eq!(factor(4000, 1280), (3, 8));
    assert_eq!(factor(4000, 2001), (5, 8));
    assert_eq!(factor(4000, 4000), (1, 1));
    assert_eq!(factor(300, 400), (1, 1));
    // Decoded edges round up: 3999 / 8 gives 500.
    assert_eq!(factor(3999, 500), (1, 8));
    assert_eq!(factor(4000, 501), (1, 4));
}

/// Where the corners of a stored image (red at its top left, blue at its top right) appear
/// once upright, for each EXIF orientation; and whether the upright image is portrait.
const CORNERS: [(u16, Corner, Corner, bool); 8] = [
    (1, Corner::TopLeft, Corner::TopRight, false),
    (2, Corner::TopRight, Corner::TopLeft, false),
    (3, Corner::BottomRight, Corner::BottomLeft, false),
    (4, Corner::BottomLeft, Corner::BottomRight, false),
    (5, Corner::TopLeft, Corner::BottomLeft, true),
    (6, Corner::TopRight, Corner::BottomRight, true),
    (7, Corner::BottomRight, Corner::TopRight, true),
    (8, Corner::BottomLeft, Corner::TopLeft, true),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Corner {
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

impl Corner {
    const ALL: [Corner; 4] = [
        Corner::TopLeft,
        Corner::TopRight,
        Corner::BottomLeft,
        Corner::BottomRight,
    ];

    /// A pixel well inside this corner's marker.
    fn pixel(self, image: &RgbImage) -> Rgb<u8> {
        let (w, h) = image.dimensions();
        let (dx, dy) = (w / 20, h / 20);
        let (x, y) = match self {
            Corner::TopLeft => (dx, dy),
            Corner::TopRight => (w - 1 - dx, dy),
            Corner::BottomLeft => (dx, h - 1 - dy),
            Corner::BottomRight => (w - 1 - dx, h - 1 - dy),
        };
        *image.get_pixel(x, y)
    }
}

fn is_red(Rgb([r, g, b]): Rgb<u8>) -> bool {
    r > 200 && g < 60 && b < 60
}

fn is_blue(Rgb([r, g, b]): Rgb<u8>) -> bool {
    r < 60 && g < 60 && b > 200
}

fn corner_where(image: &RgbImage, colour: fn(Rgb<u8>) -> bool) -> Vec<Corner> {
    Corner::ALL
        .into_iter()
        .filter(|corner| colour(corner.pixel(image)))
        .collect()
}

#[test]
fn every_orientation_turns_the_renditions_upright() {
    let mut stored = RgbImage::from_pixel(640, 480, Rgb([128, 128, 128]));
    for y in 0..96 {
        for x in 0..96 {
            stored.put_pixel(x, y, Rgb([255, 0, 0]));
            stored.put_pixel(639 - x, y, Rgb([0, 0, 255]));
        }
    }
    let bytes = jpeg(&stored, 95);
    for (orientation, red, blue, portrait) in CORNERS {
        let renditions = render(&bytes, orientation, &SMALL).unwrap();
        let alone = thumbnail_of(&bytes, orientation);
        for (name, encoded, size) in [
            ("preview", &renditions.preview, (320, 240)),
            ("thumbnail", &renditions.thumbnail, (100, 75)),
            ("thumbnail alone", &alone, (100, 75)),
        ] {
            let image = decoded(encoded);
            let size = if portrait { (size.1, size.0) } else { size };
            assert_eq!(
                image.dimensions(),
                size,
                "{name}, orientation {orientation}"
            );
            assert_eq!(
                corner_where(&image, is_red),
                [red],
                "red corner of the {name}, orientation {orientation}"
            );
            assert_eq!(
                corner_where(&image, is_blue),
                [blue],
                "blue corner of the {name}, orientation {orientation}"
            );
        }
    }
}

#[test]
fn unknown_orientations_are_taken_as_upright() {
    let bytes = jpeg(&scene(640, 480, 3), 90);
    let upright = render(&bytes, 1, &SMALL).unwrap();
    for orientation in [0, 9, u16::MAX] {
        assert_eq!(render(&bytes, orientation, &SMALL).unwrap(), upright);
    }
}

#[test]
fn broken_jpegs_are_errors() {
    let whole = jpeg(&scene(640, 480, 4), 90);
    let truncated = &whole[..whole.len() / 2];
    let mut garbled = whole.clone();
    garbled[200..400].fill(0xFF);
    for (name, bytes) in [
        ("empty", &[][..]),
        ("not a JPEG", b"GIF89a, certainly not a JPEG".as_slice()),
        ("headers only", &whole[..300]),
        ("truncated", truncated),
        ("garbled", &garbled),
    ] {
        let error = render(bytes, 1, &SMALL).unwrap_err();
        assert!(matches!(error, ImagingError::Decode(_)), "{name}: {error}");
        assert!(thumbnail(bytes, 1, 100, 80).is_err(), "{name}");
    }
}

#[test]
fn grayscale_jpegs_render_in_grey() {
    let gray = GrayImage::from_fn(640, 480, |x, y| Luma([((x / 4 + y / 3) % 256) as u8]));
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 90)
        .encode_image(&gray)
        .unwrap();
    let renditions = render(&bytes, 1, &SMALL).unwrap();
    let preview = decoded(&renditions.preview);
    assert_eq!(preview.dimensions(), (320, 240));
    assert!(
        preview
            .pixels()
            .all(|Rgb([r, g, b])| r.abs_diff(*g) <= 2 && g.abs_diff(*b) <= 2)
    );
}

#[test]
fn cmyk_jpegs_are_refused_with_a_clear_error() {
    let cmyk = Image {
        pixels: vec![128; 64 * 48 * 4],
        width: 64,
        pitch: 64 * 4,
        height: 48,
        format: PixelFormat::CMYK,
    };
    let bytes = turbojpeg::compress(cmyk.as_deref(), 90, Subsamp::None).unwrap();
    let error = render(&bytes, 1, &SMALL).unwrap_err();
    assert!(
        matches!(error, ImagingError::UnsupportedColorspace("CMYK")),
        "{error}"
    );
}

#[test]
fn invalid_settings_are_errors() {
    let bytes = jpeg(&scene(64, 48, 5), 90);
    for sizes in [
        RenditionSizes {
            quality: 0,
            ..SMALL
        },
        RenditionSizes {
            quality: 101,
            ..SMALL
        },
        RenditionSizes {
            thumbnail_px: 0,
            ..SMALL
        },
        RenditionSizes {
            thumbnail_px: 400,
            preview_px: 300,
            quality: 80,
        },
    ] {
        let error = render(&bytes, 1, &sizes).unwrap_err();
        assert!(
            matches!(error, ImagingError::InvalidSettings(_)),
            "{sizes:?}: {error}"
        );
    }
    assert!(thumbnail(&bytes, 1, 0, 80).is_err());
    assert!(encode_jpeg(&[0; 10], 2, 2, 80).is_err());
    assert!(encode_jpeg(&[], 0, 0, 80).is_err());
}

#[test]
fn the_thumbnail_is_close_to_a_full_resolution_lanczos3_reference() {
    let original = scene(640, 480, 6);
    let bytes = jpeg(&original, 95);
    let reference = imageops::resize(
        &image::load_from_memory(&bytes).unwrap().to_rgb8(),
        100,
        75,
        FilterType::Lanczos3,
    );
    let from_render = decoded(&render(&bytes, 1, &SMALL).unwrap().thumbnail);
    let alone = decoded(&thumbnail_of(&bytes, 1));
    for (name, thumbnail) in [("render", from_render), ("thumbnail", alone)] {
        let psnr = psnr(&thumbnail, &reference);
        assert!(psnr > 30.0, "{name}: PSNR {psnr:.1} dB");
    }
}

fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    let squared: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum();
    let mse = squared / a.as_raw().len() as f64;
    10.0 * (255.0 * 255.0 / mse).log10()
}

#[test]
fn the_hash_of_a_reencoded_resized_or_turned_copy_stays_close() {
    let original = scene(640, 480, 7);
    let hash = render(&jpeg(&original, 90), 1, &SMALL)
        .unwrap()
        .perceptual_hash;
    let reencoded = jpeg(&original, 40);
    let resized = jpeg(
        &imageops::resize(&original, 320, 240, FilterType::Triangle),
        85,
    );
    // Stored a quarter turn anticlockwise, with orientation 6 to show it upright.
    let turned = jpeg(&imageops::rotate270(&original), 90);
    for (name, bytes, orientation) in [
        ("re-encoded at quality 40", reencoded, 1),
        ("resized to half", resized, 1),
        ("turned, with its EXIF orientation", turned, 6),
    ] {
        let copy = render(&bytes, orientation, &SMALL).unwrap().perceptual_hash;
        let distance = hamming_distance(hash, copy);
        assert!(distance <= 6, "{name}: {distance} bits apart");
    }
}

#[test]
fn different_pictures_hash_far_apart() {
    let hashes: Vec<u64> = (10..14)
        .map(|seed| {
            render(&jpeg(&scene(640, 480, seed), 90), 1, &SMALL)
                .unwrap()
                .perceptual_hash
        })
        .collect();
    for (i, a) in hashes.iter().enumerate() {
        for b in &hashes[i + 1..] {
            let distance = hamming_distance(*a, *b);
            assert!(
                distance >= 16,
                "{a:016x} and {b:016x}: {distance} bits apart"
            );
        }
    }
}

#[test]
fn hamming_distance_counts_differing_bits() {
    assert_eq!(hamming_distance(0, 0), 0);
    assert_eq!(hamming_distance(0b1011, 0b0001), 2);
    assert_eq!(hamming_distance(0, u64::MAX), 64);
}
