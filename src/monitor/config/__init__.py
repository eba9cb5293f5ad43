"""Configuration: feeds.yaml → typed, validated Config (the only reader of os.environ's values)."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.config.load import load_config
    from monitor.config.model import (
        ChannelConfig,
        Config,
        DigestConfig,
        FeedConfig,
        FetchConfig,
        Settings,
        TopicConfig,
    )
else:
    from monitor.faces import lazy_face

    __getattr__, __dir__ = lazy_face(
        __name__,
        {
            "monitor.config.load": "load_config",
            "monitor.config.model": (
                "ChannelConfig Config DigestConfig FeedConfig FetchConfig Settings TopicConfig"
            ),
        },
    )

__all__ = [
    "ChannelConfig",
    "Config",
    "DigestConfig",
    "FeedConfig",
    "FetchConfig",
    "Settings",
    "TopicConfig",
    "load_config",
]
