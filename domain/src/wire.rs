//! Shared by the rules of every line (assistance, elderly, children, orgs): closed code lists and JSON walking
//! helpers that name the bad field both as a machine path and in Chinese words.
//! (The assistance request has its own private helpers; these add the Chinese field name to each message.)

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::assistance::FieldError;

/// A closed code list: wire code, Chinese label, serde as the code; `parse` reads a code.
macro_rules! code_list {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $code:literal / $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn code(self) -> &'static str {
                match self { $($name::$v => $code),+ }
            }
            pub fn label(self) -> &'static str {
                match self { $($name::$v => $label),+ }
            }
            pub fn from_code(s: &str) -> Option<$name> {
                match s { $($code => Some($name::$v),)+ _ => None }
            }
            pub fn parse(s: &str) -> Option<$name> {
                $name::from_code(s)
            }
            /// "a、b、c" for error messages.
            pub fn codes_text() -> String {
                Self::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join("、")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!("未知的取值“{s}”，可选：{}", $name::codes_text()))
                })
            }
        }
    };
}
pub(crate) use code_list;

pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// A field that must be present and not null.
pub(crate) fn required<'a>(
    o: &'a Map<String, Value>,
    parent: &str,
    key: &str,
    label: &str,
) -> Result<&'a Value, FieldError> {
    match o.get(key) {
        None | Some(Value::Null) => Err(FieldError::new(
            join(parent, key),
            format!("缺少必填字段：{label}"),
        )),
        Some(v) => Ok(v),
    }
}

pub(crate) fn object<'a>(
    v: &'a Value,
    path: &str,
    label: &str,
) -> Result<&'a Map<String, Value>, FieldError> {
    v.as_object().ok_or_else(|| {
        FieldError::new(
            path,
            if path.is_empty() {
                "请求体应为JSON对象".to_string()
            } else {
                format!("{label}应为JSON对象")
            },
        )
    })
}

pub(crate) fn array<'a>(v: &'a Value, path: &str, label: &str) -> Result<&'a [Value], FieldError> {
    v.as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| FieldError::new(path, format!("{label}应为数组")))
}

pub(crate) fn string<'a>(v: &'a Value, path: &str, label: &str) -> Result<&'a str, FieldError> {
    v.as_str()
        .ok_or_else(|| FieldError::new(path, format!("{label}应为字符串")))
}

pub(crate) fn boolean(v: &Value, path: &str, label: &str) -> Result<bool, FieldError> {
    v.as_bool()
        .ok_or_else(|| FieldError::new(path, format!("{label}应为 true 或 false")))
}

/// A `YYYY-MM-DD` date (chrono alone would also take unpadded fields).
pub(crate) fn date(v: &Value, path: &str, label: &str) -> Result<NaiveDate, FieldError> {
    ymd(string(v, path, label)?, path, label)
}

/// `s` as a `YYYY-MM-DD` date, or the error naming `path` and the field's Chinese `label`.
pub(crate) fn ymd(s: &str, path: &str, label: &str) -> Result<NaiveDate, FieldError> {
    let shape_ok = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shape_ok {
        return Err(FieldError::new(
            path,
            format!("{label}“{s}”格式应为YYYY-MM-DD"),
        ));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| FieldError::new(path, format!("{label}“{s}”不是存在的日期")))
}
