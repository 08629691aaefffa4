"""``s3://BUCKET/PREFIX`` locations: parsed once, validated before any request is made."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlci.errors import UserError

# botocore's own check (it accepts legacy names with capitals and underscores, which still exist).
_BUCKET = re.compile(r"^[a-zA-Z0-9.\-_]{3,255}$")


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
        if not _BUCKET.match(bucket):
            raise UserError(
                f"{flag} {uri}: {bucket!r} is not a valid S3 bucket name; expected s3://BUCKET/PREFIX with a "
                "bucket name of 3-63 letters, digits, dots and hyphens."
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
