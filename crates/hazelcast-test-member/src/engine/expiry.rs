//! Expiry: the background task that cleans a few partitions per run (facts 4.1).

use super::*;

impl Engine {
    // ---- expiry --------------------------------------------------------------------------

    /// One run of the background expiry task: each live member removes the expired
    /// entries of its next `expiry_partitions_per_run` owned partitions (round robin) and
    /// fires their `expired` events. Returns how many entries expired.
    pub fn run_expiry_cycle(&self) -> usize {
        let now = self.now();
        let per_run = self.config.expiry_partitions_per_run.max(1);
        let mut s = self.lock();
        let mut expired = 0;
        let members: Vec<Uuid> = s
            .members
            .iter()
            .filter(|m| m.alive)
            .map(|m| m.uuid)
            .collect();
        for member in members {
            let owned = s.table.owned_by(member);
            if owned.is_empty() {
                continue;
            }
            let Some(idx) = s.members.iter().position(|m| m.uuid == member) else {
                continue;
            };
            let start = s.members[idx].expiry_cursor % owned.len();
            s.members[idx].expiry_cursor = start + per_run.min(owned.len());
            for i in 0..per_run.min(owned.len()) {
                let p = owned[(start + i) % owned.len()];
                let maps: Vec<String> = s.members[idx]
                    .data
                    .get(&p)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                for map in maps {
                    let due: Vec<Record> = s
                        .store(member, p, &map)
                        .map(|st| st.values().filter(|r| r.is_expired(now)).cloned().collect())
                        .unwrap_or_default();
                    if due.is_empty() {
                        continue;
                    }
                    let ctx = match s.key_ctx(&map, p) {
                        Ok(c) => c,
                        Err(_) => continue,
                    };
                    for r in due {
                        let kid = key_id(&r.key);
                        s.apply(&ctx, &map, &kid, &Change::Remove);
                        s.fire(
                            &ctx,
                            &map,
                            &r.key,
                            event_type::EXPIRED,
                            None,
                            Some(&r.value),
                        );
                        expired += 1;
                    }
                }
            }
        }
        expired
    }

    /// Spawns the background expiry task on the current tokio runtime; it runs every
    /// `expiry_period` until the returned handle is aborted.
    pub fn spawn_expiry_task(&self) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        let period = self.config.expiry_period.max(Duration::from_millis(10));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                tick.tick().await;
                let n = engine.run_expiry_cycle();
                if n > 0 {
                    tracing::debug!(expired = n, "expiry task removed entries");
                }
            }
        })
    }
}
