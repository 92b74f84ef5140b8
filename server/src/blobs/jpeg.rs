//! JPEG checks made while the bytes stream past, once: the magic bytes, the marker structure
//! (segments of the declared lengths, one frame header, at least one scan, the end-of-image
//! marker) and the frame's dimensions, read from its header without decoding a pixel. A
//! decompression bomb (huge dimensions declared in a small file) is therefore refused before
//! anything allocates for its pixels, and a truncated file before it is stored.

use std::io::Cursor;

use image::{ImageFormat, ImageReader};

/// The first bytes of every JPEG file: start-of-image, then the next marker's `FF`.
pub const MAGIC: [u8; 3] = [0xFF, 0xD8, 0xFF];
/// The most bytes of headers (everything before the first scan's data) accepted: room for
/// EXIF, ICC profiles and extended XMP, far from anything a photo needs.
const MAX_HEADER_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
}

impl Dimensions {
    pub fn pixels(self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JpegError {
    #[error("the file is not a JPEG (it does not start with FF D8 FF)")]
    NotJpeg,
    #[error("{0}")]
    Broken(String),
    #[error("the file ends before its end-of-image marker: it is truncated")]
    Truncated,
}

/// Whether bytes that start at `offset` of a file agree with [`MAGIC`] where they overlap it.
pub fn agrees_with_magic(offset: u64, bytes: &[u8]) -> bool {
    let Ok(start) = usize::try_from(offset) else {
        return true;
    };
    MAGIC
        .iter()
        .skip(start)
        .zip(bytes)
        .all(|(expected, actual)| expected == actual)
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// The start-of-image marker; `seen` of its two bytes so far.
    Start {
        seen: u8,
    },
    /// The `FF` of the next marker.
    Marker,
    /// The marker's code (more `FF`s are fill bytes).
    Code,
    LengthHigh {
        code: u8,
    },
    LengthLow {
        code: u8,
        high: u8,
    },
    Segment {
        code: u8,
        remaining: usize,
    },
    /// Entropy-coded data of a scan, up to the next marker.
    Scan,
    /// An `FF` inside scan data: stuffing, a restart marker or the next marker follows.
    ScanFf,
    /// After end-of-image: whatever follows (a phone's trailer) is not looked at.
    End,
}

/// A JPEG checked to its end.
#[derive(Debug, Clone)]
pub struct Checked {
    pub dimensions: Dimensions,
    /// Every byte before the first scan's data, for a decoder to read the headers from.
    pub header: Vec<u8>,
}

/// Walks a JPEG's markers as its bytes arrive, in pieces of any size.
#[derive(Debug)]
pub struct JpegWalker {
    state: State,
    position: u64,
    frame: Option<Dimensions>,
    frame_bytes: Vec<u8>,
    scans: u32,
    header: Vec<u8>,
    header_end: Option<u64>,
    error: Option<JpegError>,
}

impl Default for JpegWalker {
    fn default() -> Self {
        Self::new()
    }
}

impl JpegWalker {
    pub fn new() -> Self {
        Self {
            state: State::Start { seen: 0 },
            position: 0,
            frame: None,
            frame_bytes: Vec::with_capacity(5),
            scans: 0,
            header: Vec::new(),
            header_end: None,
            error: None,
        }
    }

    /// The frame's dimensions, once its header has gone past.
    pub fn dimensions(&self) -> Option<Dimensions> {
        self.frame
    }

    /// Takes the next bytes of the file. An error is final: every later call repeats it.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), JpegError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if self.header_end.is_none() {
            let room = (MAX_HEADER_BYTES + 1).saturating_sub(self.header.len());
            self.header
                .extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
        let result = self.walk(bytes).and_then(|()| self.bound_header());
        if let Err(error) = &result {
            self.error = Some(error.clone());
        }
        result
    }

    /// The verdict once every byte was fed.
    pub fn finish(self) -> Result<Checked, JpegError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        match (self.state, self.frame) {
            (State::Start { .. }, _) => Err(JpegError::NotJpeg),
            (State::End, Some(dimensions)) => Ok(Checked {
                dimensions,
                header: self.header,
            }),
            _ => Err(JpegError::Truncated),
        }
    }

    fn bound_header(&mut self) -> Result<(), JpegError> {
        match self.header_end {
            Some(end) => {
                let end = usize::try_from(end).unwrap_or(usize::MAX);
                self.header.truncate(end);
                Ok(())
            }
            None if self.header.len() > MAX_HEADER_BYTES => Err(broken(format!(
                "its headers go on past {MAX_HEADER_BYTES} bytes"
            ))),
            None => Ok(()),
        }
    }

