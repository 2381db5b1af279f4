//! The application workflow of DOMAIN.md §4.6 (民发〔2012〕220号) as a pure state machine:
//! which action is allowed in which stage, by whom, and when the next step falls due.
//! Under the 2021 rules (DOMAIN.md §4.11) 民主评议 is optional (`next_stage_with`) and the time limits
//! are `LIMITS_2021`, with overall limits counted from acceptance (`due_date_with`).

use super::ruleset::RuleSet;
use super::types::Category;
use crate::calendar::WorkCalendar;
use chrono::{Duration, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 申请: filed with the applicant's signed authorisation.
    Submitted,
    /// 受理: the town accepted; the investigation is due.
    Accepted,
    /// 调查: household visit and economic-status check done; the community review is due.
    Investigated,
    /// 民主评议 done; the town's first review is due.
    Reviewed,
    /// 初审 passed; 7-day 公示 in the village.
    TownPublicity,
    /// 审核确认 by the city is due.
    CityReview,
    /// The city's 7-day 公示.
    CityPublicity,
    /// Approved: assistance from the next month.
    Approved,
    /// Refused with a written reason.
    Refused,
}

impl Stage {
    pub const ALL: [Stage; 9] = [
        Stage::Submitted,
        Stage::Accepted,
        Stage::Investigated,
        Stage::Reviewed,
        Stage::TownPublicity,
        Stage::CityReview,
        Stage::CityPublicity,
        Stage::Approved,
        Stage::Refused,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Stage::Submitted => "submitted",
            Stage::Accepted => "accepted",
            Stage::Investigated => "investigated",
            Stage::Reviewed => "reviewed",
            Stage::TownPublicity => "town_publicity",
            Stage::CityReview => "city_review",
            Stage::CityPublicity => "city_publicity",
            Stage::Approved => "approved",
            Stage::Refused => "refused",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Stage::Submitted => "已申请，待受理",
            Stage::Accepted => "已受理，待调查",
            Stage::Investigated => "已调查，待民主评议",
            Stage::Reviewed => "已评议，待镇初审",
            Stage::TownPublicity => "村(居)公示中",
            Stage::CityReview => "待市局审核确认",
            Stage::CityPublicity => "市局公示中",
            Stage::Approved => "已批准",
            Stage::Refused => "不予批准",
        }
    }
    /// The label under `rules`: under 2021 an investigated application goes to the town's first review,
    /// with or without a 民主评议.
    pub fn label_for(self, rules: RuleSet) -> &'static str {
        match (self, rules) {
            (Stage::Investigated, RuleSet::Y2021) => "已调查，待镇初审(可民主评议)",
            _ => self.label(),
        }
    }
    pub fn from_code(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn is_open(self) -> bool {
        !matches!(self, Stage::Approved | Stage::Refused)
    }
}

/// Who may take an action: the town office or the city bureau (DOMAIN.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Office {
    /// The village worker may file; the town office does everything else at town level.
    VillageOrTown,
    Town,
    City,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    /// 入户调查 (≥ 2 staff).
    Visit,
    /// 家庭经济状况核对 (先核再救).
    Check,
    /// 民主评议.
    CommunityReview,
    /// 初审 and the start of the village 公示.
    TownApprove,
    /// End of the village 公示 without objection.
    TownPublicityEnd,
    /// 入户抽查 by the city.
    SpotCheck,
    /// 审核确认 and the start of the city 公示.
    CityApprove,
    /// End of the city 公示: the decision.
    Decide,
    /// An objection during a 公示 re-opens the investigation.
    Object,
    Refuse,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::Accept,
        Action::Visit,
        Action::Check,
        Action::CommunityReview,
        Action::TownApprove,
        Action::TownPublicityEnd,
        Action::SpotCheck,
        Action::CityApprove,
        Action::Decide,
        Action::Object,
        Action::Refuse,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Visit => "visit",
            Action::Check => "check",
            Action::CommunityReview => "community_review",
            Action::TownApprove => "town_approve",
            Action::TownPublicityEnd => "town_publicity_end",
            Action::SpotCheck => "spot_check",
            Action::CityApprove => "city_approve",
            Action::Decide => "decide",
            Action::Object => "object",
            Action::Refuse => "refuse",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Action::Accept => "受理",
            Action::Visit => "入户调查",
            Action::Check => "经济状况核对",
            Action::CommunityReview => "民主评议",
            Action::TownApprove => "镇(街道)初审并公示",
            Action::TownPublicityEnd => "村(居)公示期满",
            Action::SpotCheck => "市局入户抽查",
            Action::CityApprove => "市局审核确认并公示",
            Action::Decide => "公示期满，作出决定",
            Action::Object => "公示异议",
            Action::Refuse => "不予批准",
        }
    }
    pub fn from_code(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn office(self) -> Office {
        match self {
            Action::SpotCheck | Action::CityApprove | Action::Decide => Office::City,
            Action::Accept
            | Action::CommunityReview
            | Action::TownApprove
            | Action::TownPublicityEnd => Office::Town,
            Action::Visit | Action::Check | Action::Object => Office::VillageOrTown,
            // refusal is by whoever holds the application at its stage
            Action::Refuse => Office::VillageOrTown,
        }
    }
}

