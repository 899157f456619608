"""End-to-end tests: the bot on the real python-telegram-bot stack against a fake Bot API."""
