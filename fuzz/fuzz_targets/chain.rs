//! The history's hash chain: any sequence of events and stored hashes is checked without
//! a panic; a chain built honestly from arbitrary content verifies; and changing any one
//! field of any one event, or dropping one, is found at that event.
#![no_main]

use app::ledger::chain::{Break, ChainCursor, EventContent, GENESIS, event_hash, first_break};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Event {
    item: String,
    actor: String,
    at: String,
    action: String,
    before: String,
    after: String,
}

#[derive(Arbitrary, Debug)]
struct Input {
    events: Vec<Event>,
    /// Which event to tamper with, and how.
    victim: usize,
    field: u8,
    extra: String,
    /// Arbitrary (seq, prev, stored) triples for the checker alone.
    raw: Vec<(i64, String, String)>,
}

fuzz_target!(|input: Input| {
    // Anything at all: no panic.
    let mut cursor = ChainCursor::default();
    for (seq, prev, stored) in &input.raw {
        let content = EventContent {
            seq: *seq,
            item: "i",
            actor: "a",
            at: "t",
            action: "x",
            before: "",
            after: "",
            prev_hash: prev,
        };
        let _ = cursor.check(&content, stored);
    }

    // An honest chain verifies.
    let mut hashes: Vec<String> = Vec::new();
    for (i, e) in input.events.iter().enumerate() {
        let prev = hashes.last().map_or(GENESIS, String::as_str);
        let content = EventContent {
            seq: i as i64 + 1,
            item: &e.item,
            actor: &e.actor,
            at: &e.at,
            action: &e.action,
            before: &e.before,
            after: &e.after,
            prev_hash: prev,
        };
        let h = event_hash(&content);
        hashes.push(h);
    }
    let contents: Vec<EventContent<'_>> = input
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| EventContent {
            seq: i as i64 + 1,
            item: &e.item,
            actor: &e.actor,
            at: &e.at,
            action: &e.action,
            before: &e.before,
            after: &e.after,
            prev_hash: if i == 0 { GENESIS } else { &hashes[i - 1] },
        })
        .collect();
    let honest = contents
        .iter()
        .cloned()
        .zip(hashes.iter().map(String::as_str));
    assert_eq!(first_break(honest), None);
    if contents.is_empty() {
        return;
    }

    // One field of one event changed: found there.
    let v = input.victim % contents.len();
    let mut tampered = contents.clone();
    let seq = tampered[v].seq;
    let changed = |s: &str| -> String {
        if input.extra.is_empty() || input.extra == s {
            format!("{s}!")
        } else {
            input.extra.clone()
        }
    };
    let field = usize::from(input.field % 6);
    let t = &tampered[v];
    let replacement = changed([t.item, t.actor, t.at, t.action, t.before, t.after][field]);
    let t = &mut tampered[v];
    *[
        &mut t.item,
        &mut t.actor,
        &mut t.at,
        &mut t.action,
        &mut t.before,
        &mut t.after,
    ][field] = &replacement;
    let found = first_break(
        tampered
            .iter()
            .cloned()
            .zip(hashes.iter().map(String::as_str)),
    );
    assert_eq!(found, Some(Break::Altered { seq }));

    // One event removed (not the last): the gap is found where it is.
    if contents.len() > 1 && v + 1 < contents.len() {
        let mut shortened: Vec<(EventContent<'_>, &str)> = contents
            .iter()
            .cloned()
            .zip(hashes.iter().map(String::as_str))
            .collect();
        shortened.remove(v);
        assert_eq!(
            first_break(shortened),
            Some(Break::Missing {
                after_seq: v as i64
            })
        );
    }
});
