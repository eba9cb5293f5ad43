"""Configuration: feeds.yaml → typed, validated Config (the only reader of os.environ's values)."""

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
