import csv
import gzip
import io
import json
import random
import sys
from email.message import EmailMessage
from pathlib import Path

import docx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from stance.corpus import SEEDS_DIR, Corpus, iter_corpus, read_corpus
from stance.segment import iter_sentences


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


def test_an_html_pages_headings_are_headings_and_a_lost_headline_comes_back_on_top(tmp_path):
    # A web page's <h1> and <h2> came out as plain lines ("What the new rules mean ..." a sentence
    # without a heading's context), and a headline outside an <article> was dropped altogether.
    from stance.segment import segment

    (tmp_path / "article.html").write_text(
        "<html><body><article><h1>US widens chip curbs</h1><p>The US tightened export controls. Beijing objected.</p>"
        "<h2>What the new rules mean for Nvidia and its rivals</h2><p>These controls will only bite later.</p></article></body></html>")
    (tmp_path / "bare.html").write_text(
        "<html><head><title>Chip curbs</title></head><body><h1>Chip curbs</h1><p>The US tightened export controls on chips. "
        "Beijing objected strongly.</p><p>Tariffs hurt consumers, economists said.</p></body></html>")
    docs = {Path(d.path).name: d for d in read(tmp_path).documents}
    article = [(s.text, s.heading) for s in segment(docs["article.html"])]
    assert article == [("# US widens chip curbs", True), ("The US tightened export controls.", False), ("Beijing objected.", False),
                       ("## What the new rules mean for Nvidia and its rivals", True), ("These controls will only bite later.", False)]
    bare = [(s.text, s.heading) for s in segment(docs["bare.html"])]
    assert bare[0] == ("# Chip curbs", True) and [text for text, _ in bare].count("# Chip curbs") == 1
    (tmp_path / "echo.html").write_text(  # a paragraph with a heading's words is still a paragraph
        "<html><body><article><h2>Reaction</h2><p>Reaction</p><p>Industry groups criticised the decision as harmful.</p>"
        "<h3>2024</h3><p>2024</p><p>Tariffs in 2024 were higher than ever.</p></article></body></html>")
    echo = [(s.text, s.heading) for s in segment(next(d for d in read(tmp_path / "echo.html").documents))]
    assert [text for text, _ in echo] == ["## Reaction", "Reaction", "Industry groups criticised the decision as harmful.",
                                         "### 2024", "2024", "Tariffs in 2024 were higher than ever."]


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
    (tmp_path / "blank.txt").write_text(" \n\t\n")
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
    assert "holds only white space (4 bytes)" in problems["blank.txt"]  # it said "empty", and the analyst saw a file that is not
    assert "binary" in problems["binary.txt"]
    assert "unsupported" in problems["image.png"]
    assert "'text' column" in problems["notext.csv"] and "notext.csv:1" in problems["notext.csv"]
    assert "limit" in problems["big.txt"] and "--max-mb" in problems["big.txt"]
    assert "no text layer" in problems["scan.pdf"] and "OCR" in problems["scan.pdf"]
    assert "undecodable" in problems["garbage.txt"]
    for line in problems.values():
        assert "\n" not in line and " — " in line  # what is wrong — what to do


def test_legacy_code_pages_of_other_scripts_and_mixed_files_keep_their_characters(tmp_path):
    chinese, russian = "美国对中国芯片实施出口管制。中方表示坚决反对。\n", "США ввели экспортный контроль на чипы. Китай выразил протест.\n"
    (tmp_path / "gbk.txt").write_bytes(chinese.encode("gbk"))
    (tmp_path / "cp1251.txt").write_bytes(russian.encode("cp1251"))
    german = "Der Außenminister sagte: „Zölle schaden.“ Über Größe.\n"
    (tmp_path / "cp1252.txt").write_bytes(german.encode("cp1252"))
    utf8, pasted = "Beijing’s “dual circulation” — explained.\n", "Café owners said it’s fine.\n"
    (tmp_path / "mixed.txt").write_bytes(utf8.encode("utf-8") + pasted.encode("cp1252"))
    (tmp_path / "utf16.txt").write_bytes("The tariffs were raised. Trade fell.\n".encode("utf-16-le"))  # no BOM
    docs = {Path(d.path).name: d.text for d in read(tmp_path).documents}
    assert docs == {"gbk.txt": chinese, "cp1251.txt": russian, "cp1252.txt": german, "mixed.txt": utf8 + pasted,
                    "utf16.txt": "The tariffs were raised. Trade fell.\n"}


