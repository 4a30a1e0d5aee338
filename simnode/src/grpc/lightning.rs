//! `lnrpc.Lightning`: node info, channels, invoices, subscriptions, payment request decoding.

use std::sync::Arc;

use futures::{Stream, StreamExt};
use lnd_proto::lnrpc::{self, lightning_server::Lightning};
use tokio::sync::mpsc;
use tonic::{Request, Response, Status};

use super::gate::METHOD_PERMISSIONS;
use super::tools::{self, Graph, OwnNode};
use super::{
    broadcast_stream, invoice_stream, ledger_status, lookup_status, make_preimage, refuse_fallback_addr,
    unmarshall_amt, ChannelEventStream, GraphStream, InvoiceStream,
};
use super::{macaroons, policy, routes, wallet};
use crate::convert::{channel_to_rpc, features_to_rpc, route_hints_from_rpc, route_hints_to_rpc};
use crate::core::{now_ms, NodeCore};
use crate::ledger::{InvoiceQuery, NewInvoice};
use crate::{backup, bolt11};

/// Version string reported by GetInfo: the LND release simnode imitates, as LND formats it
/// (`build.Version() + " commit=" + build.Commit`).
pub(crate) const VERSION: &str = "0.21.2-beta commit=v0.21.2-beta";

/// A server stream of channel backup snapshots.
pub(crate) type BackupStream = std::pin::Pin<Box<dyn Stream<Item = Result<lnrpc::ChanBackupSnapshot, Status>> + Send>>;

/// The main Lightning service.
pub(crate) struct LightningService {
    pub(crate) core: Arc<NodeCore>,
}

fn amount(msat: u64) -> Option<lnrpc::Amount> {
    Some(lnrpc::Amount { sat: msat / 1000, msat })
}

#[tonic::async_trait]
impl Lightning for LightningService {
    async fn channel_balance(
        &self,
        _request: Request<lnrpc::ChannelBalanceRequest>,
    ) -> Result<Response<lnrpc::ChannelBalanceResponse>, Status> {
        let ledger = self.core.ledger();
        let (mut local, mut remote, mut unsettled_local) = (0u64, 0u64, 0u64);
        for c in ledger.channels() {
            local += c.local_balance_msat;
            remote += c.remote_balance_msat;
            // LND counts incoming HTLCs as unsettled local balance.
            unsettled_local += c.pending_incoming_msat;
        }
        Ok(Response::new(lnrpc::ChannelBalanceResponse {
            balance: i64::try_from(local / 1000).unwrap_or(i64::MAX),
            pending_open_balance: 0,
            local_balance: amount(local),
            remote_balance: amount(remote),
            unsettled_local_balance: amount(unsettled_local),
            unsettled_remote_balance: amount(0),
            pending_open_local_balance: amount(0),
            pending_open_remote_balance: amount(0),
        }))
    }

    async fn get_info(
        &self,
        _request: Request<lnrpc::GetInfoRequest>,
    ) -> Result<Response<lnrpc::GetInfoResponse>, Status> {
        let info = self.core.ledger().info();
        Ok(Response::new(lnrpc::GetInfoResponse {
            version: VERSION.to_string(),
            commit_hash: super::version::COMMIT_HASH.to_string(),
            identity_pubkey: self.core.pubkey_hex(),
            alias: self.core.alias.clone(),
            color: tools::NODE_COLOR.to_string(),
            num_pending_channels: 0,
            num_active_channels: info.num_active_channels,
            num_inactive_channels: info.num_inactive_channels,
            num_peers: info.num_peers,
            block_height: info.block_height,
            block_hash: info.block_hash,
            best_header_timestamp: now_ms() / 1000,
            synced_to_chain: true,
            synced_to_graph: true,
            testnet: false,
            chains: vec![lnrpc::Chain {
                chain: "bitcoin".to_string(),
                network: "regtest".to_string(),
            }],
            uris: Vec::new(),
            features: features_to_rpc(&tools::NODE_FEATURE_BITS),
            wallet_synced: true,
        }))
    }

