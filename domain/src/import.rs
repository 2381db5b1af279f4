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
}
