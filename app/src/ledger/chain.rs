//! The hash chain of the ledger's history: each event's hash covers its content and the
//! hash of the event before, so changing, removing or reordering any event breaks every
//! link after it. Pure; the service stores and reads the events.

use sha2::{Digest, Sha256};

/// The hash the first event links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an event says, as it is hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventContent<'a> {
    pub seq: i64,
    pub item: &'a str,
    pub actor: &'a str,
    pub at: &'a str,
    pub action: &'a str,
    pub before: &'a str,
    pub after: &'a str,
    pub prev_hash: &'a str,
}

/// sha256 over an unambiguous encoding of the content (a JSON array of its fields).
pub fn event_hash(e: &EventContent<'_>) -> String {
    let encoded = serde_json::json!([
        e.seq,
        e.item,
        e.actor,
        e.at,
        e.action,
        e.before,
        e.after,
        e.prev_hash
    ])
    .to_string();
    hex::encode(Sha256::digest(encoded.as_bytes()))
}

/// Where a chain breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Break {
    /// The event's stored hash is not the hash of its content.
    Altered { seq: i64 },
    /// The event does not link to the hash of the one before.
    Unlinked { seq: i64 },
    /// Sequence numbers skip: an event was removed.
    Missing { after_seq: i64 },
}

/// Walks a chain one event at a time, in sequence order (so a long chain can be read
/// page by page).
#[derive(Clone, Debug)]
pub struct ChainCursor {
    prev_seq: i64,
    prev_hash: String,
}

impl Default for ChainCursor {
    fn default() -> Self {
        ChainCursor {
            prev_seq: 0,
            prev_hash: GENESIS.to_string(),
        }
    }
}

impl ChainCursor {
    /// The sequence number of the last event that checked out.
    pub fn last_seq(&self) -> i64 {
        self.prev_seq
    }

    /// Check the next event and its stored hash against everything before it.
    pub fn check(&mut self, content: &EventContent<'_>, stored: &str) -> Result<(), Break> {
        if content.seq != self.prev_seq + 1 {
            return Err(Break::Missing {
                after_seq: self.prev_seq,
            });
        }
        if content.prev_hash != self.prev_hash {
            return Err(Break::Unlinked { seq: content.seq });
        }
        if event_hash(content) != stored {
            return Err(Break::Altered { seq: content.seq });
        }
        self.prev_seq = content.seq;
        self.prev_hash = stored.to_string();
        Ok(())
    }
}

/// Walk events in sequence order, each with its stored hash; the first break, if any.
pub fn first_break<'a>(
    events: impl IntoIterator<Item = (EventContent<'a>, &'a str)>,
) -> Option<Break> {
    let mut cursor = ChainCursor::default();
    events
        .into_iter()
        .find_map(|(content, stored)| cursor.check(&content, stored).err())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<(i64, String, String)> {
        // (seq, prev_hash, hash) with fixed content
        let mut out = Vec::new();
        let mut prev = GENESIS.to_string();
        for seq in 1..=n {
            let h = event_hash(&content(seq, &prev, "issue"));
            out.push((seq, prev.clone(), h.clone()));
            prev = h;
        }
        out
    }

    fn content<'a>(seq: i64, prev: &'a str, action: &'a str) -> EventContent<'a> {
        EventContent {
            seq,
            item: "item1",
            actor: "user1",
            at: "2026-11-27T00:00:00Z",
            action,
            before: "{}",
            after: "{}",
            prev_hash: prev,
        }
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let c = chain(4);
        assert_eq!(
            first_break(
                c.iter()
                    .map(|(s, p, h)| (content(*s, p, "issue"), h.as_str()))
            ),
            None
        );
    }

    #[test]
    fn an_altered_event_is_found() {
        let c = chain(4);
        let found = first_break(c.iter().map(|(s, p, h)| {
            let action = if *s == 3 { "withdraw" } else { "issue" };
            (content(*s, p, action), h.as_str())
        }));
        assert_eq!(found, Some(Break::Altered { seq: 3 }));
    }

    #[test]
    fn a_removed_event_is_found() {
        let c = chain(4);
        let found = first_break(
            c.iter()
                .filter(|(s, _, _)| *s != 2)
                .map(|(s, p, h)| (content(*s, p, "issue"), h.as_str())),
        );
        assert_eq!(found, Some(Break::Missing { after_seq: 1 }));
    }

    #[test]
    fn a_rehashed_event_still_breaks_the_next_link() {
        let mut c = chain(3);
        // Someone rewrites event 2 and recomputes its hash, but cannot fix event 3.
        c[1].2 = event_hash(&content(2, &c[1].1, "withdraw"));
        let found = first_break(c.iter().map(|(s, p, h)| {
            let action = if *s == 2 { "withdraw" } else { "issue" };
            (content(*s, p, action), h.as_str())
        }));
        assert_eq!(found, Some(Break::Unlinked { seq: 3 }));
    }
}
