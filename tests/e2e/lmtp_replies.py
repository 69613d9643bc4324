#!/usr/bin/python3
"""Replies from calendars end to end (docs/api.md "Replies from calendars", issue 11): the real
`convene serve --lmtp 127.0.0.1:<free port>` on a temp database, mail out to the spool folder,
mail in over LMTP from Python's smtplib.LMTP and a raw socket:

    lmtp_replies.py /path/to/convene

1. A group in Europe/London, Bob and Ann on calendar invitations, Cy on the feed; a monthly
   series in 2030. A venue change sends Bob and Ann a METHOD:REQUEST whose ORGANIZER (RSVP=TRUE)
   is reply+<token>@reply.test, equal to the email's From; Reply-To is the organiser.
2. Bob's calendar answers as Outlook does (multipart/alternative, base64 text/calendar
   method=REPLY, ATTENDEE;PARTSTAT=DECLINED, COMMENT, the invitation's UID, RECURRENCE-ID and
   SEQUENCE), delivered to the ORGANIZER address: 250, apologies recorded with the reason
   (GET /meetings/{id}/attendance), and the organiser's "apologies" notice is queued
   (GET /outbox). ACCEPTED withdraws them (again as the outbox tells).
3. Change nothing (and the server stays up): a forged token (550 5.1.1 at RCPT), Ann's token with
   Bob's ATTENDEE, an older SEQUENCE, no calendar part, broken MIME, an unknown charset, METHOD:
   REQUEST, an oversized message (552), and 200 random, mutated and truncated messages over raw
   LMTP sessions, each answered or closed cleanly.
4. A series change sends the whole series (one REQUEST, token for meeting 0): a reply to one of
   its occurrences records apologies for that meeting only.
5. Without --lmtp, invitations stay as they were: RSVP=FALSE, From and ORGANIZER the organiser.
6. Optional: Postfix's own LMTP client (smtp-source -L, from Debian's postfix package) delivers
   Ann's DECLINED too; skipped with a message when it is not there (CONVENE_SMTP_SOURCE may name
   one unpacked from the .deb without installing postfix: no root, no mail system needed).
7. The Postfix daemon itself (as root; skipped with a message without postfix): a throwaway
   instance configured as docs/operations.md says (recipient_delimiter, relay_domains,
   transport_maps to the listener, relay_recipient_maps, reject_unverified_recipient) takes
   Bob's DECLINED over SMTP from 127.0.0.2 and delivers it over LMTP; a forged reply address is
   refused at RCPT time.

Binds 127.0.0.1 only; every wait is bounded; processes are stopped by their own pid; files live in
a temporary directory (KEEP_E2E_DIRS=1 keeps it).
"""
import base64
import email
import email.policy
import glob
import os
import quopri
import random
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from e2e_lib import (Tally, call, drop_e2e_databases, e2e_database, free_port, http,  # noqa: E402
                     stop_all, wait_up)

BIN = sys.argv[1] if len(sys.argv) > 1 else ""
check = Tally("lmtp_replies")
DOMAIN = "reply.test"


