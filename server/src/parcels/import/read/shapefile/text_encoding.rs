//! Which encoding .dbf text is in, and decoding with it.
//!
//! Order of evidence: the caller's explicit choice, the .cpg file, the language driver
//! byte of the .dbf header, then the bytes themselves: valid UTF-8 means UTF-8, anything
//! else is taken as GBK, which is what Chinese Windows GIS software writes.

use encoding_rs::{Encoding, GBK, UTF_8};

use crate::parcels::import::read::TextEncodingSource;

#[derive(Debug, Clone, Copy)]
pub(crate) struct ChosenEncoding {
    pub(crate) encoding: &'static Encoding,
    pub(crate) source: TextEncodingSource,
}

/// Picks the encoding; `text_is_utf8` is only consulted when nothing names one.
pub(crate) fn choose_encoding(
    requested: Option<&'static Encoding>,
    cpg: Option<&[u8]>,
    language_driver: u8,
    text_is_utf8: impl FnOnce() -> bool,
) -> ChosenEncoding {
    let named = requested
        .map(|encoding| (encoding, TextEncodingSource::Requested))
        .or_else(|| {
            let label = String::from_utf8_lossy(cpg?);
            Some((
                encoding_for_label(&label)?,
                TextEncodingSource::CodePageFile,
            ))
        })
        .or_else(|| {
            let encoding = encoding_for_language_driver(language_driver)?;
            Some((encoding, TextEncodingSource::LanguageDriver))
        });
    let (encoding, source) = named.unwrap_or_else(|| {
        if text_is_utf8() {
            (UTF_8, TextEncodingSource::DetectedUtf8)
        } else {
            (GBK, TextEncodingSource::AssumedGbk)
        }
    });
    ChosenEncoding { encoding, source }
}

/// Maps a label as written in .cpg files (`GBK`, `CP936`, `936`, `ANSI 936`, `UTF8`,
/// `88591`, any WHATWG label, ...) to an encoding. Case and surrounding space are ignored.
/// Encodings that are not ASCII-compatible (UTF-16) cannot be dBASE text and give `None`.
pub(crate) fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let label = label.trim_start_matches('\u{feff}').trim();
    let upper = label.to_ascii_uppercase();
    if let Some(part) = upper.strip_prefix("8859")
        && part.bytes().all(|byte| byte.is_ascii_digit())
    {
        // ESRI writes ISO 8859-n without separators.
        return Encoding::for_label(format!("iso-8859-{part}").as_bytes());
    }
    let numeric = ["ANSI", "WINDOWS-", "CP", "MS"]
        .iter()
        .find_map(|prefix| upper.strip_prefix(prefix))
        .unwrap_or(&upper)
        .trim();
    if let Ok(code_page) = numeric.parse::<u32>() {
        return encoding_for_code_page(code_page);
    }
    match upper.as_str() {
        "UTF8" => Some(UTF_8),
        _ => {
            Encoding::for_label(label.as_bytes()).filter(|encoding| encoding.is_ascii_compatible())
        }
    }
}

/// Windows code page numbers that `encoding_rs` can decode.
fn encoding_for_code_page(code_page: u32) -> Option<&'static Encoding> {
    let label = match code_page {
        65001 => "utf-8",
        936 | 20936 => "gbk",
        54936 => "gb18030",
        950 => "big5",
        932 => "shift_jis",
        949 => "euc-kr",
        874 => "windows-874",
        866 => "ibm866",
        1250..=1258 => return Encoding::for_label(format!("windows-{code_page}").as_bytes()),
        28591..=28606 => {
            return Encoding::for_label(format!("iso-8859-{}", code_page - 28590).as_bytes());
        }
        _ => return None,
    };
    Encoding::for_label(label.as_bytes())
}

/// The dBASE language driver ids (header byte 29) that name a code page `encoding_rs` has.
///
/// `0x00` says nothing. `0x57` means "the ANSI code page of the machine that wrote the
/// file", which this byte cannot tell us; it is treated as unspecified so detection
/// decides (for files from Chinese Windows that lands on GBK). DOS code pages (437, 850,
/// ...) have no decoder here and are also left to detection.
fn encoding_for_language_driver(id: u8) -> Option<&'static Encoding> {
    let code_page = match id {
        0x03 | 0x58 | 0x59 => 1252,
        0x13 | 0x7B => 932,
        0x4D | 0x7A => 936,
        0x4E | 0x79 => 949,
        0x4F | 0x78 => 950,
        0x50 | 0x7C => 874,
        0x26 | 0x65 => 866,
        0xC8 => 1250,
        0xC9 => 1251,
        0xCA => 1254,
        0xCB => 1253,
        0xCC => 1257,
        _ => return None,
    };
    encoding_for_code_page(code_page)
}

