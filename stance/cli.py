"""The ``stance`` command: thin, one function per verb.

Library errors (``StanceError``) become one friendly line on stderr; user
errors never show a traceback.
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from stance import __version__
from stance.corpus import DEFAULT_MAX_BYTES, SEEDS_DIR, Corpus, Note, Problem, iter_corpus
from stance.errors import StanceError
from stance.export import SUFFIX_ALIASES, write_records
from stance.segment import Sentence, iter_sentences, source_summary

SEGMENT_COLUMNS = (
    "source", "doc_id", "path", "sentence_id", "index", "paragraph", "start", "end",
    "text", "heading", "boilerplate", "boilerplate_reason",
)


def _paths(args: argparse.Namespace) -> list[str]:
    return list(args.paths) or [str(SEEDS_DIR)]


def _report_reading(notes: Iterable[Note], problems: Iterable[Problem]) -> None:
    """One line on stderr per change made to a file still read, then per input skipped."""
    for note in notes:
        print(f"stance: note: {note}", file=sys.stderr)
    for problem in problems:
        print(f"stance: skipped {problem}", file=sys.stderr)


def _sentences(args: argparse.Namespace, corpus: Corpus) -> Iterator[Sentence]:
    for document in iter_corpus(_paths(args), corpus, max_bytes=int(args.max_mb * 1e6)):
        yield from iter_sentences(document)


class _NothingRead(Exception):
    """Raised at the end of the rows when no input could be read: -o keeps what it held."""


def _unless_nothing_read(rows: Iterable[dict], corpus: Corpus) -> Iterator[dict]:
    """``rows``; if there were none and the inputs had problems, ``_NothingRead`` (so the writer
    gives up and a previous output is not replaced by an empty one)."""
    empty = True
    for row in rows:
        empty = False
        yield row
    if empty and corpus.problems:
        raise _NothingRead


def _write_read(rows: Iterable[dict], corpus: Corpus, args: argparse.Namespace, columns: Sequence[str]) -> int:
    """Write the rows read from the inputs; the exit code (1 when nothing could be read)."""
    try:
        count = write_records(_unless_nothing_read(rows, corpus), args.format, args.output, columns=columns)
    except _NothingRead:
        count = 0
    return _nothing_read(corpus, count)


def _nothing_read(corpus: Corpus, count: int) -> int:
    _report_reading(corpus.notes, corpus.problems)
    if count == 0 and corpus.problems:
        print("stance: nothing could be read", file=sys.stderr)
        return 1
    return 0


# --- verbs ------------------------------------------------------------------


def cmd_sources(args: argparse.Namespace) -> int:
    rows, corpus = source_summary(_paths(args), max_bytes=int(args.max_mb * 1e6))
    if rows or not corpus.problems:  # nothing read: an -o keeps what it held
        write_records(rows, args.format, args.output)
    return _nothing_read(corpus, len(rows))


def cmd_segment(args: argparse.Namespace) -> int:
    corpus = Corpus()
    return _write_read((s._asdict() for s in _sentences(args, corpus)), corpus, args, SEGMENT_COLUMNS)


TAG_COLUMNS = SEGMENT_COLUMNS + (
    "topics", "frames", "primary_frame", "scores", "evidence", "labelled_by",
    "polarity", "subjectivity", "compound", "speaker", "speaker_name",
)


MAX_PROBLEMS_SHOWN = 20  # a file of the wrong kind would otherwise print a line per row


def _note_labels_left_out(note: str | None) -> None:
    """Say which bundled labels a custom codebook leaves a model without (``tagger.labels_left_out``)."""
    if note:
        print(f"stance: note: {note}", file=sys.stderr)


def _note_stale(store, codebook) -> None:
    """Say when the store's human labels were made under another codebook version (they still count)."""
    stale = store.stale_labels(codebook)
    if stale:
        print(f"stance: note: {len(stale)} human label(s) in the store were made under another version of the codebook; "
              "they count as they are (a label id the codebook no longer has is left out of the tags and not learned) — review them with "
              "`stance annotations export`", file=sys.stderr)


def _note_unlearned(model) -> None:
    """Say which labels the model could not learn, and what gives them instead."""
    from stance.model import MIN_POSITIVES

    counts = model.card["examples_per_label"]
    cued = {label.id for label in model.codebook.labels if label.cues} if model.use_cues else set()
    few = model.unlearned
    if few:
        listed = ", ".join(f"{label} ({counts[label]})" for label in few)
        never = [label for label in few if label not in cued]
        print(f"stance: note: too few annotated sentences to learn {listed} (at least {MIN_POSITIVES} each)"
              + (f"; only cues give {', '.join(l for l in few if l in cued)}" if len(never) < len(few) else "")
              + (f"; {', '.join(never)} {'has' if len(never) == 1 else 'have'} no cues, so the model never gives {'it' if len(never) == 1 else 'them'}" if never else "")
              + " — annotate sentences with them and train again", file=sys.stderr)
    for label, rate in model.constants.items():
        print(f"stance: note: {label} is on {counts[label]} of {model.card['examples']} annotated sentences, so nothing tells it apart: "
              f"the model scores it at its training rate ({rate:.2f}) on every sentence — annotate sentences without it", file=sys.stderr)


def _note_copies(annotations) -> None:
    """Say when a sentence is annotated more than once (cross-validation keeps its copies in one fold)."""
    from collections import defaultdict

    from stance.segment import normalise_text

    labels = defaultdict(set)
    for a in annotations:
        labels[normalise_text(a.text)].add(a.labels)
    copies = len(annotations) - len(labels)
    if copies:
        conflicting = sum(1 for sets in labels.values() if len(sets) > 1)
        print(f"stance: note: {copies} annotation(s) repeat a sentence already annotated ({conflicting} sentence(s) with different labels); "
              "cross-validation keeps a sentence's copies in one fold", file=sys.stderr)


