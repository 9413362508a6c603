"""Answers of a mocked requests.Session.request (the request_mock fixture)."""

import io
import json

import requests


def answer(status=200, body=None, text=None):
    """A requests.Response as the server would send it (``body`` as JSON, else ``text``)."""
    response = requests.Response()
    response.status_code = status
    response.raw = io.BytesIO((json.dumps(body) if body is not None else text or "").encode())
    response.encoding = "utf-8"
    return response