/// Facts about an application that gate actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub visited: bool,
    pub checked: bool,
    pub spot_check_required: bool,
    pub spot_checked: bool,
    /// Date the current 公示 started (village or city).
    pub publicity_started: Option<NaiveDate>,
}

pub const PUBLICITY_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("当前环节（{0}）不能办理“{1}”")]
    WrongStage(&'static str, &'static str),
    #[error("未经家庭经济状况核对，不能审批（先核再救）")]
    NoCheck,
    #[error("尚未完成入户调查")]
    NoVisit,
    #[error("该申请被抽中入户抽查（或系备案近亲属），须先完成抽查")]
    NoSpotCheck,
    #[error("公示期为7天，{0}后方可结束")]
    PublicityRunning(NaiveDate),
}

/// The stage after `action` under the 2012 rules (民主评议 required), or why it is not allowed now.
pub fn next_stage(
    stage: Stage,
    action: Action,
    p: &Progress,
    on: NaiveDate,
) -> Result<Stage, StepError> {
    next_stage_with(stage, action, p, on, RuleSet::Y2012)
}

/// The stage after `action` under `rules`, or why it is not allowed now. Under 2021 the town's first
/// review (`TownApprove`) may follow the investigation directly; a 民主评议 (`CommunityReview`) may
/// still be held first. Under 2012 it is required.
pub fn next_stage_with(
    stage: Stage,
    action: Action,
    p: &Progress,
    on: NaiveDate,
    rules: RuleSet,
) -> Result<Stage, StepError> {
    use Action as A;
    use Stage as S;
    let wrong = || StepError::WrongStage(stage.label_for(rules), action.label());
    let publicity_over = || match p.publicity_started {
        Some(start) if on >= start + Duration::days(PUBLICITY_DAYS) => Ok(()),
        Some(start) => Err(StepError::PublicityRunning(
            start + Duration::days(PUBLICITY_DAYS),
        )),
        None => Err(wrong()),
    };
    match (stage, action) {
        (S::Submitted, A::Accept) => Ok(S::Accepted),
        (S::Accepted, A::Visit) => Ok(if p.checked {
            S::Investigated
        } else {
            S::Accepted
        }),
        (S::Accepted, A::Check) => Ok(if p.visited {
            S::Investigated
        } else {
            S::Accepted
        }),
        // a re-check may follow at any open stage (复核)
        (s, A::Check) if s.is_open() && s != S::Submitted => Ok(s),
        (S::Investigated, A::CommunityReview) => Ok(S::Reviewed),
        (S::Investigated, A::TownApprove) if rules == RuleSet::Y2021 => {
            if !p.checked {
                Err(StepError::NoCheck)
            } else if !p.visited {
                Err(StepError::NoVisit)
            } else {
                Ok(S::TownPublicity)
            }
        }
        (S::Reviewed, A::TownApprove) => {
            if !p.checked {
                Err(StepError::NoCheck)
            } else if !p.visited {
                Err(StepError::NoVisit)
            } else {
                Ok(S::TownPublicity)
            }
        }
        (S::TownPublicity, A::TownPublicityEnd) => publicity_over().map(|_| S::CityReview),
        (S::CityReview, A::SpotCheck) => Ok(S::CityReview),
        (S::CityReview, A::CityApprove) => {
            if !p.checked {
                Err(StepError::NoCheck)
            } else if p.spot_check_required && !p.spot_checked {
                Err(StepError::NoSpotCheck)
            } else {
                Ok(S::CityPublicity)
            }
        }
        (S::CityPublicity, A::Decide) => publicity_over().map(|_| S::Approved),
        (S::TownPublicity | S::CityPublicity, A::Object) => Ok(S::Accepted),
        (s, A::Refuse) if s.is_open() => Ok(S::Refused),
        _ => Err(wrong()),
    }
}

