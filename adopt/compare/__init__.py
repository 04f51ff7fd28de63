"""The match check: Alembic's findings corrected per dialect, adopt's own comparisons, the
confirmation built from the models on the same server, and the words that explain each
difference."""
