"""Sources & export: add documents (every format stance reads), edit who each source is, download every export."""

import re
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import common
from stance import charts as charting
from stance.compare import VOICES, compare
from stance.corpus import SUPPORTED, Source
from stance.errors import StanceError
from stance.export import EXPORT_FORMATS, export_tagged, provenance, write_comparison, write_report
from stance.tagger import with_human_labels

NEW_SOURCE = "__new__"
OWN_SOURCE = "__own__"
PREVIEW_CHARS = 400

store = common.get_store()
loaded = common.load()
codebook = loaded.codebook
ss = st.session_state
ss.setdefault("upload_round", 0)

st.title("Sources & export")
add_tab, sources_tab, export_tab = st.tabs(["Add documents", "Sources", "Export"])

# --- uploads -----------------------------------------------------------------------------------
with add_tab:
    kinds = ", ".join(sorted(s.lstrip(".") for s in SUPPORTED))
    st.caption(f"Files of these kinds: {kinds}. A table (.csv, .jsonl) holds one document per row in a `text` column. "
               "A file that cannot be read is reported on its own; the others still go in.")
    uploads = st.file_uploader("Documents", type=sorted(s.lstrip(".") for s in SUPPORTED), accept_multiple_files=True,
                               key=f"uploader-{ss['upload_round']}")
    known = store.sources()
    options = [OWN_SOURCE, *sorted(known, key=lambda s: known[s].name.lower()), NEW_SOURCE]
    assign = st.selectbox("Source of these files", options, key="upload_source", format_func=lambda s: {
        OWN_SOURCE: "each file is its own source, named after it", NEW_SOURCE: "a new source…"}.get(s, known[s].name if s in known else s))
    chosen = known.get(assign)
    if assign == NEW_SOURCE:
        c1, c2, c3, c4, c5 = st.columns(5)
        sid = re.sub(r"[^a-z0-9_-]+", "-", c1.text_input("id", key="new_source_id", placeholder="e.g. csis",
                                                         help="lower case; used in every table and export").strip().lower()).strip("-")
        name = c2.text_input("name", key="new_source_name")
        kind = c3.text_input("kind", key="new_source_kind", placeholder="e.g. think tank")
        country = c4.text_input("country", key="new_source_country")
        date = c5.text_input("date", key="new_source_date", placeholder="e.g. 2025-01")
        chosen = Source(sid, name or sid, kind=kind, country=country, date=date) if sid else None
    ready = bool(uploads) and (assign != NEW_SOURCE or chosen is not None)
    if st.button("Add to the store", type="primary", icon=":material/upload:", disabled=not ready, key="upload_add"):
        folder = common.data_dir() / "uploads" / datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        folder.mkdir(parents=True, exist_ok=True)
        results = []
        with st.status(f"Reading and storing {len(uploads)} file{'s' if len(uploads) != 1 else ''}…", expanded=True) as status:
            bar = st.progress(0.0)
            for k, upload in enumerate(uploads, 1):
                name = Path(upload.name).name or f"upload-{k}"
                path = folder / (name if not (folder / name).exists() else f"{k}-{name}")
                path.write_bytes(upload.getvalue())
                shown = lambda item, path=path, name=name: str(item).replace(str(path), name)  # the file's name, not where the server keeps it
                try:
                    report, corpus = store.ingest_file(path, source=chosen)
                except Exception as exc:  # one bad file never stops the others
                    results.append({"file": name, "documents": [], "problems": [shown(exc)], "notes": [], "report": None})
                else:
                    results.append({
                        "file": name, "problems": [shown(p) for p in corpus.problems], "report": "; ".join(report.lines()),  # a copy of a stored document is said, not only counted
                        "notes": [shown(n) for n in corpus.notes],
                        "documents": [(d.source, d.title, d.text[:PREVIEW_CHARS]) for d in corpus.documents],
                    })
                bar.progress(k / len(uploads), text=f"{k} of {len(uploads)}: {name}")
            ok = sum(1 for r in results if r["documents"])
            status.update(label=f"Added {ok} of {len(uploads)} file{'s' if len(uploads) != 1 else ''}",
                          state="complete" if ok == len(uploads) else "error", expanded=False)
        ss["upload_results"] = results
        ss["upload_round"] += 1  # a fresh, empty uploader
        st.rerun()

    for result in ss.get("upload_results", []):
        if result["documents"]:
            st.success(f"{result['file']}: {result['report']}", icon=":material/check_circle:")
        for problem in result["problems"]:
            st.error(f"{result['file']}: {problem}" if result["file"] not in problem else problem, icon=":material/error:")
        for note in result["notes"]:  # read, with a change worth knowing (stray NULs dropped)
            st.warning(note, icon=":material/warning:")
        for source, title, text in result["documents"][:3]:
            st.markdown(f"<div class='stance-card'><div class='stance-meta'>{common.esc(source)} · {common.esc(title or result['file'])}</div>"
                        f"<div class='stance-text'>{common.esc(text)}{'…' if len(text) >= PREVIEW_CHARS else ''}</div></div>",
                        unsafe_allow_html=True)
    if ss.get("upload_results"):
        st.caption("New documents are tagged when a page next needs them (Overview, Compare, Explore).")

    st.divider()
    st.markdown("**Annotation files** — labels a person checked (CSV or JSONL, the format `stance annotations export` "
                "writes): rows are matched to stored sentences by id, else by text; importing a file twice changes nothing.")
    label_files = st.file_uploader("Annotation files", type=["csv", "jsonl"], accept_multiple_files=True,
                                   key=f"labels-uploader-{ss['upload_round']}")
    me = common.annotator()
    if label_files and not me:
        st.warning("Type your name under **Annotator** in the sidebar: it is recorded with rows that name no annotator.",
                   icon=":material/badge:")
    if st.button("Import the labels", icon=":material/upload:", disabled=not (label_files and me), key="labels_import"):
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for k, upload in enumerate(label_files):
                path = Path(tmp) / str(k) / Path(upload.name).name  # a folder each: two uploads may share a name
                path.parent.mkdir()
                path.write_bytes(upload.getvalue())
                paths.append(path)
            shown = re.compile(re.escape(tmp) + r"/\d+/")  # messages name the file as uploaded
            try:
                imported = store.import_files(paths, annotator=me, codebook=codebook)
            except StanceError as exc:  # every bad row, by file and line: nothing was imported
                ss["labels_import_result"] = {"error": shown.sub("", str(exc))}
            else:
                ss["labels_import_result"] = {"lines": [shown.sub("", line) for line in imported.lines()],
                                              "unmatched": [shown.sub("", str(u)) for u in imported.unmatched]}
        ss["upload_round"] += 1
        st.rerun()
    result = ss.get("labels_import_result")
    if result:
        if "error" in result:
            st.error(f"Nothing imported: {result['error']}", icon=":material/error:")
        else:
            st.success("; ".join(result["lines"]), icon=":material/check_circle:")
            for line in result["unmatched"][:20]:
                st.warning(line, icon=":material/warning:")

