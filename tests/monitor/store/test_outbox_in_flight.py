"""Sends announced before they start: a send cut off (crash, timeout) makes the next one a
counted possible repeat; a send Telegram answered with an error does not."""

from __future__ import annotations

from datetime import timedelta

from monitor.store import outbox
from monitor.store.models import Delivery
from tests.monitor.store.test_subscribers_and_outbox import alerts_for


def test_a_send_never_answered_makes_the_next_one_a_counted_possible_repeat(store, now):
    alerts_for(store, now, (1, "strikes"), count=1)
    with store.session() as s:
        [alert] = outbox.due(s, now)
        assert outbox.mark_sending(s, alert.delivery_id, now) is False
    # ... the process dies here: the row is still pending and still announced.
    with store.session() as s:
        [again] = outbox.due(s, now)
        assert outbox.mark_sending(s, again.delivery_id, now) is True
        outbox.mark_sent(s, again.delivery_id, now)
    with store.session() as s:
        row = s.get(Delivery, alert.delivery_id)
        assert (row.status, row.attempts, row.repeats, row.sending_at) == ("sent", 2, 1, None)
        assert outbox.possible_repeats(s) == 1


def test_an_answered_failure_is_no_repeat_but_a_timeout_is(store, now):
    alerts_for(store, now, (1, "strikes"), (2, "strikes"), count=1)
    with store.session() as s:
        answered, timed_out = outbox.due(s, now)
        for alert in (answered, timed_out):
            outbox.mark_sending(s, alert.delivery_id, now)
        outbox.mark_retry(s, answered.delivery_id, now, timedelta(), "Bad Gateway (502)")
        outbox.mark_retry(s, timed_out.delivery_id, now, timedelta(), "Timed out", maybe_sent=True)
    with store.session() as s:
        assert outbox.mark_sending(s, answered.delivery_id, now) is False
        assert outbox.mark_sending(s, timed_out.delivery_id, now) is True
        assert outbox.possible_repeats(s) == 1
