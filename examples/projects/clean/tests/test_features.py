import pytest

from wine_quality import standardize, train_test_indices


def test_standardize_centres_and_scales() -> None:
    scaled = standardize([1.0, 2.0, 3.0])
    assert scaled == pytest.approx([-1.2247, 0.0, 1.2247], abs=1e-4)


@pytest.mark.parametrize("values", [[], [4.0], [2.0, 2.0]])
def test_standardize_degenerate(values: list[float]) -> None:
    assert standardize(values) == [0.0] * len(values)


def test_split_is_reproducible_and_complete() -> None:
    train, test = train_test_indices(10, 0.3, seed=1)
    assert (train, test) == train_test_indices(10, 0.3, seed=1)
    assert sorted(train + test) == list(range(10))
    assert len(test) == 3


def test_split_rejects_bad_fraction() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        train_test_indices(10, 1.5)
