"""The [deterrence] table of the config file: defaults are the UK's route to help; bad values are one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from netsafe.web.config import ConfigError, load_settings


def test_defaults_are_stop_it_now(tmp_path: Path) -> None:
    s = load_settings(None, environ={})
    assert s.deterrence.min_published_count == 10
    assert s.deterrence.helpline_phone == "0808 1000 900"
    assert [h.name for h in s.deterrence.help_links] == ["phone", "chat", "selfhelp"]
    assert s.deterrence.languages == ["en", "cy"]


def test_the_table_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "netsafe.toml"
    path.write_text(
        '[deterrence]\nmin_published_count = 5\nvariants = ["traced", "harm"]\n'
        '[[deterrence.help_links]]\nname = "chat"\nlabel = "Chat"\nurl = "https://help.example/chat"\n'
    )
    s = load_settings(path, environ={})
    assert s.deterrence.min_published_count == 5 and s.deterrence.variants == ["traced", "harm"]
    assert [h.url for h in s.deterrence.help_links] == ["https://help.example/chat"]
    path.write_text('[deterrence]\nvariants = ["mine"]\nvariant_texts = { mine = "Stop. Get help." }\n')
    from netsafe.deterrence.warning import render

    mine = load_settings(path, environ={}).deterrence
    assert "Stop. Get help." in render(mine, "cy", "mine", None).html
    for bad, where in [
        ('variants = ["a b"]', "deterrence.variants"),
        ("min_published_count = -1", "deterrence.min_published_count"),
        ("no_such_key = 1", "deterrence"),
        ('variants = ["mine"]', "variant_texts"),
        ('[[deterrence.help_links]]\nname = "x"\nlabel = "X"\nurl = "javascript:alert(1)"', "deterrence"),
    ]:
        path.write_text(f"[deterrence]\n{bad}\n")
        with pytest.raises(ConfigError, match=where) as caught:
            load_settings(path, environ={})
        assert "\n" not in str(caught.value)
