#!/usr/bin/env python3
"""siteup's AWS emulator: moto, in-process, plus what moto lacks and a control endpoint.

siteup writes this file next to its emulator state and runs it with the Python of a venv that
holds `moto[server]` (see requirements.txt beside it). It uses the standard library and moto only.

    python siteup_emulator.py --host 127.0.0.1 --port 0 --ready-file emulator.json --log emulator.log

What it adds to moto 5.2.5 (see RULES and BACKEND_PATCHES below):
  * SESv2 GetAccount, PutAccountDetails and PutEmailIdentityMailFromAttributes; GetEmailIdentity
    reports MailFromAttributes.
  * Cognito Identity SetIdentityPoolRoles and GetIdentityPoolRoles.
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
    switch of the control endpoint).
  * AWS's clocks (read from the emulator's clock, see /_siteup/clock): ACM issues an
    AMAZON_ISSUED certificate only once every validation CNAME is in its Route 53 zone, the
    domain is delegated and moto's own wait (MOTO_ACM_VALIDATION_WAIT, 60 s) has passed; one
    still pending 72 hours after its request turns VALIDATION_TIMED_OUT for good. An SES domain
    identity not verified 72 hours after its creation turns FAILED (verification and DKIM) and
    can no longer be verified (create it again); an address whose link was not clicked within
    24 hours of its last verification mail turns FAILED until a resend (SES v1
    VerifyEmailIdentity) sends a new link.
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
        POST /_siteup/reset                moto's own reset plus ours (and the clock's offset
                                            and the account switch; the registry's address stays)

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

SCRIPT_VERSION = 9
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
    from moto.route53.models import Route53Backend, route53_backends
    from moto.core.exceptions import JsonRESTError
    from moto.acm.models import AWSCertificateManagerBackend, CertBundle, acm_backends
    from moto import settings as moto_settings
    from moto.apigateway.models import apigateway_backends
    from moto.cloudfront.models import cloudfront_backends
    from moto.s3.models import s3_backends
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
    from moto.core.utils import utcnow

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
        HostedZoneNotEmpty=HostedZoneNotEmpty,
        JsonRESTError=JsonRESTError,
        AcmBackend=AWSCertificateManagerBackend,
        CertBundle=CertBundle,
        acm_backends=acm_backends,
        moto_settings=moto_settings,
        apigateway_backends=apigateway_backends,
        cloudfront_backends=cloudfront_backends,
        s3_backends=s3_backends,
        cognitoidp_backends=cognitoidp_backends,
        EmailResponse=EmailResponse,
        cloudfront_urls=cloudfront_urls,
        CloudFrontResponse=CloudFrontResponse,
        utcnow=utcnow,
        random_id=cloudfront_random_id,
        cf_models=cf_models,
        cognitoidp_models=cognitoidp_models,
        lambda_models=lambda_models,
        sesv2_models=sesv2_models,
        IAMPolicyStatement=IAMPolicyStatement,
        PermissionResult=PermissionResult,
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
            region, {"details": None, "review": None, "production": False}
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
            "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
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
# The tables

SESV2_IDENTITY = r"/v2/email/identities/(?P<identity>[^/]+)"
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
         before=before_create_email_identity, after=after_create_email_identity),
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


def wrap_cognito_delete_user_pool(original):
    # A user pool with deletion protection on cannot be deleted until an UpdateUserPool turns it
    # off; moto deletes it. Source: Amazon Cognito API Reference, CreateUserPool,
    # DeletionProtection (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPool.html#CognitoUserPools-CreateUserPool-request-DeletionProtection):
    # "When you try to delete a protected user pool in a DeleteUserPool API request, Amazon
    # Cognito returns an InvalidParameterException error."
    def delete_user_pool(self, user_pool_id):
        pool = self.describe_user_pool(user_pool_id)
        if (pool.extended_config or {}).get("DeletionProtection") == "ACTIVE":
            raise M["JsonRESTError"](
                "InvalidParameterException",
                "The user pool cannot be deleted because deletion protection is activated. "
                "Deletion protection must be inactivated first.",
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
        (M["AcmBackend"], "delete_certificate", wrap_acm_delete_certificate),
        (M["AcmBackend"], "request_certificate", wrap_acm_request_certificate),
        (M["CertBundle"], "check", wrap_acm_check),
        (M["CertBundle"], "describe", wrap_acm_describe),
        (M["Route53Backend"], "delete_hosted_zone", wrap_route53_delete_hosted_zone),
        (M["lambda_models"].LambdaFunction, "__init__", wrap_lambda_init),
        (M["lambda_models"].LambdaFunction, "update_configuration",
         wrap_lambda_update_configuration),
        (M["lambda_models"].LambdaFunction, "get_configuration", wrap_lambda_get_configuration),
        (M["sesv2_models"].SESV2Backend, "create_email_identity",
         wrap_sesv2_create_email_identity),
        (M["sesv2_models"].SESV2Backend, "delete_email_identity",
         wrap_sesv2_delete_email_identity),
        (M["IAMPolicyStatement"], "is_action_permitted", wrap_iam_statement_is_action_permitted),
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


CONTROL_ROUTES = {
    ("GET", "health"): control_health,
    ("GET", "state"): control_state,
    ("POST", "identities/verify"): control_verify,
    ("POST", "clock"): control_clock,
    ("POST", "registry"): control_registry,
    ("POST", "review"): control_review,
    ("POST", "account"): control_account,
    ("POST", "reset"): control_reset,
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
