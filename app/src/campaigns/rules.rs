//! The rules of campaigns, returns and on-site verification, pure: the same code checks a
//! draft on the phone (compiled to WebAssembly, offline) and the submission on the server.
//!
//! A return or verification form is read from its fields as the browser sends them
//! (`name`, `value` pairs, the names of file fields that carry a file), so a form posted
//! without JavaScript and a draft sent from the device's queue are read the same way.

use crate::error::Problem;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const NAME_MAX: usize = 80;
pub const TEXT_MAX: usize = 2000;
pub const MAX_QUESTIONS: usize = 20;
pub const MAX_TARGETS: usize = 5;
/// Blank rows for new problems shown on a return.
pub const NEW_ROWS: usize = 2;
/// The most rows of new problems a return may carry.
pub const MAX_NEW_ROWS: usize = 30;

/// How many new-problem rows a return shows: those filled, and always two more blank
/// ones (up to the limit), so a return can grow by saving and coming back.
pub fn rows_shown(filled: &[NewProblem]) -> usize {
    let next = filled.iter().map(|p| p.row + 1).max().unwrap_or(0);
    (next + NEW_ROWS).min(MAX_NEW_ROWS)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// 回头看: are the rectified problems still rectified, and what else is there?
    LookBack,
    /// 专项整治: a campaign on one kind of problem, with targets.
    Special,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    Draft,
    Open,
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnState {
    Draft,
    Submitted,
    Returned,
    Accepted,
}

/// Where a return stands, as the campaign's progress shows it: its state with the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Not submitted, window still open.
    Pending,
    /// Not submitted, window closed.
    Missing,
    /// Submitted on time (waiting for review).
    Submitted,
    /// Submitted after the window closed.
    Late,
    /// Sent back by the central office; with the filler again.
    Returned,
    Accepted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    YesNo,
    Number,
    Text,
    Choice,
    Photo,
}

/// What a district office says of an attached item: its true status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    Rectified,
    InProgress,
    NotStarted,
}

/// What the verifier found on site about an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    Confirmed,
    Partly,
    NotConfirmed,
}

macro_rules! codes {
    ($t:ty { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),*];
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s.trim() { $($s => Some(<$t>::$v),)* _ => None }
            }
        }
    };
}
codes!(CampaignKind { LookBack => "look_back", Special => "special" });
codes!(CampaignState { Draft => "draft", Open => "open", Closed => "closed" });
codes!(ReturnState { Draft => "draft", Submitted => "submitted", Returned => "returned", Accepted => "accepted" });
codes!(Standing { Pending => "pending", Missing => "missing", Submitted => "submitted", Late => "late", Returned => "returned", Accepted => "accepted" });
codes!(QuestionKind { YesNo => "yes_no", Number => "number", Text => "text", Choice => "choice", Photo => "photo" });
codes!(Truth { Rectified => "rectified", InProgress => "in_progress", NotStarted => "not_started" });
codes!(Finding { Confirmed => "confirmed", Partly => "partly", NotConfirmed => "not_confirmed" });

/// A question of a campaign's form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub kind: QuestionKind,
    pub label: String,
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// A figure a special campaign is to reach (e.g. irregular hires to clear: 211).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub id: String,
    pub label: String,
    pub goal: i64,
}

/// The form of a campaign: its questions and targets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub targets: Vec<Target>,
}

/// A day as forms send it (`2026-12-10`). Read by hand rather than with a date format
/// parser: this code also runs in the phone's WebAssembly, where every kilobyte counts.
pub fn day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        s.get(r)
            .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))?
            .parse()
            .ok()
    };
    NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)
}

/// A number as a number question takes it: `12`, `-3`, `3.5` (no exponent, no spaces).
pub fn is_number(s: &str) -> bool {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let mut parts = unsigned.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    let all_digits = |p: &str| p.bytes().all(|c| c.is_ascii_digit());
    !whole.is_empty()
        && whole.len() <= 15
        && all_digits(whole)
        && fraction.is_none_or(|f| !f.is_empty() && f.len() <= 6 && all_digits(f))
}

