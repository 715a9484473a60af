#!/usr/bin/env python3
"""mailtrail lab driver: runs one pass of a real Postfix through known scenarios and
writes the ground truth.

Must run as root inside a private network + mount (+ UTS) namespace: lab/run.sh does
that.  The truth is written from what this driver did (SMTP replies, commands run) and
from what the sinks, mailboxes and the final queue received -- never from the Postfix
log, which this program does not open.

Stdlib only.
"""

import argparse
import datetime as dt
import email
import email.policy
import email.utils
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import postfix as cfg  # noqa: E402
import sinks  # noqa: E402

MX1 = "mx1.remote.test[127.0.0.6]:2525"
VOL_OK = "127.0.0.2[127.0.0.2]:2525"
VOL_DEFER = "127.0.0.3[127.0.0.3]:2525"
VOL_BOUNCE = "127.0.0.4[127.0.0.4]:2525"
FILTER = "127.0.0.1[127.0.0.1]:10025"
CLIENT = "localhost[127.0.0.1]"
HELO = "client.lab.example"

T0 = time.time()
TIMELINE = []
PROBLEMS = []


def now_iso(t=None):
    t = time.time() if t is None else t
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(msg):
    TIMELINE.append({"t": round(time.time() - T0, 1), "at": now_iso(), "event": msg})
    print(f"[lab {time.time() - T0:6.1f}s] {msg}", flush=True)


def problem(msg):
    PROBLEMS.append(msg)
    print(f"[lab] PROBLEM: {msg}", flush=True)


def run(cmd, check=True, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.STDOUT)
    kw.setdefault("timeout", 60)
    r = subprocess.run(cmd, **kw)
    if check and r.returncode != 0:
        out = r.stdout.decode(errors="replace") if isinstance(r.stdout, bytes) else r.stdout
        raise RuntimeError(f"{cmd!r} failed rc={r.returncode}: {out}")
    return r


def wait_until(pred, timeout, what, interval=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if pred():
                return True
        except Exception as exc:  # noqa: BLE001 - keep waiting, report at the end
            last = exc  # noqa: F841
        time.sleep(interval)
    problem(f"timed out after {timeout}s waiting for: {what}")
    return False


# ---------------------------------------------------------------- private root ----

MOUNTS = []


def bind(src, dst):
    run(["mount", "--bind", src, dst])
    MOUNTS.append(dst)


def umount_all():
    while MOUNTS:
        m = MOUNTS.pop()
        subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)


def setup_dev(work):
    """A private /dev (tmpfs) so rsyslog can own /dev/log without touching the host."""
    hostdev = os.path.join(work, "hostdev")
    os.makedirs(hostdev, exist_ok=True)
    run(["mount", "--rbind", "/dev", hostdev])
    run(["mount", "-t", "tmpfs", "-o", "mode=755", "labdev", "/dev"])
    for node in ("null", "zero", "full", "random", "urandom", "tty"):
        if os.path.exists(os.path.join(hostdev, node)):
            open(os.path.join("/dev", node), "w").close()
            run(["mount", "--bind", os.path.join(hostdev, node), os.path.join("/dev", node)])
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join("/dev", name))
    os.makedirs("/dev/shm")
    run(["mount", "-t", "tmpfs", "labshm", "/dev/shm"])
    os.makedirs("/dev/pts")
    subprocess.run(["mount", "--rbind", os.path.join(hostdev, "pts"), "/dev/pts"],
                   stderr=subprocess.DEVNULL)
    # the original /dev stays reachable only through hostdev; detach it again
    subprocess.run(["umount", "-l", hostdev], stderr=subprocess.DEVNULL)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def setup_root(work, pass_name, log_file):
    """Private copies of /etc/postfix, the queue, passwd/group and hosts."""
    etc = os.path.join(work, "etc-postfix")
    shutil.copytree("/etc/postfix", etc, symlinks=True)
    write(os.path.join(etc, "main.cf"), cfg.main_cf(pass_name, log_file, work))
    write(os.path.join(etc, "master.cf"), cfg.MASTER_CF)
    write(os.path.join(etc, "transport"), cfg.TRANSPORT)
    write(os.path.join(etc, "client_access"), cfg.CLIENT_ACCESS)
    write(os.path.join(etc, "sender_access"), cfg.SENDER_ACCESS)
    write(os.path.join(etc, "rcpt_access"), cfg.RCPT_ACCESS)
    write(os.path.join(etc, "header_checks"), cfg.HEADER_CHECKS)
    write(os.path.join(etc, "aliases"), cfg.ALIASES)
    write(os.path.join(etc, "bounce.cf"), cfg.BOUNCE_TEMPLATES)
    spool = os.path.join(work, "spool")
    lib = os.path.join(work, "lib")
    os.makedirs(spool)
    os.makedirs(lib)
    pw = pwd_entry("postfix")
    os.chown(lib, pw[0], pw[1])
    # passwd/group with the lab's users; homes (Maildir) under the work directory
    passwd = open("/etc/passwd").read().rstrip("\n") + "\n"
    group = open("/etc/group").read().rstrip("\n") + "\n"
    homes = os.path.join(work, "home")
    for user, uid in cfg.LAB_USERS.items():
        home = os.path.join(homes, user)
        os.makedirs(home)
        os.chown(home, uid, uid)
        passwd += f"{user}:x:{uid}:{uid}:lab {user}:{home}:/bin/sh\n"
        group += f"{user}:x:{uid}:\n"
    write(os.path.join(work, "passwd"), passwd)
    write(os.path.join(work, "group"), group)
    write(os.path.join(work, "hosts"), cfg.HOSTS)
    write(os.path.join(work, "resolv.conf"), cfg.RESOLV)
    os.makedirs(os.path.join(work, "logs"))
    bind(etc, "/etc/postfix")
    bind(spool, "/var/spool/postfix")
    bind(lib, "/var/lib/postfix")
    bind(os.path.join(work, "passwd"), "/etc/passwd")
    bind(os.path.join(work, "group"), "/etc/group")
    bind(os.path.join(work, "hosts"), "/etc/hosts")
    bind(os.path.join(work, "resolv.conf"), "/etc/resolv.conf")
    run(["postalias", "/etc/postfix/aliases"])
    return homes


def pwd_entry(user):
    for line in open("/etc/passwd"):
        f = line.split(":")
        if f[0] == user:
            return int(f[2]), int(f[3])
    raise RuntimeError(f"no user {user}")


# ---------------------------------------------------------------- postfix ----

def postfix_start():
    run(["postfix", "start"], timeout=60)
    ok = wait_until(lambda: port_open("127.0.0.1", 25), 20, "smtpd on 127.0.0.1:25")
    if not ok:
        raise RuntimeError("postfix did not start")