@pytest.mark.parametrize("text, code_page", [
    ("美国限制AI芯片出口。\n", "gbk"), ("美国\n", "gbk"), ("中方坚决反对美方滥用出口管制。\n", "gb18030"),
    ("美國限制AI晶片出口。\n", "big5"), ("台灣\n", "big5"),
    ("中華民國外交部表示，台灣將持續與理念相近的國家合作，共同維護區域和平與穩定。\n", "big5"),
    ("米国はAI半導体の輸出を規制した。\n", "cp932"), ("미국은 AI 반도체 수출을 제한했다.\n", "cp949"), ("美 수출통제 강화\n", "cp949"),
    # A Chinese name inside English: Windows-1252 read it as "(¦æ¬F°|)" among plain words.
    ("Taipei said the curbs would hurt exports. The Executive Yuan (行政院) promised support.\n", "big5"),
    ("Analysts read the notice. " * 60 + "中国AI芯片 was the headline.\n", "gbk"),
])
def test_short_chinese_japanese_and_korean_legacy_files_keep_their_characters(tmp_path, text, code_page):
    # Short GBK with a Latin word in it, and any Big5, came out as Windows-1252 ("ÃÀ¹úÏÞÖÆAIÐ¾Æ¬") and
    # were tagged as that, without a word said.
    (tmp_path / "note.txt").write_bytes(text.encode(code_page))
    assert [d.text for d in read(tmp_path).documents] == [text]


@pytest.mark.parametrize("text", ["Der Außenminister sagte: „Zölle schaden.“ Über Größe.\n", "Zölle für Stahl\n", "Größe\n",
                                  "À l'été, ça écœure. Où ça?\n", "Ação é coração – São Paulo, não.\n", "Ñandú año\n",
                                  "£5 · 20° – 30 % ½ ©\n", "Übersee-Ökonomie ÄÖÜ\n", "Øresund Ålborg Æble\n"])
def test_short_western_legacy_files_are_not_taken_for_east_asian_ones(tmp_path, text):
    (tmp_path / "note.txt").write_bytes(text.encode("cp1252"))
    assert [d.text for d in read(tmp_path).documents] == [text]


def test_a_damaged_file_of_any_format_is_one_problem_and_the_others_go_through(tmp_path):
    (tmp_path / "a-good.txt").write_text("Export controls were tightened.\n")
    (tmp_path / "fake.docx").write_bytes(b"not a zip at all")
    (tmp_path / "bad.eml").write_bytes(b'From: newsletter@\nContent-Type: text/plain; charset="unknown-8bit"\n\nTariffs rose.\n')
    (tmp_path / "z-good.txt").write_text("Tariffs were raised.\n")
    corpus = read(tmp_path)
    assert sorted(Path(d.path).name for d in corpus.documents) == ["a-good.txt", "z-good.txt"]
    problems = {Path(p.path).name: str(p) for p in corpus.problems}
    assert "not a readable .docx file" in problems["fake.docx"] and "save it again" in problems["fake.docx"]
    assert "not a readable .eml file" in problems["bad.eml"]


def test_tables_as_spreadsheets_save_them_semicolons_old_mac_lines_big_cells_multi_line_records(tmp_path):
    (tmp_path / "semi.csv").write_text("id;Text;source\n1;Tariffs rose, then fell.;merics\n")
    (tmp_path / "mac.csv").write_bytes(b"id,text\r1,Chips matter.\r")
    (tmp_path / "big.csv").write_text("id,text\n1," + "Tariffs rose again. " * 10_000 + "\n")
    (tmp_path / "multi.csv").write_text('id,text\n1,"Tariffs rose.\n\nTrade fell."\n2,Chips matter.\n3,\n')
    corpus = read(tmp_path)
    docs = {d.path: d for d in corpus.documents}
    assert docs[f"{tmp_path / 'semi.csv'}:2"].text == "Tariffs rose, then fell." and docs[f"{tmp_path / 'semi.csv'}:2"].source == "merics"
    assert docs[f"{tmp_path / 'mac.csv'}:2"].text == "Chips matter."
    assert len(docs[f"{tmp_path / 'big.csv'}:2"].text) > 131_072  # over the csv module's default cell limit
    assert f"{tmp_path / 'multi.csv'}:2" in docs and f"{tmp_path / 'multi.csv'}:5" in docs  # where each record starts
    assert [(Path(p.path).name, p.line) for p in corpus.problems] == [("multi.csv", 6)]


