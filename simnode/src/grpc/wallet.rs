//! The simulated on-chain wallet: one confirmed regtest P2WPKH output, received long before the
//! node's tip, behind `ListUnspent` and `GetTransactions` (WalletBalance reports the same).

use bitcoin::hashes::{sha256, sha256d, Hash};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use bitcoin::{Address, CompressedPublicKey, Network};
use lnd_proto::lnrpc;
use tonic::Status;

use crate::keys::NodeKeys;

/// The wallet's only output: 0.1 BTC, confirmed.
pub(crate) const WALLET_CONFIRMED_SAT: i64 = 10_000_000;

/// Block in which the wallet received its output.
const FUNDING_HEIGHT: u32 = 500;

/// Unix time of the funding block (2024-01-01T00:00:00Z).
const FUNDING_TIME_SECS: i64 = 1_704_067_200;

/// The wallet's receive address and its output script (hex): P2WPKH of a key derived from the
/// node key.
fn wallet_address(keys: &NodeKeys) -> Result<(String, String), Status> {
    let node_secret = keys.node_secret().map_err(Status::internal)?;
    let mut seed = sha256::Hash::hash(&[b"simnode-wallet:".as_slice(), &node_secret.secret_bytes()].concat());
    let secret = loop {
        if let Ok(secret) = SecretKey::from_slice(seed.as_byte_array()) {
            break secret;
        }
        seed = sha256::Hash::hash(seed.as_byte_array());
    };
    let public = PublicKey::from_secret_key(&Secp256k1::signing_only(), &secret);
    let address = Address::p2wpkh(&CompressedPublicKey(public), Network::Regtest);
    let script_hex = hex::encode(address.script_pubkey().as_bytes());
    Ok((address.to_string(), script_hex))
}

/// Txid (display order) of the transaction that funded the wallet.
fn funding_txid(keys: &NodeKeys) -> String {
    let mut bytes = sha256d::Hash::hash(format!("simnode-wallet-funding:{}", keys.node_public()).as_bytes())
        .to_byte_array()
        .to_vec();
    bytes.reverse();
    hex::encode(bytes)
}

/// Confirmations of the funding output at tip `block_height`.
fn confirmations(block_height: u32) -> u32 {
    block_height.saturating_sub(FUNDING_HEIGHT).saturating_add(1)
}

/// Refuses an account other than the default one.
pub(crate) fn check_account(account: &str) -> Result<(), Status> {
    if account.is_empty() || account == "default" {
        Ok(())
    } else {
        Err(Status::unknown(format!(
            "account '{account}' not found (the simnode wallet has only the \"default\" account)"
        )))
    }
}

/// ListUnspent with LND's `ParseConfs` checks: outputs with `min_confs..=max_confs`
/// confirmations.
pub(crate) fn list_unspent(
    req: &lnrpc::ListUnspentRequest,
    keys: &NodeKeys,
    block_height: u32,
) -> Result<lnrpc::ListUnspentResponse, Status> {
    if req.min_confs < 0 {
        return Err(Status::unknown("min confirmations must be >= 0"));
    }
    if req.min_confs > req.max_confs {
        return Err(Status::unknown("max confirmations must be >= min confirmations"));
    }
    check_account(&req.account)?;
    let confs = i64::from(confirmations(block_height));
    if confs < i64::from(req.min_confs) || confs > i64::from(req.max_confs) {
        return Ok(lnrpc::ListUnspentResponse { utxos: Vec::new() });
    }
    let (address, pk_script) = wallet_address(keys)?;
    let txid = funding_txid(keys);
    let mut txid_bytes = hex::decode(&txid).map_err(|e| Status::internal(e.to_string()))?;
    txid_bytes.reverse();
    Ok(lnrpc::ListUnspentResponse {
        utxos: vec![lnrpc::Utxo {
            address_type: lnrpc::AddressType::WitnessPubkeyHash as i32,
            address,
            amount_sat: WALLET_CONFIRMED_SAT,
            pk_script,
            outpoint: Some(lnrpc::OutPoint {
                txid_bytes,
                txid_str: txid,
                output_index: 0,
            }),
            confirmations: confs,
        }],
    })
}

/// GetTransactions: the wallet's one transaction when its block is in the requested range
/// (`end_height` 0 means up to the tip and unconfirmed, as LND's default; a start above the end
/// reads the range backwards), paginated by `index_offset` and `max_transactions`.
pub(crate) fn get_transactions(
    req: &lnrpc::GetTransactionsRequest,
    keys: &NodeKeys,
    block_height: u32,
) -> Result<lnrpc::TransactionDetails, Status> {
    check_account(&req.account)?;
    let height = i32::try_from(FUNDING_HEIGHT).unwrap_or(i32::MAX);
    let end = if req.end_height == 0 || req.end_height == -1 {
        i32::MAX
    } else {
        req.end_height
    };
    let (low, high) = if req.start_height <= end {
        (req.start_height, end)
    } else {
        (end, req.start_height)
    };
    let mut all = Vec::new();
    if (low..=high).contains(&height) {
        let (address, pk_script) = wallet_address(keys)?;
        let block_hash = sha256d::Hash::hash(format!("simnode-block:{FUNDING_HEIGHT}").as_bytes());
        all.push(lnrpc::Transaction {
            tx_hash: funding_txid(keys),
            amount: WALLET_CONFIRMED_SAT,
            num_confirmations: i32::try_from(confirmations(block_height)).unwrap_or(i32::MAX),
            block_hash: hex::encode(block_hash.to_byte_array()),
            block_height: height,
            time_stamp: FUNDING_TIME_SECS,
            total_fees: 0,
            output_details: vec![lnrpc::OutputDetail {
                output_type: lnrpc::OutputScriptType::ScriptTypeWitnessV0PubkeyHash as i32,
                address,
                pk_script,
                output_index: 0,
                amount: WALLET_CONFIRMED_SAT,
                is_our_address: true,
            }],
            label: String::new(),
        });
    }
    let offset = usize::try_from(req.index_offset).unwrap_or(usize::MAX);
    let take = if req.max_transactions == 0 {
        usize::MAX
    } else {
        usize::try_from(req.max_transactions).unwrap_or(usize::MAX)
    };
    let transactions: Vec<lnrpc::Transaction> = all.into_iter().skip(offset).take(take).collect();
    // The page's bounds: `last_index` is the offset to ask for next.
    let first_index = u64::from(req.index_offset);
    let last_index = first_index + u64::try_from(transactions.len()).unwrap_or(u64::MAX);
    Ok(lnrpc::TransactionDetails {
        transactions,
        last_index,
        first_index,
    })
}
