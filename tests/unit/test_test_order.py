from tests.conftest import LONGEST_FIRST, ROOT


def test_every_module_in_the_longest_first_order_exists():
    """A renamed module would silently drop out of the order the test command hands out."""
    missing = [m for m in LONGEST_FIRST if not (ROOT / "tests" / "integration" / m).is_file()]
    assert not missing
