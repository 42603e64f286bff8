"""A local SMTP server for delivery tests: it can refuse, stall, and counts what it accepts."""

import asyncio
import socket
import threading
from email import message_from_bytes

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SinkHandler:
    """``refuse_next``: answer 451 to that many messages; ``delay``: wait that long after the
    end of DATA before answering (the message is stored either way, as a real server that had
    already queued it would); ``mail_delay`` and ``rcpt_delay``: wait before accepting the sender
    and each recipient, that is before the message is sent at all. ``connections`` counts the
    sessions opened."""

    def __init__(self):
        self.messages = []
        self.refuse_next = 0
        self.delay = 0.0
        self.mail_delay = 0.0
        self.rcpt_delay = 0.0
        self.connections = 0
        self._lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_delay:
            await asyncio.sleep(self.mail_delay)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            refused = self.refuse_next > 0
            if refused:
                self.refuse_next -= 1
            else:
                # Stored before the answer, as a real server queues a message before it says so:
                # a client that disconnects during ``delay`` has still delivered it.
                self.messages.append(
                    message_from_bytes(envelope.original_content or envelope.content)
                )
        if self.delay:
            await asyncio.sleep(self.delay)
        if refused:
            return "451 4.3.0 Temporary failure, try again later"
        return "250 2.0.0 Accepted"


class SmtpSink:
    """Start with ``start()``; ``url`` is an EMAIL_URL pointing at it."""

    def __init__(self):
        self.handler = SinkHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self):
        return self.handler.messages

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()
