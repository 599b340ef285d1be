//! An uploaded file, as the import reads it: any bytes must give a grid or "unreadable",
//! and any grid must give items and row problems, never a panic; every problem names a
//! row of the sheet, and every item comes from a row without problems.
#![no_main]

use app::exchange::sheet::{Lookup, check_rows, read_sheet};
use libfuzzer_sys::fuzz_target;

fn lookup() -> Lookup {
    let mut l = Lookup::default();
    l.units
        .insert("海陵区教育局".into(), ("u1".into(), "海陵区".into()));
    l.categories
        .insert("超编进人".into(), "over_establishment".into());
    l.sources.insert("巡察".into(), "inspection_tour".into());
    l.natures.insert("违规问题".into(), "violation".into());
    l.people
        .insert("u1".into(), vec![("周志明".into(), "13800000001".into())]);
    l
}

fuzz_target!(|data: &[u8]| {
    // The import catches a panic inside the sheet reader (calamine's cell-reference
    // arithmetic overflows on hostile files when overflow checks are on), as the server
    // does. libfuzzer-sys's hook would abort on it before our catch; a quiet hook lets it
    // unwind there, and any panic we do not catch still ends in libfuzzer-sys's abort.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Ok((grid, first_row)) = read_sheet(data) else {
        return;
    };
    assert!(grid.len() <= app::exchange::sheet::MAX_ROWS + 1);
    let (items, problems) = check_rows(&grid, first_row, &lookup());
    let last_row = first_row + grid.len();
    for p in &problems {
        assert!(p.row <= last_row, "problem on row {} of {last_row}", p.row);
    }
    for (row, _) in &items {
        assert!(*row >= first_row && *row <= last_row);
        assert!(
            !problems.iter().any(|p| p.row == *row),
            "row {row} both imported and refused"
        );
    }
});
