#!/usr/bin/env python3
"""siteup's AWS emulator: moto, in-process, plus what moto lacks and a control endpoint.

siteup writes this file next to its emulator state and runs it with the Python of a venv that
holds `moto[server]` (see requirements.txt beside it). It uses the standard library and moto only.

    python siteup_emulator.py --host 127.0.0.1 --port 0 --ready-file emulator.json --log emulator.log

What it adds to moto 5.2.5 (see RULES and BACKEND_PATCHES below):
  * SESv2 GetAccount, PutAccountDetails and PutEmailIdentityMailFromAttributes; GetEmailIdentity
    reports MailFromAttributes.
  * Cognito Identity SetIdentityPoolRoles and GetIdentityPoolRoles.
  * SESv2 configuration-set event destinations (Create/Get/Update/Delete
    ConfigurationSetEventDestination(s)), PutConfigurationSet{Reputation,Sending,Suppression}Options,
    PutAccountSuppressionAttributes (GetAccount reports SuppressionAttributes), the account's
    suppression list (List/Get/Put/DeleteSuppressedDestination),
    PutEmailIdentityConfigurationSetAttributes (GetEmailIdentity reports ConfigurationSetName);
    GetConfigurationSet answers SendingOptions as AWS does (moto nests it) and leaves out options
    never set.
  * AWS Budgets DescribeSubscribersForNotification, UpdateBudget, UpdateNotification,
    Create/Update/DeleteSubscriber, List/Tag/UntagResource (CreateBudget keeps ResourceTags); a
    missing budget answers NotFoundException (moto: HTTP 500).
  * CloudFront PublishFunction and UpdateFunction (added_operations(): methods added to moto's own
    response class, so moto parses the request and writes the XML).
  * Round trips terraform needs for a clean second plan (wrapped_methods(): moto's method, then a
    correction): CloudFront keeps function associations, the origin access control and the
    ACM certificate and drops invented ForwardedValues; the Cognito user pool domain answers
    with its CustomDomainConfig (certificate) and a stable account; Lambda keeps LoggingConfig;
    SESv2 identity tags are filed under the identity's ARN.
  * Rules real AWS enforces, each with its documentation source beside it: SES verifies a domain
    only from its DNS records (control_verify), an address only when mail to it reaches a mailbox
    (its domain has MX records, or is not in the emulator's zones), a Cognito custom domain
    needs an A record at its parent domain, an ACM certificate in use cannot be deleted, a
    Route 53 zone holding records other than its own SOA and NS cannot be deleted (moto lets a
    subdomain's NS records through), a Cognito user pool with deletion protection on cannot be
    deleted; a new account that CloudFront has not verified cannot create a distribution (a
    switch of the control endpoint); CreateEmailIdentity or
    PutEmailIdentityConfigurationSetAttributes naming a configuration set that does not exist
    answers NotFoundException (so do the event-destination operations), a second event
    destination of the same name AlreadyExistsException; a CloudWatch alarm starts
    INSUFFICIENT_DATA (moto: OK), an update keeps its state, and an SNS action in another region
    than the alarm answers ValidationError "Invalid region X specified. Only Y is supported.".
  * CloudWatch over Smithy RPC v2 CBOR (the protocol of aws-sdk-cloudwatch, which siteup reads
    alarms with; moto answers it 404): POST /service/GraniteServiceVersion20100801/operation/<Op>
    is decoded from CBOR, answered by moto as CloudWatch's JSON protocol and encoded back as CBOR
    (timestamps as tag 1, errors as a map with __type and message); a small CBOR codec in this
    file, as the venv has no cbor2.
  * SNS email subscriptions as AWS runs them (moto confirms every subscription at once): an
    email or email-json subscription is pending (PendingConfirmation "true", listed as
    "PendingConfirmation", Subscribe answers "pending confirmation" unless
    ReturnSubscriptionArn) until its owner clicks the link (the control endpoint) or
    ConfirmSubscription gets a token SNS mailed; nothing is delivered to it meanwhile;
    subscribing it again while pending mails a new link (one subscription); one still pending 48
    hours after it was made is deleted (emulator clock). Every "mail" SNS sends to an email
    endpoint is recorded: confirmation mails (with the token) and each Publish to a topic with
    confirmed email subscribers (GET /_siteup/sns/messages).
  * SES events: SendEmail (SESv2) to the mailbox simulator's bounce@ / complaint@
    simulator.amazonses.com (labels allowed), with a configuration set (named in the send, or
    the sending identity's default), publishes SES's Bounce / Complaint event JSON to the
    configuration set's matching enabled SNS event destinations (recorded as above); simulator
    addresses never join the suppression list. POST /_siteup/ses/bounce plays a real address
    that bounced: suppressed when the account suppresses BOUNCE (COMPLAINT for a complaint), and
    the event published.
  * AWS's clocks (read from the emulator's clock, see /_siteup/clock): ACM issues an
    AMAZON_ISSUED certificate only once every validation CNAME is in its Route 53 zone, the
    domain is delegated and moto's own wait (MOTO_ACM_VALIDATION_WAIT, 60 s) has passed; one
    still pending 72 hours after its request turns VALIDATION_TIMED_OUT for good. An SES domain
    identity not verified 72 hours after its creation turns FAILED (verification and DKIM) and
    can no longer be verified (create it again); an address whose link was not clicked within
    24 hours of its last verification mail turns FAILED until a resend (SES v1
    VerifyEmailIdentity) sends a new link.
  * CloudFront deletes only a disabled, deployed distribution (DistributionNotDisabled, 409).
  * CloudFront's deployment (read from the emulator's clock): a distribution is InProgress for
    EDGE_DEPLOY_SECONDS (30 s; minutes on AWS) after each create or update, then Deployed
    (moto: Deployed at once).
  * An HTTPS edge on loopback (CloudFront's stand-in; its port and CA file in /_siteup/health):
    TLS with a certificate for the name signed by a sandbox CA the emulator generates
    (edge-ca.pem beside the ready file), only for an alias of a Deployed distribution whose ACM
    certificate is ISSUED (any other name: the handshake fails; after an update it keeps
    serving while the new configuration deploys); it serves the objects of the
    distribution's S3 origin with CloudFront's headers (Via ... (CloudFront), X-Cache), a
    missing key as 403 AccessDenied XML (or the distribution's custom error page for 403).
  * Delegation: AWS reads a zone's records only through the registry's delegation. Once siteup
    gives the sandbox registry's TLD server (/_siteup/registry), SES domain verification and ACM
    issuance also need that server to delegate the domain to the zone's Route 53 nameservers
    (asked with a plain UDP NS query, loopback only). With no registry given (the emulator used
    alone, as in the tests), every zone counts as delegated, and so does a zone outside the
    registry's TLD (the registry knows nothing of it).
  * Bucket policy conditions evaluated as AWS does (a statement whose conditions do not hold does
    not apply; requests count as HTTPS), so the generated "deny plain HTTP" statement does not
    deny everything.
  * Realistic SES state: identities start unverified (domain: verification and DKIM PENDING with
    tokens, MAIL FROM PENDING once set; address: PENDING until its link is "clicked"), the account
    starts in the sandbox, a production-access request goes through a review (PENDING, GRANTED,
    DENIED, FAILED) and re-submitting while it is pending or after a denial answers
    ConflictException. SES v1 VerifyEmailIdentity (the "resend the verification mail" path) is
    counted. SESv2 CreateEmailIdentity on an existing identity answers AlreadyExistsException.
  * A control endpoint under /_siteup/ (JSON) that plays the human and AWS's reviewers:
        GET  /_siteup/health               {"ok", "pid", "port", "moto", "script_version",
                                            "edge": {"port", "ca_file"}}
        GET  /_siteup/state                our state: identities, account reviews, mails sent,
                                            the clock {"offset_seconds", "now"}, the registry
        POST /_siteup/identities/verify    {"identity": NAME, "status"?: SUCCESS|PENDING|FAILED|
                                            TEMPORARY_FAILURE, "region"?: REGION}; a domain
                                            turns SUCCESS only when its DKIM (and MAIL FROM)
                                            records are right in its Route 53 zone and the
                                            domain is delegated, an address only when its
                                            domain has a mailbox (409 if not); 409 too for a
                                            domain that timed out or an address whose link
                                            expired
        POST /_siteup/clock                {"advance_seconds": N}: moves the emulator's "now"
                                            forward (emulator time = real time + offset); what
                                            AWS would have done before the jump (issue, verify
                                            from right records) happens first, then the waits
                                            that ran out expire
        POST /_siteup/registry             {"host": LOOPBACK, "port": N, "tld": ZONE}: the
                                            sandbox registry's TLD server, asked whether a
                                            domain under ZONE is delegated to its Route 53
                                            zone's nameservers
        POST /_siteup/review               {"status": PENDING|GRANTED|DENIED|FAILED, "region"?}
        POST /_siteup/account              {"cloudfront_verified": false} plays a new AWS account
                                            that CloudFront has not verified yet: creating a
                                            distribution answers 403 AccessDenied (true: as a
                                            verified account; reset turns it back to true)
        GET  /_siteup/sns/messages         {"messages": [{"endpoint", "topic_arn", "kind":
                                            confirmation|notification, "subject", "message",
                                            "time", "subscription_arn", "token" (confirmation),
                                            "message_id" (notification)}]}, oldest first
        POST /_siteup/sns/confirm          {"endpoint": EMAIL, "topic_arn"?: ARN}: the owner
                                            clicks the link(s): confirms that address's pending
                                            email subscriptions (all topics, or the one given);
                                            answers {"endpoint", "confirmed": [{"subscription_arn",
                                            "topic_arn", "protocol"}], "already_confirmed": [...]};
                                            404 when the address has no subscription (an
                                            unconfirmed one is deleted after 48 hours)
        POST /_siteup/ses/bounce           {"address": A, "type"?: Bounce|Complaint, "region"?,
                                            "configuration_set"?, "source"?}: mail to A bounced
                                            (or drew a complaint) in every region with an SES
                                            configuration set (or the region given); answers
                                            {"address", "type", "regions": {REGION: {"suppressed":
                                            bool, "published": [topic ARNs]}}}
        POST /_siteup/dns/zone             {"domain": D}: what Route 53's nameservers serve for
                                            the public zone holding D (the longest match):
                                            {"zone": null} or {"zone": {"name", "nameservers",
                                            "records": [{"name", "type", "ttl", "values"}]}},
                                            alias records left out (they answer with the
                                            target's addresses, which the sandbox has not);
                                            the sandbox's DNS serves them as the zone's
                                            nameservers would (Route 53 Developer Guide, "How
                                            Amazon Route 53 routes traffic for your domain":
                                            the zone's name servers answer with its records)
        POST /_siteup/reset                moto's own reset plus ours (and the clock's offset,
                                            the account switch and the recorded SNS mails; the
                                            registry's address stays)

Adding what a future terraform apply needs:
  * a missing operation: write `def handler(req, **path_params) -> Response` (raise ApiError for
    AWS errors) and append `Rule(..., replace=handler)` to RULES;
  * a wrong moto answer: append `Rule(..., after=patch)` where
    `patch(req, status, headers, body, **path_params) -> (status, headers, body)`, or
    `before=check` returning a Response to answer instead of moto (or None to go on);
  * a wrong moto model method: add `(ModelClass, "method_name", replacement)` to
    BACKEND_PATCHES (used for the SES v1 query API, whose XML moto already writes), or
    `(Class, "method_name", factory)` to wrapped_methods() where `factory(original)` returns a
    method that calls moto's and corrects its result;
  * an operation moto routes to a service but does not implement: add the method to moto's
    response class in added_operations() (with the URL path when moto has no route for it).
Rules match on the signing service of the request (from its SigV4 Authorization header; "ses"
is split into "ses" for v1 and "sesv2" for /v2/ paths) and on one of: HTTP method + path regex
(REST APIs), X-Amz-Target (JSON APIs) or Action (query APIs). The first matching rule wins.

Exit codes: 0 stopped cleanly, 2 bad arguments or a non-loopback host, 3 a moto service module
cannot be imported (one line names the missing Python module), 4 cannot listen, 5 no answer.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import http
import importlib
import io
import ipaddress
import json
import math
import os
import re
import secrets
import signal
import socket
import string
import struct
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import uuid
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape as xml_escape

SCRIPT_VERSION = 14
PINNED_MOTO = "5.2.5"
CONTROL_PREFIX = "/_siteup/"
LOG_PREFIX = "[siteup-emulator]"

# Every moto service the generated stack uses. If one of them cannot be imported, moto answers
# its calls with HTTP 500 and terraform's provider retries them for 20 minutes: refuse to start.
REQUIRED_SERVICES = (
    "s3",
    "route53",
    "acm",
    "ses",
    "sesv2",
    "cloudfront",
    "dynamodb",
    "cognitoidp",
    "cognitoidentity",
    "awslambda",
    "apigateway",
    "logs",
    "iam",
    "sts",
    "sns",
    "cloudwatch",
    "budgets",
)

SANDBOX_QUOTA = {"Max24HourSend": 200.0, "MaxSendRate": 1.0}
PRODUCTION_QUOTA = {"Max24HourSend": 50000.0, "MaxSendRate": 14.0}

IDENTITY_STATUSES = ("PENDING", "SUCCESS", "FAILED", "TEMPORARY_FAILURE")
REVIEW_STATUSES = ("PENDING", "GRANTED", "DENIED", "FAILED")
V1_STATUS = {
    "PENDING": "Pending",
    "SUCCESS": "Success",
    "FAILED": "Failed",
    "TEMPORARY_FAILURE": "TemporaryFailure",
    "NOT_STARTED": "NotStarted",
}
V2_TO_V1_BEHAVIOR = {"USE_DEFAULT_VALUE": "UseDefaultValue", "REJECT_MESSAGE": "RejectMessage"}
V1_TO_V2_BEHAVIOR = {v: k for k, v in V2_TO_V1_BEHAVIOR.items()}

# Our state. Identity state lives on moto's own EmailIdentity objects (attribute `_siteup`), so
# deleting an identity or resetting moto forgets it; identity pool roles live on moto's pool
# objects (`_siteup_roles`). The rest is here. Guarded by STATE_LOCK.
STATE_LOCK = threading.RLock()
ACCOUNTS: dict[str, dict] = {}  # region -> {"details", "review", "production"}
MAILS: dict[str, int] = {}  # address -> verification mails "sent" (first one + resends)
MAIL_TIMES: dict[str, float] = {}  # address -> emulator time of its last verification mail
# The emulator's clock: real time plus this offset (POST /_siteup/clock moves it forward).
CLOCK = {"offset": 0.0}
# The sandbox registry's TLD server, {"host", "port"}, once siteup gives it (POST
# /_siteup/registry); empty: the emulator runs alone and every zone counts as delegated.
REGISTRY: dict = {}
ACCOUNT_FLAGS: dict[str, bool] = {"cloudfront_verified": True}  # the account as AWS sees it

# Filled by load_moto() once the imports are known to work.
M: dict = {}
PORT = 0


def log(message: str) -> None:
    print(f"{LOG_PREFIX} {message}", file=sys.stderr, flush=True)


def clock_now() -> float:
    """The emulator's "now" (epoch seconds): real time plus the offset POST /_siteup/clock
    added. Every time-based rule reads this clock."""
    return time.time() + CLOCK["offset"]


def now_epoch() -> float:
    return round(clock_now(), 3)


# ---------------------------------------------------------------------------------------------
# Start-up checks


def loopback_host(host: str) -> str | None:
    """The address to bind if `host` is a loopback address, else None."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return str(ip) if ip.is_loopback else None


def describe_import_error(what: str, error: BaseException) -> str:
    fix = (
        "recreate the venv with `python3 -m venv ~/.cache/siteup/venv && "
        "~/.cache/siteup/venv/bin/pip install -r assets/emulator/requirements.txt` "
        f"(moto[server]=={PINNED_MOTO})"
    )
    missing = error.name if isinstance(error, ImportError) else None
    if what == "moto":
        return (
            f"cannot start: the Python module '{missing or 'moto'}' is not importable by "
            f"{sys.executable} ({error}); {fix}"
        )
    if missing:
        return (
            f"cannot start: moto's {what} service needs the Python module '{missing}', "
            f"which is not installed; {fix}"
        )
    return f"cannot start: moto's {what} service failed to import ({type(error).__name__}: {error}); {fix}"


def check_imports() -> str | None:
    """None when every service module imports, else one line naming what is missing."""
    try:
        importlib.import_module("moto")
        importlib.import_module("moto.moto_server.werkzeug_app")
        importlib.import_module("moto.moto_api._internal")
        importlib.import_module("werkzeug.serving")
    except Exception as error:  # noqa: BLE001 - any failure here means "cannot start"
        return describe_import_error("moto", error)
    for service in REQUIRED_SERVICES:
        try:
            importlib.import_module(f"moto.{service}.urls")
            importlib.import_module(f"moto.{service}.models")
        except Exception as error:  # noqa: BLE001
            return describe_import_error(service, error)
    return None


def load_moto() -> None:
    import moto
    from moto.cognitoidentity.models import cognitoidentity_backends
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.responses import ActionResult
    from moto.iam.models import get_account_id_from
    from moto.moto_api._internal import moto_api_backend
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from moto.route53.exceptions import HostedZoneNotEmpty
    from moto.route53.models import FakeZone, Route53Backend, route53_backends
    from moto.core.exceptions import JsonRESTError
    from moto.acm.models import AWSCertificateManagerBackend, CertBundle, acm_backends
    from moto import settings as moto_settings
    from moto.apigateway.models import apigateway_backends
    from moto.cloudfront.models import cloudfront_backends
    from moto.s3.models import S3Backend, s3_backends
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.ses.models import SESBackend, ses_backends
    from moto.ses.responses import EmailResponse
    import moto.cloudfront.urls as cloudfront_urls
    from moto.cloudfront.responses import CloudFrontResponse
    import moto.awslambda.models as lambda_models
    import moto.cloudfront.models as cf_models
    import moto.cognitoidp.models as cognitoidp_models
    import moto.sesv2.models as sesv2_models
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.cloudfront.models import random_id as cloudfront_random_id
    from moto.cloudfront.exceptions import CloudFrontException
    from moto.core.utils import utcnow
    import moto.sns.models as sns_models
    from moto.sns.responses import SNSResponse
    from moto.sns.exceptions import SNSInvalidParameter, SNSNotFoundError
    import moto.cloudwatch.models as cloudwatch_models
    from moto.cloudwatch.exceptions import ValidationError as CwValidationError
    from moto.budgets.responses import BudgetsResponse
    from moto.budgets.exceptions import NotFoundException as BudgetsNotFound
    import moto.budgets.urls as budgets_urls
    from moto.ses.models import ConfigurationSet as SesConfigurationSet

    M.update(
        version=moto.__version__,
        cognito_identity_backends=cognitoidentity_backends,
        default_account=DEFAULT_ACCOUNT_ID,
        ActionResult=ActionResult,
        get_account_id_from=get_account_id_from,
        moto_api_backend=moto_api_backend,
        DomainDispatcherApplication=DomainDispatcherApplication,
        MotoRequestHandler=MotoRequestHandler,
        create_backend_app=create_backend_app,
        SESBackend=SESBackend,
        ses_backends=ses_backends,
        route53_backends=route53_backends,
        Route53Backend=Route53Backend,
        FakeZone=FakeZone,
        HostedZoneNotEmpty=HostedZoneNotEmpty,
        JsonRESTError=JsonRESTError,
        AcmBackend=AWSCertificateManagerBackend,
        CertBundle=CertBundle,
        acm_backends=acm_backends,
        moto_settings=moto_settings,
        apigateway_backends=apigateway_backends,
        cloudfront_backends=cloudfront_backends,
        s3_backends=s3_backends,
        S3Backend=S3Backend,
        cognitoidp_backends=cognitoidp_backends,
        EmailResponse=EmailResponse,
        cloudfront_urls=cloudfront_urls,
        CloudFrontResponse=CloudFrontResponse,
        utcnow=utcnow,
        random_id=cloudfront_random_id,
        CloudFrontException=CloudFrontException,
        cf_models=cf_models,
        cognitoidp_models=cognitoidp_models,
        lambda_models=lambda_models,
        sesv2_models=sesv2_models,
        IAMPolicyStatement=IAMPolicyStatement,
        PermissionResult=PermissionResult,
        sns_models=sns_models,
        sns_backends=sns_models.sns_backends,
        SNSResponse=SNSResponse,
        SNSInvalidParameter=SNSInvalidParameter,
        SNSNotFoundError=SNSNotFoundError,
        cloudwatch_models=cloudwatch_models,
        CwValidationError=CwValidationError,
        BudgetsResponse=BudgetsResponse,
        BudgetsNotFound=BudgetsNotFound,
        budgets_urls=budgets_urls,
        SesConfigurationSet=SesConfigurationSet,
    )