/// Who takes `action` at `stage`: a refusal, an objection and a re-check belong to the office that holds the
/// application then (the city from its review on), every other action to its own office.
pub fn office_for(action: Action, stage: Stage) -> Office {
    let city_holds = matches!(stage, Stage::CityReview | Stage::CityPublicity);
    match action {
        Action::Refuse | Action::Object | Action::Check if city_holds => Office::City,
        Action::Refuse | Action::Object => Office::Town,
        _ => action.office(),
    }
}

/// The actions the state machine takes at `stage` under `rules`, whatever the progress: a missing visit or check
/// or a 公示 still running is told when the action is submitted.
pub fn actions_in(stage: Stage, rules: RuleSet) -> Vec<Action> {
    let any = Progress {
        visited: true,
        checked: true,
        spot_check_required: false,
        spot_checked: true,
        publicity_started: Some(NaiveDate::MIN),
    };
    Action::ALL
        .into_iter()
        .filter(|&a| {
            !matches!(
                next_stage_with(stage, a, &any, NaiveDate::MAX, rules),
                Err(StepError::WrongStage(..))
            )
        })
        .collect()
}

/// The moves that take an application on from `stage` ("my tasks"): not a re-check after the investigation, an
/// objection or a refusal, which may come at any time but are nobody's next step.
pub fn next_moves(stage: Stage, rules: RuleSet) -> Vec<Action> {
    actions_in(stage, rules)
        .into_iter()
        .filter(|&a| match a {
            Action::Refuse | Action::Object => false,
            Action::Check => stage == Stage::Accepted,
            _ => true,
        })
        .collect()
}

/// Time limits in working days (DOMAIN.md §4.6, §4.11); under 2012 tekun has its own.
/// Each stage's limit counts from the day the stage was entered (`due_date`); the overall limits of
/// the 2021 rules count from acceptance (`due_date_with`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub investigate: u32,
    pub reinvestigate_after_objection: u32,
    pub community_review: u32,
    pub town_review: u32,
    pub city_opinion: u32,
    pub decision_after_publicity: u32,
    pub refusal_notice: u32,
    /// The town finishes the investigation and its initial opinion (`TownApprove`) within this many
    /// working days of acceptance (2021: 15); `None` under 2012.
    pub town_total: Option<u32>,
    /// Acceptance to decision at most (2021: 30); `None` under 2012.
    pub decision_total: Option<u32>,
    /// Acceptance to decision when extended with a recorded reason (2021: 45).
    pub decision_total_extended: Option<u32>,
}

pub const LIMITS: Limits = Limits {
    investigate: 10,
    reinvestigate_after_objection: 20,
    community_review: 5,
    town_review: 5,
    city_opinion: 5,
    decision_after_publicity: 3,
    refusal_notice: 3,
    town_total: None,
    decision_total: None,
    decision_total_extended: None,
};

pub const TEKUN_LIMITS: Limits = Limits {
    investigate: 15,
    city_opinion: 15,
    ..LIMITS
};

/// The 2021 limits (民发〔2021〕57号 and 43号, DOMAIN.md §4.11), for dibao and tekun alike: the town's
/// investigation and initial opinion within 15 working days of acceptance (each town stage falls due
/// then at the latest), the county's confirmation within 10 of receiving it, the decision within 30
/// of acceptance (45 when extended). What §4.11 does not change stays as 2012: the re-investigation
/// after an objection (20), the decision after a 公示 (3), the refusal notice (3).
pub const LIMITS_2021: Limits = Limits {
    investigate: 15,
    reinvestigate_after_objection: 20,
    community_review: 15,
    town_review: 15,
    city_opinion: 10,
    decision_after_publicity: 3,
    refusal_notice: 3,
    town_total: Some(15),
    decision_total: Some(30),
    decision_total_extended: Some(45),
};

