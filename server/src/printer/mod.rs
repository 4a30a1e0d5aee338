//! The receipt printer port (issue 36): ESC/POS bytes sent raw to a network thermal printer over
//! TCP (port 9100 as a rule), with a connect timeout and a write timeout, so an unplugged printer
//! costs the till a few seconds and a clear message, never a hang.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// How long connecting to a printer may take.
pub const CONNECT_TIMEOUT_SECS: u64 = 3;
/// How long sending a receipt may take once connected.
pub const WRITE_TIMEOUT_SECS: u64 = 5;

/// Why a receipt did not reach the printer.
#[derive(Debug, thiserror::Error)]
pub enum PrinterError {
    /// Nothing answered at the address.
    #[error("the receipt printer at {address} is unreachable ({reason}): check that it is on, on the network, and that the till's printer address is right")]
    Unreachable {
        /// `HOST:PORT`.
        address: String,
        /// What the network said.
        reason: String,
    },
    /// It did not answer within the connect timeout.
    #[error("the receipt printer at {address} did not answer within {CONNECT_TIMEOUT_SECS} s: check that it is on and on the network")]
    ConnectTimeout {
        /// `HOST:PORT`.
        address: String,
    },
    /// It took the connection but not the receipt.
    #[error("the receipt printer at {address} did not take the receipt ({reason}): check its paper and cover, then print again")]
    Write {
        /// `HOST:PORT`.
        address: String,
        /// What went wrong.
        reason: String,
    },
}

/// Sends `bytes` to the printer at `address` (`HOST:PORT`) and closes the connection.
pub async fn send_raw(address: &str, bytes: &[u8]) -> Result<(), PrinterError> {
    let connect = tokio::time::timeout(Duration::from_secs(CONNECT_TIMEOUT_SECS), TcpStream::connect(address));
    let mut stream = match connect.await {
        Err(_elapsed) => {
            return Err(PrinterError::ConnectTimeout {
                address: address.to_string(),
            })
        }
        Ok(Err(e)) => {
            return Err(PrinterError::Unreachable {
                address: address.to_string(),
                reason: e.to_string(),
            })
        }
        Ok(Ok(stream)) => stream,
    };
    let write = async {
        stream.write_all(bytes).await?;
        stream.flush().await?;
        stream.shutdown().await
    };
    match tokio::time::timeout(Duration::from_secs(WRITE_TIMEOUT_SECS), write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(PrinterError::Write {
            address: address.to_string(),
            reason: e.to_string(),
        }),
        Err(_elapsed) => Err(PrinterError::Write {
            address: address.to_string(),
            reason: format!("no progress within {WRITE_TIMEOUT_SECS} s"),
        }),
    }
}
