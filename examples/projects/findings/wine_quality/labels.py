"""Labels: black would write these strings with double quotes (line 6)."""


def label(quality: str, score: float) -> str:
    """A label for a report."""
    return f'{quality} ({score:.1f})'
