"""``mlci sync``: a source tree to S3 or a directory, by content (see :mod:`mlci.training.sync.core`)."""
