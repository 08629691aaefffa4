"""Python quality gate: flake8, black, isort, bandit and pytest."""
