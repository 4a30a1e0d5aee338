//! Append-only persistence of the ledger: `state.json` is a snapshot, `state.log` holds one JSON
//! line per change since that snapshot (the after-image of everything the change touched).
//!
//! A change costs one appended line and one `fdatasync`, whatever the number of invoices, the way
//! LND's database commits one transaction per AddInvoice. The snapshot is rewritten (and the log
//! emptied) only when the log has grown as long as the state itself, so that cost stays constant
//! per change on average. Replaying a line is idempotent: every record carries full values, never
//! deltas, so a crash between writing the snapshot and emptying the log loses nothing.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::SimNodeError;
use crate::state::{ChannelState, ClosedChannelState, CustomerInvoice, PersistedState, StoredInvoice, StoredPayment};

/// Fewest changes between two snapshots, so that a small state is not rewritten on every change.
const MIN_CHANGES_PER_SNAPSHOT: u64 = 1_000;

/// One committed change: the node's counters and channels, plus every invoice it created or
/// modified; the whole payment list when it touched payments.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct JournalEntry {
    pub(crate) block_height: u32,
    pub(crate) block_hash: String,
    pub(crate) last_add_index: u64,
    pub(crate) last_settle_index: u64,
    pub(crate) last_payment_index: u64,
    pub(crate) last_attempt_id: u64,
    pub(crate) channels: Vec<ChannelState>,
    pub(crate) invoices: Vec<StoredInvoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) payments: Option<Vec<StoredPayment>>,
    /// The whole closed-channel list when the change closed a channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) closed_channels: Option<Vec<ClosedChannelState>>,
    /// The whole customer-invoice list when the change touched it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) customer_invoices: Option<Vec<CustomerInvoice>>,
}

impl JournalEntry {
    /// Applies this change to `state` (idempotent). Fails when an invoice's add index leaves a gap.
    fn apply(self, state: &mut PersistedState) -> Result<(), String> {
        state.block_height = self.block_height;
        state.block_hash = self.block_hash;
        state.last_add_index = self.last_add_index;
        state.last_settle_index = self.last_settle_index;
        state.last_payment_index = self.last_payment_index;
        state.last_attempt_id = self.last_attempt_id;
        state.channels = self.channels;
        for invoice in self.invoices {
            // Invoices are stored in add-index order, starting at 1, without gaps.
            let position = usize::try_from(invoice.add_index.saturating_sub(1)).map_err(|e| e.to_string())?;
            if invoice.add_index == 0 || position > state.invoices.len() {
                return Err(format!(
                    "invoice with add index {} follows only {} invoices",
                    invoice.add_index,
                    state.invoices.len()
                ));
            }
            if position == state.invoices.len() {
                state.invoices.push(invoice);
            } else {
                state.invoices[position] = invoice;
            }
        }
        if let Some(payments) = self.payments {
            state.payments = payments;
        }
        if let Some(closed) = self.closed_channels {
            state.closed_channels = closed;
        }
        if let Some(customer) = self.customer_invoices {
            state.customer_invoices = customer;
        }
        Ok(())
    }
}

/// The snapshot file, the log file next to it, and how many changes the log holds.
pub(crate) struct Journal {
    snapshot_path: PathBuf,
    log_path: PathBuf,
    log: File,
    log_len_bytes: u64,
    changes: u64,
}

impl Journal {
    /// `state.log` next to the snapshot `state.json`.
    pub(crate) fn log_path_for(snapshot_path: &Path) -> PathBuf {
        snapshot_path.with_extension("log")
    }

    /// Loads the state: the snapshot (`None` when the node is new), then every complete line of the
    /// log. A last line cut short by a crash is dropped; any other unreadable line is corruption.
    /// The result is written as a fresh snapshot with an empty log.
    pub(crate) fn open(snapshot_path: &Path) -> Result<(Option<PersistedState>, Journal), SimNodeError> {
        let log_path = Self::log_path_for(snapshot_path);
        let mut state = PersistedState::load(snapshot_path)?;
        let replayed = match &mut state {
            Some(state) => replay(&log_path, state)?,
            None => 0,
        };
        let log = open_log(&log_path)?;
        let mut journal = Journal {
            snapshot_path: snapshot_path.to_path_buf(),
            log_path,
            log,
            log_len_bytes: 0,
            changes: 0,
        };
        match &state {
            Some(state) if replayed > 0 => journal.snapshot(state)?,
            Some(_) => journal.truncate_log()?,
            None => {}
        }
        Ok((state, journal))
    }

