"""Passages -> an answer: what a question asks, which sentences answer it, when to decline.

Between ``index/`` (ranked passages) and ``app/`` (the chat and the command line); it
imports neither ``app/`` nor Streamlit, so evaluation and benchmarks use it as the UI does.
"""