    async fn list_channels(
        &self,
        request: Request<lnrpc::ListChannelsRequest>,
    ) -> Result<Response<lnrpc::ListChannelsResponse>, Status> {
        let req = request.into_inner();
        if req.active_only && req.inactive_only {
            return Err(Status::unknown(
                "either `active_only` or `inactive_only` can be set, but not both",
            ));
        }
        if req.public_only && req.private_only {
            return Err(Status::unknown(
                "either `public_only` or `private_only` can be set, but not both",
            ));
        }
        let peer = (!req.peer.is_empty()).then(|| hex::encode(&req.peer));
        let now_secs = now_ms() / 1000;
        let ledger = self.core.ledger();
        let channels = ledger
            .channels()
            .iter()
            .filter(|c| !req.active_only || c.active)
            .filter(|c| !(req.inactive_only && c.active))
            .filter(|c| !(req.public_only && c.private))
            .filter(|c| !req.private_only || c.private)
            .filter(|c| peer.as_ref().is_none_or(|p| *p == c.peer_pubkey))
            .map(|c| channel_to_rpc(c, now_secs, req.peer_alias_lookup))
            .collect();
        Ok(Response::new(lnrpc::ListChannelsResponse { channels }))
    }

    async fn add_invoice(
        &self,
        request: Request<lnrpc::Invoice>,
    ) -> Result<Response<lnrpc::AddInvoiceResponse>, Status> {
        let req = request.into_inner();
        refuse_fallback_addr(&req.fallback_addr)?;
        let value_msat = unmarshall_amt(req.value, req.value_msat)?;
        let preimage = if req.r_preimage.is_empty() {
            None
        } else {
            Some(make_preimage(&req.r_preimage).map_err(Status::unknown)?)
        };
        let added = self
            .core
            .ledger()
            .add_invoice(
                NewInvoice {
                    memo: req.memo,
                    preimage,
                    hold_hash: None,
                    value_msat,
                    description_hash: req.description_hash,
                    expiry_secs: req.expiry,
                    cltv_expiry: req.cltv_expiry,
                    private: req.private,
                    route_hints: route_hints_from_rpc(&req.route_hints),
                },
                now_ms(),
            )
            .map_err(ledger_status)?;
        self.core.watcher.notify_one();
        Ok(Response::new(lnrpc::AddInvoiceResponse {
            r_hash: added.payment_hash.to_vec(),
            payment_request: added.payment_request,
            add_index: added.add_index,
            payment_addr: added.payment_addr.to_vec(),
        }))
    }

    async fn list_invoices(
        &self,
        request: Request<lnrpc::ListInvoiceRequest>,
    ) -> Result<Response<lnrpc::ListInvoiceResponse>, Status> {
        let req = request.into_inner();
        if req.creation_date_start != 0
            && req.creation_date_end != 0
            && req.creation_date_start >= req.creation_date_end
        {
            return Err(Status::unknown(format!(
                "start date({}) must be before end date({})",
                req.creation_date_start, req.creation_date_end
            )));
        }
        let query = InvoiceQuery {
            index_offset: req.index_offset,
            num_max_invoices: if req.num_max_invoices == 0 {
                100
            } else {
                req.num_max_invoices
            },
            pending_only: req.pending_only,
            reversed: req.reversed,
            creation_date_start: i64::try_from(req.creation_date_start).unwrap_or(i64::MAX),
            creation_date_end: i64::try_from(req.creation_date_end).unwrap_or(i64::MAX),
        };
        let (invoices, first_index_offset, last_index_offset) = self.core.ledger().list(&query);
        Ok(Response::new(lnrpc::ListInvoiceResponse {
            invoices,
            first_index_offset,
            last_index_offset,
        }))
    }

    async fn lookup_invoice(&self, request: Request<lnrpc::PaymentHash>) -> Result<Response<lnrpc::Invoice>, Status> {
        let req = request.into_inner();
        let hash = if req.r_hash_str.is_empty() {
            req.r_hash
        } else {
            hex::decode(&req.r_hash_str).map_err(|e| Status::unknown(format!("encoding/hex: {e}")))?
        };
        if !hash.is_empty() && hash.len() != 32 {
            return Err(Status::unknown(format!(
                "payment hash must be exactly 32 bytes, is instead {}",
                hash.len()
            )));
        }
        let mut key = [0u8; 32];
        if hash.len() == 32 {
            key.copy_from_slice(&hash);
        }
        let invoice = self.core.ledger().lookup(&key).map_err(lookup_status)?;
        Ok(Response::new(invoice))
    }

