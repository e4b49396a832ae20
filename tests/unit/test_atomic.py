import stat

import pytest

from atomic import replacing


def test_the_target_is_replaced_whole_when_the_block_succeeds(tmp_path):
    target = tmp_path / "fetched.json"
    target.write_text("古い内容", encoding="utf-8")
    with replacing(target, mode=0o644) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".fetched.json.")
        tmp.write_text("新しい内容", encoding="utf-8")
        assert target.read_text(encoding="utf-8") == "古い内容"  # not yet
    assert target.read_text(encoding="utf-8") == "新しい内容"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["fetched.json"]


def test_a_failed_write_leaves_the_target_and_no_temporary_file(tmp_path):
    target = tmp_path / "a.pdf"
    target.write_bytes(b"%PDF-1.7 old")
    with pytest.raises(OSError), replacing(target, suffix=".part") as tmp:
        tmp.write_bytes(b"%PDF-1.7 half")
        raise OSError(28, "No space left on device")
    assert target.read_bytes() == b"%PDF-1.7 old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.pdf"]


def test_a_block_that_writes_nothing_fails_and_keeps_the_target(tmp_path):
    target = tmp_path / "entry.json"
    target.write_text("{}", encoding="utf-8")
    with pytest.raises(FileNotFoundError), replacing(target):
        pass
    assert target.read_text(encoding="utf-8") == "{}"
