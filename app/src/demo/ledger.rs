//! The demo city's ledger, reproducing the seed: 126 problems across the units, 88
//! closed on time, the rest still open or closed late, the leftovers concentrated in
//! two districts (兴化市 and 泰兴市); some policy-caused items digesting by schedule;
//! some extension requests. Every item walks its real lifecycle through the service,
//! at dates in the past, so its history and hash chain are the real thing.

use crate::AppError;
use crate::auth::{PartnerDept, Role, Scope, SessionUser};
use crate::db::{Db, key_of};
use crate::ledger::service as ledger;
use crate::ledger::{DigestInput, MeasureInput, NewItem, PlanInput, ProgressInput, Upload};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::path::Path;
use surrealdb::types::{RecordId, SurrealValue};

const TOTAL: usize = 126;
const CLOSED_ON_TIME: usize = 88;
const CLOSED_LATE: usize = 8;
/// District codes where the leftovers concentrate.
const LEFTOVER_DISTRICTS: [&str; 2] = ["XH", "TX"];

const EVIDENCE_PNG: &[u8] = include_bytes!("evidence.png");

/// A tiny deterministic generator, so the demo city is the same on every machine.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "朱", "马", "胡", "郭", "何",
];
const GIVEN: &[&str] = &[
    "建华", "志强", "海燕", "晓东", "丽娟", "国平", "文杰", "秀英", "永明", "春梅", "立新", "红霞",
];

fn person(d: &mut Dice) -> String {
    format!("{}{}", d.pick(SURNAMES), d.pick(GIVEN))
}

