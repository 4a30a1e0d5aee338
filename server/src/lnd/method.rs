//! The LND RPC methods we call, with the macaroon permission each needs and whether
//! it is safe to retry.

/// One LND RPC method used by the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// lnrpc.Lightning/GetInfo
    GetInfo,
    /// lnrpc.Lightning/ChannelBalance
    ChannelBalance,
    /// lnrpc.Lightning/ListChannels
    ListChannels,
    /// lnrpc.Lightning/AddInvoice
    AddInvoice,
    /// lnrpc.Lightning/LookupInvoice
    LookupInvoice,
    /// lnrpc.Lightning/ListInvoices
    ListInvoices,
    /// lnrpc.Lightning/SubscribeInvoices
    SubscribeInvoices,
    /// invoicesrpc.Invoices/CancelInvoice
    CancelInvoice,
    /// routerrpc.Router/SendPaymentV2
    SendPaymentV2,
    /// routerrpc.Router/TrackPaymentV2
    TrackPaymentV2,
    /// lnrpc.Lightning/ExportAllChannelBackups
    ExportAllChannelBackups,
    /// lnrpc.Lightning/VerifyChanBackup
    VerifyChanBackup,
    /// lnrpc.Lightning/SubscribeChannelBackups
    SubscribeChannelBackups,
    /// lnrpc.Lightning/SubscribeChannelEvents
    SubscribeChannelEvents,
    /// lnrpc.Lightning/FeeReport
    FeeReport,
    /// lnrpc.Lightning/UpdateChannelPolicy
    UpdateChannelPolicy,
    /// lnrpc.Lightning/ForwardingHistory
    ForwardingHistory,
    /// lnrpc.Lightning/GetNodeInfo (our own channels' policies)
    GetNodeInfo,
    /// lnrpc.Lightning/BakeMacaroon
    BakeMacaroon,
    /// lnrpc.Lightning/CheckMacaroonPermissions
    CheckMacaroonPermissions,
    /// lnrpc.Lightning/DeleteMacaroonID
    DeleteMacaroonId,
}

/// A macaroon permission (`entity:action`) as LND names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// `info:read`
    InfoRead,
    /// `offchain:read`
    OffchainRead,
    /// `invoices:read`
    InvoicesRead,
    /// `invoices:write`
    InvoicesWrite,
    /// `offchain:write`
    OffchainWrite,
    /// `macaroon:generate`
    MacaroonGenerate,
    /// `macaroon:read`
    MacaroonRead,
    /// `macaroon:write`
    MacaroonWrite,
}

impl Permission {
    /// The name LND uses, e.g. `offchain:read`.
    pub fn name(&self) -> &'static str {
        match self {
            Permission::InfoRead => "info:read",
            Permission::OffchainRead => "offchain:read",
            Permission::InvoicesRead => "invoices:read",
            Permission::InvoicesWrite => "invoices:write",
            Permission::OffchainWrite => "offchain:write",
            Permission::MacaroonGenerate => "macaroon:generate",
            Permission::MacaroonRead => "macaroon:read",
            Permission::MacaroonWrite => "macaroon:write",
        }
    }

    /// Which of LND's standard macaroons lack this permission, and which carry it.
    fn standard_macaroons(&self) -> (&'static str, &'static str) {
        match self {
            // invoice.macaroon holds invoices:*, address:* and onchain:read only.
            Permission::InfoRead | Permission::OffchainRead => {
                ("invoice.macaroon", "admin.macaroon or readonly.macaroon")
            }
            Permission::InvoicesRead => (
                "a custom macaroon without it",
                "admin.macaroon, invoice.macaroon or readonly.macaroon",
            ),
            Permission::InvoicesWrite => ("readonly.macaroon", "admin.macaroon or invoice.macaroon"),
            Permission::OffchainWrite | Permission::MacaroonGenerate | Permission::MacaroonWrite => {
                ("invoice.macaroon or readonly.macaroon", "admin.macaroon")
            }
            Permission::MacaroonRead => ("invoice.macaroon", "admin.macaroon or readonly.macaroon"),
        }
    }
}

