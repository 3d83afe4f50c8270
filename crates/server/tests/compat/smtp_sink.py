"""A real SMTP server for the email tests: aiosmtpd (not ours) on 127.0.0.1.

usage: smtp_sink.py PORT OUT_DIR [CERT_PEM KEY_PEM]

Every message accepted is parsed with Python's email package and written to OUT_DIR as
<n>.json: {"mail_from", "rcpt_tos", "from", "to", "subject", "date", "message_id",
"content_type", "body"} with the body decoded (quoted-printable, base64) by that package.
With a certificate and key, STARTTLS is offered and required before MAIL. Prints READY once
listening; runs until killed.
"""

import email
import email.policy
import json
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "date": str(msg["Date"]),
            "message_id": str(msg["Message-ID"]),
            "content_type": msg.get_content_type(),
            "body": body.get_content() if body is not None else "",
            "tls": session.ssl is not None,
        }
        self.count += 1
        tmp = os.path.join(self.out_dir, f".{self.count}.tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.out_dir, f"{self.count:04}.json"))
        return "250 OK"


def main():
    port, out_dir = int(sys.argv[1]), sys.argv[2]
    kwargs = {}
    if len(sys.argv) == 5:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        kwargs = {"tls_context": ctx, "require_starttls": True}
    controller = Controller(Sink(out_dir), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print("READY", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
