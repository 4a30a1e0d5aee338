//! Tablet pairing (issue 36): one-time pairing codes and paired devices of tills, both stored as
//! SHA-256 hex digests only (the code and the device token never reach the database).

use sqlx::FromRow;

use super::{Store, StoreError, TillRow};

/// A paired (or unpaired) device, with its till's name.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TillDeviceRow {
    /// Its id (what `pos till unpair` takes).
    pub id: i64,
    /// Its till's id.
    pub till_id: i64,
    /// Its till's name.
    pub till_name: String,
    /// The cashier signed in on the tablet when it was paired.
    pub paired_by: String,
    /// When it was paired (unix seconds).
    pub created_at: i64,
    /// When it last rang up a sale (unix seconds).
    pub last_seen_at: i64,
    /// When it was unpaired (unix seconds), `None` while paired.
    pub revoked_at: Option<i64>,
}

/// What redeeming a pairing code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// The device is paired to this till.
    Paired(TillRow),
    /// No unused code younger than the validity window has that digest.
    Refused,
}

const SELECT_DEVICE: &str = "SELECT d.id, d.till_id, t.name AS till_name, d.paired_by, d.created_at, \
     d.last_seen_at, d.revoked_at FROM till_devices d JOIN tills t ON t.id = d.till_id";

impl Store {
    /// Stores a pairing code (as its digest) for till `till_id`.
    pub async fn add_pairing_code(
        &self,
        code_digest: &str,
        till_id: i64,
        created_by: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO till_pairing_codes (code_digest, till_id, created_by, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(code_digest)
        .bind(till_id)
        .bind(created_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses the pairing code with `code_digest` if it is unused and made at or after
    /// `not_before`: marks it used and records the device with `token_digest`, in one transaction.
    pub async fn redeem_pairing_code(
        &self,
        code_digest: &str,
        not_before: i64,
        token_digest: &str,
        paired_by: &str,
        now: i64,
    ) -> Result<Redeemed, StoreError> {
        let mut tx = self.begin_write().await?;
        let till: Option<TillRow> = sqlx::query_as(
            "SELECT t.id, t.name, t.printer_address, t.vat_rate, t.created_at, t.auto_print \
             FROM till_pairing_codes c JOIN tills t ON t.id = c.till_id \
             WHERE c.code_digest = $1 AND c.used_at IS NULL AND c.created_at >= $2",
        )
        .bind(code_digest)
        .bind(not_before)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(till) = till else {
            return Ok(Redeemed::Refused);
        };
        sqlx::query("UPDATE till_pairing_codes SET used_at = $1 WHERE code_digest = $2")
            .bind(now)
            .bind(code_digest)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO till_devices (till_id, token_digest, paired_by, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(till.id)
        .bind(token_digest)
        .bind(paired_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Redeemed::Paired(till))
    }

    /// The till of the paired (not unpaired) device with `token_digest`.
    pub async fn device_till(&self, token_digest: &str) -> Result<Option<TillRow>, StoreError> {
        Ok(sqlx::query_as::<_, TillRow>(
            "SELECT t.id, t.name, t.printer_address, t.vat_rate, t.created_at, t.auto_print \
             FROM till_devices d JOIN tills t ON t.id = d.till_id \
             WHERE d.token_digest = $1 AND d.revoked_at IS NULL",
        )
        .bind(token_digest)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Notes that the device with `token_digest` rang up a sale at `now`.
    pub async fn touch_device(&self, token_digest: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE till_devices SET last_seen_at = $1 WHERE token_digest = $2")
            .bind(now)
            .bind(token_digest)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The paired devices (not the unpaired ones), of till `till_id` only when given, oldest first.
    pub async fn till_devices(&self, till_id: Option<i64>) -> Result<Vec<TillDeviceRow>, StoreError> {
        let sql =
            format!("{SELECT_DEVICE} WHERE d.revoked_at IS NULL AND ($1 IS NULL OR d.till_id = $1) ORDER BY d.id");
        Ok(sqlx::query_as::<_, TillDeviceRow>(&sql)
            .bind(till_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Unpairs device `id`; the device as it was, `None` when no paired device has that id.
    pub async fn unpair_device(&self, id: i64, now: i64) -> Result<Option<TillDeviceRow>, StoreError> {
        let mut tx = self.begin_write().await?;
        let sql = format!("{SELECT_DEVICE} WHERE d.id = $1 AND d.revoked_at IS NULL");
        let device: Option<TillDeviceRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&mut *tx).await?;
        if device.is_some() {
            sqlx::query("UPDATE till_devices SET revoked_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(device)
    }
}
