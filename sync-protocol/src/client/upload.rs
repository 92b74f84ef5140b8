//! Photo files. The app adds each file when the camera saves it (before it records the photo),
//! and [`Client::upload_photos`] sends those the server lacks with tus 1.0 (docs/uploads.md):
//! an upload once created is remembered in the store, so that one cut anywhere, even by a
//! restart of the app, resumes from the server's offset.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Client;
use super::error::ClientError;
use super::transport::{ChunkAnswer, NewUpload, TransportError, UploadTransport};

/// The media type declared for every file: the server accepts JPEG only so far.
const FILETYPE: &str = "image/jpeg";
/// The longest `filename` the server keeps.
const MAX_FILENAME_CHARS: usize = 255;
/// Problem codes that refuse a file for what it is: trying again would get the same answer.
/// (`checksum_mismatch` only the second time in a row: once may be a corrupted chunk.)
const REFUSALS: [&str; 6] = [
    "upload_too_large",
    "unsupported_media_type",
    "invalid_image",
    "image_too_large",
    "hash_mismatch",
    "checksum_mismatch",
];
/// Offset mismatches in a row before the server is taken to misbehave: each one moves the
/// client to the server's offset, so a sane server never answers more than one or two.
const MAX_MISMATCHES: u32 = 3;

/// How [`Client::upload_photos`] sends files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOptions {
    /// Bytes per `PATCH`: what a cut connection loses at most (a chunk carries a checksum,
    /// so the server keeps none of a chunk that did not arrive whole).
    pub chunk_size: usize,
    /// Hashes per `POST /uploads/missing`: at most the server's `uploads.missing_hashes`
    /// (1000 by default). A smaller server limit is found by halving.
    pub missing_batch: usize,
}

impl Default for UploadOptions {
    fn default() -> UploadOptions {
        UploadOptions {
            chunk_size: 1 << 20,
            missing_batch: 1000,
        }
    }
}

/// A photo file the client knows of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoFile {
    /// `sha256:<64 lowercase hex>`: what the photo record names.
    pub sha256: String,
    /// Absolute.
    pub path: PathBuf,
    pub size: u64,
    /// The tus upload under way, once created.
    pub upload_url: Option<String>,
    pub state: PhotoFileState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoFileState {
    /// The server may lack it: the next [`Client::upload_photos`] asks and sends it.
    Pending,
    /// The server holds it (whoever sent it). The app may delete the file once a pulled
    /// record of its photo says `file_received: true`.
    Uploaded,
    /// Never to be accepted as it is: `code` is the server's problem code
    /// (`unsupported_media_type`, `invalid_image`, `image_too_large`, `upload_too_large`,
    /// `hash_mismatch`, `checksum_mismatch`), or the client's own `file_missing` (the file is
    /// gone) or `file_changed` (its size is no longer the one hashed). Not tried again unless
    /// the app adds the file again.
    Failed { code: String, detail: String },
}

/// A file [`Client::upload_photos`] marked failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedPhoto {
    pub sha256: String,
    pub code: String,
    pub detail: String,
}

/// What one [`Client::upload_photos`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadReport {
    /// Files the server held already (another device or user sent them, or the answer to
    /// their last chunk was lost): marked uploaded, nothing sent.
    pub already_held: usize,
    /// Files whose last byte the server accepted during this call.
    pub uploaded: usize,
    /// Uploads continued from a remembered URL.
    pub resumed: usize,
    /// Bytes of chunks the server accepted.
    pub bytes_sent: u64,
    /// Files refused for their content, now [`PhotoFileState::Failed`].
    pub failed: Vec<FailedPhoto>,
    /// Why the call stopped before every pending file was dealt with: the network, the
    /// server (see [`TransportError::is_transient`]), or an expired token (`401`). The files
    /// not reached stay pending, and an upload under way is resumed by the next call.
    pub stopped: Option<TransportError>,
}

impl Client {
    /// Adds the photo file at `path` (kept by the app until the server holds it) and returns
    /// its hash, `sha256:<hex>`, for the photo record. Adding a file already known updates its
    /// path; one that had failed is tried again.
    pub fn add_photo_file(&mut self, path: impl AsRef<Path>) -> Result<String, ClientError> {
        let path = path.as_ref();
        let path = std::path::absolute(path).map_err(|source| file_error(path, source))?;
        let Some(text) = path.to_str() else {
            return Err(file_error(&path, invalid("the path is not UTF-8")));
        };
        let (sha256, size) = hash_file(&path)?;
        if size == 0 {
            return Err(file_error(&path, invalid("the file is empty")));
        }
        self.store.add_photo_file(&sha256, text, size)?;
        Ok(sha256)
    }

    /// Every photo file added, in the order added.
    pub fn photo_files(&self) -> Result<Vec<PhotoFile>, ClientError> {
        self.store.photo_files(false)
    }