class Server:
    def __init__(self, tmp, name, lmtp=True):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        db = e2e_database(os.path.join(self.dir, "convene.db"))
        r = subprocess.run([BIN, "admin", "token", "--db", db, "--organiser", "sec@example.org",
                            "--name", "The Secretary"], capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "admin token: " + r.stderr)
        self.token = r.stdout.strip()
        self.port = free_port()
        self.lmtp_port = free_port() if lmtp else 0
        self.base = "http://127.0.0.1:%d" % self.port
        self.spool = os.path.join(self.dir, "spool")
        args = [BIN, "serve", "--db", db, "--listen", "127.0.0.1:%d" % self.port, "--base-url",
                self.base, "--spool", self.spool, "--notice-delay", "0"]
        if lmtp:
            args += ["--lmtp", "127.0.0.1:%d" % self.lmtp_port, "--reply-domain", DOMAIN]
        self.log = open(os.path.join(self.dir, "serve.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_up(self.base + "/healthz", 15):
            raise RuntimeError("convene did not start: " + open(self.log.name).read()[-2000:])

    def api(self, method, path, body=None, headers=None):
        return call(method, self.base + "/api/v1" + path, body, self.token, headers)

    def alive(self):
        return self.proc.poll() is None and http("GET", self.base + "/healthz", timeout=5)[0] == 200

    def mails(self):
        """{filename: email.message.EmailMessage} of the spool."""
        out = {}
        for path in sorted(glob.glob(os.path.join(self.spool, "*.eml"))):
            with open(path, "rb") as f:
                out[os.path.basename(path)] = email.message_from_bytes(f.read(), policy=email.policy.default)
        return out

    def log_text(self):
        self.log.flush()
        return open(self.log.name, errors="replace").read()


def wait_for(pred, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return pred()


def new_mails(srv, seen, to, seconds=15):
    """Waits for mail to `to` not among `seen` (filenames); returns [message]."""
    def got():
        return [m for n, m in srv.mails().items() if n not in seen and m["To"].addresses[0].addr_spec == to]
    return wait_for(got, seconds) or []


def calendar_of(msg):
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True).decode("utf-8"), part.get_param("method")
    return None, None


def unfold(ics):
    return ics.replace("\r\n ", "").replace("\r\n\t", "")


def prop(ics, name):
    """The first `name` line of the (unfolded) object: (params, value)."""
    m = re.search(r"^%s((?:;[^:\r\n]*)?):([^\r\n]*)" % re.escape(name), unfold(ics), re.M)
    return (m.group(1), m.group(2)) if m else (None, None)


def reply_ics(uid, rid_line, sequence, attendee, partstat, comment=None, method="REPLY"):
    lines = ["BEGIN:VCALENDAR", "PRODID:Microsoft Exchange Server 2010", "VERSION:2.0",
             "METHOD:" + method, "BEGIN:VEVENT",
             "ATTENDEE;PARTSTAT=%s;CN=Someone:mailto:%s" % (partstat, attendee)]
    if comment is not None:
        lines.append("COMMENT;LANGUAGE=en-GB:" + comment)
    lines += ["UID:" + uid]
    if rid_line:
        lines.append(rid_line)
    lines += ["SEQUENCE:%d" % sequence, "DTSTAMP:20300101T120000Z", "SUMMARY:Declined: Futures",
              "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def outlook_mail(frm, to, ics, charset="utf-8", cte="base64", method="REPLY"):
    body = ics.encode("utf-8") if charset.lower() in ("utf-8", "us-ascii") else ics.encode("latin-1", "replace")
    if cte == "base64":
        cal = base64.encodebytes(body).decode().replace("\n", "\r\n")
    elif cte == "quoted-printable":
        cal = quopri.encodestring(body).decode("ascii").replace("\r\n", "\n").replace("\n", "\r\n")
    else:
        cal = body.decode("latin-1")
    return ("From: Someone <%s>\r\nTo: <%s>\r\nSubject: Declined: Futures meeting\r\n"
            "Message-ID: <%d@client.test>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/alternative; boundary=\"_000_b1\"\r\n\r\n"
            "--_000_b1\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n\r\nSorry.\r\n\r\n"
            "--_000_b1\r\nContent-Type: text/calendar; charset=\"%s\"; method=%s\r\n"
            "Content-Transfer-Encoding: %s\r\n\r\n%s\r\n--_000_b1--\r\n"
            % (frm, to, random.randrange(10**9), charset, method, cte, cal)).encode("latin-1")


def deliver(srv, rcpt, data, sender="someone@client.test"):
    """smtplib.LMTP: (code of the one recipient, text); 550 at RCPT and 552 come back as codes."""
    try:
        with smtplib.LMTP("127.0.0.1", srv.lmtp_port, timeout=20) as c:
            refused = c.sendmail(sender, [rcpt], data)
            return (250, "") if not refused else refused[rcpt]
    except smtplib.SMTPRecipientsRefused as e:
        return e.recipients[rcpt]
    except smtplib.SMTPSenderRefused as e:
        return e.smtp_code, e.smtp_error
    except smtplib.SMTPDataError as e:
        return e.smtp_code, e.smtp_error
    except (smtplib.SMTPException, OSError) as e:
        return 0, str(e)


def raw_session(port, rcpts, data, timeout=10):
    """One LMTP transaction over a raw socket (several recipients, any bytes): the reply lines;
    'closed' when the server closed the connection. Never raises."""
    out = []
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as e:
        return ["connect: %s" % e]
    f = s.makefile("rb")

    def reply():
        lines = []
        while True:
            line = f.readline(4096)
            if not line:
                lines.append("closed")
                return lines
            lines.append(line.decode("latin-1").rstrip("\r\n"))
            if len(line) < 4 or line[3:4] != b"-":
                return lines

    try:
        out += reply()
        for cmd in [b"LHLO client.test", b"MAIL FROM:<x@client.test>"] + [b"RCPT TO:<%s>" % r.encode() for r in rcpts] + [b"DATA"]:
            s.sendall(cmd + b"\r\n")
            out += reply()
            if out[-1] == "closed":
                return out
        if not out[-1].startswith("354"):
            return out
        body = re.sub(rb"(^|\n)\.", rb"\1..", data)  # dot-stuffing, after bare LFs too
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        s.sendall(body + b".\r\n")
        for _ in rcpts:
            out += reply()
        s.sendall(b"QUIT\r\n")
        out += reply()
    except OSError as e:
        out.append("error: %s" % e)
    finally:
        s.close()
    return out


class ThrowawayPostfix:
    """Debian's Postfix daemon with its own config, queue and log in `root` (as root: its master
    needs it), smtpd on 127.0.0.1:`port`, and the reply domain routed to `lmtp_port` exactly as
    docs/operations.md "Replies from calendars" tells an administrator to. Only 127.0.0.1/32 is
    in mynetworks, so a client on 127.0.0.2 stands for the Internet: reject_unverified_recipient
    then asks convene at RCPT time."""

    def __init__(self, port, lmtp_port, domain):
        # Its own temporary directory, which the postfix user can enter (mkdtemp makes 0700).
        root = tempfile.mkdtemp(prefix="convene-postfix-")
        self.root, self.port = root, port
        self.etc = os.path.join(root, "etc")
        self.maillog = os.path.join(root, "maillog")
        for d in ("etc", "spool", "data"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        os.chmod(root, 0o755)
        shutil.chown(os.path.join(root, "data"), "postfix")
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(f"""compatibility_level = 3.6
queue_directory = {root}/spool
data_directory = {root}/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.convene-test.localhost
mydestination =
mynetworks = 127.0.0.1/32
maillog_file = {self.maillog}
maillog_file_prefixes = {root}
biff = no
# From docs/operations.md:
recipient_delimiter = +
relay_domains = {domain}
transport_maps = hash:{self.etc}/transport
relay_recipient_maps = hash:{self.etc}/relay_recipients
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination,
    reject_unverified_recipient
""")
        with open(os.path.join(self.etc, "transport"), "w") as f:
            f.write(f"reply@{domain}      lmtp:inet:127.0.0.1:{lmtp_port}\n")
        with open(os.path.join(self.etc, "relay_recipients"), "w") as f:
            f.write(f"reply@{domain}      OK\n")
        services = ("pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "verify",
                    "flush", "proxymap", "proxywrite", "showq", "error", "retry", "discard", "lmtp",
                    "anvil", "scache", "postlog")
        lines = []
        for line in open("/etc/postfix/master.cf"):
            f = line.split()
            if not f or line[0] in "# \t":
                continue
            if f[0] == "smtp" and f[1] == "inet":
                f[0] = f"127.0.0.1:{port}"
            elif f[0] not in services:
                continue
            f[4] = "n"  # no chroot: the queue is in a temporary directory
            lines.append("  ".join(f))
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def run(self, *args, timeout=60):
        return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)

    def start(self):
        for table in ("transport", "relay_recipients"):
            r = self.run("postmap", "-c", self.etc, "hash:" + os.path.join(self.etc, table))
            if r.returncode != 0:
                return "postmap %s: %s" % (table, r.stderr.strip())
        r = self.run("postfix", "-c", self.etc, "start")
        if r.returncode != 0:
            return "postfix start: %s %s" % (r.stderr.strip(), self.log()[-500:])
        if not wait_for(lambda: self.listening(), 20):
            return "postfix's smtpd did not listen on %d: %s" % (self.port, self.log()[-500:])
        return None

    def listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def log(self):
        try:
            return open(self.maillog, errors="replace").read()
        except OSError:
            return ""

    def stop(self):
        self.run("postfix", "-c", self.etc, "stop", timeout=30)
        pid_file = os.path.join(self.root, "spool", "pid", "master.pid")
        try:
            pid = int(open(pid_file).read().split()[0])
        except (OSError, ValueError, IndexError):
            return
        for _ in range(100):  # bounded: 10 s, then the master and its children go hard
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.1)
        subprocess.run(["pkill", "-9", "-f", "master -c " + self.etc], timeout=10)
        try:
            os.kill(pid, 9)
        except OSError:
            pass

    def remove(self):
        if os.environ.get("KEEP_E2E_DIRS"):
            print("kept", self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def submit(port, rcpt, data, sender="calendar@client.test", source="127.0.0.2"):
    """SMTP to Postfix from `source`: the code for the one recipient."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=60, source_address=(source, 0)) as c:
            c.sendmail(sender, [rcpt], data)
        return 250, ""
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        return code, text.decode(errors="replace")
    except (smtplib.SMTPException, OSError) as e:
        return -1, repr(e)


def attendance(srv, meeting_id):
    st, _, b = srv.api("GET", "/meetings/%d/attendance" % meeting_id)
    check(st == 200, "attendance %d: %s" % (meeting_id, st))
    return {m["name"]: (m["status"], m.get("reason", "")) for m in (b or {}).get("members", [])}


def outbox_kinds(srv, kind):
    st, _, b = srv.api("GET", "/outbox")
    return [m for m in (b or {}).get("messages", []) if m.get("kind") == kind]


def setup_group(srv):
    st, _, v = srv.api("POST", "/venues", {"name": "Old Hall", "address": "1 High Street, London", "postcode": "EC1A 1AA"})
    check(st == 201, "venue: %s %s" % (st, v))
    st, _, v2 = srv.api("POST", "/venues", {"name": "New Hall", "address": "2 Low Street, London", "postcode": "EC2A 2BB"})
    st, _, g = srv.api("POST", "/groups", {"slug": "futures", "name": "Futures Group", "timezone": "Europe/London"})
    check(st == 201, "group: %s %s" % (st, g))
    members = {}
    for name, addr, delivery in (("Bob Baker", "bob@example.org", "invitations"),
                                 ("Ann Able", "ann@example.org", "invitations"),
                                 ("Cy Cole", "cy@example.org", "feed")):
        st, _, m = srv.api("POST", "/groups/futures/members", {"name": name, "email": addr, "delivery": delivery})
        check(st == 201, "member %s: %s %s" % (name, st, m))
        members[addr] = m["id"] if m else 0
    st, _, s = srv.api("POST", "/groups/futures/series", {
        "title": "Futures meeting", "venue_id": v["id"], "start_time": "10:30", "duration_minutes": 120,
        "rrule": "FREQ=MONTHLY;BYDAY=-1MO;COUNT=4", "first_date": "2030-01-01"})
    check(st == 201, "series: %s %s" % (st, s))
    meetings = [m["id"] for m in s["meetings"]] if s else []
    # Bob and Ann, on invitations, get the new series in their calendars (docs/ical.md,
    # "Invitations that add up"): wait for both before the walk counts notices.
    check(wait_for(lambda: len([m for m in srv.mails().values()
                                if str(m["Subject"]).startswith("Calendar invitation: ")]) == 2),
          "the new series' invitations to Bob and Ann")
    return v, v2, members, s, meetings


def patch_meeting(srv, mid, body):
    st, h, _ = srv.api("GET", "/meetings/%d" % mid)
    st, _, b = srv.api("PATCH", "/meetings/%d" % mid, body, {"If-Match": h.get("ETag", "")})
    check(st == 200, "PATCH meeting %d %s: %s %s" % (mid, body, st, b))
    return b


def unchanged(srv, meeting_ids, before, apologies_before, label):
    after = {m: attendance(srv, m) for m in meeting_ids}
    check(after == before, "%s: attendance changed:\n  before %s\n  after  %s" % (label, before, after))
    n = len(outbox_kinds(srv, "apologies"))
    check(n == apologies_before, "%s: apologies notices %d -> %d" % (label, apologies_before, n))


def main():
    if not BIN:
        raise SystemExit(__doc__)
    random.seed(11)
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="convene-lmtp-e2e-")
    servers = []
    try:
        srv = Server(tmp, "with-lmtp")
        servers.append(srv)
        venue, venue2, members, series, meetings = setup_group(srv)
        m1 = meetings[1]
        seen = set(srv.mails())

        # ---- 1. the invitation names the reply address
        patch_meeting(srv, m1, {"venue_id": venue2["id"]})
        got = new_mails(srv, seen, "bob@example.org")
        check(len(got) == 1, "one notice to Bob after the venue change, got %d" % len(got))
        if not got:
            raise RuntimeError("no invitation: " + srv.log_text()[-3000:])
        inv = got[0]
        ics, method = calendar_of(inv)
        check(method == "REQUEST" and ics and "METHOD:REQUEST\r\n" in ics, "Bob's notice carries a REQUEST")
        oparams, organizer = prop(ics, "ORGANIZER")
        aparams, attendee = prop(ics, "ATTENDEE")
        check(organizer and re.fullmatch(r"mailto:reply\+[a-z2-7]{52}@reply\.test", organizer),
              "ORGANIZER is a reply address: %r" % organizer)
        check('CN="The Secretary"' in (oparams or ""), "ORGANIZER keeps the organiser's name: %r" % oparams)
        check("RSVP=TRUE" in (aparams or "") and attendee == "mailto:bob@example.org",
              "ATTENDEE asks Bob for a reply: %r %r" % (aparams, attendee))
        reply_addr = organizer[len("mailto:"):]
        check(inv["From"].addresses[0].addr_spec == reply_addr, "From %s equals the ORGANIZER" % inv["From"])
        check(inv["From"].addresses[0].display_name == "The Secretary", "From keeps the organiser's name")
        check(inv["Reply-To"] is not None and inv["Reply-To"].addresses[0].addr_spec == "sec@example.org",
              "Reply-To is the organiser: %s" % inv["Reply-To"])
        uid = prop(ics, "UID")[1]
        rid_params, rid_value = prop(ics, "RECURRENCE-ID")
        rid_line = "RECURRENCE-ID%s:%s" % (rid_params, rid_value)
        seq = int(prop(ics, "SEQUENCE")[1])
        check(seq >= 1, "the changed meeting's SEQUENCE rose: %d" % seq)
        ann_mail = new_mails(srv, seen, "ann@example.org")
        if not ann_mail:
            print("no notice to Ann yet; outbox:", srv.api("GET", "/outbox")[2], "spool:", sorted(srv.mails()),
                  srv.log_text()[-2000:], file=sys.stderr)
        ann_ics = calendar_of(ann_mail[0])[0] if ann_mail else ""
        ann_reply = prop(ann_ics, "ORGANIZER")[1][len("mailto:"):] if ann_ics else ""
        check(ann_reply and ann_reply != reply_addr, "Ann's reply address is her own")
        cy_mail = new_mails(srv, seen, "cy@example.org")
        check(cy_mail and calendar_of(cy_mail[0])[0] is None and cy_mail[0]["From"].addresses[0].addr_spec == "sec@example.org",
              "Cy (feed) gets a plain notice from the organiser")

        # ---- 2. DECLINED, then ACCEPTED
        before = {m: attendance(srv, m) for m in meetings}
        apologies_before = len(outbox_kinds(srv, "apologies"))
        code, text = deliver(srv, reply_addr, outlook_mail(
            "bob@example.org", reply_addr,
            reply_ics(uid, rid_line, seq, "Bob@Example.org", "DECLINED", "Away that week\\, sorry")))
        check(code == 250, "Bob's DECLINED: %s %s" % (code, text))
        a = wait_for(lambda: attendance(srv, m1).get("Bob Baker", ("", ""))[0] == "apologies" and attendance(srv, m1))
        check(a and a["Bob Baker"] == ("apologies", "Away that week, sorry"), "apologies with the reason: %s" % a)
        check(all(attendance(srv, m) == before[m] for m in meetings if m != m1), "other meetings unchanged")
        ap = wait_for(lambda: len(outbox_kinds(srv, "apologies")) > apologies_before and outbox_kinds(srv, "apologies"))
        check(ap and ap[0]["meeting_id"] == m1, "the organiser's apologies notice is queued: %s" % ap)
        notice = wait_for(lambda: [m for m in srv.mails().values()
                                   if m["To"].addresses[0].addr_spec == "sec@example.org" and "Apologies" in str(m["Subject"])])
        check(notice and "Away that week, sorry" in notice[0].get_body(("plain",)).get_content(),
              "the organiser is told, with the reason")
        # The same again: nothing new.
        code, _ = deliver(srv, reply_addr, outlook_mail("bob@example.org", reply_addr,
                          reply_ics(uid, rid_line, seq, "bob@example.org", "DECLINED", "again")))
        check(code == 250, "a repeat is accepted")
        check(attendance(srv, m1)["Bob Baker"] == ("apologies", "Away that week, sorry"), "a repeat changes nothing")
        # TENTATIVE changes nothing; ACCEPTED withdraws.
        code, _ = deliver(srv, reply_addr, outlook_mail("bob@example.org", reply_addr,
                          reply_ics(uid, rid_line, seq, "bob@example.org", "TENTATIVE")))
        check(code == 250 and attendance(srv, m1)["Bob Baker"][0] == "apologies", "TENTATIVE changes nothing")
        code, _ = deliver(srv, reply_addr, outlook_mail("bob@example.org", reply_addr,
                          reply_ics(uid, rid_line, seq, "bob@example.org", "ACCEPTED")))
        check(code == 250, "Bob's ACCEPTED: %s" % code)
        check(wait_for(lambda: attendance(srv, m1)["Bob Baker"][0] == "expected"), "ACCEPTED withdraws the apologies")
        check(attendance(srv, m1) == before[m1], "back to where it started")
        # Quoted-printable, Latin-1 and a Google-style UTC RECURRENCE-ID also work.
        utc_rid = "RECURRENCE-ID:20300225T103000Z"  # the 2nd meeting: Monday 25 February 2030, 10:30 GMT
        code, _ = deliver(srv, reply_addr, outlook_mail("bob@example.org", reply_addr,
                          reply_ics(uid, utc_rid, seq, "bob@example.org", "DECLINED", "caf\u00e9"),
                          charset="iso-8859-1", cte="quoted-printable"))
        check(code == 250 and wait_for(lambda: attendance(srv, m1)["Bob Baker"] == ("apologies", "caf\u00e9")),
              "a Latin-1 reply with a UTC RECURRENCE-ID: %s %s" % (code, attendance(srv, m1)["Bob Baker"]))
        deliver(srv, reply_addr, outlook_mail("bob@example.org", reply_addr,
                reply_ics(uid, rid_line, seq, "bob@example.org", "ACCEPTED")))
        check(wait_for(lambda: attendance(srv, m1)["Bob Baker"][0] == "expected"), "withdrawn again")

        # ---- 3. what must change nothing
        before = {m: attendance(srv, m) for m in meetings}
        apologies_before = len(outbox_kinds(srv, "apologies"))
        good = lambda addr=reply_addr, who="bob@example.org", s=seq, rid=rid_line: outlook_mail(  # noqa: E731
            who, addr, reply_ics(uid, rid, s, who, "DECLINED", "no"))
        forged = "reply+" + ("a" * 52) + "@" + DOMAIN
        flipped = reply_addr[:10] + ("b" if reply_addr[10] == "a" else "a") + reply_addr[11:]
        for label, rcpt, data, want in (
                ("forged token", forged, good(forged), 550),
                ("flipped token", flipped, good(flipped), 550),
                ("not a reply address", "secretary@" + DOMAIN, good(), 550),
                ("Ann's token, Bob's ATTENDEE", ann_reply, good(ann_reply), 250),
                ("older SEQUENCE", reply_addr, good(s=seq - 1), 250),
                ("another meeting's RECURRENCE-ID", reply_addr, good(rid="RECURRENCE-ID;TZID=Europe/London:20300325T103000"), 250),
                ("no calendar part", reply_addr, b"From: bob@example.org\r\nSubject: Re: Futures\r\n\r\nI cannot come.\r\n", 250),
                ("broken MIME", reply_addr, b"Content-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\n", 250),
                ("unknown charset", reply_addr, outlook_mail("bob@example.org", reply_addr, reply_ics(uid, rid_line, seq, "bob@example.org", "DECLINED"), charset="koi8-r", cte="8bit"), 250),
                ("METHOD:REQUEST", reply_addr, outlook_mail("bob@example.org", reply_addr, reply_ics(uid, rid_line, seq, "bob@example.org", "DECLINED", method="REQUEST"), method="REQUEST"), 250),
                ("two VCALENDARs", reply_addr, outlook_mail("bob@example.org", reply_addr, reply_ics(uid, rid_line, seq, "bob@example.org", "DECLINED") * 2), 250),
                ("no MAC", "reply+" + reply_addr[6:30] + "@" + DOMAIN, good(), 550),
        ):
            code, text = deliver(srv, rcpt, data)
            check(code == want, "%s: %s %s (want %d)" % (label, code, text, want))
            unchanged(srv, meetings, before, apologies_before, label)
        big = outlook_mail("bob@example.org", reply_addr, reply_ics(uid, rid_line, seq, "bob@example.org", "DECLINED",
                           "x" * (1536 * 1024)))
        code, text = deliver(srv, reply_addr, big)
        check(code == 552, "oversized (1.5 MiB): %s %s" % (code, text))
        lines = raw_session(srv.lmtp_port, [reply_addr], big)
        check(any(l.startswith("552 5.3.4") for l in lines), "oversized over raw LMTP (no SIZE=): %s" % lines[-3:])
        unchanged(srv, meetings, before, apologies_before, "oversized")
        # Two recipients, one per reply line after DATA (RFC 2033).
        lines = raw_session(srv.lmtp_port, [reply_addr, ann_reply], good())
        after_data = lines[lines.index(next(l for l in lines if l.startswith("354"))) + 1:][:2]
        check(len(after_data) == 2 and all(l.startswith("250") for l in after_data),
              "one reply per recipient after DATA: %s" % lines)
        check(attendance(srv, m1)["Bob Baker"][0] == "apologies", "two recipients: Bob's reply counted")
        deliver(srv, reply_addr, outlook_mail("bob@example.org", reply_addr,
                reply_ics(uid, rid_line, seq, "bob@example.org", "ACCEPTED")))
        check(wait_for(lambda: attendance(srv, m1)["Bob Baker"][0] == "expected"), "withdrawn once more")
        apologies_before = len(outbox_kinds(srv, "apologies"))  # the two-recipient reply told the organiser

        # 200 random, mutated and truncated messages: none changes anything, each is answered.
        # The base is 8bit so the PARTSTAT below can be kept broken: whatever survives a mutation,
        # no message of the run is a genuine DECLINED.
        good_bytes = outlook_mail("bob@example.org", reply_addr,
                                  reply_ics(uid, rid_line, seq, "bob@example.org", "DECLINED", "no"), cte="8bit")
        answered = 0
        bad_lines = []
        t_fuzz = time.time()
        for i in range(200):
            kind = i % 4
            if kind == 0:
                data = bytes(random.randrange(256) for _ in range(random.randrange(1, 3000)))
            elif kind == 1:
                data = good_bytes[:random.randrange(1, len(good_bytes))]
            elif kind == 2:
                b = bytearray(good_bytes)
                for _ in range(random.randrange(1, 40)):
                    b[random.randrange(len(b))] = random.randrange(256)
                data = bytes(b)
            else:
                ics = reply_ics(uid, rid_line, seq, "bob@example.org", "DECLINED", "fuzz")
                cut = ics[:random.randrange(1, len(ics))]
                data = ("Content-Type: text/calendar; method=REPLY\r\n\r\n" + cut).encode()
            # A DECLINED that survives mutation intact may be genuine: keep the PARTSTAT broken.
            data = data.replace(b"PARTSTAT=DECLINED", b"PARTSTAT=DECLINEX")
            lines = raw_session(srv.lmtp_port, [reply_addr], data)
            tail = [l for l in lines if l[:1].isdigit()]
            if tail and tail[-1].startswith("221"):
                answered += 1
            else:
                bad_lines.append(lines[-3:])
        check(answered == 200, "200 odd messages each answered and the session closed cleanly (%d; %s)"
              % (answered, bad_lines[:3]))
        # Truncated sessions: the connection dropped mid-DATA and mid-command.
        for cut in (b"LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<" + reply_addr.encode() + b">\r\nDATA\r\nSubject: x\r\n",
                    b"LHLO x\r\nMAIL FR", b"\x00\xff\r\n" * 50):
            s = socket.create_connection(("127.0.0.1", srv.lmtp_port), timeout=10)
            s.sendall(cut)
            s.close()
        check(srv.alive(), "the server is up after the odd messages")
        unchanged(srv, meetings, before, apologies_before, "odd messages")
        print("fuzz: 200 messages in %.1f s" % (time.time() - t_fuzz))

        # ---- 4. a whole-series invitation (token for meeting 0)
        seen = set(srv.mails())
        st, h, _ = srv.api("GET", "/series/%d" % series["id"])
        st, _, b = srv.api("PATCH", "/series/%d" % series["id"], {"from": "2030-03-01", "start_time": "14:00"},
                           {"If-Match": h.get("ETag", "")})
        check(st == 200, "series change: %s %s" % (st, b))
        got = new_mails(srv, seen, "bob@example.org")
        check(len(got) == 1, "one series notice to Bob, got %d" % len(got))
        if got:
            sics, smethod = calendar_of(got[0])
            check(smethod == "REQUEST", "the series notice is a REQUEST")
            s_addr = prop(sics, "ORGANIZER")[1][len("mailto:"):]
            check(s_addr != reply_addr and got[0]["From"].addresses[0].addr_spec == s_addr,
                  "the series invitation has its own reply address, equal to its From")
            blocks = unfold(sics).split("BEGIN:VEVENT\r\n")[1:]
            third = [bl for bl in blocks if "RECURRENCE-ID;TZID=Europe/London:20300325T103000" in bl]
            check(len(third) == 1, "an override for 25 March 2030")
            if third:
                sseq = int(re.search(r"\r\nSEQUENCE:(\d+)", "\r\n" + third[0]).group(1))
                code, _ = deliver(srv, s_addr, outlook_mail("bob@example.org", s_addr, reply_ics(
                    series["uid"] if "uid" in series else uid, "RECURRENCE-ID;TZID=Europe/London:20300325T103000",
                    sseq, "bob@example.org", "DECLINED", "series reply")))
                check(code == 250, "reply to one occurrence of the series: %s" % code)
                check(wait_for(lambda: attendance(srv, meetings[2])["Bob Baker"] == ("apologies", "series reply")),
                      "apologies for that occurrence: %s" % attendance(srv, meetings[2]))
                check(all(attendance(srv, m)["Bob Baker"][0] == "expected" for m in meetings if m != meetings[2]),
                      "and no other")

        # ---- 6. optional: Postfix's own LMTP client delivers Ann's DECLINED
        source = os.environ.get("CONVENE_SMTP_SOURCE") or shutil.which("smtp-source") or (
            "/usr/sbin/smtp-source" if os.path.exists("/usr/sbin/smtp-source") else None)
        if not source:
            print("SKIP postfix: smtp-source (Debian package postfix) is not installed, so Postfix's LMTP "
                  "client was not tried (smtplib.LMTP was). To try it without installing postfix: "
                  "apt-get download postfix && dpkg -x postfix_*.deb DIR, then "
                  "CONVENE_SMTP_SOURCE=DIR/usr/sbin/smtp-source")
        else:
            env = dict(os.environ)
            libdir = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(source))), "usr", "lib", "postfix")
            if os.path.isdir(libdir):  # an unpacked .deb, not an installed package
                env["LD_LIBRARY_PATH"] = libdir
            msg_file = os.path.join(tmp, "ann-reply.eml")
            raw = outlook_mail("ann@example.org", ann_reply,
                               reply_ics(uid, rid_line, seq, "ann@example.org", "DECLINED", "via Postfix"))
            with open(msg_file, "wb") as f:  # smtp-source reads lines and sends each with CRLF
                f.write(raw.replace(b"\r\n", b"\n"))
            r = subprocess.run([source, "-L", "-m", "1", "-f", "mta@client.test", "-t", ann_reply, "-F", msg_file,
                                "127.0.0.1:%d" % srv.lmtp_port], capture_output=True, text=True, timeout=30, env=env)
            check(r.returncode == 0, "smtp-source -L: %s %s" % (r.returncode, r.stderr[-300:]))
            check(wait_for(lambda: attendance(srv, m1)["Ann Able"] == ("apologies", "via Postfix")),
                  "Postfix's LMTP client (smtp-source -L) delivered Ann's DECLINED: %s" % attendance(srv, m1))
            r = subprocess.run([source, "-L", "-m", "1", "-f", "mta@client.test", "-t", forged, "-F", msg_file,
                                "127.0.0.1:%d" % srv.lmtp_port], capture_output=True, text=True, timeout=30, env=env)
            check("550" in r.stderr + r.stdout or r.returncode != 0,
                  "smtp-source -L to a forged address is refused: %s" % (r.stderr[-300:]))
            print("postfix: smtp-source -L delivered through the listener")
        # ---- 7. the Postfix daemon: a reply from the Internet reaches convene through it
        if not shutil.which("postfix", path="/usr/sbin:" + os.environ.get("PATH", "")):
            print("SKIP postfix daemon: Debian's postfix is not installed (deploy/install-deps --test "
                  "installs it)")
        elif os.geteuid() != 0:
            print("SKIP postfix daemon: its master process must start as root")
        else:
            pf = ThrowawayPostfix(free_port(), srv.lmtp_port, DOMAIN)
            try:
                err = pf.start()
                check(err is None, "Postfix started: %s" % err)
                if err is None:
                    code, text = submit(pf.port, reply_addr, outlook_mail(
                        "bob@example.org", reply_addr,
                        reply_ics(uid, rid_line, seq, "bob@example.org", "DECLINED", "via the Postfix daemon")))
                    check(code == 250, "Postfix took Bob's DECLINED: %s %s" % (code, text))
                    check(wait_for(lambda: attendance(srv, m1)["Bob Baker"] == ("apologies", "via the Postfix daemon"), 60),
                          "Postfix delivered Bob's DECLINED over LMTP: %s\n%s" % (attendance(srv, m1), pf.log()[-1500:]))
                    check(wait_for(lambda: re.search(r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d.*status=sent"
                                                     % srv.lmtp_port, pf.log()), 15),
                          "Postfix's log: delivered to the listener: %s" % pf.log()[-1500:])
                    # A forged reply address: refused at RCPT time (reject_unverified_recipient asks
                    # convene first), so no bounce goes to a forged sender.
                    code, text = submit(pf.port, forged, outlook_mail(
                        "bob@example.org", forged,
                        reply_ics(uid, rid_line, seq, "bob@example.org", "ACCEPTED")))
                    check(code in (450, 550), "Postfix refused the forged address at RCPT: %s %s" % (code, text))
                    check(attendance(srv, m1)["Bob Baker"] == ("apologies", "via the Postfix daemon"),
                          "the forged reply changed nothing")
                    print("postfix: the daemon delivered a reply through the listener and refused a forged one (%s)" % code)
            finally:
                pf.stop()
                pf.remove()
        check(srv.alive(), "the server is up at the end")
        log = srv.log_text()
        check("lmtp: reply ignored" in log and "lmtp: reply applied" in log, "one log line per delivery")
        check(reply_addr[6:58] not in log, "no token in the log")

        # ---- 5. without --lmtp: no reply address, RSVP=FALSE
        plain = Server(tmp, "without-lmtp", lmtp=False)
        servers.append(plain)
        _, pv2, _, _, pmeetings = setup_group(plain)
        seen = set(plain.mails())
        patch_meeting(plain, pmeetings[1], {"venue_id": pv2["id"]})
        got = new_mails(plain, seen, "bob@example.org")
        check(len(got) == 1, "without --lmtp: one notice to Bob")
        if got:
            pics, _ = calendar_of(got[0])
            check(prop(pics, "ORGANIZER")[1] == "mailto:sec@example.org" and "RSVP=FALSE" in prop(pics, "ATTENDEE")[0],
                  "without --lmtp: ORGANIZER the organiser, RSVP=FALSE")
            check(got[0]["From"].addresses[0].addr_spec == "sec@example.org" and got[0]["Reply-To"] is None,
                  "without --lmtp: From the organiser, no Reply-To")
    except Exception as e:  # a failed check, not a crashed run
        check(False, "exception: %r" % e)
        import traceback
        traceback.print_exc()
    finally:
        for s in servers:
            stop_all([s.proc])
            s.log.close()
        drop_e2e_databases()
        if os.environ.get("KEEP_E2E_DIRS"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("lmtp_replies: %.1f s" % (time.time() - t0))
    sys.exit(check.finish())


if __name__ == "__main__":
    main()
