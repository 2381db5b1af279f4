//! The application workflow of DOMAIN.md §4.6 (民发〔2012〕220号) as a pure state machine:
//! which action is allowed in which stage, by whom, and when the next step falls due.

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

/// The stage after `action`, or why it is not allowed now.
pub fn next_stage(
    stage: Stage,
    action: Action,
    p: &Progress,
    on: NaiveDate,
) -> Result<Stage, StepError> {
    use Action as A;
    use Stage as S;
    let wrong = || StepError::WrongStage(stage.label(), action.label());
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

/// Time limits in working days (DOMAIN.md §4.6); tekun has its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub investigate: u32,
    pub reinvestigate_after_objection: u32,
    pub community_review: u32,
    pub town_review: u32,
    pub city_opinion: u32,
    pub decision_after_publicity: u32,
    pub refusal_notice: u32,
}

pub const LIMITS: Limits = Limits {
    investigate: 10,
    reinvestigate_after_objection: 20,
    community_review: 5,
    town_review: 5,
    city_opinion: 5,
    decision_after_publicity: 3,
    refusal_notice: 3,
};

pub const TEKUN_LIMITS: Limits = Limits {
    investigate: 15,
    city_opinion: 15,
    ..LIMITS
};

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
