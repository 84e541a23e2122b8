#!/usr/bin/env python3
"""Write the bundled sample mailbox, samples/inbox/: invented Danish submissions for
Ledelsesugen 2026 (uge 44 = 26 Oct - 1 Nov 2026) and a few non-event mails.

Deterministic (fixed dates and Message-IDs): rerunning writes the same files.
Everyone and everything in them is invented; domains use the reserved .example TLD.
"""

from __future__ import annotations

from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path

CEST = timezone(timedelta(hours=2))
OUT = Path(__file__).resolve().parent / "inbox"


def headers(msg, *, sender: str, subject: str, sent: datetime, msgid: str) -> None:
    msg["From"] = sender
    msg["To"] = "kontakt@ledelsesugen.dk"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = f"<{msgid}>"


def plain(sender, subject, sent, msgid, body, charset="utf-8", extra=None) -> bytes:
    msg = EmailMessage()
    headers(msg, sender=sender, subject=subject, sent=sent, msgid=msgid)
    for k, v in (extra or {}).items():
        msg[k] = v
    msg.set_content(body, charset=charset, cte="quoted-printable" if charset != "utf-8" else None)
    return bytes(msg)


SAMPLES: dict[str, bytes] = {}

SAMPLES["01-aarhusvig-lederdialog.eml"] = plain(
    "Signe Dahl Madsen <sdm@aarhusvig.example>",
    "Arrangement til Ledelsesugen: Lederdialog om arbejdsglæde",
    datetime(2026, 9, 7, 9, 12, tzinfo=CEST), "20260907091200.4411@aarhusvig.example",
    """Hej Ledelsesugen

Vi vil gerne have vores arrangement med i programmet for uge 44.

Lederdialog: Arbejdsglæde i en presset hverdag

Tre ledere fra dagtilbud og skole fortæller, hvordan de arbejder med
arbejdsglæde, og vi slutter med dialog i mindre grupper.

Tid: Tirsdag den 27. oktober kl. 13-15.30
Sted: Aarhusvig Rådhus, byrådssalen, Rådhustorvet 3, 8700 Aarhusvig
Målgruppe: Ledere og mellemledere i Aarhusvig Kommune
Tilmelding senest den 16. oktober til sdm@aarhusvig.example

Venlig hilsen

Signe Dahl Madsen
HR-partner, Aarhusvig Kommune
Rådhustorvet 1, 8700 Aarhusvig
Tlf. 8712 3456
""")

SAMPLES["02-region-nordhav-temadag.eml"] = (lambda: (
    lambda msg: (headers(msg, sender="Region Nordhav <ledelse@regionnordhav.example>",
                         subject="Temadag om psykologisk tryghed – Ledelsesugen 2026",
                         sent=datetime(2026, 9, 14, 14, 3, tzinfo=CEST), msgid="temadag-2026@regionnordhav.example"),
                 msg.attach(MIMEText("""<html><body>
<p>Kære Ledelsesugen</p>
<p>Hermed vores bidrag til programmet.</p>
<table>
<tr><td><b>Titel:</b></td><td>Psykologisk tryghed i teams</td></tr>
<tr><td><b>Dato:</b></td><td>Onsdag den 28. oktober 2026 (heldag)</td></tr>
<tr><td><b>Sted:</b></td><td>Nordhavshuset, Kajgade 12, 9000 Aalborg</td></tr>
<tr><td><b>Målgruppe:</b></td><td>Ledere i sundhedsvæsenet</td></tr>
<tr><td><b>Tilmeldingsfrist:</b></td><td>19/10</td></tr>
</table>
<p><a href="https://www.regionnordhav.example/tryghed2026">Tilmeld dig her</a></p>
<p>Med venlig hilsen<br>Kasper Ulrik<br>Region Nordhav, HR og Ledelse<br>Kajgade 1, 9000 Aalborg</p>
</body></html>""", "html", "utf-8")), bytes(msg))[-1])(MIMEMultipart("mixed")))()

_alt = MIMEMultipart("alternative")
headers(_alt, sender="=?utf-8?q?J=C3=B8rgen_Vest?= <jv@styrelsenforlaering.example>",
        subject="Webinar i Ledelsesugen: Data i ledelse",
        sent=datetime(2026, 9, 21, 10, 45, tzinfo=CEST), msgid="web-data-ledelse@styrelsenforlaering.example")
