//! Shared helpers for the tests/aws_*.rs files: an isolated AWS environment in a temporary home,
//! an HTTP client that records every request and refuses any that leaves loopback, and the
//! emulator.
#![allow(dead_code)]

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
pub struct TestHome {
    pub dir: tempfile::TempDir,
}

impl TestHome {
    pub fn new(config: &str, credentials: &str) -> Self {
        Self::with_files(Some(config), Some(credentials))
    }

    /// A home with only the files given (`aws configure sso` writes only `config`).
    pub fn with_files(config: Option<&str>, credentials: Option<&str>) -> Self {
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

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_file(&self) -> PathBuf {
        self.path().join(".aws").join("config")
    }

    pub fn credentials_file(&self) -> PathBuf {
        self.path().join(".aws").join("credentials")
    }

    /// The explicit environment siteup reads: this home and its two files, plus `extra`.
    pub fn env(&self, extra: &[(&str, &str)]) -> AwsEnv {
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

    /// Writes an SSO token cache file for `key` (a session name or start URL) under this home.
    pub fn write_sso_token(&self, key: &str, expires_at: &str) {
        use sha1::{Digest, Sha1};
        let dir = self.path().join(".aws").join("sso").join("cache");
        std::fs::create_dir_all(&dir).expect("sso cache dir");
        let name = format!("{}.json", hex::encode(Sha1::digest(key.as_bytes())));
        let body = serde_json::json!({
            "accessToken": "test-access-token-not-real",
            "expiresAt": expires_at,
            "region": "eu-west-1",
            "startUrl": "https://example.awsapps.com/start",
        });
        std::fs::write(dir.join(name), body.to_string()).expect("write token");
    }

    /// Points the test process's own environment at this home too, for the parts of the SDK that
    /// read the process environment (its SSO token cache). Call it first thing in a `#[test]`,
    /// before any thread or runtime exists; nextest runs each test in its own process.
    pub fn isolate_process(&self) {
        isolate_process_env(Some(self));
    }
}

/// Sets `AWS_EC2_METADATA_DISABLED=true`, removes the caller's AWS variables, and points HOME and
/// the AWS files at `home` (or at nothing).
pub fn isolate_process_env(home: Option<&TestHome>) {
    // Every AWS_* variable of the caller (profile, keys, regions, container credentials...).
    let removals = siteup::aws::env::inherited_aws_variables();
    // The emulator finds its venv through HOME: pin it before HOME moves.
    let python = siteup::sandbox::emulator::test_python();
    // SAFETY: called at the start of a test, before the test creates any thread or runtime;
    // nextest runs every test in its own process, so no other thread reads the environment.
    unsafe {
        std::env::set_var(siteup::sandbox::emulator::PYTHON_ENV, python);
        for key in removals {
            std::env::remove_var(key);
        }
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        match home {
            Some(home) => {
                std::env::set_var("HOME", home.path());
                std::env::set_var("AWS_CONFIG_FILE", home.config_file());
                std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", home.credentials_file());
            }
            None => {
                std::env::set_var("AWS_CONFIG_FILE", "/dev/null");
                std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
            }
        }
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// An HTTP client that records every request's URI and refuses (without connecting) any whose
/// host is not a loopback address; loopback requests go through siteup's real client.
#[derive(Debug, Clone)]
pub struct Recorder {
    seen: Arc<Mutex<Vec<String>>>,
    inner: SharedHttpClient,
}

impl Recorder {
    pub fn new() -> Self {
        Self {
            seen: Arc::default(),
            inner: siteup::aws::connect::http_client(),
        }
    }

    pub fn client(&self) -> SharedHttpClient {
        SharedHttpClient::new(self.clone())
    }

    pub fn options(&self) -> ConnectOptions {
        ConnectOptions {
            http_client: Some(self.client()),
            ..ConnectOptions::default()
        }
    }

    /// Every URI requested so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("recorder lock").clone()
    }

    /// The requested URIs whose host is not loopback.
    pub fn off_loopback(&self) -> Vec<String> {
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
pub fn is_loopback_uri(uri: &str) -> bool {
    let rest = uri.split_once("://").map(|(_, r)| r).unwrap_or(uri);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A loopback port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    port
}

/// A loopback HTTP server that answers every request with the same response and counts them.
pub struct FixedServer {
    pub url: String,
    hits: Arc<std::sync::atomic::AtomicUsize>,
}

impl FixedServer {
    /// `status` like "503 Service Unavailable"; `silent` accepts connections and never answers.
    pub fn start(status: &str, content_type: &str, body: &str, silent: bool) -> Self {
        Self::start_full(status, content_type, &[], body, silent)
    }

    /// Like [`FixedServer::start`] with extra response headers.
    pub fn start_with_headers(
        status: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Self {
        Self::start_full(status, content_type, headers, body, false)
    }

    fn start_full(
        status: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: &str,
        silent: bool,
    ) -> Self {
        use std::io::{Read, Write};
        let extra: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if silent {
                    held.push(stream);
                    continue;
                }
                // Read the request head and body (Content-Length), then answer.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let mut need: Option<usize> = None;
                while let Ok(n) = stream.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if need.is_none()
                        && let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n")
                    {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        need = Some(end + 4 + len);
                    }
                    if need.is_some_and(|n| buf.len() >= n) {
                        break;
                    }
                }
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Self { url, hits }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}
