//! Property: two stale copies of one stored session, each changed at random and saved one
//! after the other, leave exactly what a per-attribute "last save wins" model predicts.
//! Attributes only one copy touched keep that copy's change; attributes neither touched
//! keep their stored value.

use std::collections::BTreeMap;

use futures::executor::block_on;
use proptest::prelude::*;
use session_core::{MemorySessionRepository, SessionData, SessionRepository};

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, i64),
    Remove(u8),
    Read(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..6, any::<i64>()).prop_map(|(n, v)| Op::Insert(n, v)),
        (0u8..6).prop_map(Op::Remove),
        (0u8..6).prop_map(Op::Read),
    ]
}

fn name(n: u8) -> String {
    format!("attr{n}")
}

/// Applies `ops` to the session and to `net` (the copy's own net change per attribute:
/// `Some(v)` set, `None` removed).
fn apply(session: &SessionData, ops: &[Op], net: &mut BTreeMap<String, Option<i64>>) {
    for op in ops {
        match op {
            Op::Insert(n, v) => {
                session.insert(&name(*n), v).expect("insert");
                net.insert(name(*n), Some(*v));
            }
            Op::Remove(n) => {
                session.remove(&name(*n)).expect("remove");
                net.insert(name(*n), None);
            }
            Op::Read(n) => {
                session.get::<i64>(&name(*n)).expect("read");
            }
        }
    }
}

fn contents(session: &SessionData) -> BTreeMap<String, i64> {
    session
        .attribute_names()
        .into_iter()
        .map(|n| {
            let v = session.get::<i64>(&n).expect("read").expect("present");
            (n, v)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn stale_copies_merge_per_attribute(
        initial in prop::collection::btree_map(0u8..6, any::<i64>(), 0..6),
        ops_a in prop::collection::vec(op(), 0..8),
        ops_b in prop::collection::vec(op(), 0..8),
        a_saves_first in any::<bool>(),
    ) {
        block_on(async {
            let repo = MemorySessionRepository::builder().background_purge(false).build();
            let s = repo.create().await.unwrap();
            let mut model: BTreeMap<String, i64> = BTreeMap::new();
            for (n, v) in &initial {
                s.insert(&name(*n), v).unwrap();
                model.insert(name(*n), *v);
            }
            repo.save(&s).await.unwrap();
            let a = repo.find_by_id(&s.id()).await.unwrap().unwrap();
            let b = repo.find_by_id(&s.id()).await.unwrap().unwrap();
            let (mut net_a, mut net_b) = (BTreeMap::new(), BTreeMap::new());
            apply(&a, &ops_a, &mut net_a);
            apply(&b, &ops_b, &mut net_b);
            let order = if a_saves_first { [(&a, &net_a), (&b, &net_b)] } else { [(&b, &net_b), (&a, &net_a)] };
            for (copy, net) in order {
                repo.save(copy).await.unwrap();
                for (n, change) in net {
                    match change {
                        Some(v) => { model.insert(n.clone(), *v); }
                        None => { model.remove(n); }
                    }
                }
            }
            let stored = repo.find_by_id(&s.id()).await.unwrap().unwrap();
            assert_eq!(contents(&stored), model);
            assert!(!a.has_changes() && !b.has_changes());
        });
    }
}
