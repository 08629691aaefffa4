"""Continuous training: sync code to S3 or a directory, launch a training job, follow it, report."""