/// Whether the return may still be changed by the ones who fill it.
pub fn return_editable(campaign: CampaignState, state: ReturnState) -> bool {
    campaign == CampaignState::Open && matches!(state, ReturnState::Draft | ReturnState::Returned)
}

/// Whether a change made from an older version is still kept beside the return for the
/// reviewer (a parallel update): while the campaign is open and the return is not yet
/// accepted. A closed campaign or an accepted return takes none.
pub fn parallel_update_kept(campaign: CampaignState, state: ReturnState) -> bool {
    campaign == CampaignState::Open && state != ReturnState::Accepted
}

/// The review (send back, accept) is possible on a submitted return.
pub fn return_reviewable(state: ReturnState) -> bool {
    state == ReturnState::Submitted
}

/// Late and missing follow from the window: a return not submitted by the last day is
/// missing; one submitted after it is late.
pub fn standing(
    state: ReturnState,
    submitted_on: Option<NaiveDate>,
    closes: NaiveDate,
    today: NaiveDate,
) -> Standing {
    let late = submitted_on.is_some_and(|d| d > closes);
    match state {
        ReturnState::Accepted => Standing::Accepted,
        ReturnState::Submitted if late => Standing::Late,
        ReturnState::Submitted => Standing::Submitted,
        ReturnState::Returned if today > closes => Standing::Missing,
        ReturnState::Returned => Standing::Returned,
        ReturnState::Draft if today > closes => Standing::Missing,
        ReturnState::Draft => Standing::Pending,
    }
}

pub use crate::error::{InputProblem, decode_problems, encode_problems};

fn problem(input: impl Into<String>, problem: Problem) -> InputProblem {
    InputProblem::new(input, problem)
}

/// The fields of a form as sent: text values by name (the last of repeated names wins,
/// except where a list is read), and the names of file inputs that carry a file.
#[derive(Clone, Debug, Default)]
pub struct Sent {
    pub values: BTreeMap<String, String>,
    pub files: BTreeSet<String>,
}

impl Sent {
    pub fn new(pairs: &[(String, String)], files: impl IntoIterator<Item = String>) -> Self {
        Sent {
            values: pairs.iter().cloned().collect(),
            files: files.into_iter().collect(),
        }
    }

    fn text(&self, name: &str) -> String {
        self.values
            .get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    }
}

fn bounded(sent: &Sent, name: &str, problems: &mut Vec<InputProblem>, max: usize) -> String {
    let v = sent.text(name);
    if v.chars().count() > max {
        problems.push(problem(name, Problem::TooLong { max: max as u32 }));
    }
    v
}

/// What a return says of one attached item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemReport {
    pub item: String,
    pub truth: Option<Truth>,
    pub note: String,
}

/// A new problem found during the look-back: a ledger item once the return is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProblem {
    /// The row's number on the form (its inputs are `new-<row>-…`).
    pub row: usize,
    pub unit: String,
    pub category: String,
    /// `violation` or `policy_caused`, as the ledger's natures.
    pub nature: String,
    pub description: String,
    pub deadline: String,
    pub head_name: String,
}

/// What a return (or a verification) form says, read and checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnAnswers {
    pub items: Vec<ItemReport>,
    pub new_problems: Vec<NewProblem>,
    /// Question id → the answer as text ("yes"/"no", a number, a choice, text; for a
    /// photo question the answer is the photo, kept with the files).
    pub answers: BTreeMap<String, String>,
    /// Target id → the figure reported.
    pub figures: BTreeMap<String, i64>,
}

/// The inputs of a return form: the attached items, the campaign's form, the units a
/// new problem may name, the categories.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnSpec {
    pub items: Vec<String>,
    pub form: CampaignForm,
    pub units: Vec<String>,
    pub categories: Vec<String>,
    pub rows: usize,
    /// Today on the server when the page was made (a new problem's deadline is after it).
    pub today: String,
}

