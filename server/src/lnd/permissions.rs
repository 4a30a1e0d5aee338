//! The macaroon permissions the gateway uses, defined once: what `lightning macaroon bake` asks
//! the node for and what `lightning status` checks the configured macaroon against.

use super::method::{Method, Permission};

/// Every permission the gateway needs, and why (listed in the README's node section).
pub const GATEWAY_PERMISSIONS: [(Permission, &str); 6] = [
    (
        Permission::InfoRead,
        "node info, channel policies (GetInfo, GetNodeInfo)",
    ),
    (
        Permission::OffchainRead,
        "channels, balances, backups, channel events, fee report, forwards, payment tracking",
    ),
    (
        Permission::OffchainWrite,
        "refunds and rebalances (SendPaymentV2), channel fees (UpdateChannelPolicy)",
    ),
    (
        Permission::InvoicesRead,
        "invoice lookups and the invoice stream (LookupInvoice, ListInvoices, SubscribeInvoices)",
    ),
    (
        Permission::InvoicesWrite,
        "creating and cancelling invoices (AddInvoice, CancelInvoice)",
    ),
    (
        Permission::MacaroonRead,
        "`lightning status` asking the node what the macaroon allows (CheckMacaroonPermissions)",
    ),
];

/// The methods the gateway calls with its own macaroon (baking and revoking use an admin one).
pub const GATEWAY_METHODS: [Method; 19] = [
    Method::GetInfo,
    Method::ChannelBalance,
    Method::ListChannels,
    Method::AddInvoice,
    Method::LookupInvoice,
    Method::ListInvoices,
    Method::SubscribeInvoices,
    Method::CancelInvoice,
    Method::SendPaymentV2,
    Method::TrackPaymentV2,
    Method::ExportAllChannelBackups,
    Method::VerifyChanBackup,
    Method::SubscribeChannelBackups,
    Method::SubscribeChannelEvents,
    Method::FeeReport,
    Method::UpdateChannelPolicy,
    Method::ForwardingHistory,
    Method::GetNodeInfo,
    Method::CheckMacaroonPermissions,
];

/// The gateway's permissions as (entity, action) pairs, e.g. `("offchain", "read")`.
pub fn gateway_permission_pairs() -> Vec<(&'static str, &'static str)> {
    GATEWAY_PERMISSIONS
        .iter()
        .filter_map(|(p, _)| p.name().split_once(':'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gateway_method_is_covered_and_nothing_more() {
        let listed: Vec<Permission> = GATEWAY_PERMISSIONS.iter().map(|(p, _)| *p).collect();
        for m in GATEWAY_METHODS {
            assert!(
                listed.contains(&m.permission()),
                "{m:?} needs {}",
                m.permission().name()
            );
        }
        for p in &listed {
            assert!(
                GATEWAY_METHODS.iter().any(|m| m.permission() == *p),
                "{} is granted but no method uses it",
                p.name()
            );
        }
        assert!(!listed.contains(&Permission::MacaroonGenerate));
        assert!(!listed.contains(&Permission::MacaroonWrite));
    }
}