def _tagger(args: argparse.Namespace):
    from stance.tagger import load_tagger, rules_only_tagger

    if getattr(args, "labeller", "combined") == "rules":
        if getattr(args, "encoder", False):
            raise StanceError("--encoder goes with the combined labeller", fix="leave out --labeller rules or --encoder")
        if getattr(args, "model", None):  # the rules alone read a codebook, not a model: say so rather than drop --model
            raise StanceError("--labeller rules runs the cue rules alone, without a model", fix="leave out --model, and give the model's codebook with --codebook")
        return rules_only_tagger(args.codebook)
    tagger = load_tagger(args.codebook, args.model, encoder=getattr(args, "encoder", False), progress=_fine_tune_progress())
    if not args.model:  # the default model: its card says what a custom codebook left out
        _note_labels_left_out(tagger.model.card.get("labels_left_out"))
    return tagger


def _fine_tune_progress() -> Callable[[int, int], None]:
    """Reports a fine-tune's progress on stderr, about every tenth of the way."""
    import time

    started = time.time()

    def report(step: int, steps: int) -> None:
        if step == 1:
            print(f"stance: fine-tuning the encoder ({steps} steps; about {steps * 0.85 / 60:.0f} min on two cores)", file=sys.stderr)
        if step == steps or step % max(1, steps // 10) == 0:
            print(f"stance: encoder {100 * step // steps}% ({time.time() - started:.0f} s)", file=sys.stderr)

    return report


def cmd_tag(args: argparse.Namespace) -> int:
    from stance.tagger import iter_tagged

    store = _open_store(args, existing=True) if getattr(args, "db", None) else None
    tagger = _tagger(args)
    overrides = marks = None
    if store is not None:
        _note_stale(store, tagger.codebook)
        overrides, marks = store.current_labels(), store.boilerplate_overrides()
    corpus = Corpus()
    rows = (
        t._asdict()
        for t in iter_tagged(_paths(args), corpus, tagger, overrides, max_bytes=int(args.max_mb * 1e6), explain=not args.no_evidence,
                             boilerplate=marks)
    )
    return _write_read(rows, corpus, args, TAG_COLUMNS)


def _open_store(args: argparse.Namespace, *, existing: bool = False):
    """The store ``--db`` names; with ``existing`` (a command that only reads labels), one that is there."""
    from stance.store import open_store, resolve_url

    if args.db and ("://" in args.db or args.db == ":memory:") and resolve_url(args.db) in IN_MEMORY:
        raise StanceError(f"--db {args.db} is a store in memory: what a command puts there is gone when it ends",
                          fix="give a file (--db labels.db) or a postgresql:// URL")
    return open_store(args.db, create=not existing)


IN_MEMORY = ("sqlite://", "sqlite:///", "sqlite:///:memory:", "sqlite://:memory:")


def _training_data(args: argparse.Namespace):
    from stance.codebook import load_codebook
    from stance.tagger import bundled_examples, store_examples, training_annotations

    codebook = load_codebook(args.codebook)
    store = _open_store(args, existing=True) if getattr(args, "db", None) else None
    if store is not None:
        _note_stale(store, codebook)
    annotations, problems, resolution = training_annotations(store, args.annotations, codebook)
    for path in resolution.without_rows:  # it adds nothing, and beside other files nothing else would say so
        print(f"stance: note: {path} holds no annotation rows, only a header; nothing is read from it", file=sys.stderr)
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"stance: skipped {problem}", file=sys.stderr)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        print(f"stance: ... and {len(problems) - MAX_PROBLEMS_SHOWN} more rows skipped ({len(problems)} in all); fix the first ones and try again", file=sys.stderr)
    if not args.annotations:
        from stance.tagger import labels_left_out

        _note_labels_left_out(labels_left_out(codebook, annotations))
    if resolution.merged:
        print(f"stance: note: {resolution.merged} sentence(s) have more than one annotation row; each kind of label takes "
              f"the latest adjudication row that decides it ({resolution.adjudicated} sentence(s) have one), else the latest row "
              "(later in the files as given), as the store does", file=sys.stderr)
    if resolution.boilerplate:
        print(f"stance: note: {resolution.boilerplate} sentence(s) marked boilerplate by a person are left out", file=sys.stderr)
    _note_copies(annotations)
    if not annotations:
        raise StanceError("no usable annotations", fix="check the files named with --annotations")
    if not any(a.labels & set(codebook.label_ids) for a in annotations):
        raise StanceError(
            f"none of the {len(annotations)} annotated sentences carries a label of the codebook ({', '.join(codebook.label_ids)}): "
            "there is nothing to learn or score",
            fix="label sentences with the codebook's ids in the topics and frames columns, or give the codebook they were labelled with (--codebook)",
        )
    if store is not None:
        examples, label_sets, sources = store_examples(store, annotations, codebook)
    else:
        examples, label_sets, sources = bundled_examples(annotations, codebook)
    return codebook, examples, label_sets, sources


def _metrics_rows(result: dict, codebook) -> list[dict]:
    rows = []
    for label, m in result["per_label"].items():
        kind = "topic" if label in codebook.topic_ids else "frame"
        # No annotated sentence carries the label: its recall and F1 are undefined (macro-F1 leaves it
        # out), and so is its precision where nothing was predicted either; a 0.0 would read as a failure.
        unsupported, unpredicted = m["support"] == 0, m["tp"] + m["fp"] == 0
        rows.append({"label": label, "kind": kind, "support": m["support"],
                     "precision": "" if unsupported and unpredicted else round(m["precision"], 3),
                     "recall": "" if unsupported else round(m["recall"], 3), "f1": "" if unsupported else round(m["f1"], 3)})
    for kind in ("topics", "frames"):
        if not _annotated(result, codebook, kind):
            continue
        rows.append({"label": f"[{kind} micro F1]", "kind": kind[:-1], "support": "", "precision": "", "recall": "", "f1": round(result[kind]["micro_f1"], 3)})
        rows.append({"label": f"[{kind} macro F1]", "kind": kind[:-1], "support": "", "precision": "", "recall": "", "f1": round(result[kind]["macro_f1"], 3)})
    return rows