def test_a_csv_that_excel_saved_with_its_sep_line_is_read_with_that_separator_and_true_lines(tmp_path):
    # Excel's "sep=;" first line used to be taken for the header: "no 'text' column (columns: sep=;)".
    (tmp_path / "excel.csv").write_text('sep=;\ntext;source\nTariffs rose, then fell.;merics\n"Chips; and more.";csis\n')
    (tmp_path / "quoted.csv").write_text('"sep=|"\r\nid|text\r\n1|Trade fell.\r\n')
    (tmp_path / "no-text.csv").write_text("sep=;\nid;body\n1;x\n")
    corpus = read(tmp_path)
    assert {(Path(d.path).name, d.text, d.source) for d in corpus.documents} == {
        ("excel.csv:3", "Tariffs rose, then fell.", "merics"), ("excel.csv:4", "Chips; and more.", "csis"), ("quoted.csv:3", "Trade fell.", "quoted")}
    (problem,) = corpus.problems
    assert problem.line == 2 and "(columns: id, body)" in str(problem)


def test_a_cell_that_cannot_be_one_value_is_said_and_a_doubled_byte_order_mark_is_no_column_name(tmp_path):
    # A list as a JSONL row's source used to be replaced by the file's name without a word, and a
    # CSV saved twice with a byte-order mark had no 'text' column ("\ufefftext").
    (tmp_path / "rows.jsonl").write_text('{"text": "Tariffs rose.", "source": ["a", "b"]}\n{"text": "Chips matter.", "source": "  ", "date": false}\n')
    (tmp_path / "marked.csv").write_bytes("\ufeff\ufefftext,source\nTrade fell.,merics\n".encode("utf-8"))
    corpus = read(tmp_path)
    assert sorted((d.text, d.source) for d in corpus.documents) == [("Chips matter.", "rows"), ("Tariffs rose.", "rows"), ("Trade fell.", "merics")]
    assert [(n.line, n.message) for n in corpus.notes] == [
        (1, "the row's source (a list) cannot be one value, so it was left out and the file's name stands for the source"),
        (2, "the row's date (true or false) cannot be one value, so it was left out")]
    assert not corpus.problems


def test_a_quote_never_closed_is_named_by_its_line_and_the_rows_before_it_go_through(tmp_path):
    (tmp_path / "t.csv").write_text('id,text\n1,Tariffs rose.\n2,"Unclosed quote here.\n3,Chips matter.\n')
    corpus = read(tmp_path)
    assert [d.text for d in corpus.documents] == ["Tariffs rose."]
    (problem,) = corpus.problems
    assert problem.line == 3 and "never closed" in str(problem) and 'double any quote' in str(problem)


def test_a_quote_never_closed_on_the_last_line_is_named_and_a_stray_quote_in_a_cell_is_text(tmp_path):
    # A quote opened on the file's last line swallowed only the rest of that row, and went unsaid.
    (tmp_path / "last.csv").write_text('id,text\n1,Tariffs rose.\n2,"Unclosed on the last line.\n')
    (tmp_path / "inch.csv").write_text('id,text\n1,Tariffs rose.\n2,A 5" wafer was shown.\n')
    corpus = read(tmp_path)
    assert sorted(d.text for d in corpus.documents) == ['A 5" wafer was shown.', "Tariffs rose.", "Tariffs rose."]
    (problem,) = corpus.problems
    assert problem.path.endswith("last.csv") and problem.line == 3 and "never closed" in str(problem)


