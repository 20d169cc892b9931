"""A real SMTP server on 127.0.0.1 for Pulse's tests: it accepts every message
and writes each, decoded by Python's own e-mail library, as one JSON file
(`0001.json`, ...) in a folder: the envelope, the headers, the subject, and the
plain-text and HTML parts. With --user and --password it asks for them
(AUTH PLAIN or LOGIN, allowed without TLS, on 127.0.0.1 only).

    python catch.py --dir DIR [--port PORT] [--user U --password P] [--refuse ADDRESS]

It prints the port it listens on (useful with --port 0), then serves until
it is stopped.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import socket
import sys

from aiosmtpd.smtp import SMTP, AuthResult


class Catcher:
    def __init__(self, folder, refuse):
        self.folder = folder
        self.refuse = refuse
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        parts = {"text/plain": None, "text/html": None}
        for part in message.walk():
            kind = part.get_content_type()
            if kind in parts and parts[kind] is None and not part.is_multipart():
                parts[kind] = part.get_content()
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated_as": session.auth_data.decode() if isinstance(session.auth_data, bytes) else None,
            "subject": str(message["subject"]),
            "from": str(message["from"]),
            "to": str(message["to"]),
            "content_type": message.get_content_type(),
            "headers": {k.lower(): str(v) for k, v in message.items()},
            "text": parts["text/plain"],
            "html": parts["text/html"],
        }
        path = os.path.join(self.folder, f"{self.count:04d}.json")
        with open(path + ".part", "w") as f:
            json.dump(record, f, indent=1)
        os.replace(path + ".part", path)
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--refuse", action="append", default=[],
                        help="an address refused for good (550), as a server refuses one it does not know")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    handler = Catcher(args.dir, args.refuse)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == args.user and auth_data.password.decode() == args.password
        return AuthResult(success=ok, auth_data=auth_data.login if ok else None)

    def factory():
        if args.user:
            return SMTP(handler, hostname="catcher.test", authenticator=authenticate,
                        auth_required=True, auth_require_tls=False)
        return SMTP(handler, hostname="catcher.test")

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    port = sock.getsockname()[1]

    async def serve():
        server = await asyncio.get_running_loop().create_server(factory, sock=sock)
        print(port, flush=True)
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