    /// Writes `state` as the new snapshot and empties the log.
    pub(crate) fn snapshot(&mut self, state: &PersistedState) -> Result<(), SimNodeError> {
        state.save(&self.snapshot_path)?;
        self.truncate_log()
    }

    /// Appends one change and flushes it to disk; `state` is the state after the change, written
    /// as a new snapshot when the log has grown long. On failure the log is as it was before.
    pub(crate) fn append(&mut self, entry: &JournalEntry, state: &PersistedState) -> Result<(), SimNodeError> {
        let mut line = serde_json::to_vec(entry)
            .map_err(|e| SimNodeError::corrupt(&self.log_path, format!("cannot encode a change: {e}")))?;
        line.push(b'\n');
        let written = self
            .log
            .write_all(&line)
            .and_then(|()| self.log.sync_data())
            .map_err(|e| SimNodeError::io("append to", &self.log_path, e));
        if let Err(e) = written {
            // Drop whatever part of the line reached the file, so later lines stay readable.
            let _ = self.log.set_len(self.log_len_bytes);
            return Err(e);
        }
        self.log_len_bytes += line.len() as u64;
        self.changes += 1;
        let threshold = MIN_CHANGES_PER_SNAPSHOT.max(state.invoices.len() as u64);
        if self.changes >= threshold {
            // The change is durable in the log already: a failed snapshot only delays compaction.
            if let Err(e) = self.snapshot(state) {
                tracing::warn!(error = %e, "simnode: cannot compact state.log into state.json; will retry");
            }
        }
        Ok(())
    }

    fn truncate_log(&mut self) -> Result<(), SimNodeError> {
        self.log
            .set_len(0)
            .and_then(|()| self.log.sync_all())
            .map_err(|e| SimNodeError::io("empty", &self.log_path, e))?;
        self.log_len_bytes = 0;
        self.changes = 0;
        Ok(())
    }
}

/// Applies the log's complete lines to `state`; returns how many were applied.
fn replay(log_path: &Path, state: &mut PersistedState) -> Result<u64, SimNodeError> {
    let file = match File::open(log_path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(SimNodeError::io("read", log_path, e)),
    };
    let mut reader = BufReader::new(file);
    let mut applied = 0u64;
    let mut line = Vec::new();
    let mut line_no = 0u64;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| SimNodeError::io("read", log_path, e))?;
        if read == 0 {
            break;
        }
        line_no += 1;
        if line.last() != Some(&b'\n') {
            // A crash cut the last write short: that change was never acknowledged.
            tracing::warn!(
                line = line_no,
                "simnode: dropping an incomplete last change in state.log"
            );
            break;
        }
        let entry: JournalEntry = serde_json::from_slice(&line)
            .map_err(|e| SimNodeError::corrupt(log_path, format!("line {line_no} is not a simnode change: {e}")))?;
        entry
            .apply(state)
            .map_err(|reason| SimNodeError::corrupt(log_path, format!("line {line_no}: {reason}")))?;
        applied += 1;
    }
    Ok(applied)
}

