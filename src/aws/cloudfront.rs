//! A CloudFront distribution's deployment status, for the journey's edge step.
//!
//! A distribution is `InProgress` after it is created or updated, until its configuration has
//! reached every edge location, then `Deployed`: Amazon CloudFront API Reference, Distribution,
//! Status (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_Distribution.html).

use serde::Serialize;

/// Where a distribution's deployment to the edge locations stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum EdgeDeployment {
    /// CloudFront is still deploying the latest configuration.
    InProgress,
    /// Every edge location serves the latest configuration.
    Deployed,
    /// CloudFront has no distribution with this id.
    Missing,
    /// A status this version of siteup does not know (the text as AWS wrote it).
    Other(String),
}

impl EdgeDeployment {
    /// Reads CloudFront's `Status` field.
    pub fn from_status(status: &str) -> Self {
        match status {
            "InProgress" => EdgeDeployment::InProgress,
            "Deployed" => EdgeDeployment::Deployed,
            other => EdgeDeployment::Other(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_cloudfront_writes_them() {
        assert_eq!(
            EdgeDeployment::from_status("InProgress"),
            EdgeDeployment::InProgress
        );
        assert_eq!(
            EdgeDeployment::from_status("Deployed"),
            EdgeDeployment::Deployed
        );
        assert_eq!(
            EdgeDeployment::from_status("Disabled"),
            EdgeDeployment::Other("Disabled".into())
        );
    }
}