/// Read a return form. A draft (`submit` false) is only checked for well-formed values;
/// a submission needs every item's status, the required answers and complete new rows.
pub fn read_return(
    spec: &ReturnSpec,
    sent: &Sent,
    submit: bool,
) -> Result<ReturnAnswers, Vec<InputProblem>> {
    let mut problems = Vec::new();
    let mut out = ReturnAnswers::default();
    for item in &spec.items {
        let status_name = format!("status-{item}");
        let note_name = format!("note-{item}");
        let raw = sent.text(&status_name);
        let truth = if raw.is_empty() {
            None
        } else {
            match Truth::parse(&raw) {
                Some(t) => Some(t),
                None => {
                    problems.push(problem(&status_name, Problem::Invalid));
                    None
                }
            }
        };
        let note = bounded(sent, &note_name, &mut problems, TEXT_MAX);
        if submit && truth.is_none() && raw.is_empty() {
            problems.push(problem(&status_name, Problem::Required));
        }
        // "Rectified" is a claim that needs its evidence: a note or a photo.
        let evidence = !note.is_empty() || sent.files.contains(&format!("evidence-{item}"));
        if submit && truth == Some(Truth::Rectified) && !evidence {
            problems.push(problem(&note_name, Problem::Required));
        }
        out.items.push(ItemReport {
            item: item.clone(),
            truth,
            note,
        });
    }
    out.answers = read_answers(&spec.form, sent, submit, &mut problems);
    for t in &spec.form.targets {
        let name = format!("target-{}", t.id);
        let raw = sent.text(&name);
        if raw.is_empty() {
            continue;
        }
        match raw.parse::<i64>() {
            Ok(n) if n >= 0 => {
                out.figures.insert(t.id.clone(), n);
            }
            _ => problems.push(problem(&name, Problem::Invalid)),
        }
    }
    let today = day(&spec.today);
    for row in 0..spec.rows {
        let name = |f: &str| format!("new-{row}-{f}");
        let unit = sent.text(&name("unit"));
        let category = sent.text(&name("category"));
        let nature = match sent.text(&name("nature")) {
            n if n.is_empty() => "violation".to_string(),
            n => n,
        };
        if !matches!(nature.as_str(), "violation" | "policy_caused") {
            problems.push(problem(name("nature"), Problem::Invalid));
        }
        let description = bounded(sent, &name("description"), &mut problems, TEXT_MAX);
        let deadline = sent.text(&name("deadline"));
        let head_name = bounded(sent, &name("head"), &mut problems, 40);
        let photo = sent.files.contains(&name("photo"));
        let touched = !unit.is_empty()
            || !description.is_empty()
            || !deadline.is_empty()
            || !head_name.is_empty()
            || photo;
        if !touched {
            continue;
        }
        if !unit.is_empty() && !spec.units.contains(&unit) {
            problems.push(problem(name("unit"), Problem::Invalid));
        }
        if !category.is_empty() && !spec.categories.contains(&category) {
            problems.push(problem(name("category"), Problem::Invalid));
        }
        if !deadline.is_empty() {
            match day(&deadline) {
                None => problems.push(problem(name("deadline"), Problem::Invalid)),
                Some(d) if today.is_some_and(|t| d <= t) => {
                    problems.push(problem(name("deadline"), Problem::NotLater))
                }
                Some(_) => {}
            }
        }
        if submit {
            for (field, value) in [
                ("unit", &unit),
                ("category", &category),
                ("description", &description),
                ("deadline", &deadline),
                ("head", &head_name),
            ] {
                if value.is_empty() {
                    problems.push(problem(name(field), Problem::Required));
                }
            }
        }
        out.new_problems.push(NewProblem {
            row,
            unit,
            category,
            nature,
            description,
            deadline,
            head_name,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn read_answers(
    form: &CampaignForm,
    sent: &Sent,
    submit: bool,
    problems: &mut Vec<InputProblem>,
) -> BTreeMap<String, String> {
    let mut answers = BTreeMap::new();
    for q in &form.questions {
        let name = format!("answer-{}", q.id);
        if q.kind == QuestionKind::Photo {
            if submit && q.required && !sent.files.contains(&name) {
                problems.push(problem(&name, Problem::Required));
            }
            continue;
        }
        let v = bounded(sent, &name, problems, TEXT_MAX);
        if v.is_empty() {
            if submit && q.required {
                problems.push(problem(&name, Problem::Required));
            }
            continue;
        }
        let ok = match q.kind {
            QuestionKind::YesNo => v == "yes" || v == "no",
            QuestionKind::Number => is_number(&v),
            QuestionKind::Choice => q.choices.contains(&v),
            QuestionKind::Text | QuestionKind::Photo => true,
        };
        if ok {
            answers.insert(q.id.clone(), v);
        } else {
            problems.push(problem(&name, Problem::Invalid));
        }
    }
    answers
}

/// The inputs of an on-site verification form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationSpec {
    pub items: Vec<String>,
    pub units: Vec<String>,
    pub categories: Vec<String>,
    pub today: String,
}

/// One item's finding on site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFinding {
    pub item: String,
    pub finding: Option<Finding>,
    pub note: String,
}

/// What the verifier records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRecord {
    pub visited_on: String,
    pub people: String,
    pub findings: Vec<ItemFinding>,
    pub summary: String,
    pub new_problem: Option<NewProblem>,
}

/// Read a verification form: the visit's date (not in the future), who was present, a
/// finding for each item (a note where it is not confirmed in full) and at most one new
/// problem found on site.
pub fn read_verification(
    spec: &VerificationSpec,
    sent: &Sent,
    submit: bool,
) -> Result<VerificationRecord, Vec<InputProblem>> {
    let mut problems = Vec::new();
    let today = day(&spec.today);
    let visited_on = sent.text("visited_on");
    if !visited_on.is_empty() {
        match day(&visited_on) {
            None => problems.push(problem("visited_on", Problem::Invalid)),
            Some(d) if today.is_some_and(|t| d > t) => {
                problems.push(problem("visited_on", Problem::Invalid))
            }
            Some(_) => {}
        }
    } else if submit {
        problems.push(problem("visited_on", Problem::Required));
    }
    let people = bounded(sent, "people", &mut problems, 500);
    if submit && people.is_empty() {
        problems.push(problem("people", Problem::Required));
    }
    let summary = bounded(sent, "summary", &mut problems, TEXT_MAX);
    let mut findings = Vec::new();
    for item in &spec.items {
        let name = format!("finding-{item}");
        let note_name = format!("fnote-{item}");
        let raw = sent.text(&name);
        let finding = Finding::parse(&raw);
        if !raw.is_empty() && finding.is_none() {
            problems.push(problem(&name, Problem::Invalid));
        }
        if submit && raw.is_empty() {
            problems.push(problem(&name, Problem::Required));
        }
        let note = bounded(sent, &note_name, &mut problems, TEXT_MAX);
        if submit
            && matches!(finding, Some(Finding::Partly | Finding::NotConfirmed))
            && note.is_empty()
        {
            problems.push(problem(&note_name, Problem::Required));
        }
        findings.push(ItemFinding {
            item: item.clone(),
            finding,
            note,
        });
    }
    let rows = ReturnSpec {
        items: Vec::new(),
        form: CampaignForm::default(),
        units: spec.units.clone(),
        categories: spec.categories.clone(),
        rows: 1,
        today: spec.today.clone(),
    };
    let new_problem = match read_return(&rows, sent, submit) {
        Ok(r) => r.new_problems.into_iter().next(),
        Err(p) => {
            problems.extend(p);
            None
        }
    };
    if problems.is_empty() {
        Ok(VerificationRecord {
            visited_on,
            people,
            findings,
            summary,
            new_problem,
        })
    } else {
        Err(problems)
    }
}

/// What a campaign asks, checked: name, dates in order, questions with labels (choices
/// for a choice question), targets with positive goals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignDraft {
    pub name: String,
    pub kind: CampaignKind,
    pub opens: NaiveDate,
    pub closes: NaiveDate,
    pub form: CampaignForm,
}

