"""Measuring the service on question sets: retrieval and answer quality.

Used by `scqa eval` and the scripts in benchmarks/; the chat and the pipeline
stages never import it.
"""