def test_an_annotation_row_cut_short_is_refused_and_a_document_row_missing_an_optional_cell_is_read(tmp_path):
    from stance.annotations import read_annotations

    (tmp_path / "labels.csv").write_text("text,topics,frames,annotator\nChina said this hurts cooperation.,export_controls\nTariffs rose.,trade_tariffs,,ana\n")
    found = read_annotations([tmp_path / "labels.csv"])
    assert [a.text for a in found.annotations] == ["Tariffs rose."]
    (problem,) = found.problems
    assert problem.line == 2 and "so it has no 'frames' cell" in str(problem) and ",," in str(problem)
    (tmp_path / "docs.csv").write_text("text,source,date\nOne text.,merics\n")
    assert [d.source for d in read(tmp_path / "docs.csv").documents] == ["merics"]


def test_a_row_with_more_cells_than_columns_or_a_column_named_twice_is_named_not_misread(tmp_path):
    # An unquoted comma in a text used to cut it there and make the rest its source; "Text" and "text"
    # used to keep one of the two columns without a word.
    (tmp_path / "t.csv").write_text("text,source\nChina, the US and chips.,merics\nTariffs rose.,csis,\n")
    (tmp_path / "twice.csv").write_text("Text,text,source\nOne.,Two.,x\n")
    (tmp_path / "twice.jsonl").write_text('{"Text": "One.", "text": "Two."}\n{"text": "Three."}\n')
    corpus = read(tmp_path)
    assert [(d.text, d.source) for d in corpus.documents] == [("Tariffs rose.", "csis"), ("Three.", "twice")]  # an empty extra cell is no harm
    problems = {Path(p.path).name: p for p in corpus.problems}
    assert problems["t.csv"].line == 2 and "3 cells" in str(problems["t.csv"]) and "put quotes around" in str(problems["t.csv"])
    assert problems["twice.csv"].line == 1 and "more than one 'text' column" in str(problems["twice.csv"])
    assert problems["twice.jsonl"].line == 1 and "more than one 'text' field" in str(problems["twice.jsonl"])


def test_json_lines_hold_any_character_and_mistakes_are_named(tmp_path):
    rows = [{"text": "The tariffs rose\u2028sharply."}, {"text": "Half an emoji \ud83d here."}, {"text": "Third\x1crow."}, {"text": 42}]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    (tmp_path / "array.jsonl").write_text(json.dumps([{"text": "One."}, {"text": "Two."}], indent=2))
    corpus = read(tmp_path)
    assert [d.text for d in corpus.documents] == ["The tariffs rose\u2028sharply.", "Half an emoji \ufffd here.", "Third\x1crow."]
    problems = sorted((Path(p.path).name, p.line, p.message) for p in corpus.problems)
    assert problems == [("array.jsonl", 1, "the file is one JSON array, not JSON Lines"), ("t.jsonl", 4, "the row's text is a number, not text")]


def test_folders_pipes_and_repeats(tmp_path):
    import os

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Tariffs rose.\n")
    os.mkfifo(docs / "pipe.txt")  # would be read forever
    (docs / "loop").symlink_to(docs)  # a link back into the folder: read once
    (tmp_path / "empty").mkdir()
    (tmp_path / "readme-only").mkdir()
    (tmp_path / "readme-only" / "README.md").write_text("# Notes\n")
    corpus = read(docs, docs / "a.txt", tmp_path / "empty", tmp_path / "readme-only")
    assert [Path(d.path).name for d in corpus.documents] == ["a.txt"]
    problems = {Path(p.path).name: p.message for p in corpus.problems}
    assert problems["pipe.txt"].startswith("not a regular file")
    assert problems["empty"] == "no documents in this folder"
    assert problems["readme-only"].startswith("no documents in this folder (only 1 file(s) stance does not read")


def test_links_that_lead_nowhere_devices_and_names_without_a_suffix_say_what_they_are(tmp_path):
    # A loop of links was "no such file or folder", /dev/null "unsupported file type '(none)'".
    (tmp_path / "a.txt").write_text("Tariffs rose.\n")
    (tmp_path / "loop1.txt").symlink_to(tmp_path / "loop2.txt")
    (tmp_path / "loop2.txt").symlink_to(tmp_path / "loop1.txt")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "moved-away.txt")
    (tmp_path / "NOTES").write_text("Tariffs rose.\n")
    corpus = read(tmp_path, tmp_path / "loop1.txt", "/dev/null")
    assert [Path(d.path).name for d in corpus.documents] == ["a.txt"]
    problems = [(Path(p.path).name, p.message) for p in corpus.problems]
    assert problems.count(("loop1.txt", "a symbolic link that leads back to itself (a loop of links)")) == 2  # in the folder, and named
    assert ("gone.txt", "a symbolic link whose target is gone") in problems
    assert ("null", "not a regular file (a pipe, socket or device)") in problems
    assert ("NOTES", "the file's name has no suffix, and stance knows a file's format by its suffix") in problems