def _annotated(result: dict, codebook, kind: str) -> bool:
    """Whether a scored sentence carries a label of ``kind``: else its F1 is not 0 but undefined (a codebook
    of topics alone, annotations that fill only the topics), and a 0.0 would read as a model failing at it."""
    ids = codebook.topic_ids if kind == "topics" else codebook.frame_ids
    return any(result["per_label"][label]["support"] for label in ids)


def _headline(result: dict, codebook) -> str:
    """Topic micro-F1 and frame macro-F1 in words, e.g. "topic micro-F1 0.803, frame macro-F1 0.680"."""
    return ", ".join(
        f"{kind[:-1]} {figure}-F1 {result[kind][figure + '_f1']:.3f}" if _annotated(result, codebook, kind) else f"no {kind[:-1]} annotated"
        for kind, figure in (("topics", "micro"), ("frames", "macro"))
    )


def cmd_train(args: argparse.Namespace) -> int:
    from stance.model import MIN_CV_EXAMPLES, distinct_sentences, train_model

    if args.encoder_epochs is not None and not args.encoder:
        raise StanceError("--encoder-epochs is for fine-tuning the encoder, and this run has no --encoder", fix="add --encoder, or leave out --encoder-epochs")
    if args.encoder:
        from stance.encoder import require_torch

        require_torch()  # before the training, not after it: say now that the extra is missing
    codebook, examples, label_sets, sources = _training_data(args)
    model = train_model(codebook, examples, label_sets, sources=sources, use_cues=not args.no_cues)
    model.save(args.output)
    _drop_old_encoder(Path(args.output))
    if getattr(args, "db", None):
        _open_store(args).record_model(model.card | {"path": str(Path(args.output).resolve())})
    print(f"trained on {len(examples)} annotated sentence{'s' if len(examples) != 1 else ''}; model {model.version} saved to {args.output}")
    if model.card["cv_metrics"]:
        print(f"cross-validated ({model.card['cv_folds']}-fold) scores:")
        write_records(_metrics_rows(model.card["cv_metrics"], codebook), "table")
    else:
        distinct = distinct_sentences(examples)
        print(
            f"no cross-validated scores: {distinct} different annotated sentence{'s are' if distinct != 1 else ' is'} too few to cross-validate"
            f" (at least {MIN_CV_EXAMPLES} are needed), so every label's threshold is 0.5;"
            " annotate more sentences and train again"
        )
    _note_unlearned(model)
    if args.encoder:
        from stance.encoder import ENCODER_DIR, EPOCHS, fine_tune
        from stance.tagger import cache_dir

        epochs = EPOCHS if args.encoder_epochs is None else args.encoder_epochs
        encoder = fine_tune(codebook, examples, label_sets, cache_dir(), epochs=epochs, progress=_fine_tune_progress())
        encoder.card["model_version"] = model.version  # the training it goes with: tagging refuses any other
        encoder.save(Path(args.output) / ENCODER_DIR)
        print(f"fine-tuned the encoder on the same sentences in {encoder.card['seconds']:.0f} s, saved to {Path(args.output) / ENCODER_DIR}; "
              "`stance tag --model DIR --encoder` uses it (not cross-validated here: bench/eval_encoder.py measures it held out by kind)")
    return 0


def _drop_old_encoder(folder: Path) -> None:
    """A model retrained into its folder loses the encoder fine-tuned for the old training: tagging
    with it would blend in what the old annotations taught (only a folder with an encoder's card is removed)."""
    import shutil

    from stance.encoder import CARD_FILE, ENCODER_DIR

    old = folder / ENCODER_DIR
    if (old / CARD_FILE).is_file():
        shutil.rmtree(old)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from stance.evaluation import LABELLERS, evaluate, learning_curve

    if args.curve and args.by_source:
        raise StanceError("the learning curve is 5-fold cross-validated, not by source", fix="leave out --curve or --by-source")
    codebook, examples, label_sets, sources = _training_data(args)
    if args.curve:
        write_records(learning_curve(codebook, examples, label_sets), args.format)
        return 0
    labellers = LABELLERS if args.labeller == "all" else (args.labeller,)
    unsourced = sum(1 for source in sources or [] if not source)
    if args.by_source and unsourced and len(set(sources)) > 1:  # only where the run goes ahead
        print(f"stance: note: {unsourced} of the {len(examples)} annotated sentences name no source; "
              "leave-one-source-out holds them out together, as one source — fill their `source` column to tell them apart", file=sys.stderr)
    results = evaluate(codebook, examples, label_sets, sources, by_source=args.by_source, labellers=labellers)
    how = "leave-one-source-out" if args.by_source else "5-fold cross-validated"
    if args.format == "json":
        import json

        print(json.dumps({"evaluation": how, "n": len(examples), "results": results}, indent=2))
        return 0
    if args.format == "csv":  # one table, a labeller column, nothing else: for a spreadsheet
        write_records(({"labeller": name, **row} for name, result in results.items() for row in _metrics_rows(result, codebook)), "csv")
        return 0
    for name, result in results.items():
        setting = "cue rules alone, nothing trained" if name == "rules" else how
        if name == "rules" and not any(label.cues for label in codebook.labels):
            setting += "; this codebook has no cues, so they give no label"
        print(f"\n{name} ({setting}, {len(examples)} sentence{'s' if len(examples) != 1 else ''}): {_headline(result, codebook)}")
        write_records(_metrics_rows(result, codebook), "table")
    return 0


# --- the annotation store: ingest, annotations, agreement, queue ---------------


def _annotator(args: argparse.Namespace) -> str:
    import getpass
    import os

    name = (args.annotator or os.environ.get("STANCE_ANNOTATOR") or getpass.getuser()).strip()
    if not name:  # said before the analyst types a word, not when the first answer is stored
        raise StanceError("the annotator's name is blank", fix="give --annotator NAME (or set STANCE_ANNOTATOR)")
    return name


def cmd_ingest(args: argparse.Namespace) -> int:
    store = _open_store(args)
    report, corpus = store.ingest_paths(_paths(args), max_bytes=int(args.max_mb * 1e6))
    for line in report.lines():
        print(line)
    print(f"store: {store.where}")
    return _nothing_read(corpus, report.added + report.unchanged + len(report.changed) + len(report.copies))


