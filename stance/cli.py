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