impl Method {
    /// The gRPC method name, e.g. `ListChannels`.
    pub fn name(&self) -> &'static str {
        match self {
            Method::GetInfo => "GetInfo",
            Method::ChannelBalance => "ChannelBalance",
            Method::ListChannels => "ListChannels",
            Method::AddInvoice => "AddInvoice",
            Method::LookupInvoice => "LookupInvoice",
            Method::ListInvoices => "ListInvoices",
            Method::SubscribeInvoices => "SubscribeInvoices",
            Method::CancelInvoice => "CancelInvoice",
            Method::SendPaymentV2 => "SendPaymentV2",
            Method::TrackPaymentV2 => "TrackPaymentV2",
            Method::ExportAllChannelBackups => "ExportAllChannelBackups",
            Method::VerifyChanBackup => "VerifyChanBackup",
            Method::SubscribeChannelBackups => "SubscribeChannelBackups",
            Method::SubscribeChannelEvents => "SubscribeChannelEvents",
            Method::FeeReport => "FeeReport",
            Method::UpdateChannelPolicy => "UpdateChannelPolicy",
            Method::ForwardingHistory => "ForwardingHistory",
            Method::GetNodeInfo => "GetNodeInfo",
            Method::BakeMacaroon => "BakeMacaroon",
            Method::CheckMacaroonPermissions => "CheckMacaroonPermissions",
            Method::DeleteMacaroonId => "DeleteMacaroonID",
        }
    }

    /// The macaroon permission LND checks for this method.
    pub fn permission(&self) -> Permission {
        match self {
            Method::GetInfo | Method::GetNodeInfo => Permission::InfoRead,
            Method::FeeReport | Method::ForwardingHistory => Permission::OffchainRead,
            Method::UpdateChannelPolicy => Permission::OffchainWrite,
            Method::BakeMacaroon => Permission::MacaroonGenerate,
            Method::CheckMacaroonPermissions => Permission::MacaroonRead,
            Method::DeleteMacaroonId => Permission::MacaroonWrite,
            Method::ChannelBalance
            | Method::ListChannels
            | Method::TrackPaymentV2
            | Method::ExportAllChannelBackups
            | Method::VerifyChanBackup
            | Method::SubscribeChannelBackups
            | Method::SubscribeChannelEvents => Permission::OffchainRead,
            Method::SendPaymentV2 => Permission::OffchainWrite,
            Method::AddInvoice | Method::CancelInvoice => Permission::InvoicesWrite,
            Method::LookupInvoice | Method::ListInvoices | Method::SubscribeInvoices => Permission::InvoicesRead,
        }
    }

    /// What the method does, phrased to follow "cannot".
    pub fn action(&self) -> &'static str {
        match self {
            Method::GetInfo => "read the node info",
            Method::ChannelBalance => "read channel balances",
            Method::ListChannels => "list channels",
            Method::AddInvoice => "create invoices",
            Method::CancelInvoice => "cancel invoices",
            Method::LookupInvoice | Method::ListInvoices => "read invoices",
            Method::SubscribeInvoices => "follow invoice updates",
            Method::SendPaymentV2 => "send payments",
            Method::TrackPaymentV2 => "track payments",
            Method::ExportAllChannelBackups | Method::SubscribeChannelBackups => "back up channels",
            Method::VerifyChanBackup => "verify channel backups",
            Method::SubscribeChannelEvents => "follow channel events",
            Method::FeeReport => "read the fee report",
            Method::UpdateChannelPolicy => "change channel fees",
            Method::ForwardingHistory => "read the forwarding history",
            Method::GetNodeInfo => "read the channel policies",
            Method::BakeMacaroon => "bake macaroons",
            Method::CheckMacaroonPermissions => "check macaroon permissions",
            Method::DeleteMacaroonId => "revoke macaroons",
        }
    }

    /// Whether a failed attempt may be repeated without side effects.
    pub fn idempotent(&self) -> bool {
        matches!(
            self,
            Method::GetInfo
                | Method::ChannelBalance
                | Method::ListChannels
                | Method::LookupInvoice
                | Method::ListInvoices
                | Method::ExportAllChannelBackups
                | Method::VerifyChanBackup
                | Method::FeeReport
                | Method::ForwardingHistory
                | Method::GetNodeInfo
                | Method::CheckMacaroonPermissions
        )
    }

    /// The sentence explaining which permission a refused macaroon lacks and what to use instead.
    pub fn missing_permission_hint(&self, macaroon_path: &std::path::Path) -> String {
        let permission = self.permission();
        let (lacking, carrying) = permission.standard_macaroons();
        format!(
            "the macaroon at {} lacks {} ({} cannot {}); use {}",
            macaroon_path.display(),
            permission.name(),
            lacking,
            self.action(),
            carrying
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn permissions_match_lnd() {
        assert_eq!(Method::GetInfo.permission().name(), "info:read");
        for m in [Method::ChannelBalance, Method::ListChannels] {
            assert_eq!(m.permission().name(), "offchain:read", "{m:?}");
        }
        for m in [Method::AddInvoice, Method::CancelInvoice] {
            assert_eq!(m.permission().name(), "invoices:write", "{m:?}");
        }
        for m in [Method::LookupInvoice, Method::ListInvoices, Method::SubscribeInvoices] {
            assert_eq!(m.permission().name(), "invoices:read", "{m:?}");
        }
    }

    #[test]
    fn list_channels_hint_names_offchain_read() {
        let hint = Method::ListChannels.missing_permission_hint(Path::new("/n/invoice.macaroon"));
        assert_eq!(
            hint,
            "the macaroon at /n/invoice.macaroon lacks offchain:read (invoice.macaroon cannot list channels); \
             use admin.macaroon or readonly.macaroon"
        );
    }

    #[test]
    fn add_invoice_hint_names_invoices_write() {
        let hint = Method::AddInvoice.missing_permission_hint(Path::new("/n/readonly.macaroon"));
        assert!(
            hint.contains("lacks invoices:write (readonly.macaroon cannot create invoices)"),
            "{hint}"
        );
        assert!(hint.ends_with("use admin.macaroon or invoice.macaroon"), "{hint}");
    }

    #[test]
    fn router_calls_need_offchain_permissions() {
        let hint = Method::SendPaymentV2.missing_permission_hint(Path::new("/n/invoice.macaroon"));
        assert!(hint.contains("lacks offchain:write"), "{hint}");
        assert!(hint.ends_with("use admin.macaroon"), "{hint}");
        assert_eq!(Method::TrackPaymentV2.permission().name(), "offchain:read");
        assert!(!Method::SendPaymentV2.idempotent());
    }

    #[test]
    fn only_reads_are_retried() {
        assert!(Method::GetInfo.idempotent());
        for m in [Method::AddInvoice, Method::CancelInvoice] {
            assert!(!m.idempotent(), "{m:?}");
        }
    }
}