/// The limits of a category under a rule set: under 2012 tekun has `TEKUN_LIMITS` and every other
/// category `LIMITS`; under 2021 every category has `LIMITS_2021`.
pub fn limits_for(rules: RuleSet, category: Category) -> &'static Limits {
    match (rules, category) {
        (RuleSet::Y2012, Category::Tekun) => &TEKUN_LIMITS,
        (RuleSet::Y2012, _) => &LIMITS,
        (RuleSet::Y2021, _) => &LIMITS_2021,
    }
}

/// When the work of the new stage falls due, counted from the day its previous step was done.
pub fn due_date(
    cal: &WorkCalendar,
    stage: Stage,
    entered_on: NaiveDate,
    via: Action,
    limits: &Limits,
) -> Option<NaiveDate> {
    let wd = |n| Some(cal.add_working_days(entered_on, n));
    match stage {
        Stage::Submitted => wd(limits.refusal_notice.max(1)),
        Stage::Accepted if via == Action::Object => wd(limits.reinvestigate_after_objection),
        Stage::Accepted => wd(limits.investigate),
        Stage::Investigated => wd(limits.community_review),
        Stage::Reviewed => wd(limits.town_review),
        // the publicity runs 7 calendar days; whoever closes it has the decision limit after that
        Stage::TownPublicity | Stage::CityPublicity => Some(cal.add_working_days(
            entered_on + Duration::days(PUBLICITY_DAYS - 1),
            limits.decision_after_publicity,
        )),
        Stage::CityReview => wd(limits.city_opinion),
        Stage::Approved | Stage::Refused => None,
    }
}

/// What the overall limits of `due_date_with` count from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timeline {
    /// The acceptance date; `None` before acceptance (or when unknown: then only the stage's own limit applies).
    pub accepted_on: Option<NaiveDate>,
    /// The date the last objection re-opened the investigation: the town's stages then fall due
    /// `reinvestigate_after_objection` working days after it instead of `town_total` after acceptance.
    pub reopened_on: Option<NaiveDate>,
    /// The decision limit was extended with a recorded reason.
    pub extended: bool,
}

/// `due_date`, capped by the overall limits of `limits` (the 2021 ones; with `LIMITS` and `TEKUN_LIMITS`
/// it is `due_date`): a town stage (accepted, investigated, reviewed) falls due at the latest
/// `town_total` working days after acceptance (after a re-opening, `reinvestigate_after_objection`
/// after it), and every stage after acceptance at the latest `decision_total` (extended:
/// `decision_total_extended`) working days after acceptance. A capped date may already have passed
/// when the stage is entered: the application is then overdue, which is what the limit says.
pub fn due_date_with(
    cal: &WorkCalendar,
    stage: Stage,
    entered_on: NaiveDate,
    via: Action,
    limits: &Limits,
    t: &Timeline,
) -> Option<NaiveDate> {
    let own = due_date(cal, stage, entered_on, via, limits)?;
    if stage == Stage::Submitted {
        return Some(own);
    }
    let accepted = match t.accepted_on {
        Some(a) => a,
        None if stage == Stage::Accepted && via == Action::Accept => entered_on,
        None => return Some(own),
    };
    let mut due = own;
    if matches!(
        stage,
        Stage::Accepted | Stage::Investigated | Stage::Reviewed
    ) {
        let town = match t.reopened_on {
            Some(r) => limits
                .town_total
                .map(|_| cal.add_working_days(r, limits.reinvestigate_after_objection)),
            None => limits.town_total.map(|n| cal.add_working_days(accepted, n)),
        };
        if let Some(town) = town {
            due = due.min(town);
        }
    }
    let total = if t.extended {
        limits.decision_total_extended
    } else {
        limits.decision_total
    };
    if let Some(n) = total {
        due = due.min(cal.add_working_days(accepted, n));
    }
    Some(due)
}