def master_pid():
    try:
        with open("/var/spool/postfix/pid/master.pid") as f:
            pid = int(f.read().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None


def postfix_stop():
    pid = master_pid()
    subprocess.run(["postfix", "stop"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    if pid and not wait_until(lambda: not pid_alive(pid), 20, "postfix master to exit"):
        subprocess.run(["postfix", "abort"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # a zombie is dead for our purpose
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.settimeout(2)
            s.recv(100)
            s.sendall(b"QUIT\r\n")
        return True
    except OSError:
        return False


def queue():
    r = run(["postqueue", "-j"], check=False)
    out = []
    for line in r.stdout.decode(errors="replace").splitlines():
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def queue_by_id():
    return {m["queue_id"]: m for m in queue()}


def cmd(args):
    log("$ " + " ".join(args))
    return run(args, check=False)


# ---------------------------------------------------------------- observations ----

RECEIVED_ID = re.compile(r"by mail\.lab\.example \(Postfix[^)]*\)(?:\s+with \S+)?\s+id ([0-9A-Za-z]+)", re.S)


def received_ids(msg):
    """Postfix queue IDs named in the Received: headers, newest first."""
    ids = []
    for value in msg.get_all("Received", []):
        m = RECEIVED_ID.search(" ".join(str(value).split()))
        if m:
            ids.append(m.group(1))
    return ids


class Mailboxes:
    def __init__(self, homes):
        self.homes = homes
        self.cache = {}

    def scan(self):
        out = []
        for user in cfg.LAB_USERS:
            d = os.path.join(self.homes, user, "Maildir", "new")
            if not os.path.isdir(d):
                continue
            for name in sorted(os.listdir(d)):
                path = os.path.join(d, name)
                if path not in self.cache:
                    with open(path, "rb") as f:
                        raw = f.read()
                    self.cache[path] = parse_mail(raw, user)
                out.append(self.cache[path])
        return out


def parse_mail(raw, user=None):
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    text = raw.decode("utf-8", "replace")
    rec = {
        "user": user,
        "message_id": (msg.get("Message-ID") or "").strip(),
        "delivered_to": (msg.get("Delivered-To") or "").strip(),
        "return_path": (msg.get("Return-Path") or "").strip(),
        "subject": (msg.get("Subject") or "").strip(),
        "received_ids": received_ids(msg),
        "dsn": None,
    }
    if msg.get_content_type() == "multipart/report":
        rec["dsn"] = parse_dsn(msg, text)
    return rec


def parse_dsn(msg, text):
    orig_qid = re.search(r"^X-Postfix-Queue-ID:\s*(\S+)", text, re.M)
    orig_sender = re.search(r"^X-Postfix-Sender:\s*rfc822;\s*(\S*)", text, re.M)
    rcpts = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        fr = re.search(r"^Final-Recipient:\s*rfc822;\s*(\S+)", block, re.M | re.I)
        act = re.search(r"^Action:\s*(\S+)", block, re.M | re.I)
        st = re.search(r"^Status:\s*(\S+)", block, re.M | re.I)
        orr = re.search(r"^Original-Recipient:\s*rfc822;\s*(\S+)", block, re.M | re.I)
        if fr and act:
            rcpts.append({"rcpt": fr.group(1), "action": act.group(1).lower(),
                          "status": st.group(1) if st else None,
                          "orig": orr.group(1) if orr else None})
    # the returned headers of the original message
    orig_mid = None
    for part in msg.walk():
        if part.get_content_type() in ("text/rfc822-headers", "message/rfc822"):
            payload = part.get_payload(decode=False)
            if isinstance(payload, list):
                payload = "".join(str(p) for p in payload)
            m = re.search(r"^Message-ID:\s*(<[^>]+>)", str(payload), re.M | re.I)
            if m:
                orig_mid = m.group(1)
    subject = msg.get("Subject") or ""
    actions = {r["action"] for r in rcpts}
    if "delayed" in actions:
        kind = "delay"
    elif actions & {"delivered", "relayed", "expanded"}:
        kind = "delivery-status"
    else:
        kind = "non-delivery"
    return {"orig_queue_id": orig_qid.group(1) if orig_qid else None,
            "orig_sender": orig_sender.group(1) if orig_sender else None,
            "orig_message_id": orig_mid, "kind": kind, "subject": subject,
            "recipients": rcpts}


# ---------------------------------------------------------------- scenarios ----

class Lab:
    def __init__(self, args, work, homes):
        self.args = args
        self.work = work
        self.pass_name = args.pass_name
        self.run_id = args.run_id
        self.mbox = Mailboxes(homes)
        self.msgs = []        # scenario message records (truth in the making)
        self.sessions = []
        self.volumes = []
        self.mx = sinks.LabSMTPServer(("127.0.0.6", 2525), "mx1.remote.test", sinks.MXPolicy())
        self.filter = sinks.LabSMTPServer(("127.0.0.1", 10025), "filter.lab.example",
                                          sinks.FilterPolicy(("127.0.0.1", 10026)))
        self.filter.extensions = ["XFORWARD NAME ADDR PROTO HELO IDENT SOURCE", "8BITMIME",
                                  "ENHANCEDSTATUSCODES"]
        self.procs = []

    # -- helpers -------------------------------------------------------------
    def mid(self, sc):
        return f"<{sc.lower()}.{self.run_id}.{self.pass_name}@client.lab.example>"

    def body(self, sc, mail_from, rcpts, subject, extra_headers=()):
        lines = [f"Message-ID: {self.mid(sc)}",
                 f"Date: {email.utils.formatdate(localtime=False)}",
                 f"From: <{mail_from}>" if mail_from else "From: <>",
                 "To: " + ", ".join(f"<{r}>" for r in rcpts),
                 f"Subject: {subject}"]
        lines += list(extra_headers)
        lines += ["", f"mailtrail lab message {sc} ({self.pass_name} pass).", ""]
        return "\r\n".join(lines).encode()

    def new_msg(self, sc, description, sender, rcpts, method, **kw):
        m = {"type": "message", "scenario": sc, "description": description,
             "message_id": self.mid(sc), "queue_id": None, "queue_id_source": None,
             "sender": sender, "rcpts_submitted": list(rcpts),
             "submitted_at": now_iso(), "submit": {"method": method},
             "recipients": [], "dsns": [], "links": [], "_expect": {}}
        m.update(kw)
        self.msgs.append(m)
        return m

    def smtp_send(self, sc, description, mail_from, rcpts, expect, subject=None,
                  source="127.0.0.1", helo=HELO, rcpt_options=(), client=CLIENT):
        """expect: rcpt -> (status, route) ; route is used to name relay/dsn."""
        subject = subject or f"lab {sc}"
        m = self.new_msg(sc, description, mail_from, rcpts, "smtp", subject=subject)
        m["submit"].update({"client": client, "helo": helo, "port": 25})
        replies = {"rcpt": {}}
        try:
            with smtplib.SMTP("127.0.0.1", 25, local_hostname=helo,
                              source_address=(source, 0), timeout=30) as s:
                s.ehlo(helo)
                code, msg = s.mail(mail_from)
                replies["mail"] = f"{code} {msg.decode()}"
                accepted = []
                if code < 300:
                    for r in rcpts:
                        code, msg = s.rcpt(r, list(rcpt_options))
                        replies["rcpt"][r] = f"{code} {msg.decode()}"
                        if code < 300:
                            accepted.append(r)
                if accepted:
                    code, msg = s.data(self.body(sc, mail_from, rcpts, subject))
                    replies["data"] = f"{code} {msg.decode()}"
                    q = re.search(r"queued as (\S+)", msg.decode())
                    if code == 250 and q:
                        m["queue_id"] = q.group(1)
                        m["queue_id_source"] = "smtp-reply"
                s.quit()
        except (OSError, smtplib.SMTPException) as exc:
            problem(f"{sc}: SMTP session failed: {exc}")
        m["smtp_replies"] = replies
        m["_expect"] = expect
        return m

    def sendmail(self, sc, description, user, rcpts, expect, subject=None):
        subject = subject or f"lab {sc}"
        sender = f"{user}@lab.example"
        m = self.new_msg(sc, description, sender, rcpts, "sendmail", subject=subject)
        uid = 0 if user == "root" else cfg.LAB_USERS[user]
        m["submit"].update({"daemon": "pickup", "user": user, "uid": uid})
        data = self.body(sc, sender, rcpts, subject).replace(b"\r\n", b"\n")
        kw = {} if uid == 0 else {"user": uid, "group": uid, "extra_groups": []}
        r = run(["/usr/sbin/sendmail", "-i", "--"] + list(rcpts), check=False,
                input=data, cwd="/", **kw)
        m["sendmail_rc"] = r.returncode
        if r.returncode != 0:
            problem(f"{sc}: sendmail rc={r.returncode}: {r.stdout!r}")
        m["_expect"] = expect
        return m

    def session(self, sc, description, script, expect_queue_file=False):
        """An SMTP session that carries no complete message."""
        rec = {"type": "session", "scenario": sc, "description": description,
               "started_at": now_iso(), "queue_file": expect_queue_file,
               "message_id": None, "client_saw": []}
        try:
            s = socket.create_connection(("127.0.0.1", 25), timeout=15)
            f = s.makefile("rb")

            def reply():
                lines = []
                while True:
                    line = f.readline()
                    if not line:
                        break
                    lines.append(line.decode().rstrip())
                    if len(line) < 4 or line[3:4] != b"-":
                        break
                rec["client_saw"].append(" / ".join(lines))

            reply()
            for step in script:
                if step == "CLOSE":
                    break
                if isinstance(step, bytes):
                    s.sendall(step)
                    continue
                s.sendall(step.encode() + b"\r\n")
                reply()
            s.close()
        except OSError as exc:
            problem(f"{sc}: {exc}")
        self.sessions.append(rec)
        return rec

    # -- phases ----------------------------------------------------------------
    def sessions_phase(self):
        log("phase: SMTP sessions without a complete message")
        self.session("X01", "client disconnects right after EHLO", [f"EHLO {HELO}", "CLOSE"])
        mid = self.mid("X02")
        rec = self.session("X02", "client dies in the middle of DATA (queue file is discarded)",
                           [f"EHLO {HELO}", "MAIL FROM:<alice@lab.example>",
                            "RCPT TO:<ok-x02@remote.test>", "DATA",
                            f"Message-ID: {mid}\r\nSubject: lab X02\r\n\r\npartial body\r\n".encode(),
                            "CLOSE"], expect_queue_file=True)
        rec["message_id"] = mid
        self.session("X03", "client gives up after RCPT (queue file created, then discarded)",
                     [f"EHLO {HELO}", "MAIL FROM:<alice@lab.example>",
                      "RCPT TO:<ok-x03@remote.test>", "CLOSE"], expect_queue_file=True)
        self.session("X04", "NOOP, RSET and QUIT only", [f"EHLO {HELO}", "NOOP", "RSET", "QUIT"])
        self.session("X05", "non-SMTP command (HTTP) on port 25", ["GET / HTTP/1.1"])

    def messages_phase(self):
        log("phase: scenario messages")
        self.smtp_send("S01", "relayed to a remote sink and sent", "alice@lab.example",
                       ["ok-s01@remote.test"], {"ok-s01@remote.test": ("sent", "mx1")})
        self.smtp_send("S02", "one message, six recipients, mixed outcomes (one refused at RCPT "
                       "after the queue file exists; one deferred until expiry)",
                       "bob@lab.example",
                       ["ok-s02@remote.test", "bounce-s02@remote.test", "carol@lab.example",
                        "defer-s02@remote.test", "nosuch-s02@lab.example", "ok-s02@vol-ok.test"],
                       {"ok-s02@remote.test": ("sent", "mx1"),
                        "bounce-s02@remote.test": ("bounced", "mx1"),
                        "carol@lab.example": ("sent", "local"),
                        "defer-s02@remote.test": ("expired", "mx1"),
                        "nosuch-s02@lab.example": ("rejected", "RCPT"),
                        "ok-s02@vol-ok.test": ("sent", "volok")})
        self.smtp_send("S03", "5xx at RCPT from the remote sink: bounced, the non-delivery "
                       "notification is delivered locally", "alice@lab.example",
                       ["bounce-s03@remote.test"], {"bounce-s03@remote.test": ("bounced", "mx1")})
        self.smtp_send("S04", "4xx (greylisting) at RCPT: deferred, delivered after a forced "
                       "retry (postqueue -i)", "alice@lab.example", ["flaky-s04@remote.test"],
                       {"flaky-s04@remote.test": ("sent", "mx1")})
        self.smtp_send("S05", "local delivery over SMTP", "bob@lab.example", ["alice@lab.example"],
                       {"alice@lab.example": ("sent", "local")})
        self.smtp_send("S06", "unknown local user: refused at RCPT (NOQUEUE)", "bob@lab.example",
                       ["nosuch-s06@lab.example"], {"nosuch-s06@lab.example": ("rejected", "RCPT")})
        self.smtp_send("S07", "relay attempt from a client outside mynetworks: relay denied",
                       "someone@outside.example.test", ["victim-s07@remote.test"],
                       {"victim-s07@remote.test": ("rejected", "RCPT")},
                       source="127.0.0.20", helo="outside.example.test",
                       client="outside.example.test[127.0.0.20]")
        self.smtp_send("S08", "check_client_access REJECT (client 127.0.0.21)",
                       "someone@blocked.example.test", ["alice@lab.example"],
                       {"alice@lab.example": ("rejected", "RCPT")},
                       source="127.0.0.21", helo="blocked.example.test",
                       client="blocked.example.test[127.0.0.21]")
        self.smtp_send("S09", "check_sender_access REJECT", "spammer@bad.example.test",
                       ["alice@lab.example"], {"alice@lab.example": ("rejected", "RCPT")})
        self.smtp_send("S10", "header_checks REJECT (cleanup rejects at end of DATA)",
                       "alice@lab.example", ["bob@lab.example"],
                       {"bob@lab.example": ("rejected", "cleanup")}, subject="lab S10 [REJECT-HDR]")
        self.smtp_send("S11", "header_checks DISCARD (accepted, never delivered)",
                       "alice@lab.example", ["ok-s11@remote.test"],
                       {"ok-s11@remote.test": ("discarded", None)}, subject="lab S11 [DISCARD]")
        self.smtp_send("S12", "header_checks HOLD, released with postsuper -H, then delivered",
                       "alice@lab.example", ["ok-s12@remote.test"],
                       {"ok-s12@remote.test": ("sent", "mx1")}, subject="lab S12 [HOLD]")
        self.smtp_send("S13", "header_checks HOLD, never released (held at stop)",
                       "alice@lab.example", ["ok-s13@remote.test"],
                       {"ok-s13@remote.test": ("held", None)}, subject="lab S13 [HOLD]")
        self.smtp_send("S14", "content filter chain: smtp to the filter on 127.0.0.1:10025, "
                       "re-injected through the smtpd on 10026 (XFORWARD), new queue id, sent",
                       "alice@lab.example", ["ok-s14@filtered.test"],
                       {"ok-s14@filtered.test": ("sent", "filter+mx1")})
        self.smtp_send("S15", "content filter rejects the message (554): bounced",
                       "alice@lab.example", ["virus-s15@filtered.test"],
                       {"virus-s15@filtered.test": ("bounced", "filter")})
        self.smtp_send("S16", "nothing listens at the destination: deferred, then deleted "
                       "with postsuper -d", "alice@lab.example", ["user-s16@down.test"],
                       {"user-s16@down.test": ("deleted", None)})
        self.smtp_send("S17", "450 at every RCPT: delay notification, then expired "
                       "(short queue lifetime)", "alice@lab.example", ["defer-s17@remote.test"],
                       {"defer-s17@remote.test": ("expired", "mx1")})
        self.smtp_send("S18", "greylisted once, requeued with postsuper -r: pickup re-injects "
                       "it under a new queue id (orig_id=), then sent", "alice@lab.example",
                       ["flaky-s18@remote.test"], {"flaky-s18@remote.test": ("sent", "mx1")})
        self.smtp_send("S19", "NOTIFY=SUCCESS: relayed, with a delivery status notification",
                       "alice@lab.example", ["ok-s19@remote.test"],
                       {"ok-s19@remote.test": ("sent", "mx1")}, rcpt_options=["NOTIFY=SUCCESS"])
        self.smtp_send("S20", "450 at RCPT: deferred, then postsuper -e (force expire) and "
                       "postqueue -i", "alice@lab.example", ["defer-s20@remote.test"],
                       {"defer-s20@remote.test": ("force-expired", "mx1")})
        self.smtp_send("S21", "sink rejects at end of DATA with 554: bounced", "bob@lab.example",
                       ["datarej-s21@remote.test"], {"datarej-s21@remote.test": ("bounced", "mx1")})
        # local submissions through sendmail(1) -> pickup
        self.sendmail("P01", "sendmail(1) as root: one local and one remote recipient", "root",
                      ["alice@lab.example", "ok-p01@remote.test"],
                      {"alice@lab.example": ("sent", "local"), "ok-p01@remote.test": ("sent", "mx1")})
        self.sendmail("P02", "sendmail(1) as bob to an unknown local user: local(8) bounces",
                      "bob", ["nosuch-p02@lab.example"], {"nosuch-p02@lab.example": ("bounced", "local")})
        self.sendmail("P03", "sendmail(1) as bob to an error:5.1.2 destination: error(8) bounces",
                      "bob", ["user-p03@nowhere.test"], {"user-p03@nowhere.test": ("bounced", "error")})
        self.sendmail("P04", "sendmail(1) as carol to an alias list (team -> alice, bob)", "carol",
                      ["team@lab.example"],
                      {"alice@lab.example": ("sent", "local", "team@lab.example"),
                       "bob@lab.example": ("sent", "local", "team@lab.example")})

    def by_sc(self, sc):
        for m in self.msgs:
            if m["scenario"] == sc:
                return m
        raise KeyError(sc)

    def in_queue(self, sc, names=("deferred",)):
        q = self.by_sc(sc)["queue_id"]
        return lambda: (q in (qb := queue_by_id())) and qb[q]["queue_name"] in names

    def mx_got(self, rcpt):
        return lambda: any(rcpt in r["rcpts"] and r["reply_code"] == 250 for r in self.mx.receipts)

    def mailbox_has(self, user, message_id):
        return lambda: any(x["user"] == user and x["message_id"] == message_id
                           for x in self.mbox.scan())

    def dsn_about(self, message_id, kind):
        return lambda: any(x["dsn"] and x["dsn"]["orig_message_id"] == message_id
                           and x["dsn"]["kind"] == kind for x in self.mbox.scan())

    def quiet(self):
        """No mail in incoming/active/maildrop."""
        q = queue()
        return not any(m["queue_name"] in ("incoming", "active", "maildrop") for m in q)

    def settle_phase(self):
        log("phase: wait for first delivery attempts")
        w = 30
        wait_until(self.mx_got("ok-s01@remote.test"), w, "S01 at the sink")
        wait_until(self.in_queue("S02"), w, "S02 deferred")
        wait_until(self.dsn_about(self.mid("S02"), "non-delivery"), w, "S02 bounce notification")
        wait_until(self.dsn_about(self.mid("S03"), "non-delivery"), w, "S03 bounce notification")
        wait_until(self.in_queue("S04"), w, "S04 deferred")
        wait_until(self.in_queue("S12", ("hold",)), w, "S12 held")
        wait_until(self.in_queue("S13", ("hold",)), w, "S13 held")
        wait_until(self.mx_got("ok-s14@filtered.test"), w, "S14 through the filter")
        wait_until(self.dsn_about(self.mid("S15"), "non-delivery"), w, "S15 bounce notification")
        wait_until(self.in_queue("S16"), w, "S16 deferred")
        wait_until(self.in_queue("S17"), w, "S17 deferred")
        wait_until(self.in_queue("S18"), w, "S18 deferred")
        wait_until(self.dsn_about(self.mid("S19"), "delivery-status"), w, "S19 success notification")
        wait_until(self.in_queue("S20"), w, "S20 deferred")
        wait_until(self.dsn_about(self.mid("S21"), "non-delivery"), w, "S21 bounce notification")
        wait_until(self.dsn_about(self.mid("P02"), "non-delivery"), w, "P02 bounce notification")
        wait_until(self.dsn_about(self.mid("P03"), "non-delivery"), w, "P03 bounce notification")
        wait_until(self.mailbox_has("bob", self.mid("P04")), w, "P04 to bob")
        wait_until(self.quiet, w, "queue quiet")

    def queue_ops_phase(self):
        log("phase: queue operations")
        s04, s12, s16, s18, s20 = (self.by_sc(s)["queue_id"] for s in ("S04", "S12", "S16", "S18", "S20"))
        before = set(queue_by_id())
        cmd(["postqueue", "-i", s04])
        self.by_sc("S04")["queue_ops"] = [f"postqueue -i {s04}"]
        cmd(["postsuper", "-d", s16])
        self.by_sc("S16")["queue_ops"] = [f"postsuper -d {s16}"]
        cmd(["postsuper", "-H", s12])
        cmd(["postqueue", "-i", s12])
        self.by_sc("S12")["queue_ops"] = [f"postsuper -H {s12}", f"postqueue -i {s12}"]
        cmd(["postsuper", "-e", s20])
        cmd(["postqueue", "-i", s20])
        self.by_sc("S20")["queue_ops"] = [f"postsuper -e {s20}", f"postqueue -i {s20}"]
        cmd(["postsuper", "-r", s18])
        cmd(["postkick", "public", "pickup", "W"])
        self.by_sc("S18")["queue_ops"] = [f"postsuper -r {s18}", "postkick public pickup W"]
        wait_until(self.mx_got("flaky-s04@remote.test"), 30, "S04 delivered after retry")
        wait_until(self.mx_got("ok-s12@remote.test"), 30, "S12 delivered after release")
        wait_until(self.mx_got("flaky-s18@remote.test"), 30, "S18 delivered after requeue")
        wait_until(self.dsn_about(self.mid("S20"), "non-delivery"), 30, "S20 force-expired notification")
        wait_until(lambda: s16 not in queue_by_id(), 10, "S16 deleted")
        wait_until(self.quiet, 30, "queue quiet")
        del before

    def reload_phase(self):
        log("phase: postfix reload")
        cmd(["postfix", "reload"])
        time.sleep(1.5)
        self.smtp_send("S22", "relayed and sent right after postfix reload", "carol@lab.example",
                       ["ok-s22@remote.test"], {"ok-s22@remote.test": ("sent", "mx1")})
        wait_until(self.mx_got("ok-s22@remote.test"), 30, "S22 at the sink")

    # -- volume ----------------------------------------------------------------
    def start_volume_sinks(self):
        dump = os.path.join(self.work, "dump-ok")
        os.makedirs(dump)
        os.chmod(dump, 0o777)
        self.sink_dump = dump
        for addr, opts in (("127.0.0.2:2525", ["-d", dump + "/%H%M%S."]),
                           ("127.0.0.3:2525", ["-r", "RCPT"]),
                           ("127.0.0.4:2525", ["-f", "RCPT"])):
            p = subprocess.Popen(["smtp-sink", "-u", "nobody", "-h", "sink.lab.test"] + opts + [addr, "256"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.procs.append(p)
        for host in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
            wait_until(lambda h=host: port_open(h, 2525), 10, f"smtp-sink on {host}")
        self.sink_replies = {}
        for host in ("127.0.0.3", "127.0.0.4"):
            # what the sink answers at RCPT (the dsn Postfix will log comes from it)
            with smtplib.SMTP(host, 2525, local_hostname="probe.lab.example", timeout=10) as s:
                s.ehlo()
                s.mail("probe@lab.example")
                code, msg = s.rcpt("probe@lab.example")
                self.sink_replies[host] = (code, msg.decode())
                s.rset()

    def smtp_source(self, batch, description, messages, rcpt, rcpts_per_msg, expect, dsns,
                    numbered=True, sessions=5, extra=()):
        if messages <= 0:
            return
        args = ["smtp-source", "-s", str(sessions), "-m", str(messages), "-r", str(rcpts_per_msg),
                "-f", "loadgen@vol-ok.test", "-t", rcpt, "-M", "loadgen.lab.example",
                "-S", f"lab volume {batch}"] + list(extra)
        if numbered:
            args.append("-N")
        args.append("127.0.0.1:25")
        t = time.time()
        r = run(args, check=False, timeout=120)
        log(f"smtp-source {batch}: {messages} msgs x {rcpts_per_msg} rcpt rc={r.returncode} "
            f"in {time.time() - t:.1f}s")
        if r.returncode != 0:
            problem(f"smtp-source {batch} rc={r.returncode}: {r.stdout!r}")
        n = messages * rcpts_per_msg
        self.volumes.append({
            "type": "volume", "batch": batch, "description": description,
            "command": " ".join(args), "tool": "smtp-source", "messages": messages,
            "recipients_per_message": rcpts_per_msg, "recipients_total": n,
            "sender": "loadgen@vol-ok.test", "helo": "loadgen.lab.example", "client": CLIENT,
            "recipient_pattern": (f"<N>{rcpt}, N = 1..{n} (smtp-source -N)" if numbered else rcpt),
            "recipient_domain": rcpt.split("@")[1],
            "message_id_pattern": "set by smtp-source", "expect": expect,
            "dsns_per_message": dsns, "submitted_at": now_iso(t)})

    def volume_phase(self, scale):
        log(f"phase: volume (smtp-source, scale {scale})")
        n = lambda k: max(1, int(round(k * scale)))  # noqa: E731
        d_code, d_text = self.sink_replies["127.0.0.3"]
        b_code, b_text = self.sink_replies["127.0.0.4"]
        d_dsn = d_text.split()[0]
        b_dsn = b_text.split()[0]
        ndr_to_loadgen = {"kind": "non-delivery", "to": "loadgen@vol-ok.test", "sender": "",
                          "status": "sent", "relay": VOL_OK}
        delay_to_loadgen = dict(ndr_to_loadgen, kind="delay")
        self.smtp_source("V1", "accepting smtp-sink", n(200), "vol@vol-ok.test", 1,
                         {"status": "sent", "relay": VOL_OK, "dsn": "2.0.0"}, [], sessions=8)
        self.smtp_source("V2", "accepting smtp-sink, 3 recipients per message", n(30),
                         "volm@vol-ok.test", 3, {"status": "sent", "relay": VOL_OK, "dsn": "2.0.0"}, [])
        self.smtp_source("V3", "smtp-sink answers 4xx to every RCPT: deferred, one delay "
                         "notification, then expired (one non-delivery notification)", n(25),
                         "vdefer@vol-defer.test", 1,
                         {"status": "expired", "relay": VOL_DEFER, "dsn": d_dsn},
                         [delay_to_loadgen, ndr_to_loadgen])
        self.smtp_source("V4", "smtp-sink answers 5xx to every RCPT: bounced, one non-delivery "
                         "notification each", n(25), "vbounce@vol-bounce.test", 1,
                         {"status": "bounced", "relay": VOL_BOUNCE, "dsn": b_dsn}, [ndr_to_loadgen])
        self.smtp_source("V5", "local mailbox delivery, many messages per session (-d)", n(25),
                         "volbox@lab.example", 1, {"status": "sent", "relay": "local", "dsn": "2.0.0"},
                         [], numbered=False, extra=["-d"])
        self.vol_counts = {"V1": n(200), "V2": n(30), "V3": n(25), "V4": n(25), "V5": n(25)}
        want_ok = self.vol_counts["V1"] + self.vol_counts["V2"]
        wait_until(lambda: self.dump_count()[0] >= want_ok, 120, "volume at the accepting sink")
        wait_until(lambda: self.dump_count()[1] >= self.vol_counts["V4"], 60,
                   "volume bounce notifications at the sink")
        wait_until(lambda: self.maildir_count("volbox") >= self.vol_counts["V5"], 60,
                   "volume local deliveries")
        wait_until(self.quiet, 60, "queue quiet after volume")

    def dump_count(self):
        """(messages to vol@/volm@, notifications from MAILER-DAEMON) at the accepting sink."""
        ok = ndr = delay = 0
        for root, _dirs, files in os.walk(self.sink_dump):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    head = f.read(65536).decode("utf-8", "replace")
                if re.search(r"^Subject: Undelivered Mail", head, re.M):
                    ndr += 1
                elif re.search(r"^Subject: Delayed Mail", head, re.M):
                    delay += 1
                elif re.search(r"^Subject: lab volume", head, re.M):
                    ok += 1
        return ok, ndr, delay

    def maildir_count(self, user):
        d = os.path.join(self.mbox.homes, user, "Maildir", "new")
        return len(os.listdir(d)) if os.path.isdir(d) else 0

    # -- delay warnings and expiry -------------------------------------------
    def delay_phase(self):
        deferred = [m for m in queue() if m["queue_name"] == "deferred"]
        if deferred:
            newest = max(m["arrival_time"] for m in deferred)
            wait = newest + 16 - time.time()
            log(f"phase: delay warnings (delay_warning_time=15s): waiting {max(wait, 0):.0f}s, "
                "then postqueue -f")
            if wait > 0:
                time.sleep(wait)
        cmd(["postqueue", "-f"])
        wait_until(self.dsn_about(self.mid("S02"), "delay"), 40, "S02 delay notification")
        wait_until(self.dsn_about(self.mid("S17"), "delay"), 40, "S17 delay notification")
        wait_until(lambda: self.dump_count()[2] >= self.vol_counts["V3"], 60,
                   "volume delay notifications")
        wait_until(self.quiet, 60, "queue quiet after delay warnings")

    def expiry_phase(self):
        log("phase: expiry (maximal_queue_lifetime=0, bounce_queue_lifetime=0, reload, flush)")
        cmd(["postconf", "-e", "maximal_queue_lifetime=0", "bounce_queue_lifetime=0"])
        cmd(["postfix", "reload"])
        time.sleep(1.5)
        cmd(["postqueue", "-f"])
        wait_until(lambda: not any(m["queue_name"] == "deferred" for m in queue()), 60,
                   "deferred queue empty")
        wait_until(self.dsn_about(self.mid("S17"), "non-delivery"), 30, "S17 expiry notification")
        wait_until(self.dsn_about(self.mid("S02"), "non-delivery") , 30, "S02 expiry notification")
        wait_until(lambda: self.dump_count()[1] >= self.vol_counts["V3"] + self.vol_counts["V4"], 60,
                   "volume expiry notifications")
        wait_until(self.quiet, 60, "queue quiet after expiry")
        cmd(["postconf", "-e", "maximal_queue_lifetime=1d", "bounce_queue_lifetime=1d"])
        cmd(["postfix", "reload"])
        time.sleep(1.5)

    def late_phase(self, scale):
        log("phase: mail left in the queue at stop")
        self.smtp_send("S23", "450 at RCPT, still deferred when Postfix stops", "alice@lab.example",
                       ["defer-s23@remote.test"], {"defer-s23@remote.test": ("deferred", "mx1")})
        self.smtp_send("S24", "mixed: one recipient sent, one still deferred at stop",
                       "bob@lab.example", ["ok-s24@remote.test", "defer-s24@remote.test"],
                       {"ok-s24@remote.test": ("sent", "mx1"),
                        "defer-s24@remote.test": ("deferred", "mx1")})
        d_text = self.sink_replies["127.0.0.3"][1]
        self.smtp_source("V6", "smtp-sink answers 4xx at RCPT, submitted at the end: still "
                         "deferred at stop, no notification", max(1, int(round(5 * scale))),
                         "vdlate@vol-defer.test", 1,
                         {"status": "deferred", "relay": VOL_DEFER, "dsn": d_text.split()[0]}, [])
        wait_until(self.in_queue("S23"), 30, "S23 deferred")
        wait_until(self.in_queue("S24"), 30, "S24 deferred")
        wait_until(self.quiet, 30, "queue quiet at the end")

    # -- truth -----------------------------------------------------------------
    def build_truth(self, final_queue):
        mail = self.mbox.scan()
        dsn_mail = [x for x in mail if x["dsn"]]
        fq = {m["queue_id"]: m for m in final_queue}
        checks, failures = 0, []

        def fail(msg):
            failures.append(msg)

        def sink_replies_for(rcpt):
            return [(c, t) for (r, c, t, _) in self.mx.rcpt_replies if r == rcpt]

        def mx_receipt(rcpt):
            for r in self.mx.receipts:
                if rcpt in r["rcpts"]:
                    return r
            return None

        for m in self.msgs:
            exp = m.pop("_expect")
            mid = m["message_id"]
            recipients = []
            rejected_stage = None
            # queue id of sendmail submissions: the Received: header written by Postfix
            if m["queue_id"] is None and m["submit"]["method"] == "sendmail":
                for x in mail:
                    if x["message_id"] == mid and x["received_ids"]:
                        m["queue_id"] = x["received_ids"][-1]
                        m["queue_id_source"] = "received-header (mailbox)"
                        break
                else:
                    for r in self.mx.receipts:
                        px = parse_mail(r["data"])
                        if px["message_id"] == mid and px["received_ids"]:
                            m["queue_id"] = px["received_ids"][-1]
                            m["queue_id_source"] = "received-header (sink)"
                            break
                    else:
                        for x in mail:
                            if x["dsn"] and x["dsn"]["orig_message_id"] == mid:
                                m["queue_id"] = x["dsn"]["orig_queue_id"]
                                m["queue_id_source"] = "notification (X-Postfix-Queue-ID)"
                                break
            for rcpt, e in exp.items():
                status, route = e[0], e[1]
                rec = {"rcpt": rcpt, "status": status, "relay": None, "dsn": None}
                if len(e) > 2:
                    rec["orig_rcpt"] = e[2]
                checks += 1
                if status == "rejected":
                    stage = route
                    reply = (m["smtp_replies"]["rcpt"].get(rcpt) if stage == "RCPT"
                             else m["smtp_replies"].get("data"))
                    if not reply or not reply[0] in "45":
                        fail(f"{m['scenario']} {rcpt}: expected a reject, SMTP said {reply!r}")
                    else:
                        rec["reject_stage"] = stage
                        rec["reply_code"] = int(reply[:3])
                        rec["dsn"] = reply.split()[1]
                        rec["reply"] = reply
                        # smtpd opens the queue file at the first accepted RCPT: a reject
                        # before that is logged as NOQUEUE, after it with the queue ID
                        earlier = m["rcpts_submitted"][:m["rcpts_submitted"].index(rcpt)]
                        rec["noqueue"] = stage == "RCPT" and not any(
                            m["smtp_replies"]["rcpt"].get(x, "").startswith("2") for x in earlier)
                        rejected_stage = stage
                elif status == "sent":
                    if route == "local":
                        user = rcpt.split("@")[0]
                        if not any(x["user"] == user and x["message_id"] == mid for x in mail):
                            fail(f"{m['scenario']} {rcpt}: not in {user}'s mailbox")
                        rec.update(relay="local", dsn="2.0.0")
                    elif route == "volok":
                        rec.update(relay=VOL_OK, dsn="2.0.0")
                        if not any(rcpt in open(os.path.join(root, f), errors="replace").read()
                                   for root, _d, fs in os.walk(self.sink_dump) for f in fs):
                            fail(f"{m['scenario']} {rcpt}: not at the 127.0.0.2 sink")
                    elif route in ("mx1", "filter+mx1"):
                        r = mx_receipt(rcpt)
                        if not r:
                            fail(f"{m['scenario']} {rcpt}: not received by mx1")
                        else:
                            rec.update(relay=MX1, dsn=r["reply"].split()[1])
                            ids = received_ids(email.message_from_bytes(r["data"]))
                            if route == "filter+mx1":
                                self.link_filter(m, r, ids, fail)
                            if m["scenario"] == "S18":
                                self.link_requeue(m, ids, fail)
                    else:
                        fail(f"{m['scenario']}: unknown route {route}")
                elif status in ("bounced", "expired", "force-expired"):
                    kind_rcpt = [d for d in dsn_mail if d["dsn"]["orig_message_id"] == mid
                                 and d["dsn"]["kind"] == "non-delivery"
                                 and any(x["rcpt"] == rcpt for x in d["dsn"]["recipients"])]
                    if not kind_rcpt:
                        fail(f"{m['scenario']} {rcpt}: no non-delivery notification received")
                    else:
                        st = [x for x in kind_rcpt[0]["dsn"]["recipients"] if x["rcpt"] == rcpt][0]
                        rec["dsn"] = st["status"]
                    rec["relay"] = {"mx1": MX1, "local": "local", "error": "none",
                                    "filter": FILTER}[route]
                    if route == "mx1":
                        replies = sink_replies_for(rcpt)
                        if status == "bounced" and not replies:
                            fail(f"{m['scenario']} {rcpt}: sink never saw it")
                        if replies and replies[-1][0] >= 400:
                            want = replies[-1][1].split()[0]
                            if rec["dsn"] != want:
                                fail(f"{m['scenario']} {rcpt}: DSN status {rec['dsn']} but the "
                                     f"sink answered {want}")
                        elif status == "bounced":  # rejected after DATA
                            r = mx_receipt(rcpt)
                            if not r or r["reply_code"] < 500:
                                fail(f"{m['scenario']} {rcpt}: sink did not reject it")
                elif status == "deferred":
                    q = fq.get(m["queue_id"])
                    if not q or q["queue_name"] != "deferred" or rcpt not in [
                            x["address"] for x in q["recipients"]]:
                        fail(f"{m['scenario']} {rcpt}: not deferred in the final queue")
                    replies = sink_replies_for(rcpt)
                    rec["relay"] = MX1
                    rec["dsn"] = replies[-1][1].split()[0] if replies else None
                elif status == "held":
                    q = fq.get(m["queue_id"])
                    if not q or q["queue_name"] != "hold":
                        fail(f"{m['scenario']} {rcpt}: not in the hold queue at stop")
                elif status == "deleted":
                    if m["queue_id"] in fq or mx_receipt(rcpt):
                        fail(f"{m['scenario']} {rcpt}: still queued or delivered")
                elif status == "discarded":
                    if m["queue_id"] in fq or mx_receipt(rcpt) or not m["queue_id"]:
                        fail(f"{m['scenario']} {rcpt}: queued or delivered")
                recipients.append(rec)
            m["recipients"] = recipients
            if rejected_stage and all(r["status"] == "rejected" for r in recipients):
                m["reject"] = {"stage": rejected_stage,
                               "noqueue": rejected_stage == "RCPT"}
            # notifications about this message, as received by the mailboxes
            for d in dsn_mail:
                if d["dsn"]["orig_message_id"] != mid:
                    continue
                checks += 1
                rec = {"kind": d["dsn"]["kind"], "sender": "", "to": d["delivered_to"] or
                       f"{d['user']}@lab.example", "status": "sent", "relay": "local",
                       "queue_id": d["received_ids"][-1] if d["received_ids"] else None,
                       "about": [x["rcpt"] for x in d["dsn"]["recipients"]]}
                if d["dsn"]["orig_queue_id"] and m["queue_id"] and \
                        d["dsn"]["orig_queue_id"] not in (m["queue_id"], m.get("requeued_as")):
                    # a notification about a leg of the chain
                    rec["about_queue_id"] = d["dsn"]["orig_queue_id"]
                if d["dsn"]["kind"] == "non-delivery" and any(
                        r["status"] in ("expired", "force-expired") and r["rcpt"] in rec["about"]
                        for r in recipients):
                    rec["cause"] = next(r["status"] for r in recipients if r["rcpt"] in rec["about"])
                m["dsns"].append(rec)
            m["dsns"].sort(key=lambda x: (x["kind"], x["queue_id"] or ""))
            if m["queue_id"] is None and m.get("reject") is None and m["submit"]["method"] == "smtp":
                if any(r["status"] != "rejected" for r in recipients):
                    fail(f"{m['scenario']}: no queue id from the SMTP reply")
        for v in self.volumes:
            v["received"] = None
        ok, ndr, delay = self.dump_count()
        vol_ok = {"sink_127.0.0.2_messages": ok, "sink_127.0.0.2_non_delivery": ndr,
                  "sink_127.0.0.2_delay": delay, "volbox_maildir": self.maildir_count("volbox")}
        exp_ok = self.vol_counts["V1"] + self.vol_counts["V2"]
        checks += 4
        if ok != exp_ok:
            fail(f"volume: sink got {ok} messages, expected {exp_ok}")
        if ndr != self.vol_counts["V3"] + self.vol_counts["V4"]:
            fail(f"volume: sink got {ndr} non-delivery notifications")
        if delay != self.vol_counts["V3"]:
            fail(f"volume: sink got {delay} delay notifications")
        if vol_ok["volbox_maildir"] != self.vol_counts["V5"]:
            fail(f"volume: volbox has {vol_ok['volbox_maildir']} messages")
        late = [m for m in final_queue if m["queue_name"] == "deferred"
                and m["sender"] == "loadgen@vol-ok.test"]
        checks += 1
        v6 = [v for v in self.volumes if v["batch"] == "V6"]
        if v6 and len(late) != v6[0]["messages"]:
            fail(f"volume: {len(late)} V6 messages deferred at stop, expected {v6[0]['messages']}")
        return {"type": "verification", "checked_against":
                "SMTP replies, sink receipts, smtp-sink dumps, Maildirs, final postqueue -j (not the log)",
                "checks": checks, "failures": failures, "ok": not failures, "observed": vol_ok}

    def link_filter(self, m, receipt, ids, fail):
        # the sink's copy carries both queue ids: newest (re-injected) first
        filt = [r for r in self.filter.receipts if any(r["rcpts"]) and
                r["rcpts"] == receipt["rcpts"]]
        if not filt:
            fail(f"{m['scenario']}: the filter never saw it")
            return
        reply = filt[0]["reply"]
        q = re.search(r"queued as (\S+)", reply)
        new = q.group(1) if q else None
        ident = [x for x in filt[0]["xforward"] if "IDENT=" in x]
        ident = re.search(r"IDENT=(\S+)", ident[0]).group(1) if ident else None
        if ident and ident != m["queue_id"]:
            fail(f"{m['scenario']}: XFORWARD IDENT {ident} != {m['queue_id']}")
        if not new or not ids or ids[0] != new:
            fail(f"{m['scenario']}: re-injected queue id {new} vs Received {ids}")
        m["links"].append({"kind": "reinjected_as", "queue_id": new})
        m["reinjected_as"] = new
        m["hops"] = [{"queue_id": m["queue_id"], "relay": FILTER, "status": "sent",
                      "dsn": reply.split()[1], "reply": reply},
                     {"queue_id": new, "relay": MX1, "status": "sent",
                      "client": CLIENT, "helo": "filter.lab.example"}]

    def link_requeue(self, m, ids, fail):
        old = m["queue_id"]
        if not ids:
            fail(f"{m['scenario']}: no Received ids at the sink")
            return
        new = ids[0]
        if new == old:
            fail(f"{m['scenario']}: requeued message kept its queue id {old}?")
            return
        m["links"].append({"kind": "requeued_as", "queue_id": new})
        m["requeued_as"] = new
        m["hops"] = [{"queue_id": old, "status": "deferred then requeued (postsuper -r)"},
                     {"queue_id": new, "status": "sent", "relay": MX1, "origin": "pickup"}]


# ---------------------------------------------------------------- main ----

def summarize(lab, volumes):
    from collections import Counter
    rc = Counter()
    dk = Counter()
    accepted = rejected = 0
    noqueue = 0
    for m in lab.msgs:
        for r in m["recipients"]:
            rc[r["status"]] += 1
        for d in m["dsns"]:
            dk[d["kind"]] += 1
        if m.get("reject"):
            rejected += 1
            if m["reject"]["noqueue"]:
                noqueue += sum(1 for r in m["recipients"] if r["status"] == "rejected")
        else:
            accepted += 1
    vrc, vdk, vmsgs = Counter(), Counter(), 0
    for v in volumes:
        vmsgs += v["messages"]
        vrc[v["expect"]["status"]] += v["recipients_total"]
        for d in v["dsns_per_message"]:
            vdk[d["kind"]] += v["messages"]
    return {"type": "summary",
            "scenario_messages": {"count": len(lab.msgs), "accepted": accepted, "rejected": rejected,
                                  "noqueue_rejects": noqueue,
                                  "recipients_by_final_status": dict(rc), "dsns_by_kind": dict(dk)},
            "volume": {"messages": vmsgs, "recipients_by_final_status": dict(vrc),
                       "dsns_by_kind": dict(vdk)},
            "total": {"messages_submitted": len(lab.msgs) + vmsgs,
                      "recipients_by_final_status": dict(rc + vrc),
                      "dsns_by_kind": dict(dk + vdk)},
            "sessions": {"count": len(lab.sessions),
                         "with_queue_file": sum(1 for s in lab.sessions if s["queue_file"])}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pass", dest="pass_name", choices=["postlogd", "syslog"], required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--volume", type=float, default=1.0)
    ap.add_argument("--run-id", default=time.strftime("%Y%m%d%H%M%S", time.gmtime()))
    ap.add_argument("--setup-dev", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("lab driver: must run as root inside the lab namespace (use lab/run.sh)")
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    if args.setup_dev:
        setup_dev(work)
    out = os.path.abspath(args.out)
    log_file = os.path.join(work, "logs", "postlogd.log")
    homes = setup_root(work, args.pass_name, log_file)
    version = run(["postconf", "-h", "mail_version"]).stdout.decode().strip()
    started = now_iso()
    rsyslog = None
    trad = os.path.join(work, "logs", "syslog-traditional.log")
    rfc = os.path.join(work, "logs", "syslog-rfc3339.log")
    lab = Lab(args, work, homes)
    ok = False
    verification = {"type": "verification", "ok": False, "failures": ["run aborted"]}
    try:
        if args.pass_name == "syslog":
            conf = os.path.join(work, "rsyslog.conf")
            os.makedirs(os.path.join(work, "rsyslog"))
            write(conf, cfg.rsyslog_conf(os.path.join(work, "rsyslog"), trad, rfc))
            rsyslog = subprocess.Popen(["rsyslogd", "-n", "-f", conf, "-i",
                                        os.path.join(work, "rsyslog.pid")],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_until(lambda: os.path.exists("/dev/log"), 10, "rsyslog's /dev/log")
        lab.mx.start()
        lab.filter.start()
        lab.start_volume_sinks()
        postfix_start()
        log(f"postfix {version} started ({args.pass_name} pass)")
        lab.sessions_phase()
        lab.messages_phase()
        lab.settle_phase()
        lab.queue_ops_phase()
        lab.reload_phase()
        lab.volume_phase(args.volume)
        lab.delay_phase()
        lab.expiry_phase()
        lab.late_phase(args.volume)
        final_queue = queue()
        verification = lab.build_truth(final_queue)
        ok = verification["ok"] and not PROBLEMS
    finally:
        postfix_stop()
        time.sleep(0.5)
        for p in lab.procs:
            p.terminate()
        for p in lab.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        lab.mx.shutdown()
        lab.filter.shutdown()
        if rsyslog:
            time.sleep(1.0)
            rsyslog.terminate()
            try:
                rsyslog.wait(10)
            except subprocess.TimeoutExpired:
                rsyslog.kill()
        umount_all()
    finished = now_iso()
    os.makedirs(out, exist_ok=True)
    if args.pass_name == "postlogd":
        shutil.copyfile(log_file, os.path.join(out, "postlogd.log"))
        truth_path = os.path.join(out, "truth-postlogd.jsonl")
    else:
        shutil.copyfile(trad, os.path.join(out, "syslog-traditional.log"))
        shutil.copyfile(rfc, os.path.join(out, "syslog-rfc3339.log"))
        truth_path = os.path.join(out, "truth-syslog.jsonl")
    meta = {
        "type": "meta", "generator": "lab/run.sh + lab/driver.py (mailtrail)",
        "postfix_version": version, "mode": "file" if args.pass_name == "postlogd" else "syslog",
        "log_file": ("maillog_file (postlogd)" if args.pass_name == "postlogd"
                     else "rsyslog: syslog-traditional.log and syslog-rfc3339.log"),
        "enable_long_queue_ids": "no" if args.pass_name == "postlogd" else "yes",
        "myhostname": "mail.lab.example", "log_hostname": "mail", "run_id": args.run_id,
        "volume_scale": args.volume, "started_at": started, "finished_at": finished,
        "readme": TRUTH_README,
    }
    with open(truth_path, "w") as f:
        f.write(json.dumps(meta, sort_keys=True) + "\n")
        for m in lab.msgs:
            f.write(json.dumps(m, sort_keys=True) + "\n")
        for s in lab.sessions:
            f.write(json.dumps(s, sort_keys=True) + "\n")
        for v in lab.volumes:
            f.write(json.dumps(v, sort_keys=True) + "\n")
        f.write(json.dumps(summarize(lab, lab.volumes), sort_keys=True) + "\n")
        f.write(json.dumps({"type": "timeline", "events": TIMELINE}) + "\n")
        f.write(json.dumps({"type": "driver_problems", "count": len(PROBLEMS),
                            "problems": PROBLEMS}, sort_keys=True) + "\n")
        f.write(json.dumps(verification, sort_keys=True) + "\n")
    log(f"wrote {truth_path}")
    if not ok:
        print("[lab] FAILED: " + json.dumps(PROBLEMS + verification["failures"]), flush=True)
        sys.exit(1)


TRUTH_README = (
    "Ground truth written by lab/driver.py from what it did and what the sinks, mailboxes and "
    "final queue received -- never from the Postfix log. One JSON object per line. "
    "type=message: one message the driver submitted (scenario S.. over SMTP from the driver, "
    "P.. through sendmail(1)/pickup); message_id with <>; queue_id from the SMTP reply "
    "'250 ... queued as X' (queue_id_source=smtp-reply) or, for sendmail submissions, from the "
    "Received: header Postfix wrote into the delivered copy; null when the message was refused. "
    "recipients[]: rcpt (orig_rcpt when an alias expanded), the FINAL status (sent | bounced | "
    "expired | force-expired | deferred (queued at stop) | held (hold queue at stop) | deleted "
    "(postsuper -d) | discarded (header_checks DISCARD) | rejected (refused by smtpd at RCPT or "
    "by cleanup at end of DATA; reject_stage, reply_code, reply, noqueue)), relay (the relay= "
    "Postfix logs for the final attempt, of the last hop of a chain) and dsn. links[]: "
    "reinjected_as (content filter: the filter's reply 'queued as NEW'), requeued_as "
    "(postsuper -r: the new queue id read from the Received: header at the sink); hops[] "
    "details them. dsns[]: notifications Postfix generated for the message as received in the "
    "sender's Maildir (kind non-delivery | delay | delivery-status, queue_id of the "
    "notification from its Received: header, to, final status and relay of the notification). "
    "type=session: SMTP sessions without a complete message (queue_file: smtpd created a queue "
    "file that was then discarded). type=volume: smtp-source batches in aggregate. "
    "type=summary: totals. type=verification: checks of the truth against the sinks. "
    "Times are UTC; the year is the year of the run.")


if __name__ == "__main__":
    main()
