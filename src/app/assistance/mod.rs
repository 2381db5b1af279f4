//! Social assistance (plan items 7–10): standards, the assessment, and (to come) the application workflow.

pub mod applications;
pub mod assessment;
pub mod calendar;
pub mod cases;
pub mod ledger;
pub mod overview;
pub mod payments;
pub mod standards;
pub mod supporters;
pub mod temporary;
