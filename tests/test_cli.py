"""The command line: exit codes, formats, no tracebacks, documented commands."""

import csv
import dataclasses
import io
import json
import re
from pathlib import Path

import pytest

from stance.annotations import read_annotations, resolve, write_annotations
from stance.cli import build_parser, main
from stance.codebook import load_codebook
from stance.corpus import SEEDS_DIR

README = Path(__file__).resolve().parents[1] / "README.md"


def commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return list(sub.choices)


def test_every_command_is_documented_in_the_readme_and_has_an_example():
    readme = README.read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        assert re.search(rf"`stance {name}\b", readme), f"README does not document `stance {name}`"
        assert "Example:" in (command.epilog or ""), f"`stance {name} --help` has no example"


def test_segment_jsonl_on_the_seeds(capsys):
    assert main(["segment"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["source"] for r in rows} == {"coppens", "merics", "outlet"}
    need = {"source", "doc_id", "path", "sentence_id", "index", "start", "end", "text", "heading", "boilerplate", "boilerplate_reason"}
    assert need <= set(rows[0])


def test_segment_csv_to_file(tmp_path):
    out = tmp_path / "s.csv"
    assert main(["segment", str(SEEDS_DIR / "outlet-2024-02-22-newsletter.txt"), "--format", "csv", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[-1]["text"] == "Share This Post" and rows[-1]["boilerplate"] == "True"


def test_sources_lists_counts(capsys):
    assert main(["sources", "--format", "jsonl"]) == 0
    rows = {json.loads(l)["source"]: json.loads(l) for l in capsys.readouterr().out.splitlines()}
    assert rows["merics"]["content_sentences"] > 50


def test_exit_code_only_when_nothing_could_be_read(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    assert main(["segment", str(tmp_path / "empty.txt")]) == 1
    err = capsys.readouterr().err
    assert "empty" in err and "Traceback" not in err
    (tmp_path / "ok.txt").write_text("Tariffs rose.")
    assert main(["segment", str(tmp_path)]) == 0
    assert "empty" in capsys.readouterr().err


def test_missing_path_is_a_clear_line(capsys):
    assert main(["sources", "/no/such/folder"]) == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_evaluate_prints_per_label_scores_and_f1s(capsys):
    assert main(["evaluate", "--annotations", str(SEEDS_DIR / "annotations-outlet.csv"), str(SEEDS_DIR / "annotations-merics.csv"), "--labeller", "combined"]) == 0
    out = capsys.readouterr().out
    assert "export_controls" in out and "[frames macro F1]" in out and "[topics micro F1]" in out


def test_evaluate_on_too_few_sentences_or_one_source_is_a_clear_error(tmp_path, capsys):
    few = tmp_path / "few.csv"
    with open(str(SEEDS_DIR / "annotations-outlet.csv"), encoding="utf-8") as f:
        few.write_text("".join(f.readlines()[:6]), encoding="utf-8")
    assert main(["evaluate", "--annotations", str(few)]) == 1
    err = capsys.readouterr().err
    assert "too few to cross-validate" in err and "--labeller rules" in err and "Traceback" not in err
    assert main(["evaluate", "--annotations", str(few), "--labeller", "rules"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--annotations", str(few), "--curve"]) == 1
    err = capsys.readouterr().err
    assert "too few for a learning curve" in err and "Traceback" not in err
    assert main(["evaluate", "--annotations", str(SEEDS_DIR / "annotations-outlet.csv"), "--by-source"]) == 1
    err = capsys.readouterr().err
    assert "at least two sources; these all come from 'outlet'" in err and "leave out --by-source" in err and "Traceback" not in err


def test_an_output_in_a_new_folder_is_written_and_one_under_a_file_is_a_clear_line(tmp_path, capsys):
    doc = tmp_path / "a.txt"
    doc.write_text("The tariffs hurt consumers.\n")
    for argv, out in ((["tag", str(doc), "--format", "csv", "-o"], tmp_path / "new" / "tags.csv"),
                      (["export", str(doc), "-o"], tmp_path / "new" / "tags.parquet"),
                      (["report", str(doc), "-o"], tmp_path / "new" / "report.html")):
        assert main([*argv, str(out)]) == 0 and out.stat().st_size > 0
    capsys.readouterr()
    assert main(["segment", str(doc), "-o", str(doc / "sentences.csv")]) == 1
    err = capsys.readouterr().err
    assert f"stance: {doc}: " in err and "check the path" in err and "Traceback" not in err
    if Path("/proc/self").is_dir():  # a folder no file can be made in: the hidden part file used to be named
        assert main(["segment", str(doc), "-o", "/proc/sentences.csv"]) == 1
        assert capsys.readouterr().err.startswith("stance: /proc/sentences.csv: No such file or directory — check the path")


def test_every_command_that_skips_a_file_over_the_limit_takes_the_limit(tmp_path, capsys):
    """The skip says "raise the limit with --max-mb": each command that reads documents must take it,
    and 50 means 50,000,000 bytes, the default too."""
    (tmp_path / "big.txt").write_text("Tariffs on steel rose sharply this year. " * 36_600)  # 1.5 MB
    (tmp_path / "small.txt").write_text("Export controls on chips were tightened.\n")
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    readers = [name for name, command in sub.choices.items() if "--max-mb" in command.format_help()]
    assert {"sources", "segment", "tag", "ingest", "compare", "export", "report"} <= set(readers)
    for command in ("segment", "tag", "compare", "export", "report"):
        out = tmp_path / ("out.md" if command == "report" else "out.csv")
        assert main([command, str(tmp_path / "big.txt"), str(tmp_path / "small.txt"), "--max-mb", "1.2", "-o", str(out)]) == 0, command
        err = capsys.readouterr().err
        assert "big.txt: the file is 1.5 MB, over the 1.2 MB limit — split it, or raise the limit with --max-mb" in err, (command, err)
        assert main([command, str(tmp_path / "big.txt"), "--max-mb", "1.6", "-o", str(out)]) == 0, command
        assert "limit" not in capsys.readouterr().err, command
    from stance.corpus import DEFAULT_MAX_BYTES

    assert DEFAULT_MAX_BYTES == 50_000_000


@pytest.mark.parametrize("size", ["-1", "0", "1e-9", "inf", "nan", "big"])
def test_max_mb_must_be_a_size(size, capsys):
    with pytest.raises(SystemExit):
        main(["segment", "--max-mb", size])
    err = capsys.readouterr().err
    assert "--max-mb" in err and ("not a size" in err or "not a number" in err or "less than one byte" in err)
    assert ("less than one byte" in err) == (size == "1e-9")  # above zero, yet no file fits: it used to say "give megabytes above zero"


def test_labels_a_codebook_lacks_say_so(tmp_path, capsys):
    book = tmp_path / "frames-only.toml"
    book.write_text('name = "x"\nversion = "1"\n[[frames]]\nid = "conflict"\nname = "Conflict"\ndescription = "d"\n')
    labels = tmp_path / "labels.csv"
    labels.write_text("text,topics,frames\nParties clash.,trade_tariffs,conflict\n")
    assert main(["train", "--codebook", str(book), "--annotations", str(labels), "-o", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err
    assert "labels.csv:2" in err and "this codebook has no topics: leave the topics column empty" in err


def test_an_output_never_overwrites_or_feeds_the_commands_own_inputs(tmp_path, capsys):
    folder = tmp_path / "docs"
    folder.mkdir()
    doc = folder / "notes.txt"
    doc.write_text("The tariffs were raised. Trade fell sharply.\n")
    codebook = tmp_path / "mine.toml"
    codebook.write_text('name = "mine"\n[[topics]]\nid = "trade"\ncues = ["tariff"]\n')
    for argv, message in (
        (["segment", str(doc), "-o", str(doc)], "-o is also the input this command reads"),
        (["tag", str(doc), "--codebook", str(codebook), "--labeller", "rules", "-o", str(codebook)], "-o is also the codebook this command reads"),
        (["segment", str(folder), "-o", str(folder / "out.jsonl")], "the next run would read the output as a document"),
        (["segment", str(doc), "-o", str(tmp_path / "new") + "/"], "-o names a folder"),
        (["segment", str(doc), "-o", str(tmp_path / "s.md")], "-o names a .md file, which `stance segment` does not write"),
        (["segment", str(doc), "-o", str(tmp_path / "s.xml")], "-o names a .xml file, which stance does not write"),
        (["sources", str(doc), "-o", str(tmp_path / "s.xml")], "-o names a .xml file, which stance does not write"),
        (["export", str(doc), "--format", "parquet", "-o", str(tmp_path / "s.csv")], "--format parquet, and -o names a .csv file"),
        (["tag", str(doc), "--db", str(tmp_path / "typo.db")], "no annotation store here"),
    ):
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (argv, err)
    assert doc.read_text() == "The tariffs were raised. Trade fell sharply.\n" and "[[topics]]" in codebook.read_text()
    assert not (tmp_path / "typo.db").exists() and not list(tmp_path.glob("s.*"))


def test_an_output_never_overwrites_the_store_named_by_the_environment(tmp_path, monkeypatch, capsys):
    """$STANCE_DB names the store as --db does: no command may write its output over it."""
    store = tmp_path / "team.db"
    monkeypatch.setenv("STANCE_DB", str(store))
    doc = tmp_path / "notes.txt"
    doc.write_text("The tariffs were raised. Trade fell sharply.\n")
    labels = tmp_path / "labels.csv"
    labels.write_text("text,topics,frames,annotator\nThe tariffs were raised.,trade_tariffs,economic_cost,ana\n")
    assert main(["ingest", str(doc)]) == 0
    assert main(["annotations", "import", str(labels)]) == 0
    capsys.readouterr()
    for argv in (["agreement"], ["segment", str(doc), "--format", "csv"], ["sources", str(doc), "--format", "csv"],
                 ["queue", "--format", "csv"], ["export", str(doc), "--format", "csv"]):
        assert main([*argv, "-o", str(store)]) == 1, argv
        err = capsys.readouterr().err
        assert "-o is the annotation store" in err and "Traceback" not in err, (argv, err)
    assert main(["annotations", "export", "-o", str(tmp_path / "back.csv")]) == 0
    assert [r["topics"] for r in csv.DictReader((tmp_path / "back.csv").open())] == ["trade_tariffs"]


@pytest.mark.parametrize("command, name", [("segment", "sentences.csv"), ("tag", "tags.csv"), ("sources", "sources.csv"), ("export", "tagged.csv")])
def test_a_failed_run_keeps_the_previous_output_and_the_suffix_names_the_format(tmp_path, capsys, command, name):
    doc = tmp_path / "a.txt"
    doc.write_text("The tariffs were raised. Trade fell sharply.\n")
    out = tmp_path / name
    assert main([command, str(doc), "-o", str(out)]) == 0
    first = out.read_text().splitlines()[0]
    assert not first.startswith("{") and "source" in next(csv.reader([first]))  # a CSV header, as the suffix says, not JSON Lines
    before = out.read_text()
    assert main([command, str(tmp_path / "typo.txt"), "-o", str(out)]) == 1
    assert "nothing could be read" in capsys.readouterr().err
    assert out.read_text() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no half-written file left


def test_an_output_in_a_hidden_folder_of_an_input_or_a_json_name_is_fine(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("The tariffs were raised.\n")
    assert main(["segment", str(folder), "-o", str(folder / ".out" / "s.csv")]) == 0
    assert main(["segment", str(folder), "-o", str(tmp_path / "s.json")]) == 0  # JSON Lines, as always
    assert json.loads((tmp_path / "s.json").read_text().splitlines()[0])["text"] == "The tariffs were raised."


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="/dev/full (a device that is always full) is Linux's")
def test_a_full_disk_is_one_line(capsys):
    assert main(["segment", str(SEEDS_DIR / "merics-2025-01-30-china-essentials.txt"), "-o", "/dev/full"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device (writing /dev/full) — free some space" in err and "Traceback" not in err


def test_annotation_files_without_label_columns_or_with_wrong_types_are_refused_by_line(tmp_path, capsys):
    topics_only = tmp_path / "topics_only.csv"
    topics_only.write_text("text,Topics\nThe US tightened export controls on chips.,export_controls\n")
    typed = tmp_path / "typed.jsonl"
    typed.write_text("\n".join(json.dumps(r) for r in (
        ["a", "b"],
        {"text": "Tariffs rose.", "topics": ["trade_tariffs"], "frames": [], "primary_frame": ["cooperation"]},
        {"text": "Chips.", "topics": [], "frames": [], "source": ["outlet"]},
        {"text": 12345, "topics": [], "frames": []},
        {"text": "Chips.", "topics": {"ai": 1}, "frames": []},
    )) + "\n")
    cells = tmp_path / "cells.csv"
    cells.write_text("text,topics,frames,primary_frame,annotator\n"
                     "China said this hurts cooperation.,geopolitics,cooperation;security_risk,cooperation;security_risk,ana\n"
                     "Tariffs rose.,trade_tariffs,,,adjudication:\n")
    semi = tmp_path / "semi.csv"
    semi.write_text("text;topics;frames\nThe US tightened export controls on chips.;export_controls;security_risk\n")
    assert main(["train", "--annotations", str(topics_only), str(typed), str(cells), "-o", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err
    assert f"{topics_only}:1: the table has no 'frames' column" in err
    assert f"{typed}:1: the line is a JSON list, not an object" in err
    assert f"{typed}:2: 'primary_frame' must be one value, not a list" in err
    assert f"{typed}:3: 'source' must be one value, not a list" in err
    assert f"{typed}:4: the row's text is a number, not text" in err
    assert f"{typed}:5: 'topics' must be ids, not an object" in err and '["export_controls", "ai"]' in err
    assert f"{cells}:2: primary_frame 'cooperation;security_risk' names more than one frame" in err
    assert f"{cells}:3: the annotator is 'adjudication:': an adjudication names who made it — write adjudication:NAME" in err
    assert "Traceback" not in err
    from stance.annotations import read_annotations

    assert [a.frames for a in read_annotations([semi]).annotations] == [("security_risk",)]


def test_evaluate_writes_one_csv_and_counts_must_be_counts(tmp_path, capsys):
    assert main(["evaluate", "--annotations", str(SEEDS_DIR / "annotations-merics.csv"), "--labeller", "rules", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {r["labeller"] for r in rows} == {"rules"} and any(r["label"] == "[frames macro F1]" for r in rows)
    for argv in (["queue", "-n", "0"], ["train", "--encoder-epochs", "-3", "-o", str(tmp_path / "m")]):
        with pytest.raises(SystemExit):
            main(argv)
        assert "is not a count" in capsys.readouterr().err
    assert main(["train", "-o", ""]) == 1
    assert "-o is empty" in capsys.readouterr().err
    assert main(["annotations", "export", "-o", str(tmp_path / "labels.csv"), "--db", str(tmp_path / "team.bd")]) == 1
    assert "no annotation store here" in capsys.readouterr().err and not (tmp_path / "labels.csv").exists()


def test_copies_of_a_sentence_do_not_flatter_the_cross_validated_scores(tmp_path, capsys):
    from stance.annotations import read_annotations, write_annotations

    merics = str(SEEDS_DIR / "annotations-merics.csv")
    copy = tmp_path / "annotations-merics-again.csv"  # the same sentences in another source, not matched to the stored ones: copies
    write_annotations([dataclasses.replace(a, sentence_id=None, source="merics-again") for a in read_annotations([merics]).annotations], copy)

    def scores(*files):
        assert main(["evaluate", "--labeller", "model", "--annotations", *files, "--format", "csv"]) == 0
        out = capsys.readouterr()
        return {r["label"]: float(r["f1"]) for r in csv.DictReader(io.StringIO(out.out)) if r["label"].startswith("[")}, out.err

    once, _ = scores(merics)
    twice, err = scores(merics, str(copy))
    assert "87 annotation(s) repeat a sentence already annotated" in err
    # A copy in the training folds is the answer to its test: before copies were kept in one fold, 0.836 / 0.429 read 0.971 / 0.888.
    assert twice["[topics micro F1]"] < once["[topics micro F1]"] + 0.05 and twice["[frames macro F1]"] < once["[frames macro F1]"] + 0.05


def test_a_codebook_without_some_bundled_labels_says_what_the_default_model_leaves_out(tmp_path, capsys):
    from stance.codebook import DEFAULT_CODEBOOK_PATH

    renamed = tmp_path / "renamed.toml"
    renamed.write_text(DEFAULT_CODEBOOK_PATH.read_text(encoding="utf-8").replace('id = "ai"', 'id = "artificial_intelligence"'), encoding="utf-8")
    doc = tmp_path / "a.txt"
    doc.write_text("The US tightened export controls on AI chips.\n")
    assert main(["tag", str(doc), "--codebook", str(renamed), "--format", "csv"]) == 0
    out = capsys.readouterr()
    assert "left out of what the model learns from them: ai (" in out.err and "none of them carries artificial_intelligence" in out.err
    assert "export_controls" in next(csv.DictReader(io.StringIO(out.out)))["topics"]  # the other labels still learned


def test_labels_made_under_another_codebook_version_are_noted(tmp_path, capsys):
    from stance.codebook import DEFAULT_CODEBOOK_PATH

    db = str(tmp_path / "team.db")
    doc = tmp_path / "a.txt"
    doc.write_text("The US tightened export controls on AI chips.\n")
    assert main(["ingest", str(doc), "--db", db]) == 0
    labels = tmp_path / "labels.csv"
    labels.write_text("text,topics,frames\nThe US tightened export controls on AI chips.,export_controls,security_risk\n")
    assert main(["annotations", "import", str(labels), "--annotator", "alice", "--db", db]) == 0
    capsys.readouterr()
    assert main(["tag", str(doc), "--labeller", "rules", "--db", db, "--format", "csv"]) == 0
    assert "another version of the codebook" not in capsys.readouterr().err
    edited = tmp_path / "v2.toml"
    text = DEFAULT_CODEBOOK_PATH.read_text(encoding="utf-8")
    edited.write_text(re.sub(r'(?m)^version = "[^"]*"', 'version = "2"', text, count=1), encoding="utf-8")
    assert main(["tag", str(doc), "--codebook", str(edited), "--labeller", "rules", "--db", db, "--format", "csv"]) == 0
    assert "1 human label(s) in the store were made under another version of the codebook" in capsys.readouterr().err


def test_a_human_label_the_codebook_renamed_is_not_written_as_a_tag(tmp_path, capsys):
    # A store labelled under one codebook, tagged under one that renamed trade_tariffs to tariffs:
    # the tags carried the old id, and `stance compare` then refused stance's own output.
    db = str(tmp_path / "team.db")
    doc = tmp_path / "a.txt"
    doc.write_text("Tariffs rose again on Chinese steel.\n")
    old = tmp_path / "old.toml"
    old.write_text('[[topics]]\nid = "trade_tariffs"\ncues = ["tariff"]\n[[frames]]\nid = "economic_cost"\ncues = ["harm"]\n', encoding="utf-8")
    new = tmp_path / "new.toml"
    new.write_text(old.read_text(encoding="utf-8").replace("trade_tariffs", "tariffs"), encoding="utf-8")
    assert main(["ingest", str(doc), "--db", db]) == 0
    labels = tmp_path / "labels.csv"
    labels.write_text("text,topics,frames,primary_frame\nTariffs rose again on Chinese steel.,trade_tariffs,economic_cost,economic_cost\n")
    assert main(["annotations", "import", str(labels), "--annotator", "alice", "--codebook", str(old), "--db", db]) == 0
    tags = tmp_path / "tags.jsonl"
    assert main(["tag", str(doc), "--codebook", str(new), "--labeller", "rules", "--db", db, "-o", str(tags)]) == 0
    row = json.loads(tags.read_text(encoding="utf-8"))
    assert (row["topics"], row["frames"], row["labelled_by"]) == ([], ["economic_cost"], "human:alice")
    assert "left out of the tags" in capsys.readouterr().err
    assert main(["compare", str(tags), "--codebook", str(new), "--format", "json"]) == 0


def test_a_source_the_store_does_not_hold_is_named_with_the_ones_it_does(tmp_path, capsys):
    db = str(tmp_path / "team.db")
    assert main(["ingest", str(SEEDS_DIR), "--db", db]) == 0
    capsys.readouterr()
    for argv in (["agreement", "--source", "mercis"], ["annotations", "export", "-o", str(tmp_path / "x.csv"), "--source", "mercis"]):
        assert main([*argv, "--db", db]) == 1
        assert "no source 'mercis' in the store" in (err := capsys.readouterr().err) and "coppens, merics, outlet" in err


def test_tag_output_given_as_annotations_is_left_out_but_rows_a_person_corrected_count(tmp_path, capsys):
    tags = tmp_path / "tags.csv"
    assert main(["tag", str(SEEDS_DIR / "merics-2025-01-30-china-essentials.txt"), "-o", str(tags)]) == 0
    rows = list(csv.DictReader(tags.open(encoding="utf-8")))
    content = [r for r in rows if r["labelled_by"] == "model"]
    for r in content[:12]:  # a person checked these and says so
        r["labelled_by"] = "human:ana"
    with tags.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    capsys.readouterr()
    assert main(["evaluate", "--annotations", str(tags), "--labeller", "rules"]) == 0
    out, err = capsys.readouterr()
    assert f"{len(rows) - 12} of its rows carry the model's labels, not an annotator's" in err and "train and evaluate leave the others out" in err
    assert "rules (cue rules alone, nothing trained, 12 sentences)" in out


def test_a_reviewed_tag_csv_imports_sentences_its_formula_guard_begins(tmp_path, capsys):
    """`stance tag -o x.csv` puts an apostrophe before a text a spreadsheet would run ("@Reuters ...");
    the rows a person checked must still match their stored sentences."""
    doc = tmp_path / "wire.txt"
    doc.write_text("@Reuters reported new export controls on chips.\n\n-5% is what tariffs took off exports.\n\nChina said it would respond.\n")
    db = str(tmp_path / "team.db")
    tags = tmp_path / "tags.csv"
    assert main(["ingest", str(doc), "--db", db]) == 0 and main(["tag", str(doc), "-o", str(tags)]) == 0
    rows = list(csv.DictReader(tags.open(encoding="utf-8")))
    assert [r["text"][:2] for r in rows] == ["'@", "'-", "Ch"]
    for r in rows:
        r["labelled_by"], r["annotator"] = "human:ana", "ana"
    with tags.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    capsys.readouterr()
    assert main(["annotations", "import", str(tags), "--db", db]) == 0
    assert "3 rows: 3 recorded, 0 already in the store, 0 unmatched" in capsys.readouterr().out
    assert main(["annotations", "export", "--db", db, "-o", str(tmp_path / "back.jsonl")]) == 0
    texts = sorted(json.loads(line)["text"] for line in (tmp_path / "back.jsonl").read_text(encoding="utf-8").splitlines())
    assert texts == ["-5% is what tariffs took off exports.", "@Reuters reported new export controls on chips.", "China said it would respond."]


def test_leave_one_source_out_says_when_sentences_name_no_source(tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    rows = ["text,topics,frames,source"] + [f"Tariffs on steel rose by {i} percent.,trade_tariffs,,{'a' if i < 3 else ''}" for i in range(15)]
    labels.write_text("\n".join(rows) + "\n")
    assert main(["evaluate", "--annotations", str(labels), "--by-source", "--labeller", "rules"]) == 0
    assert "12 of the 15 annotated sentences name no source; leave-one-source-out holds them out together" in capsys.readouterr().err


def test_a_stray_nul_is_a_note_and_the_file_is_tagged_ingested_and_compared(tmp_path, capsys):
    merics = SEEDS_DIR / "merics-2025-01-30-china-essentials.txt"
    data = merics.read_bytes()
    middle = data.index(b" ", len(data) // 2)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "merics_nul.txt").write_bytes(data[:middle] + b"\x00" + data[middle:])
    line = data[:middle].count(b"\n") + 1
    rows = docs / "rows.csv"
    rows.write_bytes(b"id,text\n" + b"".join(b"%d,Row %d: export controls on chips%s hurt trade.\n" % (n, n, b"\x00" * (n == 4)) for n in range(10)))
    notes = [f"stance: note: {docs / 'merics_nul.txt'}:{line}: dropped 1 stray NUL character (\\x00); the rest was read — save the file again without it",
             f"stance: note: {rows}:6: dropped 1 stray NUL character"]

    assert main(["segment", str(merics), "--format", "jsonl"]) == 0
    clean = len(capsys.readouterr().out.splitlines())
    assert main(["tag", str(docs), "--labeller", "rules", "--format", "jsonl"]) == 0
    out, err = capsys.readouterr()
    paths = [json.loads(r)["path"] for r in out.splitlines()]
    assert sum(p.endswith("merics_nul.txt") for p in paths) == clean
    assert sorted({p for p in paths if "rows.csv" in p}) == sorted(f"{rows}:{n}" for n in range(2, 12))  # all ten rows
    assert all(n in err for n in notes) and "skipped" not in err, err

    for command in (["ingest", str(docs), "--db", str(tmp_path / "s.db")], ["compare", str(docs), "--format", "json"]):
        assert main(command) == 0
        err = capsys.readouterr().err
        assert all(n in err for n in notes) and "skipped" not in err, err


def test_an_annotation_file_with_a_nul_is_refused_by_its_line(tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_bytes(b"text,topics,frames\nTariffs rose.,trade_tariffs,\nChips \x00matter.,semiconductors,\n")
    assert main(["annotations", "import", str(labels), "--annotator", "alice", "--db", str(tmp_path / "s.db")]) == 1
    assert f"{labels}:3: the file holds a NUL character (\\x00) — save the file again without it" in capsys.readouterr().err


def test_a_workbook_given_as_annotations_is_told_to_be_saved_as_csv(tmp_path, capsys):
    # It used to be told to become a .txt, .md, .html, .pdf, .docx or .eml: none of them an annotation file.
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["text", "topics", "frames"])
    book.save(tmp_path / "labels.xlsx")
    assert main(["train", "--annotations", str(tmp_path / "labels.xlsx"), "-o", str(tmp_path / "m")]) == 1
    assert "binary data (a zip archive, as .docx and .xlsx files are), not text — save it as CSV (in Excel: Save As, CSV UTF-8)" in capsys.readouterr().err


def test_flags_that_would_be_ignored_and_odd_annotation_paths_are_said(tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_text("text,topics,frames\n" + "".join(f"Tariffs on steel rose by {i} percent.,trade_tariffs,\n" for i in range(12)))
    assert main(["train", "--annotations", str(labels), "--encoder-epochs", "2", "-o", str(tmp_path / "m")]) == 1
    assert "--encoder-epochs is for fine-tuning the encoder, and this run has no --encoder" in capsys.readouterr().err
    assert main(["evaluate", "--annotations", str(labels), "--curve", "--by-source"]) == 1
    assert "the learning curve is 5-fold cross-validated, not by source" in capsys.readouterr().err
    assert main(["evaluate", "--annotations", str(labels), str(labels), str(tmp_path), "--labeller", "rules"]) == 0
    out, err = capsys.readouterr()
    assert "this annotation file is named twice; it is read once" in err and "this is a folder, not an annotation file" in err
    assert "(cue rules alone, nothing trained, 12 sentences)" in out
    assert main(["train", "--annotations", str(labels), "-o", str(tmp_path / "m")]) == 0
    assert main(["tag", str(SEEDS_DIR), "--labeller", "rules", "--model", str(tmp_path / "m")]) == 1
    assert "--labeller rules runs the cue rules alone, without a model" in capsys.readouterr().err


def test_the_learning_curves_last_point_is_evaluates_own_score(capsys):
    merics = str(SEEDS_DIR / "annotations-merics.csv")
    assert main(["evaluate", "--annotations", merics, "--curve", "--format", "csv"]) == 0
    points = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    sizes = [int(p["annotations"]) for p in points]
    assert sizes[:-1] == [25 * 2**k for k in range(len(sizes) - 1)] and sizes[-2] < 0.9 * sizes[-1]  # doubling, up to all of them
    last = points[-1]
    assert main(["evaluate", "--annotations", merics, "--labeller", "combined", "--format", "csv"]) == 0
    scores = {r["label"]: r["f1"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert (last["topic_micro_f1"], last["frame_macro_f1"]) == (scores["[topics micro F1]"], scores["[frames macro F1]"])


def test_a_sentence_annotated_twice_and_adjudicated_is_scored_on_the_ruling(tmp_path, capsys):
    """Evaluating against a file with two annotators' rows and an adjudication scores against the
    labels the store would hold (the ruling for the kind it decides, the later row for the rest),
    not against every row: the gold is one set of labels per sentence."""
    merics = SEEDS_DIR / "annotations-merics.csv"
    first = read_annotations([merics]).annotations
    rival = [dataclasses.replace(a, annotator="rival", topics=("ai",), frames=("innovation",), primary_frame="innovation") for a in first]
    ruling = [dataclasses.replace(a, annotator="adjudication:judge", topics=(), decides=("frames", "primary_frame")) for a in first]
    labels = tmp_path / "team.csv"
    write_annotations(first + rival + ruling, labels)
    text = labels.read_text()
    assert text.splitlines()[0].endswith(",decides") and ",adjudication:judge,,frames;primary_frame" in text

    def scores(path):
        assert main(["evaluate", "--labeller", "rules", "--annotations", str(path), "--format", "csv"]) == 0
        out = capsys.readouterr()
        return {r["label"]: r["f1"] for r in csv.DictReader(io.StringIO(out.out)) if r["label"].startswith("[")}, out.err

    team, err = scores(labels)
    assert f"{len(first)} sentence(s) have more than one annotation row" in err and f"({len(first)} sentence(s) have one)" in err
    resolved = tmp_path / "resolved.csv"  # what the store would hold: the rival's later topics, the judge's frames
    write_annotations([dataclasses.replace(a, topics=("ai",), annotator="rival+judge") for a in first], resolved)
    assert team == scores(resolved)[0]


def test_a_decides_cell_is_checked_by_line(tmp_path, capsys):
    path = tmp_path / "labels.csv"
    path.write_text(
        "text,topics,frames,primary_frame,annotator,boilerplate_mark,decides\n"
        "Tariffs rose.,trade_tariffs,,,ann,,\n"  # empty: the three kinds of labels
        "Tariffs rose.,,economic_cost,economic_cost,adjudication:j,,frames;primary_frame\n"
        "Chips are scarce.,,,,ann,,topics;tone\n"
        "Chips are scarce.,semiconductors,,,ann,,frames\n"
        "AI races on.,,,competition,adjudication:j,,primary_frame\n"  # a primary frame ruled alone
        "Share this article.,economy,,,ann,,\n"
        "Share this article.,,,,bob,navigation,\n"  # a boilerplate mark: the sentence is left out
        "Read more.,ai,,,ann,,\n"
        "Read more.,,,,bob,navigation,\n"
        "Read more.,,,,carol,,boilerplate\n"  # marked as content again: its labels stand
        "Chips fell.,economy,,,ann,,\n"
        "Chips fell.,ai,,,bob,,\n"
        "Chips fell.,,competition,,adjudication:j,,\n",  # a ruling written without 'decides' (an older export): the kinds it fills
        encoding="utf-8",
    )
    read = read_annotations([path], load_codebook())
    assert [(p.path, p.line, p.message) for p in read.problems] == [
        (str(path), 4, "'decides' names 'tone', which a row cannot decide"),
        (str(path), 5, "the row gives topics but its 'decides' cell leaves it out"),
    ]
    assert "name some of topics, frames, primary_frame, boilerplate" in read.problems[0].fix and "add topics to 'decides'" in read.problems[1].fix
    assert [(a.annotator, a.decides, a.boilerplate_mark) for a in read.annotations][:3] == [
        ("ann", ("topics", "frames", "primary_frame"), None), ("adjudication:j", ("frames", "primary_frame"), None), ("adjudication:j", ("primary_frame",), None)]
    resolution = resolve(read.annotations)
    tariffs, ai, more, chips = resolution.annotations
    assert (tariffs.topics, tariffs.frames, tariffs.primary_frame, tariffs.annotator) == (("trade_tariffs",), ("economic_cost",), "economic_cost", "ann+j")
    assert (ai.frames, ai.primary_frame) == ((), None)  # a primary frame outside the frames is none, as in the store
    assert (more.text, more.topics, resolution.boilerplate) == ("Read more.", ("ai",), 1)
    assert (chips.topics, chips.frames, chips.annotator) == (("ai",), ("competition",), "bob+j")
    assert read.annotations[-1].to_row()["decides"] == "frames"  # written back, it says so


def test_a_yes_or_no_in_the_boilerplate_mark_cell_is_refused_by_line(tmp_path):
    """The cell is a reason: read as one, "no" or a spreadsheet's FALSE marked the sentence boilerplate
    and left it out of training with only a count said."""
    path = tmp_path / "labels.csv"
    path.write_text("text,topics,frames,boilerplate_mark\nTariffs rose.,trade_tariffs,,no\nChips are scarce.,semiconductors,,FALSE\n"
                    "Share this article.,,,navigation\n", encoding="utf-8")
    read = read_annotations([path], load_codebook())
    assert [(p.line, p.message.split(":")[0]) for p in read.problems] == [(2, "'boilerplate_mark' is 'no'"), (3, "'boilerplate_mark' is 'FALSE'")]
    assert "write the reason (e.g. navigation) to mark it, or leave 'boilerplate_mark' empty" == read.problems[0].fix
    assert [(a.text, a.boilerplate_mark) for a in read.annotations] == [("Share this article.", "navigation")]


def test_tag_with_a_store_applies_its_boilerplate_marks_as_the_dashboard_does(tmp_path, capsys):
    from stance.store import open_store

    db = str(tmp_path / "team.db")
    assert main(["ingest", str(SEEDS_DIR), "--db", db]) == 0
    with open_store(db) as store:
        content = [s for s in store.sentences() if not s.boilerplate and not s.heading]
        flagged = next(s for s in store.sentences() if s.boilerplate)
        store.mark_boilerplate(content[3].sentence_id, annotator="ana", reason="navigation")
        store.mark_boilerplate(flagged.sentence_id, False, annotator="ana")
    capsys.readouterr()
    assert main(["tag", "--labeller", "rules", "--db", db, "--format", "jsonl"]) == 0
    rows = {r["sentence_id"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    marked = rows[content[3].sentence_id]
    assert (marked["boilerplate"], marked["boilerplate_reason"], marked["topics"], marked["labelled_by"]) == (True, "marked by a human", [], "human:ana")
    assert rows[flagged.sentence_id]["boilerplate"] is False  # a flagged line the analyst called content


def test_an_empty_db_is_refused_not_read_as_the_default_store(tmp_path, monkeypatch, capsys):
    # `--db "$TEAM_DB"` with the variable unset used to ingest into, or tag with the labels of, the default store.
    monkeypatch.setenv("STANCE_DB", str(tmp_path / "default.db"))
    for argv in (["ingest", str(SEEDS_DIR)], ["tag", "-o", str(tmp_path / "t.jsonl")], ["annotations", "export", "-o", str(tmp_path / "a.csv")]):
        assert main([*argv, "--db", " "]) == 1
        assert "--db is empty" in capsys.readouterr().err
    assert not (tmp_path / "default.db").exists() and not (tmp_path / "t.jsonl").exists()


@pytest.mark.parametrize("argv, said", [
    (["tag", ""], 'a PATH is ""'), (["segment", str(SEEDS_DIR), " "], 'a PATH is " "'),
    (["tag", str(SEEDS_DIR), "--codebook", ""], "--codebook is empty"), (["tag", str(SEEDS_DIR), "--model", ""], "--model is empty"),
    (["evaluate", "--annotations", ""], "--annotations is empty"), (["train", "--annotations", "", "-o", "m"], "--annotations is empty"),
])
def test_an_empty_path_codebook_or_model_is_refused_not_read_as_the_current_folder(tmp_path, monkeypatch, capsys, argv, said):
    # `stance tag "$DOC"` with the variable unset read the current folder as the corpus, and
    # `--codebook "$CB"` fell back to the default codebook, without a word.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stray.txt").write_text("Tariffs rose.\n")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert said in err and "unset shell variable" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stray.txt"]


@pytest.mark.parametrize("url", [":memory:", "sqlite://", "sqlite:///"])
def test_a_store_in_memory_is_refused_since_nothing_would_be_kept(url, capsys):
    # `--db sqlite:///` opened a store in memory: an ingest or an import into it was gone when the command ended.
    assert main(["ingest", str(SEEDS_DIR), "--db", url]) == 1
    assert "is a store in memory" in capsys.readouterr().err


def test_an_output_named_pdf_is_refused_not_filled_with_text(tmp_path, capsys):
    # `stance compare -o table.pdf` wrote a plain-text table under a .pdf name, which no reader opens.
    out = tmp_path / "table.pdf"
    assert main(["compare", str(SEEDS_DIR), "--topic", "export_controls", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "stance does not write" in err and ".csv" in err and ".table" not in err and "stance report" in err and not out.exists()


def test_train_does_not_mix_a_model_into_a_folder_of_other_files(tmp_path, capsys):
    book, labels = tmp_path / "book.toml", tmp_path / "labels.csv"
    book.write_text('[[frames]]\nid = "pro"\n[[frames]]\nid = "con"\n')
    labels.write_text("text,topics,frames\n" + "".join(f"Sentence {i} for or against it.,,{'pro' if i % 2 else 'con'}\n" for i in range(12)))
    reading = tmp_path / "reading"
    reading.mkdir()
    (reading / "notes.txt").write_text("The tariffs were raised.\n")
    (reading / "model.json.txt").write_text("mine\n")
    train = ["train", "--codebook", str(book), "--annotations", str(labels), "-o"]
    assert main([*train, str(reading)]) == 1
    err = capsys.readouterr().err
    assert f"stance: {reading}: -o is a folder that holds other files and no model" in err and "give a new or empty folder" in err
    assert sorted(p.name for p in reading.iterdir()) == ["model.json.txt", "notes.txt"]
    empty = tmp_path / "empty"
    (empty / ".hidden").mkdir(parents=True)  # hidden files alone (.DS_Store, .git) do not make a folder another's
    assert main([*train, str(empty)]) == 0 and (empty / "model.json").is_file()
    assert main([*train, str(empty)]) == 0  # a model's folder is trained again in place


def test_a_kind_no_sentence_carries_gets_no_f1_rather_than_zero(tmp_path, capsys):
    # A codebook of topics alone (which the README allows), or annotations that fill only the
    # topics: there is no frame to score, and "frames macro F1 0.0" read as a model failing at them.
    labels = tmp_path / "labels.csv"
    labels.write_text("text,topics,frames\n" + "".join(f"Sentence {i} about {'spending' if i % 2 else 'hospitals'}.,{'budget' if i % 2 else 'health'},\n" for i in range(20)))
    topics_only, both = tmp_path / "topics.toml", tmp_path / "both.toml"
    topics_only.write_text('[[topics]]\nid = "budget"\n[[topics]]\nid = "health"\n')
    both.write_text(topics_only.read_text() + '[[frames]]\nid = "pro"\n[[frames]]\nid = "con"\n')
    for book in (topics_only, both):
        assert main(["train", "--codebook", str(book), "--annotations", str(labels), "-o", str(tmp_path / book.stem)]) == 0
        out = capsys.readouterr().out
        assert "[topics micro F1]" in out and "[frames" not in out, out
        assert main(["evaluate", "--codebook", str(book), "--annotations", str(labels), "--labeller", "combined"]) == 0
        out = capsys.readouterr().out
        assert "topic micro-F1 1.000, no frame annotated" in out and "[frames" not in out, out
        assert main(["evaluate", "--codebook", str(book), "--annotations", str(labels), "--labeller", "combined", "--format", "csv"]) == 0
        assert "[frames" not in capsys.readouterr().out


def test_evaluate_leaves_undefined_scores_blank_and_says_why_cueless_rules_label_nothing(tmp_path, capsys):
    # A label no annotated sentence carries has no recall or F1 (macro-F1 leaves it out), and a
    # codebook without cues leaves the cue rules nothing to give: both used to print rows of 0.0.
    book, labels = tmp_path / "book.toml", tmp_path / "labels.csv"
    book.write_text('[[frames]]\nid = "pro"\n[[frames]]\nid = "con"\n[[frames]]\nid = "unused"\n')
    labels.write_text("text,topics,frames\n" + "".join(f"Sentence {i} for or against it.,,{'pro' if i % 2 else 'con'}\n" for i in range(20)))
    assert main(["evaluate", "--codebook", str(book), "--annotations", str(labels), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    unused = {row["labeller"]: row for row in rows if row["label"] == "unused"}
    assert set(unused) == {"rules", "model", "combined"}
    assert all(row["support"] == "0" and row["recall"] == "" and row["f1"] == "" for row in unused.values())
    pro = next(row for row in rows if row["label"] == "pro" and row["labeller"] == "model")
    assert pro["recall"] != "" and float(pro["f1"]) >= 0
    assert main(["evaluate", "--codebook", str(book), "--annotations", str(labels), "--labeller", "rules"]) == 0
    assert "this codebook has no cues, so they give no label" in capsys.readouterr().out


def test_an_annotation_file_with_no_rows_is_named_beside_the_others(tmp_path, capsys):
    # A header-only file used to add nothing without a word when given beside other files, and an
    # empty one was told it had "no 'text' column (columns: none)".
    book, labels, header_only, empty = tmp_path / "book.toml", tmp_path / "labels.csv", tmp_path / "header.csv", tmp_path / "empty.csv"
    book.write_text('[[frames]]\nid = "pro"\n[[frames]]\nid = "con"\n')
    labels.write_text("text,topics,frames\n" + "".join(f"Sentence {i} for or against it.,,{'pro' if i % 2 else 'con'}\n" for i in range(12)))
    header_only.write_text("text,topics,frames\n")
    empty.write_text("")
    assert main(["evaluate", "--codebook", str(book), "--annotations", str(labels), str(header_only), str(empty), "--labeller", "model"]) == 0
    err = capsys.readouterr().err
    assert f"{header_only} holds no annotation rows, only a header" in err
    assert f"{empty}: the file is empty" in err and str(labels) not in err