/// (category, nature, description, quantity)
fn problem(d: &mut Dice, policy: bool) -> (&'static str, &'static str, String, Option<u32>) {
    if policy {
        let n = 2 + d.below(9) as u32;
        let text = match d.below(3) {
            0 => format!("机构改革后人员划转形成超编 {n} 名,需通过自然减员逐步消化"),
            1 => format!("安置军队转业干部形成超编 {n} 名,按计划分步消化"),
            _ => format!("事业单位整合后超出核定编制 {n} 名,暂无空编可用"),
        };
        return ("over_establishment", "policy_caused", text, Some(n));
    }
    let n = 1 + d.below(6) as u32;
    match d.below(6) {
        0 => {
            let body = d.pick(&[
                "综合协调科",
                "项目推进中心",
                "数据管理科",
                "督查室",
                "服务保障中心",
            ]);
            (
                "over_authority",
                "violation",
                format!("未经批准擅自设立“{body}”等内设机构 {n} 个"),
                Some(n),
            )
        }
        1 => (
            "excess_leaders",
            "violation",
            format!("超职数配备副职领导干部 {n} 名"),
            Some(n),
        ),
        2 => {
            let title = d.pick(&["总监", "总工程师", "执行主任", "首席专家", "常务副主任"]);
            (
                "invented_titles",
                "violation",
                format!("自行设置“{title}”等领导职务名称,明确享受相应待遇"),
                None,
            )
        }
        3 => (
            "over_establishment",
            "violation",
            format!("超出核定编制进入事业人员 {n} 名,未办理用编审批手续"),
            Some(n),
        ),
        4 => {
            let m = 3 + d.below(40) as u32;
            (
                "irregular_hiring",
                "violation",
                format!("违规使用编外人员 {m} 名从事行政执法和管理工作"),
                Some(m),
            )
        }
        _ => (
            "not_implemented",
            "violation",
            "机构编制事项批复后未按要求撤并内设机构、核减编制".to_string(),
            None,
        ),
    }
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct UnitRow {
    id: RecordId,
    name: String,
    code: String,
}

/// How far an open item has got.
#[derive(Clone, Copy)]
enum Stage {
    Issued,
    Acknowledged,
    PlanReview,
    Working,
    ClosureRequested,
}

fn at(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    // Office hours in Shanghai are 8 hours ahead of UTC.
    let naive = date
        .and_hms_opt(hour.saturating_sub(8), 30, 0)
        .unwrap_or_default();
    Utc.from_utc_datetime(&naive)
}

fn date(s: &str) -> NaiveDate {
    crate::ledger::calendar::parse_date(s).unwrap_or_default()
}

/// A stand-in for each unit's head, who acts on the unit's items in the demo. These
/// accounts cannot sign in (their password hash is not a hash).
async fn unit_head(db: &Db, unit: &UnitRow, name: &str) -> Result<SessionUser, AppError> {
    let username = format!("demo-{}", key_of(&unit.id));
    let id: Option<RecordId> = db
        .query(
            "CREATE ONLY user SET username = $username, display_name = $name, password_hash = '!',
                role = 'unit_head', scope_unit = $unit, locale = 'zh', failed_attempts = 0,
                created_at = time::now() RETURN VALUE id",
        )
        .bind(("username", username.clone()))
        .bind(("name", name.to_string()))
        .bind(("unit", unit.id.clone()))
        .await?
        .check()?
        .take(0)?;
    let id = id.ok_or_else(|| AppError::internal("demo unit head not created"))?;
    Ok(SessionUser {
        id: key_of(&id),
        username,
        display_name: name.to_string(),
        role: Role::UnitHead,
        scope: Scope::Unit {
            id: key_of(&unit.id),
            name: unit.name.clone(),
            district_id: String::new(),
            district_name: String::new(),
        },
    })
}

async fn demo_user(db: &Db, username: &str) -> Result<SessionUser, AppError> {
    let id: Option<RecordId> = db
        .query("SELECT VALUE id FROM user WHERE username = $u LIMIT 1")
        .bind(("u", username.to_string()))
        .await?
        .check()?
        .take(0)?;
    let id = id.ok_or_else(|| AppError::internal(format!("demo account {username} missing")))?;
    crate::auth::service::load_session_user(db, &id)
        .await?
        .ok_or_else(|| AppError::internal("demo account unreadable"))
}

/// Load the demo ledger unless there is one. Call after [`super::ensure_demo_city`].
pub async fn ensure_demo_ledger(db: &Db, files_dir: &Path) -> Result<(), AppError> {
    let existing: Option<i64> = db
        .query("RETURN count((SELECT VALUE id FROM item))")
        .await?
        .check()?
        .take(0)?;
    if existing.unwrap_or(0) > 0 {
        return Ok(());
    }
    let central = demo_user(db, "central").await?;
    let division = demo_user(db, "division").await?;
    let inspection = demo_user(db, "inspection").await?;
    let organisation = demo_user(db, "orgdept").await?;
    let own_unit_head = demo_user(db, "unithead").await?;
    let units: Vec<UnitRow> = db
        .query("SELECT id, name, district.code AS code FROM unit ORDER BY code, name")
        .await?
        .check()?
        .take(0)?;
    let (leftover_units, other_units): (Vec<&UnitRow>, Vec<&UnitRow>) = units
        .iter()
        .partition(|u| LEFTOVER_DISTRICTS.contains(&u.code.as_str()));
    let mut dice = Dice(20_260_301);
    let mut heads: std::collections::HashMap<String, SessionUser> =
        std::collections::HashMap::new();
    let open_total = TOTAL - CLOSED_ON_TIME - CLOSED_LATE;
    for n in 0..TOTAL {
        let closed_on_time = n < CLOSED_ON_TIME;
        let closed_late = !closed_on_time && n < CLOSED_ON_TIME + CLOSED_LATE;
        let open_index = n.saturating_sub(CLOSED_ON_TIME + CLOSED_LATE);
        // Leftovers: most open items sit in the two districts; the unit of the demo unit
        // head gets two of its own so that the phone home is not empty.
        let unit: &UnitRow = if !closed_on_time && !closed_late {
            if open_index < 2 {
                units
                    .iter()
                    .find(|u| u.name == "海陵区教育局")
                    .unwrap_or(&units[0])
            } else if open_index < open_total - 5 {
                leftover_units[dice.below(leftover_units.len())]
            } else {
                other_units[dice.below(other_units.len())]
            }
        } else {
            &units[dice.below(units.len())]
        };
        let is_open = !closed_on_time && !closed_late;
        let policy = n % 9 == 4 || (is_open && open_index % 8 == 5);
        let (category, nature, description, quantity) = problem(&mut dice, policy);
        let found = date("2026-03-02") + Duration::days(dice.below(150) as i64);
        let months = if policy { 14 } else { 4 + dice.below(3) as i64 };
        let mut deadline = found + Duration::days(30 * months);
        if !closed_on_time && !closed_late && open_index >= 2 && open_index % 3 == 0 && !policy {
            // Some open items are overdue today.
            deadline = date("2026-11-27") - Duration::days(1 + dice.below(40) as i64);
        }
        let head_name = person(&mut dice);
        let head = if unit.name == "海陵区教育局" {
            own_unit_head.clone()
        } else if let Some(h) = heads.get(&unit.name) {
            h.clone()
        } else {
            let h = unit_head(db, unit, &head_name).await?;
            heads.insert(unit.name.clone(), h.clone());
            h
        };
        let registrar = if category == "not_implemented" {
            &division
        } else {
            &central
        };
        let source = match (category, n % 4) {
            ("not_implemented", _) => "approval_follow_up",
            (_, 0) => "inspection_tour",
            (_, 1) => "staffing_check",
            (_, 2) => "selection_check",
            _ => "on_site",
        };
        let input = NewItem {
            unit: key_of(&unit.id),
            source: source.into(),
            category: category.into(),
            nature: nature.into(),
            description,
            legal_basis: "《机构编制工作条例》《江苏省机构编制监督检查工作办法》".into(),
            quantity: quantity.map(|q| q.to_string()).unwrap_or_default(),
            found_on: crate::ledger::calendar::format_date(found),
            found_in: "2026 年机构编制专项监督检查".into(),
            deadline: crate::ledger::calendar::format_date(deadline),
            supervising_office: "监督检查处".into(),
            head_name: head.display_name.clone(),
            handler_name: person(&mut dice),
            handler_phone: format!("0523-8{:07}", dice.below(10_000_000)),
            recurrence_of: String::new(),
        };
        let t0 = at(found + Duration::days(3), 9);
        let (id, _) = ledger::register_item(db, registrar, &input, t0).await?;
        let stage = if closed_on_time || closed_late {
            None
        } else {
            Some(match open_index % 8 {
                0 | 1 => Stage::Issued,
                2 => Stage::Acknowledged,
                3 => Stage::PlanReview,
                7 => Stage::ClosureRequested,
                _ => Stage::Working,
            })
        };
        // The unit's own two open items: one to acknowledge, one being worked on.
        let stage = match (open_index, stage) {
            (0, Some(_)) => Some(Stage::Issued),
            (1, Some(_)) => Some(Stage::Working),
            (_, s) => s,
        };
        ledger::issue(db, &central, &id, at(found + Duration::days(4), 10)).await?;
        if matches!(stage, Some(Stage::Issued)) {
            continue;
        }
        let ack = found + Duration::days(6);
        ledger::acknowledge(db, &head, &id, at(ack, 9)).await?;
        if matches!(stage, Some(Stage::Acknowledged)) {
            continue;
        }
        let plan_day = found + Duration::days(10);
        let plan = if policy {
            let q = quantity.unwrap_or(4) as i64;
            PlanInput {
                digest: vec![
                    DigestInput {
                        period: "2026-12".into(),
                        target: (q * 2 / 3).to_string(),
                    },
                    DigestInput {
                        period: "2027-06".into(),
                        target: (q / 3).to_string(),
                    },
                    DigestInput {
                        period: "2027-12".into(),
                        target: "0".into(),
                    },
                ],
                next_review: crate::ledger::calendar::format_date(date("2026-12-15")),
                ..PlanInput::default()
            }
        } else {
            let dues =
                crate::ledger::calendar::reverse_schedule(deadline.max(plan_day), plan_day, 2);
            let owner = person(&mut dice);
            PlanInput {
                measures: vec![
                    MeasureInput {
                        what: "逐一核查,制定清理规范方案并报批".into(),
                        due: dues
                            .first()
                            .map(|d| crate::ledger::calendar::format_date(*d))
                            .unwrap_or_default(),
                        owner,
                    },
                    MeasureInput {
                        what: "落实整改,完善内部管理制度,防止问题反弹".into(),
                        due: dues
                            .last()
                            .map(|d| crate::ledger::calendar::format_date(*d))
                            .unwrap_or_default(),
                        owner: head.display_name.clone(),
                    },
                ],
                ..PlanInput::default()
            }
        };
        ledger::submit_plan(db, &head, &id, &plan, at(plan_day, 15)).await?;
        if matches!(stage, Some(Stage::PlanReview)) {
            continue;
        }
        ledger::approve_plan(db, &central, &id, at(plan_day + Duration::days(2), 10)).await?;
        // Some items ask for more time; the central office decides most of them.
        if n % 11 == 3 && !closed_on_time {
            let asked = deadline.max(date("2026-11-27")) + Duration::days(60);
            let when = plan_day + Duration::days(20);
            ledger::request_extension(
                db,
                &head,
                &id,
                "涉及人员安置,需协调编制资源",
                &crate::ledger::calendar::format_date(asked),
                at(when, 11),
            )
            .await?;
            match n % 3 {
                0 => {
                    ledger::decide_extension(
                        db,
                        &central,
                        &id,
                        true,
                        "同意延期,请抓紧落实",
                        at(when + Duration::days(2), 16),
                    )
                    .await?
                }
                1 => {
                    ledger::decide_extension(
                        db,
                        &central,
                        &id,
                        false,
                        "理由不充分,请按原期限完成",
                        at(when + Duration::days(2), 16),
                    )
                    .await?
                }
                _ => {}
            }
        }
        let report_day = if closed_on_time {
            (deadline - Duration::days(10 + dice.below(20) as i64))
                .max(plan_day + Duration::days(5))
        } else if closed_late {
            deadline + Duration::days(5 + dice.below(20) as i64)
        } else {
            (plan_day + Duration::days(20)).min(date("2026-11-20"))
        };
        let remaining = if closed_on_time || closed_late {
            Some(0)
        } else {
            quantity.map(|q| i64::from(q / 2))
        };
        let files = vec![Upload::from_bytes(files_dir, "整改佐证.png", EVIDENCE_PNG).await?];
        ledger::report_progress(
            db,
            &head,
            &id,
            &ProgressInput {
                text: if remaining == Some(0) {
                    "整改措施已全部落实,相关文件和花名册已报送".into()
                } else {
                    "已制定清理方案,正在分批落实".into()
                },
                remaining: remaining.map(|r| r.to_string()).unwrap_or_default(),
                reasons: String::new(),
                next_steps: "按计划继续推进".into(),
            },
            &files,
            files_dir,
            at(report_day, 10),
        )
        .await?;
        if matches!(stage, Some(Stage::Working)) {
            continue;
        }
        ledger::request_closure(
            db,
            &head,
            &id,
            "问题已整改到位,申请销号",
            &[],
            at(report_day + Duration::days(1), 9),
        )
        .await?;
        if matches!(stage, Some(Stage::ClosureRequested)) {
            continue;
        }
        let accept = at(report_day + Duration::days(4), 15);
        for signer in [&central, &inspection, &organisation] {
            ledger::co_sign(db, signer, &id, true, "经核查,整改到位,同意销号", accept).await?;
        }
    }
    // The partner departments are informed of everything (同步通报) for a few items.
    let some: Vec<RecordId> = db
        .query(
            "SELECT VALUE id FROM item WHERE status = 'in_rectification' ORDER BY number LIMIT 3",
        )
        .await?
        .check()?
        .take(0)?;
    for id in some {
        ledger::notify(
            db,
            &central,
            &key_of(&id),
            PartnerDept::HumanResources.as_str(),
            "同步通报,请配合督促",
            at(date("2026-11-02"), 10),
        )
        .await?;
    }
    demo_campaign(db, &central).await?;
    tracing::info!(items = TOTAL, "demo ledger loaded");
    Ok(())
}

/// An open look-back over the districts where the open items concentrate, with a
/// question of each common kind, so the demo shows returns to fill.
async fn demo_campaign(db: &Db, central: &SessionUser) -> Result<(), AppError> {
    use crate::campaigns::rules::{
        CampaignDraft, CampaignForm, CampaignKind, Question, QuestionKind,
    };
    let districts: Vec<RecordId> = db
        .query("SELECT VALUE id FROM district WHERE code IN ['HL', 'XH', 'TX'] ORDER BY code")
        .await?
        .check()?
        .take(0)?;
    let now = Utc::now();
    let today = crate::ledger::calendar::today(now);
    let question = |id: &str, kind, label: &str| Question {
        id: id.into(),
        kind,
        label: label.into(),
        choices: Vec::new(),
        required: true,
    };
    let draft = CampaignDraft {
        name: "2026年机构编制问题整改回头看".into(),
        kind: CampaignKind::LookBack,
        opens: today,
        closes: today + Duration::days(21),
        form: CampaignForm {
            questions: vec![
                question("q0", QuestionKind::YesNo, "是否已完成全面自查"),
                question("q1", QuestionKind::Number, "自查发现问题数"),
            ],
            targets: Vec::new(),
        },
    };
    let keys: Vec<String> = districts.iter().map(key_of).collect();
    let id =
        crate::campaigns::service::create_campaign(db, central, &draft, &keys, &[], false, now)
            .await?;
    crate::campaigns::service::open_campaign(db, central, &id, now).await
}
