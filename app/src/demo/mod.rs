//! The demo city (demo mode only): 泰州 with its seven divisions, 62 units and one account
//! per role, each with a password made on first start, printed at start-up and shown
//! on the sign-in page; and its ledger ([`ledger`]).

mod ledger;

pub use ledger::ensure_demo_ledger;

use crate::AppError;
use crate::admin::NewUser;
use crate::auth::Role;
use crate::auth::api::DemoAccount;
use crate::db::Db;
use surrealdb::types::SurrealValue;

/// (code, name, English name, units)
const DIVISIONS: &[(&str, &str, &str, &[&str])] = &[
    (
        "TZ",
        "市本级",
        "City level",
        &[
            "泰州市发展和改革委员会",
            "泰州市教育局",
            "泰州市公安局",
            "泰州市民政局",
            "泰州市财政局",
            "泰州市人力资源和社会保障局",
            "泰州市自然资源和规划局",
            "泰州市住房和城乡建设局",
            "泰州市交通运输局",
            "泰州市水利局",
            "泰州市农业农村局",
            "泰州市卫生健康委员会",
            "泰州市市场监督管理局",
            "泰州市城市管理局",
        ],
    ),
    (
        "HL",
        "海陵区",
        "Hailing District",
        &[
            "海陵区教育局",
            "海陵区卫生健康委员会",
            "海陵区住房和城乡建设局",
            "海陵区城中街道办事处",
            "海陵区城东街道办事处",
            "海陵区城西街道办事处",
            "海陵区京泰路街道办事处",
            "海陵区市场监督管理局",
            "海陵区农业农村局",
        ],
    ),
    (
        "GG",
        "高港区",
        "Gaogang District",
        &[
            "高港区教育局",
            "高港区卫生健康委员会",
            "高港区口岸街道办事处",
            "高港区刁铺街道办事处",
            "高港区永安洲镇人民政府",
            "高港区白马镇人民政府",
            "高港区许庄街道办事处",
            "高港区城市管理局",
        ],
    ),
    (
        "JY",
        "姜堰区",
        "Jiangyan District",
        &[
            "姜堰区教育局",
            "姜堰区卫生健康委员会",
            "姜堰区三水街道办事处",
            "姜堰区罗塘街道办事处",
            "姜堰区溱潼镇人民政府",
            "姜堰区张甸镇人民政府",
            "姜堰区农业农村局",
            "姜堰区水利局",
        ],
    ),
    (
        "XH",
        "兴化市",
        "Xinghua City",
        &[
            "兴化市教育局",
            "兴化市卫生健康委员会",
            "兴化市昭阳街道办事处",
            "兴化市戴南镇人民政府",
            "兴化市千垛镇人民政府",
            "兴化市农业农村局",
            "兴化市水务局",
            "兴化市自然资源和规划局",
        ],
    ),
    (
        "JJ",
        "靖江市",
        "Jingjiang City",
        &[
            "靖江市教育局",
            "靖江市卫生健康委员会",
            "靖江市靖城街道办事处",
            "靖江市新桥镇人民政府",
            "靖江市斜桥镇人民政府",
            "靖江市交通运输局",
            "靖江市市场监督管理局",
        ],
    ),
    (
        "TX",
        "泰兴市",
        "Taixing City",
        &[
            "泰兴市教育局",
            "泰兴市卫生健康委员会",
            "泰兴市济川街道办事处",
            "泰兴市黄桥镇人民政府",
            "泰兴市虹桥镇人民政府",
            "泰兴市农业农村局",
            "泰兴市住房和城乡建设局",
            "泰兴市人力资源和社会保障局",
        ],
    ),
];

