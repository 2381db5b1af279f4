//! Social assistance (plan items 7–10): standards, the assessment, and (to come) the application workflow.

pub mod assessment;
pub mod calendar;
pub mod standards;