/// Question rows on the new-campaign form, and target rows.
pub const QUESTION_ROWS: usize = 6;
pub const TARGET_ROWS: usize = 3;

/// Read the new-campaign form (`q-<n>-kind|label|choices|required`, `t-<n>-label|goal`).
pub fn read_campaign(sent: &Sent) -> Result<CampaignDraft, Vec<InputProblem>> {
    let mut problems = Vec::new();
    let name = bounded(sent, "name", &mut problems, NAME_MAX);
    if name.is_empty() {
        problems.push(problem("name", Problem::Required));
    }
    let kind = CampaignKind::parse(&sent.text("kind"));
    if kind.is_none() {
        problems.push(problem("kind", Problem::Invalid));
    }
    let date = |field: &str, problems: &mut Vec<InputProblem>| {
        let v = sent.text(field);
        let d = day(&v);
        if d.is_none() {
            problems.push(problem(
                field,
                if v.is_empty() {
                    Problem::Required
                } else {
                    Problem::Invalid
                },
            ));
        }
        d
    };
    let opens = date("opens", &mut problems);
    let closes = date("closes", &mut problems);
    if let (Some(o), Some(c)) = (opens, closes)
        && c < o
    {
        problems.push(problem("closes", Problem::NotLater));
    }
    let mut form = CampaignForm::default();
    for n in 0..MAX_QUESTIONS {
        let f = |x: &str| format!("q-{n}-{x}");
        let label = bounded(sent, &f("label"), &mut problems, 200);
        if label.is_empty() {
            continue;
        }
        let Some(qkind) = QuestionKind::parse(&sent.text(&f("kind"))) else {
            problems.push(problem(f("kind"), Problem::Invalid));
            continue;
        };
        let choices: Vec<String> = sent
            .text(&f("choices"))
            .split(['、', ',', '，', ';', '；', '\n'])
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        if qkind == QuestionKind::Choice && choices.len() < 2 {
            problems.push(problem(f("choices"), Problem::Required));
        }
        form.questions.push(Question {
            id: format!("q{n}"),
            kind: qkind,
            label,
            choices: if qkind == QuestionKind::Choice {
                choices
            } else {
                Vec::new()
            },
            required: sent.text(&f("required")) == "on",
        });
    }
    for n in 0..MAX_TARGETS {
        let f = |x: &str| format!("t-{n}-{x}");
        let label = bounded(sent, &f("label"), &mut problems, 200);
        let goal = sent.text(&f("goal"));
        if label.is_empty() && goal.is_empty() {
            continue;
        }
        if label.is_empty() {
            problems.push(problem(f("label"), Problem::Required));
        }
        match goal.parse::<i64>() {
            Ok(g) if g > 0 => form.targets.push(Target {
                id: format!("t{n}"),
                label,
                goal: g,
            }),
            _ => problems.push(problem(f("goal"), Problem::Invalid)),
        }
    }
    match (kind, opens, closes) {
        (Some(kind), Some(opens), Some(closes)) if problems.is_empty() => Ok(CampaignDraft {
            name,
            kind,
            opens,
            closes,
            form,
        }),
        _ => Err(problems),
    }
}

