//! `verrpc.Versioner`: the version and build information LND 0.21.2-beta reports.

use lnd_proto::verrpc::{self, versioner_server::Versioner};
use tonic::{Request, Response, Status};

/// `build.Commit` of a release build (`git describe --tags`).
const COMMIT: &str = "v0.21.2-beta";

/// `build.CommitHash`: the commit the v0.21.2-beta tag points at.
pub(crate) const COMMIT_HASH: &str = "29257ecc8892af0c882fa627b66a556190c84fd9";

/// The build tags of LND's release binaries (`make/release_flags.mk` RELEASE_TAGS).
const RELEASE_TAGS: [&str; 12] = [
    "autopilotrpc",
    "signrpc",
    "walletrpc",
    "chainrpc",
    "invoicesrpc",
    "watchtowerrpc",
    "neutrinorpc",
    "monitoring",
    "peersrpc",
    "kvdb_postgres",
    "kvdb_etcd",
    "kvdb_sqlite",
];

/// The version sub-server.
pub(crate) struct VersionService;

#[tonic::async_trait]
impl Versioner for VersionService {
    async fn get_version(
        &self,
        _request: Request<verrpc::VersionRequest>,
    ) -> Result<Response<verrpc::Version>, Status> {
        Ok(Response::new(verrpc::Version {
            commit: COMMIT.to_string(),
            commit_hash: COMMIT_HASH.to_string(),
            version: "0.21.2-beta".to_string(),
            app_major: 0,
            app_minor: 21,
            app_patch: 2,
            app_pre_release: "beta".to_string(),
            build_tags: RELEASE_TAGS.iter().map(|t| t.to_string()).collect(),
            // The Go toolchain LND's release Dockerfile builds with.
            go_version: "go1.26.3".to_string(),
        }))
    }
}
