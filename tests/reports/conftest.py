import pytest

from demo.synthetic import held_meeting


@pytest.fixture
def hold(area, chair, coordinator, police, idva):
    """hold(on=date) -> a meeting already held in the area on that day."""
    return lambda on, meeting_area=None: held_meeting(
        area=meeting_area or area, on=on, chair=chair, coordinator=coordinator, agencies=[police, idva]
    )
