"""Test doubles of the services the bot talks to."""
