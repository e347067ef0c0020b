"""Reason phrases in daphne's status lines.

daphne sets only the status code and Twisted supplies the phrase from a table
that lacks the newer codes: 429 (and 422, 428...) went out as "Unknown Status".
"""

from http import HTTPStatus


def complete_reason_phrases():
    from twisted.web import http

    for status in HTTPStatus:
        http.RESPONSES.setdefault(status.value, status.phrase.encode("ascii"))
