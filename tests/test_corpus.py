import json
from email.message import EmailMessage
from pathlib import Path

import docx
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from stance.corpus import Corpus, iter_corpus, read_corpus


def read(*paths: Path, **kw) -> Corpus:
    return read_corpus(list(paths), **kw)


def test_seeds_have_their_manifest_sources(seeds):
    assert set(seeds.sources) == {"coppens", "merics", "outlet"}
    assert seeds.sources["merics"].kind == "think tank"
    assert seeds.sources["outlet"].country == "China"
    assert not seeds.problems


def test_seeds_are_byte_for_byte_the_shared_ones():
    shared = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    if not shared.is_dir():
        import pytest

        pytest.skip("shared/ is not beside the checkout")
    ours = sorted(p.read_bytes() for p in (Path(__file__).parents[1] / "seeds").glob("*.txt"))
    theirs = sorted(p.read_bytes() for p in shared.glob("0*.txt"))
    assert ours == theirs


def test_doc_ids_are_content_hashes_and_stable(tmp_path, seeds):
    again = read_corpus()
    assert [d.doc_id for d in again.documents] == [d.doc_id for d in seeds.documents]
    copy = tmp_path / "copy.txt"
    copy.write_text(seeds.documents[0].text, encoding="utf-8")
    assert read(copy).documents[0].doc_id == seeds.documents[0].doc_id


def test_file_without_manifest_is_its_own_source(tmp_path):
    (tmp_path / "my-notes.md").write_text("# Notes\n\nExport controls bite.\n")
    corpus = read(tmp_path)
    assert corpus.documents[0].source == "my-notes"
    assert corpus.sources["my-notes"].name == "my notes"


def test_encodings_keep_their_characters(tmp_path):
    text = "DeepSeek (深度求索) überrascht — café.\n"
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (tmp_path / "utf16.txt").write_bytes(text.encode("utf-16"))
    latin = "Les contrôles à l'exportation frappent les entreprises européennes. Ça coûte cher, très cher.\n"
    (tmp_path / "legacy.txt").write_bytes(latin.encode("cp1252"))
    docs = {Path(d.path).name: d for d in read(tmp_path).documents}
    assert docs["bom.txt"].text == text
    assert docs["utf16.txt"].text == text
    assert docs["legacy.txt"].text == latin


def test_html_drops_scripts_and_navigation(tmp_path):
    body = " ".join(["The Commerce Department tightened export controls on advanced chips."] * 5)
    (tmp_path / "page.html").write_text(
        f"<html><head><title>Chips</title><script>var x = 'tracker';</script><style>p{{}}</style></head>"
        f"<body><nav>Home | About | Subscribe</nav><article><h1>Chip curbs</h1><p>{body}</p>"
        f"<p>{body}</p></article><footer>Copyright 2025</footer></body></html>"
    )
    doc = read(tmp_path).documents[0]
    assert "export controls" in doc.text
    assert "tracker" not in doc.text and "Home | About" not in doc.text
    assert doc.title in {"Chips", "Chip curbs"}


def test_pdf_docx_and_eml(tmp_path):
    pdf = tmp_path / "report.pdf"
    c = canvas.Canvas(str(pdf), pagesize=A4)
    c.drawString(72, 760, "Export controls on lithography tools were expanded.")
    c.showPage()
    c.save()
    word = tmp_path / "memo.docx"
    d = docx.Document()
    d.add_paragraph("Tariffs on EVs rose to 100 percent.")
    d.add_paragraph("Beijing vowed to retaliate.")
    d.save(word)
    mail = EmailMessage()
    mail["Subject"] = "China Weekly: chips"
    mail["From"] = "Editor <editor@example.org>"
    mail["Date"] = "Thu, 22 Feb 2024 09:00:00 +0000"
    mail.set_content("Japan's chip-equipment exports to China rose 27.5%.\n")
    (tmp_path / "weekly.eml").write_bytes(bytes(mail))
    docs = {Path(d.path).suffix: d for d in read(tmp_path).documents}
    assert "lithography" in docs[".pdf"].text
    assert docs[".docx"].text.splitlines()[0] == "Tariffs on EVs rose to 100 percent."
    eml = docs[".eml"]
    assert eml.title == "China Weekly: chips"
    assert eml.date == "2024-02-22"
    assert dict(eml.meta)["sender"] == "Editor <editor@example.org>"
    assert "27.5%" in eml.text


def test_tables_give_one_document_per_row(tmp_path):
    (tmp_path / "t.csv").write_text("id,source,date,text\n1,xinhua,2024-01-01,Cooperation benefits both.\n2,csis,,Controls protect security.\n")
    (tmp_path / "t.jsonl").write_text(json.dumps({"text": "AI chips are scarce.", "source": "blog"}) + "\n")
    corpus = read(tmp_path)
    assert sorted(d.source for d in corpus.documents) == ["blog", "csis", "xinhua"]
    assert any(d.date == "2024-01-01" for d in corpus.documents)


def test_bad_inputs_each_give_one_clear_line_and_the_rest_goes_through(tmp_path):
    (tmp_path / "good.txt").write_text("Export controls were tightened.\n")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "notext.csv").write_text("title,body\nA,B\n")
    (tmp_path / "big.txt").write_text("word " * 3000)
    (tmp_path / "garbage.txt").write_bytes(bytes([0x80, 0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x9E, 0x9F]) * 40)
    scan = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(scan))
    c.rect(100, 100, 200, 200, fill=1)
    c.showPage()
    c.save()
    corpus = Corpus()
    docs = list(iter_corpus([tmp_path], corpus, max_bytes=10_000))
    assert [Path(d.path).name for d in docs] == ["good.txt"]
    problems = {Path(p.path.split(":")[0]).name: str(p) for p in corpus.problems}
    assert "empty" in problems["empty.txt"]
    assert "binary" in problems["binary.txt"]
    assert "unsupported" in problems["image.png"]
    assert "'text' column" in problems["notext.csv"] and "notext.csv:1" in problems["notext.csv"]
    assert "limit" in problems["big.txt"] and "--max-mb" in problems["big.txt"]
    assert "no text layer" in problems["scan.pdf"] and "OCR" in problems["scan.pdf"]
    assert "undecodable" in problems["garbage.txt"]
    for line in problems.values():
        assert "\n" not in line and " — " in line  # what is wrong — what to do
