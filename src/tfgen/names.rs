//! The Terraform names that the generated stack writes and siteup reads back: resource
//! addresses siteup targets or adopts, and the outputs it reads after an apply. The stack
//! (`stack.rs`) writes them from here, and every reader (the adoption file, the apply handler,
//! `terraform/outputs.rs`, the done pane) names them from here, so the two cannot drift.

/// The generated hosted zone's resource type.
pub const ZONE_TYPE: &str = "aws_route53_zone";
/// The generated hosted zone's resource name.
pub const ZONE_NAME: &str = "main";
/// The generated hosted zone's address: [`ZONE_TYPE`]`.`[`ZONE_NAME`].
pub const ZONE_ADDRESS: &str = "aws_route53_zone.main";

/// The DynamoDB table's address (the database part).
pub const TABLE_ADDRESS: &str = "aws_dynamodb_table.main";
/// The Cognito user pool's address (the users part).
pub const USER_POOL_ADDRESS: &str = "aws_cognito_user_pool.main";

/// The resource names of the stack's buckets: `aws_s3_bucket.<name>` and its settings
/// (`aws_s3_bucket_versioning.<name>`, ...) share the name.
pub mod bucket {
    /// The terraform state's bucket.
    pub const STATE: &str = "state";
    /// The deploy artifacts' bucket.
    pub const DEPLOYS: &str = "deploys";
    /// The static site's bucket, behind CloudFront.
    pub const SITE: &str = "site";
}

/// The resources that hold an ACM certificate (in the full tier): the CloudFront distribution,
/// the Cognito custom domain and the API's custom domain. A certificate cannot be deleted while
/// one of them holds it, so the apply that replaces or deletes a certificate must include them
/// (see `tfgen::phase_targets_given`).
pub const CERTIFICATE_USERS: [&str; 3] = [
    "aws_cloudfront_distribution.site",
    "aws_cognito_user_pool_domain.main",
    "aws_api_gateway_domain_name.api",
];

/// The names of the stack's outputs (`outputs.tf`).
pub mod output {
    /// The zone's four nameservers (a list).
    pub const NAME_SERVERS: &str = "name_servers";
    /// The Route 53 hosted zone id.
    pub const ZONE_ID: &str = "zone_id";
    pub const REGION: &str = "region";
    pub const SENDER_ADDRESS: &str = "sender_address";
    pub const STATE_BUCKET: &str = "state_bucket";
    pub const DEPLOYS_BUCKET: &str = "deploys_bucket";
    pub const SITE_URL: &str = "site_url";
    pub const SITE_BUCKET: &str = "site_bucket";
    pub const CLOUDFRONT_DISTRIBUTION_ID: &str = "cloudfront_distribution_id";
    pub const TABLE_NAME: &str = "table_name";
    pub const USER_POOL_ID: &str = "user_pool_id";
    pub const USER_POOL_CLIENT_ID: &str = "user_pool_client_id";
    pub const AUTH_URL: &str = "auth_url";
    pub const IDENTITY_POOL_ID: &str = "identity_pool_id";
    pub const API_URL: &str = "api_url";
    pub const API_INVOKE_URL: &str = "api_invoke_url";
    pub const API_FUNCTION_NAME: &str = "api_function_name";
    pub const API_LOG_GROUP: &str = "api_log_group";

    /// Every output name above (the whole stack writes each of them).
    pub const ALL: &[&str] = &[
        NAME_SERVERS,
        ZONE_ID,
        REGION,
        SENDER_ADDRESS,
        STATE_BUCKET,
        DEPLOYS_BUCKET,
        SITE_URL,
        SITE_BUCKET,
        CLOUDFRONT_DISTRIBUTION_ID,
        TABLE_NAME,
        USER_POOL_ID,
        USER_POOL_CLIENT_ID,
        AUTH_URL,
        IDENTITY_POOL_ID,
        API_URL,
        API_INVOKE_URL,
        API_FUNCTION_NAME,
        API_LOG_GROUP,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zone_address_is_its_type_and_name() {
        assert_eq!(ZONE_ADDRESS, format!("{ZONE_TYPE}.{ZONE_NAME}"));
    }
}