/// One question's answers over the returns, summarised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Summary {
    /// yes, no
    YesNo(i64, i64),
    /// how many answered, their sum
    Number(i64, f64),
    /// choice → count, in the form's order
    Choice(Vec<(String, i64)>),
    /// how many answered
    Count(i64),
}

/// Summarise the answers of the returns (each a question id → answer map).
pub fn summarise(form: &CampaignForm, answers: &[&BTreeMap<String, String>]) -> Vec<Summary> {
    form.questions
        .iter()
        .map(|q| {
            let given: Vec<&String> = answers.iter().filter_map(|a| a.get(&q.id)).collect();
            match q.kind {
                QuestionKind::YesNo => Summary::YesNo(
                    given.iter().filter(|v| v.as_str() == "yes").count() as i64,
                    given.iter().filter(|v| v.as_str() == "no").count() as i64,
                ),
                QuestionKind::Number => Summary::Number(
                    given.len() as i64,
                    given.iter().filter_map(|v| v.parse::<f64>().ok()).sum(),
                ),
                QuestionKind::Choice => Summary::Choice(
                    q.choices
                        .iter()
                        .map(|c| (c.clone(), given.iter().filter(|v| *v == &c).count() as i64))
                        .collect(),
                ),
                QuestionKind::Text | QuestionKind::Photo => Summary::Count(given.len() as i64),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::ledger::calendar::parse_date(s).unwrap_or_else(|| panic!("bad date {s}"))
    }

    fn sent(pairs: &[(&str, &str)], files: &[&str]) -> Sent {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Sent::new(&pairs, files.iter().map(|f| f.to_string()))
    }

    fn spec() -> ReturnSpec {
        ReturnSpec {
            items: vec!["a".into(), "b".into()],
            form: CampaignForm {
                questions: vec![
                    Question {
                        id: "q0".into(),
                        kind: QuestionKind::YesNo,
                        label: "自查完成?".into(),
                        choices: vec![],
                        required: true,
                    },
                    Question {
                        id: "q1".into(),
                        kind: QuestionKind::Number,
                        label: "编外人数".into(),
                        choices: vec![],
                        required: false,
                    },
                    Question {
                        id: "q2".into(),
                        kind: QuestionKind::Choice,
                        label: "进度".into(),
                        choices: vec!["快".into(), "慢".into()],
                        required: false,
                    },
                    Question {
                        id: "q3".into(),
                        kind: QuestionKind::Photo,
                        label: "现场照片".into(),
                        choices: vec![],
                        required: true,
                    },
                ],
                targets: vec![Target {
                    id: "t0".into(),
                    label: "清退".into(),
                    goal: 211,
                }],
            },
            units: vec!["u1".into()],
            categories: vec!["irregular_hiring".into()],
            rows: 2,
            today: "2026-11-27".into(),
        }
    }

    #[test]
    fn a_return_always_offers_blank_rows_for_more_problems() {
        let row = |n: usize| NewProblem {
            row: n,
            unit: "u1".into(),
            category: "c".into(),
            nature: "violation".into(),
            description: "d".into(),
            deadline: "2027-01-01".into(),
            head_name: "h".into(),
        };
        assert_eq!(rows_shown(&[]), 2);
        assert_eq!(rows_shown(&[row(0), row(1)]), 4);
        assert_eq!(rows_shown(&[row(MAX_NEW_ROWS - 1)]), MAX_NEW_ROWS);
    }

    #[test]
    fn a_complete_return_reads() {
        let s = sent(
            &[
                ("status-a", "rectified"),
                ("note-a", "已清退"),
                ("status-b", "in_progress"),
                ("answer-q0", "yes"),
                ("answer-q1", "12"),
                ("answer-q2", "快"),
                ("target-t0", "50"),
                ("new-0-unit", "u1"),
                ("new-0-category", "irregular_hiring"),
                ("new-0-description", "编外聘用 3 人"),
                ("new-0-deadline", "2027-03-31"),
                ("new-0-head", "王五"),
                ("new-1-category", "irregular_hiring"),
            ],
            &["answer-q3"],
        );
        let r = read_return(&spec(), &s, true).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.items[0].truth, Some(Truth::Rectified));
        assert_eq!(r.items[1].truth, Some(Truth::InProgress));
        assert_eq!(r.answers.get("q1").map(String::as_str), Some("12"));
        assert_eq!(r.figures.get("t0"), Some(&50));
        // The second row only has the preselected category: untouched, not a problem.
        assert_eq!(r.new_problems.len(), 1);
        assert_eq!(r.new_problems[0].head_name, "王五");
    }

    #[test]
    fn a_submission_names_every_missing_or_bad_input() {
        let s = sent(
            &[
                ("status-a", "rectified"),
                ("status-b", "maybe"),
                ("answer-q1", "twelve"),
                ("answer-q2", "中"),
                ("target-t0", "-1"),
                ("new-0-description", "x"),
                ("new-0-deadline", "2026-11-27"),
            ],
            &[],
        );
        let problems = read_return(&spec(), &s, true)
            .err()
            .unwrap_or_else(|| panic!("expected problems"));
        let has =
            |input: &str, p: Problem| problems.iter().any(|x| x.input == input && x.problem == p);
        assert!(has("note-a", Problem::Required), "rectified needs evidence");
        assert!(has("status-b", Problem::Invalid));
        assert!(has("answer-q0", Problem::Required));
        assert!(has("answer-q1", Problem::Invalid));
        assert!(has("answer-q2", Problem::Invalid));
        assert!(has("answer-q3", Problem::Required));
        assert!(has("target-t0", Problem::Invalid));
        assert!(has("new-0-unit", Problem::Required));
        assert!(has("new-0-deadline", Problem::NotLater));
        // A photo as evidence is enough for "rectified".
        let s = sent(&[("status-a", "rectified")], &["evidence-a"]);
        let problems = read_return(&spec(), &s, true)
            .err()
            .unwrap_or_else(|| panic!("expected problems"));
        assert!(!problems.iter().any(|p| p.input == "note-a"));
    }

    #[test]
    fn a_draft_may_be_incomplete_but_not_malformed() {
        let s = sent(&[("status-a", "in_progress")], &[]);
        assert!(read_return(&spec(), &s, false).is_ok());
        let s = sent(&[("answer-q1", "x")], &[]);
        assert_eq!(
            read_return(&spec(), &s, false)
                .err()
                .unwrap_or_else(|| panic!("expected problems")),
            vec![problem("answer-q1", Problem::Invalid)]
        );
    }

    #[test]
    fn days_and_numbers_are_read_as_the_server_reads_them() {
        assert_eq!(
            day("2026-12-10"),
            crate::ledger::calendar::parse_date("2026-12-10")
        );
        assert_eq!(
            day(" 2028-02-29 "),
            crate::ledger::calendar::parse_date("2028-02-29")
        );
        for bad in [
            "2026-02-30",
            "2026-1-10",
            "2026/12/10",
            "26-12-10xx",
            "２０２６-12-10",
            "",
        ] {
            assert_eq!(day(bad), None, "{bad}");
        }
        for ok in ["12", "0", "-3", "3.5", "211"] {
            assert!(is_number(ok), "{ok}");
        }
        for bad in ["", "-", "1.", ".5", "1e3", "twelve", "1,000", "NaN", "inf"] {
            assert!(!is_number(bad), "{bad}");
        }
    }

    #[test]
    fn standing_follows_the_window() {
        let closes = d("2026-12-10");
        let before = d("2026-12-01");
        let after = d("2026-12-11");
        assert_eq!(
            standing(ReturnState::Draft, None, closes, before),
            Standing::Pending
        );
        assert_eq!(
            standing(ReturnState::Draft, None, closes, after),
            Standing::Missing
        );
        assert_eq!(
            standing(ReturnState::Submitted, Some(closes), closes, after),
            Standing::Submitted
        );
        assert_eq!(
            standing(ReturnState::Submitted, Some(after), closes, after),
            Standing::Late
        );
        assert_eq!(
            standing(ReturnState::Returned, Some(before), closes, before),
            Standing::Returned
        );
        assert_eq!(
            standing(ReturnState::Returned, Some(before), closes, after),
            Standing::Missing
        );
        assert_eq!(
            standing(ReturnState::Accepted, Some(after), closes, after),
            Standing::Accepted
        );
        assert!(return_editable(CampaignState::Open, ReturnState::Returned));
        assert!(!return_editable(
            CampaignState::Open,
            ReturnState::Submitted
        ));
        assert!(!return_editable(CampaignState::Closed, ReturnState::Draft));
        // A change from an older version is kept for the reviewer until the return is
        // accepted or the campaign closed.
        assert!(parallel_update_kept(
            CampaignState::Open,
            ReturnState::Submitted
        ));
        assert!(!parallel_update_kept(
            CampaignState::Open,
            ReturnState::Accepted
        ));
        assert!(!parallel_update_kept(
            CampaignState::Closed,
            ReturnState::Returned
        ));
    }

    #[test]
    fn problems_survive_a_redirect_and_tampering_does_not() {
        let ps = vec![
            problem("status-a", Problem::Required),
            problem("new-0-deadline", Problem::NotLater),
        ];
        assert_eq!(decode_problems(&encode_problems(&ps)), ps);
        assert!(decode_problems("<script>:required,a b:invalid").is_empty());
    }

    #[test]
    fn verification_needs_a_finding_per_item_and_reasons() {
        let spec = VerificationSpec {
            items: vec!["a".into(), "b".into()],
            units: vec!["u1".into()],
            categories: vec!["irregular_hiring".into()],
            today: "2026-11-27".into(),
        };
        let s = sent(
            &[
                ("visited_on", "2026-11-28"),
                ("finding-a", "partly"),
                ("new-0-description", "新问题"),
            ],
            &[],
        );
        let problems = read_verification(&spec, &s, true)
            .err()
            .unwrap_or_else(|| panic!("expected problems"));
        let inputs: Vec<&str> = problems.iter().map(|p| p.input.as_str()).collect();
        for i in ["visited_on", "people", "fnote-a", "finding-b", "new-0-unit"] {
            assert!(inputs.contains(&i), "{i} in {inputs:?}");
        }
        let s = sent(
            &[
                ("visited_on", "2026-11-27"),
                ("people", "张三、李四"),
                ("finding-a", "confirmed"),
                ("finding-b", "not_confirmed"),
                ("fnote-b", "仍有 2 人未清退"),
            ],
            &[],
        );
        let r = read_verification(&spec, &s, true).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.findings[1].finding, Some(Finding::NotConfirmed));
        assert!(r.new_problem.is_none());
    }

    #[test]
    fn a_campaign_form_reads_questions_and_targets() {
        let s = sent(
            &[
                ("name", "2026年整改回头看"),
                ("kind", "special"),
                ("opens", "2026-12-01"),
                ("closes", "2026-12-20"),
                ("q-0-kind", "choice"),
                ("q-0-label", "进度"),
                ("q-0-choices", "快、慢"),
                ("q-0-required", "on"),
                ("q-1-kind", "number"),
                ("q-1-label", ""),
                ("t-0-label", "清退编外人员"),
                ("t-0-goal", "211"),
            ],
            &[],
        );
        let c = read_campaign(&s).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.form.questions.len(), 1);
        assert_eq!(c.form.questions[0].choices, vec!["快", "慢"]);
        assert!(c.form.questions[0].required);
        assert_eq!(c.form.targets[0].goal, 211);
        let s = sent(
            &[
                ("kind", "x"),
                ("opens", "2026-12-20"),
                ("closes", "2026-12-01"),
                ("q-0-kind", "choice"),
                ("q-0-label", "进度"),
            ],
            &[],
        );
        let inputs: Vec<String> = read_campaign(&s)
            .err()
            .unwrap_or_else(|| panic!("expected problems"))
            .into_iter()
            .map(|p| p.input)
            .collect();
        for i in ["name", "kind", "closes", "q-0-choices"] {
            assert!(inputs.iter().any(|x| x == i), "{i}");
        }
    }

    #[test]
    fn answers_are_summarised() {
        let form = spec().form;
        let a: BTreeMap<String, String> = [("q0", "yes"), ("q1", "12"), ("q2", "快")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let b: BTreeMap<String, String> = [("q0", "no"), ("q1", "3.5"), ("q2", "快")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let s = summarise(&form, &[&a, &b]);
        assert_eq!(s[0], Summary::YesNo(1, 1));
        assert_eq!(s[1], Summary::Number(2, 15.5));
        assert_eq!(
            s[2],
            Summary::Choice(vec![("快".into(), 2), ("慢".into(), 0)])
        );
        assert_eq!(s[3], Summary::Count(0));
    }
}
