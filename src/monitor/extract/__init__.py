"""Extract stage: an article page's HTML → its text and metadata (trafilatura, in a process pool).

May import: models. Must not import fetch, the store or any other stage.
"""

from monitor.extract.article import ExtractPool, extract_article

__all__ = ["ExtractPool", "extract_article"]