def cmd_annotations_export(args: argparse.Namespace) -> int:
    store = _open_store(args, existing=True)
    _check_source(store, args.source)
    count = store.export_annotations(args.output, source=args.source)
    print(f"wrote {count} annotations to {args.output}")
    return 0


def cmd_annotations_import(args: argparse.Namespace) -> int:
    from stance.codebook import load_codebook
    from stance.store import AnnotationFileError

    store = _open_store(args)
    try:
        report = store.import_files(args.files, annotator=_annotator(args), codebook=load_codebook(args.codebook))
    except AnnotationFileError as exc:
        for problem in exc.problems:
            print(f"stance: {problem}", file=sys.stderr)
        print(f"stance: nothing imported: {len(exc.problems)} problem(s) above; fix them and import again", file=sys.stderr)
        return 1
    for problem in report.unmatched:
        print(f"stance: unmatched {problem}", file=sys.stderr)
    for line in report.lines():
        print(line)
    return 1 if report.rows and not (report.recorded + report.unchanged) else 0


def _check_source(store, source: str | None) -> None:
    """A --source that the store does not hold is a typo: say which it holds."""
    if source is not None:
        stored = sorted(store.sources())
        if source not in stored:
            raise StanceError(f"no source {source!r} in the store", path=store.where, fix=f"use one of: {', '.join(stored) or '(none: ingest documents first)'}")


def cmd_agreement(args: argparse.Namespace) -> int:
    import json

    from stance.agreement import store_agreement
    from stance.codebook import load_codebook

    store = _open_store(args, existing=True)
    _check_source(store, args.source)
    report = store_agreement(store, codebook=load_codebook(args.codebook), source=args.source)
    if len(report.annotators) < 2:
        raise StanceError(
            f"agreement needs two annotators or more; the store has {len(report.annotators)}",
            fix="import another analyst's annotations with `stance annotations import FILE --annotator NAME`",
        )
    if args.format == "json":
        text = json.dumps(report.to_json(), indent=2, ensure_ascii=False)
        if args.output and args.output != "-":
            from stance.export import replacing

            with replacing(args.output) as part:
                part.write_text(text + "\n", encoding="utf-8")
        else:
            print(text)
        return 0
    write_records(report.rows(), args.format, args.output)
    if args.format == "table" and not args.output:
        print(f"\n{len(report.disagreements)} disagreement(s) to adjudicate:")
        rows = [
            {"sentence_id": c.sentence_id, "source": c.source, "kind": c.kind,
             "said": "; ".join(f"{a}: {','.join(v) or '-'}" for a, v in sorted(c.by_annotator.items())),
             "adjudicated": ",".join(c.adjudicated) if c.adjudicated is not None else "", "text": c.text}
            for c in report.disagreements
        ]
        write_records(rows, "table")
    return 0


QUEUE_COLUMNS = ("sentence_id", "source", "uncertainty", "unsure_about", "suggested", "text")


def _queue(args: argparse.Namespace, store):
    """Score what the model has not scored yet, then pick; returns (items, codebook)."""
    from stance.active import build_queue, score_store, tagger_predictor

    if not store.count_sentences():
        raise StanceError("the store holds no sentences yet", path=store.where, fix="add documents with `stance ingest PATH`")
    _check_source(store, args.source)
    if args.model is None:
        latest = next((m for m in store.models() if m.get("path") and Path(m["path"]).is_dir()), None)
        args.model = latest["path"] if latest else None
    tagger = _tagger(args)
    codebook = tagger.codebook
    if args.topic is not None and args.topic not in codebook.label_ids:
        raise StanceError(f"unknown topic {args.topic!r}", fix=f"use one of: {', '.join(codebook.topic_ids)}")
    scored = score_store(store, tagger_predictor(tagger), tagger.model.version, codebook.label_ids, thresholds=tagger.model.thresholds)
    if scored:
        print(f"scored {scored} sentences with model {tagger.model.version}", file=sys.stderr)
    items = build_queue(store, args.n, topic=args.topic, source=args.source, frame_ids=codebook.frame_ids, model_version=tagger.model.version)
    if not items:
        print("stance: nothing to annotate: every stored sentence is labelled or boilerplate (or nothing is ingested)", file=sys.stderr)
    return items, codebook


def cmd_queue(args: argparse.Namespace) -> int:
    items, _ = _queue(args, _open_store(args, existing=True))
    write_records((item.to_row() for item in items), args.format, args.output, columns=QUEUE_COLUMNS)
    return 0


def _ask(prompt: str, suggested: Sequence[str], allowed: Sequence[str], single: bool = False) -> tuple[str, ...] | str:
    """Labels typed by the analyst: Enter keeps the suggestion, '-' means none, s/q skip/quit."""
    while True:
        answer = input(f"{prompt} [{','.join(suggested) or '-'}]: ").strip()
        if answer in ("s", "q"):
            return answer
        if answer == "":
            return tuple(suggested)
        if answer == "-":
            return ()
        ids = tuple(dict.fromkeys(i.strip() for i in answer.replace(";", ",").split(",") if i.strip()))
        unknown = [i for i in ids if i not in allowed]
        if unknown or (single and len(ids) > 1):
            wrong = f"{', '.join(unknown)} is not one of" if unknown else "give one of"
            print(f"  {wrong}: {', '.join(allowed)}")
            continue
        return ids


