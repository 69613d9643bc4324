#!/usr/bin/python3
"""A real SMTP server for convene's mail tests (Debian's python3-aiosmtpd), on loopback.

Every message that reaches the end of DATA is written to DIR/NNNNNN.eml exactly as received
(after SMTP dot-unstuffing, i.e. the RFC 5322 bytes), and every event is appended as one JSON
line to DIR/log.jsonl: connections, each DATA with its Message-ID and the answer given.

Misbehaviour on command, chosen by the recipient's local part:
  defer-then-reject...  DATA answered 451 the first time a Message-ID is seen, 550 after that
  always-defer...       DATA answered 451
  reject...             RCPT answered 550
  drop-after-dot...     the first time a Message-ID is seen: the message is stored, then the
                        connection is dropped without an answer (the client cannot know)
and globally with --drop-first N (the first N messages, whatever the recipient).

  smtp_sink.py --dir DIR [--port 0] [--port-file FILE] [--auth USER:PASS]
               [--tls-cert CERT --tls-key KEY]   (STARTTLS offered and required)
The port actually bound is written to --port-file once the server listens. Stops on SIGTERM.
"""
import argparse
import asyncio
import json
import os
import re
import signal
import ssl
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

MSGID_RE = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


class Sink:
    def __init__(self, folder, drop_first, delay_ms=0):
        self.folder = folder
        self.drop_first = drop_first
        self.delay_ms = delay_ms
        self.seq = 0
        self.seen = {}  # Message-ID -> times seen at DATA
        self.log_file = open(os.path.join(folder, "log.jsonl"), "a", buffering=1)

    def log(self, **event):
        event["t"] = time.time()
        self.log_file.write(json.dumps(event) + "\n")

    def store(self, content):
        self.seq += 1
        name = "%06d.eml" % self.seq
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(content)
        os.rename(tmp, os.path.join(self.folder, name))
        return name

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("reject"):
            self.log(event="rcpt", rcpt=address, answer="550")
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay_ms:
            # A relay that takes a moment per message, so a kill can land mid-delivery.
            await asyncio.sleep(self.delay_ms / 1000.0)
        content = envelope.original_content
        m = MSGID_RE.search(content)
        msgid = m.group(1).decode() if m else ""
        n = self.seen.get(msgid, 0) + 1
        self.seen[msgid] = n
        rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        local = rcpt.split("@")[0]
        base = dict(event="data", message_id=msgid, rcpt=rcpt, mail_from=envelope.mail_from,
                    attempt=n)
        if local.startswith("always-defer"):
            self.log(answer="451", **base)
            return "451 4.3.0 Try again later"
        if local.startswith("defer-then-reject"):
            if n == 1:
                self.log(answer="451", **base)
                return "451 4.3.0 Try again later"
            self.log(answer="550", **base)
            return "550 5.7.1 Rejected for policy reasons"
        drop = (local.startswith("drop-after-dot") and n == 1) or self.drop_first > 0
        name = self.store(content)
        if drop:
            if self.drop_first > 0:
                self.drop_first -= 1
            self.log(answer="drop", file=name, **base)
            server.transport.abort()  # the final dot arrived; the 250 never leaves
            return "250 OK (never sent)"
        self.log(answer="250", file=name, **base)
        return "250 OK queued"


class LoggingSMTP(SMTP):
    sink = None

    def connection_made(self, transport):
        self.sink.log(event="connect")
        super().connection_made(transport)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--drop-first", type=int, default=0)
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--auth")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args.dir, args.drop_first, args.delay_ms)
    LoggingSMTP.sink = sink

    kwargs = dict(hostname="sink.test", timeout=30)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
                  and auth_data.password == password.encode())
            sink.log(event="auth", mechanism=mechanism, ok=ok)
            return AuthResult(success=ok)

        kwargs.update(auth_required=True, authenticator=authenticator,
                      auth_require_tls=bool(args.tls_cert))
    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        kwargs.update(tls_context=ctx, require_starttls=True)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: LoggingSMTP(sink, **kwargs), "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    sink.log(event="listening", port=port)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.rename(tmp, args.port_file)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
