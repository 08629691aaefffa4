from wine_quality.labels import label
from wine_quality.predict import predict


def test_good() -> None:
    assert predict([6.0, 7.0]) == "good"


def test_label() -> None:
    assert label("good", 6.25) == "good (6.2)"


def test_threshold_is_inclusive() -> None:
    assert predict([5.0, 6.0]) == "good"  # fails: the mean is 5.5
