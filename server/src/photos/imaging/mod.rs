//! A photo's renditions: an upright thumbnail and screen preview (JPEG) and a perceptual hash,
//! all from one reduced-size decode of the uploaded JPEG.
//!
//! The pipeline is the fastest one measured on our machines (shared/research/perf-anchors.md
//! §2): libjpeg-turbo decodes at the smallest DCT scale n/8 whose output still covers the largest
//! rendition, fast_image_resize (Lanczos3) resizes to the exact size, and libjpeg-turbo encodes
//! (4:2:0). A 12 MP photo is therefore never held at full resolution. Everything here is
//! synchronous and CPU-bound: callers run it on a blocking pool.

mod orientation;
#[cfg(test)]
mod tests;

use fast_image_resize as fir;
use image_hasher::{HashAlg, HasherConfig};
use turbojpeg::{Colorspace, Compressor, Decompressor, Image, PixelFormat, ScalingFactor, Subsamp};

/// Long edge in pixels of each rendition, and the JPEG quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenditionSizes {
    pub thumbnail_px: u32,
    pub preview_px: u32,
    pub quality: u8,
}

impl Default for RenditionSizes {
    fn default() -> Self {
        Self {
            thumbnail_px: 400,
            preview_px: 1280,
            quality: 80,
        }
    }
}