/// The city's spot-check sample: at least 30 %, random but reproducible (a hash of the application id and
/// the year's seed), plus every application of a registered close relative of staff.
pub fn spot_check_selected(
    application_id: &str,
    seed: &str,
    staff_relative: bool,
    percent: u64,
) -> bool {
    if staff_relative {
        return true;
    }
    // FNV-1a: stable across platforms and releases, unlike std's hasher.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in seed.bytes().chain([0u8]).chain(application_id.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h % 100 < percent
}

#[cfg(test)]
mod tests {
    #[test]
    fn actions_by_stage() {
        use Action as A;
        use Stage as S;
        assert_eq!(
            actions_in(S::Submitted, RuleSet::Y2012),
            vec![A::Accept, A::Refuse]
        );
        assert_eq!(
            next_moves(S::Investigated, RuleSet::Y2012),
            vec![A::CommunityReview]
        );
        assert_eq!(
            next_moves(S::Investigated, RuleSet::Y2021),
            vec![A::CommunityReview, A::TownApprove]
        );
        assert_eq!(
            next_moves(S::Accepted, RuleSet::Y2012),
            vec![A::Visit, A::Check]
        );
        assert!(actions_in(S::Approved, RuleSet::Y2021).is_empty());
        assert!(actions_in(S::Refused, RuleSet::Y2012).is_empty());
        assert_eq!(office_for(A::Refuse, S::CityReview), Office::City);
        assert_eq!(office_for(A::Refuse, S::Accepted), Office::Town);
        assert_eq!(office_for(A::Check, S::CityPublicity), Office::City);
        assert_eq!(office_for(A::Check, S::Investigated), Office::VillageOrTown);
    }