/// Opens the log for appending, readable by its owner only.
fn open_log(path: &Path) -> Result<File, SimNodeError> {
    let mut options = fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| SimNodeError::io("open", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice(add_index: u64) -> StoredInvoice {
        StoredInvoice {
            memo: format!("inv {add_index}"),
            preimage: Some([1; 32]),
            payment_hash: [u8::try_from(add_index % 250).unwrap_or(0); 32],
            value_msat: 1000 * add_index,
            creation_ms: 0,
            settle_date_secs: 0,
            payment_request: String::new(),
            description_hash: None,
            expiry_secs: 3600,
            cltv_expiry: 80,
            route_hints: Vec::new(),
            add_index,
            settle_index: 0,
            amt_paid_msat: 0,
            state: crate::state::InvoiceState::Open,
            htlcs: Vec::new(),
            payment_addr: [2; 32],
            hold: false,
            feature_bits: Vec::new(),
        }
    }

    fn entry_for(state: &PersistedState, invoices: Vec<StoredInvoice>) -> JournalEntry {
        JournalEntry {
            block_height: state.block_height,
            block_hash: state.block_hash.clone(),
            last_add_index: state.last_add_index,
            last_settle_index: state.last_settle_index,
            last_payment_index: state.last_payment_index,
            last_attempt_id: state.last_attempt_id,
            channels: state.channels.clone(),
            invoices,
            payments: None,
            closed_channels: None,
            customer_invoices: None,
        }
    }

    #[test]
    fn changes_survive_a_reopen_and_a_torn_last_line_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (loaded, mut journal) = Journal::open(&path).unwrap();
        assert!(loaded.is_none());
        let mut state = PersistedState::fresh(Vec::new());
        journal.snapshot(&state).unwrap();
        for i in 1..=3 {
            state.last_add_index = i;
            state.invoices.push(invoice(i));
            journal.append(&entry_for(&state, vec![invoice(i)]), &state).unwrap();
        }
        // settle invoice 2: an update in place
        let mut settled = invoice(2);
        settled.state = crate::state::InvoiceState::Settled;
        state.last_settle_index = 1;
        journal.append(&entry_for(&state, vec![settled]), &state).unwrap();
        // the snapshot was not rewritten: the log holds all four changes
        assert_eq!(
            fs::read_to_string(Journal::log_path_for(&path))
                .unwrap()
                .lines()
                .count(),
            4
        );
        drop(journal);
        // a crash mid-write leaves half a line at the end
        let mut log = fs::OpenOptions::new()
            .append(true)
            .open(Journal::log_path_for(&path))
            .unwrap();
        log.write_all(b"{\"block_height\":15").unwrap();
        drop(log);

        let (loaded, _journal) = Journal::open(&path).unwrap();
        let loaded = loaded.unwrap();
        assert_eq!(loaded.invoices.len(), 3);
        assert_eq!(loaded.last_add_index, 3);
        assert_eq!(loaded.last_settle_index, 1);
        assert_eq!(loaded.invoices[1].state, crate::state::InvoiceState::Settled);
        assert_eq!(loaded.invoices[2].memo, "inv 3");
        // reopening compacted everything into the snapshot
        assert_eq!(fs::metadata(Journal::log_path_for(&path)).unwrap().len(), 0);
        let again = PersistedState::load(&path).unwrap().unwrap();
        assert_eq!(again.invoices.len(), 3);
    }

    #[test]
    fn a_corrupt_line_in_the_middle_is_refused_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (_, mut journal) = Journal::open(&path).unwrap();
        let mut state = PersistedState::fresh(Vec::new());
        journal.snapshot(&state).unwrap();
        state.last_add_index = 1;
        state.invoices.push(invoice(1));
        journal.append(&entry_for(&state, vec![invoice(1)]), &state).unwrap();
        drop(journal);
        let log_path = Journal::log_path_for(&path);
        let text = fs::read_to_string(&log_path).unwrap();
        fs::write(&log_path, format!("garbage\n{text}")).unwrap();
        let err = Journal::open(&path).err().unwrap().to_string();
        assert!(err.contains("state.log is corrupt: line 1"), "{err}");
    }

    #[test]
    fn a_gap_in_add_indexes_is_corruption() {
        let mut state = PersistedState::fresh(Vec::new());
        let entry = entry_for(&state, vec![invoice(2)]);
        assert!(entry
            .apply(&mut state)
            .unwrap_err()
            .contains("add index 2 follows only 0"));
    }

    #[test]
    fn the_log_is_compacted_once_it_is_as_long_as_the_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (_, mut journal) = Journal::open(&path).unwrap();
        let mut state = PersistedState::fresh(Vec::new());
        journal.snapshot(&state).unwrap();
        for i in 1..=MIN_CHANGES_PER_SNAPSHOT {
            state.last_add_index = i;
            state.invoices.push(invoice(i));
            journal.append(&entry_for(&state, vec![invoice(i)]), &state).unwrap();
        }
        assert_eq!(fs::metadata(Journal::log_path_for(&path)).unwrap().len(), 0);
        let snapshot = PersistedState::load(&path).unwrap().unwrap();
        assert_eq!(snapshot.invoices.len() as u64, MIN_CHANGES_PER_SNAPSHOT);
    }
}