    type SubscribeInvoicesStream = InvoiceStream;

    async fn subscribe_invoices(
        &self,
        request: Request<lnrpc::InvoiceSubscription>,
    ) -> Result<Response<Self::SubscribeInvoicesStream>, Status> {
        let req = request.into_inner();
        let (tx, rx) = mpsc::unbounded_channel();
        // Take the stop signal before registering, so a drop-streams fault that follows the
        // registration always ends this stream.
        let stop = self.core.faults.stream_stop();
        self.core.ledger().subscribe_all(req.add_index, req.settle_index, tx);
        Ok(Response::new(invoice_stream(rx, stop)))
    }

    async fn decode_pay_req(&self, request: Request<lnrpc::PayReqString>) -> Result<Response<lnrpc::PayReq>, Status> {
        let decoded = bolt11::decode(&request.into_inner().pay_req).map_err(Status::unknown)?;
        let amount_msat = decoded.amount_msat.unwrap_or(0);
        Ok(Response::new(lnrpc::PayReq {
            destination: decoded.destination.to_string(),
            payment_hash: hex::encode(decoded.payment_hash),
            num_satoshis: i64::try_from(amount_msat / 1000).unwrap_or(i64::MAX),
            timestamp: i64::try_from(decoded.timestamp_secs).unwrap_or(i64::MAX),
            expiry: i64::try_from(decoded.expiry_secs).unwrap_or(i64::MAX),
            description: decoded.description,
            description_hash: decoded.description_hash.map(hex::encode).unwrap_or_default(),
            fallback_addr: String::new(),
            cltv_expiry: i64::try_from(decoded.cltv_expiry).unwrap_or(i64::MAX),
            route_hints: route_hints_to_rpc(&decoded.route_hints),
            payment_addr: decoded.payment_addr.to_vec(),
            num_msat: i64::try_from(amount_msat).unwrap_or(i64::MAX),
            features: features_to_rpc(&decoded.feature_bits),
        }))
    }

    async fn wallet_balance(
        &self,
        request: Request<lnrpc::WalletBalanceRequest>,
    ) -> Result<Response<lnrpc::WalletBalanceResponse>, Status> {
        let ledger = self.core.ledger();
        tools::wallet_balance(&request.into_inner(), ledger.channels()).map(Response::new)
    }

    async fn list_peers(
        &self,
        _request: Request<lnrpc::ListPeersRequest>,
    ) -> Result<Response<lnrpc::ListPeersResponse>, Status> {
        Ok(Response::new(tools::list_peers(self.core.ledger().channels())))
    }

    async fn pending_channels(
        &self,
        _request: Request<lnrpc::PendingChannelsRequest>,
    ) -> Result<Response<lnrpc::PendingChannelsResponse>, Status> {
        Ok(Response::new(tools::pending_channels()))
    }

    async fn closed_channels(
        &self,
        request: Request<lnrpc::ClosedChannelsRequest>,
    ) -> Result<Response<lnrpc::ClosedChannelsResponse>, Status> {
        let ledger = self.core.ledger();
        Ok(Response::new(tools::closed_channels(
            &request.into_inner(),
            ledger.closed_channels(),
        )))
    }

    async fn describe_graph(
        &self,
        request: Request<lnrpc::ChannelGraphRequest>,
    ) -> Result<Response<lnrpc::ChannelGraph>, Status> {
        let req = request.into_inner();
        let graph = self.graph(req.include_unannounced);
        Ok(Response::new(lnrpc::ChannelGraph {
            nodes: graph.nodes,
            edges: graph.edges,
        }))
    }

    async fn get_node_info(
        &self,
        request: Request<lnrpc::NodeInfoRequest>,
    ) -> Result<Response<lnrpc::NodeInfo>, Status> {
        // GetNodeInfo walks the public graph (ForEachNodeChannel over announced channels).
        self.graph(false).node_info(&request.into_inner()).map(Response::new)
    }