def test_manifest_mistakes_are_named_and_the_files_still_read(tmp_path):
    (tmp_path / "a.txt").write_text("Tariffs rose.\n")
    manifest = tmp_path / "sources.toml"
    for toml, message in (
        ('[[sources]]\nid = "m"\nfiles = "a.txt"\n', "[[sources]] 'm': files must be a list"),
        ('[[sources]]\nid = "m"\nfiles = ["A.TXT"]\n', "it lists 'A.TXT', which is not in the folder"),
        # These three used to leave the entry's files, or all its metadata, out without a word.
        ('[[sources]]\nid = "m"\nfiel = ["a.txt"]\n', "unknown key 'fiel' in [[sources]] entries"),
        ('[[sources]]\nid = "m"\nfiles = ["../elsewhere/a.txt"]\n', "it lists '../elsewhere/a.txt', which is in another folder"),
        ('[sources]\nid = "m"\nfiles = ["a.txt"]\n', "'sources' must be a list of tables, not a table"),
    ):
        manifest.write_text(toml)
        corpus = read(tmp_path)
        assert [d.source for d in corpus.documents] == ["a"] and [p.message for p in corpus.problems] == [message]
    manifest.write_text('[[sources]]\nid = "m"\n\n[[sources]]\nid = "n"\nfiel = ["a.txt"]\n')
    (problem,) = read(tmp_path).problems
    assert problem.line == 6 and "did you mean 'files'?" in str(problem)
    for listed in ("./a.txt", str(tmp_path / "a.txt")):  # a path into the manifest's own folder names the file
        manifest.write_text(f'[[sources]]\nid = "m"\nfiles = [{listed!r}]\n')
        corpus = read(tmp_path)
        assert [d.source for d in corpus.documents] == ["m"] and not corpus.problems
    manifest.write_bytes('[[sources]]\nid = "m"\nname = "Café"\n'.encode("cp1252"))
    assert [p.message for p in read(tmp_path).problems] == ["the sources manifest is not UTF-8 text"]


def read_with_manifest(folder: Path, files: tuple[str, ...], manifest: str):
    """Read a folder of one-sentence files and the given sources.toml."""
    for name in files:
        (folder / name).write_text("Tariffs rose.\n")
    (folder / "sources.toml").write_text(manifest)
    return read(folder)


def test_every_mistake_of_a_manifest_is_named_by_line_and_its_good_entries_stand(tmp_path):
    # Only the first mistake used to be said, and one bad entry dropped the whole manifest.
    corpus = read_with_manifest(tmp_path, ("a.txt", "b.txt", "c.txt"),
                                '[[sources]]\nid = "merics"\nfiles = ["a.txt"]\n\n'
                                '[[sources]]\nid = "csis"\nfiel = ["b.txt"]\n\n'
                                '[[sources]]\nid = "merics"\nfiles = ["c.txt"]\n\n'
                                '[[sources]]\nid = "xinhua"\nfiles = "c.txt"\n\n'
                                '[[sources]]\nname = "no id"\n')
    assert [(p.line, p.message) for p in corpus.problems] == [
        (7, "unknown key 'fiel' in [[sources]] entries"), (10, "two [[sources]] entries have the id 'merics'"),
        (15, "[[sources]] 'xinhua': files must be a list"), (17, "[[sources]] entry 5 has no id")]
    assert {Path(d.path).name: d.source for d in corpus.documents} == {"a.txt": "merics", "b.txt": "b", "c.txt": "c"}


