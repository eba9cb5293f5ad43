"""news-monitor: watches news, matches topics, folds duplicates into stories, sends digests."""

__version__ = "0.1.0"
