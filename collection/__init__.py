"""What the corpus is: which PDFs, which versions, where they come from.

The manifest (``manifest.py``), the scan of a corpus folder with each file's sha256
(``scan.py``), what changed since the served build (``changes.py``), versions and
series (``version_labels.py``, ``series.py``), downloads of the official PDFs
(``fetch.py``) and which corpus file a name from an index may stand for (``paths.py``).

First in the flow: it imports no other stage. Not named ``corpus``: ``corpus/`` is
the folder where operators put the PDFs and ``manifest.toml``, documents only.
"""
