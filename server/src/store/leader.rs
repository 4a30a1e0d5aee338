//! Leadership among gateways sharing one database: on PostgreSQL a session advisory lock held on
//! a dedicated connection (it is released by the server the moment that connection or its process
//! dies, so another gateway can take over within its polling interval); on SQLite, which one host
//! uses, every caller leads.

use sqlx::{AnyConnection, Connection};

use super::{Backend, Store, StoreError};

/// A held leadership; ends with [`Leadership::release`] or when the process dies.
#[derive(Debug)]
pub struct Leadership {
    /// The connection holding the advisory lock (PostgreSQL only).
    conn: Option<AnyConnection>,
    role: String,
}

impl Store {
    /// Tries to become the one leader for `role` (e.g. `tracker`); `None` when another gateway is.
    pub async fn try_lead(&self, role: &str) -> Result<Option<Leadership>, StoreError> {
        if self.backend() == Backend::Sqlite {
            return Ok(Some(Leadership {
                conn: None,
                role: role.to_string(),
            }));
        }
        // Outside the pool: the lock lives exactly as long as this connection.
        let mut conn = self.pool().acquire().await?.detach();
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
            .bind(lock_name(role))
            .fetch_one(&mut conn)
            .await?;
        if locked {
            Ok(Some(Leadership {
                conn: Some(conn),
                role: role.to_string(),
            }))
        } else {
            let _ = conn.close().await;
            Ok(None)
        }
    }
}

fn lock_name(role: &str) -> String {
    format!("openfatture:{role}")
}

impl Leadership {
    /// Whether the lock is still held (its connection still works).
    pub async fn still_held(&mut self) -> bool {
        match &mut self.conn {
            None => true,
            Some(conn) => conn.ping().await.is_ok(),
        }
    }

    /// Gives the leadership up.
    pub async fn release(self) {
        if let Some(mut conn) = self.conn {
            let _ = sqlx::query("SELECT pg_advisory_unlock(hashtext($1))")
                .bind(lock_name(&self.role))
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        }
    }
}
