"""boto3 clients configured the same way everywhere; botocore errors turned into one-line UserErrors.

Credentials, region, profile and endpoint come from boto3's own chain (``AWS_PROFILE``, ``AWS_REGION``,
``AWS_ENDPOINT_URL``, web-identity/OIDC credentials from aws-actions/configure-aws-credentials, ...): mlci
adds nothing to it. Retries are explicit: botocore's ``standard`` mode (exponential backoff with jitter;
retries throttling, 5xx answers and dropped connections).
"""

from __future__ import annotations

from typing import Any, NoReturn

from mlci import __version__
from mlci.errors import UserError

DEFAULT_MAX_ATTEMPTS = 5

_CREDENTIALS_FIX = (
    "configure AWS credentials (in GitHub: aws-actions/configure-aws-credentials with role-to-assume; "
    "locally: AWS_PROFILE or environment variables)"
)
_ACCESS_CODES = {"AccessDenied", "AccessDeniedException", "AllAccessDisabled", "Forbidden", "403"}
#: What AWS answers once temporary credentials (OIDC, AssumeRole) have run out.
EXPIRED_CREDENTIAL_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidToken",
}


def client(service: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS, max_pool_connections: int = 10) -> Any:
    """A boto3 client for ``service`` with standard-mode retries; UserError when the setup is broken."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        max_pool_connections=max_pool_connections,
        user_agent_extra=f"mlci/{__version__}",
        connect_timeout=10,
        read_timeout=60,
    )
    try:
        return boto3.session.Session().client(service, config=config)
    except Exception as exc:
        raise_translated(exc, f"AWS {service}")


def raise_translated(exc: BaseException, what: str) -> NoReturn:
    """Raise the UserError :func:`translate` makes of ``exc``; ``exc`` itself when it is no set-up problem."""
    error = translate(exc, what)
    if error is None:
        raise exc
    raise error from exc


def error_code(exc: BaseException) -> str | None:
    """The service's error code of a botocore ClientError (``NoSuchBucket``), else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def translate(exc: BaseException, what: str) -> UserError | None:
    """A UserError for a broken setup (credentials, region, permissions, endpoint, missing bucket), else None.

    ``what`` names the input at fault, e.g. ``"DEST s3://b/p"``. Secrets never appear: botocore's messages
    do not contain them, and everything printed is redacted again by :mod:`mlci.gha`.
    """
    from botocore import exceptions as bce

    if isinstance(exc, bce.ProfileNotFound):
        return UserError(f"{what}: {exc}; set AWS_PROFILE to a profile in ~/.aws/config or unset it.")
    if isinstance(exc, bce.NoRegionError):
        return UserError(
            f"{what}: no AWS region is configured; set AWS_REGION (or aws-region in the workflow)."
        )
    if isinstance(
        exc, (bce.NoCredentialsError, bce.PartialCredentialsError, bce.CredentialRetrievalError)
    ) or type(exc).__name__ in {"TokenRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError"}:
        return UserError(f"{what}: no usable AWS credentials ({type(exc).__name__}); {_CREDENTIALS_FIX}.")
    if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectTimeoutError)):
        return UserError(
            f"{what}: cannot reach the AWS endpoint ({exc}); check AWS_ENDPOINT_URL, the region and the "
            "network."
        )
    code = error_code(exc)
    if code is None:
        return None
    message = getattr(exc, "response", {}).get("Error", {}).get("Message") or code
    if code == "NoSuchBucket":
        return UserError(f"{what}: the bucket does not exist; create it or fix the bucket name.")
    if code in {"NoSuchKey", "404", "NotFound"}:
        return UserError(f"{what}: not found; check the path.")
    if code in _ACCESS_CODES:
        return UserError(f"{what}: access denied ({message}); grant the role the permission this step needs.")
    if code in _CREDENTIAL_CODES:
        return UserError(f"{what}: AWS rejected the credentials ({code}); {_CREDENTIALS_FIX}.")
    if code in {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"}:
        return UserError(f"{what}: the bucket is in another region ({code}); set AWS_REGION to its region.")
    if code in {"InvalidBucketName", "ValidationException", "ValidationError"}:
        return UserError(f"{what}: AWS rejected the request: {message}")
    return None