    async fn get_network_info(
        &self,
        _request: Request<lnrpc::NetworkInfoRequest>,
    ) -> Result<Response<lnrpc::NetworkInfo>, Status> {
        Ok(Response::new(self.graph(false).network_info()))
    }

    async fn get_transactions(
        &self,
        request: Request<lnrpc::GetTransactionsRequest>,
    ) -> Result<Response<lnrpc::TransactionDetails>, Status> {
        let block_height = self.core.ledger().info().block_height;
        wallet::get_transactions(&request.into_inner(), &self.core.keys, block_height).map(Response::new)
    }

    async fn list_unspent(
        &self,
        request: Request<lnrpc::ListUnspentRequest>,
    ) -> Result<Response<lnrpc::ListUnspentResponse>, Status> {
        let block_height = self.core.ledger().info().block_height;
        wallet::list_unspent(&request.into_inner(), &self.core.keys, block_height).map(Response::new)
    }

    async fn forwarding_history(
        &self,
        request: Request<lnrpc::ForwardingHistoryRequest>,
    ) -> Result<Response<lnrpc::ForwardingHistoryResponse>, Status> {
        // The simulated peers never route through this node: the forwarding log is empty.
        let req = request.into_inner();
        Ok(Response::new(lnrpc::ForwardingHistoryResponse {
            forwarding_events: Vec::new(),
            last_offset_index: req.index_offset,
        }))
    }

    async fn list_permissions(
        &self,
        _request: Request<lnrpc::ListPermissionsRequest>,
    ) -> Result<Response<lnrpc::ListPermissionsResponse>, Status> {
        let method_permissions = METHOD_PERMISSIONS
            .iter()
            .map(|(method, permissions)| {
                let permissions = permissions
                    .iter()
                    .map(|(entity, action)| lnrpc::MacaroonPermission {
                        entity: entity.to_string(),
                        action: action.to_string(),
                    })
                    .collect();
                (method.to_string(), lnrpc::MacaroonPermissionList { permissions })
            })
            .collect();
        Ok(Response::new(lnrpc::ListPermissionsResponse { method_permissions }))
    }

    async fn update_channel_policy(
        &self,
        request: Request<lnrpc::PolicyUpdateRequest>,
    ) -> Result<Response<lnrpc::PolicyUpdateResponse>, Status> {
        let req = request.into_inner();
        let (target, update) = policy::parse_update(&req)?;
        let (failed, graph_update) = {
            let mut ledger = self.core.ledger();
            let failed = ledger
                .update_policy(target.as_deref(), &update)
                .map_err(ledger_status)?;
            let updated = ledger.channels().iter().filter(|c| {
                target.as_deref().is_none_or(|t| t == c.channel_point)
                    && !failed.iter().any(|f| f.channel_point == c.channel_point)
            });
            let graph_update = tools::own_policy_updates(&self.core.pubkey_hex(), updated);
            (failed, graph_update)
        };
        if !graph_update.channel_updates.is_empty() {
            self.core.emit_graph_update(graph_update);
        }
        Ok(Response::new(lnrpc::PolicyUpdateResponse {
            failed_updates: failed.iter().map(policy::failed_to_rpc).collect(),
        }))
    }

    async fn bake_macaroon(
        &self,
        request: Request<lnrpc::BakeMacaroonRequest>,
    ) -> Result<Response<lnrpc::BakeMacaroonResponse>, Status> {
        let macaroon = macaroons::bake(&self.core.root_keys, &request.into_inner())?;
        Ok(Response::new(lnrpc::BakeMacaroonResponse { macaroon }))
    }

    async fn delete_macaroon_id(
        &self,
        request: Request<lnrpc::DeleteMacaroonIdRequest>,
    ) -> Result<Response<lnrpc::DeleteMacaroonIdResponse>, Status> {
        let deleted = macaroons::delete(&self.core.root_keys, &request.into_inner())?;
        Ok(Response::new(lnrpc::DeleteMacaroonIdResponse { deleted }))
    }

