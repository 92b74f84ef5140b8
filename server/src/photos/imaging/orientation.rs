//! EXIF orientation (1..=8): turning stored pixels upright. Done on the resized rendition, the
//! smallest image of the pipeline; anything but 2..=8 is upright already.

use super::Pixels;

/// The size of an image stored at `(width, height)` once upright: orientations 5..=8 turn it a
/// quarter, swapping width and height.
pub(super) fn upright_size((width, height): (u32, u32), orientation: u16) -> (u32, u32) {
    if matches!(orientation, 5..=8) {
        (height, width)
    } else {
        (width, height)
    }
}

/// The upright image of `pixels` stored with EXIF orientation `orientation`.
pub(super) fn upright(pixels: Pixels, orientation: u16) -> Pixels {
    let (w, h) = (pixels.width as isize, pixels.height as isize);
    // The stored pixel shown at upright (x, y) is number `origin + x * step_x + y * step_y`.
    let (origin, step_x, step_y) = match orientation {
        2 => (w - 1, -1, w),       // mirrored left to right
        3 => (w * h - 1, -1, -w),  // turned half round
        4 => ((h - 1) * w, 1, -w), // mirrored top to bottom
        5 => (0, w, 1),            // transposed
        6 => ((h - 1) * w, -w, 1), // upright after a quarter turn clockwise
        7 => (w * h - 1, -w, -1),  // transversed
        8 => (w - 1, w, -1),       // upright after a quarter turn anticlockwise
        _ => return pixels,
    };
    let (width, height) = upright_size((pixels.width, pixels.height), orientation);
    let mut data = Vec::with_capacity(pixels.data.len());
    for y in 0..height as isize {
        let row = origin + y * step_y;
        for x in 0..width as isize {
            let at = (row + x * step_x) as usize * 3;
            data.extend_from_slice(&pixels.data[at..at + 3]);
        }
    }
    Pixels {
        data,
        width,
        height,
    }
}