    /// Uploads the pending photo files the server lacks, in the order added. A transport
    /// error stops the call and is returned in [`UploadReport::stopped`]; an error is returned
    /// only for the local store, or a file that cannot be read (other than gone or changed).
    /// Safe to call at any time and to repeat: nothing is ever sent twice that the server
    /// has.
    pub fn upload_photos<T: UploadTransport + ?Sized>(
        &mut self,
        transport: &mut T,
        options: &UploadOptions,
    ) -> Result<UploadReport, ClientError> {
        let mut report = UploadReport::default();
        let pending = self.store.photo_files(true)?;
        let mut batch = options.missing_batch.max(1);
        let mut rest = &pending[..];
        while !rest.is_empty() {
            let asked = &rest[..batch.min(rest.len())];
            let hashes: Vec<String> = asked.iter().map(|f| f.sha256.clone()).collect();
            let missing = match transport.missing(&hashes) {
                Ok(missing) => missing,
                // More hashes than the server takes at once.
                Err(e) if e.code() == Some("validation_failed") && asked.len() > 1 => {
                    batch = asked.len() / 2;
                    continue;
                }
                Err(e) => {
                    report.stopped = Some(e);
                    return Ok(report);
                }
            };
            let missing: HashSet<&str> = missing.iter().map(String::as_str).collect();
            let (to_send, held): (Vec<&PhotoFile>, Vec<&PhotoFile>) = asked
                .iter()
                .partition(|f| missing.contains(f.sha256.as_str()));
            self.store
                .mark_uploaded(held.iter().map(|f| f.sha256.as_str()))?;
            report.already_held += held.len();
            for file in to_send {
                match self.send_file(transport, file, options, &mut report) {
                    Ok(Sent::Uploaded) => report.uploaded += 1,
                    Ok(Sent::Held) => report.already_held += 1,
                    Err(Halt::Failed { code, detail }) => {
                        self.store.mark_failed(&file.sha256, &code, &detail)?;
                        report.failed.push(FailedPhoto {
                            sha256: file.sha256.clone(),
                            code,
                            detail,
                        });
                        continue;
                    }
                    Err(Halt::Stop(e)) => {
                        report.stopped = Some(e);
                        return Ok(report);
                    }
                    Err(Halt::Local(e)) => return Err(e),
                }
                self.store.mark_uploaded([file.sha256.as_str()])?;
            }
            rest = &rest[asked.len()..];
        }
        Ok(report)
    }

    /// Sends one file the server lacks, from the server's offset on.
    fn send_file<T: UploadTransport + ?Sized>(
        &mut self,
        transport: &mut T,
        file: &PhotoFile,
        options: &UploadOptions,
        report: &mut UploadReport,
    ) -> Result<Sent, Halt> {
        let mut source = Source::open(file)?;
        let remembered = file.upload_url.clone();
        let (mut url, mut offset) = match self.start(transport, file, remembered, report)? {
            Started::Held => return Ok(Sent::Held),
            Started::At { url, offset } => (url, offset),
        };
        let mut restarted = false;
        let mut checksum_retried = false;
        let mut mismatches = 0;
        while offset < file.size {
            let chunk = source.read(offset, options.chunk_size.max(1))?;
            let sha256: [u8; 32] = Sha256::digest(&chunk).into();
            match transport.upload_chunk(&url, offset, &chunk, &sha256) {
                Ok(ChunkAnswer::Accepted { offset: now }) if now > offset && now <= file.size => {
                    report.bytes_sent += now - offset;
                    offset = now;
                    mismatches = 0;
                }
                Ok(ChunkAnswer::OffsetMismatch { offset: now })
                    if now != offset && now <= file.size && mismatches < MAX_MISMATCHES =>
                {
                    offset = now;
                    mismatches += 1;
                }
                Ok(answer) => {
                    return Err(Halt::Local(ClientError::Protocol(format!(
                        "{} bytes at offset {offset} of the {}-byte upload {url} were answered \
                         {answer:?}",
                        chunk.len(),
                        file.size
                    ))));
                }
                // The upload expired or was lost: once per file, start a new one.
                Err(e) if is_gone(&e) && !restarted => {
                    restarted = true;
                    self.store.set_upload_url(&file.sha256, None)?;
                    match self.start(transport, file, None, report)? {
                        Started::Held => return Ok(Sent::Held),
                        Started::At { url: u, offset: o } => (url, offset) = (u, o),
                    }
                }
                Err(e) if e.code() == Some("checksum_mismatch") && !checksum_retried => {
                    checksum_retried = true;
                }
                Err(e) => return Err(Halt::from_transport(e)),
            }
        }
        Ok(Sent::Uploaded)
    }