    fn walk(&mut self, bytes: &[u8]) -> Result<(), JpegError> {
        let mut i = 0;
        while i < bytes.len() {
            let at = self.position + i as u64;
            match self.state {
                State::Start { seen } => {
                    if bytes[i] != [0xFF, 0xD8][usize::from(seen)] {
                        return Err(JpegError::NotJpeg);
                    }
                    i += 1;
                    self.state = if seen == 0 {
                        State::Start { seen: 1 }
                    } else {
                        State::Marker
                    };
                }
                State::Marker => {
                    if bytes[i] != 0xFF {
                        return Err(broken(format!("no marker where one belongs, at byte {at}")));
                    }
                    i += 1;
                    self.state = State::Code;
                }
                State::Code => {
                    let code = bytes[i];
                    i += 1;
                    if code != 0xFF {
                        self.marker(code)?;
                    }
                }
                State::LengthHigh { code } => {
                    self.state = State::LengthLow {
                        code,
                        high: bytes[i],
                    };
                    i += 1;
                }
                State::LengthLow { code, high } => {
                    let length = usize::from(u16::from_be_bytes([high, bytes[i]]));
                    i += 1;
                    if length < 2 {
                        return Err(broken(format!("a segment of length {length} at byte {at}")));
                    }
                    self.begin_segment(code, length - 2, at + 1)?;
                }
                State::Segment { code, remaining } => {
                    let take = remaining.min(bytes.len() - i);
                    if is_frame_header(code) && self.frame_bytes.len() < 5 {
                        let wanted = (5 - self.frame_bytes.len()).min(take);
                        self.frame_bytes.extend_from_slice(&bytes[i..i + wanted]);
                    }
                    i += take;
                    let remaining = remaining - take;
                    if remaining == 0 {
                        self.end_segment(code, self.position + i as u64)?;
                    } else {
                        self.state = State::Segment { code, remaining };
                    }
                }
                State::Scan => match bytes[i..].iter().position(|&b| b == 0xFF) {
                    None => i = bytes.len(),
                    Some(p) => {
                        i += p + 1;
                        self.state = State::ScanFf;
                    }
                },
                State::ScanFf => {
                    let next = bytes[i];
                    i += 1;
                    match next {
                        0x00 | 0xD0..=0xD7 => self.state = State::Scan,
                        0xFF => {}
                        code => self.marker(code)?,
                    }
                }
                State::End => i = bytes.len(),
            }
        }
        self.position += bytes.len() as u64;
        Ok(())
    }

    /// A marker's code has arrived; decides what follows it.
    fn marker(&mut self, code: u8) -> Result<(), JpegError> {
        self.state = match code {
            0xD9 if self.scans == 0 => {
                return Err(broken("it ends before any image data".to_owned()));
            }
            0xD9 => State::End,
            0xD8 => return Err(broken("it has a second start-of-image marker".to_owned())),
            0x00 => return Err(broken("it has an invalid marker 00".to_owned())),
            // Restart and TEM markers stand alone.
            0x01 | 0xD0..=0xD7 => State::Marker,
            code => State::LengthHigh { code },
        };
        Ok(())
    }

    fn begin_segment(
        &mut self,
        code: u8,
        length: usize,
        end_of_length: u64,
    ) -> Result<(), JpegError> {
        if is_frame_header(code) {
            if self.frame.is_some() || self.scans > 0 {
                return Err(broken("it has a second frame header".to_owned()));
            }
            if length < 6 {
                return Err(broken("its frame header is too short".to_owned()));
            }
            self.frame_bytes.clear();
        }
        if code == 0xDA && self.frame.is_none() {
            return Err(broken(
                "its image data comes before its frame header".to_owned(),
            ));
        }
        if length == 0 {
            self.end_segment(code, end_of_length)
        } else {
            self.state = State::Segment {
                code,
                remaining: length,
            };
            Ok(())
        }
    }

    fn end_segment(&mut self, code: u8, end: u64) -> Result<(), JpegError> {
        self.state = State::Marker;
        if is_frame_header(code) {
            let b = &self.frame_bytes;
            let height = u32::from(u16::from_be_bytes([b[1], b[2]]));
            let width = u32::from(u16::from_be_bytes([b[3], b[4]]));
            if width == 0 || height == 0 {
                return Err(broken(format!(
                    "its frame header declares {width}×{height} pixels"
                )));
            }
            self.frame = Some(Dimensions { width, height });
        } else if code == 0xDA {
            self.scans += 1;
            if self.header_end.is_none() {
                self.header_end = Some(end);
            }
            self.state = State::Scan;
        }
        Ok(())
    }
}

