"""Service settings: defaults, TOML file, environment (highest), and clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netsafe.web.config import ConfigError, Settings, load_settings, settings_env

WEB = Path(__file__).resolve().parents[2] / "src" / "netsafe" / "web"


def test_file_then_environment(tmp_path: Path) -> None:
    conf = tmp_path / "netsafe.toml"
    conf.write_text('[service]\nport = 9000\nworkers = 3\ncookie_secure = "true"\n')
    got = load_settings(conf, {"NETSAFE_PORT": "9100", "NETSAFE_MAX_UPLOAD_BYTES": "1000"})
    assert (got.port, got.workers, got.cookie_secure, got.max_upload_bytes) == (9100, 3, "true", 1000)
    assert load_settings(None, {}) == Settings()
    # What `netsafe serve` hands its worker processes rebuilds the same settings.
    assert load_settings(None, settings_env(got)) == got


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("prot = 1\n", {}, "unknown setting 'prot'"),
        ("port = 'x'\n", {}, "port"),
        ("port = [\n", {}, "not valid TOML"),
        (
            "",
            {"NETSAFE_WORKERS": "0"},
            "setting workers (or NETSAFE_WORKERS): Input should be greater than 0",
        ),
        ("", {"NETSAFE_COOKIE_SECURE": "maybe"}, "cookie_secure"),
    ],
)
def test_bad_settings_are_one_line_errors(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    conf = tmp_path / "bad.toml"
    conf.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(conf, env)


def test_a_settings_made_in_code_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETSAFE_PORT", "9999")
    assert Settings().port == 8000
    assert load_settings(None).port == 9999
    with pytest.raises(ConfigError, match="default_max_distance"):
        load_settings(None, {"NETSAFE_DEFAULT_MAX_DISTANCE": "65"})  # past the PDQ cap of the registry


def test_pages_load_nothing_from_elsewhere() -> None:
    for path in [*WEB.glob("templates/*.html"), WEB / "static" / "app.js", WEB / "static" / "style.css"]:
        text = path.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path
        assert "@import" not in text and "url(http" not in text, path


def test_a_workflow_table_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "netsafe.toml"
    path.write_text(
        'port = 8100\n[hotline]\nfetch_allow_networks = ["127.0.0.0/8"]\ncountry = "gb"\n'
        "[review]\ngroup_distance = 20\n"
    )
    s = load_settings(path, environ={})
    assert s.port == 8100
    assert s.hotline.fetch_allow_networks == ["127.0.0.0/8"] and s.hotline.country == "GB"
    assert s.review.group_distance == 20
    # The worker processes rebuild the same settings from the environment.
    assert load_settings(None, environ=settings_env(s)) == s
    path.write_text('[hotline]\nfetch_allow_networks = ["localhost"]\n')
    with pytest.raises(ConfigError, match=r"hotline\.fetch_allow_networks"):
        load_settings(path, environ={})
    path.write_text("[hotline]\nno_such_key = 1\n")
    with pytest.raises(ConfigError, match="no_such_key"):
        load_settings(path, environ={})