    /// The server's offset on the `remembered` upload (`HEAD`), or a new upload when there is
    /// none or it is gone.
    fn start<T: UploadTransport + ?Sized>(
        &mut self,
        transport: &mut T,
        file: &PhotoFile,
        remembered: Option<String>,
        report: &mut UploadReport,
    ) -> Result<Started, Halt> {
        if let Some(url) = remembered {
            match transport.upload_offset(&url) {
                Ok(offset) if offset <= file.size => {
                    report.resumed += 1;
                    return Ok(Started::At { url, offset });
                }
                Ok(offset) => {
                    return Err(Halt::Local(ClientError::Protocol(format!(
                        "the upload {url} of a {}-byte file is at offset {offset}",
                        file.size
                    ))));
                }
                Err(e) if is_gone(&e) => self.store.set_upload_url(&file.sha256, None)?,
                Err(e) => return Err(Halt::from_transport(e)),
            }
        }
        let filename = file.path.file_name().map(|name| {
            name.to_string_lossy()
                .chars()
                .take(MAX_FILENAME_CHARS)
                .collect::<String>()
        });
        let created = transport
            .create_upload(&NewUpload {
                sha256: &file.sha256,
                length: file.size,
                filetype: FILETYPE,
                filename: filename.as_deref(),
            })
            .map_err(Halt::from_transport)?;
        match created.offset {
            // The server completed it at once: it holds the file.
            offset if offset == file.size => Ok(Started::Held),
            offset if offset < file.size => {
                self.store
                    .set_upload_url(&file.sha256, Some(&created.url))?;
                Ok(Started::At {
                    url: created.url,
                    offset,
                })
            }
            offset => Err(Halt::Local(ClientError::Protocol(format!(
                "a new upload of a {}-byte file is at offset {offset}",
                file.size
            )))),
        }
    }
}

enum Sent {
    Uploaded,
    Held,
}

enum Started {
    Held,
    At { url: String, offset: u64 },
}

/// Why one file's upload ended early.
enum Halt {
    /// The file is refused for good.
    Failed {
        code: String,
        detail: String,
    },
    /// The transport failed: stop the call, resume next time.
    Stop(TransportError),
    Local(ClientError),
}

impl Halt {
    fn from_transport(error: TransportError) -> Halt {
        match &error {
            TransportError::Problem { code, detail, .. } if REFUSALS.contains(&code.as_str()) => {
                Halt::Failed {
                    code: code.clone(),
                    detail: detail.clone(),
                }
            }
            _ => Halt::Stop(error),
        }
    }

    fn local(code: &str, detail: String) -> Halt {
        Halt::Failed {
            code: code.to_owned(),
            detail,
        }
    }
}

impl From<ClientError> for Halt {
    fn from(error: ClientError) -> Halt {
        Halt::Local(error)
    }
}

/// `404` (the upload was terminated, or refused and discarded) or `410` (it expired).
fn is_gone(error: &TransportError) -> bool {
    matches!(
        error,
        TransportError::Problem {
            status: 404 | 410,
            ..
        }
    )
}

/// A photo file open for reading, checked to be the size it was hashed at.
struct Source<'a> {
    file: File,
    photo: &'a PhotoFile,
}

impl<'a> Source<'a> {
    fn open(photo: &'a PhotoFile) -> Result<Source<'a>, Halt> {
        let file = match File::open(&photo.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let detail = format!("{} is gone", photo.path.display());
                return Err(Halt::local("file_missing", detail));
            }
            Err(e) => return Err(file_error(&photo.path, e).into()),
        };
        let size = file
            .metadata()
            .map_err(|e| file_error(&photo.path, e))?
            .len();
        if size != photo.size {
            return Err(Source::changed(photo, size));
        }
        Ok(Source { file, photo })
    }

    /// Up to `max` bytes from `offset`, as many as remain.
    fn read(&mut self, offset: u64, max: usize) -> Result<Vec<u8>, Halt> {
        let remaining = usize::try_from(self.photo.size - offset).unwrap_or(usize::MAX);
        let mut chunk = vec![0; remaining.min(max)];
        let read = self
            .file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(&mut chunk));
        match read {
            Ok(()) => Ok(chunk),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                let size = self.file.metadata().map_or(0, |m| m.len());
                Err(Source::changed(self.photo, size))
            }
            Err(e) => Err(file_error(&self.photo.path, e).into()),
        }
    }

    fn changed(photo: &PhotoFile, size: u64) -> Halt {
        let detail = format!(
            "{} has {size} bytes, not the {} it was added with",
            photo.path.display(),
            photo.size
        );
        Halt::local("file_changed", detail)
    }
}

/// `sha256:<hex>` and the size of a file, read once.
fn hash_file(path: &Path) -> Result<(String, u64), ClientError> {
    let mut file = File::open(path).map_err(|e| file_error(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    let mut size = 0;
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(file_error(path, e)),
        };
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    let mut sha256 = String::with_capacity(7 + 64);
    sha256.push_str("sha256:");
    for byte in hasher.finalize() {
        sha256.push_str(&format!("{byte:02x}"));
    }
    Ok((sha256, size))
}

fn file_error(path: &Path, source: io::Error) -> ClientError {
    ClientError::File {
        path: path.to_owned(),
        source,
    }
}

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, why)
}
