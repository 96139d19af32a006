"""Talking to the SMTP server: the address of `MAREA_SMTP_URL`, and one mail handed over.

`smtp://host:port` speaks plain SMTP (a relay on the same machine or network),
`smtp+starttls://host:port` upgrades to TLS with STARTTLS and refuses to go on without
it, `smtps://host:port` is TLS from the first byte. A `user:password@` (URL-quoted)
logs in. Certificates are verified with the system's authorities. The address is
parsed once, here, so a mistake in it is told in words at startup of the first send,
not as a socket error.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class SmtpUrlError(ValueError):
    """MAREA_SMTP_URL cannot be used as it is; the message says why."""


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None

    @property
    def safe(self) -> str:
        """The address without its password, for logs and the outbox page."""
        who = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{who}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise SmtpUrlError(
            f"MAREA_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, not {scheme!r}."
        )
    if not parts.hostname:
        raise SmtpUrlError("MAREA_SMTP_URL names no host, e.g. smtp://mail.example.org:25.")
    try:
        port = parts.port or SCHEMES[scheme]
    except ValueError as exc:
        raise SmtpUrlError(f"MAREA_SMTP_URL has a port that is not a number: {exc}") from exc
    return SmtpServer(
        scheme=scheme,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def build_message(
    *,
    sender: str,
    reply_to: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    language: str,
    mail_id: int,
    unsubscribe_url: str = "",
) -> EmailMessage:
    """A multipart/alternative mail: the plain text first, the HTML as the richer choice."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"outbox-{mail_id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        # RFC 8058: a mail program may offer "unsubscribe" and POST this body to the link.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = language  # after the bodies: set_content drops Content-*
    return message


def send_message(
    server: SmtpServer, message: EmailMessage, *, timeout_s: float, helo_name: str
) -> None:
    """Hands the mail to the server; raises smtplib.SMTPException or OSError when it is not.

    `helo_name` is the name the site greets the server with (the host of its base URL):
    smtplib's default asks the resolver for this machine's name, which can hang for a
    minute where DNS is slow or absent.
    """
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if server.scheme == "smtps":
        client = smtplib.SMTP_SSL(
            server.host, server.port, helo_name, timeout=timeout_s, context=context
        )
    else:
        client = smtplib.SMTP(server.host, server.port, helo_name, timeout=timeout_s)
    with client:
        client.ehlo()
        if server.scheme == "smtp+starttls":
            client.starttls(context=context)
            client.ehlo()
        if server.user is not None:
            client.login(server.user, server.password or "")
        client.send_message(message)
