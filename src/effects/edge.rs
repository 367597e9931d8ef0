//! The edge step's live check: CloudFront's deployment of the site's distribution to its edge
//! locations (GetDistribution: InProgress, then Deployed), then the site answering over HTTPS
//! from CloudFront with a certificate valid for the domain.
//!
//! The stack's apply does not wait for the deployment (`wait_for_deployment = false`), so this
//! check is where the wait shows: one line, with an estimate learned from earlier deployments on
//! this machine (`durations`, like the apply rows').

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{AwsChecks, BoxFuture, Project, TerraformJobs};
use crate::aws::EdgeDeployment;
use crate::durations::Durations;
use crate::failure::Failure;
use crate::tfgen::names::output;
use crate::wizard::StepKind;
use crate::wizard::state::CheckReport;
use crate::words::{DurationStyle, duration};

/// The name under which the durations file keeps how long CloudFront took to deploy.
pub(crate) const DEPLOYMENT_DURATION: &str = "aws_cloudfront_distribution (edge deployment)";

/// How long one HTTPS probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Who answered a GET of `https://<domain>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteAnswer {
    /// CloudFront answered (any status: an empty bucket answers 403 or 404 through it).
    CloudFront { status: u16 },
    /// Something answered over HTTPS with a valid certificate, but not CloudFront.
    Elsewhere { status: u16, server: Option<String> },
    /// No answer over HTTPS: the name does not resolve, the connection or the TLS handshake
    /// failed (a certificate not valid for the domain), or it timed out.
    NoAnswer { problem: String },
}

impl SiteAnswer {
    /// Judges a response by CloudFront's own headers: `Via: ... (CloudFront)`,
    /// `X-Cache: ... from cloudfront`, or `Server: CloudFront` on an answer CloudFront made
    /// itself (Amazon CloudFront Developer Guide, "Headers that CloudFront adds",
    /// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorS3Origin.html).
    pub fn judge<'a>(status: u16, headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut server = None;
        let mut cloudfront = false;
        for (name, value) in headers {
            let value_lower = value.to_ascii_lowercase();
            match name.to_ascii_lowercase().as_str() {
                "via" if value_lower.contains("(cloudfront)") => cloudfront = true,
                "x-cache" if value_lower.contains("cloudfront") => cloudfront = true,
                "server" => {
                    if value_lower == "cloudfront" {
                        cloudfront = true;
                    }
                    server = Some(crate::words::printable(value).into_owned());
                }
                _ => {}
            }
        }
        if cloudfront {
            SiteAnswer::CloudFront { status }
        } else {
            SiteAnswer::Elsewhere { status, server }
        }
    }
}

/// Asks the site over HTTPS.
pub trait SiteProbe: Send + Sync {
    /// GET `https://{host}/`, following no redirect. Never fails: no answer says why.
    fn get(&self, host: String) -> BoxFuture<'_, SiteAnswer>;
}

/// Where the probe connects and whom it trusts. The default is the Internet's: DNS, and the
/// web's root certificates (webpki-roots). A session may instead give one address that every
/// name resolves to and one CA certificate (PEM file) to trust.
#[derive(Debug, Clone, Default)]
pub struct ProbeRoute {
    pub connect_to: Option<SocketAddr>,
    pub trusted_ca: Option<PathBuf>,
}

/// The real [`SiteProbe`], on `ureq` with rustls.
#[derive(Clone)]
pub struct HttpsProbe {
    route: ProbeRoute,
}

impl HttpsProbe {
    pub fn new(route: ProbeRoute) -> Self {
        Self { route }
    }

    fn agent(&self) -> Result<ureq::Agent, String> {
        use ureq::tls::{Certificate, RootCerts, TlsConfig};
        let mut tls = TlsConfig::builder();
        if let Some(path) = &self.route.trusted_ca {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?
                .to_owned();
            tls = tls.root_certs(RootCerts::new_with_certs(&[cert]));
        }
        let mut config = ureq::Agent::config_builder();
        if self.route.connect_to.is_some() {
            // The given address, never a proxy from the environment.
            config = config.proxy(None);
        }
        let config = config
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(PROBE_TIMEOUT))
            .tls_config(tls.build())
            .build();
        Ok(match self.route.connect_to {
            Some(addr) => ureq::Agent::with_parts(
                config,
                ureq::unversioned::transport::DefaultConnector::new(),
                FixedResolver(addr),
            ),
            None => ureq::Agent::new_with_config(config),
        })
    }

    fn get_blocking(&self, host: &str) -> SiteAnswer {
        let agent = match self.agent() {
            Ok(a) => a,
            Err(problem) => return SiteAnswer::NoAnswer { problem },
        };
        match agent.get(format!("https://{host}/")).call() {
            Ok(response) => SiteAnswer::judge(
                response.status().as_u16(),
                response
                    .headers()
                    .iter()
                    .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?))),
            ),
            Err(e) => SiteAnswer::NoAnswer {
                problem: crate::words::printable(&e.to_string()).into_owned(),
            },
        }
    }
}

impl SiteProbe for HttpsProbe {
    fn get(&self, host: String) -> BoxFuture<'_, SiteAnswer> {
        let probe = self.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || probe.get_blocking(&host))
                .await
                .unwrap_or_else(|e| SiteAnswer::NoAnswer {
                    problem: format!("the probe stopped ({e})"),
                })
        })
    }
}

/// Resolves every name to one address.
#[derive(Debug)]
struct FixedResolver(SocketAddr);

impl ureq::unversioned::resolver::Resolver for FixedResolver {
    fn resolve(
        &self,
        _uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let mut addrs = self.empty();
        addrs.push(self.0);
        Ok(addrs)
    }
}

