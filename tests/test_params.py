"""The factory argument checks every plugin uses: one wording, bounds, no bools for numbers."""
import math

import numpy as np
import pytest

from nas_kernel.toolbox.params import check_choice, check_int, check_number


def test_check_int_accepts_integers_within_bounds():
    assert check_int("n", 3, 1, 5) == 3 and check_int("n", np.int64(2)) == 2


@pytest.mark.parametrize("value,message", [(True, "n must be an integer, got True"), (2.0, "must be an integer"),
                                           ("3", "must be an integer"), (0, "n must be >= 1, got 0"),
                                           (9, "n must be <= 5, got 9")])
def test_check_int_refuses_with_the_parameter_named(value, message):
    with pytest.raises(ValueError, match=message):
        check_int("n", value, 1, 5)


def test_check_number_bounds_and_open_lower_bound():
    assert check_number("lr", 1) == 1.0 and check_number("p", 1.0, 0.0, 1.0) == 1.0
    with pytest.raises(ValueError, match="lr must be > 0.0, got 0.0"):
        check_number("lr", 0.0, 0.0, low_open=True)
    for bad in (math.nan, None, False, "1e-3"):
        with pytest.raises(ValueError, match="must be a number"):
            check_number("lr", bad)


def test_check_choice_lists_the_choices():
    assert check_choice("mode", "ucb", ["ei", "ucb"]) == "ucb"
    with pytest.raises(ValueError, match="mode must be one of 'ei', 'ucb', got 'x'"):
        check_choice("mode", "x", ["ei", "ucb"])
