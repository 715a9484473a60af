"""Small SMTP servers for the lab (stdlib only): a remote MX sink with per-address
behaviour, and a content filter that re-injects into Postfix.

They record what they were told and what they answered; the driver writes the ground
truth from these records (never from the Postfix log).
"""

import smtplib
import socketserver
import threading
import time


class LabSMTPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, addr, name, policy):
        self.name = name
        self.policy = policy
        self.lock = threading.Lock()
        self.events = []      # (time, kind, detail...)
        self.receipts = []    # accepted messages
        self.rcpt_replies = []  # (rcpt, code, text)
        self.seen = set()
        self.counter = 0
        self.extensions = ["8BITMIME", "ENHANCEDSTATUSCODES"]
        super().__init__(addr, SMTPHandler)

    def next_id(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def start(self):
        t = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        t.start()
        return t


class SMTPHandler(socketserver.StreamRequestHandler):
    timeout = 60

    def send(self, text):
        self.wfile.write(text.encode("utf-8", "replace") + b"\r\n")
        self.wfile.flush()

    def handle(self):
        srv = self.server
        self.send(f"220 {srv.name} ESMTP lab sink")
        mail_from, rcpts, xforward = None, [], []
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].upper()
            arg = cmd[len(verb):].strip()
            if verb in ("EHLO", "LHLO"):
                exts = srv.extensions
                lines = [srv.name] + exts
                for i, ext in enumerate(lines):
                    sep = " " if i == len(lines) - 1 else "-"
                    self.send(f"250{sep}{ext}")
            elif verb == "HELO":
                self.send(f"250 {srv.name}")
            elif verb == "XFORWARD":
                xforward.append(arg)
                self.send("250 2.0.0 Ok")
            elif verb == "MAIL":
                mail_from = extract_addr(arg)
                rcpts = []
                self.send("250 2.1.0 Ok")
            elif verb == "RCPT":
                rcpt = extract_addr(arg)
                code, text = srv.policy.rcpt(srv, rcpt)
                with srv.lock:
                    srv.rcpt_replies.append((rcpt, code, text, time.time()))
                if code is None:  # hang up without a reply
                    return
                if code < 300:
                    rcpts.append(rcpt)
                self.send(f"{code} {text}")
            elif verb == "DATA":
                if not rcpts:
                    self.send("554 5.5.1 Error: no valid recipients")
                    continue
                self.send("354 End data with <CR><LF>.<CR><LF>")
                data = read_data(self.rfile)
                if data is None:
                    return
                code, text = srv.policy.data(srv, mail_from, rcpts, data, xforward)
                with srv.lock:
                    srv.receipts.append({
                        "time": time.time(), "from": mail_from, "rcpts": list(rcpts),
                        "data": data, "reply_code": code, "reply": f"{code} {text}",
                        "xforward": list(xforward),
                    })
                self.send(f"{code} {text}")
                mail_from, rcpts = None, []
            elif verb == "RSET":
                mail_from, rcpts = None, []
                self.send("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            else:
                self.send("502 5.5.2 Error: command not recognized")


def extract_addr(arg):
    start, end = arg.find("<"), arg.find(">")
    if start >= 0 and end > start:
        return arg[start + 1:end]
    return arg.split(":", 1)[-1].strip()


def read_data(rfile):
    out = []
    while True:
        line = rfile.readline(1 << 20)
        if not line:
            return None
        if line in (b".\r\n", b".\n"):
            return b"".join(out)
        if line.startswith(b".."):
            line = line[1:]
        out.append(line)


class MXPolicy:
    """mx1.remote.test: behaviour chosen by the recipient's local part."""

    def rcpt(self, srv, rcpt):
        local = rcpt.split("@", 1)[0].lower()
        if local.startswith("defer-"):
            return 450, f"4.2.1 <{rcpt}>: Recipient address rejected: mailbox busy, try later (lab)"
        if local.startswith("bounce-"):
            return 550, f"5.1.1 <{rcpt}>: Recipient address rejected: no such user here (lab)"
        if local.startswith("flaky-"):
            with srv.lock:
                first = rcpt not in srv.seen
                srv.seen.add(rcpt)
            if first:
                return 451, f"4.7.1 <{rcpt}>: Recipient address rejected: greylisted, try again later (lab)"
        return 250, "2.1.5 Ok"

    def data(self, srv, mail_from, rcpts, data, xforward):
        if any(r.lower().startswith("datarej-") for r in rcpts):
            return 554, "5.6.0 Error: message content rejected (lab)"
        return 250, f"2.0.0 Ok: queued as RX{srv.next_id():06d}"


class FilterPolicy:
    """127.0.0.1:10025: a content filter; re-injects into Postfix's smtpd on 10026."""

    def __init__(self, reinject_addr):
        self.reinject_addr = reinject_addr

    def rcpt(self, srv, rcpt):
        return 250, "2.1.5 Ok"

    def data(self, srv, mail_from, rcpts, data, xforward):
        if any(r.lower().startswith("virus-") for r in rcpts):
            return 554, "5.7.0 Error: message rejected by lab filter: INFECTED"
        try:
            with smtplib.SMTP(self.reinject_addr[0], self.reinject_addr[1],
                              local_hostname="filter.lab.example", timeout=30) as s:
                s.ehlo("filter.lab.example")
                if s.has_extn("xforward"):
                    for x in xforward:
                        s.docmd("XFORWARD", x)
                code, msg = s.mail(mail_from)
                if code >= 300:
                    return 451, f"4.3.0 re-injection refused MAIL: {code} {msg.decode()}"
                for r in rcpts:
                    code, msg = s.rcpt(r)
                    if code >= 300:
                        return 451, f"4.3.0 re-injection refused RCPT: {code} {msg.decode()}"
                code, msg = s.data(data)
                if code != 250:
                    return 451, f"4.3.0 re-injection failed: {code} {msg.decode()}"
                return 250, msg.decode()
        except (OSError, smtplib.SMTPException) as exc:
            return 451, f"4.3.0 re-injection failed: {exc}"
