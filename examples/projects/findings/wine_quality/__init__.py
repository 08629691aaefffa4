"""A wine quality classifier's serving helpers (with one problem for each tool)."""
