"""Queueing background work never fails the person's request, and says little in the log."""

import logging

from kombu.exceptions import OperationalError

from marac.background import queue_now
from meetings.tasks import refresh_packs


def test_an_unreachable_broker_is_logged_by_kind_and_the_request_goes_on(monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise OperationalError("Error connecting to redis://:s3cret-password@redis.internal:6379/0")

    monkeypatch.setattr(refresh_packs, "delay", unreachable)
    with caplog.at_level(logging.ERROR, logger="marac.background"):
        queue_now(refresh_packs, 1)  # returns: nothing raised to the view that asked
    assert [record.getMessage() for record in caplog.records] == [
        "task_not_queued task=meetings.tasks.refresh_packs error=OperationalError"
    ]
    assert "s3cret" not in caplog.text
