"""Loading a model: bandit flags unpickling data that came from elsewhere."""

import pickle  # nosec B403: the finding below is the one this example shows


def load_model(blob: bytes) -> object:
    """Rebuild a model from bytes (runs whatever code the bytes contain)."""
    return pickle.loads(blob)
