"""Errors of the email api: each names the template, variable, parameter or account at fault."""

from apis.errors import CloudopsError


class EmailApiError(CloudopsError):
    """Base of every email api failure."""


class TemplateNotFoundError(EmailApiError):
    """A template name that is not declared in the template schemas."""


class TemplateSchemaError(EmailApiError):
    """The template schema file is malformed, or a template file is missing."""


class TemplateVariableError(EmailApiError):
    """A variable is missing, unknown or of the wrong type for a template."""


class AddressError(EmailApiError):
    """An email address parameter is empty or not an address."""


class AttachmentError(EmailApiError):
    """An attachment cannot be built (bad name, type or content)."""


class MailServerConnectionError(EmailApiError):
    """The SMTP server cannot be reached, does not answer in time, or fails TLS."""


class MailServerAuthError(EmailApiError):
    """The SMTP server refused the account's credentials (or needs some)."""


class NotificationParameterError(EmailApiError):
    """A notification action's parameters are contradictory or incomplete."""


class MessageRefusedError(EmailApiError):
    """The server refused one message (all of its recipients, the sender, or the data)."""

    def __init__(self, message: str, recipients=None):
        super().__init__(message)
        self.recipients = dict(recipients or {})