    async fn check_macaroon_permissions(
        &self,
        request: Request<lnrpc::CheckMacPermRequest>,
    ) -> Result<Response<lnrpc::CheckMacPermResponse>, Status> {
        macaroons::check(&self.core.root_keys, &request.into_inner())?;
        Ok(Response::new(lnrpc::CheckMacPermResponse { valid: true }))
    }

    async fn list_payments(
        &self,
        request: Request<lnrpc::ListPaymentsRequest>,
    ) -> Result<Response<lnrpc::ListPaymentsResponse>, Status> {
        let ledger = self.core.ledger();
        tools::list_payments(&request.into_inner(), ledger.payments()).map(Response::new)
    }

    async fn export_all_channel_backups(
        &self,
        _request: Request<lnrpc::ChanBackupExportRequest>,
    ) -> Result<Response<lnrpc::ChanBackupSnapshot>, Status> {
        let ledger = self.core.ledger();
        backup::export_all(&self.core.keys, ledger.channels()).map(Response::new)
    }

    async fn verify_chan_backup(
        &self,
        request: Request<lnrpc::ChanBackupSnapshot>,
    ) -> Result<Response<lnrpc::VerifyChanBackupResponse>, Status> {
        let chan_points = backup::verify(&self.core.keys, &request.into_inner())?;
        Ok(Response::new(lnrpc::VerifyChanBackupResponse { chan_points }))
    }

    type SubscribeChannelBackupsStream = BackupStream;

    async fn subscribe_channel_backups(
        &self,
        _request: Request<lnrpc::ChannelBackupSubscription>,
    ) -> Result<Response<Self::SubscribeChannelBackupsStream>, Status> {
        use lnrpc::channel_event_update::UpdateType;
        let stop = self.core.faults.stream_stop();
        let events = broadcast_stream(self.core.channel_events.subscribe(), stop);
        let core = self.core.clone();
        // A new snapshot whenever the set of open channels changes.
        let snapshots = events.filter_map(move |event| {
            let core = core.clone();
            async move {
                let event = event.ok()?;
                let changed =
                    event.r#type == UpdateType::OpenChannel as i32 || event.r#type == UpdateType::ClosedChannel as i32;
                changed.then(|| backup::export_all(&core.keys, core.ledger().channels()))
            }
        });
        Ok(Response::new(Box::pin(snapshots)))
    }

    type SubscribeChannelEventsStream = ChannelEventStream;

    async fn subscribe_channel_events(
        &self,
        _request: Request<lnrpc::ChannelEventSubscription>,
    ) -> Result<Response<Self::SubscribeChannelEventsStream>, Status> {
        let stop = self.core.faults.stream_stop();
        let rx = self.core.channel_events.subscribe();
        Ok(Response::new(broadcast_stream(rx, stop)))
    }

    async fn query_routes(
        &self,
        request: Request<lnrpc::QueryRoutesRequest>,
    ) -> Result<Response<lnrpc::QueryRoutesResponse>, Status> {
        let query = routes::parse(&request.into_inner())?;
        let found = self.core.ledger().query_routes(&query).map_err(ledger_status)?;
        Ok(Response::new(routes::response(&found)))
    }

    type SubscribeChannelGraphStream = GraphStream;

    async fn subscribe_channel_graph(
        &self,
        _request: Request<lnrpc::GraphTopologySubscription>,
    ) -> Result<Response<Self::SubscribeChannelGraphStream>, Status> {
        let stop = self.core.faults.stream_stop();
        Ok(Response::new(broadcast_stream(
            self.core.graph_events.subscribe(),
            stop,
        )))
    }

    async fn fee_report(
        &self,
        _request: Request<lnrpc::FeeReportRequest>,
    ) -> Result<Response<lnrpc::FeeReportResponse>, Status> {
        Ok(Response::new(tools::fee_report(self.core.ledger().channels())))
    }
}

impl LightningService {
    /// The channel graph around this node, now.
    fn graph(&self, include_unannounced: bool) -> Graph {
        let pubkey = self.core.pubkey_hex();
        let own = OwnNode {
            pubkey: &pubkey,
            alias: &self.core.alias,
        };
        Graph::build(&own, self.core.ledger().channels(), include_unannounced)
    }
}
