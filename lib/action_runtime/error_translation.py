"""The one registry of the apis' error translators, asked by the action boundary
(:func:`action_runtime.dispatch.dispatch`) and the sensors' poll path.

Each api package translates the failures of the library it wraps (openstacksdk and
keystoneauth, jira, requests, smtplib, paramiko) into its own
:class:`apis.errors.CloudopsError`. A translator is only imported when its library is
loaded: an exception cannot come from a library nobody imported. Anything no translator
claims is a bug and keeps its traceback.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from typing import Optional

from apis.errors import CloudopsError


@dataclasses.dataclass(frozen=True)
class Translator:
    """``function`` (``package.module:function``) translates errors of ``library``."""

    library: str
    function: str

    def __call__(self, err: BaseException) -> Optional[CloudopsError]:
        if self.library not in sys.modules:
            return None
        module_name, _, name = self.function.partition(":")
        return getattr(importlib.import_module(module_name), name)(err)


# openstacksdk's HttpException is a requests.HTTPError too: OpenStack asks first.
TRANSLATORS = (
    Translator("keystoneauth1", "apis.openstack_api.error_translation:translate"),
    Translator("jira", "apis.jira_api.connection:translate_error"),
    Translator("requests", "apis.alertmanager_api.client:translate_error"),
    Translator("requests", "apis.icinga_api.client:translate_error"),
    Translator("requests", "apis.st2_api.webhooks:translate_error"),
    Translator("requests", "apis.chatops_api.reminders:translate_error"),
    Translator("smtplib", "apis.email_api.smtp_connection:translate_error"),
    Translator("paramiko", "apis.ssh_api.client:translate_error"),
)


def translate(err: BaseException) -> Optional[CloudopsError]:
    """``err`` itself when it is one of the pack's errors, the api error a translator makes of
    it, or None (a bug: let it out with its traceback)."""
    if isinstance(err, CloudopsError):
        return err
    for translator in TRANSLATORS:
        translated = translator(err)
        if translated is not None:
            return translated
    return None
