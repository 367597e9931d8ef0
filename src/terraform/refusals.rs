//! AWS refusals that reach siteup as an ordinary terraform error, yet mean something the user
//! must do outside siteup: recognised here, worded by `failure::Failure`.

use super::runner::RunOutcome;

/// What CloudFront answers an account it has not verified yet (HTTP 403 AccessDenied, new AWS
/// accounts), as the provider shows it: "creating CloudFront Distribution: operation error
/// CloudFront: CreateDistributionWithTags, https response error StatusCode: 403, ...,
/// AccessDenied: Your account must be verified before you can add new CloudFront resources. To
/// verify your account, please contact AWS Support (...) and include this error message."
pub(crate) const CLOUDFRONT_UNVERIFIED: &str =
    "Your account must be verified before you can add new CloudFront resources";

/// What ACM answers DeleteCertificate while a CloudFront distribution, an API Gateway custom
/// domain or a Cognito domain still holds the certificate ("ResourceInUseException: Certificate
/// arn:... in use by arn:..."). CloudFront releases a certificate some minutes after the
/// distribution that held it is gone, longer than the provider retries
/// (https://docs.aws.amazon.com/acm/latest/APIReference/API_DeleteCertificate.html).
pub(crate) const CERTIFICATE_IN_USE: &str = "ResourceInUseException";

/// A refusal siteup explains in its own words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KnownRefusal {
    /// CloudFront will not create a distribution until AWS Support verifies the account.
    CloudFrontAccountUnverified,
    /// ACM will not delete a certificate while something still holds it: wait and try again.
    CertificateInUse,
}

impl KnownRefusal {
    /// The refusal a failed run reports, if siteup knows it: in its error diagnostics, or in
    /// what terraform wrote on stderr.
    pub(crate) fn of(outcome: &RunOutcome) -> Option<KnownRefusal> {
        let said = |needle: &str| {
            outcome.errors.iter().any(|e| e.contains(needle)) || outcome.stderr.contains(needle)
        };
        if said(CLOUDFRONT_UNVERIFIED) {
            Some(KnownRefusal::CloudFrontAccountUnverified)
        } else if said(CERTIFICATE_IN_USE) {
            Some(KnownRefusal::CertificateInUse)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform::runner::ExitKind;
    use std::time::Duration;

    fn failed(errors: &[&str], stderr: &str) -> RunOutcome {
        RunOutcome {
            kind: ExitKind::Failed,
            code: Some(1),
            signal: None,
            stderr: stderr.to_string(),
            errors: errors.iter().map(ToString::to_string).collect(),
            lock: None,
            interrupt_requested: false,
            saw_interrupt: false,
            duration: Duration::from_secs(3),
        }
    }

    const PROVIDER_LINE: &str = "aws_cloudfront_distribution.site: creating CloudFront Distribution: operation error CloudFront: CreateDistributionWithTags, https response error StatusCode: 403, RequestID: 797432d4-6e92-4b71-a43a-ec340d1afbaa, AccessDenied: Your account must be verified before you can add new CloudFront resources. To verify your account, please contact AWS Support (https://console.aws.amazon.com/support/home#/) and include this error message.";

    #[test]
    fn the_unverified_cloudfront_account_is_recognised_in_the_diagnostics_or_stderr() {
        assert_eq!(
            KnownRefusal::of(&failed(&[PROVIDER_LINE], "")),
            Some(KnownRefusal::CloudFrontAccountUnverified)
        );
        let stderr = format!(
            "\n│ Error: creating CloudFront Distribution: operation error CloudFront: CreateDistributionWithTags, https response error StatusCode: 403, AccessDenied: {CLOUDFRONT_UNVERIFIED}. To verify your account, please contact AWS Support.\n│ \n"
        );
        assert_eq!(
            KnownRefusal::of(&failed(&[], &stderr)),
            Some(KnownRefusal::CloudFrontAccountUnverified)
        );
        let other = "aws_cloudfront_distribution.site: creating CloudFront Distribution: operation error CloudFront: CreateDistributionWithTags, https response error StatusCode: 403, AccessDenied: User is not authorized to perform: cloudfront:CreateDistribution";
        assert_eq!(KnownRefusal::of(&failed(&[other], "")), None);
    }

    #[test]
    fn a_certificate_still_in_use_is_recognised_so_the_teardown_waits() {
        let line = "deleting ACM Certificate (arn:aws:acm:us-east-1:123456789012:certificate/abc): operation error ACM: DeleteCertificate, https response error StatusCode: 400, RequestID: x, ResourceInUseException: Certificate arn:aws:acm:us-east-1:123456789012:certificate/abc in use by arn:aws:cloudfront::123456789012:distribution/E1";
        assert_eq!(
            KnownRefusal::of(&failed(&[line], "")),
            Some(KnownRefusal::CertificateInUse)
        );
        assert_eq!(
            KnownRefusal::of(&failed(&["deleting ACM Certificate: timeout"], "")),
            None
        );
    }
}
