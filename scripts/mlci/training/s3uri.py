"""``s3://BUCKET/PREFIX`` locations: parsed once, validated before any request is made."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlci.errors import UserError

_BUCKET_CHARACTERS = re.compile(r"^[a-z0-9.-]*$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_NAMING_RULES = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"


def bucket_name_problem(name: str) -> str | None:
    """What breaks S3's bucket naming rules in ``name`` (None when it follows them)."""
    if not 3 <= len(name) <= 63:
        return f"3 to 63 characters, not {len(name)}"
    if not _BUCKET_CHARACTERS.match(name):
        return "lowercase letters, digits, dots and hyphens only"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "it must start and end with a letter or a digit"
    if ".." in name:
        return "two adjacent dots"
    if _IP_ADDRESS.match(name):
        return "an IP address is not a bucket name"
    return None


def is_s3_uri(text: str) -> bool:
    """True for anything that claims the s3 scheme (so a malformed one is reported, not taken as a path)."""
    return text.lower().startswith("s3:")


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix without leading or trailing ``/`` (empty for the whole bucket)."""

    bucket: str
    prefix: str = ""

    @classmethod
    def parse(cls, uri: str, flag: str) -> S3Location:
        """Parse ``s3://BUCKET[/PREFIX]``; raise UserError naming ``flag`` when it is not one."""
        if not uri.startswith("s3://"):
            raise UserError(f"{flag} {uri}: expected s3://BUCKET/PREFIX.")
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        problem = bucket_name_problem(bucket)
        if problem:
            raise UserError(
                f"{flag} {uri}: {bucket!r} is an invalid bucket name: {problem} (S3's naming rules, "
                f"{_NAMING_RULES}); fix the bucket name in s3://BUCKET/PREFIX."
            )
        return cls(bucket=bucket, prefix=prefix.strip("/"))

    @property
    def list_prefix(self) -> str:
        """The ``Prefix`` that lists exactly this location (``a/b/``: never the sibling ``a/b-other``)."""
        return f"{self.prefix}/" if self.prefix else ""

    def key(self, relpath: str) -> str:
        """The key of a path relative to this location."""
        return self.list_prefix + relpath

    def relpath(self, key: str) -> str:
        """The path of ``key`` relative to this location."""
        return key[len(self.list_prefix) :]

    def child(self, relpath: str) -> S3Location:
        """The location of a sub-prefix (``relpath`` without leading ``/``)."""
        return S3Location(self.bucket, self.key(relpath.strip("/")))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"
