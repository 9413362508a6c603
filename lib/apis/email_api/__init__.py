"""Email API: Jinja2 templates sent over SMTP (see EMAIL_API.md)."""
