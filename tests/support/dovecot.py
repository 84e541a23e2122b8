"""A throwaway Dovecot IMAP server on loopback, for tests and benchmarks (no pytest needed).

    server = Dovecot(tmp_dir).start()
    server.add_mail(raw_bytes)             # delivered to INBOX (Maildir write)
    imap://kontakt@127.0.0.1:{server.port}/INBOX   and   imaps://…:{server.tls_port}/INBOX
    server.stop()

Recipe from ../shared/notes/services.md: `dovecot -F -c CONF` with all standard
streams on DEVNULL (the master keeps inherited pipes open), free ports, a
self-signed certificate, a passwd-file user and a static userdb.
"""

from __future__ import annotations

import mailbox
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
USER = "kontakt"
PASSWORD = "hemmeligt-test-kodeord"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not open port {port} within {timeout} s")


class Dovecot:
    def __init__(self, base: Path | None = None, *, oauth2_introspection_url: str | None = None) -> None:
        # the auth and mail processes run as nobody: every folder on the way must be traversable
        # (pytest's tmp folders are 0700), so the server lives in a folder of its own under /tmp
        self.base = Path(base) if base else Path(tempfile.mkdtemp(prefix="kontakt-dovecot-"))
        os.chmod(self.base, 0o755)
        self.port = free_port()
        self.tls_port = free_port()
        self.process: subprocess.Popen | None = None
        self.oauth2_introspection_url = oauth2_introspection_url
        self.conf = self.base / "dovecot.conf"
        self.cert = self.base / "cert.pem"
        self.maildir_path = self.base / "mail" / USER / "Maildir"

    # --------------------------------------------------------------- set-up
    def _write_config(self) -> None:
        b = self.base
        for sub in ("run", "state", "mail"):
            (b / sub).mkdir(parents=True, exist_ok=True)
        if not self.cert.exists():
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                            "-keyout", str(b / "key.pem"), "-out", str(self.cert)],
                           check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (b / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        mechanisms = "plain login"
        oauth = ""
        if self.oauth2_introspection_url:
            mechanisms += " xoauth2 oauthbearer"
            (b / "oauth2.conf").write_text(
                f"introspection_url = {self.oauth2_introspection_url}\nintrospection_mode = post\n"
                "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
                "tokeninfo_url = \nforce_introspection = yes\n")
            oauth = f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {b}/oauth2.conf\n}}\n"
        self.conf.write_text(f"""protocols = imap
listen = 127.0.0.1
base_dir = {b}/run
state_dir = {b}/state
instance_name = kontakt-test-{self.port}
log_path = {b}/dovecot.log
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{b}/key.pem
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
mail_location = maildir:{b}/mail/%u/Maildir
{oauth}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {b}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={b}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
""")

    def start(self) -> "Dovecot":
        self._write_config()
        self.maildir()  # create it, owned by the mail user
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(self.port)
            wait_for_port(self.tls_port)
        except RuntimeError:
            raise RuntimeError(f"{self.log()[-2000:]}") from None
        return self

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def stop(self) -> None:
        """Stop the server and drop its open sessions (stopping the master alone leaves them)."""
        self.kick()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kick(self) -> None:
        """Drop every open IMAP session of the test user."""
        if self.process and self.process.poll() is None:
            subprocess.run([DOVEADM, "-c", str(self.conf), "kick", USER], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)

    def restart(self) -> None:
        self.stop()
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)
        wait_for_port(self.tls_port)

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --------------------------------------------------------------- mail
    def maildir(self, folder: str | None = None) -> mailbox.Maildir:
        self.maildir_path.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(str(self.maildir_path), create=True)
        if folder:
            try:
                box = box.get_folder(folder)
            except mailbox.NoSuchMailboxError:
                box = box.add_folder(folder)
        self._chown(self.base / "mail")
        return box

    def add_mail(self, raw: bytes, folder: str | None = None) -> None:
        self.maildir(folder).add(raw)
        self._chown(self.base / "mail")

    def add_many(self, raws: list[bytes]) -> None:
        box = self.maildir()
        for raw in raws:
            box.add(raw)
        self._chown(self.base / "mail")

    def reset_uidvalidity(self) -> None:
        """Make the server forget its UIDs (as after a restore): a new UIDVALIDITY, new UIDs."""
        for name in os.listdir(self.maildir_path):
            if name.startswith("dovecot"):
                p = self.maildir_path / name
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        time.sleep(1.1)  # UIDVALIDITY is a timestamp: make sure the new one differs

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "nobody:nogroup", str(path)], check=False)

    def url(self, *, tls: bool = False, folder: str = "INBOX") -> str:
        return f"imaps://{USER}@127.0.0.1:{self.tls_port}/{folder}" if tls else f"imap://{USER}@127.0.0.1:{self.port}/{folder}"