/// One account per role: (username, name, role, district code, unit name, partner).
const ACCOUNTS: &[(&str, &str, Role, &str, &str, &str)] = &[
    ("central", "陈建国", Role::CentralOffice, "", "", ""),
    ("division", "刘晓梅", Role::BusinessDivision, "", "", ""),
    ("hailing", "王海燕", Role::DistrictOffice, "HL", "", ""),
    ("unithead", "周志明", Role::UnitHead, "", "海陵区教育局", ""),
    ("handler", "李娜", Role::UnitHandler, "", "海陵区教育局", ""),
    ("inspection", "孙立军", Role::Partner, "", "", "inspection"),
    ("orgdept", "吴慧", Role::Partner, "", "", "organisation"),
    ("admin", "赵磊", Role::Administrator, "", "", ""),
];

pub fn division_count() -> usize {
    DIVISIONS.len()
}

pub fn unit_count() -> usize {
    DIVISIONS.iter().map(|d| d.3.len()).sum()
}

fn demo_password() -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyz";
    let letters: String = (0..6)
        .map(|_| LETTERS[rng.gen_range(0..LETTERS.len())] as char)
        .collect();
    format!("{letters}-{:04}", rng.gen_range(0..10_000))
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct IdOnly {
    id: surrealdb::types::RecordId,
}

/// Load the demo city unless it is there already. Safe to call on every start.
pub async fn ensure_demo_city(db: &Db) -> Result<(), AppError> {
    let existing: Vec<IdOnly> = db
        .query("SELECT id FROM district LIMIT 1")
        .await?
        .check()?
        .take(0)?;
    if existing.is_empty() {
        for (code, name, name_en, units) in DIVISIONS {
            let district = crate::org::service::create_district(db, code, name, name_en).await?;
            for unit in *units {
                crate::org::service::create_unit(db, &district, unit).await?;
            }
        }
        tracing::info!(
            districts = division_count(),
            units = unit_count(),
            "demo city loaded"
        );
    }
    for (sort, (username, name, role, district_code, unit_name, partner)) in
        ACCOUNTS.iter().enumerate()
    {
        if crate::admin::service::username_taken(db, username).await? {
            continue;
        }
        let district: Option<surrealdb::types::RecordId> = db
            .query("SELECT VALUE id FROM district WHERE code = $code LIMIT 1")
            .bind(("code", district_code.to_string()))
            .await?
            .check()?
            .take(0)?;
        let unit: Option<surrealdb::types::RecordId> = db
            .query("SELECT VALUE id FROM unit WHERE name = $name LIMIT 1")
            .bind(("name", unit_name.to_string()))
            .await?
            .check()?
            .take(0)?;
        let password = demo_password();
        crate::admin::service::create_account(
            db,
            &NewUser {
                username: username.to_string(),
                display_name: name.to_string(),
                // The unit's people have (made-up) mobile numbers, as real ones do: an
                // imported sheet names them by name and number.
                phone: match *username {
                    "unithead" => "13800000001".to_string(),
                    "handler" => "13800000002".to_string(),
                    _ => String::new(),
                },
                password: password.clone(),
                role: role.as_str().to_string(),
                district: district.as_ref().map(crate::db::key_of).unwrap_or_default(),
                unit: unit.as_ref().map(crate::db::key_of).unwrap_or_default(),
                partner: partner.to_string(),
            },
            // The demo's passwords are on the sign-in page for anyone to use.
            false,
        )
        .await?;
        db.query("CREATE demo_account SET username = $username, password = $password, role = $role, sort = $sort")
            .bind(("username", username.to_string()))
            .bind(("password", password))
            .bind(("role", role.as_str()))
            .bind(("sort", i64::try_from(sort).unwrap_or_default()))
            .await?
            .check()?;
    }
    Ok(())
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct DemoRow {
    username: String,
    password: String,
    role: String,
}

/// The demo accounts with their passwords, in role order.
pub async fn accounts(db: &Db) -> Result<Vec<DemoAccount>, AppError> {
    let rows: Vec<DemoRow> = db
        .query("SELECT username, password, role, sort FROM demo_account ORDER BY sort")
        .await?
        .check()?
        .take(0)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(DemoAccount {
                role: Role::parse(&r.role)?,
                username: r.username,
                password: r.password,
            })
        })
        .collect())
}
