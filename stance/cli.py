"""The ``stance`` command: thin, one function per verb.

Library errors (``StanceError``) become one friendly line on stderr; user
errors never show a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from stance import __version__
from stance.corpus import DEFAULT_MAX_BYTES, SEEDS_DIR, Corpus, iter_corpus
from stance.errors import StanceError
from stance.export import write_records
from stance.segment import Sentence, iter_sentences, source_summary

SEGMENT_COLUMNS = (
    "source", "doc_id", "path", "sentence_id", "index", "paragraph", "start", "end",
    "text", "heading", "boilerplate", "boilerplate_reason",
)


def _paths(args: argparse.Namespace) -> list[str]:
    return list(args.paths) or [str(SEEDS_DIR)]


def _report_problems(corpus: Corpus) -> None:
    for problem in corpus.problems:
        print(f"stance: skipped {problem}", file=sys.stderr)


def _sentences(args: argparse.Namespace, corpus: Corpus) -> Iterator[Sentence]:
    for document in iter_corpus(_paths(args), corpus, max_bytes=int(args.max_mb * 1e6)):
        yield from iter_sentences(document)


def _nothing_read(corpus: Corpus, count: int) -> int:
    _report_problems(corpus)
    if count == 0 and corpus.problems:
        print("stance: nothing could be read", file=sys.stderr)
        return 1
    return 0


# --- verbs ------------------------------------------------------------------


def cmd_sources(args: argparse.Namespace) -> int:
    rows, corpus = source_summary(_paths(args), max_bytes=int(args.max_mb * 1e6))
    write_records(rows, args.format, args.output)
    return _nothing_read(corpus, len(rows))


def cmd_segment(args: argparse.Namespace) -> int:
    corpus = Corpus()
    rows = (s._asdict() for s in _sentences(args, corpus))
    count = write_records(rows, args.format, args.output, columns=SEGMENT_COLUMNS)
    return _nothing_read(corpus, count)


TAG_COLUMNS = SEGMENT_COLUMNS + (
    "topics", "frames", "primary_frame", "scores", "evidence", "labelled_by",
    "polarity", "subjectivity", "compound", "speaker", "speaker_name",
)


def _tagger(args: argparse.Namespace):
    from stance.tagger import load_tagger, rules_only_tagger

    if getattr(args, "labeller", "combined") == "rules":
        return rules_only_tagger(args.codebook)
    return load_tagger(args.codebook, args.model)


def cmd_tag(args: argparse.Namespace) -> int:
    from stance.tagger import iter_tagged

    tagger = _tagger(args)
    overrides = _open_store(args).current_labels() if getattr(args, "db", None) else None
    corpus = Corpus()
    rows = (t._asdict() for t in iter_tagged(_paths(args), corpus, tagger, overrides, max_bytes=int(args.max_mb * 1e6)))
    count = write_records(rows, args.format, args.output, columns=TAG_COLUMNS)
    return _nothing_read(corpus, count)


def _open_store(args: argparse.Namespace):
    from stance.store import open_store

    return open_store(args.db)


def _training_data(args: argparse.Namespace):
    from stance.annotations import read_annotations, seed_annotation_files
    from stance.codebook import load_codebook
    from stance.tagger import seed_examples

    codebook = load_codebook(args.codebook)
    files = args.annotations or seed_annotation_files()
    annotations = read_annotations(files, codebook)
    for problem in annotations.problems:
        print(f"stance: skipped {problem}", file=sys.stderr)
    if not annotations.annotations:
        raise StanceError("no usable annotations", fix="check the files named with --annotations")
    examples, label_sets, sources = seed_examples(annotations.annotations, codebook)
    return codebook, examples, label_sets, sources


def _metrics_rows(result: dict, codebook) -> list[dict]:
    rows = []
    for label, m in result["per_label"].items():
        kind = "topic" if label in codebook.topic_ids else "frame"
        rows.append({"label": label, "kind": kind, "support": m["support"], "precision": round(m["precision"], 3),
                     "recall": round(m["recall"], 3), "f1": round(m["f1"], 3)})
    for kind in ("topics", "frames"):
        rows.append({"label": f"[{kind} micro F1]", "kind": kind[:-1], "support": "", "precision": "", "recall": "", "f1": round(result[kind]["micro_f1"], 3)})
        rows.append({"label": f"[{kind} macro F1]", "kind": kind[:-1], "support": "", "precision": "", "recall": "", "f1": round(result[kind]["macro_f1"], 3)})
    return rows


def cmd_train(args: argparse.Namespace) -> int:
    from stance.model import train_model

    codebook, examples, label_sets, sources = _training_data(args)
    model = train_model(codebook, examples, label_sets, sources=sources)
    model.save(args.output)
    print(f"trained on {len(examples)} annotated sentences; model {model.version} saved to {args.output}")
    print("cross-validated (5-fold) scores:")
    write_records(_metrics_rows(model.card["cv_metrics"], codebook), "table")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from stance.evaluation import LABELLERS, evaluate, learning_curve

    codebook, examples, label_sets, sources = _training_data(args)
    if args.curve:
        write_records(learning_curve(codebook, examples, label_sets), args.format)
        return 0
    labellers = LABELLERS if args.labeller == "all" else (args.labeller,)
    results = evaluate(codebook, examples, label_sets, sources, by_source=args.by_source, labellers=labellers)
    how = "leave-one-source-out" if args.by_source else "5-fold cross-validated"
    if args.format == "json":
        import json

        print(json.dumps({"evaluation": how, "n": len(examples), "results": results}, indent=2))
        return 0
    for name, result in results.items():
        print(f"\n{name} ({how}, {len(examples)} sentences): topic micro-F1 {result['topics']['micro_f1']:.3f}, "
              f"frame macro-F1 {result['frames']['macro_f1']:.3f}")
        write_records(_metrics_rows(result, codebook), args.format if args.format != "json" else "table")
    return 0


# --- the parser -------------------------------------------------------------


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the bundled seeds)")
    parser.add_argument("--max-mb", type=float, default=DEFAULT_MAX_BYTES / 1e6, help="skip files larger than this (default 50)")


def _add_output(parser: argparse.ArgumentParser, formats: Sequence[str], default: str) -> None:
    parser.add_argument("--format", choices=formats, default=default, help=f"output format (default {default})")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of the terminal")


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
    p.add_argument("--codebook", metavar="FILE", help="a codebook TOML (default: the bundled one)")
    p.add_argument("--model", metavar="DIR", help="a model trained with `stance train` (default: trained from the seeds)")
    p.add_argument("--labeller", choices=("combined", "rules"), default="combined", help="rules: cue rules alone, for comparison")
    p.add_argument("--db", metavar="URL", help="a store whose human labels override predictions")
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser(
        "train", help="train a model on annotation files and print cross-validated scores",
        description="Train a model on annotation files (CSV/JSONL) for a codebook; prints 5-fold "
        "cross-validated per-label precision/recall/F1 and saves the model to DIR.",
        epilog="Example: stance train --codebook my-codebook.toml --annotations labels.csv -o models/mine",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--codebook", metavar="FILE", help="a codebook TOML (default: the bundled one)")
    p.add_argument("--annotations", metavar="FILE", nargs="+", help="annotation files (default: the seed annotations)")
    p.add_argument("-o", "--output", metavar="DIR", required=True, help="where to save the model")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "evaluate", help="score cue rules, model and their combination on annotations",
        description="Per-label precision/recall/F1 and topic/frame micro and macro F1, for the cue rules "
        "alone, the model alone and the combination; --by-source trains on the other sources and "
        "tests on each held-out one.",
        epilog="Example: stance evaluate --by-source",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--codebook", metavar="FILE", help="a codebook TOML (default: the bundled one)")
    p.add_argument("--annotations", metavar="FILE", nargs="+", help="annotation files (default: the seed annotations)")
    p.add_argument("--by-source", action="store_true", help="leave-one-source-out instead of 5-fold")
    p.add_argument("--labeller", choices=("all", "rules", "model", "combined"), default="all")
    p.add_argument("--curve", action="store_true", help="the learning curve: F1 as annotations grow")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=cmd_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except StanceError as exc:
        print(f"stance: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
