//! Evidence files: what kind a file is, judged from its first bytes (never from its
//! name), and how big it may be. Pure.

use serde::{Deserialize, Serialize};

/// The largest file accepted: a phone photo or a scanned document.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Files per progress report.
pub const MAX_FILES: usize = 6;
/// The evidence one person may store in one day (China time), across reports, returns
/// and visits: some fifty full-size photos a day, while a script cannot fill the disk.
pub const DAILY_FILE_BYTES: usize = 500 * 1024 * 1024;

/// The path the progress form (multipart, with files) posts to.
pub const REPORT_PROGRESS_PATH: &str = "/api/report_progress";

/// The download path of an attachment.
pub fn download_path(id: &str) -> String {
    format!("/files/{id}")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Jpeg,
    Png,
    Webp,
    Heic,
    Pdf,
    /// .docx / .xlsx / .pptx (a ZIP container).
    OfficeOpenXml,
    /// .doc / .xls / .ppt (an OLE compound file).
    OfficeLegacy,
}

impl FileKind {
    pub const ALL: [FileKind; 7] = [
        FileKind::Jpeg,
        FileKind::Png,
        FileKind::Webp,
        FileKind::Heic,
        FileKind::Pdf,
        FileKind::OfficeOpenXml,
        FileKind::OfficeLegacy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpeg",
            FileKind::Png => "png",
            FileKind::Webp => "webp",
            FileKind::Heic => "heic",
            FileKind::Pdf => "pdf",
            FileKind::OfficeOpenXml => "office_open_xml",
            FileKind::OfficeLegacy => "office_legacy",
        }
    }

    pub fn parse(s: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A browser can show it inline as a picture.
    pub fn is_image(self) -> bool {
        matches!(self, FileKind::Jpeg | FileKind::Png | FileKind::Webp)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Webp => "image/webp",
            FileKind::Heic => "image/heic",
            FileKind::Pdf => "application/pdf",
            FileKind::OfficeOpenXml => "application/octet-stream",
            FileKind::OfficeLegacy => "application/octet-stream",
        }
    }
}

/// The kind of file these bytes are, or `None` for anything not accepted.
pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some(FileKind::Jpeg)
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some(FileKind::Png)
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(FileKind::Webp)
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(&bytes[8..12], b"heic" | b"heix" | b"mif1" | b"msf1")
    {
        Some(FileKind::Heic)
    } else if starts(b"%PDF-") {
        Some(FileKind::Pdf)
    } else if starts(b"PK\x03\x04") && contains(bytes, b"[Content_Types].xml") {
        Some(FileKind::OfficeOpenXml)
    } else if starts(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(FileKind::OfficeLegacy)
    } else {
        None
    }
}

/// What a file is from its first and last bytes only (a file received to disk,
/// [`super::incoming`]): an Office file's `[Content_Types].xml` may be named only in the
/// ZIP's directory at its end.
pub fn sniff_ends(head: &[u8], tail: &[u8]) -> Option<FileKind> {
    sniff(head).or_else(|| {
        (head.starts_with(b"PK\x03\x04") && contains(tail, b"[Content_Types].xml"))
            .then_some(FileKind::OfficeOpenXml)
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A file name safe to show and to send back in Content-Disposition: no path, no
/// control characters or quotes, at most 80 characters.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(80)
        .collect();
    if cleaned.trim().is_empty() {
        "file".to_string()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_content_not_the_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(FileKind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(FileKind::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(FileKind::Webp));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0"), Some(FileKind::Heic));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(FileKind::Pdf));
        assert_eq!(
            sniff(b"PK\x03\x04....[Content_Types].xml...."),
            Some(FileKind::OfficeOpenXml)
        );
        assert_eq!(sniff(b"PK\x03\x04 just a zip"), None);
        assert_eq!(
            sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some(FileKind::OfficeLegacy)
        );
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(b""), None);
        // A file received to disk is judged from its ends.
        assert_eq!(
            sniff_ends(
                b"PK\x03\x04 word/document.xml",
                b"...[Content_Types].xml..."
            ),
            Some(FileKind::OfficeOpenXml)
        );
        assert_eq!(sniff_ends(b"PK\x03\x04 a zip", b"a zip's end"), None);
        assert_eq!(sniff_ends(b"%PDF-1.7\n", b"%%EOF"), Some(FileKind::Pdf));
    }

    #[test]
    fn file_names_lose_paths_and_quotes() {
        assert_eq!(clean_file_name("C:\\photos\\现场.jpg"), "现场.jpg");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\"b;c.pdf"), "abc.pdf");
        assert_eq!(clean_file_name("   "), "file");
    }
}
