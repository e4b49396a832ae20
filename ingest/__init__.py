"""PDF -> pages -> clean Japanese text -> sections -> chunks (with page numbers)."""
