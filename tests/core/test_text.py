import pickle

import pytest

from core.text import Text, t

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)


def test_text_is_the_english_string_and_keeps_its_id_and_parameters():
    message = t("the quota has {free} seats left", free=3)
    assert message == "the quota has 3 seats left"
    assert isinstance(message, str)
    assert message.template == "the quota has {free} seats left"
    assert message.params == {"free": 3}
    assert "; ".join([message, "x"]) == "the quota has 3 seats left; x"


def test_text_without_parameters_is_its_template_even_with_braces_absent():
    assert t("not found") == "not found"
    assert t("not found").params == {}


def test_text_survives_pickling_with_its_id():
    copy = pickle.loads(pickle.dumps(t("{n} left", n=2)))
    assert isinstance(copy, Text) and copy == "2 left" and copy.template == "{n} left"