    proptest::proptest! {
        /// What `actions_in` offers is never refused as the wrong stage, and what it leaves out always is,
        /// whatever the progress and the date.
        #[test]
        fn offered_actions_are_the_machine_s(
            s in 0usize..9, a in 0usize..11, visited: bool, checked: bool, required: bool, done: bool,
            started in 0i64..40, day in 0i64..40, y2021: bool,
        ) {
            let rules = if y2021 { RuleSet::Y2021 } else { RuleSet::Y2012 };
            let (stage, action) = (Stage::ALL[s], Action::ALL[a]);
            let base = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
            let p = Progress {
                visited, checked, spot_check_required: required, spot_checked: done,
                publicity_started: Some(base + Duration::days(started)),
            };
            let r = next_stage_with(stage, action, &p, base + Duration::days(day), rules);
            let wrong = matches!(r, Err(StepError::WrongStage(..)));
            proptest::prop_assert_eq!(wrong, !actions_in(stage, rules).contains(&action));
            // a next move is always an offered action
            proptest::prop_assert!(next_moves(stage, rules).iter().all(|m| actions_in(stage, rules).contains(m)));
        }
    }

    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::from_csv(include_str!("../../../data/holidays-2020.csv")).unwrap()
    }

    #[test]
    fn the_happy_path_in_order() {
        let mut p = Progress::default();
        let on = d("2020-06-01");
        let mut s = Stage::Submitted;
        s = next_stage(s, Action::Accept, &p, on).unwrap();
        assert_eq!(s, Stage::Accepted);
        s = next_stage(s, Action::Visit, &p, on).unwrap();
        p.visited = true;
        assert_eq!(s, Stage::Accepted, "still waiting for the check");
        s = next_stage(s, Action::Check, &p, on).unwrap();
        p.checked = true;
        assert_eq!(s, Stage::Investigated);
        s = next_stage(s, Action::CommunityReview, &p, on).unwrap();
        s = next_stage(s, Action::TownApprove, &p, on).unwrap();
        assert_eq!(s, Stage::TownPublicity);
        p.publicity_started = Some(on);
        assert_eq!(
            next_stage(s, Action::TownPublicityEnd, &p, d("2020-06-07")),
            Err(StepError::PublicityRunning(d("2020-06-08")))
        );
        s = next_stage(s, Action::TownPublicityEnd, &p, d("2020-06-08")).unwrap();
        assert_eq!(s, Stage::CityReview);
        s = next_stage(s, Action::CityApprove, &p, d("2020-06-09")).unwrap();
        p.publicity_started = Some(d("2020-06-09"));
        s = next_stage(s, Action::Decide, &p, d("2020-06-16")).unwrap();
        assert_eq!(s, Stage::Approved);
        assert!(next_stage(s, Action::Refuse, &p, on).is_err());
    }

    #[test]
    fn no_approval_without_a_check_or_spot_check() {
        let p = Progress {
            visited: true,
            ..Default::default()
        };
        assert_eq!(
            next_stage(Stage::Reviewed, Action::TownApprove, &p, d("2020-06-01")),
            Err(StepError::NoCheck)
        );
        assert_eq!(
            next_stage(Stage::CityReview, Action::CityApprove, &p, d("2020-06-01")),
            Err(StepError::NoCheck)
        );
        let p = Progress {
            visited: true,
            checked: true,
            spot_check_required: true,
            ..Default::default()
        };
        assert_eq!(
            next_stage(Stage::CityReview, Action::CityApprove, &p, d("2020-06-01")),
            Err(StepError::NoSpotCheck)
        );
    }

    #[test]
    fn objection_reopens_investigation_with_20_working_days() {
        let p = Progress::default();
        assert_eq!(
            next_stage(Stage::CityPublicity, Action::Object, &p, d("2020-06-01")),
            Ok(Stage::Accepted)
        );
        let due = due_date(
            &cal(),
            Stage::Accepted,
            d("2020-06-01"),
            Action::Object,
            &LIMITS,
        )
        .unwrap();
        // 20 working days from Mon 1 June 2020: the Dragon Boat holiday (25–27 June) is skipped and the
        // make-up Sunday 28 June counts
        assert_eq!(due, d("2020-06-30"));
    }

    #[test]
    fn deadlines_follow_the_holiday_calendar() {
        let c = cal();
        // accepted Mon 28 Sep 2020: 29, 30 Sep, (1–8 Oct off), 9, Sat 10 Oct (make-up), 12–16, 19 Oct
        assert_eq!(
            due_date(
                &c,
                Stage::Accepted,
                d("2020-09-28"),
                Action::Accept,
                &LIMITS
            ),
            Some(d("2020-10-19"))
        );
        // the tekun investigation has 15
        assert_eq!(
            due_date(
                &c,
                Stage::Accepted,
                d("2020-09-28"),
                Action::Accept,
                &TEKUN_LIMITS
            ),
            Some(d("2020-10-26"))
        );
        // a make-up workday counts: accepted Friday 17 Jan 2020, Sunday 19 Jan is a workday
        assert_eq!(
            due_date(
                &c,
                Stage::Investigated,
                d("2020-01-17"),
                Action::Check,
                &LIMITS
            ),
            Some(d("2020-01-23"))
        );
    }

    /// 2021's Mid-Autumn and National Day holidays with their make-up days.
    fn cal_2021() -> WorkCalendar {
        WorkCalendar::from_csv(
            "date,kind,name\n2021-09-18,workday,中秋调休上班\n2021-09-19,off,中秋节\n2021-09-20,off,中秋节\n\
             2021-09-21,off,中秋节\n2021-09-26,workday,国庆调休上班\n2021-10-01,off,国庆节\n2021-10-02,off,国庆节\n\
             2021-10-03,off,国庆节\n2021-10-04,off,国庆节\n2021-10-05,off,国庆节\n2021-10-06,off,国庆节\n\
             2021-10-07,off,国庆节\n2021-10-09,workday,国庆调休上班\n",
        )
        .unwrap()
    }

    #[test]
    fn community_review_is_optional_under_2021_only() {
        let on = d("2021-07-05");
        let done = Progress {
            visited: true,
            checked: true,
            ..Default::default()
        };
        // 2021: straight to the town's first review, or through a 民主评议
        assert_eq!(
            next_stage_with(
                Stage::Investigated,
                Action::TownApprove,
                &done,
                on,
                RuleSet::Y2021
            ),
            Ok(Stage::TownPublicity)
        );
        assert_eq!(
            next_stage_with(
                Stage::Investigated,
                Action::CommunityReview,
                &done,
                on,
                RuleSet::Y2021
            ),
            Ok(Stage::Reviewed)
        );
        assert_eq!(
            next_stage_with(
                Stage::Reviewed,
                Action::TownApprove,
                &done,
                on,
                RuleSet::Y2021
            ),
            Ok(Stage::TownPublicity)
        );
        // still no first review without the check (先核再救) and the visit
        let unchecked = Progress {
            visited: true,
            ..Default::default()
        };
        assert_eq!(
            next_stage_with(
                Stage::Investigated,
                Action::TownApprove,
                &unchecked,
                on,
                RuleSet::Y2021
            ),
            Err(StepError::NoCheck)
        );
        let unvisited = Progress {
            checked: true,
            ..Default::default()
        };
        assert_eq!(
            next_stage_with(
                Stage::Investigated,
                Action::TownApprove,
                &unvisited,
                on,
                RuleSet::Y2021
            ),
            Err(StepError::NoVisit)
        );
        // 2012: the review is required
        let e = next_stage_with(
            Stage::Investigated,
            Action::TownApprove,
            &done,
            on,
            RuleSet::Y2012,
        );
        assert_eq!(
            e,
            Err(StepError::WrongStage(
                "已调查，待民主评议",
                "镇(街道)初审并公示"
            ))
        );
        assert_eq!(
            next_stage(Stage::Investigated, Action::TownApprove, &done, on),
            e
        );
        assert_eq!(
            Stage::Investigated.label_for(RuleSet::Y2021),
            "已调查，待镇初审(可民主评议)"
        );
        assert_eq!(
            Stage::Reviewed.label_for(RuleSet::Y2021),
            Stage::Reviewed.label()
        );
    }

    #[test]
    fn next_stage_is_the_2012_rules_and_2021_differs_in_one_step() {
        let on = d("2021-07-05");
        let progresses = [
            Progress::default(),
            Progress {
                visited: true,
                checked: true,
                ..Default::default()
            },
            Progress {
                visited: true,
                checked: true,
                spot_check_required: true,
                spot_checked: false,
                publicity_started: Some(d("2021-06-20")),
            },
        ];
        for stage in Stage::ALL {
            for action in Action::ALL {
                for p in &progresses {
                    let old = next_stage(stage, action, p, on);
                    assert_eq!(old, next_stage_with(stage, action, p, on, RuleSet::Y2012));
                    let new = next_stage_with(stage, action, p, on, RuleSet::Y2021);
                    if (stage, action) == (Stage::Investigated, Action::TownApprove) {
                        assert!(old.is_err());
                    } else {
                        // the same answer; a refusal names the stage by its 2021 label
                        let unlabelled = |r: Result<Stage, StepError>| {
                            r.map_err(|e| match e {
                                StepError::WrongStage(_, a) => StepError::WrongStage("", a),
                                e => e,
                            })
                        };
                        assert_eq!(unlabelled(old), unlabelled(new), "{stage:?} {action:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn limits_by_rule_set_and_category() {
        assert_eq!(limits_for(RuleSet::Y2012, Category::Tekun), &TEKUN_LIMITS);
        assert_eq!(limits_for(RuleSet::Y2012, Category::Dibao), &LIMITS);
        assert_eq!(limits_for(RuleSet::Y2012, Category::Temporary), &LIMITS);
        for c in Category::ALL {
            assert_eq!(limits_for(RuleSet::Y2021, *c), &LIMITS_2021);
        }
        assert_eq!(LIMITS_2021.town_total, Some(15));
        assert_eq!(LIMITS_2021.city_opinion, 10);
        assert_eq!(LIMITS_2021.decision_total, Some(30));
        assert_eq!(LIMITS_2021.decision_total_extended, Some(45));
        assert_eq!(TEKUN_LIMITS.decision_total, None);
    }

    #[test]
    fn due_dates_under_2021() {
        let c = cal_2021();
        let l = &LIMITS_2021;
        // accepted Mon 5 July 2021 (no holidays in July)
        let acc = d("2021-07-05");
        let t = Timeline {
            accepted_on: Some(acc),
            ..Default::default()
        };
        let due = |stage, on: &str, via| due_date_with(&c, stage, d(on), via, l, &t);
        // the town: investigation and initial opinion within 15 working days of acceptance
        assert_eq!(
            due(Stage::Accepted, "2021-07-05", Action::Accept),
            Some(d("2021-07-26"))
        );
        // without a Timeline the acceptance is the day the application entered Accepted
        assert_eq!(
            due_date_with(
                &c,
                Stage::Accepted,
                acc,
                Action::Accept,
                l,
                &Timeline::default()
            ),
            Some(d("2021-07-26"))
        );
        // investigated on 12 July: still due on the 26th, with or without a 民主评议
        assert_eq!(
            due(Stage::Investigated, "2021-07-12", Action::Check),
            Some(d("2021-07-26"))
        );
        assert_eq!(
            due(Stage::Reviewed, "2021-07-20", Action::CommunityReview),
            Some(d("2021-07-26"))
        );
        // the county: 10 working days from receiving it
        assert_eq!(
            due(Stage::CityReview, "2021-07-28", Action::TownPublicityEnd),
            Some(d("2021-08-11"))
        );
        // ... but never past 30 working days from acceptance (16 August), 45 when extended (6 September)
        assert_eq!(
            due(Stage::CityReview, "2021-08-05", Action::TownPublicityEnd),
            Some(d("2021-08-16"))
        );
        let ext = Timeline {
            extended: true,
            ..t
        };
        assert_eq!(
            due_date_with(
                &c,
                Stage::CityReview,
                d("2021-08-05"),
                Action::TownPublicityEnd,
                l,
                &ext
            ),
            Some(d("2021-08-19"))
        );
        assert_eq!(
            due_date_with(
                &c,
                Stage::CityPublicity,
                d("2021-08-30"),
                Action::CityApprove,
                l,
                &ext
            ),
            Some(d("2021-09-06"))
        );
        // an objection on 2 August re-opens the investigation: 20 working days from it for the town
        let reopened = Timeline {
            reopened_on: Some(d("2021-08-02")),
            extended: true,
            ..t
        };
        assert_eq!(
            due_date_with(
                &c,
                Stage::Investigated,
                d("2021-08-10"),
                Action::Check,
                l,
                &reopened
            ),
            Some(d("2021-08-30"))
        );
        // closed stages and the submitted stage are as before
        assert_eq!(due(Stage::Approved, "2021-08-10", Action::Decide), None);
        assert_eq!(
            due(Stage::Submitted, "2021-07-01", Action::Accept),
            due_date(&c, Stage::Submitted, d("2021-07-01"), Action::Accept, l)
        );
        // working days follow the holidays: accepted Wed 22 Sep 2021, Sunday 26 Sep and Saturday 9 Oct
        // are make-up workdays, 1–7 Oct off
        assert_eq!(
            due_date_with(
                &c,
                Stage::Accepted,
                d("2021-09-22"),
                Action::Accept,
                l,
                &Timeline::default()
            ),
            Some(d("2021-10-18"))
        );
    }

    #[test]
    fn due_date_with_is_due_date_under_2012() {
        let c = cal();
        let t = Timeline {
            accepted_on: Some(d("2020-06-01")),
            reopened_on: Some(d("2020-06-10")),
            extended: false,
        };
        let mut on = d("2020-06-01");
        for _ in 0..40 {
            for stage in Stage::ALL {
                for via in Action::ALL {
                    for l in [&LIMITS, &TEKUN_LIMITS] {
                        assert_eq!(
                            due_date_with(&c, stage, on, via, l, &t),
                            due_date(&c, stage, on, via, l)
                        );
                    }
                }
            }
            on += Duration::days(3);
        }
    }

    #[test]
    fn spot_check_sample_is_reproducible_and_about_30_percent() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("app-{i}")).collect();
        let n = ids
            .iter()
            .filter(|i| spot_check_selected(i, "2020", false, 30))
            .count();
        assert!((2_800..=3_200).contains(&n), "{n}");
        let again = ids
            .iter()
            .filter(|i| spot_check_selected(i, "2020", false, 30))
            .count();
        assert_eq!(n, again);
        assert!(ids.iter().all(|i| spot_check_selected(i, "2020", true, 30)));
    }
}