def test_a_manifests_missing_file_id_that_is_no_text_and_date_that_is_no_date_are_named_by_line(tmp_path):
    # A missing file was said without its line; an id used again after its first entry was dropped,
    # and id = 7, went through without a word. (A date is any text: "2018, 2023-2024" says when a
    # source wrote; `--by month` groups what is no month under "(unknown)".)
    corpus = read_with_manifest(tmp_path, ("a.txt", "b.txt", "c.txt", "d.txt"),
                                '[[sources]]\nid = "alpha"\ndaet = "2024-01-01"\nfiles = ["a.txt"]\n\n'
                                '[[sources]]\nid = "alpha"\nfiles = ["b.txt"]\n\n'
                                '[[sources]]\nid = 7\nfiles = ["c.txt"]\n\n'
                                '[[sources]]\nid = "beta"\ndate = false\nfiles = ["d.txt"]\n\n'
                                '[[sources]]\nid = "gamma"\ndate = 2024-05-14\nfiles = [\n  "d2.txt",\n  "missing.txt",\n]\n')
    assert [(p.line, p.message) for p in corpus.problems] == [
        (3, "unknown key 'daet' in [[sources]] entries"), (7, "two [[sources]] entries have the id 'alpha'"),
        (11, "id is a number, not text"), (16, "date is true or false, not text"),
        (23, "it lists 'd2.txt', which is not in the folder"), (24, "it lists 'missing.txt', which is not in the folder")]
    from stance.corpus import load_manifest

    sources, _, _ = load_manifest(tmp_path)
    assert set(sources) == {"gamma"} and sources["gamma"].date == "2024-05-14"  # a TOML date is a date


