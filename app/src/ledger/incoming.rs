//! Uploaded files as a request brings them (server only): written to disk piece by
//! piece and hashed on the way, so no request's files are ever held in memory whole. A
//! file not stored (the submission refused, the request cut off) is deleted when it is
//! dropped, so a refused upload leaves nothing behind.

use super::evidence::{self, FileKind};
use super::service::stored_path;
use crate::AppError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// How much of a file's start and end is kept in memory: enough to tell its kind and
/// to read a photo's EXIF time (a JPEG's APP1 segment is at most 64 KiB) and, at the
/// end, an Office file's table of contents.
pub const ENDS_BYTES: usize = 128 * 1024;

/// The folder under the files folder where uploads wait until they are stored.
const INCOMING: &str = "incoming";

/// One uploaded file, on disk while its request is handled.
#[derive(Debug)]
pub struct Incoming {
    pub file_name: String,
    /// Every byte sent, also those beyond the limit, which are counted but not kept.
    pub size: usize,
    /// The first [`ENDS_BYTES`] bytes.
    pub head: Vec<u8>,
    /// The last [`ENDS_BYTES`] bytes kept.
    tail: Vec<u8>,
    sha256: String,
    path: PathBuf,
}

impl Drop for Incoming {
    fn drop(&mut self) {
        // Once stored the file has moved, and there is nothing left to delete.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Writes a file under the incoming folder, keeping its ends and its hash.
struct Receiving {
    file: tokio::fs::File,
    hasher: Sha256,
    written: usize,
    size: usize,
    head: Vec<u8>,
    tail: Vec<u8>,
    limit: usize,
}

impl Receiving {
    async fn new(path: &Path, limit: usize) -> Result<Receiving, AppError> {
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
        }
        let file = tokio::fs::File::create(path).await.map_err(io_error)?;
        Ok(Receiving {
            file,
            hasher: Sha256::new(),
            written: 0,
            size: 0,
            head: Vec::new(),
            tail: Vec::new(),
            limit,
        })
    }

    /// Take the next piece: written while the file is within its limit, counted after.
    async fn take(&mut self, piece: &[u8]) -> Result<(), AppError> {
        use tokio::io::AsyncWriteExt;
        self.size += piece.len();
        let room = self.limit.saturating_sub(self.written);
        let kept = &piece[..piece.len().min(room)];
        if kept.is_empty() {
            return Ok(());
        }
        self.file.write_all(kept).await.map_err(io_error)?;
        self.hasher.update(kept);
        self.written += kept.len();
        let head_room = ENDS_BYTES.saturating_sub(self.head.len());
        self.head
            .extend_from_slice(&kept[..kept.len().min(head_room)]);
        self.tail.extend_from_slice(kept);
        // Cut back now and then, not on every piece.
        if self.tail.len() > 2 * ENDS_BYTES {
            self.trim_tail();
        }
        Ok(())
    }

    fn trim_tail(&mut self) {
        let extra = self.tail.len().saturating_sub(ENDS_BYTES);
        self.tail.drain(..extra);
    }

    async fn finish(mut self, file_name: &str, path: PathBuf) -> Result<Incoming, AppError> {
        use tokio::io::AsyncWriteExt;
        self.file.flush().await.map_err(io_error)?;
        self.trim_tail();
        Ok(Incoming {
            file_name: file_name.to_string(),
            size: self.size,
            head: self.head,
            tail: self.tail,
            sha256: hex::encode(self.hasher.finalize()),
            path,
        })
    }
}

fn io_error(e: std::io::Error) -> AppError {
    AppError::internal(format!("receiving a file: {e}"))
}

/// A fresh path under the incoming folder.
fn incoming_path(files_dir: &Path) -> PathBuf {
    use rand::Rng;
    let name = format!("{:032x}.partial", rand::rngs::OsRng.r#gen::<u128>());
    files_dir.join(INCOMING).join(name)
}

impl Incoming {
    /// Receive a file field of a multipart form into the incoming folder of
    /// `files_dir`, piece by piece. Bytes beyond `limit` are read and counted, never
    /// written: the file is then refused for its size. A form cut off is a bad request.
    pub async fn receive(
        mut field: axum::extract::multipart::Field<'_>,
        files_dir: &Path,
        limit: usize,
    ) -> Result<Incoming, AppError> {
        let file_name = field.file_name().unwrap_or_default().to_string();
        let path = incoming_path(files_dir);
        // From here the file exists: a failure below must not leave it behind.
        let mut receiving = Receiving::new(&path, limit).await?;
        let guard = Removal(Some(path.clone()));
        loop {
            match field.chunk().await {
                Ok(Some(piece)) => receiving.take(&piece).await?,
                Ok(None) => break,
                Err(_) => return Err(AppError::BadRequest),
            }
        }
        let incoming = receiving.finish(&file_name, path).await?;
        guard.disarm();
        Ok(incoming)
    }

    /// A file from bytes at hand (the demo city, tests), received the same way.
    pub async fn from_bytes(
        files_dir: &Path,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Incoming, AppError> {
        let path = incoming_path(files_dir);
        let mut receiving = Receiving::new(&path, evidence::MAX_FILE_BYTES).await?;
        let guard = Removal(Some(path.clone()));
        for piece in bytes.chunks(64 * 1024) {
            receiving.take(piece).await?;
        }
        let incoming = receiving.finish(file_name, path).await?;
        guard.disarm();
        Ok(incoming)
    }

    /// Nothing was sent (an empty file input).
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// What the file is, from its content ([`evidence::sniff_ends`]).
    pub fn kind(&self) -> Option<FileKind> {
        evidence::sniff_ends(&self.head, &self.tail)
    }

    /// Move the file to its place under its content hash, durably (once: the same
    /// photo twice is one file). Its sha256.
    pub async fn store(&self, files_dir: &Path) -> Result<String, AppError> {
        let to = stored_path(files_dir, &self.sha256);
        let from = self.path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if to.exists() {
                return Ok(());
            }
            let dir = to
                .parent()
                .ok_or_else(|| std::io::Error::other("file path without parent"))?;
            std::fs::create_dir_all(dir)?;
            std::fs::File::open(&from)?.sync_all()?;
            std::fs::rename(&from, &to)?;
            // The rename itself must reach the disk before the file is said to be saved.
            std::fs::File::open(dir)?.sync_all()
        })
        .await
        .map_err(AppError::internal)?
        .map_err(|e| AppError::internal(format!("storing evidence: {e}")))?;
        Ok(self.sha256.clone())
    }
}

/// How long a file may wait under the incoming folder without a byte written to it: an
/// upload that slow has been given up, or its process was killed mid-request.
pub const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// Delete the files under the incoming folder not written to for `idle` (blocking; the
/// server runs it at start and every hour). How many went.
pub fn sweep(files_dir: &Path, idle: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(files_dir.join(INCOMING)) else {
        return 0;
    };
    let now = std::time::SystemTime::now();
    entries
        .flatten()
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| now.duration_since(at).unwrap_or_default() >= idle)
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// Deletes a file being received unless receiving finished.
struct Removal(Option<PathBuf>);

impl Removal {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for Removal {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("rectify-incoming-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn waiting(files_dir: &Path) -> usize {
        std::fs::read_dir(files_dir.join(INCOMING)).map_or(0, |d| d.count())
    }