_alt.attach(MIMEText("""Kære arrangører af Ledelsesugen

Styrelsen for Læring og Data afholder et webinar i uge 44:

Data i ledelse – fra tal til handling

Torsdag den 29. oktober fra kl. 10.00 til 11.30 via Teams.
Webinaret er for ledere i staten og kommunerne, der arbejder med styringsdata.

Tilmelding: https://www.styrelsenforlaering.example/webinar-data

Venlig hilsen
Jørgen Vest
Styrelsen for Læring og Data
""", "plain", "utf-8"))
_alt.attach(MIMEText("""<p>Kære arrangører af Ledelsesugen</p>
<p>Styrelsen for Læring og Data afholder et webinar i uge 44:</p>
<p><b>Data i ledelse – fra tal til handling</b></p>
<p>Torsdag den 29. oktober fra kl. 10.00 til 11.30 via Teams.<br>
Webinaret er for ledere i staten og kommunerne, der arbejder med styringsdata.</p>
<p>Tilmelding: <a href="https://www.styrelsenforlaering.example/webinar-data">https://www.styrelsenforlaering.example/webinar-data</a></p>
<p>Venlig hilsen<br>Jørgen Vest<br>Styrelsen for Læring og Data</p>""", "html", "utf-8"))
SAMPLES["03-styrelse-webinar-teams.eml"] = bytes(_alt)

SAMPLES["04-lederforum-latin1.eml"] = plain(
    "Bente Ågård <bente@lederforum-syd.example>",
    "Morgenmøde: Ledelse på tværs",
    datetime(2026, 9, 28, 8, 5, tzinfo=CEST), "mm-tvaers@lederforum-syd.example",
    """Hej

Lederforum Syd inviterer til morgenmøde under Ledelsesugen.

Ledelse på tværs af fagligheder

Fredag 30/10 kl. 8.30-10 på Hotel Fjordgården, Strandvejen 22, 6000 Kolding.
Der serveres morgenmad fra kl. 8.
Målgruppe: Ledere på tværs af sektorer
Tilmeldingsfrist: 23/10 på bente@lederforum-syd.example

Mvh
Bente Ågård
Lederforum Syd
""", charset="iso-8859-1")

SAMPLES["05-kommune-to-arrangementer.eml"] = plain(
    "Mikkel Brandt <mibr@skovlund.example>",
    "To arrangementer fra Skovlund Kommune",
    datetime(2026, 9, 30, 15, 20, tzinfo=CEST), "to-arr-2026@skovlund.example",
    """Hej Ledelsesugen

Skovlund Kommune holder to arrangementer i uge 44:

1) Ledercafé: Den svære samtale
Tid: Mandag den 26. oktober kl. 15-17
Sted: Skovlund Bibliotek, Torvet 4, 7400 Skovlund
Målgruppe: Nye ledere
Tilmelding: https://www.skovlund.example/ledercafe

2) Walk and talk for ledere
Tid: Onsdag den 28. oktober kl. 7.30-9
Sted: Mødested ved Skovlund Sø, P-pladsen, Søvej 1, 7400 Skovlund
Målgruppe: Alle ledere i kommunen
Ingen tilmelding, bare mød op.

Venlig hilsen
Mikkel Brandt
Skovlund Kommune, Personale og Udvikling
Tlf. 9711 2233
""")

SAMPLES["06-universitet-hybrid.eml"] = plain(
    "Ida Kruse <ikr@kystuni.example>",
    "Forelæsning under Ledelsesugen – online og fysisk",
    datetime(2026, 10, 2, 11, 0, tzinfo=CEST), "forel-2026-hybrid@kystuni.example",
    """Kære Ledelsesugen

Kyst Universitet inviterer til en åben forelæsning, som kan følges både
online og fysisk.

Offentlig ledelse efter New Public Management

Forelæsningen afholdes d. 27.10 kl. 16:00–17:30 på Kyst Universitet,
Auditorium A, Universitetsvej 5, 4000 Roskilde. Den streames via Zoom.

Målgruppe: Offentlige ledere og studerende
Tilmelding senest fredag den 23. oktober: https://www.kystuni.example/npm

Venlig hilsen
Ida Kruse
Institut for Samfund og Ledelse, Kyst Universitet
""")

