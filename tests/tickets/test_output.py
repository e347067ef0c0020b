"""The check-in JSON built by hand (tickets.serializers.checkin_output, notifications'
checkin_notice) equals what the contract serializers give, and the plain-input shortcut
accepts exactly what the serializer accepts unchanged."""

from datetime import UTC, datetime

import pytest

from notifications.services import CheckinNotice, checkin_notice
from tickets.serializers import CheckinInput, CheckinOutput, checkin_output

CHECKIN = {
    "_id": "BK-0012-3", "event_id": "EVT-0004", "booking_id": "BK-0012", "seat": 3, "ticket_type_id": "TT-0007",
    "ticket_type_name": "VIP", "gate": "North 2", "nonce": "3f1c-scan-0001", "checked_in_by_id": None,
    "scanned_at": datetime(2030, 5, 1, 19, 0, 0, 250000, tzinfo=UTC), "checked_in_at": datetime(2030, 5, 1, 19, 0, 1, 412000, tzinfo=UTC),
}


def test_the_check_in_built_by_hand_is_the_serializers():
    assert checkin_output(CHECKIN) == CheckinOutput(CHECKIN).data
    assert checkin_notice(CHECKIN) == CheckinNotice(CHECKIN).data


@pytest.mark.parametrize("body", [
    {"code": "ABC", "gate": "North", "nonce": "nonce-0001"},
    {"code": " ABC", "gate": "North", "nonce": "nonce-0001"},
    {"code": "ABC", "gate": "North ", "nonce": "nonce-0001"},
    {"code": "ABC", "gate": "", "nonce": "nonce-0001"},
    {"code": "ABC", "gate": "G" * 65, "nonce": "nonce-0001"},
    {"code": "ABC", "gate": "North", "nonce": "short"},
    {"code": "ABC", "gate": "North", "nonce": "nonce-0001\n"},
    {"code": "ABC", "gate": "North", "nonce": "nonce-0001", "scanned_at": "2030-05-01T19:00:00Z"},
])
def test_the_plain_scan_shortcut_answers_what_the_serializer_answers(body):
    serializer = CheckinInput(data=body)
    if serializer.is_valid():
        assert CheckinInput.validated(body) == serializer.validated_data
    else:
        with pytest.raises(Exception) as refused:
            CheckinInput.validated(body)
        assert refused.value.detail == serializer.errors
