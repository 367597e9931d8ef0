"""The journey tests' look into the AWS emulator (run with the emulator venv's Python, boto3).

    python emulator_check.py STATE_JSON DOMAIN

STATE_JSON is `terraform show -json` of the project's state. For every managed resource in it,
the script asks the emulator whether the resource is there as terraform recorded it; then it lists
what the emulator holds (every bucket, table, pool, distribution, ... and the hosted zones named
DOMAIN), so that the test can count duplicates. It prints one JSON object:
{"checked": N, "missing": ["address: why"], "unchecked": ["address"], "inventory": {...}}.
A resource type without a check here is reported in "unchecked" (the test fails on it: add a
check when the generated stack gains a type)."""
import json
import sys

import boto3

state_path, domain = sys.argv[1], sys.argv[2]
# The stack's region (regional services live there; ACM certificates are looked up in the
# region of their ARN, which is us-east-1 for CloudFront's).
stack_region = sys.argv[3] if len(sys.argv) > 3 else "us-east-1"
state = json.load(open(state_path))
clients = {}


def c(name, region=None):
    region = region or stack_region
    key = (name, region)
    if key not in clients:
        clients[key] = boto3.client(name, region_name=region)
    return clients[key]


def region_of(arn):
    parts = (arn or "").split(":")
    return parts[3] if len(parts) > 3 and parts[3] else stack_region


record_sets = {}


def records(zone_id):
    if zone_id not in record_sets:
        found = set()
        pages = c("route53").get_paginator("list_resource_record_sets")
        for page in pages.paginate(HostedZoneId=zone_id):
            for rr in page["ResourceRecordSets"]:
                found.add((rr["Name"].rstrip(".").lower(), rr["Type"]))
        record_sets[zone_id] = found
    return record_sets[zone_id]


