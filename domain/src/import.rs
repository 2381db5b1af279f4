//! What every import reports: each bad cell of the file, named by its row and column, so that the whole file is
//! refused with every problem at once and nothing is half-written (areas, the plan, the ledger, bank returns,
//! departmental sources).

use std::fmt;

/// One bad cell of an imported file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// Which file, for an import of several (the plan's `items` and `indicators`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The file's row number; the header is row 1.
    pub row: u64,
    /// The column (its header), empty for the whole row.
    pub column: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl RowError {
    pub fn new(row: u64, column: impl Into<String>, message: impl Into<String>) -> RowError {
        RowError {
            file: None,
            row,
            column: column.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file} ")?;
        }
        write!(f, "第{}行", self.row)?;
        if !self.column.is_empty() {
            write!(f, " {}", self.column)?;
        }
        write!(f, "：{}", self.message)
    }
}

/// What an XLSX file (a ZIP archive) may unpack to. Checked from the archive's central directory before anything
/// is inflated: a few kilobytes can otherwise claim gigabytes (a "zip bomb"). A large real import (a million rows
/// of ten columns) unpacks to a few hundred MiB of XML, compressed some 10–30 times.
pub const ZIP_MAX_TOTAL: u64 = 1 << 30;
/// The largest compression ratio an entry over 1 MiB may claim.
pub const ZIP_MAX_RATIO: u64 = 200;
pub const ZIP_MAX_ENTRIES: u64 = 10_000;

/// Where the central directory is, from the archive's last bytes (`tail`, at most 65,557 of them): its offset, its
/// size and its number of entries. `None` when there is no end-of-central-directory record.
pub fn zip_directory(tail: &[u8]) -> Option<(u64, u64, u64)> {
    const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    let at = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == EOCD)?;
    let r = &tail[at..];
    let u16_at = |o: usize| u64::from(u16::from_le_bytes([r[o], r[o + 1]]));
    let u32_at = |o: usize| u64::from(u32::from_le_bytes([r[o], r[o + 1], r[o + 2], r[o + 3]]));
    Some((u32_at(16), u32_at(12), u16_at(10)))
}

/// Checks every entry of a central directory against the limits above. An archive in the ZIP64 form (sizes that
/// do not fit 32 bits) is refused too: no spreadsheet the bureau imports needs it.
pub fn check_zip_directory(dir: &[u8], entries: u64) -> Result<(), String> {
    const CDH: [u8; 4] = [0x50, 0x4b, 0x01, 0x02];
    if entries > ZIP_MAX_ENTRIES {
        return Err(format!(
            "压缩包内文件过多（{entries} 个），不是正常的表格文件"
        ));
    }
    let mut at = 0usize;
    let mut total = 0u64;
    for _ in 0..entries {
        let h = dir
            .get(at..at + 46)
            .ok_or("文件目录不完整，不是正常的表格文件")?;
        if h[..4] != CDH {
            return Err("文件目录损坏，不是正常的表格文件".into());
        }
        let u16_at = |o: usize| usize::from(u16::from_le_bytes([h[o], h[o + 1]]));
        let u32_at = |o: usize| u64::from(u32::from_le_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]));
        let (packed, size) = (u32_at(20), u32_at(24));
        if packed == u64::from(u32::MAX) || size == u64::from(u32::MAX) {
            return Err("文件过大（超出表格文件压缩格式的大小上限），请拆分后再导入".into());
        }
        if size > 1 << 20 && size > packed.max(1) * ZIP_MAX_RATIO {
            return Err(format!(
                "文件解压后的内容与其大小极不相称（压缩比超过 {ZIP_MAX_RATIO} 倍），疑似“压缩炸弹”，已拒绝"
            ));
        }
        total += size;
        if total > ZIP_MAX_TOTAL {
            return Err(format!(
                "文件解压后超过 {} 兆字节，请拆分后再导入",
                ZIP_MAX_TOTAL >> 20
            ));
        }
        at += 46 + u16_at(28) + u16_at(30) + u16_at(32);
    }
    Ok(())
}