# ---------------------------------------------------------------------------------------------
# Requests and responses


class Response:
    def __init__(self, status: int, body: bytes = b"", headers: list | None = None):
        self.status = status
        self.body = body
        self.headers = [(k, v) for k, v in (headers or []) if k.lower() != "content-length"]

    def send(self, start_response):
        try:
            phrase = http.HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Status"
        headers = self.headers + [("Content-Length", str(len(self.body)))]
        start_response(f"{self.status} {phrase}", headers)
        return [self.body]


def json_response(payload, status: int = 200, content_type: str = "application/json") -> Response:
    return Response(
        status,
        json.dumps(payload).encode("utf-8"),
        [("Content-Type", content_type), ("x-amzn-RequestId", str(uuid.uuid4()))],
    )


class ApiError(Exception):
    """An AWS error answer; the rule's protocol decides how it is written."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self, protocol: str) -> Response:
        if protocol == "rest-xml":
            body = (
                '<?xml version="1.0"?>\n<ErrorResponse><Error><Type>Sender</Type>'
                f"<Code>{xml_escape(self.code)}</Code><Message>{xml_escape(self.message)}</Message>"
                f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
            ).encode("utf-8")
            return Response(
                self.status,
                body,
                [("Content-Type", "text/xml"), ("x-amzn-RequestId", str(uuid.uuid4()))],
            )
        payload = {"__type": self.code, "message": self.message}
        if protocol == "rpc-v2-cbor":
            return cbor_response(self.status, payload)
        if protocol == "json":
            return json_response(payload, self.status, "application/x-amz-json-1.1")
        resp = json_response(payload, self.status)
        resp.headers.append(("x-amzn-ErrorType", self.code))
        return resp


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequestException", message)


CREDENTIAL_RE = re.compile(
    r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request"
)


class ApiRequest:
    def __init__(self, environ: dict):
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO") or "/"
        if isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        self.path = path
        match = CREDENTIAL_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match:
            self.access_key = match.group(1)
            self.region = match.group(3)
            self.signing = match.group(4).lower()
        else:
            self.access_key, self.region, self.signing = None, "us-east-1", None
        self.target = environ.get("HTTP_X_AMZ_TARGET") or None
        if path.startswith("/moto-api"):
            self.service = "moto-api"
        elif self.signing == "ses":
            self.service = "sesv2" if path.startswith("/v2/") else "ses"
        else:
            self.service = self.signing
        self._body: bytes | None = None
        self._form: dict | None = None

    @property
    def account(self) -> str:
        if not self.access_key:
            return M["default_account"]
        return M["get_account_id_from"](self.access_key)

    def body(self) -> bytes:
        if self._body is None:
            try:
                length = int(self.environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            stream = self.environ.get("wsgi.input")
            data = stream.read(length) if (stream is not None and length > 0) else b""
            self._body = data
            # Put it back for moto.
            self.environ["wsgi.input"] = io.BytesIO(data)
            self.environ["CONTENT_LENGTH"] = str(len(data))
        return self._body

    def json(self) -> dict:
        raw = self.body()
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise bad_request("The request body is not valid JSON.") from None
        if not isinstance(value, dict):
            raise bad_request("The request body must be a JSON object.")
        return value

    def form(self) -> dict:
        """Query-protocol parameters (query string and form body), first value of each."""
        if self._form is None:
            params = parse_qs(self.environ.get("QUERY_STRING", ""), keep_blank_values=True)
            content_type = self.environ.get("CONTENT_TYPE", "")
            if self.method == "POST" and content_type.startswith(
                "application/x-www-form-urlencoded"
            ):
                body = self.body().decode("utf-8", "replace")
                params.update(parse_qs(body, keep_blank_values=True))
            self._form = {k: v[0] for k, v in params.items() if v}
        return self._form

    def action(self) -> str | None:
        return self.form().get("Action")


class Rule:
    """One entry of RULES (see the module docstring)."""

    def __init__(
        self,
        name: str,
        service: str,
        *,
        method: str | None = None,
        path: str | None = None,
        target: str | None = None,
        actions: tuple = (),
        replace=None,
        before=None,
        after=None,
        protocol: str = "rest-json",
    ):
        if replace is not None and (before is not None or after is not None):
            raise ValueError(f"rule {name}: replace excludes before/after")
        self.name = name
        self.service = service
        self.method = method
        self.path = re.compile(path) if path else None
        self.target = target
        self.actions = actions
        self.replace = replace
        self.before = before
        self.after = after
        self.protocol = protocol

    def match(self, req: ApiRequest) -> dict | None:
        if req.service != self.service:
            return None
        if self.method and req.method != self.method:
            return None
        params: dict = {}
        if self.path is not None:
            found = self.path.fullmatch(req.path)
            if not found:
                return None
            params = {k: unquote(v) for k, v in found.groupdict().items()}
        if self.target and req.target != self.target:
            return None
        if self.actions and req.action() not in self.actions:
            return None
        return params


def call_moto(app, environ) -> tuple[int, list, bytes]:
    captured: dict = {}
    chunks: list[bytes] = []

    def start_response(status, headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = list(headers)
        return chunks.append

    result = app(environ, start_response)
    try:
        for chunk in result:
            chunks.append(chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status = int(str(captured.get("status", "500")).split()[0])
    return status, captured.get("headers", []), b"".join(chunks)


# ---------------------------------------------------------------------------------------------
# SES identity state


def random_token(length: int = 32) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def is_domain(obj) -> bool:
    return getattr(obj, "identity_type", "") == "DOMAIN"


def all_ses_backends():
    """(account, region, backend) for every SES backend moto has created so far."""
    for account, per_account in list(M["ses_backends"].items()):
        for region, backend in list(per_account.items()):
            yield account, region, backend


def lookup_identity(backend, name: str):
    identities = backend.email_identities
    obj = identities.get(name)
    if obj is None and "@" not in name:
        obj = identities.get(name.lower())
    return obj


def identity_state(backend, obj) -> dict:
    """Our state of one moto identity, created PENDING the first time we see it."""
    with STATE_LOCK:
        st = getattr(obj, "_siteup", None)
        if st is None:
            domain = is_domain(obj)
            origin = (getattr(obj, "dkim_attributes", None) or {}).get(
                "SigningAttributesOrigin", "AWS_SES"
            )
            st = {
                "verification": "PENDING",
                "dkim": "PENDING" if domain else "NOT_STARTED",
                "tokens": [random_token() for _ in range(3)]
                if domain and origin != "EXTERNAL"
                else [],
                "verification_token": base64.b64encode(secrets.token_bytes(32)).decode(),
                "mail_from": None,
                "created": now_epoch(),
                "expired": None,
            }
            obj._siteup = st
            # A MAIL FROM setting left behind by a deleted identity of the same name does not
            # survive the deletion on AWS (moto keeps it).
            backend.identity_mail_from_domains.pop(obj.email_identity, None)
        expire_identity(obj, st)
        mirror_identity(obj, st)
        return st


# SES stops waiting. A domain identity SES could not verify within 72 hours of its creation
# turns FAILED, and SES stops looking: it must be created again. An address whose verification
# link was not clicked within 24 hours of the mail turns FAILED; a new mail (SES v1
# VerifyEmailIdentity, "resend") starts a new 24 hours with a new link. Source: Amazon SES API
# Reference, GetIdentityVerificationAttributes
# (https://docs.aws.amazon.com/ses/latest/APIReference/API_GetIdentityVerificationAttributes.html):
# "If the link is not clicked within 24 hours, the verification status changes to Failed" and
# "If Amazon SES is unable to detect the record within 72 hours, the domain's verification
# status changes to Failed. In that case, to verify the domain, you must restart the
# verification process from the beginning."; SES Developer Guide, "Creating and verifying
# identities" (https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html).
SES_DOMAIN_TIMEOUT = 72 * 3600.0
SES_LINK_LIFETIME = 24 * 3600.0


def last_mail_time(obj, st: dict) -> float:
    with STATE_LOCK:
        return MAIL_TIMES.get(obj.email_identity, st["created"])


def expire_identity(obj, st: dict) -> None:
    """Applies SES's waits to one identity at the emulator's clock."""
    now = clock_now()
    if is_domain(obj):
        if st["verification"] in ("PENDING", "TEMPORARY_FAILURE") and (
            now - st["created"] >= SES_DOMAIN_TIMEOUT
        ):
            st["verification"] = "FAILED"
            st["dkim"] = "FAILED"
            st["expired"] = "domain"
        return
    link_old = now - last_mail_time(obj, st) >= SES_LINK_LIFETIME
    if st["verification"] == "PENDING" and link_old:
        st["verification"] = "FAILED"
        st["expired"] = "link"
    elif st.get("expired") == "link" and not link_old:
        # A resend: a new mail, a new link, pending again.
        st["verification"] = "PENDING"
        st["expired"] = None


def mirror_identity(obj, st: dict) -> None:
    """Copy our state onto moto's object so moto's own answers (ListEmailIdentities) agree."""
    obj.verification_status = st["verification"]
    obj.verified_for_sending_status = st["verification"] == "SUCCESS"
    obj.dkim_attributes = dkim_attributes_v2(obj, st)


def dkim_attributes_v2(obj, st: dict) -> dict:
    dkim = dict(getattr(obj, "dkim_attributes", None) or {})
    # moto writes an ISO string here; the JSON protocol wants epoch seconds.
    dkim.pop("LastKeyGenerationTimestamp", None)
    if is_domain(obj):
        dkim["SigningEnabled"] = True
        dkim["Status"] = st["dkim"]
        dkim.setdefault("SigningAttributesOrigin", "AWS_SES")
        dkim["NextSigningKeyLength"] = "RSA_2048_BIT"
        if st["tokens"]:
            dkim["Tokens"] = list(st["tokens"])
        if st["dkim"] == "SUCCESS":
            dkim["CurrentSigningKeyLength"] = "RSA_2048_BIT"
            dkim["LastKeyGenerationTimestamp"] = st["created"]
        else:
            dkim.pop("CurrentSigningKeyLength", None)
    else:
        dkim["SigningEnabled"] = False
        dkim["Status"] = "NOT_STARTED"
        dkim.pop("Tokens", None)
    return dkim


def mail_from_v2(backend, obj, st: dict) -> dict | None:
    """The identity's custom MAIL FROM (SESv2 shape) or None; a new domain starts PENDING."""
    with STATE_LOCK:
        config = backend.identity_mail_from_domains.get(obj.email_identity) or {}
        domain = config.get("mail_from_domain")
        if not domain:
            st["mail_from"] = None
            return None
        current = st.get("mail_from")
        if not current or current["domain"] != domain:
            current = st["mail_from"] = {"domain": domain, "status": "PENDING"}
        behavior = V1_TO_V2_BEHAVIOR.get(
            config.get("behavior_on_mx_failure") or "UseDefaultValue", "USE_DEFAULT_VALUE"
        )
        return {
            "MailFromDomain": domain,
            "MailFromDomainStatus": current["status"],
            "BehaviorOnMxFailure": behavior,
        }


def sync_ses_identities() -> None:
    """Give every identity moto holds our (PENDING) state before anyone reads it."""
    with STATE_LOCK:
        for _account, _region, backend in all_ses_backends():
            for obj in list(backend.email_identities.values()):
                identity_state(backend, obj)


def count_verification_mail(address: str) -> None:
    with STATE_LOCK:
        MAILS[address] = MAILS.get(address, 0) + 1
        MAIL_TIMES[address] = clock_now()


def describe_identity(account: str, region: str, backend, obj) -> dict:
    st = identity_state(backend, obj)
    mail_from = mail_from_v2(backend, obj, st)
    return {
        "account": account,
        "region": region,
        "identity": obj.email_identity,
        "type": obj.identity_type,
        "verification": st["verification"],
        "verified_for_sending": st["verification"] == "SUCCESS",
        "expired": st.get("expired"),
        "dkim": {"status": st["dkim"], "tokens": list(st["tokens"])},
        "mail_from": None
        if mail_from is None
        else {
            "domain": mail_from["MailFromDomain"],
            "status": mail_from["MailFromDomainStatus"],
            "behavior_on_mx_failure": mail_from["BehaviorOnMxFailure"],
        },
    }


# ---------------------------------------------------------------------------------------------
# SESv2 handlers and patches


def without_nulls(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}


def after_get_email_identity(req, status, headers, body, identity):
    if status != 200:
        return status, headers, body
    backend = M["ses_backends"][req.account][req.region]
    obj = lookup_identity(backend, identity)
    if obj is None:
        return status, headers, body
    st = identity_state(backend, obj)
    data = json.loads(body or b"{}")
    data["VerificationStatus"] = st["verification"]
    data["VerifiedForSendingStatus"] = st["verification"] == "SUCCESS"
    data["DkimAttributes"] = dkim_attributes_v2(obj, st)
    data["MailFromAttributes"] = mail_from_v2(backend, obj, st) or {
        "BehaviorOnMxFailure": "USE_DEFAULT_VALUE"
    }
    return status, headers, json.dumps(without_nulls(data)).encode("utf-8")


def before_create_email_identity(req):
    name = req.json().get("EmailIdentity")
    if not isinstance(name, str) or not name:
        return None
    backend = M["ses_backends"][req.account][req.region]
    if lookup_identity(backend, name) is not None:
        raise ApiError(400, "AlreadyExistsException", f"Email identity {name} already exist.")
    return None


def after_create_email_identity(req, status, headers, body):
    if status != 200:
        return status, headers, body
    name = req.json().get("EmailIdentity")
    backend = M["ses_backends"][req.account][req.region]
    obj = lookup_identity(backend, name) if isinstance(name, str) else None
    if obj is None:
        return status, headers, body
    st = identity_state(backend, obj)
    if not is_domain(obj):
        count_verification_mail(obj.email_identity)
    data = json.loads(body or b"{}")
    data["VerifiedForSendingStatus"] = False
    data["DkimAttributes"] = dkim_attributes_v2(obj, st)
    return status, headers, json.dumps(without_nulls(data)).encode("utf-8")


def put_mail_from(req, identity):
    body = req.json()
    backend = M["ses_backends"][req.account][req.region]
    obj = lookup_identity(backend, identity)
    if obj is None:
        raise ApiError(404, "NotFoundException", f"Email identity {identity} does not exist.")
    st = identity_state(backend, obj)
    domain = body.get("MailFromDomain")
    behavior = body.get("BehaviorOnMxFailure") or "USE_DEFAULT_VALUE"
    if behavior not in V2_TO_V1_BEHAVIOR:
        raise bad_request(
            f"Value '{behavior}' at 'behaviorOnMxFailure' failed to satisfy constraint: "
            "Member must satisfy enum value set: [USE_DEFAULT_VALUE, REJECT_MESSAGE]"
        )
    if domain is not None and not isinstance(domain, str):
        raise bad_request("MailFromDomain must be a string.")
    with STATE_LOCK:
        if not domain:
            backend.identity_mail_from_domains.pop(obj.email_identity, None)
            st["mail_from"] = None
            return json_response({})
        parent = obj.email_identity.split("@")[-1].lower().rstrip(".")
        wanted = domain.lower().rstrip(".")
        if not wanted.endswith("." + parent):
            raise bad_request(
                f"Provided MAIL-FROM domain '{domain}' is not subdomain of the domain of the "
                f"identity '{parent}'."
            )
        backend.identity_mail_from_domains[obj.email_identity] = {
            "mail_from_domain": domain,
            "behavior_on_mx_failure": V2_TO_V1_BEHAVIOR[behavior],
        }
        mail_from_v2(backend, obj, st)
    return json_response({})


def account_state(region: str) -> dict:
    with STATE_LOCK:
        return ACCOUNTS.setdefault(
            region,
            {
                "details": None,
                "review": None,
                "production": False,
                # Accounts made since November 2019 suppress both (SES Developer Guide, "Using
                # the Amazon SES account-level suppression list").
                "suppressed_reasons": ["BOUNCE", "COMPLAINT"],
                "suppressed": {},
            },
        )


def sent_last_24_hours(account: str, region: str) -> float:
    try:
        backend = M["ses_backends"][account][region]
        return float(getattr(backend, "sent_message_count", 0))
    except Exception:  # noqa: BLE001 - an unknown region simply has sent nothing
        return 0.0


def get_account(req):
    with STATE_LOCK:
        st = account_state(req.region)
        quota = dict(PRODUCTION_QUOTA if st["production"] else SANDBOX_QUOTA)
        quota["SentLast24Hours"] = sent_last_24_hours(req.account, req.region)
        data = {
            "DedicatedIpAutoWarmupEnabled": False,
            "EnforcementStatus": "HEALTHY",
            "ProductionAccessEnabled": st["production"],
            "SendQuota": quota,
            "SendingEnabled": True,
            "SuppressionAttributes": {"SuppressedReasons": list(st["suppressed_reasons"])},
        }
        if st["details"] is not None:
            details = dict(st["details"])
            if st["review"] is not None:
                details["ReviewDetails"] = dict(st["review"])
            data["Details"] = details
    return json_response(data)


def new_case_id() -> str:
    return str(10_000_000_000 + secrets.randbelow(89_999_999_999))


def put_account_details(req):
    body = req.json()
    missing = [k for k in ("MailType", "WebsiteURL") if not body.get(k)]
    if missing:
        raise bad_request(
            "; ".join(f"Value null at '{k[0].lower() + k[1:]}' failed to satisfy constraint: "
                      "Member must not be null" for k in missing)
        )
    if body["MailType"] not in ("MARKETING", "TRANSACTIONAL"):
        raise bad_request("MailType must be MARKETING or TRANSACTIONAL.")
    website = body["WebsiteURL"]
    if not isinstance(website, str) or len(website) > 1000:
        raise bad_request("WebsiteURL must be a URL of at most 1000 characters.")
    language = body.get("ContactLanguage")
    if language is not None and language not in ("EN", "JA"):
        raise bad_request("ContactLanguage must be EN or JA.")
    description = body.get("UseCaseDescription")
    if description is not None and (
        not isinstance(description, str) or not 1 <= len(description) <= 5000
    ):
        raise bad_request("UseCaseDescription must be 1 to 5000 characters.")
    contacts = body.get("AdditionalContactEmailAddresses")
    if contacts is not None and (
        not isinstance(contacts, list) or not 1 <= len(contacts) <= 4
    ):
        raise bad_request("AdditionalContactEmailAddresses must hold 1 to 4 addresses.")
    wants_production = body.get("ProductionAccessEnabled")

    with STATE_LOCK:
        st = account_state(req.region)
        review = st["review"] or {}
        if review.get("Status") == "PENDING":
            raise ApiError(
                409,
                "ConflictException",
                f"An account details update is already under review (case {review['CaseId']}); "
                "wait for the review to finish.",
            )
        if review.get("Status") == "DENIED":
            raise ApiError(
                409,
                "ConflictException",
                f"Your request for production access was denied (case {review['CaseId']}); "
                "reply to that case in the AWS Support Center to appeal.",
            )
        details = {"MailType": body["MailType"], "WebsiteURL": website}
        if language is not None:
            details["ContactLanguage"] = language
        if description is not None:
            details["UseCaseDescription"] = description
        if contacts is not None:
            details["AdditionalContactEmailAddresses"] = list(contacts)
        st["details"] = details
        if wants_production is not False and not st["production"]:
            st["review"] = {"Status": "PENDING", "CaseId": new_case_id()}
    return json_response({})