fn broken(why: String) -> JpegError {
    JpegError::Broken(why)
}

/// SOF0–SOF15, less DHT (C4), JPG (C8) and DAC (CC), which share the range.
fn is_frame_header(code: u8) -> bool {
    matches!(code, 0xC0..=0xCF) && !matches!(code, 0xC4 | 0xC8 | 0xCC)
}

/// Reads the headers with the decoder the server uses for images, as a second opinion on the
/// walk: a file whose headers it cannot read is no photo a reviewer can look at.
pub fn decoder_reads_header(checked: &Checked) -> Result<(), JpegError> {
    let reader =
        ImageReader::with_format(Cursor::new(checked.header.as_slice()), ImageFormat::Jpeg);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| broken(format!("its headers cannot be decoded ({e})")))?;
    let expected = checked.dimensions;
    if (width, height) == (expected.width, expected.height) {
        Ok(())
    } else {
        Err(broken(format!(
            "the decoder reads {width}×{height} pixels, the frame header {}×{}",
            expected.width, expected.height
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal baseline JPEG: SOI, DQT, SOF0 (w×h), DHT, SOS, entropy bytes, EOI.
    fn tiny(width: u16, height: u16, data: &[u8]) -> Vec<u8> {
        let mut f = vec![0xFF, 0xD8];
        f.extend([0xFF, 0xE0, 0x00, 0x04, b'J', b'F']);
        f.extend([0xFF, 0xC0, 0x00, 0x0B, 0x08]);
        f.extend(height.to_be_bytes());
        f.extend(width.to_be_bytes());
        f.extend([0x01, 0x01, 0x11, 0x00]);
        f.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        f.extend(data);
        f.extend([0xFF, 0xD9]);
        f
    }

    fn walk_in_pieces(file: &[u8], piece: usize) -> Result<Checked, JpegError> {
        let mut walker = JpegWalker::new();
        for chunk in file.chunks(piece) {
            walker.feed(chunk)?;
        }
        walker.finish()
    }

    #[test]
    fn the_same_verdict_in_pieces_of_any_size() {
        let file = tiny(
            640,
            480,
            &[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF, 0x00],
        );
        for piece in 1..=file.len() {
            let checked = walk_in_pieces(&file, piece).unwrap();
            assert_eq!(
                checked.dimensions,
                Dimensions {
                    width: 640,
                    height: 480
                }
            );
            assert_eq!(checked.header.len(), file.len() - 12);
        }
    }

    #[test]
    fn trailers_after_the_end_are_ignored() {
        let mut file = tiny(8, 8, &[1, 2, 3]);
        file.extend(b"SEFT trailer \xFF\xD8 whatever");
        assert!(walk_in_pieces(&file, 7).is_ok());
    }

    #[test]
    fn truncated_garbage_and_bombs() {
        let file = tiny(8, 8, &[1, 2, 3, 4]);
        for cut in [2, 5, 20, file.len() - 2, file.len() - 1] {
            assert!(walk_in_pieces(&file[..cut], 3).is_err(), "cut at {cut}");
        }
        assert_eq!(
            walk_in_pieces(&file[..file.len() - 1], 3).unwrap_err(),
            JpegError::Truncated
        );
        assert_eq!(
            walk_in_pieces(b"GIF89a....", 4).unwrap_err(),
            JpegError::NotJpeg
        );
        let mut walker = JpegWalker::new();
        walker.feed(&[0xFF, 0xD8, 0x00]).unwrap_err();
        let bomb = tiny(60000, 60000, &[0]);
        let mut walker = JpegWalker::new();
        walker.feed(&bomb[..30]).unwrap();
        assert_eq!(
            walker.dimensions().map(Dimensions::pixels),
            Some(3_600_000_000)
        );
        assert!(matches!(
            walk_in_pieces(&tiny(0, 8, &[1]), 5),
            Err(JpegError::Broken(_))
        ));
    }

    #[test]
    fn magic_is_checked_wherever_a_chunk_starts() {
        assert!(agrees_with_magic(0, &[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(agrees_with_magic(0, &[0xFF]));
        assert!(agrees_with_magic(1, &[0xD8, 0xFF]));
        assert!(!agrees_with_magic(1, &[0xD9]));
        assert!(!agrees_with_magic(0, b"GIF"));
        assert!(agrees_with_magic(3, b"anything"));
    }
}
