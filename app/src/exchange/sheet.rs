//! Reading a ledger sheet and checking its rows: pure (no database), so the import's
//! service and the fuzz targets share it. A sheet is xlsx, xls or ods, whoever wrote it;
//! every row is checked against a [`Lookup`] of the organisation and the lists.

use super::{COLUMNS, COLUMNS_EN, RowProblem};
use crate::AppError;
use crate::ledger::NewItem;
use crate::ledger::calendar::{format_date, parse_date};
use calamine::{Data, Reader, Xlsx, open_workbook_auto_from_rs};
use chrono::{Duration, NaiveDate};
use std::collections::HashMap;

/// The largest sheet taken: rows beyond are refused as a whole.
pub const MAX_ROWS: usize = 5000;
/// The largest upload.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// A cell as text: dates (Excel serials or date cells) as `YYYY-MM-DD`.
pub fn cell_text(cell: &Data) -> String {
    let serial_date = |serial: f64| {
        // Excel's day 0 is 1899-12-30 (with its 1900 leap-year bug absorbed).
        NaiveDate::from_ymd_opt(1899, 12, 30)
            .map(|epoch| format_date(epoch + Duration::days(serial.floor() as i64)))
            .unwrap_or_default()
    };
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => serial_date(d.as_f64()),
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("{e:?}"),
    }
}

/// A date as offices write it: 2026-06-10, 2026/6/10, 2026.6.10, 2026年6月10日, or an
/// Excel serial number that lost its date format.
pub fn sheet_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if let Ok(serial) = t.parse::<i64>() {
        // 1982-01-01 .. 2173: serials, not years.
        if (30_000..100_000).contains(&serial) {
            return NaiveDate::from_ymd_opt(1899, 12, 30).map(|e| e + Duration::days(serial));
        }
        return None;
    }
    let normal: String = t
        .replace(['年', '月', '/', '.'], "-")
        .replace('日', "")
        .trim()
        .to_string();
    let parts: Vec<&str> = normal.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?),
        _ => parse_date(t),
    }
}

/// What the rows are checked against, loaded once per sheet.
#[derive(Clone, Debug, Default)]
pub struct Lookup {
    /// Unit name → (unit key, district name).
    pub units: HashMap<String, (String, String)>,
    /// Category name, English name or code → code.
    pub categories: HashMap<String, String>,
    pub sources: HashMap<String, String>,
    /// Nature label (either language) or code → code.
    pub natures: HashMap<String, String>,
    /// Unit key → its people (name, phone).
    pub people: HashMap<String, Vec<(String, String)>>,
}

/// The responsible person as written: a name, perhaps followed by a phone number
/// ("周志明 13800000000", "周志明(13800000000)").
pub fn owner_parts(text: &str) -> (String, String) {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if matches!(c, '(' | ')' | '（' | '）' | ',' | '，' | '/') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut name = Vec::new();
    let mut phone = String::new();
    for part in cleaned.split_whitespace() {
        if part.chars().all(|c| c.is_ascii_digit() || c == '-') && part.len() >= 7 {
            phone = part.replace('-', "");
        } else {
            name.push(part);
        }
    }
    (name.join(" "), phone)
}