def after_verify_email_identity_v1(req, status, headers, body):
    if status == 200:
        address = parseaddr(req.form().get("EmailAddress", ""))[1]
        if address:
            count_verification_mail(address)
            sync_ses_identities()
    return status, headers, body


# ---------------------------------------------------------------------------------------------
# Cognito Identity handlers


def identity_pool(req, body: dict):
    pool_id = body.get("IdentityPoolId")
    if not isinstance(pool_id, str) or not pool_id:
        raise ApiError(400, "InvalidParameterException", "IdentityPoolId is required.")
    backend = M["cognito_identity_backends"][req.account][req.region]
    pool = backend.identity_pools.get(pool_id)
    if pool is None:
        raise ApiError(400, "ResourceNotFoundException", f"IdentityPool '{pool_id}' not found.")
    return pool_id, pool


ROLE_ARN_RE = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/.+")


def validate_roles(roles) -> dict:
    if not isinstance(roles, dict):
        raise ApiError(400, "InvalidParameterException", "Roles must be a map.")
    for key, arn in roles.items():
        if key not in ("authenticated", "unauthenticated"):
            raise ApiError(
                400,
                "InvalidParameterException",
                f"Invalid key '{key}' in Roles; use 'authenticated' or 'unauthenticated'.",
            )
        if not isinstance(arn, str) or not ROLE_ARN_RE.fullmatch(arn):
            raise ApiError(400, "InvalidParameterException", f"Invalid role ARN '{arn}'.")
    return dict(roles)


def validate_role_mappings(mappings) -> dict:
    if mappings is None:
        return {}
    if not isinstance(mappings, dict):
        raise ApiError(400, "InvalidParameterException", "RoleMappings must be a map.")
    for provider, mapping in mappings.items():
        if not isinstance(mapping, dict) or mapping.get("Type") not in ("Token", "Rules"):
            raise ApiError(
                400,
                "InvalidParameterException",
                f"RoleMapping for '{provider}' needs Type Token or Rules.",
            )
        if mapping.get("AmbiguousRoleResolution") not in ("AuthenticatedRole", "Deny"):
            raise ApiError(
                400,
                "InvalidParameterException",
                f"RoleMapping for '{provider}' needs AmbiguousRoleResolution "
                "AuthenticatedRole or Deny.",
            )
        if mapping["Type"] == "Rules":
            rules = (mapping.get("RulesConfiguration") or {}).get("Rules")
            if not isinstance(rules, list) or not rules:
                raise ApiError(
                    400,
                    "InvalidParameterException",
                    f"RoleMapping for '{provider}' of Type Rules needs RulesConfiguration.Rules.",
                )
    return dict(mappings)


def set_identity_pool_roles(req):
    body = req.json()
    _pool_id, pool = identity_pool(req, body)
    if "Roles" not in body:
        raise ApiError(400, "InvalidParameterException", "Roles is required.")
    roles = validate_roles(body["Roles"])
    mappings = validate_role_mappings(body.get("RoleMappings"))
    with STATE_LOCK:
        pool._siteup_roles = {"Roles": roles, "RoleMappings": mappings}
    return json_response({}, content_type="application/x-amz-json-1.1")


def get_identity_pool_roles(req):
    body = req.json()
    pool_id, pool = identity_pool(req, body)
    with STATE_LOCK:
        saved = getattr(pool, "_siteup_roles", None) or {"Roles": {}, "RoleMappings": {}}
        data = {"IdentityPoolId": pool_id, "Roles": dict(saved["Roles"])}
        if saved["RoleMappings"]:
            data["RoleMappings"] = json.loads(json.dumps(saved["RoleMappings"]))
    return json_response(data, content_type="application/x-amz-json-1.1")


def all_identity_pool_roles() -> list:
    out = []
    for account, per_account in list(M["cognito_identity_backends"].items()):
        for region, backend in list(per_account.items()):
            for pool_id, pool in list(backend.identity_pools.items()):
                saved = getattr(pool, "_siteup_roles", None)
                if saved is not None:
                    out.append(
                        {
                            "account": account,
                            "region": region,
                            "identity_pool_id": pool_id,
                            "roles": saved["Roles"],
                            "role_mappings": saved["RoleMappings"],
                        }
                    )
    return out


# ---------------------------------------------------------------------------------------------
# moto's own reset


def reset_our_state() -> None:
    """Forgets our AWS state and the clock's offset; the registry's address (where the
    sandbox's DNS is, not AWS state) stays."""
    with STATE_LOCK:
        ACCOUNTS.clear()
        MAILS.clear()
        MAIL_TIMES.clear()
        CLOCK["offset"] = 0.0
        ACCOUNT_FLAGS["cloudfront_verified"] = True
        SNS_MAILS.clear()


# ---------------------------------------------------------------------------------------------
# New accounts and CloudFront
#
# AWS verifies a new account before it lets it create CloudFront resources: until then,
# CreateDistribution (and CreateDistributionWithTags, the same path with ?WithTags, which
# terraform's provider uses) answers HTTP 403 AccessDenied with the message below, and only AWS
# Support can lift it. Sources: Amazon CloudFront API Reference, CreateDistribution, Errors:
# AccessDenied, HTTP 403 (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateDistribution.html);
# the message as AWS answers it, in the acceptance-test output of hashicorp/terraform-provider-aws
# pull request 36663 (https://github.com/hashicorp/terraform-provider-aws/pull/36663). No API
# tells whether an account is verified, so nothing can probe it before the apply.

CLOUDFRONT_UNVERIFIED_MESSAGE = (
    "Your account must be verified before you can add new CloudFront resources. To verify your "
    "account, please contact AWS Support (https://console.aws.amazon.com/support/home#/) and "
    "include this error message."
)


def before_create_distribution(req):
    with STATE_LOCK:
        verified = ACCOUNT_FLAGS["cloudfront_verified"]
    if not verified:
        raise ApiError(403, "AccessDenied", CLOUDFRONT_UNVERIFIED_MESSAGE)
    return None


def after_moto_reset(req, status, headers, body):
    if status == 200:
        reset_our_state()
    return status, headers, body


# ---------------------------------------------------------------------------------------------
# SNS: email subscriptions wait for their owner, and the mail SNS sends is recorded
#
# An email (or email-json) subscription is pending until its owner clicks the link in the
# confirmation mail SNS sends to the address; SNS delivers nothing to it until then. Sources:
# Amazon SNS API Reference, Subscribe (https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html:
# "the endpoint owner must call the ConfirmSubscription action with the token from the
# confirmation message") and ConfirmSubscription
# (https://docs.aws.amazon.com/sns/latest/api/API_ConfirmSubscription.html); Amazon SNS Developer
# Guide, "Email notifications" (https://docs.aws.amazon.com/sns/latest/dg/sns-email-notifications.html).
# A subscription still pending 48 hours after it was made is deleted: "Amazon SNS now supports
# automatic deletion of unconfirmed subscriptions once they have been in a pending confirmation
# state for 48 hours" (What's New, 2023-05-10,
# https://aws.amazon.com/about-aws/whats-new/2023/05/amazon-sns-automatic-deletion-unconfirmed-subscriptions/;
# AWS re:Post Knowledge Center, "sns-email-subscription-disabled": "Amazon SNS automatically
# deletes unconfirmed subscriptions after 48 hours unless you run the ConfirmSubscription API
# action"). Subscribing the same address again while it is pending sends a new confirmation mail
# and keeps the one subscription (the console's "Request confirmation"). A pending subscription
# is listed with the SubscriptionArn "PendingConfirmation", and Subscribe answers "pending
# confirmation" unless ReturnSubscriptionArn is true (API Reference, Subscribe,
# ReturnSubscriptionArn). moto confirms every subscription at once and sends nothing.

SNS_EMAIL_PROTOCOLS = ("email", "email-json")
SNS_PENDING_LIFETIME = 48 * 3600.0
SNS_CONFIRMATION_SUBJECT = "AWS Notification - Subscription Confirmation"
SNS_DEFAULT_SUBJECT = "AWS Notification Message"
# Every mail SNS "sent" to an email endpoint, in order (GET /_siteup/sns/messages).
SNS_MAILS: list = []


def all_sns_backends():
    for account, per_account in list(M["sns_backends"].items()):
        for region, backend in list(per_account.items()):
            yield account, region, backend


def sns_pending(sub) -> bool:
    st = getattr(sub, "_siteup", None)
    return bool(st and st["pending"])


def set_sns_pending(sub, pending: bool) -> None:
    sub._siteup["pending"] = pending
    sub.confirmed = not pending
    sub.attributes["PendingConfirmation"] = "true" if pending else "false"
    sub.attributes["ConfirmationWasAuthenticated"] = "false" if pending else "true"


def record_sns_mail(endpoint, topic_arn, kind, subject, message, **extra) -> None:
    with STATE_LOCK:
        entry = {
            "endpoint": endpoint,
            "topic_arn": topic_arn,
            "kind": kind,
            "subject": subject,
            "message": message,
            "time": now_epoch(),
        }
        entry.update(extra)
        SNS_MAILS.append(entry)


def send_sns_confirmation(sub) -> None:
    st = sub._siteup
    token = secrets.token_hex(64)
    st["tokens"].append(token)
    topic_arn = sub.topic.arn
    region = topic_arn.split(":")[3]
    link = (
        f"https://sns.{region}.amazonaws.com/confirmation.html?TopicArn={topic_arn}"
        f"&Token={token}&Endpoint={sub.endpoint}"
    )
    message = (
        f"You have chosen to subscribe to the topic:\n{topic_arn}\n\n"
        "To confirm this subscription, click or visit the link below (If this was in error no "
        f"action is necessary):\n{link}"
    )
    record_sns_mail(
        sub.endpoint, topic_arn, "confirmation", SNS_CONFIRMATION_SUBJECT, message,
        token=token, subscription_arn=sub.arn,
    )


def expire_sns_subscriptions() -> None:
    """Deletes the email subscriptions still pending 48 hours after they were made."""
    now = clock_now()
    with STATE_LOCK:
        for _account, _region, backend in all_sns_backends():
            for arn, sub in list(backend.subscriptions.items()):
                st = getattr(sub, "_siteup", None)
                if st and st["pending"] and now - st["created"] >= SNS_PENDING_LIFETIME:
                    backend.subscriptions.pop(arn, None)


def wrap_sns_subscribe(original):
    def subscribe(self, topic_arn, endpoint, protocol):
        expire_sns_subscriptions()
        sub = original(self, topic_arn, endpoint, protocol)
        if protocol in SNS_EMAIL_PROTOCOLS:
            with STATE_LOCK:
                if getattr(sub, "_siteup", None) is None:
                    sub._siteup = {"pending": True, "tokens": [], "created": clock_now()}
                    set_sns_pending(sub, True)
                if sub._siteup["pending"]:
                    # A first subscribe, or a resend: a new confirmation mail.
                    send_sns_confirmation(sub)
        return sub
    return subscribe


def wrap_sns_subscription_publish(original):
    def publish(self, message, message_id, subject=None, message_attributes=None,
                group_id=None, deduplication_id=None, message_structure=None):
        if self.protocol not in SNS_EMAIL_PROTOCOLS:
            return original(self, message, message_id, subject=subject,
                            message_attributes=message_attributes, group_id=group_id,
                            deduplication_id=deduplication_id,
                            message_structure=message_structure)
        if sns_pending(self):
            return None  # SNS delivers nothing to a subscription still pending
        matcher = self._filter_policy_matcher
        if matcher is not None and not matcher.matches(message_attributes, message):
            return None
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        if self.protocol == "email-json":
            message = json.dumps(self.get_post_data(message, message_id, subject))
        record_sns_mail(
            self.endpoint, self.topic.arn, "notification", subject or SNS_DEFAULT_SUBJECT,
            message, message_id=message_id, subscription_arn=self.arn,
        )
        return None
    return publish


def sns_listed(sub) -> dict:
    return {
        "SubscriptionArn": "PendingConfirmation" if sns_pending(sub) else sub.arn,
        "Owner": sub.account_id,
        "Protocol": sub.protocol,
        "Endpoint": sub.endpoint,
        "TopicArn": sub.topic.arn,
    }


def wrap_sns_response_list_subscriptions(_original):
    def list_subscriptions(self):
        expire_sns_subscriptions()
        subs, token = self.backend.list_subscriptions(next_token=self._get_param("NextToken"))
        return M["ActionResult"](
            {"Subscriptions": [sns_listed(s) for s in subs], "NextToken": token}
        )
    return list_subscriptions


def wrap_sns_response_list_subscriptions_by_topic(_original):
    def list_subscriptions_by_topic(self):
        expire_sns_subscriptions()
        subs, token = self.backend.list_subscriptions_by_topic(
            self._get_param("TopicArn"), next_token=self._get_param("NextToken")
        )
        return M["ActionResult"](
            {"Subscriptions": [sns_listed(s) for s in subs], "NextToken": token}
        )
    return list_subscriptions_by_topic


def wrap_sns_response_subscribe(original):
    def subscribe(self):
        result = original(self)
        returns_arn = str(self._get_param("ReturnSubscriptionArn") or "").lower() == "true"
        sub = self.backend._find_subscription(
            self._get_param("TopicArn"), self._get_param("Endpoint"), self._get_param("Protocol")
        )
        if sub is not None and sns_pending(sub) and not returns_arn:
            result._result["SubscriptionArn"] = "pending confirmation"
        return result
    return subscribe


def wrap_sns_response_confirm_subscription(_original):
    # ConfirmSubscription with a token SNS mailed (any of the mails still pending); a token it
    # never sent answers InvalidParameter "Invalid token" (API Reference, ConfirmSubscription).
    def confirm_subscription(self):
        expire_sns_subscriptions()
        topic_arn = self._get_param("TopicArn")
        token = self._get_param("Token")
        if topic_arn not in self.backend.topics:
            raise M["SNSNotFoundError"]("Topic does not exist")
        with STATE_LOCK:
            for sub in list(self.backend.subscriptions.values()):
                st = getattr(sub, "_siteup", None)
                if sub.topic.arn == topic_arn and st and token in st["tokens"]:
                    set_sns_pending(sub, False)
                    return M["ActionResult"]({"SubscriptionArn": sub.arn})
        raise M["SNSInvalidParameter"]("Invalid token")
    return confirm_subscription


def control_sns_messages(_body):
    expire_sns_subscriptions()
    with STATE_LOCK:
        return 200, {"messages": [dict(m) for m in SNS_MAILS]}


def control_sns_confirm(body):
    endpoint = body.get("endpoint")
    topic_arn = body.get("topic_arn")
    if not isinstance(endpoint, str) or "@" not in endpoint or (
        topic_arn is not None and not isinstance(topic_arn, str)
    ):
        return 400, {
            "error": "give the address whose confirmation link(s) to click, e.g. "
            "{\"endpoint\": \"owner@example.net\"}, and optionally its \"topic_arn\""
        }
    expire_sns_subscriptions()
    confirmed, already = [], []
    with STATE_LOCK:
        for _account, _region, backend in all_sns_backends():
            for sub in list(backend.subscriptions.values()):
                if sub.protocol not in SNS_EMAIL_PROTOCOLS:
                    continue
                if sub.endpoint.lower() != endpoint.lower():
                    continue
                if topic_arn is not None and sub.topic.arn != topic_arn:
                    continue
                entry = {"subscription_arn": sub.arn, "topic_arn": sub.topic.arn,
                         "protocol": sub.protocol}
                if sns_pending(sub):
                    set_sns_pending(sub, False)
                    confirmed.append(entry)
                else:
                    already.append(entry)
    if not confirmed and not already:
        where = f" to {topic_arn}" if topic_arn else ""
        return 404, {
            "error": f"no email subscription of {endpoint}{where} exists in the emulator "
            "(SNS deletes one still unconfirmed 48 hours after it was made); subscribe the "
            "address again"
        }
    return 200, {"endpoint": endpoint, "confirmed": confirmed, "already_confirmed": already}


# ---------------------------------------------------------------------------------------------
# SESv2: configuration sets, their event destinations, the account's suppression list, and
# the mailbox simulator's bounces and complaints

SES_EVENT_TYPES = (
    "SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK", "RENDERING_FAILURE",
    "DELIVERY_DELAY", "SUBSCRIPTION",
)
SES_SUPPRESSION_REASONS = ("BOUNCE", "COMPLAINT")
SES_SIMULATOR_DOMAIN = "simulator.amazonses.com"


def ses_backend(req):
    return M["ses_backends"][req.account][req.region]


def config_set_of(backend, name):
    """The configuration set `name`, or NotFoundException (SESv2 API Reference, the Errors of
    every operation that names a configuration set: NotFoundException, HTTP 404, "The resource
    you attempted to access doesn't exist")."""
    config_set = backend.config_sets.get(name) if isinstance(name, str) else None
    if config_set is None:
        raise ApiError(404, "NotFoundException", f"Configuration set <{name}> does not exist.")
    return config_set


def wrap_ses_config_set_to_dict_v2(original):
    def to_dict_v2(self):
        data = original(self)
        # moto nests the SendingOptions it was given inside another SendingOptions
        # ({"SendingEnabled": {"SendingEnabled": true}}), which the SDK cannot read; and it
        # answers empty objects for options never set, which AWS leaves out.
        sending = self.enabled
        if isinstance(sending, dict):
            sending = sending.get("SendingEnabled", True)
        data["SendingOptions"] = {"SendingEnabled": bool(sending)}
        for key in ("TrackingOptions", "DeliveryOptions", "VdmOptions", "SuppressionOptions"):
            if not data.get(key):
                data.pop(key, None)
        data["ReputationOptions"] = {
            "ReputationMetricsEnabled": bool(
                (self.reputation_options or {}).get("ReputationMetricsEnabled", False)
            )
        }
        data["Tags"] = list(self.tags or [])
        return data
    return to_dict_v2


def wrap_ses_delete_configuration_set(original):
    def delete_configuration_set(self, configuration_set_name):
        if configuration_set_name not in self.config_sets:
            raise M["JsonRESTError"](
                "NotFoundException",
                f"Configuration set <{configuration_set_name}> does not exist.",
            )
        original(self, configuration_set_name)
        self.tagger.delete_all_tags_for_resource(
            f"arn:{self.partition}:ses:{self.region_name}:{self.account_id}:"
            f"configuration-set/{configuration_set_name}"
        )
    return delete_configuration_set


def put_config_set_option(req, name, option):
    body = req.json()
    config_set = config_set_of(ses_backend(req), name)
    if option == "reputation":
        config_set.reputation_options = {
            "ReputationMetricsEnabled": bool(body.get("ReputationMetricsEnabled", False))
        }
    elif option == "sending":
        config_set.enabled = {"SendingEnabled": bool(body.get("SendingEnabled", False))}
    else:
        reasons = validated_reasons(body.get("SuppressedReasons"))
        config_set.suppression_options = {"SuppressedReasons": reasons}
    return json_response({})


def put_config_set_reputation(req, name):
    return put_config_set_option(req, name, "reputation")


def put_config_set_sending(req, name):
    return put_config_set_option(req, name, "sending")


def put_config_set_suppression(req, name):
    return put_config_set_option(req, name, "suppression")


def event_destinations(config_set) -> dict:
    found = getattr(config_set, "_siteup_destinations", None)
    if found is None:
        found = config_set._siteup_destinations = {}
    return found


def validated_event_destination(dest) -> dict:
    if not isinstance(dest, dict):
        raise bad_request("EventDestination must be an object.")
    types = dest.get("MatchingEventTypes")
    if not isinstance(types, list) or not types or any(t not in SES_EVENT_TYPES for t in types):
        raise bad_request(
            "MatchingEventTypes must list one or more of " + ", ".join(SES_EVENT_TYPES) + "."
        )
    out = {"Enabled": bool(dest.get("Enabled", False)), "MatchingEventTypes": list(types)}
    targets = [k for k in dest if k.endswith("Destination")]
    if len(targets) != 1:
        raise bad_request("An event destination needs exactly one destination.")
    out[targets[0]] = dest[targets[0]]
    return out


