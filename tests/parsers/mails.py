"""Test mails for the extractor, built with the stdlib email package in several MIME forms."""

from __future__ import annotations

from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime

from tests.support.mail import CPH_SUMMER
from datetime import datetime

SENT = datetime(2026, 9, 22, 11, 15, tzinfo=CPH_SUMMER)

EVENT_TEXT = """Hej Ledelsesugen

Nørrebæk Kommune holder et åbent ledermøde, som vi gerne vil have med i kalenderen.

Ledelse med mening – åbent ledermøde

Tid: Onsdag den 28. oktober kl. 13-15.30
Sted: Nørrebæk Rådhus, mødesal 3, Torvet 2, 6200 Aabenraa
Målgruppe: Ledere i dagtilbud og skole
Tilmelding senest den 20. oktober til ledelse@noerrebaek.example

Venlig hilsen

Kirsten Lund
HR-konsulent, Nørrebæk Kommune
Skolegade 9, 6200 Aabenraa
Tlf. 7412 3456
"""

EVENT_HTML = """<html><body><p>Kære Ledelsesugen</p>
<p>Hermed vores arrangement.</p>
<table><tr><td><b>Titel:</b></td><td>Ledelse med mening – åbent ledermøde</td></tr>
<tr><td><b>Tid:</b></td><td>Onsdag den 28. oktober kl. 13-15.30</td></tr>
<tr><td><b>Sted:</b></td><td>Nørrebæk Rådhus, mødesal 3, Torvet 2, 6200 Aabenraa</td></tr>
<tr><td><b>Målgruppe:</b></td><td>Ledere i dagtilbud og skole</td></tr></table>
<p><a href="https://www.noerrebaek.example/ledermoede">Tilmeld dig her</a></p>
<script>alert(1)</script>
<p>Med venlig hilsen<br>Kirsten Lund<br>Nørrebæk Kommune</p></body></html>"""


def headers(msg, subject: str = "Arrangement: Ledelse med mening", sender: str = "Kirsten Lund <kilu@noerrebaek.example>",
            sent: datetime = SENT, msgid: str = "<ledermoede-1@noerrebaek.example>") -> None:
    msg["From"] = sender
    msg["To"] = "kontakt@ledelsesugen.dk"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = msgid


def plain(text: str = EVENT_TEXT, charset: str = "utf-8", cte: str | None = None, **kw) -> bytes:
    msg = MIMEText(text, "plain", charset)
    if cte:
        del msg["Content-Transfer-Encoding"]
        from email import encoders
        payload = text.encode(charset)
        msg.set_payload(payload)
        (encoders.encode_base64 if cte == "base64" else encoders.encode_quopri)(msg)
    headers(msg, **kw)
    return msg.as_bytes()


def html_only(html: str = EVENT_HTML, charset: str = "utf-8", **kw) -> bytes:
    msg = MIMEText(html, "html", charset)
    headers(msg, **kw)
    return msg.as_bytes()


def alternative(text: str = EVENT_TEXT, html: str = EVENT_HTML, **kw) -> bytes:
    msg = MIMEMultipart("alternative")
    msg.attach(MIMEText(text, "plain", "utf-8"))
    msg.attach(MIMEText(html, "html", "utf-8"))
    headers(msg, **kw)
    return msg.as_bytes()


def with_attachment(body: str, data: bytes, filename: str, maintype: str, subtype: str, **kw) -> bytes:
    msg = MIMEMultipart("mixed")
    msg.attach(MIMEText(body, "plain", "utf-8"))
    if maintype == "text":
        part = MIMEText(data.decode("utf-8"), subtype, "utf-8")
    else:
        part = MIMEApplication(data, subtype)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    msg.attach(part)
    headers(msg, **kw)
    return msg.as_bytes()


def minimal_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF whose text layer holds the lines (Helvetica, WinAnsi: æøå fine)."""
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 11 Tf 50 800 Td 14 TL " + " ".join(f"({esc(line)}) '" for line in lines) + " ET"
    stream = content.encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
