//! Rebalances and their fees (an accounting cost, kept apart from invoice payments).

use rust_decimal::Decimal;

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
    /// The fee's EUR value at the rate of that time; `None` when no rate was available.
    pub fee_value: Option<FeeValue>,
}

/// A routing fee's EUR value and the rate it was taken at.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FeeValue {
    /// The fee in EUR, 4 decimals, half-up (a rebalance fee is often under a cent).
    pub fee_eur: Decimal,
    /// The rate, EUR per BTC.
    pub eur_per_btc: Decimal,
    /// Where the rate came from.
    pub rate_source: String,
    /// When the rate was fetched, unix seconds.
    pub rate_at_secs: i64,
}

/// Which payment of ours paid a routing fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingFeeKind {
    /// A circular payment moving liquidity.
    Rebalance,
    /// A refund of a POS sale.
    Refund,
}

impl RoutingFeeKind {
    /// The name in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            RoutingFeeKind::Rebalance => "rebalance",
            RoutingFeeKind::Refund => "refund",
        }
    }
}

/// One routing fee paid by the node for us, for the accounts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RoutingFee {
    /// What paid it.
    pub kind: RoutingFeeKind,
    /// The payment's hash, hex.
    pub payment_hash: String,
    /// When the payment finished, unix seconds.
    pub paid_at_secs: i64,
    /// The fee, msat.
    pub fee_msat: u64,
    /// Its EUR value and rate; `None` when no rate was available then.
    pub value: Option<FeeValue>,
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
             trigger, started_at, finished_at, fee_eur, fee_eur_per_btc, fee_rate_source, fee_rate_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
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
        .bind(r.fee_value.as_ref().map(|v| v.fee_eur.to_string()))
        .bind(r.fee_value.as_ref().map(|v| v.eur_per_btc.to_string()))
        .bind(r.fee_value.as_ref().map(|v| v.rate_source.clone()))
        .bind(r.fee_value.as_ref().map(|v| v.rate_at_secs))
        .fetch_one(self.pool())
        .await?)
    }

    /// Routing fees paid for us (succeeded rebalances and refunds, fee above zero) that finished
    /// from `from_secs` (inclusive) to `to_secs` (exclusive), oldest first.
    pub async fn routing_fees_between(
        &self,
        from_secs: Option<i64>,
        to_secs: Option<i64>,
    ) -> Result<Vec<RoutingFee>, StoreError> {
        type Row = (
            String,
            String,
            i64,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i64>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT kind, payment_hash, paid_at, fee_msat, fee_eur, eur_per_btc, rate_source, rate_at FROM ( \
             SELECT 'rebalance' AS kind, payment_hash, finished_at AS paid_at, fee_msat, fee_eur, \
             fee_eur_per_btc AS eur_per_btc, fee_rate_source AS rate_source, fee_rate_at AS rate_at \
             FROM rebalances WHERE status = 'SUCCEEDED' AND fee_msat > 0 \
             UNION ALL \
             SELECT 'refund' AS kind, payment_hash, finished_at AS paid_at, fee_msat, \
             CAST(fee_cents AS TEXT) AS fee_eur, eur_per_btc, rate_source, rate_at \
             FROM refunds WHERE state = 'succeeded' AND fee_msat > 0 AND finished_at IS NOT NULL \
             ) AS fees WHERE ($1 IS NULL OR paid_at >= $1) AND ($2 IS NULL OR paid_at < $2) \
             ORDER BY paid_at, kind, payment_hash",
        )
        .bind(from_secs)
        .bind(to_secs)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(
                |(kind, payment_hash, paid_at, fee_msat, fee_eur, rate, source, rate_at)| {
                    let kind = if kind == "refund" {
                        RoutingFeeKind::Refund
                    } else {
                        RoutingFeeKind::Rebalance
                    };
                    let value = match (fee_eur, rate, source, rate_at) {
                        (Some(fee), Some(rate), Some(source), Some(at)) => {
                            let fee = fee
                                .parse::<Decimal>()
                                .map_err(|e| StoreError::Corrupt(format!("fee_eur {fee}: {e}")))?;
                            // Refunds keep whole cents.
                            let fee_eur = match kind {
                                RoutingFeeKind::Refund => fee / Decimal::ONE_HUNDRED,
                                RoutingFeeKind::Rebalance => fee,
                            };
                            Some(FeeValue {
                                fee_eur,
                                eur_per_btc: rate
                                    .parse()
                                    .map_err(|e| StoreError::Corrupt(format!("fee rate {rate}: {e}")))?,
                                rate_source: source,
                                rate_at_secs: at,
                            })
                        }
                        _ => None,
                    };
                    Ok(RoutingFee {
                        kind,
                        payment_hash,
                        paid_at_secs: paid_at,
                        fee_msat: to_u64(fee_msat, "fee_msat")?,
                        value,
                    })
                },
            )
            .collect()
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
