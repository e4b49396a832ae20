"""API keys: issued once, stored hashed, revoked without a restart."""

import json
import stat

import pytest

from app.api_keys import KEY_PREFIX, ApiKeyError, ApiKeyFile


def test_a_key_is_shown_once_and_only_its_hash_is_kept(tmp_path):
    keys = ApiKeyFile(tmp_path / "keys.json")
    key = keys.add("窓口システム")
    assert key.startswith(KEY_PREFIX) and len(key) > 40
    written = (tmp_path / "keys.json").read_text(encoding="utf-8")
    assert key not in written and key[len(KEY_PREFIX) :] not in written
    assert json.loads(written)["keys"][0]["name"] == "窓口システム"
    assert stat.S_IMODE((tmp_path / "keys.json").stat().st_mode) == 0o600
    assert keys.check(key) == "窓口システム"
    assert keys.check(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert keys.check("") is None and keys.check("scqa_" + "x" * 500) is None


def test_a_revoked_key_fails_at_once_in_another_reader_of_the_file(tmp_path):
    path = tmp_path / "keys.json"
    key = ApiKeyFile(path).add("faq-bot")
    other = ApiKeyFile(path)  # another worker process
    assert other.check(key) == "faq-bot"
    ApiKeyFile(path).revoke("faq-bot")
    assert other.check(key) is None
    [listed] = ApiKeyFile(path).keys()
    assert listed.revoked_at and not listed.active


def test_bad_names_and_unknown_revocations_are_refused_in_japanese(tmp_path):
    keys = ApiKeyFile(tmp_path / "keys.json")
    for name in ("", "two words", "x" * 101):
        with pytest.raises(ApiKeyError, match="名前"):
            keys.add(name)
    keys.add("portal")
    with pytest.raises(ApiKeyError, match="すでに"):
        keys.add("portal")
    with pytest.raises(ApiKeyError, match="ありません"):
        keys.revoke("nobody")


def test_a_damaged_key_file_is_an_error_not_an_open_door(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ApiKeyError, match="形式"):
        ApiKeyFile(path).check(KEY_PREFIX + "x" * 43)
    assert ApiKeyFile(tmp_path / "missing.json").check(KEY_PREFIX + "x" * 43) is None
