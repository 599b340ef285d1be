//! The steps of the lifecycle and everything else that changes an item: each checks the
//! caller under the pure rules, then writes the change and its event in one transaction,
//! guarded so that an item that moved on meanwhile is refused rather than overwritten.

use super::history::{Change, commit};
use super::{ItemRow, actor_for, load_item};
use crate::AppError;
use crate::auth::rules::required_text;
use crate::auth::{PartnerDept, Role, Scope, SessionUser};
use crate::db::{Db, key_of, record};
use crate::error::{Field, Problem};
use crate::ledger::acceptance::{CoSigner, Round, required_co_signers};
use crate::ledger::actions::{may_report_progress, may_request_extension};
use crate::ledger::calendar::{format_date, parse_date, today};
use crate::ledger::evidence::{MAX_FILE_BYTES, MAX_FILES};
use crate::ledger::lifecycle::{Status, Step, next_status};
use crate::ledger::rules::{TEXT_MAX, valid_extension, valid_plan, valid_progress};
use crate::ledger::{PlanInput, ProgressInput, Upload};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use std::path::Path;
use surrealdb::types::{RecordId, SurrealValue, Value};

/// Update the item only if it is still in the state (and acceptance round) it was read
/// in; otherwise abandon the whole transaction.
fn guarded(set: &str) -> String {
    format!(
        "LET $changed = (UPDATE $item SET updated_at = $now, {set}
            WHERE status = $from AND acceptance_round = $round RETURN VALUE id);
         IF array::len($changed) = 0 {{ THROW 'stale' }}"
    )
}

/// The parameters every guarded statement uses.
fn base_binds(row: &ItemRow, now: DateTime<Utc>) -> Vec<(&'static str, Value)> {
    vec![
        ("item", row.id.clone().into_value()),
        ("from", row.status.clone().into_value()),
        ("round", row.acceptance_round.into_value()),
        ("now", now.into_value()),
        ("today", format_date(today(now)).into_value()),
    ]
}

fn reason(value: &str) -> Result<String, AppError> {
    required_text(Field::Reason, value, TEXT_MAX)
}

