//! An isolated AWS environment in a temporary home, and an HTTP client that records every
//! request and refuses any that leaves loopback. Included with
//! `#[path = "aws_common/offline.rs"] mod offline;`.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use siteup::aws::{AwsEnv, ConnectOptions};

/// A temporary home with `~/.aws/config` and `~/.aws/credentials`.
pub(crate) struct TestHome {
    pub dir: tempfile::TempDir,
}

impl TestHome {
    pub(crate) fn new(config: &str, credentials: &str) -> Self {
        Self::with_files(Some(config), Some(credentials))
    }

    /// A home with only the files given (`aws configure sso` writes only `config`).
    pub(crate) fn with_files(config: Option<&str>, credentials: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("temporary home");
        let aws = dir.path().join(".aws");
        std::fs::create_dir_all(&aws).expect("~/.aws");
        if let Some(config) = config {
            std::fs::write(aws.join("config"), config).expect("write config");
        }
        if let Some(credentials) = credentials {
            std::fs::write(aws.join("credentials"), credentials).expect("write credentials");
        }
        Self { dir }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn config_file(&self) -> PathBuf {
        self.path().join(".aws").join("config")
    }

    pub(crate) fn credentials_file(&self) -> PathBuf {
        self.path().join(".aws").join("credentials")
    }

    /// The explicit environment siteup reads: this home and its two files, plus `extra`.
    pub(crate) fn env(&self, extra: &[(&str, &str)]) -> AwsEnv {
        let home = self.path().to_string_lossy().to_string();
        let config = self.config_file().to_string_lossy().to_string();
        let credentials = self.credentials_file().to_string_lossy().to_string();
        let mut vars: Vec<(&str, &str)> = vec![
            ("HOME", home.as_str()),
            ("AWS_CONFIG_FILE", config.as_str()),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.as_str()),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ];
        vars.extend_from_slice(extra);
        AwsEnv::from_vars(&vars)
    }
}

/// An HTTP client that records every request's URI and refuses (without connecting) any whose
/// host is not a loopback address; loopback requests go through siteup's real client.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    seen: Arc<Mutex<Vec<String>>>,
    inner: SharedHttpClient,
}

impl Recorder {
    pub(crate) fn new() -> Self {
        Self {
            seen: Arc::default(),
            inner: siteup::aws::connect::http_client(),
        }
    }

    pub(crate) fn client(&self) -> SharedHttpClient {
        SharedHttpClient::new(self.clone())
    }

    pub(crate) fn options(&self) -> ConnectOptions {
        ConnectOptions {
            http_client: Some(self.client()),
            ..ConnectOptions::default()
        }
    }

    /// Every URI requested so far.
    pub(crate) fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("recorder lock").clone()
    }

    /// The requested URIs whose host is not loopback.
    pub(crate) fn off_loopback(&self) -> Vec<String> {
        self.seen()
            .into_iter()
            .filter(|u| !is_loopback_uri(u))
            .collect()
    }
}

impl HttpClient for Recorder {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(RecordingConnector {
            seen: self.seen.clone(),
            inner: self.inner.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct RecordingConnector {
    seen: Arc<Mutex<Vec<String>>>,
    inner: SharedHttpConnector,
}

impl HttpConnector for RecordingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let uri = request.uri().to_string();
        self.seen.lock().expect("recorder lock").push(uri.clone());
        if !is_loopback_uri(&uri) {
            return HttpConnectorFuture::ready(Err(ConnectorError::other(
                format!("test refused a request off loopback: {uri}").into(),
                None,
            )));
        }
        self.inner.call(request)
    }
}

/// Whether a URI's host is 127.0.0.0/8, ::1 or localhost.
pub(crate) fn is_loopback_uri(uri: &str) -> bool {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
