//! Code lists and the validated household the rules work on.

use crate::idnumber::IdNumber;
use crate::money::Fen;
use chrono::NaiveDate;

// A closed code list: wire code (as in ASSESSMENT-API.md), Chinese label, serde as the code.
use crate::wire::code_list as code_enum;

code_enum! {
    /// Relation to the applicant.
    Relation {
        /// The applicant (本人); `self` on the wire.
        Applicant = "self" / "本人",
        Spouse = "spouse" / "配偶",
        Child = "child" / "子女",
        Parent = "parent" / "父母",
        Grandparent = "grandparent" / "(外)祖父母",
        Grandchild = "grandchild" / "(外)孙子女",
        Sibling = "sibling" / "兄弟姐妹",
        Other = "other" / "其他",
    }
}

code_enum! {
    /// Only `Normal` members belong to the household for the calculation (§4.3).
    MemberStatus {
        Normal = "normal" / "正常",
        Prison = "prison" / "服刑",
        DrugRehab = "drug_rehab" / "强制隔离戒毒",
        Missing = "missing" / "宣告失踪",
        ReligiousAway = "religious_away" / "宗教教职人员离家",
    }
}

code_enum! {
    DisabilityKind {
        Limb = "limb" / "肢体",
        Visual = "visual" / "视力",
        Hearing = "hearing" / "听力",
        Speech = "speech" / "言语",
        Intellectual = "intellectual" / "智力",
        Mental = "mental" / "精神",
        Multiple = "multiple" / "多重",
    }
}

code_enum! {
    VehicleKind {
        Car = "car" / "小汽车",
        Truck = "truck" / "货车",
        Motorcycle = "motorcycle" / "摩托车",
        Mobility = "mobility" / "残疾人机动轮椅车",
        Farm = "farm" / "农用车",
    }
}

impl VehicleKind {
    /// Mobility vehicles, motorcycles and farm vehicles are tools of living, not wealth (§4.3).
    pub fn disqualifies(self) -> bool {
        matches!(self, VehicleKind::Car | VehicleKind::Truck)
    }
}

code_enum! {
    /// Assistance categories. `Temporary` exists for the workflow; the assessment never returns it.
    Category {
        Tekun = "tekun" / "特困人员救助供养",
        Dibao = "dibao" / "最低生活保障",
        DibaoSingle = "dibao_single" / "单人保",
        Expenditure = "expenditure" / "支出型贫困家庭",
        LowIncome = "low_income" / "低收入家庭",
        Temporary = "temporary" / "临时救助",
    }
}

impl Category {
    /// The assessed categories in order of preference: `best` is the first eligible one.
    pub const ASSESSED: [Category; 5] = [
        Category::Tekun,
        Category::Dibao,
        Category::DibaoSingle,
        Category::Expenditure,
        Category::LowIncome,
    ];
}

code_enum! {
    ReasonCode {
        Vehicle = "VEHICLE" / "有机动车",
        ResidentialProperty = "RESIDENTIAL_PROPERTY" / "有两套及以上住房",
        CommercialProperty = "COMMERCIAL_PROPERTY" / "有商业用房",
        Enterprise = "ENTERPRISE" / "担任企业法定代表人或股东",
        PublicPayroll = "PUBLIC_PAYROLL" / "有财政供养人员",
        FinancialAssets = "FINANCIAL_ASSETS" / "金融资产超过限额",
        IncomeAboveStandard = "INCOME_ABOVE_STANDARD" / "收入不低于低保标准",
        IncomeAboveLowIncomeLine = "INCOME_ABOVE_LOW_INCOME_LINE" / "收入不低于低收入标准",
        NotSinglePerson = "NOT_SINGLE_PERSON" / "不是单人户",
        AbleToWork = "ABLE_TO_WORK" / "有劳动能力",
        HasSupporter = "HAS_SUPPORTER" / "有具备能力的义务人",
        NoQualifyingMember = "NO_QUALIFYING_MEMBER" / "没有符合条件的成员",
        NotEnoughExpenditure = "NOT_ENOUGH_EXPENDITURE" / "刚性支出不足",
        CoveredByHigherCategory = "COVERED_BY_HIGHER_CATEGORY" / "已符合更高类别",
    }
}

code_enum! {
    /// Self-care tier from the 6 daily activities (§4.4).
    CareTier {
        SelfCare = "self_care" / "全自理",
        PartlyDisabled = "partly_disabled" / "半失能",
        FullyDisabled = "fully_disabled" / "全失能",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disability {
    pub kind: DisabilityKind,
    /// 1 (most severe) to 4.
    pub grade: u8,
}

/// Monthly averages over the last 12 months, in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonthlyIncome {
    /// After income tax and own social insurance, before the employment cost deduction.
    pub wage: Fen,
    pub business: Fen,
    pub property: Fen,
    pub transfer: Fen,
    /// Income for dibao / low_income / expenditure, not for tekun.
    pub basic_pension: Fen,
    /// Never counted (优待抚恤金, scholarships, 高龄津贴 …); recorded only.
    pub excluded: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id_number: IdNumber,
    pub relation: Relation,
    pub status: MemberStatus,
    pub employed: bool,
    pub disability: Option<Disability>,
    pub serious_illness: bool,
    /// Daily activities (of 6) the member cannot do alone.
    pub self_care_unmet: u8,
    pub has_capable_supporter: bool,
    pub public_payroll: bool,
    pub monthly_income: MonthlyIncome,
}

impl Member {
    /// Whether the member belongs to the household for the calculation.
    pub fn is_counted(&self) -> bool {
        self.status == MemberStatus::Normal
    }
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        self.id_number.age_on(on)
    }
    pub fn disability_grade(&self) -> Option<u8> {
        self.disability.map(|d| d.grade)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assets {
    /// Deposits, securities, funds, insurance cash value, claims owed — whole household.
    pub financial: Fen,
    pub vehicles: Vec<VehicleKind>,
    pub residential_properties: u32,
    pub commercial_properties: u32,
    /// Enterprises where a member is legal representative or shareholder.
    pub enterprise_roles: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    pub area_code: String,
    pub members: Vec<Member>,
    pub assets: Assets,
    /// Out-of-pocket medical, education and rehabilitation cost of the last 12 months.
    pub annual_rigid_expenditure: Fen,
}

impl Household {
    /// Counted members with their index in `members`.
    pub fn counted(&self) -> impl Iterator<Item = (usize, &Member)> {
        self.members
            .iter()
            .enumerate()
            .filter(|(_, m)| m.is_counted())
    }
    pub fn counted_len(&self) -> usize {
        self.counted().count()
    }
}

/// A request that passed `validate`: every rule can rely on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRequest {
    pub as_of: NaiveDate,
    pub household: Household,
}
