"""This repository's own tooling, for its tests and docs (never installed by an action, never run by users).

- :mod:`devtools.expressions`: GitHub Actions ``${{ }}`` expressions.
- :mod:`devtools.composite`: runs an action's (or a workflow job's) steps with bash, as the runner does.
- :mod:`devtools.drift`: traces each input of an action to the mlci command line it produces.
- :mod:`devtools.gen_docs`: writes the docs' input/output tables (``make docs``).
- :mod:`devtools.changelog`: a version's section of CHANGELOG.md (the release workflow's notes).
"""