/// Whether `bytes` is UTF-8, allowing the last character to be cut off: writers that
/// truncate text to the field width often split a multi-byte character.
pub(crate) fn is_utf8_up_to_truncation(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(error) => error.error_len().is_none(),
    }
}

/// Decodes text and counts the pieces that held bytes invalid in the encoding.
pub(crate) struct TextDecoder {
    encoding: &'static Encoding,
    undecodable: usize,
}

impl TextDecoder {
    pub(crate) fn new(encoding: &'static Encoding) -> Self {
        Self {
            encoding,
            undecodable: 0,
        }
    }

    pub(crate) fn decode(&mut self, bytes: &[u8]) -> String {
        let (text, had_errors) = self.encoding.decode_without_bom_handling(bytes);
        if had_errors {
            self.undecodable += 1;
        }
        text.into_owned()
    }

    pub(crate) fn undecodable(&self) -> usize {
        self.undecodable
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{BIG5, GB18030, WINDOWS_1252};

    #[test]
    fn cpg_labels_seen_in_the_wild() {
        for label in [
            "GBK", "gbk", "CP936", "cp936", "936", "ANSI 936", "GB2312", " GBK\r\n",
        ] {
            assert_eq!(encoding_for_label(label), Some(GBK), "{label:?}");
        }
        for label in ["UTF-8", "utf-8", "UTF8", "utf8", "65001", "\u{feff}UTF-8\n"] {
            assert_eq!(encoding_for_label(label), Some(UTF_8), "{label:?}");
        }
        assert_eq!(encoding_for_label("GB18030"), Some(GB18030));
        assert_eq!(encoding_for_label("54936"), Some(GB18030));
        assert_eq!(encoding_for_label("88591"), Some(WINDOWS_1252));
        assert_eq!(encoding_for_label("ANSI 1252"), Some(WINDOWS_1252));
        assert_eq!(encoding_for_label("BIG5"), Some(BIG5));
        assert_eq!(encoding_for_label("950"), Some(BIG5));
    }

    #[test]
    fn unusable_labels_are_not_guessed() {
        for label in ["", "SYSTEM", "OEM", "437", "UTF-16", "utf-16le"] {
            assert_eq!(encoding_for_label(label), None, "{label:?}");
        }
    }

    #[test]
    fn language_driver_ids() {
        assert_eq!(encoding_for_language_driver(0x4D), Some(GBK));
        assert_eq!(encoding_for_language_driver(0x7A), Some(GBK));
        assert_eq!(encoding_for_language_driver(0x4F), Some(BIG5));
        assert_eq!(encoding_for_language_driver(0x03), Some(WINDOWS_1252));
        assert_eq!(encoding_for_language_driver(0x00), None);
        assert_eq!(encoding_for_language_driver(0x57), None);
        assert_eq!(encoding_for_language_driver(0x01), None);
    }

    #[test]
    fn evidence_is_weighed_in_order() {
        let never = || panic!("detection must not run when an encoding is named");
        let chosen = choose_encoding(Some(UTF_8), Some(b"GBK"), 0x4D, never);
        assert_eq!(chosen.source, TextEncodingSource::Requested);
        let chosen = choose_encoding(None, Some(b"UTF-8"), 0x4D, never);
        assert_eq!(
            (chosen.encoding, chosen.source),
            (UTF_8, TextEncodingSource::CodePageFile)
        );
        let chosen = choose_encoding(None, Some(b"SYSTEM"), 0x4D, never);
        assert_eq!(
            (chosen.encoding, chosen.source),
            (GBK, TextEncodingSource::LanguageDriver)
        );
        let chosen = choose_encoding(None, None, 0x57, || true);
        assert_eq!(
            (chosen.encoding, chosen.source),
            (UTF_8, TextEncodingSource::DetectedUtf8)
        );
        let chosen = choose_encoding(None, None, 0x00, || false);
        assert_eq!(
            (chosen.encoding, chosen.source),
            (GBK, TextEncodingSource::AssumedGbk)
        );
    }

    #[test]
    fn utf8_cut_mid_character_still_counts_as_utf8() {
        let village = "民和村".as_bytes();
        assert!(is_utf8_up_to_truncation(village));
        assert!(is_utf8_up_to_truncation(&village[..village.len() - 1]));
        let (gbk, _, _) = GBK.encode("民和村");
        assert!(!is_utf8_up_to_truncation(&gbk));
    }

    #[test]
    fn decoder_counts_invalid_text() {
        let mut decoder = TextDecoder::new(UTF_8);
        assert_eq!(decoder.decode("村名".as_bytes()), "村名");
        assert_eq!(decoder.decode(b"\xff ok"), "\u{fffd} ok");
        assert_eq!(decoder.undecodable(), 1);
    }
}
