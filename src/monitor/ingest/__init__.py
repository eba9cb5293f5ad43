"""Ingest: the orchestrator that takes a source through every stage, and the ways articles come in.

`pipeline` owns the stage order and per-source error handling (one transaction per poll);
`steps` reads a fetched document and turns an entry into its article, for the pipeline and
for `feeds test`; `assemble` makes every feed-text decision; `stages` is the per-article stage
protocol; `polling` says when a source is due; `importer` and `probe` are `import` and `feeds test`;
`discovery` finds a web page's feeds (autodiscovery) for `feeds add` and `feeds test`.
May import: every stage package, store, config, errors, models, urls. Nothing imports it but
app, cli and daemon.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.ingest.pipeline import Pipeline, PollOutcome
    from monitor.ingest.stages import ArticleStage, ingest
else:
    from monitor.faces import lazy_face

    __getattr__, __dir__ = lazy_face(
        __name__,
        {
            "monitor.ingest.pipeline": "Pipeline PollOutcome",
            "monitor.ingest.stages": "ArticleStage ingest",
        },
    )

__all__ = ["ArticleStage", "Pipeline", "PollOutcome", "ingest"]
