"""Model validation: load a classifier, evaluate it on reference data, assert its metrics."""