/// What the check remembers between polls.
#[derive(Default)]
struct Memory {
    /// The distribution id, read once from the Terraform outputs.
    distribution: Option<String>,
    /// The distribution seen InProgress, and when first.
    deploying: Option<(String, Instant)>,
}

/// The edge step's check.
pub struct EdgeCheck {
    project: Arc<Project>,
    aws: Arc<dyn AwsChecks>,
    terraform: Arc<dyn TerraformJobs>,
    probe: Arc<dyn SiteProbe>,
    durations: Option<PathBuf>,
    memory: Mutex<Memory>,
}

impl EdgeCheck {
    pub fn new(
        project: Arc<Project>,
        aws: Arc<dyn AwsChecks>,
        terraform: Arc<dyn TerraformJobs>,
        probe: Arc<dyn SiteProbe>,
        durations: Option<PathBuf>,
    ) -> Self {
        Self {
            project,
            aws,
            terraform,
            probe,
            durations,
            memory: Mutex::new(Memory::default()),
        }
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The distribution's id: from the outputs this session's apply read, else as this check
    /// read it before, else read from terraform now (a session that applied nothing: `status`).
    async fn distribution_id(&self) -> Result<String, Failure> {
        let known = self
            .project
            .known_output(output::CLOUDFRONT_DISTRIBUTION_ID)
            .or_else(|| self.memory().distribution.clone());
        if let Some(id) = known.filter(|id| !id.is_empty()) {
            return Ok(id);
        }
        let id = self
            .terraform
            .read_outputs()
            .await?
            .outputs
            .get(output::CLOUDFRONT_DISTRIBUTION_ID)
            .filter(|id| !id.is_empty())
            .cloned()
            .ok_or(Failure::NoDistributionId)?;
        self.memory().distribution = Some(id.clone());
        Ok(id)
    }

    /// How long deployments took here before, as "usually about N min".
    fn usually(&self) -> Option<String> {
        let expected = Durations::load(self.durations.as_deref()?).expected(DEPLOYMENT_DURATION)?;
        Some(if expected < 60 {
            "usually under a minute here".to_string()
        } else {
            format!(
                "usually about {} here",
                duration(Duration::from_secs(expected), DurationStyle::Wait)
            )
        })
    }

    fn record(&self, seconds: u64) {
        if let Some(path) = &self.durations {
            let mut d = Durations::load(path);
            d.record(DEPLOYMENT_DURATION, seconds);
            d.save(path);
        }
    }

    /// The check: the deployment's status, then the site's answer.
    pub async fn check(&self) -> Result<CheckReport, Failure> {
        let config = self.project.config()?;
        if !config.parts.site {
            return Ok(report(
                true,
                "The stack has no website, so there is no CloudFront deployment to wait for."
                    .into(),
            ));
        }
        let id = self.distribution_id().await?;
        let status = self.aws.edge_deployment(id.clone()).await?;
        match status {
            EdgeDeployment::InProgress => {
                {
                    let mut m = self.memory();
                    if m.deploying.as_ref().is_none_or(|(seen, _)| *seen != id) {
                        m.deploying = Some((id.clone(), Instant::now()));
                    }
                }
                // No clock in the line (the pane and the checklist show how long it has
                // waited), so plain mode says it once.
                let eta = self
                    .usually()
                    .unwrap_or_else(|| "on AWS this takes a few minutes".into());
                return Ok(report(
                    false,
                    format!("CloudFront is deploying the site to its edge locations ({eta})."),
                ));
            }
            EdgeDeployment::Missing => {
                // The stack may have replaced it since the id was read: read it again next time.
                self.memory().distribution = None;
                return Err(Failure::DistributionMissing { id });
            }
            EdgeDeployment::Other(status) => {
                return Err(Failure::DistributionStatus { id, status });
            }
            EdgeDeployment::Deployed => {
                let seen = self.memory().deploying.take();
                if let Some((seen, at)) = seen
                    && seen == id
                {
                    self.record(at.elapsed().as_secs());
                }
            }
        }
        let domain = config.domain.as_str().to_string();
        let url = format!("https://{domain}/");
        Ok(match self.probe.get(domain).await {
            SiteAnswer::CloudFront { status } => report(
                true,
                format!("{url} answers over HTTPS from CloudFront (HTTP {status})."),
            ),
            SiteAnswer::Elsewhere { status, server } => report(
                false,
                Failure::SiteNotCloudFront {
                    url,
                    status,
                    server,
                }
                .to_string(),
            ),
            SiteAnswer::NoAnswer { problem } => report(
                false,
                Failure::SiteNotAnswering { url, problem }.to_string(),
            ),
        })
    }
}

fn report(satisfied: bool, headline: String) -> CheckReport {
    CheckReport {
        satisfied,
        unchecked: false,
        waiting_on: StepKind::Aws,
        headline,
        lines: vec![],
        reopen: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudfront_is_known_by_its_headers_whatever_the_status() {
        assert_eq!(
            SiteAnswer::judge(403, [("via", "1.1 abc.cloudfront.net (CloudFront)")]),
            SiteAnswer::CloudFront { status: 403 }
        );
        assert_eq!(
            SiteAnswer::judge(404, [("X-Cache", "Error from cloudfront")]),
            SiteAnswer::CloudFront { status: 404 }
        );
        assert_eq!(
            SiteAnswer::judge(502, [("Server", "CloudFront")]),
            SiteAnswer::CloudFront { status: 502 }
        );
        assert_eq!(
            SiteAnswer::judge(200, [("server", "nginx"), ("via", "1.1 varnish")]),
            SiteAnswer::Elsewhere {
                status: 200,
                server: Some("nginx".into())
            }
        );
    }
}