/// A JPEG rendition and its (upright) dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renditions {
    pub thumbnail: Encoded,
    pub preview: Encoded,
    /// 64-bit DCT perceptual hash (pHash: image_hasher's DCT preprocessing, median, 8×8) of
    /// the upright thumbnail, so a copy that differs only by its EXIF orientation, or is
    /// re-encoded or resized, hashes (nearly) the same. Compare with [`hamming_distance`].
    pub perceptual_hash: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImagingError {
    #[error("the JPEG cannot be decoded: {0}")]
    Decode(turbojpeg::Error),
    #[error("the JPEG is in the {0} colour space, which renditions do not support")]
    UnsupportedColorspace(&'static str),
    #[error("the JPEG is too large to decode ({width}×{height})")]
    TooLarge { width: usize, height: usize },
    #[error("invalid rendition settings: {0}")]
    InvalidSettings(&'static str),
    /// A fault of this module (pixel buffers that do not match their sizes), not of the input.
    #[error("the renditions cannot be made: {0}")]
    Internal(String),
    #[error("the rendition cannot be encoded: {0}")]
    Encode(turbojpeg::Error),
}

/// Makes the thumbnail, the preview and the perceptual hash of a JPEG whose EXIF orientation
/// is `orientation` (1..=8; anything else is taken as 1, upright).
pub fn render(
    jpeg: &[u8],
    orientation: u16,
    sizes: &RenditionSizes,
) -> Result<Renditions, ImagingError> {
    check_settings(sizes.thumbnail_px, sizes.quality)?;
    check_settings(sizes.preview_px, sizes.quality)?;
    if sizes.thumbnail_px > sizes.preview_px {
        return Err(ImagingError::InvalidSettings(
            "the thumbnail must not be larger than the preview",
        ));
    }
    let decoded = decode(jpeg, sizes.preview_px)?;
    let (width, height) = fit(decoded.width, decoded.height, sizes.preview_px);
    let preview = orientation::upright(resize(&decoded.pixels, width, height)?, orientation);
    let thumbnail_size = fit(decoded.width, decoded.height, sizes.thumbnail_px);
    drop(decoded);
    // The thumbnail comes from the upright preview rather than from the decoded image: it needs
    // no second rotation and its source is smaller (1280×960 against 1500×1125 for 12 MP at
    // 3/8), so the resize is cheaper (2.2 against 2.6 ms). The second pass costs no quality:
    // the thumbnail bench measures the same PSNR against a full-resolution Lanczos3 as for
    // `thumbnail`'s single pass.
    let (width, height) = orientation::upright_size(thumbnail_size, orientation);
    let thumbnail = resize(&preview, width, height)?;
    let (perceptual_hash, thumbnail) = perceptual_hash(thumbnail)?;
    Ok(Renditions {
        thumbnail: encode(thumbnail, sizes.quality)?,
        preview: encode(preview, sizes.quality)?,
        perceptual_hash,
    })
}

/// Makes only the thumbnail (long edge `long_edge_px`, never upscaled), upright for EXIF
/// orientation `orientation`.
pub fn thumbnail(
    jpeg: &[u8],
    orientation: u16,
    long_edge_px: u32,
    quality: u8,
) -> Result<Encoded, ImagingError> {
    check_settings(long_edge_px, quality)?;
    let decoded = decode(jpeg, long_edge_px)?;
    let (width, height) = fit(decoded.width, decoded.height, long_edge_px);
    let thumbnail = orientation::upright(resize(&decoded.pixels, width, height)?, orientation);
    encode(thumbnail, quality)
}

/// The number of bits in which two perceptual hashes differ: 0 for the same picture, a few for
/// a re-encoded or resized copy, around 32 for unrelated pictures.
pub fn hamming_distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Encodes RGB pixels (8 bits a channel, rows packed) as a baseline 4:2:0 JPEG, as renditions
/// are encoded.
pub fn encode_jpeg(
    rgb: &[u8],
    width: u32,
    height: u32,
    quality: u8,
) -> Result<Vec<u8>, ImagingError> {
    if width == 0 || height == 0 {
        return Err(ImagingError::InvalidSettings(
            "an image has at least one pixel",
        ));
    }
    if usize::try_from(u64::from(width) * u64::from(height) * 3) != Ok(rgb.len()) {
        return Err(ImagingError::InvalidSettings(
            "the pixels do not match the width and height",
        ));
    }
    let mut compressor = Compressor::new().map_err(ImagingError::Encode)?;
    compressor
        .set_quality(i32::from(quality))
        .map_err(ImagingError::Encode)?;
    compressor
        .set_subsamp(Subsamp::Sub2x2)
        .map_err(ImagingError::Encode)?;
    let width = width as usize;
    compressor
        .compress_to_vec(Image {
            pixels: rgb,
            width,
            pitch: width * 3,
            height: height as usize,
            format: PixelFormat::RGB,
        })
        .map_err(ImagingError::Encode)
}

/// RGB pixels, 8 bits a channel, rows packed.
struct Pixels {
    data: Vec<u8>,
    width: u32,
    height: u32,
}

/// A JPEG decoded at a reduced scale, and its full dimensions.
struct Decoded {
    pixels: Pixels,
    width: u32,
    height: u32,
}

fn check_settings(long_edge_px: u32, quality: u8) -> Result<(), ImagingError> {
    if long_edge_px == 0 {
        return Err(ImagingError::InvalidSettings(
            "a long edge is at least 1 px",
        ));
    }
    if !(1..=100).contains(&quality) {
        return Err(ImagingError::InvalidSettings(
            "the quality is from 1 to 100",
        ));
    }
    Ok(())
}

/// Decodes to RGB at the smallest scale n/8 whose long edge is still at least `long_edge_px`
/// (at full size when the image is no larger). Grayscale JPEGs come out as RGB too.
fn decode(jpeg: &[u8], long_edge_px: u32) -> Result<Decoded, ImagingError> {
    let mut decompressor = Decompressor::new().map_err(ImagingError::Decode)?;
    let header = decompressor
        .read_header(jpeg)
        .map_err(ImagingError::Decode)?;
    if matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK) {
        // libjpeg-turbo decodes these to CMYK only, and converting that to RGB needs a colour
        // profile; phones do not make them.
        return Err(ImagingError::UnsupportedColorspace("CMYK"));
    }
    let too_large = ImagingError::TooLarge {
        width: header.width,
        height: header.height,
    };
    let (Ok(width), Ok(height)) = (u32::try_from(header.width), u32::try_from(header.height))
    else {
        return Err(too_large);
    };
    // Lossless JPEGs cannot be scaled in the DCT.
    let factor = if header.is_lossless {
        ScalingFactor::ONE
    } else {
        scaling_factor(header.width.max(header.height), long_edge_px)
    };
    decompressor
        .set_scaling_factor(factor)
        .map_err(ImagingError::Decode)?;
    let scaled = header.scaled(factor);
    let (Ok(scaled_width), Ok(scaled_height)) =
        (u32::try_from(scaled.width), u32::try_from(scaled.height))
    else {
        return Err(too_large);
    };
    let Some((pitch, len)) = scaled
        .width
        .checked_mul(3)
        .and_then(|pitch| Some((pitch, pitch.checked_mul(scaled.height)?)))
    else {
        return Err(too_large);
    };
    let mut image = Image {
        pixels: vec![0; len],
        width: scaled.width,
        pitch,
        height: scaled.height,
        format: PixelFormat::RGB,
    };
    decompressor
        .decompress(jpeg, image.as_deref_mut())
        .map_err(ImagingError::Decode)?;
    Ok(Decoded {
        pixels: Pixels {
            data: image.pixels,
            width: scaled_width,
            height: scaled_height,
        },
        width,
        height,
    })
}

/// The smallest factor n/8 that scales `long_edge` to at least `target` (or to itself, when it
/// is no longer than `target`).
fn scaling_factor(long_edge: usize, target: u32) -> ScalingFactor {
    let target = usize::try_from(target).map_or(long_edge, |t| t.min(long_edge));
    (1..8)
        .map(|n| ScalingFactor::new(n, 8))
        .find(|factor| factor.scale(long_edge) >= target)
        .unwrap_or(ScalingFactor::ONE)
}

/// `width`×`height` scaled to a long edge of `long_edge_px` (never larger than it is), keeping
/// the aspect ratio: rounded to the nearest pixel, at least 1.
fn fit(width: u32, height: u32, long_edge_px: u32) -> (u32, u32) {
    let long = u64::from(width.max(height)).max(1);
    let target = u64::from(long_edge_px).min(long);
    let scale = |edge: u32| {
        let scaled = (u64::from(edge) * target * 2 + long) / (2 * long);
        u32::try_from(scaled).unwrap_or(edge).max(1)
    };
    (scale(width), scale(height))
}

fn resize(source: &Pixels, width: u32, height: u32) -> Result<Pixels, ImagingError> {
    let source = fir::images::ImageRef::new(
        source.width,
        source.height,
        &source.data,
        fir::PixelType::U8x3,
    )
    .map_err(|e| ImagingError::Internal(e.to_string()))?;
    let mut resized = fir::images::Image::new(width, height, fir::PixelType::U8x3);
    let options = fir::ResizeOptions::new()
        .resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3));
    fir::Resizer::new()
        .resize(&source, &mut resized, &options)
        .map_err(|e| ImagingError::Internal(e.to_string()))?;
    Ok(Pixels {
        data: resized.into_vec(),
        width,
        height,
    })
}

/// The pHash of `pixels` (image_hasher's DCT preprocessing with the median, as pHash.org
/// does), as the hash's bytes read big-endian; and the pixels back.
fn perceptual_hash(pixels: Pixels) -> Result<(u64, Pixels), ImagingError> {
    let Pixels {
        data,
        width,
        height,
    } = pixels;
    let image = image::RgbImage::from_raw(width, height, data)
        .ok_or_else(|| ImagingError::Internal("pixels that do not match their size".to_owned()))?;
    let hash = HasherConfig::with_bytes_type::<[u8; 8]>()
        .hash_alg(HashAlg::Median)
        .preproc_dct()
        .hash_size(8, 8)
        .to_hasher()
        .hash_image(&image)
        .into_inner();
    let pixels = Pixels {
        width,
        height,
        data: image.into_raw(),
    };
    Ok((u64::from_be_bytes(hash), pixels))
}

fn encode(pixels: Pixels, quality: u8) -> Result<Encoded, ImagingError> {
    Ok(Encoded {
        bytes: encode_jpeg(&pixels.data, pixels.width, pixels.height, quality)?,
        width: pixels.width,
        height: pixels.height,
    })
}