SAMPLES["07-videresendt-netvaerk.eml"] = plain(
    "Anne Sørensen <anso@bakkeby.example>",
    "Fwd: Netværksmøde for skoleledere",
    datetime(2026, 10, 5, 9, 30, tzinfo=CEST), "fwd-netvaerk@bakkeby.example",
    """Hej Ledelsesugen

Jeg videresender på vegne af vores skolechef.

Anne

---------- Videresendt meddelelse ---------
Fra: Per Lind <pel@bakkeby.example>
Dato: fre. 2. okt. 2026 kl. 14.12
Emne: Netværksmøde for skoleledere
Til: Anne Sørensen <anso@bakkeby.example>

Bakkeby Kommune inviterer til netværksmøde for skoleledere:

Skoleledelse og trivsel

Torsdag den 29. oktober kl. 12.00-14.00
Sted: Bakkeby Skole, Skolegade 10, 5700 Bakkeby
Tilmelding senest 20. oktober til pel@bakkeby.example

Hilsen Per
""")

_ics = MIMEMultipart("mixed")
headers(_ics, sender="Velfærdsnetværket <info@velfaerdsnet.example>",
        subject="Invitation: Frokostmøde om velfærdsteknologi",
        sent=datetime(2026, 10, 6, 13, 0, tzinfo=CEST), msgid="ics-frokost@velfaerdsnet.example")
_ics.attach(MIMEText("Hermed invitation til vores frokostmøde i Ledelsesugen. Se vedhæftede.\n", "plain", "utf-8"))
_cal = MIMEText("""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Velfaerdsnet//DA\r
METHOD:REQUEST\r
BEGIN:VEVENT\r
UID:frokost-2026@velfaerdsnet.example\r
DTSTAMP:20261006T110000Z\r
DTSTART;TZID=Europe/Copenhagen:20261030T113000\r
DTEND;TZID=Europe/Copenhagen:20261030T130000\r
SUMMARY:Frokostmøde: Velfærdsteknologi og ledelse\r
LOCATION:Velfærdshuset, Møllevej 3, 2800 Lyngby\r
DESCRIPTION:For ledere i ældreplejen. Tilmelding til info@velfaerdsnet.example\r
ORGANIZER;CN=Velfærdsnetværket:mailto:info@velfaerdsnet.example\r
END:VEVENT\r
END:VCALENDAR\r
""", "calendar", "utf-8")
_cal.set_param("method", "REQUEST")
_cal.add_header("Content-Disposition", "attachment", filename="invitation.ics")
_ics.attach(_cal)
SAMPLES["08-ics-invitation.eml"] = bytes(_ics)

SAMPLES["09-autosvar.eml"] = plain(
    "Henrik Mose <hemo@skovlund.example>", "Automatisk svar: Ledelsesugen 2026",
    datetime(2026, 10, 7, 8, 0, tzinfo=CEST), "auto-hemo@skovlund.example",
    "Tak for din mail. Jeg er fraværende til og med fredag den 16. oktober og har begrænset adgang til mail.\n"
    "Ved hastende henvendelser kontakt venligst personale@skovlund.example.\n",
    extra={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"})

SAMPLES["10-spoergsmaal.eml"] = plain(
    "Lone Vinther <lovi@fjeldby.example>", "Spørgsmål om deltagelse",
    datetime(2026, 10, 8, 12, 40, tzinfo=CEST), "q-lovi@fjeldby.example",
    """Hej

Hvordan kommer vi med i programmet for Ledelsesugen? Vi overvejer at holde
noget i starten af november, men har ikke fastlagt dato endnu.
Skal vi udfylde en formular, eller er det nok at sende en mail?

Venlig hilsen
Lone Vinther
Fjeldby Kommune
""")

SAMPLES["11-nyhedsbrev.eml"] = plain(
    "Ledernyt <nyhedsbrev@ledernyt.example>", "Ledernyt oktober: Fem gode råd om feedback",
    datetime(2026, 10, 9, 6, 0, tzinfo=CEST), "ledernyt-2026-10@ledernyt.example",
    """Ledernyt – oktober 2026

Fem gode råd om feedback, nyt om lederuddannelser og vores kursuskalender.
Næste kursus i forandringsledelse starter 3. februar 2027.

Afmeld nyhedsbrevet: https://www.ledernyt.example/afmeld
""", extra={"List-Unsubscribe": "<https://www.ledernyt.example/afmeld>", "Precedence": "bulk"})


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, raw in SAMPLES.items():
        (OUT / name).write_bytes(raw)
    print(f"wrote {len(SAMPLES)} mails to {OUT}")


if __name__ == "__main__":
    main()
