"""Configuration of the throw-away Postfix instance the lab drives.

Everything here is written into a private work directory and bind-mounted over the
system paths inside the lab's own mount namespace (see driver.py), so the machine's
/etc/postfix, queue, passwd and hosts files are never touched.
"""

LAB_USERS = {  # user -> uid (gid is the same number)
    "alice": 5001,
    "bob": 5002,
    "carol": 5003,
    "volbox": 5004,
}

HOSTS = """\
127.0.0.1\tlocalhost
127.0.0.1\tmail.lab.example mail
127.0.0.2\tsink-ok.lab.test
127.0.0.3\tsink-defer.lab.test
127.0.0.4\tsink-bounce.lab.test
127.0.0.6\tmx1.remote.test
127.0.0.8\tmx.down.test
127.0.0.20\toutside.example.test
127.0.0.21\tblocked.example.test
"""

RESOLV = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"

TRANSPORT = """\
remote.test\tsmtp:[mx1.remote.test]:2525
filtered.test\tsmtp:[mx1.remote.test]:2525
down.test\tsmtp:[mx.down.test]:2525
vol-ok.test\tsmtp:[127.0.0.2]:2525
vol-defer.test\tsmtp:[127.0.0.3]:2525
vol-bounce.test\tsmtp:[127.0.0.4]:2525
nowhere.test\terror:5.1.2 lab test domain nowhere.test does not accept mail
"""

CLIENT_ACCESS = "127.0.0.21\tREJECT\n"
SENDER_ACCESS = "spammer@bad.example.test\tREJECT\n"
RCPT_ACCESS = "filtered.test\tFILTER labfilter:[127.0.0.1]:10025\n"

HEADER_CHECKS = """\
/^Subject:.*\\[REJECT-HDR\\]/\tREJECT Message rejected by lab header policy
/^Subject:.*\\[DISCARD\\]/\tDISCARD lab header policy discard
/^Subject:.*\\[HOLD\\]/\tHOLD lab header policy hold
"""

ALIASES = """\
postmaster: alice
root: alice
MAILER-DAEMON: alice
team: alice, bob
"""

# With a delay_warning_time under one hour bounce(8)'s built-in delay template logs
# warnings about its own text; this template has no time variables.
BOUNCE_TEMPLATES = """\
failure_template = <<EOF
Charset: us-ascii
From: MAILER-DAEMON (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
Postmaster-Subject: Postmaster Copy: Undelivered Mail

This is the mail system at host $myhostname (mailtrail lab).

Your message could not be delivered to one or more recipients.
EOF

delay_template = <<EOF
Charset: us-ascii
From: MAILER-DAEMON (Mail Delivery System)
Subject: Delayed Mail (still being retried)
Postmaster-Subject: Postmaster Warning: Delayed Mail

This is the mail system at host $myhostname (mailtrail lab).

Your message could not be delivered yet; delivery will be retried.
EOF

success_template = <<EOF
Charset: us-ascii
From: MAILER-DAEMON (Mail Delivery System)
Subject: Successful Mail Delivery Report

This is the mail system at host $myhostname (mailtrail lab).

Your message was delivered to the destination(s) listed below.
EOF

verify_template = <<EOF
Charset: us-ascii
From: MAILER-DAEMON (Mail Delivery System)
Subject: Mail Delivery Status Report

This is the mail system at host $myhostname (mailtrail lab).
EOF
"""


def main_cf(pass_name, log_file, work):
    lines = f"""\
compatibility_level = 3.6
myhostname = mail.lab.example
mydomain = lab.example
myorigin = $mydomain
mydestination = $myhostname, localhost, $mydomain
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtpd_banner = $myhostname ESMTP
biff = no
append_dot_mydomain = no
readme_directory = no
recipient_delimiter = +
alias_maps = hash:/etc/postfix/aliases
alias_database = hash:/etc/postfix/aliases
home_mailbox = Maildir/
local_recipient_maps = proxy:unix:passwd.byname $alias_maps

# no DNS at all: names come from the lab's private hosts file
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
default_transport = error
transport_maps = texthash:/etc/postfix/transport

smtpd_helo_required = yes
smtpd_client_restrictions = check_client_access texthash:/etc/postfix/client_access
smtpd_sender_restrictions = check_sender_access texthash:/etc/postfix/sender_access
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:/etc/postfix/rcpt_access, permit_mynetworks, reject_unauth_destination
header_checks = regexp:/etc/postfix/header_checks

# the driver decides when deferred mail is retried (postqueue -i / -f)
queue_run_delay = 300s
minimal_backoff_time = 300s
maximal_backoff_time = 600s
maximal_queue_lifetime = 1d
bounce_queue_lifetime = 1d
delay_warning_time = 15s
bounce_template_file = /etc/postfix/bounce.cf
smtp_connect_timeout = 5s
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtputf8_enable = no
"""
    if pass_name == "postlogd":
        lines += f"maillog_file = {log_file}\nmaillog_file_prefixes = {work}\n"
        lines += "enable_long_queue_ids = no\n"
    else:
        lines += "enable_long_queue_ids = yes\n"
    return lines


# chroot is off for every service: the private hosts file needs no copy in a chroot.
MASTER_CF = """\
smtp      inet  n       -       n       -       -       smtpd
127.0.0.1:10026 inet n  -       n       -       -       smtpd
  -o syslog_name=postfix/reinject
  -o content_filter=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters
  -o smtpd_client_restrictions=
  -o smtpd_sender_restrictions=
  -o smtpd_relay_restrictions=permit_mynetworks,reject
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
  -o mynetworks=127.0.0.0/8
  -o smtpd_authorized_xforward_hosts=127.0.0.0/8
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/$service_name
labfilter unix  -       -       n       -       4       smtp
  -o smtp_send_xforward_command=yes
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def rsyslog_conf(work, trad, rfc):
    return f"""\
global(workDirectory="{work}" localHostname="mail" preserveFQDN="off")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
mail.* action(type="omfile" file="{trad}" template="RSYSLOG_TraditionalFileFormat")
mail.* action(type="omfile" file="{rfc}" template="RSYSLOG_FileFormat")
"""