/// A step that only moves the status (and records a reason where one is given).
async fn simple_step(
    db: &Db,
    user: &SessionUser,
    item: &str,
    step: Step,
    action: &'static str,
    reason_field: Option<(&'static str, String)>,
    now: DateTime<Utc>,
) -> Result<Status, AppError> {
    let row = load_item(db, user, item).await?;
    let from = row.status()?;
    let to = next_status(from, row.nature()?, step, actor_for(user, &row))?;
    let mut binds = base_binds(&row, now);
    binds.push(("to", to.as_str().into_value()));
    let mut set = "status = $to".to_string();
    let mut after = json!({ "status": to.as_str() });
    if let Some((field, text)) = reason_field {
        set.push_str(&format!(", {field} = $reason"));
        after[field] = json!(text);
        binds.push(("reason", text.into_value()));
    }
    commit(
        db,
        user,
        now,
        Change {
            item: row.id.clone(),
            action,
            before: json!({ "status": row.status }),
            after,
        },
        &guarded(&set),
        binds,
    )
    .await?;
    Ok(to)
}

/// 交办: the central office sends a registered item to the unit.
pub async fn issue(
    db: &Db,
    user: &SessionUser,
    item: &str,
    now: DateTime<Utc>,
) -> Result<Status, AppError> {
    simple_step(db, user, item, Step::Issue, "issue", None, now).await
}

/// 签收: the unit confirms it has received the item.
pub async fn acknowledge(
    db: &Db,
    user: &SessionUser,
    item: &str,
    now: DateTime<Utc>,
) -> Result<Status, AppError> {
    simple_step(db, user, item, Step::Acknowledge, "acknowledge", None, now).await
}

/// The central office approves the plan: the item goes into rectification or digestion.
pub async fn approve_plan(
    db: &Db,
    user: &SessionUser,
    item: &str,
    now: DateTime<Utc>,
) -> Result<Status, AppError> {
    simple_step(db, user, item, Step::ApprovePlan, "approve_plan", None, now).await
}

/// The central office returns the plan with a reason; the unit sees it and resubmits.
pub async fn return_plan(
    db: &Db,
    user: &SessionUser,
    item: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Status, AppError> {
    let why = reason(why)?;
    simple_step(
        db,
        user,
        item,
        Step::ReturnPlan,
        "return_plan",
        Some(("plan_returned_reason", why)),
        now,
    )
    .await
}

/// 撤销: the central office withdraws an open item, with a reason.
pub async fn withdraw(
    db: &Db,
    user: &SessionUser,
    item: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Status, AppError> {
    let why = reason(why)?;
    simple_step(
        db,
        user,
        item,
        Step::Withdraw,
        "withdraw",
        Some(("withdrawn_reason", why)),
        now,
    )
    .await
}

/// The unit submits its plan (measures; for a policy-caused item also the digestion
/// schedule and the next review date). Replaces any plan returned before.
pub async fn submit_plan(
    db: &Db,
    user: &SessionUser,
    item: &str,
    input: &PlanInput,
    now: DateTime<Utc>,
) -> Result<Status, AppError> {
    let row = load_item(db, user, item).await?;
    let nature = row.nature()?;
    let to = next_status(
        row.status()?,
        nature,
        Step::SubmitPlan,
        actor_for(user, &row),
    )?;
    let deadline = parse_date(&row.approved_deadline)
        .ok_or_else(|| AppError::internal("stored deadline unreadable"))?;
    let plan = valid_plan(input, nature, today(now), deadline)?;
    let measures: Vec<serde_json::Value> = plan
        .measures
        .iter()
        .enumerate()
        .map(|(i, m)| json!({ "seq": i + 1, "what": m.what, "due": m.due, "owner": m.owner }))
        .collect();
    let digest: Vec<serde_json::Value> = plan
        .digest
        .iter()
        .map(|(period, target)| json!({ "period": period, "target": target }))
        .collect();
    let mut binds = base_binds(&row, now);
    binds.push(("to", to.as_str().into_value()));
    binds.push((
        "measures",
        serde_json::Value::Array(measures.clone()).into_value(),
    ));
    binds.push((
        "digest",
        serde_json::Value::Array(digest.clone()).into_value(),
    ));
    binds.push(("next_review", plan.next_review.clone().into_value()));
    let sql = format!(
        "{};
         DELETE measure WHERE item = $item;
         DELETE digest_step WHERE item = $item;
         FOR $m IN $measures {{
            CREATE measure SET item = $item, seq = $m.seq, what = $m.what, due = $m.due, owner = $m.owner;
         }};
         FOR $d IN $digest {{
            CREATE digest_step SET item = $item, period = $d.period, target = $d.target;
         }}",
        guarded("status = $to, next_review = $next_review, plan_returned_reason = NONE")
    );
    commit(
        db,
        user,
        now,
        Change {
            item: row.id.clone(),
            action: "submit_plan",
            before: json!({ "status": row.status }),
            after: json!({
                "status": to.as_str(), "measures": measures, "digest": digest,
                "next_review": plan.next_review,
            }),
        },
        &sql,
        binds,
    )
    .await?;
    Ok(to)
}

/// A measure of the plan is done (the unit marks it, dated today).
pub async fn complete_measure(
    db: &Db,
    user: &SessionUser,
    item: &str,
    measure: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = load_item(db, user, item).await?;
    if !may_report_progress(row.status()?, actor_for(user, &row)) {
        return Err(AppError::Forbidden);
    }
    let measure_id = record("measure", measure.trim());
    let mut binds = base_binds(&row, now);
    binds.push(("measure", measure_id.clone().into_value()));
    let sql = format!(
        "{};
         LET $done = (UPDATE $measure SET done_on = $today WHERE item = $item AND done_on = NONE RETURN VALUE id);
         IF array::len($done) = 0 {{ THROW 'stale' }}",
        guarded("status = status")
    );
    commit(
        db,
        user,
        now,
        Change {
            item: row.id.clone(),
            action: "complete_measure",
            before: json!({ "measure": key_of(&measure_id) }),
            after: json!({ "measure": key_of(&measure_id), "done_on": format_date(today(now)) }),
        },
        &sql,
        binds,
    )
    .await
}

/// Where an evidence file lives under the data directory: by its sha256.
pub fn stored_path(files_dir: &Path, sha256: &str) -> std::path::PathBuf {
    files_dir.join(&sha256[..2.min(sha256.len())]).join(sha256)
}

/// A progress report with its evidence. Every file is checked (kind from the content,
/// size) before anything is stored; the files are in their place before the report is
/// saved, and those of a refused report are deleted with its request.
pub async fn report_progress(
    db: &Db,
    user: &SessionUser,
    item: &str,
    input: &ProgressInput,
    uploads: &[Upload],
    files_dir: &Path,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = load_item(db, user, item).await?;
    let actor = actor_for(user, &row);
    if !may_report_progress(row.status()?, actor) {
        // The unit's own people are refused for the state; anyone else for who they are.
        let unit_side = actor.own_unit && matches!(user.role, Role::UnitHead | Role::UnitHandler);
        return Err(if unit_side {
            AppError::WrongState
        } else {
            AppError::Forbidden
        });
    }
    let progress = valid_progress(input, row.quantity_baseline)?;
    let uploads: Vec<&Upload> = uploads.iter().filter(|u| !u.is_empty()).collect();
    if uploads.len() > MAX_FILES {
        return Err(AppError::invalid(Field::Files, Problem::Invalid));
    }
    let mut files = Vec::new();
    for u in &uploads {
        if u.size > MAX_FILE_BYTES {
            return Err(AppError::invalid(
                Field::Files,
                Problem::FileTooLarge {
                    max_mb: (MAX_FILE_BYTES / (1024 * 1024)) as u32,
                },
            ));
        }
        let kind = u
            .kind()
            .ok_or(AppError::invalid(Field::Files, Problem::FileType))?;
        files.push((
            kind,
            crate::ledger::evidence::clean_file_name(&u.file_name),
            u.size,
        ));
    }
    let bytes = files.iter().map(|(_, _, size)| size).sum();
    if !crate::ledger::quota::take(db, &user.id, bytes, now).await? {
        return Err(AppError::invalid(
            Field::Files,
            crate::ledger::quota::used_up(),
        ));
    }
    let mut stored = Vec::new();
    for (u, (kind, name, size)) in uploads.iter().zip(&files) {
        let sha = u.store(files_dir).await?;
        stored
            .push(json!({ "sha256": sha, "kind": kind.as_str(), "file_name": name, "size": size }));
    }
    let progress_id = record("progress", &uuid_like());
    let mut binds = base_binds(&row, now);
    binds.push(("progress", progress_id.into_value()));
    binds.push(("author", record("user", &user.id).into_value()));
    binds.push(("author_name", user.display_name.clone().into_value()));
    binds.push(("text", progress.text.clone().into_value()));
    binds.push(("remaining", progress.remaining.into_value()));
    binds.push(("reasons", progress.reasons.clone().into_value()));
    binds.push(("next_steps", progress.next_steps.clone().into_value()));
    binds.push((
        "files",
        serde_json::Value::Array(stored.clone()).into_value(),
    ));
    let remaining_set = if progress.remaining.is_some() {
        "quantity_remaining = $remaining"
    } else {
        "quantity_remaining = quantity_remaining"
    };
    let sql = format!(
        "{};
         CREATE $progress SET item = $item, author = $author, author_name = $author_name,
            at = $now, text = $text, remaining = $remaining, reasons = $reasons,
            next_steps = $next_steps;
         FOR $f IN $files {{
            CREATE attachment SET item = $item, progress = $progress, sha256 = $f.sha256,
                kind = $f.kind, file_name = $f.file_name, size = $f.size, at = $now;
         }}",
        guarded(remaining_set)
    );
    commit(
        db,
        user,
        now,
        Change {
            item: row.id.clone(),
            action: "report_progress",
            before: json!({ "remaining": row.quantity_remaining }),
            after: json!({
                "text": progress.text, "remaining": progress.remaining,
                "reasons": progress.reasons, "next_steps": progress.next_steps, "files": stored,
            }),
        },
        &sql,
        binds,
    )
    .await
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    format!("{:032x}", rng.r#gen::<u128>())
}

/// 延期申请: the unit asks for a later deadline, with a reason. One at a time.
pub async fn request_extension(
    db: &Db,
    user: &SessionUser,
    item: &str,
    why: &str,
    new_deadline: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = load_item(db, user, item).await?;
    if !may_request_extension(row.status()?, actor_for(user, &row), row.extension_pending) {
        return Err(if row.extension_pending || !row.status()?.is_open() {
            AppError::WrongState
        } else {
            AppError::Forbidden
        });
    }
    let approved = parse_date(&row.approved_deadline)
        .ok_or_else(|| AppError::internal("stored deadline unreadable"))?;
    let (why, date) = valid_extension(why, new_deadline, approved)?;
    let mut binds = base_binds(&row, now);
    binds.push(("by", record("user", &user.id).into_value()));
    binds.push(("reason", why.clone().into_value()));
    binds.push(("new_deadline", format_date(date).into_value()));
    let sql = format!(
        "{};
         IF count((SELECT id FROM extension WHERE item = $item AND decision = NONE)) > 0 {{ THROW 'stale' }};
         CREATE extension SET item = $item, requested_by = $by, reason = $reason,
            new_deadline = $new_deadline, at = $now",
        guarded("status = status")
    );
    commit(
        db,
        user,
        now,
        Change {
            item: row.id.clone(),
            action: "request_extension",
            before: json!({ "approved_deadline": row.approved_deadline }),
            after: json!({ "reason": why, "new_deadline": format_date(date) }),
        },
        &sql,
        binds,
    )
    .await
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct PendingExtension {
    id: RecordId,
    new_deadline: String,
}

/// The central office approves or refuses the pending extension request. Only an
/// approval moves the approved deadline; the original deadline never changes.
pub async fn decide_extension(
    db: &Db,
    user: &SessionUser,
    item: &str,
    approve: bool,
    opinion: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = load_item(db, user, item).await?;
    if user.role != Role::CentralOffice {
        return Err(AppError::Forbidden);
    }
    if !row.status()?.is_open() {
        return Err(AppError::WrongState);
    }
    let pending: Option<PendingExtension> = db
        .query(
            "SELECT id, new_deadline FROM extension WHERE item = $item AND decision = NONE LIMIT 1",
        )
        .bind(("item", row.id.clone()))
        .await?
        .check()?
        .take(0)?;
    let pending = pending.ok_or(AppError::WrongState)?;
    let opinion = crate::auth::rules::optional_text(Field::Opinion, opinion, TEXT_MAX)?;
    if !approve && opinion.is_none() {
        return Err(AppError::invalid(Field::Opinion, Problem::Required));
    }
    let deadline = if approve {
        pending.new_deadline.clone()
    } else {
        row.approved_deadline.clone()
    };
    let decision = if approve { "approved" } else { "refused" };
    let mut binds = base_binds(&row, now);
    binds.push(("extension", pending.id.into_value()));
    binds.push(("decision", decision.to_string().into_value()));
    binds.push(("opinion", opinion.clone().into_value()));
    binds.push(("deadline", deadline.clone().into_value()));
    let sql = format!(
        "{};
         LET $decided = (UPDATE $extension SET decision = $decision, decided_at = $now, opinion = $opinion
            WHERE decision = NONE RETURN VALUE id);
         IF array::len($decided) = 0 {{ THROW 'stale' }}",
        guarded("approved_deadline = $deadline")
    );
    commit(
        db,
        user,
        now,
        Change {
            item: row.id.clone(),
            action: if approve {
                "approve_extension"
            } else {
                "refuse_extension"
            },
            before: json!({ "approved_deadline": row.approved_deadline }),
            after: json!({ "approved_deadline": deadline, "opinion": opinion }),
        },
        &sql,
        binds,
    )
    .await
}

/// 申请销号: the unit asks for closure, with a note and evidence already on the item,
/// naming the co-signing departments (the central office always among them).
pub async fn request_closure(
    db: &Db,
    user: &SessionUser,
    item: &str,
    note: &str,
    chosen: &[String],
    now: DateTime<Utc>,
) -> Result<Status, AppError> {
    let row = load_item(db, user, item).await?;
    let to = next_status(
        row.status()?,
        row.nature()?,
        Step::RequestClosure,
        actor_for(user, &row),
    )?;
    let note = required_text(Field::Note, note, TEXT_MAX)?;
    let mut picked = Vec::new();
    for c in chosen.iter().filter(|c| !c.trim().is_empty()) {
        picked.push(
            CoSigner::parse(c.trim())
                .ok_or(AppError::invalid(Field::CoSigners, Problem::Invalid))?,
        );
    }
    let required = if picked.is_empty() {
        CoSigner::DEFAULT.to_vec()
    } else {
        required_co_signers(&picked)
    };
    let evidence: Option<i64> = db
        .query("RETURN count((SELECT VALUE id FROM attachment WHERE item = $item))")
        .bind(("item", row.id.clone()))
        .await?
        .check()?
        .take(0)?;
    if evidence.unwrap_or(0) == 0 {
        return Err(AppError::invalid(Field::Files, Problem::Required));
    }
    let names: Vec<String> = required.iter().map(|c| c.as_str().to_string()).collect();
    let partners: Vec<String> = required
        .iter()
        .filter_map(|c| match c {
            CoSigner::Partner(p) => Some(p.as_str().to_string()),
            CoSigner::Central => None,
        })
        .collect();
    let mut binds = base_binds(&row, now);
    binds.push(("to", to.as_str().into_value()));
    binds.push(("note", note.clone().into_value()));
    binds.push(("co_signers", names.clone().into_value()));
    binds.push(("partners", partners.into_value()));
    commit(
        db,
        user,
        now,
        Change {
            item: row.id.clone(),
            action: "request_closure",
            before: json!({ "status": row.status }),
            after: json!({ "status": to.as_str(), "note": note, "co_signers": names }),
        },
        &guarded(
            "status = $to, closure_note = $note, co_signers = $co_signers, closure_requested_at = $now,
             acceptance_round = acceptance_round + 1,
             shared_with = array::union(shared_with, $partners)",
        ),
        binds,
    )
    .await?;
    Ok(to)
}

/// A co-signer passes or returns the closure request, with an opinion (required for a
/// return). The last pass closes the item, and "on time" is frozen then: closed on or
/// before the original deadline.
pub async fn co_sign(
    db: &Db,
    user: &SessionUser,
    item: &str,
    pass: bool,
    opinion: &str,
    now: DateTime<Utc>,
) -> Result<Status, AppError> {
    let row = load_item(db, user, item).await?;
    let me = CoSigner::of(user).ok_or(AppError::Forbidden)?;
    let required = row.co_signers();
    let passed = row.passed();
    let round = Round {
        required: &required,
        passed: &passed,
    };
    let step = if pass {
        Step::PassAcceptance {
            all_others_passed: round.pass_completes(me),
        }
    } else {
        Step::ReturnAcceptance
    };
    let to = next_status(row.status()?, row.nature()?, step, actor_for(user, &row))?;
    let opinion = if pass {
        crate::auth::rules::optional_text(Field::Opinion, opinion, TEXT_MAX)?.unwrap_or_default()
    } else {
        required_text(Field::Opinion, opinion, TEXT_MAX)?
    };
    let closing = to == Status::Closed;
    let today_date = today(now);
    let on_time = closing
        .then(|| parse_date(&row.original_deadline).is_some_and(|d: NaiveDate| today_date <= d));
    let mut binds = base_binds(&row, now);
    binds.push(("to", to.as_str().into_value()));
    binds.push(("co_signer", me.as_str().to_string().into_value()));
    binds.push(("passed", pass.into_value()));
    binds.push(("opinion", opinion.clone().into_value()));
    binds.push(("by", record("user", &user.id).into_value()));
    binds.push(("by_name", user.display_name.clone().into_value()));
    binds.push(("on_time", on_time.into_value()));
    binds.push((
        "closed_on",
        closing.then(|| format_date(today_date)).into_value(),
    ));
    let sql = format!(
        "{};
         CREATE acceptance SET item = $item, round = $round, co_signer = $co_signer,
            passed = $passed, opinion = $opinion, by = $by, by_name = $by_name, at = $now",
        guarded("status = $to, closed_on = $closed_on, closed_on_time = $on_time")
    );
    commit(
        db,
        user,
        now,
        Change {
            item: row.id.clone(),
            action: if pass {
                "pass_acceptance"
            } else {
                "return_acceptance"
            },
            before: json!({ "status": row.status }),
            after: json!({
                "status": to.as_str(), "co_signer": me.as_str(), "opinion": opinion,
                "closed_on_time": on_time,
            }),
        },
        &sql,
        binds,
    )
    .await?;
    Ok(to)
}

/// 通报: the central office notifies a partner department, which then sees the item.
pub async fn notify(
    db: &Db,
    user: &SessionUser,
    item: &str,
    dept: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = load_item(db, user, item).await?;
    if user.role != Role::CentralOffice {
        return Err(AppError::Forbidden);
    }
    if row.status()? == Status::Withdrawn {
        return Err(AppError::WrongState);
    }
    if dept.trim().is_empty() {
        return Err(AppError::invalid(Field::Dept, Problem::Required));
    }
    let dept =
        PartnerDept::parse(dept.trim()).ok_or(AppError::invalid(Field::Dept, Problem::Invalid))?;
    let note = crate::auth::rules::optional_text(Field::Note, note, TEXT_MAX)?.unwrap_or_default();
    let mut binds = base_binds(&row, now);
    binds.push(("dept", dept.as_str().to_string().into_value()));
    binds.push(("note", note.clone().into_value()));
    binds.push(("by", record("user", &user.id).into_value()));
    let sql = format!(
        "{};
         CREATE notification SET item = $item, dept = $dept, note = $note, sent_at = $now, sent_by = $by",
        guarded("shared_with = array::union(shared_with, [$dept])")
    );
    commit(
        db,
        user,
        now,
        Change {
            item: row.id.clone(),
            action: "notify",
            before: json!({ "shared_with": row.shared_with }),
            after: json!({ "dept": dept.as_str(), "note": note }),
        },
        &sql,
        binds,
    )
    .await
}

/// The read receipt: a partner user opening a notified item marks its department's
/// unread notifications read. Returns whether anything was marked.
pub async fn mark_notifications_read(
    db: &Db,
    user: &SessionUser,
    item: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let Scope::Partner(dept) = user.scope else {
        return Ok(false);
    };
    let row = load_item(db, user, item).await?;
    let unread: Option<i64> = db
        .query("RETURN count((SELECT VALUE id FROM notification WHERE item = $item AND dept = $dept AND read_at = NONE))")
        .bind(("item", row.id.clone()))
        .bind(("dept", dept.as_str().to_string()))
        .await?
        .check()?
        .take(0)?;
    if unread.unwrap_or(0) == 0 {
        return Ok(false);
    }
    let mut binds = base_binds(&row, now);
    binds.push(("dept", dept.as_str().to_string().into_value()));
    binds.push(("reader", record("user", &user.id).into_value()));
    commit(
        db,
        user,
        now,
        Change {
            item: row.id.clone(),
            action: "notification_read",
            before: json!({}),
            after: json!({ "dept": dept.as_str() }),
        },
        "UPDATE notification SET read_at = $now, read_by = $reader
            WHERE item = $item AND dept = $dept AND read_at = NONE",
        binds,
    )
    .await?;
    Ok(true)
}

/// A comment on the item (district office, business division, central office,
/// partners): kept in the history, shown on the timeline.
pub async fn comment(
    db: &Db,
    user: &SessionUser,
    item: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = load_item(db, user, item).await?;
    if !matches!(
        user.role,
        Role::CentralOffice | Role::BusinessDivision | Role::DistrictOffice | Role::Partner
    ) {
        return Err(AppError::Forbidden);
    }
    let text = required_text(Field::Text, text, TEXT_MAX)?;
    let binds = base_binds(&row, now);
    commit(
        db,
        user,
        now,
        Change {
            item: row.id.clone(),
            action: "comment",
            before: json!({}),
            after: json!({ "comment": text }),
        },
        "UPDATE $item SET updated_at = $now",
        binds,
    )
    .await
}

/// 问责: the central office records the accountability decided for an item (who was
/// held to account and how). It is kept on the item and in the history; a later record
/// replaces the shown text, the history keeps both.
pub async fn record_accountability(
    db: &Db,
    user: &SessionUser,
    item: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = load_item(db, user, item).await?;
    if user.role != Role::CentralOffice {
        return Err(AppError::Forbidden);
    }
    if row.status()? == Status::Withdrawn {
        return Err(AppError::WrongState);
    }
    let text = required_text(Field::Text, text, TEXT_MAX)?;
    let mut binds = base_binds(&row, now);
    binds.push(("accountability", text.clone().into_value()));
    commit(
        db,
        user,
        now,
        Change {
            item: row.id.clone(),
            action: "record_accountability",
            before: json!({ "accountability": row.accountability }),
            after: json!({ "accountability": text }),
        },
        &guarded("accountability = $accountability"),
        binds,
    )
    .await
}