    #[tokio::test]
    async fn a_file_is_kept_on_disk_with_only_its_ends_in_memory() {
        let files = dir("ends");
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.resize(3 * 1024 * 1024, b'x');
        let f = Incoming::from_bytes(&files, "scan.pdf", &bytes)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.size, bytes.len());
        assert_eq!((f.head.len(), f.tail.len()), (ENDS_BYTES, ENDS_BYTES));
        assert_eq!(f.kind(), Some(FileKind::Pdf));
        assert_eq!(waiting(&files), 1);
        let sha = f.store(&files).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sha, hex::encode(Sha256::digest(&bytes)));
        let stored = std::fs::read(stored_path(&files, &sha)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(stored, bytes);
        drop(f);
        assert_eq!(waiting(&files), 0);
        assert!(stored_path(&files, &sha).exists());
    }

    #[tokio::test]
    async fn files_left_by_a_killed_upload_are_swept_and_one_being_written_is_not() {
        let files = dir("sweep");
        // What a process killed mid-upload leaves: a file nothing owns any more.
        let left = incoming_path(&files);
        std::fs::create_dir_all(left.parent().unwrap_or(&files)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&left, b"half a photo").unwrap_or_else(|e| panic!("{e}"));
        let receiving = Incoming::from_bytes(&files, "p.png", b"\x89PNG\r\n\x1a\nrest")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sweep(&files, ABANDONED_AFTER), 0);
        assert_eq!(sweep(&files, std::time::Duration::ZERO), 2);
        assert!(!left.exists());
        drop(receiving);
        assert_eq!(waiting(&files), 0);
    }

    #[tokio::test]
    async fn a_file_not_stored_leaves_nothing_and_one_too_big_is_not_written_beyond_its_limit() {
        let files = dir("refused");
        let f = Incoming::from_bytes(&files, "p.png", b"\x89PNG\r\n\x1a\nrest")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(waiting(&files), 1);
        drop(f);
        assert_eq!(waiting(&files), 0);
        let path = incoming_path(&files);
        let mut r = Receiving::new(&path, 1024)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..10 {
            r.take(&[7u8; 512]).await.unwrap_or_else(|e| panic!("{e}"));
        }
        let big = r
            .finish("big.bin", path.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(big.size, 5120);
        assert_eq!(
            std::fs::metadata(&path)
                .map(|m| m.len())
                .unwrap_or_default(),
            1024
        );
        drop(big);
        assert!(!path.exists());
    }
}