/// Whether the bytes are a whole PNG image: the signature, an IHDR chunk of sane dimensions first, every chunk's
/// length inside the file, and IEND last. (A file that only starts like a PNG is refused.)
pub fn png_is_whole(b: &[u8]) -> bool {
    const SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !b.starts_with(SIG) {
        return false;
    }
    let mut at = SIG.len();
    let mut first = true;
    while at + 12 <= b.len() {
        let len = u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize;
        let kind = &b[at + 4..at + 8];
        let Some(end) = (at + 12).checked_add(len).filter(|e| *e <= b.len()) else {
            return false;
        };
        if first {
            if kind != b"IHDR" || len != 13 {
                return false;
            }
            let w = u32::from_be_bytes([b[at + 8], b[at + 9], b[at + 10], b[at + 11]]);
            let h = u32::from_be_bytes([b[at + 12], b[at + 13], b[at + 14], b[at + 15]]);
            // a photo of a visit or a document: at most 20,000 pixels a side (a "pixel bomb" claims more)
            if w == 0 || h == 0 || w > 20_000 || h > 20_000 {
                return false;
            }
            first = false;
        }
        if kind == b"IEND" {
            return end == b.len() || b[end..].iter().all(|x| *x == 0);
        }
        at = end;
    }
    false
}

/// Whether the bytes are a whole JPEG image: a start-of-image marker, a frame header of sane dimensions and the
/// end-of-image marker.
pub fn jpeg_is_whole(b: &[u8]) -> bool {
    if b.len() < 4 || !b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return false;
    }
    let tail = &b[b.len().saturating_sub(64)..];
    if !tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
        return false;
    }
    // walk the segments to the frame header (SOF0–SOF15 but DHT, JPG and DAC)
    let mut at = 2;
    while at + 9 < b.len() {
        if b[at] != 0xFF {
            return false;
        }
        let m = b[at + 1];
        let len = usize::from(u16::from_be_bytes([b[at + 2], b[at + 3]]));
        if (0xC0..=0xCF).contains(&m) && !matches!(m, 0xC4 | 0xC8 | 0xCC) {
            let h = u16::from_be_bytes([b[at + 5], b[at + 6]]);
            let w = u16::from_be_bytes([b[at + 7], b[at + 8]]);
            return h > 0 && w > 0;
        }
        if len < 2 {
            return false;
        }
        at += 2 + len;
    }
    false
}