def create_event_destination(req, name):
    body = req.json()
    config_set = config_set_of(ses_backend(req), name)
    dest_name = body.get("EventDestinationName")
    if not isinstance(dest_name, str) or not dest_name:
        raise bad_request("EventDestinationName is required.")
    dest = validated_event_destination(body.get("EventDestination"))
    with STATE_LOCK:
        found = event_destinations(config_set)
        if dest_name in found:
            # SESv2 API Reference, CreateConfigurationSetEventDestination, Errors:
            # AlreadyExistsException, HTTP 400.
            raise ApiError(
                400, "AlreadyExistsException",
                f"Event destination {dest_name} already exists in configuration set {name}.",
            )
        found[dest_name] = dest
    return json_response({})


def get_event_destinations(req, name):
    config_set = config_set_of(ses_backend(req), name)
    with STATE_LOCK:
        listed = [{"Name": n, **json.loads(json.dumps(d))}
                  for n, d in event_destinations(config_set).items()]
    return json_response({"EventDestinations": listed})


def update_event_destination(req, name, destination):
    body = req.json()
    config_set = config_set_of(ses_backend(req), name)
    dest = validated_event_destination(body.get("EventDestination"))
    with STATE_LOCK:
        found = event_destinations(config_set)
        if destination not in found:
            raise ApiError(404, "NotFoundException",
                           f"Event destination {destination} does not exist.")
        found[destination] = dest
    return json_response({})


def delete_event_destination(req, name, destination):
    config_set = config_set_of(ses_backend(req), name)
    with STATE_LOCK:
        if event_destinations(config_set).pop(destination, None) is None:
            raise ApiError(404, "NotFoundException",
                           f"Event destination {destination} does not exist.")
    return json_response({})


def validated_reasons(reasons) -> list:
    if reasons is None:
        return []
    if not isinstance(reasons, list) or any(r not in SES_SUPPRESSION_REASONS for r in reasons):
        raise bad_request("SuppressedReasons may hold BOUNCE and COMPLAINT only.")
    return sorted(set(reasons))


def put_account_suppression(req):
    reasons = validated_reasons(req.json().get("SuppressedReasons"))
    with STATE_LOCK:
        account_state(req.region)["suppressed_reasons"] = reasons
    return json_response({})


def suppression_list(region: str) -> dict:
    with STATE_LOCK:
        return account_state(region).setdefault("suppressed", {})


def suppress_address(region: str, address: str, reason: str, message_id=None) -> dict:
    entry = {
        "EmailAddress": address,
        "Reason": reason,
        "LastUpdateTime": now_epoch(),
        "Attributes": {"MessageId": message_id or str(uuid.uuid4()),
                       "FeedbackId": str(uuid.uuid4())},
    }
    with STATE_LOCK:
        suppression_list(region)[address.lower()] = entry
    return entry


def list_suppressed(req):
    with STATE_LOCK:
        summaries = [
            {k: v for k, v in e.items() if k != "Attributes"}
            for e in suppression_list(req.region).values()
        ]
    return json_response({"SuppressedDestinationSummaries": summaries})


def get_suppressed(req, address):
    with STATE_LOCK:
        entry = suppression_list(req.region).get(address.lower())
        if entry is None:
            raise ApiError(404, "NotFoundException",
                           f"Email address {address} does not exist on your suppression list.")
        return json_response({"SuppressedDestination": json.loads(json.dumps(entry))})


def put_suppressed(req):
    body = req.json()
    address = body.get("EmailAddress")
    reason = body.get("Reason")
    if not isinstance(address, str) or "@" not in address or reason not in SES_SUPPRESSION_REASONS:
        raise bad_request("Give an EmailAddress and a Reason (BOUNCE or COMPLAINT).")
    suppress_address(req.region, address, reason)
    return json_response({})


def delete_suppressed(req, address):
    with STATE_LOCK:
        if suppression_list(req.region).pop(address.lower(), None) is None:
            raise ApiError(404, "NotFoundException",
                           f"Email address {address} does not exist on your suppression list.")
    return json_response({})


def before_create_email_identity_config_set(req):
    # CreateEmailIdentity naming a configuration set that does not exist answers
    # NotFoundException (SESv2 API Reference, CreateEmailIdentity, Errors; moto keeps the name).
    name = req.json().get("ConfigurationSetName")
    if name is not None:
        config_set_of(ses_backend(req), name)
    return before_create_email_identity(req)


def put_identity_config_set(req, identity):
    # PutEmailIdentityConfigurationSetAttributes (moto lacks it): the identity's default
    # configuration set; a name that does not exist answers NotFoundException (SESv2 API
    # Reference, PutEmailIdentityConfigurationSetAttributes, Errors).
    body = req.json()
    backend = ses_backend(req)
    obj = lookup_identity(backend, identity)
    if obj is None:
        raise ApiError(404, "NotFoundException", f"Email identity {identity} does not exist.")
    name = body.get("ConfigurationSetName") or None
    if name is not None:
        config_set_of(backend, name)
    obj.configuration_set_name = name
    return json_response({})


# The SES event data published to an SNS event destination: SES Developer Guide, "Contents of
# event data that Amazon SES publishes to Amazon SNS"
# (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html) and
# "Examples of event data that Amazon SES publishes to Amazon SNS"
# (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html).
def iso_time(epoch: float) -> str:
    return (
        datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def ses_event(kind: str, account: str, region: str, config_set: str | None, source: str,
              recipient: str, destination: list, message_id: str) -> dict:
    now = iso_time(clock_now())
    source_domain = source.rpartition("@")[2] or source
    mail = {
        "timestamp": now,
        "source": source,
        "sourceArn": f"arn:aws:ses:{region}:{account}:identity/{source_domain}",
        "sendingAccountId": account,
        "messageId": message_id,
        "destination": list(destination),
        "headersTruncated": False,
        "tags": {"ses:operation": ["SendEmail"], "ses:source-ip": ["127.0.0.1"],
                 "ses:from-domain": [source_domain]},
    }
    if config_set:
        mail["tags"]["ses:configuration-set"] = [config_set]
    if kind == "Bounce":
        return {
            "eventType": "Bounce",
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [{
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }],
                "timestamp": now,
                "feedbackId": str(uuid.uuid4()),
                "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
            },
            "mail": mail,
        }
    return {
        "eventType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": recipient}],
            "timestamp": now,
            "feedbackId": str(uuid.uuid4()),
            "userAgent": "Amazon SES Mailbox Simulator",
            "complaintFeedbackType": "abuse",
            "arrivalDate": now,
        },
        "mail": mail,
    }


def publish_ses_event(account: str, config_set, event: dict) -> list:
    """Publishes `event` to the enabled SNS event destinations of `config_set` that match its
    type; the topic ARNs it reached."""
    wanted = event["eventType"].upper()
    reached = []
    with STATE_LOCK:
        for dest in list(event_destinations(config_set).values()):
            topic_arn = (dest.get("SnsDestination") or {}).get("TopicArn")
            if not dest.get("Enabled") or wanted not in dest["MatchingEventTypes"] or not topic_arn:
                continue
            parts = topic_arn.split(":")
            if len(parts) < 6:
                continue
            backend = (M["sns_backends"].get(parts[4]) or {}).get(parts[3])
            topic = backend.topics.get(topic_arn) if backend is not None else None
            if topic is None:
                log(f"SES: event destination topic {topic_arn} does not exist; event dropped")
                continue
            topic.publish(json.dumps(event))
            reached.append(topic_arn)
    return reached


def simulator_kind(address: str) -> str | None:
    """Bounce or Complaint for the mailbox simulator's addresses (labels allowed: bounce+x@)."""
    local, _, domain = parseaddr(address)[1].lower().rpartition("@")
    if domain != SES_SIMULATOR_DOMAIN:
        return None
    return {"bounce": "Bounce", "complaint": "Complaint"}.get(local.split("+", 1)[0])


def after_send_email_v2(req, status, headers, body):
    # Mail to the mailbox simulator's bounce and complaint addresses produces SES's bounce and
    # complaint events, published to the configuration set's event destinations (the one the
    # send names, else the sending identity's default). Source: SES Developer Guide, "Using the
    # mailbox simulator manually" (https://docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html#send-email-simulator).
    # The simulator's addresses are never added to the account's suppression list: same page,
    # "The mailbox simulator email address isn't placed on the Amazon SES suppression list,
    # which would normally happen when a hard bounce occurs."
    if status != 200:
        return status, headers, body
    params = req.json()
    backend = ses_backend(req)
    source = parseaddr(params.get("FromEmailAddress") or "")[1]
    name = params.get("ConfigurationSetName")
    if not name:
        for identity in (source, source.rpartition("@")[2]):
            obj = lookup_identity(backend, identity) if identity else None
            if obj is not None and getattr(obj, "configuration_set_name", None):
                name = obj.configuration_set_name
                break
    config_set = backend.config_sets.get(name) if name else None
    if config_set is None:
        return status, headers, body
    destination = params.get("Destination") or {}
    recipients = [a for key in ("ToAddresses", "CcAddresses", "BccAddresses")
                  for a in destination.get(key) or []]
    message_id = (json.loads(body or b"{}")).get("MessageId") or str(uuid.uuid4())
    for recipient in recipients:
        kind = simulator_kind(recipient)
        if kind is not None:
            publish_ses_event(req.account, config_set, ses_event(
                kind, req.account, req.region, name, source, recipient, recipients, message_id))
    return status, headers, body


def control_ses_bounce(body):
    # A real address that bounces (or complains): SES adds it to the account's suppression list
    # when the account suppresses that reason (SESv2 API Reference, SuppressionAttributes:
    # "BOUNCE – Amazon SES adds an email address to the suppression list for your account when
    # a message sent to that address results in a hard bounce"), and publishes the event to the
    # matching event destinations.
    address = body.get("address")
    kind = body.get("type", "Bounce")
    only_region = body.get("region")
    only_set = body.get("configuration_set")
    source = body.get("source") or "no-reply@sandbox.invalid"
    if not isinstance(address, str) or "@" not in address or kind not in ("Bounce", "Complaint"):
        return 400, {
            "error": "give the address that bounced, e.g. {\"address\": \"someone@example.net\"}, "
            "and optionally \"type\": \"Bounce\"|\"Complaint\", \"region\", "
            "\"configuration_set\""
        }
    reason = "BOUNCE" if kind == "Bounce" else "COMPLAINT"
    results = {}
    with STATE_LOCK:
        targets = [
            (account, region, backend) for account, region, backend in all_ses_backends()
            if (only_region is None or region == only_region)
            and (only_region is not None or backend.config_sets)
        ]
        if not targets and only_region is not None:
            targets = [(M["default_account"], only_region,
                        M["ses_backends"][M["default_account"]][only_region])]
        for account, region, backend in targets:
            st = account_state(region)
            suppressed = simulator_kind(address) is None and reason in st["suppressed_reasons"]
            message_id = str(uuid.uuid4())
            if suppressed:
                suppress_address(region, address, reason, message_id)
            published = []
            for name, config_set in list(backend.config_sets.items()):
                if only_set is not None and name != only_set:
                    continue
                published += publish_ses_event(account, config_set, ses_event(
                    kind, account, region, name, source, address, [address], message_id))
            results[region] = {"suppressed": suppressed, "published": published}
    if not results:
        return 404, {"error": "no region has an SES configuration set; name the \"region\""}
    return 200, {"address": address, "type": kind, "regions": results}


# ---------------------------------------------------------------------------------------------
# CloudWatch alarms start INSUFFICIENT_DATA and act only through topics of their own region
#
# A new alarm's state is INSUFFICIENT_DATA until CloudWatch has evaluated it, and an update
# keeps its state: Amazon CloudWatch API Reference, PutMetricAlarm
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html:
# "When this operation creates an alarm, the alarm state is immediately set to
# INSUFFICIENT_DATA ... When you update an existing alarm, its state is left unchanged");
# moto starts every alarm OK. An alarm's SNS actions must be topics of the alarm's own region:
# PutMetricAlarm answers ValidationError "Invalid region <topic region> specified. Only <alarm
# region> is supported." (the error as AWS answers it, quoted in
# https://github.com/cds-snc/notification-terraform/pull/128; CloudWatch User Guide, "Using
# Amazon CloudWatch alarms", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html:
# the SNS topic is chosen among those of the alarm's region). That is why a CloudFront alarm
# (us-east-1) needs a topic in us-east-1.

def wrap_cw_put_metric_alarm(original):
    def put_metric_alarm(self, *args, **kwargs):
        for key in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
            for action in kwargs.get(key) or []:
                parts = str(action).split(":")
                if len(parts) > 3 and parts[2] == "sns" and parts[3] != self.region_name:
                    raise M["CwValidationError"](
                        f"Invalid region {parts[3]} specified. Only {self.region_name} is "
                        "supported."
                    )
        name = kwargs.get("name")
        previous = self.alarms.get(name)
        alarm = original(self, *args, **kwargs)
        if previous is not None:
            for attr in ("state_value", "state_reason", "state_reason_data",
                         "state_updated_timestamp", "history"):
                setattr(alarm, attr, getattr(previous, attr))
        else:
            alarm.state_value = "INSUFFICIENT_DATA"
        return alarm
    return put_metric_alarm


# ---------------------------------------------------------------------------------------------
# AWS Budgets: what moto lacks for a budget with notifications, SNS subscribers and tags

def budget_of(self, account_id, name):
    budget = self.backend.budgets[account_id].get(name)
    if budget is None:
        raise M["BudgetsNotFound"](f"Unable to get budget: {name} - the budget doesn't exist.")
    return budget


def same_notification(a: dict, b: dict) -> bool:
    def key(n):
        return (n.get("NotificationType"), n.get("ComparisonOperator"),
                float(n.get("Threshold") or 0), n.get("ThresholdType") or "PERCENTAGE")
    return key(a or {}) == key(b or {})


def notification_of(budget, details):
    for notification in budget.notifications:
        if same_notification(notification.details, details):
            return notification
    raise M["BudgetsNotFound"]("Unable to find the notification - the notification doesn't exist.")


def budgets_describe_subscribers_for_notification(self):
    budget = budget_of(self, self._get_param("AccountId"), self._get_param("BudgetName"))
    notification = notification_of(budget, self._get_param("Notification"))
    return json.dumps({"Subscribers": list(notification.subscribers or [])})


def budgets_update_budget(self):
    new = self._get_param("NewBudget") or {}
    budget = budget_of(self, self._get_param("AccountId"), new.get("BudgetName"))
    kept = {k: v for k, v in budget.budget.items() if k in ("TimePeriod",)}
    budget.budget = {**kept, **new, "LastUpdatedTime": time.time()}
    return json.dumps({})


def budgets_update_notification(self):
    budget = budget_of(self, self._get_param("AccountId"), self._get_param("BudgetName"))
    notification = notification_of(budget, self._get_param("OldNotification"))
    notification.details = self._get_param("NewNotification")
    return json.dumps({})


def budgets_create_subscriber(self):
    budget = budget_of(self, self._get_param("AccountId"), self._get_param("BudgetName"))
    notification = notification_of(budget, self._get_param("Notification"))
    notification.subscribers = list(notification.subscribers or []) + [
        self._get_param("Subscriber")
    ]
    return json.dumps({})


def budgets_delete_subscriber(self):
    budget = budget_of(self, self._get_param("AccountId"), self._get_param("BudgetName"))
    notification = notification_of(budget, self._get_param("Notification"))
    gone = self._get_param("Subscriber") or {}
    notification.subscribers = [s for s in notification.subscribers or [] if s != gone]
    return json.dumps({})


def budgets_update_subscriber(self):
    budget = budget_of(self, self._get_param("AccountId"), self._get_param("BudgetName"))
    notification = notification_of(budget, self._get_param("Notification"))
    old = self._get_param("OldSubscriber") or {}
    new = self._get_param("NewSubscriber") or {}
    notification.subscribers = [new if s == old else s for s in notification.subscribers or []]
    return json.dumps({})


BUDGET_ARN_RE = re.compile(r"arn:aws[a-z-]*:budgets::(?P<account>\d{12}):budget/(?P<name>.+)")


def budget_by_arn(self, arn):
    found = BUDGET_ARN_RE.fullmatch(arn or "")
    if not found:
        raise M["BudgetsNotFound"](f"Unable to find the resource {arn}.")
    return budget_of(self, found.group("account"), found.group("name"))


def budget_tags(budget) -> dict:
    tags = getattr(budget, "_siteup_tags", None)
    if tags is None:
        tags = budget._siteup_tags = {}
    return tags


def budgets_list_tags_for_resource(self):
    budget = budget_by_arn(self, self._get_param("ResourceARN"))
    return json.dumps({"ResourceTags": [{"Key": k, "Value": v}
                                        for k, v in budget_tags(budget).items()]})


def budgets_tag_resource(self):
    budget = budget_by_arn(self, self._get_param("ResourceARN"))
    for tag in self._get_param("ResourceTags") or []:
        budget_tags(budget)[tag["Key"]] = tag.get("Value", "")
    return json.dumps({})


def budgets_untag_resource(self):
    budget = budget_by_arn(self, self._get_param("ResourceARN"))
    for key in self._get_param("ResourceTagKeys") or []:
        budget_tags(budget).pop(key, None)
    return json.dumps({})


def wrap_budgets_create_budget(original):
    def create_budget(self):
        answer = original(self)
        budget = budget_of(self, self._get_param("AccountId"),
                           (self._get_param("Budget") or {}).get("BudgetName"))
        for tag in self._get_param("ResourceTags") or []:
            budget_tags(budget)[tag["Key"]] = tag.get("Value", "")
        return answer
    return create_budget


def wrap_budgets_describe_notifications(original):
    def describe_notifications_for_budget(self):
        budget_of(self, self._get_param("AccountId"), self._get_param("BudgetName"))
        return original(self)
    return describe_notifications_for_budget


# ---------------------------------------------------------------------------------------------
# CloudWatch over Smithy RPC v2 CBOR (what moto lacks: it routes CloudWatch only at "/")
#
# aws-sdk-cloudwatch (Rust, 1.140) speaks the Smithy RPC v2 CBOR protocol, which CloudWatch
# supports beside the JSON and query protocols: a request is `POST
# /service/GraniteServiceVersion20100801/operation/<Operation>` with the header `smithy-protocol:
# rpc-v2-cbor` and a CBOR body (the input structure); the answer carries the same header,
# `Content-Type: application/cbor` and a CBOR body (the output structure), an error a CBOR map
# with `__type` and `message` (and, CloudWatch being awsQueryCompatible, the query error code in
# `x-amzn-query-error`); timestamps are CBOR tag 1 (epoch seconds). Sources: Smithy 2.0, "Smithy
# RPC v2 CBOR protocol" (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html),
# linked from the AWS SDKs' "FAQs on supported protocols"
# (https://docs.aws.amazon.com/iot/latest/developerguide/cbor-faq.html). moto 5.2.5 answers such
# a request 404; it does answer CloudWatch's JSON protocol (X-Amz-Target
# GraniteServiceVersion20100801.<Operation>), so the bridge decodes the CBOR input into that
# JSON document, lets moto answer it, and encodes moto's JSON answer back as CBOR.

CW_CBOR_SERVICE = "GraniteServiceVersion20100801"
CW_CBOR_PATH = r"/service/" + CW_CBOR_SERVICE + r"/operation/(?P<operation>[A-Za-z0-9]+)"
CBOR_CONTENT_TYPE = "application/cbor"
# CloudWatch's timestamp members (the service model's Timestamp shapes, as aws-sdk-cloudwatch
# decodes them): DescribeAlarms' MetricAlarm / CompositeAlarm carry the first three; the rest
# are other operations' (alarm history, datapoints, dashboards, metric streams, mute rules).
CW_TIMESTAMP_MEMBERS = frozenset((
    "AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp", "StateTransitionedTimestamp",
    "Timestamp", "LastModified", "CreationDate", "LastUpdateDate", "LastUpdatedTimestamp",
    "CreatedAt", "UpdatedAt", "StartTime", "EndTime", "ExpireDate",
))
CW_TIMESTAMP_LISTS = frozenset(("Timestamps",))  # GetMetricData's MetricDataResult


