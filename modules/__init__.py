"""Reusable constructs: one per file, typed config in, typed properties out.

Constructs never look up providers, backends, files or environment variables; the
stacks in ``stacks/`` (or an ETL repository's own stacks) wire them together.
"""