def cmd_annotate(args: argparse.Namespace) -> int:
    from stance.annotations import Annotation

    annotator = _annotator(args)
    store = _open_store(args, existing=True)
    items, codebook = _queue(args, store)
    print(f"Annotating as {annotator}. At each prompt: ids separated by ',', Enter keeps [the model's], '-' none, s skip, q quit.")
    recorded = 0
    for k, item in enumerate(items, 1):
        print(f"\n[{k}/{len(items)}] {item.source} · {item.sentence_id}\n  {item.text}")
        try:
            topics = _ask("  topics", [l for l in item.suggested if l in codebook.topic_ids], codebook.topic_ids)
            if topics in ("s", "q"):
                if topics == "q":
                    break
                continue
            frames = _ask("  frames", [l for l in item.suggested if l in codebook.frame_ids], codebook.frame_ids)
            if frames in ("s", "q"):
                if frames == "q":
                    break
                continue
            primary: tuple[str, ...] | str = frames[:1]
            if len(frames) > 1:
                primary = _ask("  primary frame", frames[:1], frames, single=True)
                if primary in ("s", "q"):
                    if primary == "q":
                        break
                    continue
            note = input("  note (optional; s skip, q quit): ").strip()
            if note in ("s", "q"):
                if note == "q":
                    break
                continue
        except EOFError:
            break
        store.annotate(
            Annotation(item.text, topics, frames, primary[0] if primary else None, item.sentence_id, item.source, annotator, note),
            codebook=codebook,
        )
        recorded += 1
    print(f"\nrecorded {recorded} decision(s) as {annotator} in {store.where}")
    return 0


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH|URL", help="the store: a SQLite file or a database URL (default: $STANCE_DB, else stance.db in your data folder)")


# --- compare, export, report ---------------------------------------------------


def _compare_inputs(args: argparse.Namespace, text: bool = True):
    from stance.compare import load_inputs

    inputs = load_inputs(
        args.paths, codebook_path=args.codebook, model_dir=args.model,
        store=_open_store(args, existing=True) if getattr(args, "db", None) else None, gold_files=args.gold, text=text,
        max_bytes=int(args.max_mb * 1e6),
    )
    _report_reading(inputs.read_notes, inputs.problems)
    return inputs


def _provenance(args: argparse.Namespace, inputs, **options):
    from stance.export import provenance

    return provenance(codebook=inputs.codebook, model_version=inputs.model_version, sources=inputs.sources,
                      inputs=inputs.inputs, options=options, notes=inputs.notes)


def cmd_compare(args: argparse.Namespace) -> int:
    from stance.compare import compare
    from stance.export import write_comparison

    inputs = _compare_inputs(args, text=args.format == "xlsx")  # only the workbook quotes sentences
    result = compare(inputs.table, inputs.codebook, topic=args.topic, by=args.by, voice=args.voice,
                     gold=inputs.gold, terms=args.format == "xlsx")
    prov = _provenance(args, inputs, command="compare", topic=args.topic, by=args.by, voice=args.voice)
    write_comparison(result, args.format, args.output, prov)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from stance.codebook import load_codebook
    from stance.export import EXPORT_FORMATS, export_tagged, format_for, provenance
    from stance.tagger import load_tagger, tag_paths

    fmt = args.format or format_for(args.output, EXPORT_FORMATS)
    codebook = load_codebook(args.codebook)
    store = _open_store(args, existing=True) if args.db else None
    tagged, corpus = tag_paths(list(args.paths) or None, codebook_path=args.codebook, model_dir=args.model, store=store,
                               max_bytes=int(args.max_mb * 1e6))
    if not tagged and corpus.problems:  # nothing read: an -o keeps what it held
        return _nothing_read(corpus, 0)
    prov = provenance(codebook=codebook, model_version=load_tagger(args.codebook, args.model).model.version,
                      sources=corpus.sources, inputs=list(args.paths) or ["(the bundled seeds)"], options={"command": "export"})
    count = export_tagged(tagged, args.output, sources=corpus.sources, codebook=codebook, prov=prov, fmt=fmt)
    print(f"wrote {count} tagged sentences to {args.output}", file=sys.stderr)
    return _nothing_read(corpus, count)


def cmd_report(args: argparse.Namespace) -> int:
    from stance.compare import compare
    from stance.export import write_report

    inputs = _compare_inputs(args)
    result = compare(inputs.table, inputs.codebook, topic=args.topic, by=args.by, voice=args.voice,
                     gold=inputs.gold, terms=True)
    prov = _provenance(args, inputs, command="report", topic=args.topic, by=args.by, voice=args.voice)
    path = write_report(result, args.output, prov)
    print(f"wrote the report to {path}", file=sys.stderr)
    return 0


# --- the parser -------------------------------------------------------------


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the bundled seeds)")
    parser.add_argument("--max-mb", type=_megabytes, default=DEFAULT_MAX_BYTES / 1e6, help="skip files larger than this (default 50)")