def test_word_tables_are_read_in_their_place(tmp_path):
    document = docx.Document()
    document.add_paragraph("Tariffs rose in May.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Export controls tightened in October."
    table.cell(1, 0).text = "Beijing objected."
    table.cell(1, 1).text = "Chips grew scarce."
    document.add_paragraph("Talks resumed in June.")
    document.save(tmp_path / "memo.docx")
    text = read(tmp_path).documents[0].text
    assert text.split("\n\n") == ["Tariffs rose in May.", "Export controls tightened in October.", "Beijing objected.", "Chips grew scarce.", "Talks resumed in June."]


def test_a_text_that_starts_with_a_quoted_phrase_is_no_unclosed_quote(tmp_path):
    (tmp_path / "t.csv").write_text('id , text , source\n1,Tariffs rose., merics\n2,"Made in China 2025" is back.,outlet\n3,Chips matter.,outlet\n')
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbfid,text\n1,Beijing\xe2\x80\x99s plan.\n2,Caf\xe9 owners rose.\n")
    corpus = read(tmp_path)
    assert not corpus.problems
    assert [(d.source, d.text) for d in corpus.documents if d.path.startswith(str(tmp_path / "t.csv"))] == [
        ("merics", "Tariffs rose."), ("outlet", "Made in China 2025 is back."), ("outlet", "Chips matter.")]
    assert [d.text for d in corpus.documents if "bom.csv" in d.path] == ["Beijing’s plan.", "Café owners rose."]


MERICS = SEEDS_DIR / "merics-2025-01-30-china-essentials.txt"


def with_nuls(data: bytes, count: int) -> tuple[bytes, int]:
    """``data`` with ``count`` NUL bytes put in at even steps (mid-word, as a copy-paste leaves them),
    and the line of the first."""
    step = len(data) // (count + 1)
    cuts = [step * k for k in range(1, count + 1)]
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
    return b"\x00".join(pieces), data[: cuts[0]].count(b"\n") + 1


@pytest.mark.parametrize("count", [1, 5])
def test_a_text_with_a_few_stray_nuls_is_read_without_them_and_a_note_says_so(tmp_path, count):
    clean = read(MERICS).documents[0]
    data, line = with_nuls(MERICS.read_bytes(), count)
    (tmp_path / "merics_nul.txt").write_bytes(data)
    corpus = read(tmp_path)
    (document,) = corpus.documents
    assert document.text == clean.text and document.doc_id == clean.doc_id  # the clean copy's ids: saving it again without them changes none
    assert len(list(iter_sentences(document))) == len(list(iter_sentences(clean)))
    assert not corpus.problems
    (note,) = corpus.notes
    assert str(note).startswith(f"{tmp_path / 'merics_nul.txt'}:{line}: dropped {count} stray NUL character")
    assert "save the file again without" in str(note)


def test_a_file_of_nothing_but_nuls_is_one_problem_not_a_note_and_a_problem(tmp_path):
    (tmp_path / "zeroed.txt").write_bytes(b"\x00" * 4096)  # a file never written out: binary
    (tmp_path / "short.txt").write_bytes(b"\x00\x00\n\x00")
    corpus = read(tmp_path)
    assert corpus.documents == [] and corpus.notes == []  # no "dropped" note before the problem
    problems = {Path(p.path).name: str(p) for p in corpus.problems}
    assert "binary data" in problems["zeroed.txt"]
    assert "nothing but NUL bytes" in problems["short.txt"] and "save it again" in problems["short.txt"]


def test_tables_keep_every_row_when_a_cell_holds_a_nul_and_an_email_keeps_its_body(tmp_path):
    rows = [f"Row {n}: export controls on chips hurt trade." for n in range(10)]
    rows[4] = "Row 4: export controls on chips \x00hurt trade."
    with open(tmp_path / "t.csv", "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([("id", "text"), *enumerate(rows)])
    (tmp_path / "escaped.jsonl").write_text("".join(json.dumps({"text": r}) + "\n" for r in rows))  # "\u0000"
    (tmp_path / "raw.jsonl").write_bytes(b'{"text": "Tariffs rose."}\n{"text": "Chips \x00matter."}\n')
    (tmp_path / "m.eml").write_bytes(b"From: a@example.org\nSubject: Chips\n\nExport controls\x00 were tightened.\n")
    corpus = read(tmp_path)
    assert [d.text for d in corpus.documents if d.path.endswith("m.eml")] == ["Export controls were tightened.\n"]
    texts = {name: [d.text for d in corpus.documents if Path(d.path.rsplit(":", 1)[0]).name == name] for name in ("t.csv", "escaped.jsonl", "raw.jsonl")}
    without = [r.replace("\x00", "") for r in rows]
    assert texts == {"t.csv": without, "escaped.jsonl": without, "raw.jsonl": ["Tariffs rose.", "Chips matter."]}
    assert not corpus.problems
    notes = sorted((Path(n.path).name, n.line or 0) for n in corpus.notes)
    assert notes == [("escaped.jsonl", 5), ("m.eml", 0), ("raw.jsonl", 2), ("t.csv", 6)]  # a line of an e-mail's body is none of the file's
    (tmp_path / "fields.jsonl").write_text(json.dumps({"text": "Tariffs rose.", "source": "xin\u0000hua", "title": "Tra\u0000de"}) + "\n")
    [row] = [d for d in read(tmp_path).documents if "fields.jsonl" in d.path]
    assert (row.source, row.title) == ("xinhua", "Trade")


def test_binary_files_under_a_text_suffix_are_still_refused(tmp_path):
    pdf = canvas.Canvas(str(tmp_path / "report.txt"))  # was read as a document of PDF code
    pdf.drawString(100, 700, "Export controls were tightened.")
    pdf.save()
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    (tmp_path / "memo.md").write_bytes(buffer.getvalue())
    (tmp_path / "archive.csv").write_bytes(gzip.compress(b"id,text\n1,Tariffs rose.\n" * 100))
    (tmp_path / "program.txt").write_bytes(Path(sys.executable).resolve().read_bytes()[:20_000])
    (tmp_path / "noise.txt").write_bytes(random.Random(1).randbytes(5_000))  # compressed data, no known signature
    corpus = read(tmp_path)
    assert not corpus.documents and not corpus.notes
    problems = {Path(p.path).name: str(p) for p in corpus.problems}
    assert problems["report.txt"].endswith("binary data (a PDF), not text — give it the .pdf suffix")
    assert "(a PNG image)" in problems["photo.txt"] and problems["memo.md"].endswith("binary data (a Word file), not text — give it the .docx suffix")
    assert "(a gzip archive)" in problems["archive.csv"]
    assert all("binary data" in p for p in problems.values()), problems


def test_a_log_with_colour_codes_is_text(tmp_path):
    lines = "".join(f"\x1b[32mINFO\x1b[0m \x1b[1m{i}\x1b[0m Tariffs on steel rose again.\n" for i in range(100))
    (tmp_path / "colour.txt").write_text(lines, encoding="utf-8")
    corpus = read(tmp_path)
    assert not corpus.problems and len(corpus.documents) == 1