/// Check a sheet's rows (`grid[0]` is the header, at spreadsheet row `first_row`).
/// Returns the items to register (with their row numbers) and every problem found.
pub fn check_rows(
    grid: &[Vec<String>],
    first_row: usize,
    lookup: &Lookup,
) -> (Vec<(usize, NewItem)>, Vec<RowProblem>) {
    let mut problems = Vec::new();
    // Offices often put a title above the headers: the header row is the first of the
    // first ten that names the unit column.
    let skip = grid
        .iter()
        .take(10)
        .position(|r| {
            r.iter()
                .any(|h| h.trim() == COLUMNS[1] || h.trim().eq_ignore_ascii_case(COLUMNS_EN[1]))
        })
        .unwrap_or(0);
    let grid = &grid[skip..];
    let first_row = first_row + skip;
    let Some(head) = grid.first() else {
        problems.push(RowProblem {
            row: first_row,
            column: String::new(),
            problem: "no_rows".into(),
            value: String::new(),
        });
        return (Vec::new(), problems);
    };
    // Columns by their header, Chinese or English.
    let position = |i: usize| {
        head.iter()
            .position(|h| h.trim() == COLUMNS[i] || h.trim().eq_ignore_ascii_case(COLUMNS_EN[i]))
    };
    let needed = [1usize, 3, 4, 5, 6, 7, 8, 9];
    let mut at: HashMap<usize, usize> = HashMap::new();
    for i in 0..COLUMNS.len() {
        if let Some(p) = position(i) {
            at.insert(i, p);
        }
    }
    let missing: Vec<usize> = needed
        .iter()
        .copied()
        .filter(|i| !at.contains_key(i))
        .collect();
    if !missing.is_empty() {
        for i in missing {
            problems.push(RowProblem {
                row: first_row,
                column: COLUMNS[i].into(),
                problem: "missing_column".into(),
                value: String::new(),
            });
        }
        return (Vec::new(), problems);
    }
    let mut items = Vec::new();
    for (offset, cells) in grid.iter().enumerate().skip(1) {
        let row = first_row + offset;
        let cell = |i: usize| {
            at.get(&i)
                .and_then(|p| cells.get(*p))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        if needed.iter().all(|i| cell(*i).is_empty()) {
            continue; // a blank line
        }
        let before = problems.len();
        let mut flag = |i: usize, problem: &str, value: String| {
            problems.push(RowProblem {
                row,
                column: COLUMNS[i].into(),
                problem: problem.into(),
                value,
            });
        };
        for i in needed {
            if cell(i).is_empty() {
                flag(i, "missing", String::new());
            }
        }
        let unit = lookup.units.get(&cell(1));
        if unit.is_none() && !cell(1).is_empty() {
            flag(1, "unknown_unit", cell(1));
        }
        if let (Some((_, district)), false) = (unit, cell(2).is_empty())
            && *district != cell(2)
        {
            flag(2, "district_mismatch", cell(2));
        }
        let code = |map: &HashMap<String, String>, text: String| {
            map.get(&text)
                .cloned()
                .or_else(|| map.get(&text.to_lowercase()).cloned())
        };
        let category = code(&lookup.categories, cell(3));
        if category.is_none() && !cell(3).is_empty() {
            flag(3, "unknown_category", cell(3));
        }
        let nature = code(&lookup.natures, cell(4));
        if nature.is_none() && !cell(4).is_empty() {
            flag(4, "unknown_nature", cell(4));
        }
        if cell(5).chars().count() > 2000 {
            flag(5, "too_long", String::new());
        }
        let source = code(&lookup.sources, cell(6));
        if source.is_none() && !cell(6).is_empty() {
            flag(6, "unknown_source", cell(6));
        }
        let found = sheet_date(&cell(7));
        if found.is_none() && !cell(7).is_empty() {
            flag(7, "bad_date", cell(7));
        }
        let deadline = sheet_date(&cell(8));
        if deadline.is_none() && !cell(8).is_empty() {
            flag(8, "bad_date", cell(8));
        }
        if let (Some(f), Some(d)) = (found, deadline)
            && d < f
        {
            flag(8, "deadline_before_found", cell(8));
        }
        let (owner, phone) = owner_parts(&cell(9));
        if let (Some((unit_key, _)), false) = (unit, owner.is_empty()) {
            let matches: Vec<&(String, String)> = lookup
                .people
                .get(unit_key)
                .map(|p| {
                    p.iter()
                        .filter(|(n, ph)| *n == owner && (phone.is_empty() || *ph == phone))
                        .collect()
                })
                .unwrap_or_default();
            match matches.len() {
                0 => flag(9, "unknown_owner", cell(9)),
                1 => {}
                _ => flag(9, "ambiguous_owner", cell(9)),
            }
        }
        if problems.len() > before {
            continue;
        }
        let item = NewItem {
            unit: unit.map(|u| u.0.clone()).unwrap_or_default(),
            source: source.unwrap_or_default(),
            category: category.unwrap_or_default(),
            nature: nature.unwrap_or_default(),
            description: cell(5),
            found_on: found.map(format_date).unwrap_or_default(),
            deadline: deadline.map(format_date).unwrap_or_default(),
            head_name: owner,
            ..NewItem::default()
        };
        // The ledger's own rules have the last word (lengths, dates).
        if let Err(AppError::Validation { field, .. }) = crate::ledger::rules::valid_item(&item) {
            problems.push(RowProblem {
                row,
                column: String::new(),
                problem: format!("rule:{}", field.as_str()),
                value: String::new(),
            });
            continue;
        }
        items.push((row, item));
    }
    if items.is_empty() && problems.is_empty() {
        problems.push(RowProblem {
            row: first_row + 1,
            column: String::new(),
            problem: "no_rows".into(),
            value: String::new(),
        });
    }
    (items, problems)
}

/// The widest sheet read: the ledger has 16 columns; cells further right are ignored.
pub const MAX_COLUMNS: u32 = 64;
/// Rows below the sheet's first that are read at all: a sheet longer than [`MAX_ROWS`]
/// is refused as a whole, so nothing further down needs to be kept.
const MAX_ROW_INDEX: u32 = MAX_ROWS as u32 + 1_000;

/// The grid of the first sheet, as text (columns in their places from column A), and the
/// spreadsheet row of its first line.
///
/// A hostile file must not take the server down. The reader is given the bytes only
/// through bounds of our own: xlsx is read cell by cell and only cells within
/// [`MAX_ROW_INDEX`] × [`MAX_COLUMNS`] are kept (a cell claiming row four billion would
/// otherwise make a grid of that size); and a panic inside the reader (calamine checks a
/// cell reference's arithmetic only in debug builds; found by the `sheet` fuzz target)
/// means the file is unreadable.
pub fn read_sheet(bytes: &[u8]) -> Result<(Vec<Vec<String>>, usize), RowProblem> {
    let unreadable = || RowProblem {
        row: 0,
        column: String::new(),
        problem: "unreadable".into(),
        value: String::new(),
    };
    let cells = std::panic::catch_unwind(|| read_cells(bytes))
        .ok()
        .flatten()
        .ok_or_else(unreadable)?;
    Ok(grid_of(cells))
}

/// What the first sheet holds: its non-empty cells (row, column, text), 0-based, within
/// the bounds, and whether any lay beyond [`MAX_ROW_INDEX`].
struct Cells {
    kept: Vec<(u32, u32, String)>,
    beyond: bool,
}

impl Cells {
    fn new() -> Self {
        Cells {
            kept: Vec::new(),
            beyond: false,
        }
    }

    fn add(&mut self, row: u32, column: u32, text: String) {
        if text.is_empty() || column >= MAX_COLUMNS {
            return;
        }
        if row > MAX_ROW_INDEX {
            self.beyond = true;
            return;
        }
        self.kept.push((row, column, text));
    }
}

fn read_cells(bytes: &[u8]) -> Option<Cells> {
    let mut cells = Cells::new();
    if let Ok(mut book) = Xlsx::new(std::io::Cursor::new(bytes)) {
        let name = book.sheet_names().first()?.clone();
        let mut reader = book.worksheet_cells_reader(&name).ok()?;
        while let Some(cell) = reader.next_cell().ok()? {
            let (row, column) = cell.get_position();
            cells.add(
                row,
                column,
                cell_text(&Data::from(cell.get_value().clone())),
            );
        }
        return Some(cells);
    }
    // xls and ods: their formats bound a sheet's size (xls 65,536 × 256).
    let mut book = open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).ok()?;
    let range = book.worksheet_range_at(0)?.ok()?;
    let (top, left) = range.start().unwrap_or((0, 0));
    for (row, column, value) in range.cells() {
        cells.add(
            top.saturating_add(row as u32),
            left.saturating_add(column as u32),
            cell_text(value),
        );
    }
    Some(cells)
}