def _add_codebook(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codebook", metavar="FILE", help="a codebook TOML (default: the bundled one)")


def _add_output(parser: argparse.ArgumentParser, formats: Sequence[str], default: str) -> None:
    parser.add_argument("--format", choices=formats, help=f"output format (default: the one -o's suffix names, else {default})")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of the terminal")
    parser.set_defaults(formats=tuple(formats), default_format=default)


FORMAT_SUFFIXES = {"csv", "jsonl", "json", "md", "xlsx", "parquet", "html", "tsv"}  # names of formats some command writes
UNWRITTEN_SUFFIXES = {"pdf", "docx", "doc", "xls", "ods", "odt", "pptx", "png", "jpg", "jpeg", "svg", "xml", "yaml", "yml", "rtf"}  # a file no command writes: refused, not filled with text


def _settle_format(args: argparse.Namespace) -> None:
    """--format left out: the one the -o file's suffix names (``-o tags.csv``), else the command's default;
    --format given: an -o suffix that names another format is a mistake (Parquet bytes in a ``.csv``)."""
    given, output = getattr(args, "format", None), getattr(args, "output", None)
    if given and output and output != "-":
        suffix = Path(output).suffix.lower().lstrip(".")
        suffix = SUFFIX_ALIASES.get(suffix, suffix)
        if suffix in FORMAT_SUFFIXES | UNWRITTEN_SUFFIXES and suffix != given and not (suffix == "json" and given == "jsonl"):
            raise StanceError(f"--format {given}, and -o names a .{suffix} file", path=output,
                              fix=f"end the file in .{given}, or leave --format out to write the format its name says")
    if getattr(args, "default_format", None) and args.format is None:
        suffix = Path(args.output).suffix.lower().lstrip(".") if args.output else ""
        suffix = SUFFIX_ALIASES.get(suffix, suffix)
        if suffix == "json" and "json" not in args.formats and "jsonl" in args.formats:
            suffix = "jsonl"  # `-o tags.json` has always written JSON Lines
        if suffix in UNWRITTEN_SUFFIXES:
            raise StanceError(
                f"-o names a .{suffix} file, which stance does not write (it would hold plain text under that name)",
                path=args.output,
                fix=f"give a file ending in one of: {', '.join('.' + f for f in args.formats if f != 'table')}"
                + (" (`stance report -o FILE.html` makes a report a browser prints as PDF)" if suffix == "pdf" else ""),
            )
        if suffix in FORMAT_SUFFIXES and suffix not in args.formats:
            raise StanceError(
                f"-o names a .{suffix} file, which `stance {args.command}` does not write",
                path=args.output,
                fix=f"give --format ({', '.join(args.formats)}) or a file ending in one of them",
            )
        args.format = suffix if suffix in args.formats else args.default_format


# Inputs named on the command line, by argparse dest: an empty one ("$UNSET") would read the current
# folder as a corpus or a model, or fall back to a default, without a word.
_NAMED_INPUTS = {"paths": "PATH", "files": "FILE", "codebook": "--codebook", "model": "--model",
                 "annotations": "--annotations", "gold": "--gold"}


def _guard_output(args: argparse.Namespace) -> None:
    """Refuse an -o that would overwrite, or be read as, one of the command's own inputs."""
    from stance.corpus import read_in_folder

    out = getattr(args, "output", None)
    folder_out = args.command == "train"  # train -o names a folder; every other -o a file
    if out is not None and not out.strip():
        raise StanceError("-o is empty (an unset shell variable?)", fix="give -o a " + ("folder" if folder_out else "file") + " name")
    for dest, option in _NAMED_INPUTS.items():
        given = getattr(args, dest, None)
        blank = next((name for name in ([given] if isinstance(given, str) else given or []) if not name.strip()), None)
        if blank is not None:
            what = f"{option} is empty" if option.startswith("-") else f"a {option} is \"{blank}\""
            raise StanceError(f"{what} (an unset shell variable?)", fix="give a file or folder name, or set the variable meant to hold it")
    db = getattr(args, "db", None)
    if db is not None and not db.strip():  # else the default store would take, or lack, the labels meant for another
        raise StanceError("--db is empty (an unset shell variable?)", fix="give --db a store's file or URL, or leave --db out for $STANCE_DB or the default store")
    if not out or out == "-":
        return
    if not folder_out and (out.endswith(("/", os.sep)) or Path(out).is_dir()):
        raise StanceError("-o names a folder", path=out, fix="give a file name, e.g. -o out/tags.jsonl")
    if folder_out and Path(out).exists() and not Path(out).is_dir():
        raise StanceError("-o names a file, and a model is saved as a folder", path=out, fix="give a folder name, e.g. -o models/mine")
    from stance.model import CARD_FILE, model_directory
    from stance.cache import DB_ENV, default_path

    if folder_out and Path(out).is_dir() and not (Path(out) / CARD_FILE).is_file() and any(not p.name.startswith(".") for p in Path(out).iterdir()):
        # the model's files would land among documents (read as such next time) or replace a file of the same name
        raise StanceError("-o is a folder that holds other files and no model", path=out,
                          fix="give a new or empty folder, e.g. -o models/mine (a model's own folder is trained again in place)")

    model = getattr(args, "model", None)
    # the store, however it is named (--db, $STANCE_DB or the default file), and whether or not this
    # command reads it: writing over it would lose every saved annotation
    store = getattr(args, "db", None) or os.environ.get(DB_ENV) or str(default_path())
    inputs = [("codebook", getattr(args, "codebook", None)), ("model", model and str(model_directory(model))), ("store", os.path.expanduser(store))]
    inputs += [("annotation file", a) for a in getattr(args, "annotations", None) or []]
    inputs += [("annotation file", a) for a in getattr(args, "gold", None) or []]
    inputs += [("input", p) for p in (_paths(args) if hasattr(args, "paths") else [])]
    for what, given in inputs:
        if not given or "://" in str(given) or not os.path.exists(given):
            continue
        if os.path.exists(out) and os.path.samefile(out, given):  # samefile: also on case-insensitive disks
            if what == "store":
                raise StanceError("-o is the annotation store: writing there would lose every saved annotation", path=out, fix="write the output to another file")
            raise StanceError(f"-o is also the {what} this command reads", path=out, fix="write the output to another file")
        if what == "model" and os.path.isdir(given) and os.path.realpath(out).startswith(os.path.realpath(given) + os.sep):
            raise StanceError("-o is inside the model folder this command reads", path=out, fix="write the output outside it")
        if what == "input" and not folder_out and read_in_folder(given, out):
            raise StanceError(
                f"-o is inside the folder {given}, which this command reads: the next run would read the output as a document",
                path=out,
                fix=f"write it outside {given}",
            )


COMMANDS: dict[str, tuple[str, str, Callable[[argparse.Namespace], int]]] = {}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stance",
        description="Compare how sources frame a topic, sentence by sentence.",
        epilog="Example: stance segment seeds/ --format table",
    )
    parser.add_argument("--version", action="version", version=f"stance {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "sources", help="list the documents and sources found, with counts",
        description="List the documents and sources found under PATH, with sentence counts.",
        epilog="Example: stance sources ~/reading/ --format csv -o sources.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_inputs(p)
    _add_output(p, ("table", "csv", "jsonl"), "table")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser(
        "segment", help="split documents into sentences with offsets and boilerplate flags",
        description="Split documents into sentences: one record per sentence with offsets, ids and flags.",
        epilog="Example: stance segment seeds/merics-2025-01-30-china-essentials.txt --format table",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_inputs(p)
    _add_output(p, ("jsonl", "csv", "table"), "jsonl")
    p.set_defaults(func=cmd_segment)

    p = sub.add_parser(
        "tag", help="tag every sentence with topics, frames, tone and speaker",
        description="Tag sentences: everything `segment` gives plus topics, frames, primary frame, "
        "per-label scores, evidence, tone (polarity, subjectivity, VADER compound) and speaker.",
        epilog="Example: stance tag seeds/ --format jsonl -o tags.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_inputs(p)
    _add_output(p, ("jsonl", "csv", "table"), "jsonl")
    _add_codebook(p)
    p.add_argument("--model", metavar="DIR", help="a model trained with `stance train` (default: trained from the bundled annotations)")
    p.add_argument("--labeller", choices=("combined", "rules"), default="combined", help="rules: cue rules alone, for comparison")
    p.add_argument("--no-evidence", action="store_true", help="leave `evidence` empty: about a sixth faster on big corpora (the speed bench)")
    p.add_argument("--encoder", action="store_true",
                   help="average in the fine-tuned encoder (needs `pip install 'stance[encoder]'`; the default one is "
                   "fine-tuned on first use, a few minutes; tags tens of sentences a second)")
    p.add_argument("--db", metavar="URL", help="a store whose human labels override predictions")
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser(
        "train", help="train a model on annotation files and print cross-validated scores",
        description="Train a model on annotation files (CSV/JSONL) for a codebook; prints cross-validated "
        "per-label precision/recall/F1 (5-fold; 3-fold from 5,000 sentences; none below 10 sentences, "
        "where every threshold is 0.5) and saves the model to DIR.",
        epilog="Example: stance train --codebook my-codebook.toml --annotations labels.csv -o models/mine",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_codebook(p)
    p.add_argument("--annotations", metavar="FILE", nargs="+", help="annotation files (default: the bundled annotations: seeds/ and training/)")
    p.add_argument("-o", "--output", metavar="DIR", required=True, help="where to save the model")
    p.add_argument("--no-cues", action="store_true", help="leave the cue votes out (the 'model alone' baseline)")
    p.add_argument("--encoder", action="store_true",
                   help="also fine-tune the sentence encoder and save it with the model (needs `pip install 'stance[encoder]'`)")
    p.add_argument("--encoder-epochs", type=_positive, metavar="N", help="passes over the sentences when fine-tuning (default 4)")
    p.add_argument("--db", metavar="URL", help="also train on the store's human labels, and record the model card there")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "evaluate", help="score cue rules, model and their combination on annotations",
        description="Per-label precision/recall/F1 and topic/frame micro and macro F1, for the cue rules "
        "alone, the model alone and the combination; --by-source trains on the other sources and "
        "tests on each held-out one.",
        epilog="Example: stance evaluate --by-source",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_codebook(p)
    p.add_argument("--annotations", metavar="FILE", nargs="+", help="annotation files (default: the bundled annotations: seeds/ and training/)")
    p.add_argument("--by-source", action="store_true", help="leave-one-source-out instead of 5-fold")
    p.add_argument("--labeller", choices=("all", "rules", "model", "combined"), default="all")
    p.add_argument("--curve", action="store_true", help="the learning curve: F1 as annotations grow")
    p.add_argument("--db", metavar="URL", help="also evaluate on the store's human labels")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "ingest", help="add documents and their sentences to the annotation store",
        description="Add documents to the store. An unchanged document changes nothing; a changed one "
        "(same path, new text) keeps the labels of every sentence whose text did not change and lists "
        "the labelled sentences it no longer has (their labels are kept, never deleted).",
        epilog="Example: stance ingest ~/reading/ --db team.db",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_inputs(p)
    _add_db(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser(
        "annotations", help="export or import the store's human labels (CSV/JSONL)",
        description="Move human labels between the store and annotation files (the format `stance train` reads).",
        epilog="Example: stance annotations export -o labels.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = p.add_subparsers(dest="annotations_command", metavar="VERB", required=True)
    q = verbs.add_parser(
        "export", help="write every annotator's latest labels to FILE.csv or FILE.jsonl",
        description="Write every annotator's latest labels, in the order they were made (adjudications as annotator "
        "'adjudication:NAME', with the kinds they decide in 'decides'; boilerplate marks in 'boilerplate_mark').",
        epilog="Example: stance annotations export -o labels.jsonl --source merics",
    )
    q.add_argument("-o", "--output", metavar="FILE", required=True, help="a .csv or .jsonl file")
    q.add_argument("--source", metavar="ID", help="only this source's sentences")
    _add_db(q)
    q.set_defaults(func=cmd_annotations_export)
    q = verbs.add_parser(
        "import", help="record annotation files in the store (idempotent)",
        description="Record annotation files: rows match stored sentences by sentence_id, else by text. "
        "Unknown label ids refuse the import (every bad row listed by line); rows matching no stored "
        "sentence are listed by line; importing the same file twice changes nothing.",
        epilog="Example: stance annotations import alice.csv bob.jsonl --annotator alice",
    )
    q.add_argument("files", nargs="+", metavar="FILE", help="annotation files (.csv or .jsonl)")
    q.add_argument("--annotator", metavar="NAME", help="for rows with an empty annotator (default: $STANCE_ANNOTATOR, else your user name)")
    _add_codebook(q)
    _add_db(q)
    q.set_defaults(func=cmd_annotations_import)

    p = sub.add_parser(
        "agreement", help="agreement between annotators: Cohen's kappa, Krippendorff's alpha, disagreements",
        description="Per label: Cohen's kappa for each pair of annotators and Krippendorff's alpha over all, "
        "overall and per source, and the disagreements to adjudicate.",
        epilog="Example: stance agreement --format json -o agreement.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_output(p, ("table", "csv", "json"), "table")
    p.add_argument("--source", metavar="ID", help="only this source's sentences")
    _add_codebook(p)
    _add_db(p)
    p.set_defaults(func=cmd_agreement)

    p = sub.add_parser(
        "queue", help="the sentences whose annotation would help the model most",
        description="The sentences worth annotating next: those the model is least sure of, unlike each "
        "other, sources taking turns; boilerplate and labelled sentences are skipped. Scores the "
        "stored sentences first if the model has not yet.",
        epilog="Example: stance queue --topic export_controls -n 20",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-n", type=_positive, default=20, help="how many sentences (default 20)")
    p.add_argument("--topic", metavar="ID", help="focus on one topic (or frame): unsure whether it applies, or of the other frames where it does")
    p.add_argument("--source", metavar="ID", help="only this source's sentences")
    _add_codebook(p)
    p.add_argument("--model", metavar="DIR", help="a model from `stance train` (default: the store's latest, else the default model)")
    _add_output(p, ("table", "csv", "jsonl"), "table")
    _add_db(p)
    p.set_defaults(func=cmd_queue)

    p = sub.add_parser(
        "annotate", help="label the queue's sentences in the terminal",
        description="Walk through the queue (as `stance queue`) and type each sentence's topics, frames and "
        "primary frame; Enter keeps the model's suggestion. Every answer is stored at once.",
        epilog="Example: stance annotate --annotator alice --source merics -n 10",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-n", type=_positive, default=20, help="how many sentences (default 20)")
    p.add_argument("--topic", metavar="ID", help="focus on one topic (or frame), as `stance queue --topic`")
    p.add_argument("--source", metavar="ID", help="only this source's sentences")
    p.add_argument("--annotator", metavar="NAME", help="who you are (default: $STANCE_ANNOTATOR, else your user name)")
    _add_codebook(p)
    p.add_argument("--model", metavar="DIR", help="a model from `stance train` (default: the store's latest, else the default model)")
    _add_db(p)
    p.set_defaults(func=cmd_annotate)
    def add_tagging(p: argparse.ArgumentParser) -> None:
        p.add_argument("paths", nargs="*", metavar="PATH",
                       help="documents, folders, or tables written by `stance export` (default: the bundled seeds)")
        _add_codebook(p)
        p.add_argument("--model", metavar="DIR", help="a model trained with `stance train` (default: trained from the bundled annotations)")
        p.add_argument("--db", metavar="URL", help="a store whose human labels override predictions")
        p.add_argument("--max-mb", type=_megabytes, default=DEFAULT_MAX_BYTES / 1e6, help="skip documents larger than this (default 50)")

    def add_grouping(p: argparse.ArgumentParser) -> None:
        p.add_argument("--topic", metavar="ID", help="one topic id (default: every topic)")
        # Choices are checked by stance.compare (GROUP_FIELDS, VOICES), which is not imported here: it loads pandas.
        p.add_argument("--by", default="source", metavar="FIELD",
                       help="group by source (default) or a metadata field: kind, country, outlet, date, month, year, speaker, ...")
        p.add_argument("--voice", choices=("all", "author", "quoted"), default="all",
                       help="all sentences, the authors' own voice, or quotes only")
        p.add_argument("--gold", metavar="FILE", nargs="+",
                       help="annotation files: the model's precision/recall on them and adjusted shares (default on the seeds: the seed annotations)")

    p = sub.add_parser(
        "compare", help="the stance table: frame mix, stance index with intervals, tone, tests, evidence ids",
        description="Compare sources (or groups) topic by topic: frame counts and shares, the stance index on each "
        "codebook axis with a 95% Wilson interval and n (thin below 5), tone, a difference test with a plain reading, "
        "and the sentence ids behind every cell. PATH may also be a Parquet/JSONL/CSV table from `stance export`.",
        epilog="Example: stance compare --topic export_controls --format json -o export_controls.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_tagging(p)
    add_grouping(p)
    _add_output(p, ("table", "csv", "json", "xlsx", "md"), "table")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "export", help="every tagged sentence with labels, scores, tone, speaker and provenance",
        description="Write every tagged sentence (labels, scores, evidence, tone, speaker, source metadata, codebook and "
        "model versions) as CSV, JSONL, Parquet or XLSX, chosen by the file suffix.",
        epilog="Example: stance export ~/reading/ -o tagged.parquet",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_tagging(p)
    p.add_argument("-o", "--output", metavar="FILE", required=True, help="FILE.csv, .jsonl, .parquet or .xlsx")
    p.add_argument("--format", choices=("csv", "jsonl", "parquet", "xlsx"), help="override the format the suffix names")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "report", help="a readable comparison report (HTML with embedded charts, or Markdown)",
        description="Write a comparison report an analyst can paste into a briefing: the readings, the stance table, "
        "charts, frame mix, distinctive terms and quoted evidence per source. HTML is self-contained (no network); "
        "Markdown links its charts, written beside it.",
        epilog="Example: stance report --topic export_controls -o export_controls.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_tagging(p)
    add_grouping(p)
    p.add_argument("-o", "--output", metavar="FILE", required=True, help="FILE.html or FILE.md")
    p.set_defaults(func=cmd_report)
    return parser


def _positive(value: str) -> int:
    """A count of at least one (-n, --encoder-epochs)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a count: give 1 or more")
    return number


def _megabytes(value: str) -> float:
    """A size limit in megabytes (--max-mb): a finite number of at least one byte."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not (math.isfinite(number) and number * 1e6 >= 1):  # also refuses nan
        too_small = math.isfinite(number) and 0 < number * 1e6 < 1
        raise argparse.ArgumentTypeError(f"{value} MB is less than one byte: give megabytes, e.g. 50" if too_small
                                         else f"{value} is not a size: give megabytes above zero, e.g. 50")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about a damaged PDF would reach stderr bare; stance says it in its own line
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        _settle_format(args)
        _guard_output(args)
        return args.func(args)
    except StanceError as exc:
        for mistake in exc.every():
            print(f"stance: {mistake}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except OSError as exc:
        if exc.filename is None:  # a write that failed: a full disk, a device error
            where = f" (writing {args.output})" if getattr(args, "output", None) else ""
            fix = "free some space or write elsewhere" if exc.errno == errno.ENOSPC else "check the disk and try again"
            print(f"stance: {exc.strerror or exc}{where} — {fix}", file=sys.stderr)
            return 1
        from stance.tagger import cache_dir

        where = " (stance's cache: set STANCE_CACHE to use another folder)" if str(exc.filename).startswith(str(cache_dir())) else ""
        print(f"stance: {exc.filename}: {exc.strerror}{where} — check the path and that you may read and write there", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
