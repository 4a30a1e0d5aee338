//! Rebalances and their fees (an accounting cost, kept apart from invoice payments).

use super::{to_i64, to_u64, Store, StoreError};

/// Who started a rebalance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RebalanceTrigger {
    /// `openfatture lightning liquidity rebalance`.
    Manual,
    /// The automatic liquidity manager.
    Auto,
}

impl RebalanceTrigger {
    fn as_str(self) -> &'static str {
        match self {
            RebalanceTrigger::Manual => "manual",
            RebalanceTrigger::Auto => "auto",
        }
    }
}

/// A finished rebalance to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRebalance {
    /// Hash of our own invoice that the circular payment paid, hex.
    pub payment_hash: String,
    /// Channel the local balance left through.
    pub from_chan_id: u64,
    /// Channel it came back through.
    pub to_chan_id: u64,
    /// Amount moved (or attempted).
    pub amount_msat: u64,
    /// Routing fees paid (0 for a failed rebalance).
    pub fee_msat: u64,
    /// Whether it succeeded.
    pub succeeded: bool,
    /// Why it failed.
    pub failure: Option<String>,
    /// Who started it.
    pub trigger: RebalanceTrigger,
    /// Start, unix seconds.
    pub started_at: i64,
    /// End, unix seconds.
    pub finished_at: i64,
}

/// Rebalances finished in a period: how many, how many succeeded, the fees they paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct RebalanceSummary {
    /// Rebalances attempted (finished, whatever the outcome).
    pub attempts: u64,
    /// Of which succeeded.
    pub succeeded: u64,
    /// Routing fees they paid, msat.
    pub fees_paid_msat: u64,
}

impl Store {
    /// Rebalances that finished at or after `since` (unix seconds): attempts, successes, fees.
    pub async fn rebalance_summary_since(&self, since: i64) -> Result<RebalanceSummary, StoreError> {
        let (attempts, succeeded, fees): (i64, i64, i64) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN status = 'SUCCEEDED' THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(fee_msat), 0) AS BIGINT) FROM rebalances WHERE finished_at >= $1",
        )
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        Ok(RebalanceSummary {
            attempts: to_u64(attempts, "rebalance count")?,
            succeeded: to_u64(succeeded, "rebalance successes")?,
            fees_paid_msat: to_u64(fees, "fee total")?,
        })
    }

    /// Records a finished rebalance; returns its id.
    pub async fn record_rebalance(&self, r: &NewRebalance) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO rebalances (payment_hash, from_chan_id, to_chan_id, amount_msat, fee_msat, status, failure, \
             trigger, started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&r.payment_hash)
        .bind(to_i64(r.from_chan_id, "from_chan_id")?)
        .bind(to_i64(r.to_chan_id, "to_chan_id")?)
        .bind(to_i64(r.amount_msat, "amount_msat")?)
        .bind(to_i64(r.fee_msat, "fee_msat")?)
        .bind(if r.succeeded { "SUCCEEDED" } else { "FAILED" })
        .bind(&r.failure)
        .bind(r.trigger.as_str())
        .bind(r.started_at)
        .bind(r.finished_at)
        .fetch_one(self.pool())
        .await?)
    }

    /// Routing fees paid by rebalances that finished at or after `since` (unix seconds), msat.
    pub async fn rebalance_fees_since_msat(&self, since: i64) -> Result<u64, StoreError> {
        let total: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(fee_msat), 0) AS BIGINT) FROM rebalances WHERE finished_at >= $1",
        )
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        to_u64(total, "fee total")
    }

    /// Takes the rebalance lease for `holder` until `now_secs + lease_secs` if it is free,
    /// expired or already `holder`'s; returns whether it was taken.
    pub async fn try_take_rebalance_lease(
        &self,
        holder: &str,
        now_secs: i64,
        lease_secs: i64,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let done = sqlx::query(
            "INSERT INTO rebalance_lease (id, holder, expires_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE rebalance_lease.expires_at <= $3 OR rebalance_lease.holder = $1",
        )
        .bind(holder)
        .bind(now_secs.saturating_add(lease_secs))
        .bind(now_secs)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the rebalance lease back if `holder` has it.
    pub async fn release_rebalance_lease(&self, holder: &str) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query("DELETE FROM rebalance_lease WHERE holder = $1")
            .bind(holder)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
