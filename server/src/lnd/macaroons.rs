//! LND's macaroon calls: BakeMacaroon, CheckMacaroonPermissions and DeleteMacaroonID.

use lnd_proto::lnrpc::{
    BakeMacaroonRequest, CheckMacPermRequest, CheckMacPermResponse, DeleteMacaroonIdRequest, MacaroonPermission,
};

use super::client::LndClient;
use super::error::LndError;
use super::method::Method;

/// `(entity, action)` pairs as LND's `MacaroonPermission`s.
fn to_rpc(permissions: &[(&str, &str)]) -> Vec<MacaroonPermission> {
    permissions
        .iter()
        .map(|(entity, action)| MacaroonPermission {
            entity: (*entity).to_string(),
            action: (*action).to_string(),
        })
        .collect()
}

impl LndClient {
    /// `BakeMacaroon`: a new macaroon (binary) granting exactly `permissions` under `root_key_id`.
    pub async fn bake_macaroon(&self, root_key_id: u64, permissions: &[(&str, &str)]) -> Result<Vec<u8>, LndError> {
        let request = BakeMacaroonRequest {
            permissions: to_rpc(permissions),
            root_key_id,
            allow_external_permissions: false,
        };
        let baked = self
            .conn()
            .unary(Method::BakeMacaroon, request, |mut c, r| async move {
                c.lightning.bake_macaroon(r).await
            })
            .await?;
        hex::decode(baked.macaroon.trim()).map_err(|e| LndError::Connect {
            host: self.host(),
            cause: format!("the node baked a macaroon that is not hex: {e}"),
        })
    }

    /// `CheckMacaroonPermissions`: `Ok(true)` when `macaroon` (binary) is valid and grants every one
    /// of `permissions`; `Ok(false)` when the node answers that it does not.
    pub async fn macaroon_allows(&self, macaroon: &[u8], permissions: &[(&str, &str)]) -> Result<bool, LndError> {
        let request = CheckMacPermRequest {
            macaroon: macaroon.to_vec(),
            permissions: to_rpc(permissions),
            full_method: String::new(),
            check_default_perms_from_full_method: false,
        };
        // LND answers INVALID_ARGUMENT about the macaroon checked (not the one calling).
        let answer = self
            .conn()
            .unary(Method::CheckMacaroonPermissions, request, |mut c, r| async move {
                match c.lightning.check_macaroon_permissions(r).await {
                    Err(status) if status.code() == tonic::Code::InvalidArgument => {
                        Ok(tonic::Response::new(CheckMacPermResponse { valid: false }))
                    }
                    other => other,
                }
            })
            .await?;
        Ok(answer.valid)
    }

    /// `DeleteMacaroonID`: revokes every macaroon baked under `root_key_id`; whether one existed.
    pub async fn delete_macaroon_id(&self, root_key_id: u64) -> Result<bool, LndError> {
        let request = DeleteMacaroonIdRequest { root_key_id };
        let answer = self
            .conn()
            .unary(Method::DeleteMacaroonId, request, |mut c, r| async move {
                c.lightning.delete_macaroon_id(r).await
            })
            .await?;
        Ok(answer.deleted)
    }
}
