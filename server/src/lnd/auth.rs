//! Macaroon authentication: read the macaroon file, hex-encode it and attach it to every call
//! as the `macaroon` gRPC metadata (marked sensitive so it is never logged).

use std::path::Path;
use std::sync::{Arc, RwLock};

use secrecy::{ExposeSecret, SecretString};
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::{Request, Status};

use super::error::ConnectFailure;

/// Reads the macaroon at `path` and returns it hex-encoded (files already holding hex are accepted).
pub(crate) fn read_macaroon(path: &Path) -> Result<SecretString, ConnectFailure> {
    let bytes = std::fs::read(path).map_err(|e| ConnectFailure::MacaroonFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return Err(ConnectFailure::MacaroonFile {
            path: path.to_path_buf(),
            reason: "the file is empty".to_string(),
        });
    }
    // LND writes binary macaroons (they start with a version byte, never a hex digit); some tools
    // export them as hex text instead.
    if trimmed.len() % 2 == 0 && trimmed.iter().all(u8::is_ascii_hexdigit) {
        let text = String::from_utf8_lossy(trimmed).to_ascii_lowercase();
        return Ok(SecretString::from(text));
    }
    Ok(SecretString::from(hex::encode(&bytes)))
}

/// Adds the current macaroon to each outgoing request.
#[derive(Clone)]
pub(crate) struct MacaroonInterceptor {
    pub(crate) macaroon: Arc<RwLock<SecretString>>,
}

impl Interceptor for MacaroonInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let guard = self
            .macaroon
            .read()
            .map_err(|_| Status::internal("macaroon lock poisoned"))?;
        let mut value = MetadataValue::try_from(guard.expose_secret())
            .map_err(|_| Status::internal("the macaroon is not valid gRPC metadata"))?;
        value.set_sensitive(true);
        request.metadata_mut().insert("macaroon", value);
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_macaroon_is_hex_encoded_and_hex_file_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("admin.macaroon");
        std::fs::write(&bin, [0x02u8, 0x01, 0x03, 0xff]).expect("write");
        assert_eq!(read_macaroon(&bin).expect("read").expose_secret(), "020103ff");
        let hex_file = dir.path().join("hex.macaroon");
        std::fs::write(&hex_file, "0201ABCD\n").expect("write");
        assert_eq!(read_macaroon(&hex_file).expect("read").expose_secret(), "0201abcd");
    }

    #[test]
    fn missing_and_empty_files_name_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope.macaroon");
        let e = read_macaroon(&missing).expect_err("error");
        assert!(e.to_string().contains("nope.macaroon"), "{e}");
        let empty = dir.path().join("empty.macaroon");
        std::fs::write(&empty, b"").expect("write");
        assert!(read_macaroon(&empty).expect_err("error").to_string().contains("empty"));
    }

    #[test]
    fn interceptor_sets_sensitive_metadata() {
        let mut interceptor = MacaroonInterceptor {
            macaroon: Arc::new(RwLock::new(SecretString::from("0201"))),
        };
        let request = interceptor.call(Request::new(())).expect("intercept");
        let value = request.metadata().get("macaroon").expect("macaroon header");
        assert_eq!(value.to_str().expect("ascii"), "0201");
        assert!(value.is_sensitive());
    }
}