# --- source metadata ---------------------------------------------------------------------------
with sources_tab:
    st.caption("Who each source is: shown in every table and carried into every export.")
    counts = common.sources_view(loaded.key).set_index("source")
    meta = pd.DataFrame([{
        "id": s.id, "name": s.name, "outlet": s.outlet, "kind": s.kind, "country": s.country, "language": s.language, "date": s.date,
        "documents": int(counts["documents"].get(s.id, 0)) if s.id in counts.index else 0,
        "sentences": int(counts["sentences"].get(s.id, 0)) if s.id in counts.index else 0,
    } for s in store.sources().values()])
    edited = st.data_editor(meta, hide_index=True, width="stretch", key="sources_editor", disabled=["id", "documents", "sentences"])
    if st.button("Save the metadata", icon=":material/save:", key="sources_save"):
        changed = [Source(r["id"], r["name"] or r["id"], r["outlet"] or "", r["kind"] or "", r["country"] or "", r["language"] or "",
                          str(r["date"] or "")) for r in edited.to_dict("records")]
        store.update_sources(changed)
        st.toast("Saved the sources' metadata", icon=":material/check_circle:")
        st.rerun()

# --- exports -----------------------------------------------------------------------------------
with export_tab:
    c1, c2 = st.columns(2)
    topic = c1.selectbox("Topic", [None, *codebook.topic_ids], key="export_topic",
                         format_func=lambda t: "every topic" if t is None else common.name_of(codebook, t))
    voice = c2.selectbox("Voice", VOICES, key="export_voice", format_func={"all": "all sentences", "author": "authors' own voice",
                                                                          "quoted": "quoted voices"}.get)
    prov = provenance(codebook=codebook, model_version=loaded.model_version, sources=loaded.sources, inputs=[store.where],
                      options={"topic": topic, "voice": voice, "source": "dashboard"})
    model = common.predictions(store, common.get_tagger(store))
    table, sources = loaded.table, loaded.sources
    stamp = topic or "all-topics"

    def render(write, suffix: str) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"export{suffix}"
            written = write(path)
            return Path(written if isinstance(written, (str, Path)) else path).read_bytes()

    def sentences(fmt: str):
        def make() -> bytes:
            tagged = with_human_labels((t for doc in model.documents.values() for t in doc),
                                       store.current_labels(), store.boilerplate_overrides(), codebook=codebook)
            return render(lambda p: export_tagged(tagged, p, sources=sources, codebook=codebook, prov=prov, fmt=fmt), f".{fmt}")
        return make

    def comparison():
        return compare(table, codebook, topic=topic, voice=voice, terms=True)

    def comparison_file(fmt: str):
        return lambda: render(lambda p: write_comparison(comparison(), fmt, p, prov), f".{fmt}")

    def report() -> bytes:
        return render(lambda p: write_report(comparison(), p, prov), ".html")

    def chart(name: str, fmt: str):
        def make() -> bytes:
            figure = charting.charts(comparison())[name]
            return charting.to_png(figure) if fmt == "png" else charting.to_svg(figure).encode("utf-8")
        return make

    titles = {"csv": "CSV", "jsonl": "JSONL", "json": "JSON", "parquet": "Parquet", "xlsx": "Excel (XLSX)"}
    mimes = {"csv": "text/csv", "jsonl": "application/jsonl", "json": "application/json", "parquet": "application/vnd.apache.parquet",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "html": "text/html",
             "png": "image/png", "svg": "image/svg+xml"}
    st.markdown("**Every tagged sentence** — labels, scores, evidence, tone, speaker and provenance")
    cols = st.columns(len(EXPORT_FORMATS))
    for column, fmt in zip(cols, EXPORT_FORMATS):
        column.download_button(titles[fmt], sentences(fmt), file_name=f"stance-sentences.{fmt}", mime=mimes[fmt],
                               icon=":material/download:", key=f"dl-sentences-{fmt}", width="stretch", on_click="ignore")
    st.markdown(f"**The comparison** ({'every topic' if topic is None else common.name_of(codebook, topic)}, {voice} voices) — "
                "stance with intervals, frame mix, tests and their readings, distinctive terms, evidence")
    cols = st.columns(4)
    for column, fmt in zip(cols, ("json", "csv", "xlsx")):
        column.download_button(titles[fmt], comparison_file(fmt), file_name=f"stance-compare-{stamp}.{fmt}", mime=mimes[fmt],
                               icon=":material/download:", key=f"dl-compare-{fmt}", width="stretch", on_click="ignore")
    cols[3].download_button("HTML report", report, file_name=f"stance-report-{stamp}.html", mime=mimes["html"],
                            icon=":material/description:", key="dl-report", width="stretch", type="primary", on_click="ignore")
    st.markdown("**The human labels** — every annotator's and adjudicator's latest decisions, boilerplate marks "
                "included, as an annotation file (to import into another store, or to train on)")
    cols = st.columns(4)
    for column, fmt in zip(cols, ("csv", "jsonl")):
        column.download_button(titles[fmt], lambda fmt=fmt: render(lambda p: store.export_annotations(p), f".{fmt}"),
                               file_name=f"stance-annotations.{fmt}", mime=mimes[fmt], icon=":material/download:",
                               key=f"dl-annotations-{fmt}", width="stretch", on_click="ignore")
    st.markdown("**Charts**, offline, with one colour per frame")
    cols = st.columns(6)
    for k, (name, title) in enumerate((("stance", "Stance"), ("frame_mix", "Frame mix"), ("coverage", "Coverage"))):
        for j, fmt in enumerate(("png", "svg")):
            cols[2 * k + j].download_button(f"{title} {fmt.upper()}", chart(name, fmt), file_name=f"stance-{name}-{stamp}.{fmt}",
                                            mime=mimes[fmt], icon=":material/image:", key=f"dl-{name}-{fmt}", width="stretch", on_click="ignore")
