//! Social assistance (社会救助, DOMAIN.md §4) and the assessment API (ASSESSMENT-API.md).
//!
//! Web layer: parse the body (a parse failure is the web layer's 400), then
//! ```
//! use minzheng_domain::assistance::{AssessmentResponse, FieldError, Standards, assess, validate};
//!
//! fn handle(body: &serde_json::Value, today: chrono::NaiveDate) -> Result<AssessmentResponse, FieldError> {
//!     // Err(FieldError) serialises as the 422 body {"error": "…", "field": "household.members[1].id_number"}
//!     let req = validate(body, today, |code| code.starts_with("320281"))?;
//!     // the standards in force on req.as_of
//!     let s = Standards::jiangyin_2020();
//!     // serde_json::to_value(&response) is the 200 body
//!     Ok(assess(&req, &s))
//! }
//! ```
//! `assess_json` does all three with a `standards_for(as_of)` lookup.
//! The workflow calls `evaluate` for the full `Assessment` (covered member indices, exact income)
//! and the building blocks in `rules`.

mod request;
mod response;
pub mod reviews;
mod rules;
mod ruleset;
mod standards;
mod supporter;
mod types;
pub mod workflow;

pub use request::*;
pub use response::*;
pub use rules::*;
pub use ruleset::*;
pub use standards::*;
pub use supporter::*;
pub use types::*;

#[cfg(test)]
mod tests;
