"""Django's SMTP backend, reporting the moment a message's content is complete on the server.

The outbox needs to know whether a mail server might already hold a message when a send fails
or a worker dies: before the final "." of the SMTP DATA command the server discards a half-sent
message (RFC 5321, 4.1.1.4), so sending again is safe; after it, the server may have accepted the
message even though we never read its reply, so sending again could deliver a second copy.
"""

import re
import smtplib
import socket

from django.core.mail.backends import smtp

_LEADING_DOT = re.compile(rb"(?m)^\.")


class _HandoverMixin:
    """Call ``on_handover()`` just before the final "." and ``on_reply(code)`` after it; when
    ``on_handover`` raises, the message is abandoned: the connection closes without the "."."""

    on_handover = None
    on_reply = None

    def _get_socket(self, host, port, timeout):
        sock = super()._get_socket(host, port, timeout)
        # DATA goes out in two writes (the content, then the final "."); without this, Nagle's
        # algorithm holds the second until the server's delayed ACK, about 40 ms per message.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def data(self, msg):
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = smtplib._fix_eols(msg).encode("ascii")
        body = _LEADING_DOT.sub(b"..", msg)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.send(body)
        # From here the server may accept the message without our hearing about it.
        if self.on_handover:
            try:
                self.on_handover()
            except BaseException:
                # Without the final "." the server discards what it got; QUIT would only be read
                # as more of the message, so drop the connection at once.
                self.close()
                raise
        self.send(b".\r\n")
        code, reply = self.getreply()
        if self.on_reply:
            self.on_reply(code)
        return code, reply


class HandoverSMTP(_HandoverMixin, smtplib.SMTP):
    pass


class HandoverSMTPSSL(_HandoverMixin, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp.EmailBackend):
    """The SMTP backend the outbox uses; same settings as Django's, plus two hooks.

    Set ``on_handover`` and ``on_reply`` before ``send_messages``: they are passed to the
    connection, which calls them during DATA.
    """

    on_handover = None
    on_reply = None

    @property
    def connection_class(self):
        return HandoverSMTPSSL if self.use_ssl else HandoverSMTP

    def _send(self, email_message):
        if self.connection is not None:
            self.connection.on_handover = self.on_handover
            self.connection.on_reply = self.on_reply
        return super()._send(email_message)
