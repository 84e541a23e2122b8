"""PDF and Word attachments: read under caps, never run; what cannot be read gets a Danish note."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest

from parsers.attachments import MAX_DOCX_MEMBERS, MAX_PDF_PAGES, read_attachment
from parsers.mime import RawAttachment
from tests.parsers import mails

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def attachment(data: bytes, content_type: str, filename: str) -> RawAttachment:
    return RawAttachment(filename, content_type, data, len(data))


def pdf_pages(count: int) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for n in range(1, count + 1):
        writer.add_page(PdfReader(io.BytesIO(mails.minimal_pdf([f"Side {n}"]))).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(lines: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_pdf_is_read_up_to_the_page_cap():
    text = read_attachment(attachment(pdf_pages(MAX_PDF_PAGES + 5), PDF, "program.pdf")).text
    assert f"Side {MAX_PDF_PAGES}" in text and f"Side {MAX_PDF_PAGES + 1}" not in text


def test_a_pdf_stream_that_inflates_past_the_cap_is_refused():
    bomb = zlib.compress(b"BT ET " + b" " * (60 * 2**20), 9)  # 60 MB of content from about 60 kB
    pdf = mails.minimal_pdf(["x"]).replace(b"<< /Length", b"<< /Filter /FlateDecode /Length", 1)
    start = pdf.index(b"stream\n") + len(b"stream\n")
    end = pdf.index(b"\nendstream")
    pdf = pdf[:start] + bomb + pdf[end:]
    pdf = pdf.replace(b"/Length %d" % (end - start), b"/Length %d" % len(bomb), 1)
    out = read_attachment(attachment(pdf, PDF, "bombe.pdf"))
    assert not out.text and out.note == "kunne ikke læses: PDF-filen pakker ud til over 20 MB"


def test_an_encrypted_pdf_is_noted():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(mails.minimal_pdf(["Hemmeligt"]))).pages[0])
    writer.encrypt(user_password="hemmelig", owner_password="ejer", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    note = read_attachment(attachment(out.getvalue(), PDF, "lukket.pdf")).note
    assert note == "kunne ikke læses: PDF-filen er krypteret"


@pytest.mark.parametrize("data", [b"%PDF-1.4 not really", b"%PDF-1.7\n1 0 obj << /Type /Pages /Kids [1 0 R] >> endobj\n", b""])
def test_a_broken_pdf_is_noted_in_danish(data):
    out = read_attachment(attachment(data, PDF, "flyer.pdf"))
    assert not out.text and out.note.startswith("kunne ikke læses: PDF-filen er beskadiget")


def test_a_word_document_is_read():
    out = read_attachment(attachment(docx_bytes(["Fremtidens velfærdsledelse", "Tid: 27. oktober kl. 9-12"]), DOCX, "i.docx"))
    assert out.text.splitlines()[:2] == ["Fremtidens velfærdsledelse", "Tid: 27. oktober kl. 9-12"]


def test_a_word_zip_bomb_is_refused_before_it_is_inflated():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (30 * 2**20))
    out = read_attachment(attachment(buffer.getvalue(), DOCX, "bombe.docx"))
    assert out.text is None and out.note == "kunne ikke læses: Word-dokumentet fylder over 20 MB udpakket"


def test_a_word_archive_with_too_many_files_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(MAX_DOCX_MEMBERS + 1):
            archive.writestr(f"f{n}", b"")
    note = read_attachment(attachment(buffer.getvalue(), DOCX, "mange.docx")).note
    assert note.startswith("kunne ikke læses: Word-dokumentet rummer over")


@pytest.mark.parametrize("data", [b"<html>not a zip</html>", b"PK\x03\x04garbage" + b"\0" * 100])
def test_a_word_file_that_is_not_one_is_noted(data):
    out = read_attachment(attachment(data, DOCX, "program.docx"))
    assert out.text is None and out.note == "kunne ikke læses: filen er ikke et Word-dokument (ikke en zip-fil)"


def test_other_files_are_listed_not_read():
    out = read_attachment(attachment(b"PK\x03\x04", "application/zip", "deltagere.zip"))
    assert out.text is None and out.note == "ikke læst (hverken kalender, PDF eller Word-dokument)"


def test_a_calendar_attachment_in_another_charset_is_decoded():
    ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Møde på Rådhuset\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    raw = RawAttachment(None, "text/calendar", ics.encode("latin-1"), 80, charset="iso-8859-1")
    assert "SUMMARY:Møde på Rådhuset\n" in read_attachment(raw).text
