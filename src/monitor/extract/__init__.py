"""Extract stage: an article page's HTML → its text and metadata (trafilatura, in a process pool).

May import: models. Must not import fetch, the store or any other stage.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.extract.article import ExtractPool, extract_article
else:
    from monitor.faces import lazy_face

    __getattr__, __dir__ = lazy_face(
        __name__,
        {
            "monitor.extract.article": "ExtractPool extract_article",
        },
    )

__all__ = ["ExtractPool", "extract_article"]
