//! The assessment answer (ASSESSMENT-API.md "Response (200)"): money as "1700.00" strings.

use super::request::{FieldError, validate};
use super::rules::{Assessment, Reason, evaluate_with};
use super::ruleset::RuleSet;
use super::standards::Standards;
use super::types::{Category, ValidRequest};
use crate::money::Fen;
use chrono::NaiveDate;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AssessmentResponse {
    pub as_of: NaiveDate,
    pub standard: StandardShown,
    pub members_counted: u32,
    #[serde(with = "crate::money_serde")]
    pub per_capita_monthly_income: Fen,
    pub best: Option<Category>,
    pub eligible: Vec<EligibleCategory>,
    pub not_eligible: Vec<IneligibleCategory>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StandardShown {
    #[serde(with = "crate::money_serde")]
    pub dibao: Fen,
    #[serde(with = "crate::money_serde")]
    pub tekun_basic: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EligibleCategory {
    pub category: Category,
    #[serde(with = "crate::money_serde")]
    pub monthly_amount: Fen,
    pub members_covered: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IneligibleCategory {
    pub category: Category,
    pub reasons: Vec<Reason>,
}

impl Assessment {
    pub fn to_response(&self, s: &Standards) -> AssessmentResponse {
        let mut eligible = Vec::new();
        let mut not_eligible = Vec::new();
        for (category, outcome) in &self.outcomes {
            match outcome {
                Ok(g) => eligible.push(EligibleCategory {
                    category: *category,
                    monthly_amount: g.monthly_amount,
                    members_covered: g.covered.len() as u32,
                }),
                Err(reasons) => not_eligible.push(IneligibleCategory {
                    category: *category,
                    reasons: reasons.clone(),
                }),
            }
        }
        AssessmentResponse {
            as_of: self.as_of,
            standard: StandardShown {
                dibao: s.dibao,
                tekun_basic: s.tekun_basic,
            },
            members_counted: self.members_counted as u32,
            per_capita_monthly_income: self.per_capita_monthly_income,
            best: self.best(),
            eligible,
            not_eligible,
        }
    }
}

/// The assessment of a validated request under the standards `s` (those in force on `req.as_of`) and the
/// rule set in force on `req.as_of`.
pub fn assess(req: &ValidRequest, s: &Standards) -> AssessmentResponse {
    assess_with(req, s, RuleSet::in_force(req.as_of))
}

/// The assessment of a validated request under the standards `s` and rule set `rules`.
pub fn assess_with(req: &ValidRequest, s: &Standards, rules: RuleSet) -> AssessmentResponse {
    evaluate_with(&req.household, req.as_of, s, rules).to_response(s)
}

/// Validate + assess in one call for the web layer. `standards_for(as_of)` returns the standards
/// in force on that date; `None` becomes a FieldError on `as_of`.
pub fn assess_json(
    body: &Value,
    today: NaiveDate,
    area_ok: impl Fn(&str) -> bool,
    standards_for: impl Fn(NaiveDate) -> Option<Standards>,
) -> Result<AssessmentResponse, FieldError> {
    let req = validate(body, today, area_ok)?;
    let s = standards_for(req.as_of)
        .ok_or_else(|| FieldError::new("as_of", format!("{}没有生效的救助标准", req.as_of)))?;
    Ok(assess(&req, &s))
}