class CborTag:
    def __init__(self, tag: int, value):
        self.tag = tag
        self.value = value


class CborError(ValueError):
    pass


CBOR_BREAK = object()


def cbor_decode(data: bytes):
    """One CBOR data item (RFC 8949), the whole of `data`."""
    value, pos = _cbor_item(data, 0)
    if value is CBOR_BREAK:
        raise CborError("unexpected break")
    if pos != len(data):
        raise CborError("trailing bytes after the CBOR data item")
    return value


def _cbor_need(data: bytes, pos: int, n: int) -> None:
    if pos + n > len(data):
        raise CborError("truncated CBOR data")


def _cbor_argument(data: bytes, pos: int, info: int) -> tuple:
    if info < 24:
        return info, pos
    sizes = {24: 1, 25: 2, 26: 4, 27: 8}
    size = sizes.get(info)
    if size is None:
        raise CborError(f"reserved additional information {info}")
    _cbor_need(data, pos, size)
    return int.from_bytes(data[pos:pos + size], "big"), pos + size


def _cbor_float16(half: int) -> float:
    exponent = (half >> 10) & 0x1F
    mantissa = half & 0x3FF
    if exponent == 0:
        value = math.ldexp(mantissa, -24)
    elif exponent == 31:
        value = math.inf if mantissa == 0 else math.nan
    else:
        value = math.ldexp(mantissa + 1024, exponent - 25)
    return -value if half & 0x8000 else value


def _cbor_item(data: bytes, pos: int) -> tuple:
    _cbor_need(data, pos, 1)
    initial = data[pos]
    pos += 1
    major, info = initial >> 5, initial & 0x1F
    if major == 7:
        if info == 20:
            return False, pos
        if info == 21:
            return True, pos
        if info in (22, 23):  # null, undefined
            return None, pos
        if info == 25:
            _cbor_need(data, pos, 2)
            return _cbor_float16(int.from_bytes(data[pos:pos + 2], "big")), pos + 2
        if info == 26:
            _cbor_need(data, pos, 4)
            return struct.unpack(">f", data[pos:pos + 4])[0], pos + 4
        if info == 27:
            _cbor_need(data, pos, 8)
            return struct.unpack(">d", data[pos:pos + 8])[0], pos + 8
        if info == 31:
            return CBOR_BREAK, pos
        if info < 24:
            return None, pos  # an unassigned simple value
        if info == 24:
            _cbor_need(data, pos, 1)
            return None, pos + 1
        raise CborError(f"reserved simple value {info}")
    if info == 31:  # indefinite length
        if major in (2, 3):
            chunks = []
            while True:
                chunk, pos = _cbor_item(data, pos)
                if chunk is CBOR_BREAK:
                    break
                if not isinstance(chunk, bytes if major == 2 else str):
                    raise CborError("a chunk of an indefinite string of another type")
                chunks.append(chunk)
            return (b"".join(chunks) if major == 2 else "".join(chunks)), pos
        if major == 4:
            items = []
            while True:
                item, pos = _cbor_item(data, pos)
                if item is CBOR_BREAK:
                    return items, pos
                items.append(item)
        if major == 5:
            mapping = {}
            while True:
                key, pos = _cbor_item(data, pos)
                if key is CBOR_BREAK:
                    return mapping, pos
                value, pos = _cbor_item(data, pos)
                if value is CBOR_BREAK:
                    raise CborError("a map key without a value")
                mapping[key] = value
        raise CborError(f"indefinite length for major type {major}")
    arg, pos = _cbor_argument(data, pos, info)
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        _cbor_need(data, pos, arg)
        raw = bytes(data[pos:pos + arg])
        if major == 2:
            return raw, pos + arg
        try:
            return raw.decode("utf-8"), pos + arg
        except UnicodeDecodeError:
            raise CborError("a text string that is not UTF-8") from None
    if major == 4:
        items = []
        for _ in range(arg):
            item, pos = _cbor_item(data, pos)
            if item is CBOR_BREAK:
                raise CborError("unexpected break")
            items.append(item)
        return items, pos
    if major == 5:
        mapping = {}
        for _ in range(arg):
            key, pos = _cbor_item(data, pos)
            value, pos = _cbor_item(data, pos)
            if key is CBOR_BREAK or value is CBOR_BREAK:
                raise CborError("unexpected break")
            mapping[key] = value
        return mapping, pos
    value, pos = _cbor_item(data, pos)  # major 6: a tag
    if value is CBOR_BREAK:
        raise CborError("unexpected break")
    return CborTag(arg, value), pos


def _cbor_head(major: int, arg: int) -> bytes:
    if arg < 24:
        return bytes([(major << 5) | arg])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if arg < (1 << (8 * size)):
            return bytes([(major << 5) | info]) + arg.to_bytes(size, "big")
    raise CborError("an integer beyond 64 bits")


def cbor_encode(value) -> bytes:
    """Definite lengths; floats as 64-bit doubles."""
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _cbor_head(3, len(raw)) + raw
    if isinstance(value, (list, tuple)):
        return _cbor_head(4, len(value)) + b"".join(cbor_encode(v) for v in value)
    if isinstance(value, dict):
        return _cbor_head(5, len(value)) + b"".join(
            cbor_encode(k) + cbor_encode(v) for k, v in value.items()
        )
    if isinstance(value, CborTag):
        return _cbor_head(6, value.tag) + cbor_encode(value.value)
    raise CborError(f"cannot encode {type(value).__name__} as CBOR")


def cbor_to_json(value):
    """A decoded CBOR input as the awsJson document: tag-1 timestamps become epoch seconds,
    byte strings base64 text (blobs), NaN/Infinity the strings awsJson uses for them."""
    if isinstance(value, CborTag):
        return cbor_to_json(value.value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list):
        return [cbor_to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): cbor_to_json(v) for k, v in value.items() if v is not None}
    return value


