"""/reload and the engine holder: a bad corpus is refused and the old one keeps answering."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import build_application
from bot.app import BotApp
from bot.services import services
from bot.texts import UNKNOWN_COMMAND
from faq.build import build_engine
from tests.conftest import red_flag_at
from tests.fakes.telegram import FakeBotAPI

from .conftest import ADMIN, USER, settings_for, start_polling, stop, to_chat


@pytest.fixture
async def reloadable(fake: FakeBotAPI, corpus: Path, data_dir: Path) -> AsyncIterator[BotApp]:
    """The bot over copies of the corpus and the rules, reloading from the same folders."""
    loader = functools.partial(build_engine, corpus, data_dir)
    app = build_application(loader(), settings_for(fake), loader=loader)
    await start_polling(app)
    try:
        yield app
    finally:
        await stop(app)


def _add_entry(corpus: Path, new_id: str) -> None:
    text = (corpus / "quinine.md").read_text(encoding="utf-8")
    (corpus / f"{new_id}.md").write_text(text.replace('id: "quinine"', f'id: "{new_id}"'))


async def _say(fake: FakeBotAPI, user: int, text: str, count: int) -> str:
    fake.push_message(user, text)
    calls = await fake.await_calls("sendMessage", to_chat(user), count=count)
    return str(calls[-1].params["text"])


async def test_a_broken_corpus_is_refused_with_the_reason_and_the_old_one_serves(
    reloadable: BotApp, fake: FakeBotAPI, corpus: Path
) -> None:
    before = services(reloadable.bot_data).engines.engine
    (corpus / "broken.md").write_text("---\nid: [unclosed\n---\nNo.\n", encoding="utf-8")

    refused = await _say(fake, ADMIN, "/reload", 1)
    about = await _say(fake, ADMIN, "/about", 2)

    assert "Reload refused" in refused and "broken.md" in refused
    assert services(reloadable.bot_data).engines.engine is before
    assert f"from {len(before.entries)} written entries" in about


async def test_a_good_corpus_takes_effect_on_reload(
    reloadable: BotApp, fake: FakeBotAPI, corpus: Path
) -> None:
    count = len(services(reloadable.bot_data).engines.engine.entries)
    _add_entry(corpus, "quinine-again")

    reloaded = await _say(fake, ADMIN, "/reload", 1)
    about = await _say(fake, ADMIN, "/about", 2)

    assert reloaded == f"Reloaded: {count + 1} entries are now live."
    assert f"from {count + 1} written entries" in about
    assert services(reloadable.bot_data).engines.engine.entry("quinine-again") is not None


async def test_reload_from_anyone_else_looks_like_any_unknown_command(
    reloadable: BotApp, fake: FakeBotAPI, corpus: Path
) -> None:
    before = services(reloadable.bot_data).engines.engine
    _add_entry(corpus, "quinine-again")

    reply = await _say(fake, USER, "/reload", 1)

    assert reply == UNKNOWN_COMMAND
    assert services(reloadable.bot_data).engines.engine is before


async def test_edited_scope_and_safety_rules_take_effect_on_reload(
    reloadable: BotApp, fake: FakeBotAPI, data_dir: Path
) -> None:
    question, alarm = "which is better, glycinate or citrate?", "my toes went tartan"
    assert "Sorry, I can't answer" not in await _say(fake, USER, question, 1)
    assert "This could be an emergency" not in await _say(fake, USER, alarm, 2)
    _append(data_dir / "scope.yaml", "off_topic:", "  - id: salts\n    patterns: ['glycinate']")
    tartan = (
        "  - id: tartan\n    category: leg-artery\n    priority: 50\n"
        "    examples: ['my toes went tartan']\n    patterns: ['tartan']"
    )
    _append(data_dir / "safety.yaml", "red_flags:", tartan)

    reloaded = await _say(fake, ADMIN, "/reload", 1)
    declined = await _say(fake, USER, question, 3)
    urgent = await _say(fake, USER, alarm, 4)

    assert reloaded.startswith("Reloaded:")
    assert "Sorry, I can't answer" in declined
    assert "This could be an emergency" in urgent


async def test_a_malformed_rule_file_is_refused_with_its_name_and_the_old_rules_serve(
    reloadable: BotApp, fake: FakeBotAPI, data_dir: Path
) -> None:
    before = services(reloadable.bot_data).engines.engine
    (data_dir / "scope.yaml").write_text("covers: [unclosed\n", encoding="utf-8")

    refused = await _say(fake, ADMIN, "/reload", 1)

    assert "Reload refused" in refused and "scope.yaml" in refused
    assert services(reloadable.bot_data).engines.engine is before


async def test_a_red_flag_rule_naming_an_undefined_concept_is_refused_and_the_old_rules_serve(
    reloadable: BotApp, fake: FakeBotAPI, data_dir: Path
) -> None:
    before = services(reloadable.bot_data).engines.engine
    chest = "{near: [chest, chest-pain], within: 6, ordered: true}"
    safety = data_dir / "safety.yaml"
    safety.write_text(
        safety.read_text(encoding="utf-8").replace(chest, chest.replace("chest,", "chset,")),
        encoding="utf-8",
    )

    refused = await _say(fake, ADMIN, "/reload", 1)
    urgent = await _say(fake, USER, "my chest hurts", 1)

    assert "Reload refused" in refused and f"safety.yaml: {red_flag_at('chest-pain')}" in refused
    assert "match[0]: concept 'chset' is not defined" in refused
    assert services(reloadable.bot_data).engines.engine is before
    assert "This could be an emergency" in urgent


def _append(path: Path, section: str, rule: str) -> None:
    """Put a rule first in a section of a rule file."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"\n{section}\n", f"\n{section}\n{rule}\n", 1), encoding="utf-8")
