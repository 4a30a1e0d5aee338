//! BakeMacaroon, CheckMacaroonPermissions and DeleteMacaroonID with LND 0.21's checks and
//! wording (`rpcserver.go`).

use lnd_proto::lnrpc;
use tonic::Status;

use super::gate::{required_permissions, METHOD_PERMISSIONS};
use crate::macaroon::{mint_ops, verify_binary, AuthError};
use crate::root_keys::RootKeys;

/// LND's `validActions`.
const VALID_ACTIONS: [&str; 3] = ["read", "write", "generate"];

/// LND's `validEntities` (the last is `macaroons.PermissionEntityCustomURI`).
const VALID_ENTITIES: [&str; 10] = [
    "onchain", "offchain", "address", "message", "peers", "info", "invoices", "signer", "macaroon", "uri",
];

/// LND's help text, with Go's `%v` formatting of the two lists.
fn help() -> String {
    format!(
        "supported actions are [{}], supported entities are [{}]",
        VALID_ACTIONS.join(" "),
        VALID_ENTITIES.join(" ")
    )
}

/// BakeMacaroon: a hex macaroon granting `permissions` under root key id `root_key_id`.
pub(crate) fn bake(root_keys: &RootKeys, req: &lnrpc::BakeMacaroonRequest) -> Result<String, Status> {
    if req.permissions.is_empty() {
        return Err(Status::unknown(format!(
            "permission list cannot be empty. specify at least one action/entity pair. {}",
            help()
        )));
    }
    let mut ops: Vec<(&str, &str)> = Vec::with_capacity(req.permissions.len());
    for p in &req.permissions {
        if !req.allow_external_permissions {
            if !VALID_ENTITIES.contains(&p.entity.as_str()) {
                return Err(Status::unknown(format!("invalid permission entity. {}", help())));
            }
            if p.entity == "uri" {
                if required_permissions(&p.action).is_none() {
                    return Err(Status::unknown(
                        "invalid permission action, must be an existing URI in the format /package.Service/MethodName",
                    ));
                }
            } else if !VALID_ACTIONS.contains(&p.action.as_str()) {
                return Err(Status::unknown(format!("invalid permission action. {}", help())));
            }
        }
        ops.push((p.entity.as_str(), p.action.as_str()));
    }
    let id = req.root_key_id.to_string();
    let root_key = root_keys
        .get_or_create(&id)
        .map_err(|e| Status::internal(e.to_string()))?;
    Ok(hex::encode(mint_ops(&ops, id.as_bytes(), &root_key)))
}

/// CheckMacaroonPermissions: `Ok(())` when the macaroon verifies and grants the permissions;
/// INVALID_ARGUMENT with the reason otherwise, as LND.
pub(crate) fn check(root_keys: &RootKeys, req: &lnrpc::CheckMacPermRequest) -> Result<(), Status> {
    if !req.permissions.is_empty() && req.check_default_perms_from_full_method {
        return Err(Status::unknown(
            "cannot check default permissions from full method and from provided permission list at the same time",
        ));
    }
    if req.full_method.is_empty() && req.check_default_perms_from_full_method {
        return Err(Status::unknown(
            "cannot check default permissions from full method without providing the full method name",
        ));
    }
    let permissions: Vec<(&str, &str)> = if req.check_default_perms_from_full_method {
        METHOD_PERMISSIONS
            .iter()
            .find(|(method, _)| *method == req.full_method)
            .map(|(_, perms)| perms.to_vec())
            .ok_or_else(|| Status::unknown(format!("no permissions found for full method {}", req.full_method)))?
    } else {
        req.permissions
            .iter()
            .map(|p| (p.entity.as_str(), p.action.as_str()))
            .collect()
    };
    let grants =
        verify_binary(&req.macaroon, |id| root_keys.get(id)).map_err(|e| Status::invalid_argument(e.to_string()))?;
    if grants.allows(&permissions, &req.full_method) {
        Ok(())
    } else {
        Err(Status::invalid_argument(AuthError::PermissionDenied.to_string()))
    }
}

/// DeleteMacaroonID: whether a root key was deleted.
pub(crate) fn delete(root_keys: &RootKeys, req: &lnrpc::DeleteMacaroonIdRequest) -> Result<bool, Status> {
    root_keys.delete(&req.root_key_id.to_string()).map_err(Status::unknown)
}