/// The grid from the first row holding anything, at most `MAX_ROWS + 1` rows (a sheet
/// with cells further down is made that long, so the import refuses it as too long).
fn grid_of(cells: Cells) -> (Vec<Vec<String>>, usize) {
    let Some(top) = cells.kept.iter().map(|c| c.0).min() else {
        return (Vec::new(), 1);
    };
    let bottom = cells.kept.iter().map(|c| c.0).max().unwrap_or(top);
    let height = ((bottom - top) as usize + 1).min(MAX_ROWS + 1);
    let width = cells
        .kept
        .iter()
        .map(|c| c.1 as usize + 1)
        .max()
        .unwrap_or(0);
    let mut grid = vec![vec![String::new(); width]; height];
    for (row, column, text) in cells.kept {
        if let Some(line) = grid.get_mut((row - top) as usize) {
            line[column as usize] = text;
        }
    }
    if cells.beyond {
        grid.resize(MAX_ROWS + 1, Vec::new());
    }
    (grid, top as usize + 1)
}

#[cfg(test)]
// A test that cannot build its input fails, saying which.
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn lookup() -> Lookup {
        let mut l = Lookup::default();
        l.units
            .insert("海陵区教育局".into(), ("u1".into(), "海陵区".into()));
        l.categories
            .insert("超编进人".into(), "over_establishment".into());
        l.sources.insert("巡察".into(), "inspection_tour".into());
        l.natures.insert("违规问题".into(), "violation".into());
        l.people.insert(
            "u1".into(),
            vec![
                ("周志明".into(), "13800000001".into()),
                ("王芳".into(), "13800000002".into()),
                ("王芳".into(), "13800000003".into()),
            ],
        );
        l
    }

    fn grid(rows: &[[&str; 16]]) -> Vec<Vec<String>> {
        std::iter::once(COLUMNS.map(String::from).to_vec())
            .chain(rows.iter().map(|r| r.map(String::from).to_vec()))
            .collect()
    }

    const GOOD: [&str; 16] = [
        "1",
        "海陵区教育局",
        "海陵区",
        "超编进人",
        "违规问题",
        "超编进人 2 名",
        "巡察",
        "2026-06-10",
        "2026年12月31日",
        "周志明",
        "",
        "",
        "",
        "",
        "",
        "",
    ];

    #[test]
    fn a_good_row_becomes_an_item() {
        let (items, problems) = check_rows(&grid(&[GOOD]), 1, &lookup());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(items.len(), 1);
        let (row, item) = &items[0];
        assert_eq!(*row, 2);
        assert_eq!(
            (
                item.unit.as_str(),
                item.category.as_str(),
                item.deadline.as_str()
            ),
            ("u1", "over_establishment", "2026-12-31")
        );
    }

    #[test]
    fn each_bad_row_is_named_with_its_number_and_reason() {
        let mut unknown_unit = GOOD;
        unknown_unit[1] = "不存在局";
        let mut bad_date = GOOD;
        bad_date[7] = "2026-13-40";
        let mut missing = GOOD;
        missing[5] = "";
        let mut owner = GOOD;
        owner[9] = "李四";
        let mut ambiguous = GOOD;
        ambiguous[9] = "王芳";
        let mut by_phone = GOOD;
        by_phone[9] = "王芳(13800000003)";
        let mut wrong_district = GOOD;
        wrong_district[2] = "高港区";
        let (items, problems) = check_rows(
            &grid(&[
                GOOD,
                unknown_unit,
                bad_date,
                missing,
                owner,
                ambiguous,
                by_phone,
                wrong_district,
            ]),
            1,
            &lookup(),
        );
        let got: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.row, p.problem.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (3, "unknown_unit"),
                (4, "bad_date"),
                (5, "missing"),
                (6, "unknown_owner"),
                (7, "ambiguous_owner"),
                (9, "district_mismatch")
            ]
        );
        assert_eq!(items.iter().map(|(r, _)| *r).collect::<Vec<_>>(), [2, 8]);
    }

    #[test]
    fn a_sheet_without_the_needed_columns_says_which() {
        let g = vec![vec!["单位".to_string(), "问题描述".to_string()]];
        let (_, problems) = check_rows(&g, 1, &lookup());
        assert!(
            problems
                .iter()
                .any(|p| p.problem == "missing_column" && p.column == "整改时限")
        );
    }

    /// Found by the `sheet` fuzz target: a cell reference with too many digits overflows
    /// inside the reader (a panic in debug builds, a garbage position in release ones).
    #[test]
    fn a_hostile_cell_reference_is_unreadable_or_bounded_never_a_crash() {
        let bytes =
            include_bytes!("../../../fuzz/seeds/sheet/regression-overflowing-cell-reference.xlsx");
        if let Ok((grid, _)) = read_sheet(bytes) {
            assert!(grid.len() <= MAX_ROWS + 1);
            assert!(grid.iter().all(|r| r.len() <= MAX_COLUMNS as usize));
        }
    }

    fn sheet_with(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (row, column, text) in cells {
            sheet.write_string(*row, *column, *text).expect("cell");
        }
        book.save_to_buffer().expect("xlsx")
    }

    #[test]
    fn far_away_cells_do_not_make_a_grid_of_their_size() {
        // A header, one row, and a cell a million rows down: too long, refused as such.
        let far = sheet_with(&[
            (0, 1, COLUMNS[1]),
            (1, 1, "海陵区教育局"),
            (1_000_000, 0, "x"),
        ]);
        let (grid, first_row) = read_sheet(&far).expect("readable");
        assert_eq!(first_row, 1);
        assert_eq!(
            grid.len(),
            MAX_ROWS + 1,
            "made as long as the import refuses"
        );
        // A cell in the sheet's last column is ignored, not a grid 16,384 wide.
        let wide = sheet_with(&[(2, 1, COLUMNS[1]), (3, 1, "海陵区教育局"), (3, 16_383, "x")]);
        let (grid, first_row) = read_sheet(&wide).expect("readable");
        assert_eq!(first_row, 3, "the first row holding anything");
        assert_eq!(grid.len(), 2);
        assert_eq!(grid[0].len(), 2, "columns kept in their places from A");
        assert_eq!(grid[1][1], "海陵区教育局");
    }

    #[test]
    fn dates_as_offices_write_them() {
        let d = |s: &str| sheet_date(s).map(format_date);
        assert_eq!(d("2026/6/10").as_deref(), Some("2026-06-10"));
        assert_eq!(d("2026.06.10").as_deref(), Some("2026-06-10"));
        assert_eq!(d("2026年6月10日").as_deref(), Some("2026-06-10"));
        assert_eq!(d("46183").as_deref(), Some("2026-06-10"));
        assert_eq!(d("2026"), None);
        assert_eq!(d("明天"), None);
        assert_eq!(
            owner_parts("周志明（13800000001）"),
            ("周志明".to_string(), "13800000001".to_string())
        );
    }
}