def _cw_timestamp(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return CborTag(1, float(value))
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        return CborTag(1, parsed.timestamp())
    return value


def cw_json_to_cbor_value(value, member: str | None = None):
    """moto's JSON answer as the CBOR output: CloudWatch's timestamp members as tag 1."""
    if isinstance(value, dict):
        return {k: cw_json_to_cbor_value(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        if member in CW_TIMESTAMP_LISTS:
            return [_cw_timestamp(v) for v in value]
        return [cw_json_to_cbor_value(v) for v in value]
    if member in CW_TIMESTAMP_MEMBERS:
        return _cw_timestamp(value)
    return value


def cbor_response(status: int, payload, headers: list | None = None) -> Response:
    extra = list(headers or [])
    if not any(k.lower() == "x-amzn-requestid" for k, _v in extra):
        extra.append(("x-amzn-RequestId", str(uuid.uuid4())))
    return Response(
        status,
        cbor_encode(payload),
        [("Content-Type", CBOR_CONTENT_TYPE), ("smithy-protocol", "rpc-v2-cbor")] + extra,
    )


def before_cw_cbor(req, operation):
    """The CBOR request, rewritten in place as the JSON protocol request moto routes."""
    if req.environ.get("HTTP_SMITHY_PROTOCOL", "").strip().lower() != "rpc-v2-cbor":
        raise ApiError(400, "InvalidRequest",
                       "An RPC v2 CBOR request needs the header smithy-protocol: rpc-v2-cbor.")
    raw = req.body()
    try:
        document = cbor_to_json(cbor_decode(raw)) if raw else {}
    except CborError as error:
        raise ApiError(400, "SerializationException",
                       f"The request body is not valid CBOR: {error}.") from None
    if not isinstance(document, dict):
        raise ApiError(400, "SerializationException",
                       "The request body must be a CBOR map (the operation's input).")
    body = json.dumps(document).encode("utf-8")
    env = req.environ
    env["PATH_INFO"] = "/"
    env["RAW_URI"] = env["REQUEST_URI"] = "/"
    env["QUERY_STRING"] = ""
    env["CONTENT_TYPE"] = "application/x-amz-json-1.0"
    env["HTTP_X_AMZ_TARGET"] = f"{CW_CBOR_SERVICE}.{operation}"
    env.pop("HTTP_SMITHY_PROTOCOL", None)
    env.pop("HTTP_ACCEPT", None)
    env["wsgi.input"] = io.BytesIO(body)
    env["CONTENT_LENGTH"] = str(len(body))
    return None


def after_cw_cbor(req, status, headers, body, operation):
    """moto's JSON answer, encoded back as RPC v2 CBOR."""
    kept = [(k, v) for k, v in headers
            if k.lower() in ("x-amzn-query-error", "x-amzn-requestid")]
    try:
        payload = json.loads(body) if body.strip() else {}
    except ValueError:
        payload = None
    if status >= 400:
        if not isinstance(payload, dict) or "__type" not in payload:
            log(f"CloudWatch {operation} over CBOR: moto answered {status} {body[:200]!r}")
            payload = {"__type": "InternalFailure",
                       "message": f"CloudWatch {operation} failed in the emulator (HTTP {status})."}
        error = {"__type": str(payload["__type"]),
                 "message": str(payload.get("message") or payload.get("Message") or "")}
        resp = cbor_response(status, error, kept)
    elif isinstance(payload, dict):
        resp = cbor_response(status, cw_json_to_cbor_value(payload), kept)
    else:
        log(f"CloudWatch {operation} over CBOR: moto answered {status} {body[:200]!r}")
        resp = cbor_response(500, {"__type": "InternalFailure",
                                   "message": "the emulator could not read moto's answer"}, kept)
    return resp.status, resp.headers, resp.body


# ---------------------------------------------------------------------------------------------
# The tables

SESV2_IDENTITY = r"/v2/email/identities/(?P<identity>[^/]+)"
SESV2_CONFIG_SET = r"/v2/email/configuration-sets/(?P<name>[^/]+)"
SESV2_SUPPRESSED = r"/v2/email/suppression/addresses/(?P<address>[^/]+)"
COGNITO_TARGET = "AWSCognitoIdentityService."

RULES = [
    Rule("SESv2 GetAccount", "sesv2", method="GET", path=r"/v2/email/account",
         replace=get_account),
    Rule("SESv2 PutAccountDetails", "sesv2", method="POST", path=r"/v2/email/account/details",
         replace=put_account_details),
    Rule("SESv2 PutEmailIdentityMailFromAttributes", "sesv2", method="PUT",
         path=SESV2_IDENTITY + "/mail-from", replace=put_mail_from),
    Rule("SESv2 GetEmailIdentity", "sesv2", method="GET", path=SESV2_IDENTITY,
         after=after_get_email_identity),
    Rule("SESv2 CreateEmailIdentity", "sesv2", method="POST", path=r"/v2/email/identities",
         before=before_create_email_identity_config_set, after=after_create_email_identity),
    Rule("SESv2 PutEmailIdentityConfigurationSetAttributes", "sesv2", method="PUT",
         path=SESV2_IDENTITY + "/configuration-set", replace=put_identity_config_set),
    Rule("SESv2 CreateConfigurationSetEventDestination", "sesv2", method="POST",
         path=SESV2_CONFIG_SET + "/event-destinations", replace=create_event_destination),
    Rule("SESv2 GetConfigurationSetEventDestinations", "sesv2", method="GET",
         path=SESV2_CONFIG_SET + "/event-destinations", replace=get_event_destinations),
    Rule("SESv2 UpdateConfigurationSetEventDestination", "sesv2", method="PUT",
         path=SESV2_CONFIG_SET + "/event-destinations/(?P<destination>[^/]+)",
         replace=update_event_destination),
    Rule("SESv2 DeleteConfigurationSetEventDestination", "sesv2", method="DELETE",
         path=SESV2_CONFIG_SET + "/event-destinations/(?P<destination>[^/]+)",
         replace=delete_event_destination),
    Rule("SESv2 PutConfigurationSetReputationOptions", "sesv2", method="PUT",
         path=SESV2_CONFIG_SET + "/reputation-options", replace=put_config_set_reputation),
    Rule("SESv2 PutConfigurationSetSendingOptions", "sesv2", method="PUT",
         path=SESV2_CONFIG_SET + "/sending", replace=put_config_set_sending),
    Rule("SESv2 PutConfigurationSetSuppressionOptions", "sesv2", method="PUT",
         path=SESV2_CONFIG_SET + "/suppression-options", replace=put_config_set_suppression),
    Rule("SESv2 PutAccountSuppressionAttributes", "sesv2", method="PUT",
         path=r"/v2/email/account/suppression", replace=put_account_suppression),
    Rule("SESv2 ListSuppressedDestinations", "sesv2", method="GET",
         path=r"/v2/email/suppression/addresses/?", replace=list_suppressed),
    Rule("SESv2 PutSuppressedDestination", "sesv2", method="PUT",
         path=r"/v2/email/suppression/addresses/?", replace=put_suppressed),
    Rule("SESv2 GetSuppressedDestination", "sesv2", method="GET",
         path=SESV2_SUPPRESSED, replace=get_suppressed),
    Rule("SESv2 DeleteSuppressedDestination", "sesv2", method="DELETE",
         path=SESV2_SUPPRESSED, replace=delete_suppressed),
    Rule("SESv2 SendEmail (the mailbox simulator)", "sesv2", method="POST",
         path=r"/v2/email/outbound-emails", after=after_send_email_v2),
    Rule("SES VerifyEmailIdentity", "ses", method="POST",
         actions=("VerifyEmailIdentity", "VerifyEmailAddress"),
         after=after_verify_email_identity_v1, protocol="query"),
    Rule("Cognito Identity SetIdentityPoolRoles", "cognito-identity", method="POST",
         target=COGNITO_TARGET + "SetIdentityPoolRoles", replace=set_identity_pool_roles,
         protocol="json"),
    Rule("Cognito Identity GetIdentityPoolRoles", "cognito-identity", method="POST",
         target=COGNITO_TARGET + "GetIdentityPoolRoles", replace=get_identity_pool_roles,
         protocol="json"),
    Rule("CloudFront CreateDistribution (a new account)", "cloudfront", method="POST",
         path=r"/2020-05-31/distribution/?", before=before_create_distribution,
         protocol="rest-xml"),
    Rule("CloudWatch over RPC v2 CBOR", "monitoring", method="POST", path=CW_CBOR_PATH,
         before=before_cw_cbor, after=after_cw_cbor, protocol="rpc-v2-cbor"),
    Rule("moto reset", "moto-api", method="POST", path=r"/moto-api/reset/?",
         after=after_moto_reset),
]


# SES v1 (query protocol): moto writes the XML; we replace the model methods it reads.
def v1_get_identity_verification_attributes(self, identities=None):
    result = {}
    for name in identities or []:
        obj = lookup_identity(self, name)
        if obj is None:
            continue
        st = identity_state(self, obj)
        entry = {"VerificationStatus": V1_STATUS[st["verification"]]}
        if is_domain(obj):
            entry["VerificationToken"] = st["verification_token"]
        result[name] = entry
    return result


def v1_get_identity_dkim_attributes(self, identities):
    result = {}
    for name in identities or []:
        obj = lookup_identity(self, name)
        if obj is None or not is_domain(obj):
            result[name] = {"DkimEnabled": False, "DkimVerificationStatus": "NotStarted"}
            continue
        st = identity_state(self, obj)
        result[name] = {
            "DkimEnabled": True,
            "DkimVerificationStatus": V1_STATUS[st["dkim"]],
            "DkimTokens": list(st["tokens"]),
        }
    return result


def v1_get_identity_mail_from_domain_attributes(self, identities=None):
    result = {}
    for name in identities or []:
        obj = lookup_identity(self, name)
        if obj is None:
            continue
        st = identity_state(self, obj)
        mail_from = mail_from_v2(self, obj, st)
        if mail_from is None:
            result[name] = {"BehaviorOnMXFailure": "UseDefaultValue"}
        else:
            result[name] = {
                "MailFromDomain": mail_from["MailFromDomain"],
                "MailFromDomainStatus": V1_STATUS[mail_from["MailFromDomainStatus"]],
                "BehaviorOnMXFailure": V2_TO_V1_BEHAVIOR[mail_from["BehaviorOnMxFailure"]],
            }
    return result


def v1_verify_domain_identity(self):
    domain = self._get_param("Domain")
    self.backend.verify_domain(domain)
    obj = lookup_identity(self.backend, domain)
    st = identity_state(self.backend, obj)
    return M["ActionResult"]({"VerificationToken": st["verification_token"]})


def v1_verify_domain_dkim(self):
    domain = self._get_param("Domain")
    self.backend.verify_domain(domain)
    obj = lookup_identity(self.backend, domain)
    st = identity_state(self.backend, obj)
    return M["ActionResult"]({"DkimTokens": list(st["tokens"])})


def backend_patches():
    return [
        (M["SESBackend"], "get_identity_verification_attributes",
         v1_get_identity_verification_attributes),
        (M["SESBackend"], "get_identity_dkim_attributes", v1_get_identity_dkim_attributes),
        (M["SESBackend"], "get_identity_mail_from_domain_attributes",
         v1_get_identity_mail_from_domain_attributes),
        (M["EmailResponse"], "verify_domain_identity", v1_verify_domain_identity),
        (M["EmailResponse"], "verify_domain_dkim", v1_verify_domain_dkim),
    ]


def install_backend_patches() -> None:
    for cls, name, replacement in backend_patches():
        if not hasattr(cls, name):
            raise RuntimeError(f"moto {M['version']} has no {cls.__name__}.{name} to patch")
        setattr(cls, name, replacement)


# ---------------------------------------------------------------------------------------------
# Round trips: moto drops or invents some values it is given, so terraform would see a change on
# every plan. Each wrapper below calls moto's own method, then puts back what AWS would answer.


def wrap_cf_default_cache_behaviour_init(original):
    def __init__(self, config):
        original(self, config)
        # AWS answers with the associations it was given (moto: always none).
        self.function_associations = config.get("FunctionAssociations") or {"Quantity": 0}
        self.lambda_function_associations = (
            config.get("LambdaFunctionAssociations") or {"Quantity": 0}
        )
        # With a cache policy there are no legacy ForwardedValues (moto invents them).
        if "ForwardedValues" not in config:
            self.forwarded_values = None
    return __init__


def wrap_cf_origin_init(original):
    def __init__(self, origin):
        original(self, origin)
        # moto drops the origin access control.
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""
    return __init__


def wrap_cf_viewer_certificate_init(original):
    def __init__(self, config):
        original(self, config)
        # A distribution with its own certificate does not use CloudFront's (moto: always does).
        own = config.get("ACMCertificateArn") or config.get("IAMCertificateId")
        if own and "CloudFrontDefaultCertificate" not in config:
            self.cloud_front_default_certificate = False
            self.certificate_source = "acm" if config.get("ACMCertificateArn") else "iam"
    return __init__


def wrap_cognito_create_user_pool_domain(original):
    def create_user_pool_domain(self, user_pool_id, domain, custom_domain_config=None):
        # A custom domain needs an A record at its parent domain (auth.example.com needs one at
        # example.com), or Cognito refuses it. Source: Amazon Cognito Developer Guide, "Using
        # your own domain for managed login" (https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-add-custom-domain.html):
        # "the parent domain must have a valid DNS A record".
        if (custom_domain_config or {}).get("CertificateArn"):
            parent = bare(domain).split(".", 1)[-1]
            records = zone_records(self.account_id, parent) or {}
            if (parent, "A") not in records:
                raise M["JsonRESTError"](
                    "InvalidParameterException",
                    "Custom domain is not a valid subdomain: Was not able to resolve a DNS A "
                    f"record for the parent domain {parent}.",
                )
        result = original(self, user_pool_id, domain, custom_domain_config=custom_domain_config)
        result._siteup_account = self.account_id
        return result
    return create_user_pool_domain


def wrap_cognito_domain_to_json(original):
    def to_json(self, extended=True):
        data = original(self, extended)
        if extended:
            # moto leaves out the custom domain's certificate and invents a new account ID on
            # every call.
            if self.custom_domain_config:
                data["CustomDomainConfig"] = dict(self.custom_domain_config)
            data["AWSAccountId"] = getattr(self, "_siteup_account", M["default_account"])
        return data
    return to_json


def lambda_logging_config(function_name, given):
    config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function_name}"}
    config.update({k: v for k, v in (given or {}).items() if v is not None})
    if config["LogFormat"] == "JSON":
        config.setdefault("ApplicationLogLevel", "INFO")
        config.setdefault("SystemLogLevel", "INFO")
    return config


def wrap_lambda_init(original):
    def __init__(self, account_id, spec, region, version=1):
        original(self, account_id, spec, region, version)
        # moto drops LoggingConfig; AWS answers with it (defaults filled in).
        self._siteup_logging = lambda_logging_config(self.function_name, spec.get("LoggingConfig"))
    return __init__


def wrap_lambda_update_configuration(original):
    def update_configuration(self, config_updates):
        if "LoggingConfig" in config_updates:
            self._siteup_logging = lambda_logging_config(
                self.function_name, config_updates["LoggingConfig"]
            )
        return original(self, config_updates)
    return update_configuration


def wrap_lambda_get_configuration(original):
    def get_configuration(self, on_create=False):
        config = original(self, on_create)
        logging = getattr(self, "_siteup_logging", None)
        config["LoggingConfig"] = dict(
            logging or lambda_logging_config(self.function_name, None)
        )
        return config
    return get_configuration


def sesv2_identity_arn(backend, name: str) -> str:
    return f"arn:{backend.partition}:ses:{backend.region_name}:{backend.account_id}:identity/{name}"


def wrap_sesv2_create_email_identity(original):
    def create_email_identity(self, email_identity, tags, dkim_signing_attributes,
                              configuration_set_name):
        result = original(self, email_identity, tags, dkim_signing_attributes,
                          configuration_set_name)
        # moto files the tags under "email-identity/NAME"; the identity's ARN (the one
        # ListTagsForResource is asked about) is "identity/NAME".
        arn = sesv2_identity_arn(self, email_identity)
        self.core_backend.tagger.delete_all_tags_for_resource(arn)
        if tags:
            self.core_backend.tagger.tag_resource(arn=arn, tags=tags)
        return result
    return create_email_identity


def wrap_sesv2_delete_email_identity(original):
    def delete_email_identity(self, email_identity):
        original(self, email_identity)
        self.core_backend.tagger.delete_all_tags_for_resource(
            sesv2_identity_arn(self, email_identity)
        )
    return delete_email_identity


# The request context the emulator's requests carry: it stands for AWS reached over HTTPS.
POLICY_CONTEXT = {"aws:securetransport": "true"}


def condition_values_match(operator: str, expected: list, actual: list) -> bool:
    def like(pattern: str, value: str) -> bool:
        regex = "".join(
            ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern
        )
        return re.fullmatch(regex, value, re.DOTALL) is not None

    e = [str(x) for x in expected]
    a = [str(x) for x in actual]
    if operator == "Bool":
        return any(x.lower() == y.lower() for x in a for y in e)
    if operator in ("StringEquals", "ArnEquals"):
        return any(x == y for x in a for y in e)
    if operator == "StringEqualsIgnoreCase":
        return any(x.lower() == y.lower() for x in a for y in e)
    if operator in ("StringNotEquals", "ArnNotEquals"):
        return all(x != y for x in a for y in e)
    if operator == "StringNotEqualsIgnoreCase":
        return all(x.lower() != y.lower() for x in a for y in e)
    if operator in ("StringLike", "ArnLike"):
        return any(like(y, x) for x in a for y in e)
    if operator in ("StringNotLike", "ArnNotLike"):
        return not any(like(y, x) for x in a for y in e)
    # Numeric, date, IP address and binary operators: not evaluated, so not met.
    return False


def policy_conditions_met(conditions: dict, incoming) -> bool:
    """AWS's rule: every condition must hold; a key the request does not carry fails the
    condition (except with ...IfExists, and the Null operator)."""
    context = dict(POLICY_CONTEXT)
    for key, value in (incoming or {}).items():
        context[str(key).lower()] = value
    for operator, pairs in conditions.items():
        if not isinstance(pairs, dict):
            return False
        base = operator.split(":", 1)[-1]  # ForAnyValue:/ForAllValues: as plain operators
        if_exists = base.endswith("IfExists")
        if if_exists:
            base = base[: -len("IfExists")]
        for key, expected in pairs.items():
            expected_list = expected if isinstance(expected, list) else [expected]
            actual = context.get(str(key).lower())
            if base == "Null":
                wants_absent = str(expected_list[0]).lower() == "true"
                if (actual is None) != wants_absent:
                    return False
                continue
            if actual is None:
                if if_exists:
                    continue
                return False
            actual_list = actual if isinstance(actual, list) else [actual]
            if not condition_values_match(base, expected_list, actual_list):
                return False
    return True


def wrap_iam_statement_is_action_permitted(original):
    def is_action_permitted(self, action, resource="*", principal=None,
                            incoming_condition_values=None):
        # moto evaluates StringEquals only and takes every other condition as met, so a bucket
        # policy that denies plain HTTP (Bool aws:SecureTransport false) denies every request.
        # AWS: a statement whose conditions do not hold does not apply.
        conditions = self._statement.get("Condition")
        if not conditions:
            return original(self, action, resource, principal, incoming_condition_values)
        if not policy_conditions_met(conditions, incoming_condition_values):
            return M["PermissionResult"].NEUTRAL
        unconditional = type(self)({k: v for k, v in self._statement.items() if k != "Condition"})
        return original(unconditional, action, resource, principal, incoming_condition_values)
    return is_action_permitted


def certificate_users(account: str, arn: str) -> list[str]:
    """What uses the ACM certificate `arn`: CloudFront distributions, API Gateway domain names
    and Cognito user pool domains of the account, in every region."""
    users = []
    for backend in list((M["cloudfront_backends"].get(account) or {}).values()):
        for dist in list(backend.distributions.values()):
            cert = getattr(dist.distribution_config, "ViewerCertificate", None)
            if getattr(cert, "acm_certificate_arn", "") == arn:
                users.append(f"CloudFront distribution {dist.distribution_id}")
    for backend in list((M["apigateway_backends"].get(account) or {}).values()):
        for name, dn in list(backend.domain_names.items()):
            if arn in (dn.certificate_arn, dn.regional_certificate_arn):
                users.append(f"API Gateway domain name {name}")
    for backend in list((M["cognitoidp_backends"].get(account) or {}).values()):
        for name, dom in list(backend.user_pool_domains.items()):
            if (dom.custom_domain_config or {}).get("CertificateArn") == arn:
                users.append(f"Cognito user pool domain {name}")
    return users


def wrap_acm_delete_certificate(original):
    # A certificate in use cannot be deleted: ACM answers ResourceInUseException until every
    # service that uses it lets it go (CloudFront can take many minutes after a distribution
    # changes). Source: AWS Certificate Manager API Reference, DeleteCertificate
    # (https://docs.aws.amazon.com/acm/latest/APIReference/API_DeleteCertificate.html).
    def delete_certificate(self, arn):
        users = certificate_users(self.account_id, arn)
        if users:
            raise M["JsonRESTError"](
                "ResourceInUseException",
                f"Certificate {arn} in account {self.account_id} is in use by "
                + ", ".join(users)
                + ".",
            )
        return original(self, arn)
    return delete_certificate


def wrap_route53_delete_hosted_zone(original):
    # A hosted zone can be deleted only while it holds nothing but its default SOA and NS
    # records: those of the zone's own name. moto lets any NS record through (a delegation to a
    # subdomain, say). Source: Amazon Route 53 API Reference, DeleteHostedZone
    # (https://docs.aws.amazon.com/Route53/latest/APIReference/API_DeleteHostedZone.html):
    # "You can delete a hosted zone only if it contains only the default SOA record and NS
    # resource record sets", else HostedZoneNotEmpty.
    def delete_hosted_zone(self, id_):
        zone = self.get_hosted_zone(id_)
        apex = bare(zone.name)
        for rrset in list(zone.rrsets):
            if rrset.type not in ("SOA", "NS") or bare(rrset.name) != apex:
                raise M["HostedZoneNotEmpty"]()
        return original(self, id_)
    return delete_hosted_zone


# While a ChangeResourceRecordSets call runs on this thread, the zone's record lookup answers
# exactly (see wrap_route53_change_resource_record_sets).
ROUTE53_EXACT = threading.local()


def wrap_route53_change_resource_record_sets(original):
    # A CREATE fails only when the zone already holds a record set of the same name and type.
    # Source: Amazon Route 53 API Reference, ChangeResourceRecordSets
    # (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html):
    # "CREATE: Creates a resource record set that has the specified values", and InvalidChangeBatch
    # "Tried to create resource record set ... but it already exists" when that name and type
    # exist. moto, for a CREATE identical to one it saw before (a record created, deleted and
    # created again, as a rebuild after `siteup destroy` does), looks the record up with its
    # listing from that name on, so any record sorting after it counts as "already exists".
    def change_resource_record_sets(self, zoneid, change_list):
        ROUTE53_EXACT.on = True
        try:
            return original(self, zoneid, change_list)
        finally:
            ROUTE53_EXACT.on = False
    return change_resource_record_sets


def wrap_route53_zone_get_record_sets(original):
    def get_record_sets(self, start_type, start_name):
        if getattr(ROUTE53_EXACT, "on", False):
            want = bare(start_name)
            return [r for r in self.rrsets if bare(r.name) == want and r.type == start_type]
        return original(self, start_type, start_name)
    return get_record_sets


def wrap_s3_delete_object(original):
    # In a bucket whose versioning is suspended, the versions and delete markers kept from when
    # it was on stay, and a DELETE with a versionId removes that one version (or delete marker)
    # for good. Source: Amazon S3 User Guide, "Deleting objects from versioning-suspended
    # buckets" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectsfromVersioningSuspendedBuckets.html):
    # "You can permanently delete an object version by specifying the version ID ...". moto,
    # once versioning is suspended, drops every version of the key at once and answers HTTP 500
    # on a delete marker among them, which is what emptying the state bucket meets (terraform's
    # lock files leave delete markers, and the destroy suspends versioning before the bucket).
    def delete_object(self, bucket_name, key_name, version_id=None, bypass=False):
        bucket = self.get_bucket(bucket_name)
        if version_id is not None and getattr(bucket, "versioning_status", None) == "Suspended":
            with STATE_LOCK:
                bucket.versioning_status = "Enabled"
                try:
                    return original(self, bucket_name, key_name, version_id=version_id,
                                    bypass=bypass)
                finally:
                    bucket.versioning_status = "Suspended"
        return original(self, bucket_name, key_name, version_id=version_id, bypass=bypass)
    return delete_object


def wrap_cognito_delete_user_pool(original):
    # A user pool with deletion protection on cannot be deleted until an UpdateUserPool turns it
    # off; moto deletes it. Source: Amazon Cognito API Reference, CreateUserPool,
    # DeletionProtection (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPool.html#CognitoUserPools-CreateUserPool-request-DeletionProtection):
    # "When you try to delete a protected user pool in a DeleteUserPool API request, Amazon
    # Cognito returns an InvalidParameterException error."
    #
    # A user pool with a domain (prefix or custom) cannot be deleted before its domain; moto
    # deletes it and leaves the domain behind. AWS answers InvalidParameterException "User pool
    # cannot be deleted. It has a domain configured that should be deleted first." (as reported
    # in hashicorp/terraform-provider-aws#16479 and rebuy-de/aws-nuke#330; Amazon Cognito
    # Developer Guide, "Configuring a user pool domain": delete the domain to stop its use).
    def delete_user_pool(self, user_pool_id):
        pool = self.describe_user_pool(user_pool_id)
        if (pool.extended_config or {}).get("DeletionProtection") == "ACTIVE":
            raise M["JsonRESTError"](
                "InvalidParameterException",
                "The user pool cannot be deleted because deletion protection is activated. "
                "Deletion protection must be inactivated first.",
            )
        if any(d.user_pool_id == user_pool_id for d in list(self.user_pool_domains.values())):
            raise M["JsonRESTError"](
                "InvalidParameterException",
                "User pool cannot be deleted. It has a domain configured that should be deleted "
                "first.",
            )
        return original(self, user_pool_id)
    return delete_user_pool


def wrapped_methods():
    """(class, method name, factory): the factory gets moto's method and returns ours."""
    return [
        (M["cf_models"].DefaultCacheBehaviour, "__init__", wrap_cf_default_cache_behaviour_init),
        (M["cf_models"].Origin, "__init__", wrap_cf_origin_init),
        (M["cf_models"].ViewerCertificate, "__init__", wrap_cf_viewer_certificate_init),
        (M["cognitoidp_models"].CognitoIdpBackend, "create_user_pool_domain",
         wrap_cognito_create_user_pool_domain),
        (M["cognitoidp_models"].CognitoIdpUserPoolDomain, "to_json", wrap_cognito_domain_to_json),
        (M["cognitoidp_models"].CognitoIdpBackend, "delete_user_pool",
         wrap_cognito_delete_user_pool),
        (M["cf_models"].CloudFrontBackend, "create_distribution_with_tags",
         wrap_cf_create_distribution),
        (M["cf_models"].CloudFrontBackend, "update_distribution", wrap_cf_update_distribution),
        (M["cf_models"].CloudFrontBackend, "delete_distribution", wrap_cf_delete_distribution),
        (M["AcmBackend"], "delete_certificate", wrap_acm_delete_certificate),
        (M["AcmBackend"], "request_certificate", wrap_acm_request_certificate),
        (M["CertBundle"], "check", wrap_acm_check),
        (M["CertBundle"], "describe", wrap_acm_describe),
        (M["Route53Backend"], "delete_hosted_zone", wrap_route53_delete_hosted_zone),
        (M["S3Backend"], "delete_object", wrap_s3_delete_object),
        (M["Route53Backend"], "change_resource_record_sets",
         wrap_route53_change_resource_record_sets),
        (M["FakeZone"], "get_record_sets", wrap_route53_zone_get_record_sets),
        (M["lambda_models"].LambdaFunction, "__init__", wrap_lambda_init),
        (M["lambda_models"].LambdaFunction, "update_configuration",
         wrap_lambda_update_configuration),
        (M["lambda_models"].LambdaFunction, "get_configuration", wrap_lambda_get_configuration),
        (M["sesv2_models"].SESV2Backend, "create_email_identity",
         wrap_sesv2_create_email_identity),
        (M["sesv2_models"].SESV2Backend, "delete_email_identity",
         wrap_sesv2_delete_email_identity),
        (M["IAMPolicyStatement"], "is_action_permitted", wrap_iam_statement_is_action_permitted),
        (M["sns_models"].SNSBackend, "subscribe", wrap_sns_subscribe),
        (M["sns_models"].Subscription, "publish", wrap_sns_subscription_publish),
        (M["SNSResponse"], "subscribe", wrap_sns_response_subscribe),
        (M["SNSResponse"], "list_subscriptions", wrap_sns_response_list_subscriptions),
        (M["SNSResponse"], "list_subscriptions_by_topic",
         wrap_sns_response_list_subscriptions_by_topic),
        (M["SNSResponse"], "confirm_subscription", wrap_sns_response_confirm_subscription),
        (M["SesConfigurationSet"], "to_dict_v2", wrap_ses_config_set_to_dict_v2),
        (M["SESBackend"], "delete_configuration_set", wrap_ses_delete_configuration_set),
        (M["cloudwatch_models"].CloudWatchBackend, "put_metric_alarm", wrap_cw_put_metric_alarm),
        (M["BudgetsResponse"], "create_budget", wrap_budgets_create_budget),
        (M["BudgetsResponse"], "describe_notifications_for_budget",
         wrap_budgets_describe_notifications),
    ]


def install_wrapped_methods() -> None:
    for cls, name, factory in wrapped_methods():
        original = cls.__dict__.get(name)
        if original is None:
            raise RuntimeError(f"moto {M['version']} has no {cls.__name__}.{name} to wrap")
        setattr(cls, name, factory(original))


# ---------------------------------------------------------------------------------------------
# Operations moto routes but does not implement, added to moto's own response classes so that
# moto parses the request and writes the answer (XML or JSON) from the service model.


def cf_publish_function(self):
    """CloudFront PublishFunction: DEVELOPMENT is copied to LIVE. moto keeps one copy (it ignores
    the Stage parameter), so LIVE answers with the same ETag, as AWS does right after a publish."""
    name = self._get_param("Name")
    function = self.backend.describe_function(name=name)
    function.status = "UNASSOCIATED"
    return M["ActionResult"]({"FunctionSummary": function.function_summary})


def cf_update_function(self):
    """CloudFront UpdateFunction: new code and configuration, a new ETag, unpublished."""
    name = self._get_param("Name")
    function = self.backend.describe_function(name=name)
    config = self._get_param("FunctionConfig")
    if config:
        function.config = config
    code = self._get_param("FunctionCode")
    if code is not None:
        function.code = code
    function.status = "UNPUBLISHED"
    function.last_modified_time = M["utcnow"]()
    function.etag = M["random_id"]()
    return M["ActionResult"]({"FunctionSummary": function.function_summary, "ETag": function.etag})


def added_operations():
    """(response class, method name, implementation, url module, extra url path or None)."""
    return [
        (M["CloudFrontResponse"], "publish_function", cf_publish_function, M["cloudfront_urls"],
         "{0}/2020-05-31/function/(?P<function_name>[^/]+)/publish$"),
        (M["CloudFrontResponse"], "update_function", cf_update_function, M["cloudfront_urls"],
         None),
    ] + [
        (M["BudgetsResponse"], name, implementation, M["budgets_urls"], None)
        for name, implementation in (
            ("describe_subscribers_for_notification",
             budgets_describe_subscribers_for_notification),
            ("update_budget", budgets_update_budget),
            ("update_notification", budgets_update_notification),
            ("create_subscriber", budgets_create_subscriber),
            ("delete_subscriber", budgets_delete_subscriber),
            ("update_subscriber", budgets_update_subscriber),
            ("list_tags_for_resource", budgets_list_tags_for_resource),
            ("tag_resource", budgets_tag_resource),
            ("untag_resource", budgets_untag_resource),
        )
    ]


def install_added_operations() -> None:
    for cls, name, implementation, urls, path in added_operations():
        if hasattr(cls, name):
            raise RuntimeError(
                f"moto {M['version']} now has {cls.__name__}.{name}; remove siteup's version"
            )
        setattr(cls, name, implementation)
        if path is not None and path not in urls.url_paths:
            urls.url_paths[path] = cls.dispatch


# ---------------------------------------------------------------------------------------------
# The control endpoint


def control_health(_body):
    return 200, {
        "ok": True,
        "pid": os.getpid(),
        "port": PORT,
        "moto": M["version"],
        "script_version": SCRIPT_VERSION,
        "edge": {"port": EDGE.get("port"), "ca_file": EDGE.get("ca_file")},
    }


def control_state(_body):
    sync_ses_identities()
    with STATE_LOCK:
        identities = [
            describe_identity(account, region, backend, obj)
            for account, region, backend in all_ses_backends()
            for obj in list(backend.email_identities.values())
        ]
        accounts = {
            region: {
                "production_access": st["production"],
                "review": None if st["review"] is None else {
                    "status": st["review"]["Status"],
                    "case_id": st["review"]["CaseId"],
                },
                "details": st["details"],
            }
            for region, st in ACCOUNTS.items()
        }
        mails = {
            address: {"sent": count, "resends": max(0, count - 1)}
            for address, count in MAILS.items()
        }
        return 200, {
            "pid": os.getpid(),
            "moto": M["version"],
            "clock": clock_state(),
            "registry": dict(REGISTRY) or None,
            "identities": identities,
            "accounts": accounts,
            "verification_mails": mails,
            "identity_pool_roles": all_identity_pool_roles(),
            "account": dict(ACCOUNT_FLAGS),
        }


# ---------------------------------------------------------------------------------------------
# SES verifies a domain from its DNS records
#
# Real SES marks a domain identity verified (and its DKIM SUCCESS) only once it finds the three
# DKIM CNAMEs `<token>._domainkey.<domain>` pointing at `<token>.<DKIM domain>`, where the DKIM
# domain depends on the identity's region; and a custom MAIL FROM domain only once its MX record
# points at `feedback-smtp.<region>.amazonses.com` and its SPF record allows amazonses.com.
# Sources: AWS General Reference, "Amazon Simple Email Service endpoints and quotas", section
# "SES DKIM domains" (https://docs.aws.amazon.com/general/latest/gr/ses.html#ses_dkim_domains);
# SES Developer Guide, "Easy DKIM" (https://docs.aws.amazon.com/ses/latest/dg/send-email-authentication-dkim-easy.html)
# and "Using a custom MAIL FROM domain" (https://docs.aws.amazon.com/ses/latest/dg/mail-from.html).
# Here the records are read from the emulator's own Route 53 zones (the sandbox serves those
# zones through its registrar), so the control endpoint cannot mark a domain verified while the
# records are missing or wrong.

SES_DEFAULT_DKIM_DOMAIN = "dkim.amazonses.com"
# The regions whose DKIM domain is their own (the General Reference's "SES DKIM domains" table).
SES_REGIONAL_DKIM_DOMAINS = {
    region: f"dkim.{region}.amazonses.com"
    for region in (
        "af-south-1",
        "ap-northeast-3",
        "ap-south-2",
        "ap-southeast-3",
        "ap-southeast-5",
        "ca-west-1",
        "eu-central-2",
        "eu-south-1",
        "il-central-1",
        "me-central-1",
        "us-gov-east-1",
    )
}


def ses_dkim_domain(region: str) -> str:
    return SES_REGIONAL_DKIM_DOMAINS.get(region, SES_DEFAULT_DKIM_DOMAIN)


def bare(name: str) -> str:
    return (name or "").strip().rstrip(".").lower()


def find_zone(account: str, domain: str):
    """The public Route 53 zone of the account that holds `domain` (the longest match), or
    None."""
    per_account = M["route53_backends"].get(account) or {}
    best = None
    for backend in list(per_account.values()):
        for zone in list(backend.zones.values()):
            if zone.private_zone:
                continue
            zname = bare(zone.name)
            if domain == zname or domain.endswith("." + zname):
                if best is None or len(zname) > len(bare(best.name)):
                    best = zone
    return best


def records_of(zone) -> dict:
    """A zone's records as {(name, type): [values]}."""
    records: dict = {}
    for rr in list(zone.rrsets):
        values = [bare(v) if rr.type == "CNAME" else str(v).strip() for v in (rr.records or [])]
        records.setdefault((bare(rr.name), rr.type), []).extend(values)
    return records


def zone_records(account: str, domain: str) -> dict | None:
    """The records of the public Route 53 zone that holds `domain` (the longest match), as
    {(name, type): [values]}; None when no zone holds it."""
    zone = find_zone(account, domain)
    return None if zone is None else records_of(zone)


def dns_problems(account: str, region: str, backend, obj, st: dict) -> list[str]:
    """Why SES could not verify this domain identity from DNS now (empty: it can)."""
    domain = bare(obj.email_identity)
    zone = find_zone(account, domain)
    if zone is None:
        return [f"no Route 53 zone holds {domain}"]
    problems = []
    delegation = delegation_problem(zone)
    if delegation is not None:
        problems.append(delegation)
    records = records_of(zone)
    target = ses_dkim_domain(region)
    for token in st["tokens"]:
        name = f"{token}._domainkey.{domain}"
        want = f"{token}.{target}"
        got = records.get((name, "CNAME"), [])
        if want not in got:
            shown = ", ".join(got) if got else "no record"
            problems.append(f"the DKIM CNAME {name} must point at {want} (found: {shown})")
    mail_from = mail_from_v2(backend, obj, st)
    if mail_from is not None:
        mdomain = bare(mail_from["MailFromDomain"])
        want_mx = f"10 feedback-smtp.{region}.amazonses.com"
        mx = [bare(v) for v in records.get((mdomain, "MX"), [])]
        if want_mx not in mx:
            problems.append(f"the MAIL FROM domain {mdomain} needs the MX record {want_mx}")
        spf = [v.strip('"') for v in records.get((mdomain, "TXT"), [])]
        if not any(v.startswith("v=spf1") and "include:amazonses.com" in v for v in spf):
            problems.append(
                f"the MAIL FROM domain {mdomain} needs an SPF record that includes amazonses.com"
            )
    return problems


# ---------------------------------------------------------------------------------------------
# Delegation: AWS reads a zone's records only through the delegation at the registry
#
# A Route 53 zone answers the world only once the domain's registry delegates the domain to the
# zone's nameservers; until then resolvers (and so ACM's and SES's checks) ask the old DNS
# service. Source: Amazon Route 53 Developer Guide, "Making Amazon Route 53 the DNS service for
# a domain that's in use" (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/migrate-dns-domain-in-use.html),
# step "Update the NS records with your DNS registrar to use Route 53 name servers".
# The sandbox's registrar (siteup's TLD server on loopback, where the person's nameserver change
# lands) is asked with a plain NS query. When siteup gave no registry (the emulator used alone,
# as in tests), every zone counts as delegated; so does a zone outside the registry's TLD.

DNS_QUERY_TIMEOUT = 1.0


def dns_name_wire(name: str) -> bytes:
    out = b""
    for label in bare(name).split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError(f"the name {name} has an empty or too long label")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def read_dns_name(packet: bytes, offset: int) -> tuple[str, int]:
    """A (possibly compressed) name at `offset`, and the offset after it."""
    labels = []
    end = None
    jumps = 0
    while True:
        if offset >= len(packet):
            raise ValueError("a name runs past the end of the answer")
        length = packet[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(packet):
                raise ValueError("a name pointer runs past the end of the answer")
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | packet[offset + 1]
            jumps += 1
            if jumps > 64:
                raise ValueError("a name pointer loops")
            continue
        if length == 0:
            if end is None:
                end = offset + 1
            return ".".join(labels).lower(), end
        labels.append(packet[offset + 1 : offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length


def parse_ns_answer(packet: bytes, domain: str) -> list[str]:
    """The NS names for `domain` in an answer (answer and authority sections: a TLD server
    answers with a referral)."""
    _qid, flags, qdcount, ancount, nscount, _arcount = struct.unpack("!HHHHHH", packet[:12])
    rcode = flags & 0xF
    if rcode == 3:  # NXDOMAIN: the registry has no such domain
        return []
    if rcode != 0:
        raise ValueError(f"it answered with DNS error code {rcode}")
    offset = 12
    for _ in range(qdcount):
        _name, offset = read_dns_name(packet, offset)
        offset += 4
    names = set()
    for _ in range(ancount + nscount):
        owner, offset = read_dns_name(packet, offset)
        if offset + 10 > len(packet):
            raise ValueError("a record runs past the end of the answer")
        rtype, _rclass, _ttl, rdlength = struct.unpack("!HHIH", packet[offset : offset + 10])
        offset += 10
        if rtype == 2 and owner == bare(domain):
            target, _end = read_dns_name(packet, offset)
            names.add(target)
        offset += rdlength
    return sorted(names)


def registry_nameservers(host: str, port: int, domain: str) -> list[str]:
    """Asks the registry's TLD server (loopback only) which nameservers `domain` is delegated
    to. Raises OSError or ValueError when it cannot tell."""
    if loopback_host(host) is None:
        raise ValueError(f"{host} is not a loopback address")
    query_id = secrets.randbelow(65536)
    query = struct.pack("!HHHHHH", query_id, 0, 1, 0, 0, 0)
    query += dns_name_wire(domain) + struct.pack("!HH", 2, 1)  # NS, IN
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        for _attempt in range(2):
            sock.sendto(query, (host, port))
            deadline = time.monotonic() + DNS_QUERY_TIMEOUT
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                try:
                    packet, _peer = sock.recvfrom(4096)
                except TimeoutError:
                    break
                if len(packet) < 12:
                    continue
                answer_id, flags = struct.unpack("!HH", packet[:4])
                if answer_id == query_id and flags & 0x8000:
                    return parse_ns_answer(packet, domain)
    raise TimeoutError("no answer")


def zone_nameservers(zone) -> set[str]:
    """The nameservers Route 53 gave the zone (moto gives every zone the same set)."""
    delegation = getattr(zone, "delegation_set", None)
    names = list(getattr(delegation, "name_servers", None) or [])
    if not names:
        for rr in list(zone.rrsets):
            if rr.type == "NS" and bare(rr.name) == bare(zone.name):
                names.extend(rr.records or [])
    return {bare(n) for n in names}


def delegation_problem(zone) -> str | None:
    """Why the world cannot reach this zone now (None: the registry delegates its domain to
    the zone's nameservers, or no registry was given)."""
    with STATE_LOCK:
        registry = dict(REGISTRY)
    domain = bare(zone.name)
    if not registry or not (domain == registry["tld"] or domain.endswith("." + registry["tld"])):
        # No registry, or not this domain's: nothing known about its delegation.
        return None
    where = f"{registry['host']}:{registry['port']}"
    try:
        got = registry_nameservers(registry["host"], registry["port"], domain)
    except (OSError, ValueError) as error:
        return f"the registry at {where} did not say where {domain} is delegated ({error})"
    want = zone_nameservers(zone)
    if not got:
        return f"the registry at {where} does not delegate {domain}"
    if not set(got) <= want:
        return (
            f"the registry delegates {domain} to {', '.join(got)}, not to its Route 53 "
            f"nameservers ({', '.join(sorted(want))})"
        )
    return None


# ---------------------------------------------------------------------------------------------
# ACM issues a certificate from DNS, and stops trying after 72 hours
#
# An AMAZON_ISSUED certificate with DNS validation is issued only once ACM finds, for every
# validation option, the CNAME `resource_record_name` -> `resource_record_value` through the
# domain's delegation. Sources: AWS Certificate Manager User Guide, "AWS Certificate Manager DNS
# validation" (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html). ACM tries
# for 72 hours, then the certificate turns VALIDATION_TIMED_OUT for good (the request must be
# deleted and made again): AWS Certificate Manager API Reference, CertificateDetail, Status
# (https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateDetail.html): "ACM makes
# repeated attempts to validate a certificate for 72 hours and then times out".
# moto issues every certificate MOTO_ACM_VALIDATION_WAIT seconds (60) after its request; here
# that wait still applies, and also the records and the delegation. A certificate whose records
# were right before a clock jump counts as issued then (ACM checks every few minutes).

ACM_VALIDATION_TIMEOUT = 72 * 3600.0


def certificate_account(cert) -> str:
    parts = str(cert.arn).split(":")
    return parts[4] if len(parts) > 4 else M["default_account"]


def acm_validation_problems(cert) -> list[str]:
    """Why ACM could not validate this certificate from DNS now (empty: it can)."""
    account = certificate_account(cert)
    options = cert.describe()["Certificate"].get("DomainValidationOptions")
    problems: list[str] = []
    zones_checked: set = set()
    for option in options or []:
        record = option.get("ResourceRecord") or {}
        name, value = bare(record.get("Name", "")), bare(record.get("Value", ""))
        zone = find_zone(account, name)
        if zone is None:
            problems.append(f"no Route 53 zone holds {name}")
            continue
        if zone.id not in zones_checked:
            zones_checked.add(zone.id)
            delegation = delegation_problem(zone)
            if delegation is not None:
                problems.append(delegation)
        got = records_of(zone).get((name, "CNAME"), [])
        if value not in got:
            shown = ", ".join(got) if got else "no record"
            problems.append(f"the validation CNAME {name} must point at {value} (found: {shown})")
    return problems


def wrap_acm_request_certificate(original):
    def request_certificate(self, *args, **kwargs):
        arn = original(self, *args, **kwargs)
        cert = self._certificates.get(arn)
        if cert is not None and getattr(cert, "_siteup_requested", None) is None:
            cert._siteup_requested = clock_now()
        return arn
    return request_certificate


def wrap_acm_check(original):
    def check(self):
        if self.type != "AMAZON_ISSUED" or self.status != "PENDING_VALIDATION":
            return original(self)
        now = clock_now()
        requested = getattr(self, "_siteup_requested", None)
        if requested is None:
            requested = self._siteup_requested = self.created_at.replace(
                tzinfo=datetime.timezone.utc
            ).timestamp()
        if acm_validation_problems(self):
            self._siteup_ready_since = None
        elif getattr(self, "_siteup_ready_since", None) is None:
            self._siteup_ready_since = now
        ready_since = getattr(self, "_siteup_ready_since", None)
        if ready_since is not None:
            issue_at = max(ready_since, requested + M["moto_settings"].ACM_VALIDATION_WAIT)
            if issue_at < requested + ACM_VALIDATION_TIMEOUT and now >= issue_at:
                self.status = "ISSUED"
                return None
        if now - requested >= ACM_VALIDATION_TIMEOUT:
            self.status = "VALIDATION_TIMED_OUT"
        return None
    return check


def wrap_acm_describe(original):
    def describe(self):
        data = original(self)
        if self.status == "VALIDATION_TIMED_OUT":
            # Per name, ACM's DomainStatus has no timed-out value: the validation FAILED.
            for option in data["Certificate"].get("DomainValidationOptions") or []:
                option["ValidationStatus"] = "FAILED"
        return data
    return describe


def all_certificates():
    for per_account in list(M["acm_backends"].values()):
        for backend in list(per_account.values()):
            yield from list(backend._certificates.values())


# ---------------------------------------------------------------------------------------------
# CloudFront deploys a distribution to its edge locations, and the edge answers over HTTPS
#
# A distribution is InProgress after it is created or updated, and Deployed once its
# configuration has reached every edge location: Amazon CloudFront API Reference, Distribution,
# Status (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_Distribution.html:
# "When the status is Deployed, the distribution's information is fully propagated to all
# CloudFront edge locations"); this takes minutes, which is why terraform's provider waits for it
# unless `wait_for_deployment = false` (Terraform AWS provider 5.100, aws_cloudfront_distribution,
# wait_for_deployment: "If enabled, the resource will wait for the distribution status to change
# from InProgress to Deployed",
# https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/cloudfront_distribution).
# moto's own state manager moves a distribution to Deployed on its first read
# ("cloudfront::distribution", transitions InProgress -> Deployed, immediate by default); here
# the status comes from the emulator's clock instead: InProgress for EDGE_DEPLOY_SECONDS after
# each create or update (real AWS: minutes, compressed), then Deployed.
#
# The edge: a TLS server on loopback that plays CloudFront's edge for the sandbox. It answers
# for a name only when a distribution lists it among its aliases, is Deployed, and its ACM
# certificate is ISSUED (before that, real CloudFront has no certificate for the name: the TLS
# handshake fails; an update deploys while the edge keeps serving), with a certificate for the
# name signed by a CA this emulator generates
# (written to edge-ca.pem beside the ready file). It serves the objects of the distribution's S3
# origin with the headers CloudFront adds (Via ... (CloudFront), X-Cache, X-Amz-Cf-Pop,
# X-Amz-Cf-Id: Amazon CloudFront Developer Guide, "How CloudFront processes HTTP and HTTPS
# requests", https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorS3Origin.html).
# A missing key answers 403 AccessDenied, as S3 does behind an origin access control when the
# distribution may not list the bucket (Amazon S3 User Guide, "Troubleshoot access denied (403
# Forbidden) errors", https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html),
# unless the distribution maps 403 to a custom error page that exists ("Generating custom error
# responses",
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/GeneratingCustomErrorResponses.html).

EDGE_DEPLOY_SECONDS = 30.0
EDGE_CA_FILE = "edge-ca.pem"
# {"port", "ca_file", "dir", "ca_key", "ca_cert", "contexts": {name: SSLContext}}
EDGE: dict = {}


def start_deployment(dist) -> None:
    now = clock_now()
    dist._siteup_deployed_at = now + EDGE_DEPLOY_SECONDS
    if getattr(dist, "_siteup_first_deployed_at", None) is None:
        dist._siteup_first_deployed_at = dist._siteup_deployed_at
    dist.last_modified_time = (
        datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def wrap_cf_create_distribution(original):
    def create_distribution_with_tags(self, distribution_config, tags):
        dist, location, etag = original(self, distribution_config, tags)
        start_deployment(dist)
        return dist, location, etag
    return create_distribution_with_tags


def wrap_cf_update_distribution(original):
    def update_distribution(self, dist_config, _id, if_match):
        dist, location, etag = original(self, dist_config, _id, if_match)
        start_deployment(dist)
        return dist, location, etag
    return update_distribution


# Deleting a distribution: "Before you can delete a distribution, you must disable it", and the
# disable must have propagated (Status Deployed) first; else DeleteDistribution answers
# DistributionNotDisabled, HTTP 409 (Amazon CloudFront API Reference, DeleteDistribution,
# https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DeleteDistribution.html: disable,
# "GET Distribution ... to confirm that your changes have propagated. When propagation is
# complete, the value of Status is Deployed", then DELETE). moto deletes an enabled distribution.


def distribution_enabled(dist) -> bool:
    value = getattr(dist.distribution_config, "Enabled", True)
    if isinstance(value, str):
        return value.strip().lower() != "false"
    return bool(value)


def wrap_cf_delete_distribution(original):
    def delete_distribution(self, distribution_id, if_match):
        dist = self.distributions.get(distribution_id)
        if dist is not None and if_match:
            if distribution_enabled(dist):
                raise M["CloudFrontException"](
                    "DistributionNotDisabled",
                    "The distribution you are trying to delete has not been disabled.",
                )
            if distribution_status(dist) != "Deployed":
                raise M["CloudFrontException"](
                    "DistributionNotDisabled",
                    "The distribution you are trying to delete has not been disabled: its "
                    "change to disabled is still InProgress.",
                )
        return original(self, distribution_id, if_match)
    return delete_distribution


def distribution_status(dist) -> str:
    deployed_at = getattr(dist, "_siteup_deployed_at", None)
    return "InProgress" if deployed_at is not None and clock_now() < deployed_at else "Deployed"


def install_distribution_status() -> None:
    # moto's ManagedState keeps `status` as a property on its base class: ours reads the clock.
    M["cf_models"].Distribution.status = property(
        distribution_status, lambda self, value: None
    )


def all_distributions():
    for per_account in list(M["cloudfront_backends"].values()):
        for backend in list(per_account.values()):
            yield from list(backend.distributions.values())


def xml_items(container, item: str) -> list:
    """The items of a list moto keeps as parsed XML: {"Items": {item: one or [many]}}."""
    items = (container or {}).get("Items") if isinstance(container, dict) else None
    if isinstance(items, dict):
        items = items.get(item)
    if items is None:
        return []
    return items if isinstance(items, list) else [items]


def distribution_aliases(dist) -> list[str]:
    return [bare(str(a)) for a in xml_items(dist.distribution_config.Aliases, "CNAME")]


def certificate_status(arn: str) -> str | None:
    for cert in all_certificates():
        if cert.arn == arn:
            cert.check()
            return cert.status
    return None


def edge_distribution(host: str):
    """(the distribution the edge answers `host` for, None) or (None, why it does not)."""
    with STATE_LOCK:
        for dist in all_distributions():
            if host not in distribution_aliases(dist):
                continue
            # An update deploys while the edge keeps serving the configuration it has; a new
            # distribution is served only once its first deployment is done.
            first = getattr(dist, "_siteup_first_deployed_at", None)
            if first is not None and clock_now() < first:
                return None, f"distribution {dist.distribution_id} is still InProgress"
            arn = dist.distribution_config.ViewerCertificate.acm_certificate_arn
            status = certificate_status(arn) if arn else None
            if status != "ISSUED":
                return None, f"its certificate {arn or '(none)'} is {status or 'missing'}"
            return dist, None
    return None, "no distribution lists it as an alias"


def make_edge_ca(directory: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "siteup sandbox edge CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    os.makedirs(directory, exist_ok=True)
    ca_file = os.path.join(directory, EDGE_CA_FILE)
    tmp = f"{ca_file}.tmp-{os.getpid()}"
    with open(tmp, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp, ca_file)
    EDGE.update(ca_key=key, ca_cert=cert, ca_file=ca_file, dir=directory, contexts={})


def edge_context(host: str):
    """A server TLS context with a certificate for `host` signed by the sandbox CA (cached)."""
    import ssl
    import tempfile
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    with STATE_LOCK:
        if host in EDGE["contexts"]:
            return EDGE["contexts"][host]
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key, ca_cert = EDGE["ca_key"], EDGE["ca_cert"]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=395))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        with tempfile.NamedTemporaryFile("wb", dir=EDGE["dir"], suffix=".pem", delete=False) as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
            f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
            f.write(key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ))
            chain = f.name
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(chain)
        finally:
            os.remove(chain)
        EDGE["contexts"][host] = context
        return context


def edge_sni(sslsock, server_name, _context):
    import ssl

    host = bare(server_name or "")
    _dist, why = edge_distribution(host) if host else (None, "the client named no host (SNI)")
    if why is not None:
        log(f"edge: no certificate for {host or '(no name)'}: {why}")
        return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
    sslsock.context = edge_context(host)
    return None


def origin_object(dist, key: str):
    """The S3 object `key` of the distribution's default origin, or None."""
    config = dist.distribution_config
    target = config.DefaultCacheBehavior.target_origin_id
    origins = [o for o in config.Origins["Items"] if o.id == target]
    if not origins:
        return None
    bucket = bare(origins[0].domain_name).split(".s3.")[0].split(".s3-")[0]
    account = str(dist.arn).split(":")[4]
    backend = M["s3_backends"][account]["aws"]
    try:
        return backend.get_object(bucket, key)
    except Exception:  # noqa: BLE001 - a missing bucket is a missing object
        return None


def error_page(dist, code: int):
    """(response code, page path) of the distribution's custom error response for `code`."""
    for item in xml_items(dist.distribution_config.CustomErrorResponses, "CustomErrorResponse"):
        if str(item.get("ErrorCode")) == str(code) and item.get("ResponsePagePath"):
            return int(item.get("ResponseCode") or code), str(item["ResponsePagePath"])
    return None


def make_edge_handler():
    import http.server

    class EdgeHandler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "CloudFront"
        sys_version = ""

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            log("edge: " + (format % args))

        def answer(self, status: int, body: bytes, headers: list, head: bool) -> None:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Via", "1.1 siteup-sandbox.cloudfront.net (CloudFront)")
            self.send_header("X-Amz-Cf-Pop", "SBX1-C1")
            self.send_header("X-Amz-Cf-Id", secrets.token_urlsafe(40))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def serve(self, head: bool) -> None:
            host = bare((self.headers.get("Host") or "").rsplit(":", 1)[0])
            dist, why = edge_distribution(host)
            if dist is None:
                # CloudFront's own refusal of a name it does not serve.
                body = b"<html><body><h1>403 ERROR</h1>The request could not be satisfied.</body></html>"
                self.answer(403, body, [("Server", "CloudFront"), ("Content-Type", "text/html"),
                                        ("X-Cache", "Error from cloudfront")], head)
                log(f"edge: refused {host}: {why}")
                return
            path = unquote(self.path.split("?", 1)[0])
            key = path.lstrip("/") or (dist.distribution_config.DefaultRootObject or "")
            obj = origin_object(dist, key) if key else None
            status = 200
            if obj is None:
                page = error_page(dist, 403)
                if page is not None:
                    obj = origin_object(dist, page[1].lstrip("/"))
                    status = page[0]
            if obj is None:
                request_id = secrets.token_hex(8).upper()
                body = (
                    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                    f"<Message>Access Denied</Message><RequestId>{request_id}</RequestId></Error>"
                ).encode()
                self.answer(403, body, [("Server", "AmazonS3"), ("Content-Type", "application/xml"),
                                        ("X-Cache", "Error from cloudfront")], head)
                return
            body = obj.value
            content_type = obj.metadata.get("Content-Type") or "binary/octet-stream"
            self.answer(status, body, [("Server", "AmazonS3"), ("Content-Type", content_type),
                                       ("ETag", obj.etag), ("X-Cache", "Miss from cloudfront")],
                        head)

        def do_GET(self):  # noqa: N802 - the base class's name
            self.serve(head=False)

        def do_HEAD(self):  # noqa: N802
            self.serve(head=True)

    return EdgeHandler


def start_edge(host: str, directory: str):
    """Starts the HTTPS edge on `host` (a free port); returns the server."""
    import http.server
    import socketserver
    import ssl

    make_edge_ca(directory)
    # The base context needs a certificate of its own; a client that names a served host gets
    # that host's instead (edge_sni), any other name is refused.
    base = edge_context("edge.sandbox.invalid")
    base.sni_callback = edge_sni

    class EdgeServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

        def finish_request(self, request, client_address):
            # The handshake happens in the request's thread, so a silent client blocks nobody.
            request.settimeout(10)
            try:
                tls = base.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as error:
                log(f"edge: TLS handshake with {client_address[0]} failed: {error}")
                return
            try:
                self.RequestHandlerClass(tls, client_address, self)
            finally:
                try:
                    tls.close()
                except OSError:
                    pass

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    EdgeServer.address_family = family
    server = EdgeServer((host, 0), make_edge_handler())
    EDGE["port"] = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    return server


# ---------------------------------------------------------------------------------------------
# The clock


def set_identity_status(backend, obj, st: dict, status: str) -> None:
    st["verification"] = status
    if is_domain(obj):
        st["dkim"] = status
    if mail_from_v2(backend, obj, st) is not None:
        st["mail_from"]["status"] = status
    mirror_identity(obj, st)


def sweep() -> None:
    """Lets AWS act at the emulator's current time: ACM checks every pending certificate, SES
    verifies every pending domain whose records are right (as its own periodic check would) and
    both apply their timeouts."""
    with STATE_LOCK:
        expire_sns_subscriptions()
        for cert in all_certificates():
            cert.check()
        for account, region, backend in all_ses_backends():
            for obj in list(backend.email_identities.values()):
                st = identity_state(backend, obj)
                if (
                    is_domain(obj)
                    and st["verification"] == "PENDING"
                    and not dns_problems(account, region, backend, obj, st)
                ):
                    set_identity_status(backend, obj, st, "SUCCESS")


def clock_state() -> dict:
    return {"offset_seconds": CLOCK["offset"], "now": now_epoch()}


def control_clock(body):
    seconds = body.get("advance_seconds")
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds)
        or seconds < 0
    ):
        return 400, {
            "error": "give the seconds to move the emulator's clock forward, e.g. "
            "{\"advance_seconds\": 3600}; it never goes back"
        }
    with STATE_LOCK:
        # What AWS would have done before the jump happens first, at the old time.
        sweep()
        CLOCK["offset"] += float(seconds)
        sweep()
        return 200, {"clock": clock_state()}


def control_registry(body):
    host = body.get("host")
    port = body.get("port")
    tld = body.get("tld")
    if (
        not isinstance(host, str)
        or loopback_host(host) is None
        or isinstance(port, bool)
        or not isinstance(port, int)
        or not 0 < port < 65536
        or not isinstance(tld, str)
        or not bare(tld)
    ):
        return 400, {
            "error": "give the registry's TLD server as a loopback address, a port and the "
            "zone it serves, e.g. {\"host\": \"127.0.53.2\", \"port\": 5353, \"tld\": \"com\"}"
        }
    with STATE_LOCK:
        REGISTRY.clear()
        REGISTRY.update(host=loopback_host(host), port=port, tld=bare(tld))
        return 200, {"registry": dict(REGISTRY)}


# ---------------------------------------------------------------------------------------------
# Mail needs a mailbox
#
# An address identity turns SUCCESS only when a person clicks the link SES mails to it, so the
# mail must be deliverable: SES Developer Guide, "Creating an email address identity"
# (https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html#verify-email-addresses-procedure:
# "check the inbox of the email address ... and click the link"). Mail to a domain goes to its
# MX hosts (RFC 5321 section 5.1, https://www.rfc-editor.org/rfc/rfc5321#section-5.1); the
# fallback to the domain's A record reaches no mail server for a site behind CloudFront. So the
# sandbox "inbox" can click the link only for an address whose domain has MX records in the
# emulator's zone, or an address in a domain no zone here holds (a real inbox elsewhere).


def mailbox_problems(account: str, address: str) -> list[str]:
    """Why mail to `address` cannot reach a mailbox (empty: it can)."""
    domain = bare(address.rpartition("@")[2])
    records = zone_records(account, domain)
    if records is None:
        return []
    if records.get((domain, "MX")):
        return []
    return [
        f"mail to {address} has nowhere to go: {domain} has no MX record, so nobody can open "
        "the verification mail"
    ]


def control_verify(body):
    name = body.get("identity")
    if not isinstance(name, str) or not name:
        return 400, {"error": "give the identity to mark verified, e.g. {\"identity\": \"example.com\"}"}
    status = body.get("status", "SUCCESS")
    if status not in IDENTITY_STATUSES:
        return 400, {"error": f"status must be one of {', '.join(IDENTITY_STATUSES)}"}
    only_region = body.get("region")
    sync_ses_identities()
    updated = []
    refused = []
    with STATE_LOCK:
        for account, region, backend in all_ses_backends():
            if only_region and region != only_region:
                continue
            obj = lookup_identity(backend, name)
            if obj is None:
                continue
            st = identity_state(backend, obj)
            if st.get("expired") == "domain":
                refused.append(
                    f"{region}: SES stopped checking {name} 72 hours after the identity was "
                    "created and marked it FAILED; delete the identity and create it again"
                )
                continue
            if st.get("expired") == "link":
                refused.append(
                    f"{region}: the verification link sent to {name} expired 24 hours after "
                    "the last mail; resend the mail (SES VerifyEmailIdentity) and click the "
                    "new link"
                )
                continue
            if status == "SUCCESS":
                if is_domain(obj):
                    problems = dns_problems(account, region, backend, obj, st)
                else:
                    problems = mailbox_problems(account, bare(obj.email_identity))
                if problems:
                    refused.append(f"{region}: " + "; ".join(problems))
                    continue
            set_identity_status(backend, obj, st, status)
            updated.append(describe_identity(account, region, backend, obj))
    if refused and not updated:
        return 409, {
            "error": f"SES cannot verify {name} yet: " + " | ".join(refused),
            "refused": refused,
        }
    if not updated:
        where = f" in {only_region}" if only_region else ""
        return 404, {
            "error": f"no SES identity named {name} exists in the emulator{where}; "
            "create it (CreateEmailIdentity or terraform) before marking it verified"
        }
    return 200, {"identity": name, "updated": updated}


def control_review(body):
    status = body.get("status")
    if status not in REVIEW_STATUSES:
        return 400, {"error": f"status must be one of {', '.join(REVIEW_STATUSES)}"}
    region = body.get("region")
    with STATE_LOCK:
        if region:
            targets = [region]
        else:
            targets = [r for r, st in ACCOUNTS.items() if st["review"] is not None]
        if not targets:
            return 409, {
                "error": "no production-access request has been submitted in any region; "
                "submit one with PutAccountDetails first, or name the region"
            }
        result = {}
        for target in targets:
            st = account_state(target)
            if st["review"] is None:
                st["review"] = {"Status": status, "CaseId": new_case_id()}
            st["review"]["Status"] = status
            st["production"] = status == "GRANTED"
            result[target] = {"status": status, "case_id": st["review"]["CaseId"],
                              "production_access": st["production"]}
    return 200, {"regions": result}


def control_account(body):
    verified = body.get("cloudfront_verified")
    if not isinstance(verified, bool):
        return 400, {
            "error": "give the account's CloudFront verification as a boolean, e.g. "
            "{\"cloudfront_verified\": false} for a new account"
        }
    with STATE_LOCK:
        ACCOUNT_FLAGS["cloudfront_verified"] = verified
        return 200, dict(ACCOUNT_FLAGS)


def control_reset(_body):
    with STATE_LOCK:
        M["moto_api_backend"].reset()
        reset_our_state()
    return 200, {"reset": True}


def control_dns_zone(body):
    domain = body.get("domain")
    if not isinstance(domain, str) or not domain.strip():
        return 400, {"error": 'give the domain whose zone to read, e.g. {"domain": "example.com"}'}
    domain = bare(domain)
    with STATE_LOCK:
        zone = None
        for account in list(M["route53_backends"].keys()):
            found = find_zone(account, domain)
            if found is not None and (zone is None or len(bare(found.name)) > len(bare(zone.name))):
                zone = found
        if zone is None:
            return 200, {"zone": None}
        records = []
        for rr in list(zone.rrsets):
            if getattr(rr, "alias_target", None):
                continue
            values = [str(v).strip() for v in (rr.records or [])]
            if not values:
                continue
            ttl = rr.ttl
            try:
                ttl = int(ttl) if ttl is not None else 300
            except (TypeError, ValueError):
                ttl = 300
            records.append({"name": bare(rr.name), "type": rr.type, "ttl": ttl, "values": values})
        return 200, {
            "zone": {
                "name": bare(zone.name),
                "nameservers": sorted(zone_nameservers(zone)),
                "records": records,
            }
        }


CONTROL_ROUTES = {
    ("GET", "health"): control_health,
    ("GET", "state"): control_state,
    ("POST", "identities/verify"): control_verify,
    ("POST", "clock"): control_clock,
    ("POST", "registry"): control_registry,
    ("POST", "review"): control_review,
    ("POST", "account"): control_account,
    ("POST", "reset"): control_reset,
    ("GET", "sns/messages"): control_sns_messages,
    ("POST", "sns/confirm"): control_sns_confirm,
    ("POST", "ses/bounce"): control_ses_bounce,
    ("POST", "dns/zone"): control_dns_zone,
}


def handle_control(req: ApiRequest) -> Response:
    sub = req.path[len(CONTROL_PREFIX):].strip("/")
    handler = CONTROL_ROUTES.get((req.method, sub))
    if handler is None:
        known = sorted(f"{m} {CONTROL_PREFIX}{p}" for m, p in CONTROL_ROUTES)
        if any(p == sub for _m, p in CONTROL_ROUTES):
            return json_response({"error": f"wrong method for {req.path}", "routes": known}, 405)
        return json_response({"error": f"no control route {req.method} {req.path}",
                              "routes": known}, 404)
    try:
        body = req.json() if req.method == "POST" else {}
    except ApiError as error:
        return json_response({"error": error.message}, 400)
    status, payload = handler(body)
    return json_response(payload, status)


# ---------------------------------------------------------------------------------------------
# The WSGI middleware in front of moto


class SiteupMiddleware:
    def __init__(self, moto_app):
        self.moto_app = moto_app

    def __call__(self, environ, start_response):
        try:
            req = ApiRequest(environ)
            if req.path.startswith(CONTROL_PREFIX) or req.path == CONTROL_PREFIX.rstrip("/"):
                return handle_control(req).send(start_response)
            if req.service in ("ses", "sesv2"):
                sync_ses_identities()
            elif req.service == "sns":
                expire_sns_subscriptions()
            for rule in RULES:
                params = rule.match(req)
                if params is not None:
                    return self.apply(rule, params, req, environ).send(start_response)
            return self.moto_app(environ, start_response)
        except Exception:  # noqa: BLE001 - never let a bug of ours kill the server thread
            log("internal error:\n" + traceback.format_exc())
            return json_response(
                {"__type": "InternalFailure", "message": "siteup emulator internal error; see its log"},
                500,
            ).send(start_response)

    def apply(self, rule: Rule, params: dict, req: ApiRequest, environ) -> Response:
        with STATE_LOCK:
            # Read the body first (it is put back for moto), so that an `after` patch can read
            # it too.
            req.body()
            try:
                if rule.replace is not None:
                    return rule.replace(req, **params)
                if rule.before is not None:
                    early = rule.before(req, **params)
                    if early is not None:
                        return early
                status, headers, body = call_moto(self.moto_app, environ)
                if rule.after is not None:
                    status, headers, body = rule.after(req, status, headers, body, **params)
                return Response(status, body, headers)
            except ApiError as error:
                return error.response(rule.protocol)


# ---------------------------------------------------------------------------------------------
# Process


def write_ready_file(path: str, payload: dict) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(payload, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def remove_ready_file(path: str) -> None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("pid") == os.getpid():
            os.remove(path)
    except (OSError, ValueError):
        pass


def self_check(url: str, timeout: float) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with opener.open(url + CONTROL_PREFIX + "health", timeout=2) as answer:
                data = json.loads(answer.read())
                if data.get("pid") == os.getpid():
                    return True
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return False


def redirect_output(path: str) -> None:
    """Send fds 1 and 2 (ours, werkzeug's and moto's output) to the log file."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="siteup's AWS emulator (moto plus extras)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=0, help="port (0: pick a free one)")
    parser.add_argument("--ready-file", help="write {pid, port, url} here once answering")
    parser.add_argument("--log", help="append stdout and stderr to this file")
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when the process that started us goes away",
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    global PORT
    args = parse_args(argv)
    if args.log:
        try:
            redirect_output(args.log)
        except OSError as error:
            log(f"cannot open the log file {args.log}: {error.strerror}; choose a writable path")
            return 2
    host = loopback_host(args.host)
    if host is None:
        log(
            f"refusing to listen on {args.host}: the emulator has no authentication, so it "
            "binds loopback addresses only (127.0.0.1 or ::1)"
        )
        return 2
    if not 0 <= args.port <= 65535:
        log(f"--port {args.port} is not a port number; use 0 for a free port")
        return 2

    problem = check_imports()
    if problem is not None:
        log(problem)
        return 3
    load_moto()
    install_backend_patches()
    install_added_operations()
    install_wrapped_methods()
    install_distribution_status()

    import werkzeug.serving
    from werkzeug.serving import make_server

    # A plain log file: no ANSI colours around the status codes of werkzeug's request lines.
    if hasattr(werkzeug.serving, "_log_add_style"):
        werkzeug.serving._log_add_style = False

    app = SiteupMiddleware(M["DomainDispatcherApplication"](M["create_backend_app"]))
    try:
        server = make_server(
            host, args.port, app, threaded=True, request_handler=M["MotoRequestHandler"]
        )
    except (OSError, SystemExit) as error:
        reason = getattr(error, "strerror", None) or str(error)
        log(f"cannot listen on {host}:{args.port}: {reason}; choose another port, or 0 for a free one")
        return 4
    PORT = server.server_port
    edge_dir = (
        os.path.dirname(os.path.abspath(args.ready_file)) if args.ready_file
        else tempfile.mkdtemp(prefix="siteup-edge-")
    )
    try:
        edge = start_edge(host, edge_dir)
    except OSError as error:
        log(f"cannot start the HTTPS edge in {edge_dir}: {error}; choose a writable ready-file folder")
        server.server_close()
        return 4
    os.environ["MOTO_PORT"] = str(PORT)
    url_host = f"[{host}]" if ":" in host else host
    url = f"http://{url_host}:{PORT}"

    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
    )
    thread.start()
    if not self_check(url, timeout=20):
        log(f"started on {url} but did not answer its own health check; see the lines above")
        server.shutdown()
        return 5
    if args.ready_file:
        try:
            write_ready_file(
                args.ready_file,
                {
                    "pid": os.getpid(),
                    "port": PORT,
                    "url": url,
                    "moto": M["version"],
                    "script_version": SCRIPT_VERSION,
                },
            )
        except OSError as error:
            log(
                f"cannot write the ready file {args.ready_file}: {error.strerror}; "
                "choose a writable path"
            )
            server.shutdown()
            return 2
    log(
        f"listening on {url} (moto {M['version']}, pid {os.getpid()}); HTTPS edge on port "
        f"{EDGE['port']}, CA {EDGE['ca_file']}"
    )

    parent = os.getppid()
    while not stop.wait(0.5):
        if args.exit_with_parent and os.getppid() != parent:
            log("the process that started the emulator has gone; stopping")
            break
    log("stopping")
    edge.shutdown()
    edge.server_close()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    if args.ready_file:
        remove_ready_file(args.ready_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