/// Whether the bytes are a whole PDF: its header and, near the end, its end-of-file marker.
pub fn pdf_is_whole(b: &[u8]) -> bool {
    b.starts_with(b"%PDF-")
        && b[b.len().saturating_sub(1024)..]
            .windows(5)
            .any(|w| w == b"%%EOF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_a_chinese_line() {
        assert_eq!(
            RowError::new(3, "code", "区划代码必须是数字").to_string(),
            "第3行 code：区划代码必须是数字"
        );
        let mut e = RowError::new(1, "", "无法读取表头");
        e.file = Some("items".into());
        assert_eq!(e.to_string(), "items 第1行：无法读取表头");
        assert_eq!(
            serde_json::to_value(RowError::new(2, "a", "b")).unwrap(),
            serde_json::json!({"row": 2, "column": "a", "message": "b"})
        );
    }

    /// A central directory of entries (packed, unpacked sizes) and its end record, as a ZIP writer lays them out.
    fn archive(entries: &[(u32, u32)]) -> Vec<u8> {
        let mut dir = Vec::new();
        for (i, (packed, size)) in entries.iter().enumerate() {
            let name = format!("xl/f{i}.xml");
            dir.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02]);
            dir.extend_from_slice(&[0u8; 16]);
            dir.extend_from_slice(&packed.to_le_bytes());
            dir.extend_from_slice(&size.to_le_bytes());
            dir.extend_from_slice(&(name.len() as u16).to_le_bytes());
            dir.extend_from_slice(&[0u8; 16]);
            dir.extend_from_slice(name.as_bytes());
        }
        let mut out = vec![0u8; 100]; // the entries' data, not read
        let offset = out.len() as u32;
        out.extend_from_slice(&dir);
        out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(dir.len() as u32).to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    fn check(bytes: &[u8]) -> Result<(), String> {
        let (offset, size, n) = zip_directory(bytes).ok_or("no directory")?;
        check_zip_directory(&bytes[offset as usize..(offset + size) as usize], n)
    }

    #[test]
    fn zip_limits() {
        // an ordinary workbook: a few entries compressed 10 times
        assert_eq!(
            check(&archive(&[(1_000, 10_000), (300_000, 3_000_000), (50, 50)])),
            Ok(())
        );
        // 10 KiB claiming 4 GiB less one byte: refused by its ratio before anything is inflated
        assert!(
            check(&archive(&[(10_240, u32::MAX - 1)]))
                .unwrap_err()
                .contains("压缩炸弹")
        );
        // many honest entries that add up to more than the limit
        let big = vec![(200_000_000 / 20, 200_000_000); 6];
        let e = check(&archive(&big)).unwrap_err();
        assert!(
            e.contains("兆字节") && !e.chars().any(|c| c.is_ascii_alphabetic()),
            "{e}"
        );
        // ZIP64 sizes
        assert!(
            check(&archive(&[(u32::MAX, u32::MAX)]))
                .unwrap_err()
                .contains("大小上限")
        );
        assert_eq!(zip_directory(b"not a zip at all"), None);
    }

    proptest::proptest! {
        /// Whatever the bytes, the check answers (never panics), and an empty archive passes.
        #[test]
        fn any_bytes_are_answered(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = zip_directory(&bytes).map(|(o, s, n)| {
                let dir = bytes.get(o as usize..(o + s) as usize).unwrap_or(&[]);
                check_zip_directory(dir, n)
            });
            proptest::prop_assert_eq!(check(&archive(&[])), Ok(()));
        }
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |kind: &[u8], data: &[u8]| {
            b.extend_from_slice(&(data.len() as u32).to_be_bytes());
            b.extend_from_slice(kind);
            b.extend_from_slice(data);
            b.extend_from_slice(&[0, 0, 0, 0]); // the CRC is not checked
        };
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        chunk(b"IHDR", &ihdr);
        chunk(b"IDAT", &[1, 2, 3]);
        chunk(b"IEND", &[]);
        b
    }

    #[test]
    fn images_and_documents_are_whole() {
        assert!(png_is_whole(&png(640, 480)));
        // a signature and nothing else, a cut file, a "pixel bomb"
        assert!(!png_is_whole(b"\x89PNG\r\n\x1a\n"));
        let p = png(640, 480);
        assert!(!png_is_whole(&p[..p.len() - 5]));
        assert!(!png_is_whole(&png(100_000, 100_000)));
        let jpeg = [
            &[0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0][..],
            &[0xFF, 0xC0, 0, 11, 8, 1, 0xE0, 2, 0x80, 1, 1, 0x11, 0][..],
            &[0xFF, 0xD9][..],
        ]
        .concat();
        assert!(jpeg_is_whole(&jpeg));
        assert!(!jpeg_is_whole(&jpeg[..jpeg.len() - 2]));
        assert!(!jpeg_is_whole(&[0xFF, 0xD8, 0xFF, 0xD9]));
        assert!(pdf_is_whole(b"%PDF-1.7\n1 0 obj\nendobj\n%%EOF\n"));
        assert!(!pdf_is_whole(b"%PDF-1.7\n1 0 obj"));
    }

    proptest::proptest! {
        /// Whatever the bytes, the checks answer and never panic.
        #[test]
        fn any_bytes_are_judged(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = (png_is_whole(&bytes), jpeg_is_whole(&bytes), pdf_is_whole(&bytes));
            let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
            p.extend_from_slice(&bytes);
            let _ = png_is_whole(&p);
            let mut j = vec![0xFF, 0xD8, 0xFF];
            j.extend_from_slice(&bytes);
            let _ = jpeg_is_whole(&j);
        }
    }
}