def check(t, v):
    """True when the emulator holds the resource; None when there is no check for its type."""
    if t == "aws_route53_zone":
        return c("route53").get_hosted_zone(Id=v["zone_id"]) is not None
    if t == "aws_route53_record":
        return (v["name"].rstrip(".").lower(), v["type"]) in records(v["zone_id"])
    if t == "aws_s3_bucket":
        c("s3").head_bucket(Bucket=v["bucket"])
        return True
    if t == "aws_s3_bucket_policy":
        return bool(c("s3").get_bucket_policy(Bucket=v["bucket"])["Policy"])
    if t == "aws_s3_bucket_lifecycle_configuration":
        rules = c("s3").get_bucket_lifecycle_configuration(Bucket=v["bucket"])["Rules"]
        want = [r["noncurrent_version_expiration"][0]["noncurrent_days"] for r in v["rule"]]
        got = [r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") for r in rules]
        return got == want
    if t == "aws_s3_bucket_versioning":
        return c("s3").get_bucket_versioning(Bucket=v["bucket"]).get("Status") == "Enabled"
    if t == "aws_s3_bucket_server_side_encryption_configuration":
        return bool(c("s3").get_bucket_encryption(Bucket=v["bucket"])["ServerSideEncryptionConfiguration"]["Rules"])
    if t == "aws_s3_bucket_ownership_controls":
        return bool(c("s3").get_bucket_ownership_controls(Bucket=v["bucket"])["OwnershipControls"]["Rules"])
    if t == "aws_s3_bucket_public_access_block":
        return c("s3").get_public_access_block(Bucket=v["bucket"])["PublicAccessBlockConfiguration"]["BlockPublicAcls"]
    if t == "aws_dynamodb_table":
        return c("dynamodb").describe_table(TableName=v["name"])["Table"]["TableName"] == v["name"]
    if t == "aws_cognito_user_pool":
        return c("cognito-idp").describe_user_pool(UserPoolId=v["id"])["UserPool"]["Id"] == v["id"]
    if t == "aws_cognito_user_pool_client":
        r = c("cognito-idp").describe_user_pool_client(UserPoolId=v["user_pool_id"], ClientId=v["id"])
        return r["UserPoolClient"]["ClientId"] == v["id"]
    if t == "aws_cognito_user_pool_domain":
        r = c("cognito-idp").describe_user_pool_domain(Domain=v["domain"])
        return r["DomainDescription"].get("UserPoolId") == v["user_pool_id"]
    if t == "aws_cognito_identity_pool":
        return c("cognito-identity").describe_identity_pool(IdentityPoolId=v["id"])["IdentityPoolId"] == v["id"]
    if t == "aws_cognito_identity_pool_roles_attachment":
        return bool(c("cognito-identity").get_identity_pool_roles(IdentityPoolId=v["identity_pool_id"]).get("Roles"))
    if t == "aws_iam_role":
        return c("iam").get_role(RoleName=v["name"])["Role"]["RoleName"] == v["name"]
    if t == "aws_iam_role_policy":
        return c("iam").get_role_policy(RoleName=v["role"], PolicyName=v["name"])["PolicyName"] == v["name"]
    if t == "aws_lambda_function":
        return c("lambda").get_function(FunctionName=v["function_name"])["Configuration"]["FunctionName"] == v["function_name"]
    if t == "aws_lambda_permission":
        return v["statement_id"] in c("lambda").get_policy(FunctionName=v["function_name"])["Policy"]
    if t == "aws_api_gateway_rest_api":
        return c("apigateway").get_rest_api(restApiId=v["id"])["id"] == v["id"]
    if t == "aws_api_gateway_resource":
        return c("apigateway").get_resource(restApiId=v["rest_api_id"], resourceId=v["id"])["id"] == v["id"]
    if t == "aws_api_gateway_method":
        c("apigateway").get_method(restApiId=v["rest_api_id"], resourceId=v["resource_id"], httpMethod=v["http_method"])
        return True
    if t == "aws_api_gateway_integration":
        c("apigateway").get_integration(restApiId=v["rest_api_id"], resourceId=v["resource_id"], httpMethod=v["http_method"])
        return True
    if t == "aws_api_gateway_method_response":
        c("apigateway").get_method_response(restApiId=v["rest_api_id"], resourceId=v["resource_id"], httpMethod=v["http_method"], statusCode=v["status_code"])
        return True
    if t == "aws_api_gateway_integration_response":
        c("apigateway").get_integration_response(restApiId=v["rest_api_id"], resourceId=v["resource_id"], httpMethod=v["http_method"], statusCode=v["status_code"])
        return True
    if t == "aws_api_gateway_gateway_response":
        r = c("apigateway").get_gateway_response(restApiId=v["rest_api_id"], responseType=v["response_type"])
        return r["responseType"] == v["response_type"]
    if t == "aws_api_gateway_deployment":
        return c("apigateway").get_deployment(restApiId=v["rest_api_id"], deploymentId=v["id"])["id"] == v["id"]
    if t == "aws_api_gateway_stage":
        return c("apigateway").get_stage(restApiId=v["rest_api_id"], stageName=v["stage_name"])["stageName"] == v["stage_name"]
    if t == "aws_api_gateway_method_settings":
        stage = c("apigateway").get_stage(restApiId=v["rest_api_id"], stageName=v["stage_name"])
        got = stage.get("methodSettings", {}).get(v["method_path"], {})
        want = v["settings"][0]
        return (got.get("throttlingRateLimit") == want["throttling_rate_limit"]
                and got.get("throttlingBurstLimit") == want["throttling_burst_limit"])
    if t == "aws_api_gateway_domain_name":
        return c("apigateway").get_domain_name(domainName=v["domain_name"])["domainName"] == v["domain_name"]
    if t == "aws_api_gateway_base_path_mapping":
        items = c("apigateway").get_base_path_mappings(domainName=v["domain_name"]).get("items", [])
        return any(i.get("restApiId") == v["api_id"] for i in items)
    if t == "aws_cloudfront_distribution":
        return c("cloudfront").get_distribution(Id=v["id"])["Distribution"]["Id"] == v["id"]
    if t == "aws_cloudfront_function":
        return c("cloudfront").describe_function(Name=v["name"])["FunctionSummary"]["Name"] == v["name"]
    if t == "aws_cloudfront_origin_access_control":
        return c("cloudfront").get_origin_access_control(Id=v["id"])["OriginAccessControl"]["Id"] == v["id"]
    if t == "aws_cloudwatch_log_group":
        groups = c("logs").describe_log_groups(logGroupNamePrefix=v["name"])["logGroups"]
        return any(g["logGroupName"] == v["name"] for g in groups)
    if t == "aws_acm_certificate":
        return c("acm", region_of(v["arn"])).describe_certificate(CertificateArn=v["arn"])["Certificate"]["CertificateArn"] == v["arn"]
    if t == "aws_acm_certificate_validation":
        arn = v["certificate_arn"]
        return c("acm", region_of(arn)).describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED"
    if t == "aws_sesv2_email_identity":
        return c("sesv2").get_email_identity(EmailIdentity=v["email_identity"])["IdentityType"] in ("DOMAIN", "EMAIL_ADDRESS")
    if t == "aws_sns_topic":
        return c("sns", region_of(v["arn"])).get_topic_attributes(TopicArn=v["arn"])["Attributes"]["TopicArn"] == v["arn"]
    if t == "aws_sns_topic_policy":
        policy = c("sns", region_of(v["arn"])).get_topic_attributes(TopicArn=v["arn"])["Attributes"].get("Policy", "")
        try:
            return json.loads(policy) == json.loads(v["policy"])
        except ValueError:
            return False
    if t == "aws_sns_topic_subscription":
        attrs = c("sns", region_of(v["arn"])).get_subscription_attributes(SubscriptionArn=v["arn"])["Attributes"]
        return attrs["Endpoint"] == v["endpoint"] and attrs["TopicArn"] == v["topic_arn"]
    if t == "aws_sesv2_configuration_set":
        r = c("sesv2").get_configuration_set(ConfigurationSetName=v["configuration_set_name"])
        return r["SuppressionOptions"]["SuppressedReasons"] and r["ReputationOptions"]["ReputationMetricsEnabled"]
    if t == "aws_sesv2_configuration_set_event_destination":
        ds = c("sesv2").get_configuration_set_event_destinations(ConfigurationSetName=v["configuration_set_name"])["EventDestinations"]
        return any(d["Name"] == v["event_destination_name"] and d.get("Enabled") for d in ds)
    if t == "aws_sesv2_account_suppression_attributes":
        return sorted(c("sesv2").get_account()["SuppressionAttributes"]["SuppressedReasons"]) == sorted(v["suppressed_reasons"])
    if t == "aws_cloudwatch_metric_alarm":
        alarms = c("cloudwatch", region_of(v["arn"])).describe_alarms(AlarmNames=[v["alarm_name"]])["MetricAlarms"]
        return len(alarms) == 1 and alarms[0]["AlarmActions"] == v["alarm_actions"]
    if t == "aws_budgets_budget":
        b = c("budgets", "us-east-1").describe_budget(AccountId=v["account_id"], BudgetName=v["name"])["Budget"]
        return b["BudgetName"] == v["name"]
    if t == "aws_sesv2_email_identity_mail_from_attributes":
        r = c("sesv2").get_email_identity(EmailIdentity=v["email_identity"])
        return r.get("MailFromAttributes", {}).get("MailFromDomain") == v["mail_from_domain"]
    return None


missing, unchecked, checked = [], [], 0
for r in state.get("values", {}).get("root_module", {}).get("resources", []):
    if r.get("mode") != "managed":
        continue
    try:
        ok = check(r["type"], r["values"])
    except Exception as e:  # an AWS error means the resource is not there (or not readable)
        missing.append(f"{r['address']}: {type(e).__name__}: {e}")
        continue
    if ok is None:
        unchecked.append(r["address"])
    elif ok:
        checked += 1
    else:
        missing.append(f"{r['address']}: not as terraform recorded it")

inv = {}
zones = []
for page in c("route53").get_paginator("list_hosted_zones").paginate():
    for z in page["HostedZones"]:
        if z["Name"].rstrip(".").lower() == domain:
            zid = z["Id"].split("/")[-1]
            ns = c("route53").get_hosted_zone(Id=zid)["DelegationSet"]["NameServers"]
            zones.append({"id": zid, "nameservers": ns})
inv["zones"] = zones
inv["buckets"] = sorted(b["Name"] for b in c("s3").list_buckets()["Buckets"])
inv["tables"] = c("dynamodb").list_tables()["TableNames"]
inv["user_pools"] = [p["Id"] for p in c("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]]
inv["user_pool_clients"] = [x["ClientId"] for p in inv["user_pools"] for x in c("cognito-idp").list_user_pool_clients(UserPoolId=p, MaxResults=60)["UserPoolClients"]]
inv["identity_pools"] = [p["IdentityPoolId"] for p in c("cognito-identity").list_identity_pools(MaxResults=60)["IdentityPools"]]
inv["distributions"] = [d["Id"] for d in c("cloudfront").list_distributions()["DistributionList"].get("Items", [])]
inv["cloudfront_functions"] = [f["Name"] for f in c("cloudfront").list_functions()["FunctionList"].get("Items", [])]
inv["origin_access_controls"] = [o["Id"] for o in c("cloudfront").list_origin_access_controls()["OriginAccessControlList"].get("Items", [])]
inv["rest_apis"] = [a["id"] for a in c("apigateway").get_rest_apis()["items"]]
inv["api_domains"] = [d["domainName"] for d in c("apigateway").get_domain_names()["items"]]
inv["lambdas"] = [f["FunctionName"] for f in c("lambda").list_functions()["Functions"]]
# Certificates: the stack's region (API, Cognito domain) and us-east-1 (CloudFront's). One that
# ACM timed out is listed apart: the provider forgets it and requests a new one, and the old one
# stays in the account (unused, free) until someone deletes it.
LIVE_CERTIFICATE_STATUSES = ["PENDING_VALIDATION", "ISSUED", "INACTIVE", "EXPIRED", "REVOKED", "FAILED"]
inv["certificates"] = [
    x["DomainName"]
    for region in sorted({stack_region, "us-east-1"})
    for x in c("acm", region).list_certificates(
        CertificateStatuses=LIVE_CERTIFICATE_STATUSES)["CertificateSummaryList"]
]
inv["timed_out_certificates"] = [
    x["DomainName"]
    for region in sorted({stack_region, "us-east-1"})
    for x in c("acm", region).list_certificates(
        CertificateStatuses=["VALIDATION_TIMED_OUT"])["CertificateSummaryList"]
]
inv["log_groups"] = [g["logGroupName"] for g in c("logs").describe_log_groups()["logGroups"]]
inv["ses_identities"] = sorted(i["IdentityName"] for i in c("sesv2").list_email_identities()["EmailIdentities"])
inv["roles"] = sorted(r["RoleName"] for r in c("iam").list_roles()["Roles"])
# The guardrails: topics and alarms in the stack's region and us-east-1 (CloudFront's), the
# configuration sets, the budgets (AWS Budgets answers in us-east-1).
inv["topics"] = [
    t["TopicArn"]
    for region in sorted({stack_region, "us-east-1"})
    for t in c("sns", region).list_topics()["Topics"]
]
inv["alarms"] = [
    a["AlarmName"]
    for region in sorted({stack_region, "us-east-1"})
    for a in c("cloudwatch", region).describe_alarms()["MetricAlarms"]
]
inv["configuration_sets"] = c("sesv2").list_configuration_sets()["ConfigurationSets"]
account = c("sts").get_caller_identity()["Account"]
inv["budgets"] = [b["BudgetName"] for b in c("budgets", "us-east-1").describe_budgets(AccountId=account).get("Budgets", [])]
print(json.dumps({"checked": checked, "missing": missing, "unchecked": unchecked, "inventory": inv}))
