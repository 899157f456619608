"""The Telegram adapter: the only package that imports telegram. Run it with `magbot serve`."""

from bot.app import ALLOWED_UPDATES, build_application
from bot.logs import RedactingFilter, configure_logging
from bot.services import EngineHolder, FeedbackSink, Services
from bot.settings import Settings, SettingsError, load_settings

__all__ = [
    "ALLOWED_UPDATES",
    "EngineHolder",
    "FeedbackSink",
    "RedactingFilter",
    "Services",
    "Settings",
    "SettingsError",
    "build_application",
    "configure_logging",
    "load_settings",
]
