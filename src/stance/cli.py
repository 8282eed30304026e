"""The ``stance`` command: a thin shell over the library's functions.

Each command parses and checks its arguments, then calls a plain function. Errors that
stance raises on purpose are printed as one clear message (exit status 2), never as a
traceback.

One module on purpose: the commands are one click group, each a thin shell (options,
checks, one call), so a reader sees every option a user sees in one place; the work is in
the library modules the commands call.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click
import orjson

from . import __version__
from .errors import Errors, Reasons, StanceError, Warnings, likely_field
from .read import FORMATS, ROW_FORMATS
from .write import OUTPUT_FORMATS, TASK_FORMATS, atomic_output, check_output_folder

EXIT_BAD_INPUT = 2
EXIT_REJECTED = 3  # some records were rejected (listed, never silently dropped)


class GuardedGroup(click.Group):
    """Turns stance's own errors and OS errors into a one-line message and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (StanceError, OSError) as exc:
            if isinstance(exc, BrokenPipeError):
                sys.exit(0)
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stance")
def main() -> None:
    """Label replies to a post as supportive, critical or off-topic; train and evaluate
    models; measure how far annotators agree.

    Run `stance COMMAND --help` for each command's options.
    """


def _renamed(old: str, old_value: Any, new: str, new_value: Any) -> Any:
    """The value of an option given under its deprecated spelling ``old`` (with a warning on
    stderr) when its current spelling ``new`` is not given too; else ``new_value``."""
    if old_value is None:
        return new_value
    click.echo("Warning: " + Warnings.W001.format(old=old, new=new), err=True)
    source = click.get_current_context().get_parameter_source(new.lstrip("-").replace("-", "_"))
    return new_value if source is not None and source.name == "COMMANDLINE" else old_value


def _parse_where(where: tuple[str, ...]) -> dict[str, set[str]]:
    conditions: dict[str, set[str]] = {}
    for item in where:
        if "=" not in item:
            raise click.BadParameter(Errors.E025.format(item=item), param_hint="--where")
        field, values = item.split("=", 1)
        conditions.setdefault(field, set()).update(values.split(","))
    return conditions


@main.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Where to write the model (.stance).")
@click.option("--text-field", default="text", show_default=True, help="Field holding the reply text.")
@click.option("--label-field", default="label", show_default=True, help="Field holding the gold label.")
@click.option("--context-field", default="context", show_default=True, help="Field holding the post the stance is about (the thread's root post), if any.")
@click.option("--parent-field", default="parent", show_default=True, help="Field holding the post a reply answers, when that is another reply.")
@click.option("--target-field", default="target", show_default=True, help="Field holding the stance target, if any.")
@click.option("--prior", default="default", show_default=True, help="Model to start from: 'default' (the shipped model), a model file, or 'none' to learn from DATA alone.")
@click.option("--format", "input_format", type=click.Choice(ROW_FORMATS), default=None, help="Input format (detected by default).")
@click.option("--where", multiple=True, metavar="FIELD=V1[,V2]", help="Train only on rows whose FIELD is one of the values (repeatable).")
@click.option("--cv", type=click.IntRange(min=2), default=None, help="Also report repeated stratified K-fold cross-validation.")
@click.option("--cv-repeats", type=click.IntRange(min=1), default=5, show_default=True, help="Repeats of the K-fold split.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed; same data and seed give the same model.")
@click.option("--spacy-pipeline", default=None, help="With --prior none: spaCy pipeline, 'blank' (default) or an installed package such as en_core_web_sm.")
@click.option("--pipeline", default=None, hidden=True, help="Deprecated spelling of --spacy-pipeline.")
@click.option("--card", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write a Markdown model card here.")
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
def train(
    data: tuple[Path, ...], output: Path, text_field: str, label_field: str, context_field: str, parent_field: str,
    target_field: str, prior: str, input_format: str | None, where: tuple[str, ...], cv: int | None, cv_repeats: int,
    seed: int, spacy_pipeline: str | None, pipeline: str | None, card: Path | None, force: bool,
) -> None:
    """Train a model on one or more DATA files (JSONL, JSON, CSV or TSV rows with a text and a label,
    or Label Studio, Prodigy or doccano exports: one row per rating).

    By default the model starts from the shipped default model (--prior default), so that a
    few dozen labels of your own thread adjust what it already knows.
    """
    from .training import CENTRED_ON_PRIOR, ON_PRIOR_SCORES, cross_validate, train as train_model
    from .errors import InputError
    from .read import read_rows

    if output.exists() and not force:
        raise InputError(Errors.E023.format(path=output))
    for path in (output, card) if card else (output,):
        check_output_folder(path)  # before training, not after
    rows = []
    for path in data:
        skipped: Counter[str] = Counter()
        part = read_rows(
            path, format=input_format, fields=(text_field, label_field, context_field, parent_field, target_field),
            label_fields=(label_field,), skipped=skipped,
        )
        _report_skipped(path, skipped, len(part))
        _require_field(part, path, text_field, "reply text", "--text-field")
        _require_field(part, path, label_field, "label", "--label-field")
        rows += part
    conditions = _parse_where(where)
    rows = [r for r in rows if all(str(r.get(f)) in vals for f, vals in conditions.items())]
    fields = dict(
        text_field=text_field, label_field=label_field, context_field=context_field, parent_field=parent_field,
        target_field=target_field,
    )
    spacy_pipeline = _renamed("--pipeline", pipeline, "--spacy-pipeline", spacy_pipeline)
    options: dict[str, Any] = {"prior": None if prior.lower() == "none" else prior}
    if spacy_pipeline is not None:
        options["spacy_pipeline"] = spacy_pipeline
    cv_result = None
    if cv:
        cv_result = cross_validate(rows, folds=cv, repeats=cv_repeats, random_state=seed, **options, **fields)
        click.echo(_format_cv(cv_result), err=True)
    model = train_model(rows, random_state=seed, **options, **fields)
    model.metadata["training_file"] = ", ".join(path.name for path in data)
    if where:
        model.metadata["where"] = list(where)
    if cv_result:
        model.metadata["cv"] = {k: v for k, v in cv_result.items() if k not in ("out_of_fold", "gold")}
    digest = model.save(output)
    counts = ", ".join(f"{k} {v}" for k, v in model.metadata["label_counts"].items())
    click.echo(f"Trained on {model.metadata['n_examples']} rows ({counts}); wrote {output} (sha256 {digest}).", err=True)
    if model.metadata.get("method") == CENTRED_ON_PRIOR:
        click.echo(
            f"Started from the prior; how far these labels moved it: C = {model.metadata['chosen_C']:g} "
            f"({model.metadata['C_from']}; larger moves further).",
            err=True,
        )
    elif model.metadata.get("method") == ON_PRIOR_SCORES and "C_from" in model.metadata:
        click.echo(
            "Started from the prior; these labels are fitted better by an SVM on its scores than by moving it "
            f"(C = {model.metadata['chosen_C']:g}; {model.metadata['C_from']}).",
            err=True,
        )
    if card:
        from .card import model_card

        text = model_card(model, cv_result, command=" ".join(["stance", *sys.argv[2:]]) if sys.argv[1:2] == ["train"] else None)
        with atomic_output(card, force=True) as handle:
            handle.write(text.encode("utf-8"))
        click.echo(f"Wrote model card {card}.", err=True)


def _report_skipped(path: Path, skipped: Counter[str], kept: int) -> None:
    """Say on stderr how many rows of an annotation-tool export were not ratings, and why."""
    if skipped:
        from .read import describe_skipped

        click.echo("Note: " + Warnings.W350.format(path=path, skipped=describe_skipped(skipped), kept=kept), err=True)


def _require_field(rows: list[dict[str, Any]], path: Path, field: str, role: str, option: str) -> None:
    """Refuse a file where no row has ``field``: the name is wrong, not the rows."""
    if rows and not any(field in row for row in rows):
        from .errors import InputError

        available = list(dict.fromkeys(str(name) for row in rows[:100] for name in row))
        raise InputError(Errors.E207.format(
            path=path, role=role, field=field, available=", ".join(available[:20]) or "none", option=option,
            example=likely_field(field, available),
        ))


def _format_cv(result: dict[str, Any]) -> str:
    per_label = ", ".join(f"{k} {v:.3f}" for k, v in result["per_label_f1"].items())
    return (
        f"Cross-validation ({result['repeats']}x repeated stratified {result['folds']}-fold, {result['n_examples']} rows): "
        f"macro-F1 {result['macro_f1']['mean']:.3f} ± {result['macro_f1']['sd']:.3f}, "
        f"accuracy {result['accuracy']['mean']:.3f} ± {result['accuracy']['sd']:.3f}; per-label F1: {per_label}"
    )


@main.command()
@click.argument("gold", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("predicted", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--gold-field", default="label", show_default=True, help="Field with the gold label.")
@click.option("--pred-field", default="stance", show_default=True, help="Field with the predicted label.")
@click.option("--average", "average_labels", default=None, metavar="L1,L2", help="Also report F_avg, the mean F1 of these labels (e.g. critical,supportive).")
@click.option("--format", "input_format", type=click.Choice(ROW_FORMATS), default=None, help="Input format of GOLD (detected by default).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def evaluate(
    gold: Path, predicted: Path | None, gold_field: str, pred_field: str, average_labels: str | None, input_format: str | None, as_json: bool,
) -> None:
    """Score predictions against gold labels.

    Give GOLD and PREDICTED files whose rows line up, or one file that holds both the
    gold field and the predicted field (a Label Studio export with predictions: --pred-field prediction).
    """
    from .errors import InputError
    from .evaluate import format_scores, scores
    from .read import read_rows

    skipped: Counter[str] = Counter()
    fields = (gold_field,) if predicted else (gold_field, pred_field)
    gold_rows = read_rows(gold, format=input_format, fields=fields, label_fields=fields, skipped=skipped)
    _report_skipped(gold, skipped, len(gold_rows))
    pred_rows = read_rows(predicted, fields=(pred_field,), label_fields=(pred_field,)) if predicted else gold_rows
    if len(gold_rows) != len(pred_rows):
        raise InputError(Errors.E030.format(n_gold=len(gold_rows), n_pred=len(pred_rows), gold_field=gold_field, pred_field=pred_field))

    def column(rows: list[dict[str, Any]], field: str, path: Path, option: str) -> list[str]:
        values = []
        for number, row in enumerate(rows, start=1):
            if row.get(field) is None:
                raise InputError(Errors.E031.format(number=number, path=path, field=field, available=", ".join(map(str, row)), option=option))
            values.append(str(row[field]))
        return values

    result = scores(
        column(gold_rows, gold_field, gold, "--gold-field"),
        column(pred_rows, pred_field, predicted or gold, "--pred-field"),
        average_labels=average_labels.split(",") if average_labels else None,
    )
    click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() if as_json else format_scores(result))


@main.command()
@click.argument("data", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Where to write the labelled rows (.jsonl, .csv, .tsv or .parquet); with --dask, a directory.")
@click.option("-m", "--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Model file (default: the shipped model).")
@click.option("--trust-pickle", is_flag=True, help="Allow a model file written before stance 0.2 (a pickle, which runs code when loaded): only for files you trust.")
@click.option("--format", "input_format", type=click.Choice(FORMATS), default=None, help="Input format (detected from the content by default).")
@click.option("--to", "output_to", type=click.Choice(OUTPUT_FORMATS), default=None, help="Output format (default: from the output's extension, else JSONL); label-studio or prodigy write tasks with the model's labels as pre-annotations.")
@click.option("--text-field", default=None, help="Field (or path such as record.text) with the reply text. [default: text, or the platform format's own field]")
@click.option("--id-field", default=None, help="Field with each record's id, copied into error records.")
@click.option("--context-field", default=None, help="Field with the post replied to. [default: context, or the parent post for platform formats]")
@click.option("--target-field", default="target", show_default=True, help="Field with the stance target, if any.")
@click.option("--min-confidence", type=float, default=None, metavar="P", help="Label rows whose top probability is below P 'uncertain' (the model's label goes to stance_top).")
@click.option("--explain", type=click.IntRange(min=0), default=0, metavar="N", help="Add stance_reasons: the N features that pushed each row towards its label (slower).")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Where to write rejected records. [default: <output name>.errors.jsonl beside the output]")
@click.option("--strict", is_flag=True, help="Stop at the first bad record instead of listing it and going on.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run of the same command.")
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.option("-j", "--jobs", type=int, default=1, show_default=True, help="Worker processes; -1 uses every core. Output order is input order.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=2000, show_default=True, help="Records per model call and per checkpoint (for JSONL and text input: lines, blank ones included).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, hidden=True, help="Deprecated spelling of --chunk-size.")
@click.option("--checkpoint-every", "checkpoint_seconds", type=click.FloatRange(min=0), default=1.0, show_default=True, help="Seconds between resume checkpoints (0: after every chunk); a resumed run redoes at most this much work.")
@click.option("--dask", "dask_scheduler", default=None, metavar="SCHEDULER", help="Label each DATA file (or quoted pattern such as 'dumps/*.jsonl.zst') as one task on a Dask cluster: a scheduler address, a scheduler .json file, or local:N to start N worker processes here. -o is then a directory (needs stance[dask]).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary (unless records were rejected).")
def label(
    data: tuple[str, ...], output: Path, model_path: Path | None, trust_pickle: bool, input_format: str | None, output_to: str | None,
    text_field: str | None, id_field: str | None, context_field: str | None, target_field: str,
    min_confidence: float | None, explain: int, errors_path: Path | None, strict: bool, resume: bool, force: bool,
    jobs: int, chunk_size: int, batch_size: int | None, checkpoint_seconds: float, dask_scheduler: str | None, quiet: bool,
) -> None:
    """Label every reply in DATA ('-' for stdin) and write them with `stance` and `stance_proba` added.

    DATA may be JSONL, a JSON array, CSV/TSV, plain text (one reply per line), X API v2
    pages, an X archive tweets.js, Mastodon statuses, Bluesky posts or Parquet, and may
    be compressed (gzip, bzip2, xz, zstandard); format and compression are detected from
    the content. Bad records never stop the run: each goes to the errors file with its
    number and reason, and the exit status is 3. Exit status 2 means bad arguments, an
    input that cannot be read (or where no record has the text field), an unusable model,
    or an output that cannot be written. An interrupted run (Ctrl-C, a full disk)
    continues with --resume; a second run on the same output refuses to start.

    With --dask, each DATA file is labelled on a Dask cluster into the directory -o: one
    output and one errors file per input, the same bytes as `stance label FILE` writes.
    Running the same command again skips the files already complete.
    """
    chunk_size = _renamed("--batch-size", batch_size, "--chunk-size", chunk_size)
    if dask_scheduler is not None:
        conflicts = [name for name, given in (("--resume", resume), ("--errors", errors_path is not None), ("--jobs", jobs != 1)) if given]
        if conflicts:
            raise click.UsageError(Errors.E336.format(
                options=", ".join(conflicts),
                why="each file is one task that resumes by itself, writes its errors beside its output, and runs in one worker process",
            ))
        _label_on_dask(
            list(data), output, dask_scheduler, model_path=model_path, trust_pickle=trust_pickle, to=output_to, force=force, quiet=quiet,
            format=input_format, text_field=text_field, id_field=id_field, context_field=context_field,
            target_field=target_field or None, min_confidence=min_confidence, explain=explain, strict=strict,
            chunk_size=chunk_size, checkpoint_seconds=checkpoint_seconds,
        )
        return
    if len(data) != 1:
        raise click.UsageError(Errors.E346.format(n=len(data)))
    data = data[0]
    if output.is_dir():
        raise click.UsageError(Errors.E347.format(path=output))
    import gc  # imported here: the --dask client above needs neither spaCy nor the model

    from .batch import label_file
    from .model import resolve_model

    model = resolve_model(model_path, trust_pickle=trust_pickle)
    # The model and the imported modules live until the process ends; freezing them keeps
    # the garbage collector from rescanning them on every collection.
    gc.freeze()
    try:
        summary = label_file(
            data, output, model=model, format=input_format, to=output_to, text_field=text_field,
            id_field=id_field, context_field=context_field, target_field=target_field or None,
            min_confidence=min_confidence, explain=explain, errors=errors_path, strict=strict, force=force, resume=resume,
            jobs=jobs, chunk_size=chunk_size, progress=not quiet and sys.stderr.isatty(),
            checkpoint_seconds=checkpoint_seconds,
        )
    except KeyboardInterrupt:
        click.echo(f"\nInterrupted. Run the same command with --resume to continue where it stopped ({output}).", err=True)
        sys.exit(130)
    if not quiet or summary.exit_code:
        click.echo(summary.describe(), err=True)
    sys.exit(summary.exit_code)


def _label_on_dask(
    data: list[str], output: Path, scheduler: str, *, model_path: Path | None, trust_pickle: bool, to: str | None,
    force: bool, quiet: bool, **options: Any,
) -> None:
    """`stance label --dask`: connect (or start a LocalCluster), label the files, report."""
    from .dask import connect, label_files, parse_scheduler, pending, require_dask
    from .errors import InputError

    require_dask("--dask")
    parse_scheduler(scheduler)  # a bad value fails before a cluster starts
    if output.exists() and not output.is_dir():
        raise InputError(Errors.E332.format(path=output))
    if not pending(data, output, to=to, force=force):  # a re-run with nothing left: no cluster needed
        client, cluster = None, None
    else:
        client, cluster = connect(scheduler)
    try:
        summary = label_files(
            data, output, client=client, model=model_path, trust_pickle=trust_pickle, to=to, force=force, progress=not quiet, **options
        )
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    if not quiet or summary.exit_code or summary.failures:
        click.echo(summary.describe(), err=True)
    if summary.failures:
        failures = "; ".join(f"{path}: {why}" for path, why in summary.failures.items())
        raise InputError(Errors.E344.format(n=len(summary.failures), total=summary.files, failures=failures))
    sys.exit(summary.exit_code)


@main.command()
@click.argument("dump", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--annotator", required=True, help="Your name; it is stored with every answer.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Labels file (JSONL); answers are appended, and a restart continues it.")
@click.option("--labels", "label_list", default=None, help="Comma-separated label set; each label gets a key. [default: the shipped model's labels, stance.DEFAULT_LABELS]")
@click.option("--queue", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Show only these items, in this order (e.g. from `stance suggest`).")
@click.option("--text-field", default="text", show_default=True)
@click.option("--id-field", default="id", show_default=True, help="Field with each item's unique id (record numbers if no record has it).")
@click.option("--context-field", default="context", show_default=True, help="Field with the post replied to, shown above the reply.")
def annotate(
    dump: Path, annotator: str, output: Path, label_list: str | None, queue: Path | None,
    text_field: str, id_field: str, context_field: str,
) -> None:
    """Label the replies in DUMP by hand, one key per answer.

    Keys: the first free letter of each label (s supportive, c critical, o off-topic by
    default), u undo, k skip, q quit. Every answer is saved at once; run the same command
    again to continue where you stopped. Undo rewrites the file atomically, so it only
    ever holds current answers, in the item/annotator/label format `stance agree` reads.
    """
    from .annotate import LabelFile, annotate as run, assign_keys, load_items, load_queue, order_items

    if label_list is None:
        from .scoring import DEFAULT_LABELS

        label_list = ",".join(DEFAULT_LABELS)
    keys = assign_keys([label for label in label_list.split(",")])
    items = load_items(dump, text_field=text_field, id_field=id_field, context_field=context_field)
    if queue is not None:
        items = order_items(items, load_queue(queue, id_field=id_field), queue_path=queue)
    if not annotator.strip():
        raise click.BadParameter(Errors.E026, param_hint="--annotator")
    check_output_folder(output)
    labels_file = LabelFile(output, annotator.strip())
    repaired = labels_file.repair()
    if repaired:
        click.echo("Warning: " + repaired, err=True)
    session = run(items, labels_file, keys)
    click.echo(
        f"\nSaved {session.labelled} label(s) this session to {output} ({session.undone} undone, {session.skipped} skipped). "
        f"{annotator} has labelled {session.total_done} of {len(items)}."
    )
    click.echo("All items are labelled." if session.finished else "Run the same command again to continue.")


@main.command()
@click.argument("dump", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-m", "--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Model file (default: the shipped model).")
@click.option("--trust-pickle", is_flag=True, help="Allow a model file written before stance 0.2 (a pickle, which runs code when loaded): only for files you trust.")
@click.option("-n", "n", type=click.IntRange(min=1), default=50, show_default=True, help="How many replies to suggest.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Where to write the suggestions, best first.")
@click.option("--to", "output_to", type=click.Choice(("jsonl", *TASK_FORMATS)), default="jsonl", show_default=True, help="jsonl (for stance annotate), or label-studio / prodigy tasks with the model's labels as pre-annotations.")
@click.option("--strategy", type=click.Choice(["margin", "entropy", "random"]), default="margin", show_default=True, help="Uncertainty measure, or random as a control.")
@click.option("--diversity", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True, help="Weight of the penalty on similarity to earlier picks (0 = uncertainty only).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--exclude", type=click.Path(dir_okay=False, path_type=Path), multiple=True, help="Labels file(s) from `stance annotate`; their items are not suggested (repeatable).")
@click.option("--text-field", default="text", show_default=True)
@click.option("--id-field", default="id", show_default=True)
@click.option("--context-field", default="context", show_default=True)
@click.option("--target-field", default="target", show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
def suggest(
    dump: Path, model_path: Path | None, trust_pickle: bool, n: int, output: Path, output_to: str, strategy: str, diversity: float, seed: int,
    exclude: tuple[Path, ...], text_field: str, id_field: str, context_field: str, target_field: str, force: bool,
) -> None:
    """Suggest the N replies in DUMP most worth labelling next.

    Each output row is the input record plus `item`, `rank`, `score` (the model's
    uncertainty, 0 to 1), `max_similarity` (to earlier picks), `stance` and
    `stance_proba`. Feed it to `stance annotate DUMP --queue OUTPUT`.
    """
    from .annotate import LabelFile, load_items
    from .model import resolve_model
    from .errors import InputError
    from .read import get_field
    from .suggest import suggest as pick, suggestion_rows
    from .write import write_rows

    if output.exists() and not force:
        raise InputError(Errors.E023.format(path=output))
    check_output_folder(output)
    items = load_items(dump, text_field=text_field, id_field=id_field, context_field=context_field)
    labelled: set[str] = set()
    for path in exclude:
        labelled |= {str(r["item"]) for r in LabelFile(path, "").records()}
    skip = [i for i, item in enumerate(items) if item.id in labelled]
    if len(skip) == len(items):
        raise InputError(Errors.E067.format(path=dump, reason=Reasons.ALL_LABELLED.format(n=len(items), files=", ".join(map(str, exclude)))))
    model = resolve_model(model_path, trust_pickle=trust_pickle)
    examples = [
        {"text": item.text, "context": item.context, "target": get_field(item.fields, target_field)} for item in items
    ]
    picks, proba = pick(model, examples, n, strategy=strategy, diversity=diversity, seed=seed, exclude=skip)  # type: ignore[arg-type]
    rows = suggestion_rows(items, picks, proba, model.labels, strategy)
    if output_to in TASK_FORMATS:
        from .tasks import model_version, write_tasks

        texts = [items[p.index].text for p in picks]
        write_tasks(output, zip(rows, texts), output_to, labels=model.labels, model_version=model_version(model.metadata), force=force)
        then = f"Import them into {'Label Studio' if output_to == 'label-studio' else 'Prodigy'}; the model's label is pre-selected."
    else:
        write_rows(output, rows, to="jsonl", force=force)
        then = f"Label them with: stance annotate {dump} --queue {output} --annotator NAME -o labels.jsonl"
    left = len(items) - len(skip)
    click.echo(f"Suggested {len(rows)} of {left} unlabelled replies ({strategy}, diversity {diversity}) into {output}. {then}", err=True)


@main.command()
@click.argument("labelled", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", default=None, metavar="FIELD[:day]", help="Also count per value of FIELD (e.g. author.id); FIELD:day, :month, :year or :hour groups dates.")
@click.option("--field", default="stance", show_default=True, help="Field with the label.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Save a bar chart (PNG, SVG or PDF) here.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--force", is_flag=True, help="Overwrite an existing plot file.")
def summarize(labelled: Path, by: str | None, field: str, plot: Path | None, as_json: bool, force: bool) -> None:
    """Count the labels in LABELLED (output of `stance label`): shares with 95% Wilson CIs.

    A record that cannot be read is not counted; it is reported on stderr with its number
    and reason, and the exit status is then 3 (as for `stance label`).
    """
    from .errors import InputError
    from .summarize import describe_rejected, format_summary, plot_summary, summarize as summarize_file

    if plot is not None and plot.exists() and not force:
        raise InputError(Errors.E023.format(path=plot))
    if plot is not None:
        check_output_folder(plot)
    result = summarize_file(labelled, by=by, field=field)
    click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() if as_json else format_summary(result))
    if plot is not None:
        plot_summary(result, plot)
        click.echo(f"Saved the chart to {plot}.", err=True)
    rejected = describe_rejected(result)
    if rejected:
        click.echo(rejected, err=True)
        sys.exit(EXIT_REJECTED)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--on", "on_field", default=None, metavar="ID_FIELD", help="FILES hold one annotator each (named by the file name), joined on this id field.")
@click.option("--label-field", default="label", show_default=True, help="Field holding the label.")
@click.option("--item-field", default="item", show_default=True, help="Long format: field holding the item id.")
@click.option("--annotator-field", default="annotator", show_default=True, help="Long format: field holding the annotator.")
@click.option("--labels", "labels_option", default=None, metavar="L1,L2,...", help="The allowed labels; any other label is an error. Also sets the label count for Gwet's AC1.")
@click.option("-m", "--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Add this model as one more annotator and report model-vs-human agreement.")
@click.option("--trust-pickle", is_flag=True, help="Allow a model file written before stance 0.2 (a pickle, which runs code when loaded): only for files you trust.")
@click.option("--text-field", default="text", show_default=True, help="With --model: field holding the text to label.")
@click.option("--context-field", default="context", show_default=True, help="With --model: field holding the post replied to, if any.")
@click.option("--target-field", default="target", show_default=True, help="With --model: field holding the stance target, if any.")
@click.option("--n-boot", type=click.IntRange(min=0), default=1000, show_default=True, help="Bootstrap resamples for the 95% intervals (0: none).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True, help="How many of the most disagreed items to list.")
@click.option("--format", "input_format", type=click.Choice(ROW_FORMATS), default=None, help="Input format (detected by default).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def agree(
    files: tuple[Path, ...], on_field: str | None, label_field: str, item_field: str, annotator_field: str,
    labels_option: str | None, model_path: Path | None, trust_pickle: bool, text_field: str, context_field: str, target_field: str,
    n_boot: int, seed: int, top: int, input_format: str | None, as_json: bool,
) -> None:
    """How far annotators agree: percent agreement, Cohen's, Fleiss' and Krippendorff's
    coefficients and Gwet's AC1, with 95% bootstrap intervals.

    FILES are long format (one rating per row: item, annotator, label; CSV or JSONL; a
    Label Studio or Prodigy export is read so), or, with --on ID, one file per annotator. With --model, the model labels every item too,
    and its agreement with the humans is shown beside the humans' with each other.
    """
    from .agreement import compare, format_report, read_annotations
    from .errors import InputError

    if not files:
        raise InputError(Errors.E312.format(fields=", ".join((item_field, annotator_field, label_field))))
    labels = None
    if labels_option is not None:
        labels = [part.strip() for part in labels_option.split(",")]
        if not all(labels):
            raise InputError(Errors.E316.format(value=labels_option))
    text_fields = {"text": text_field, "context": context_field, "target": target_field} if model_path else None
    skipped: dict[Path, tuple[Counter[str], int]] = {}
    rows, examples = read_annotations(
        files, on=on_field, item_field=item_field, annotator_field=annotator_field, label_field=label_field,
        labels=labels, text_fields=text_fields, format=input_format, skipped=skipped,
    )
    for path, (counts, used) in skipped.items():
        _report_skipped(path, counts, used)
    report = compare(rows, labels=labels, n_boot=n_boot, seed=seed)
    model_vs_human = None
    if model_path is not None:
        from .agreement import model_versus_humans
        from .model import load_model

        name = "model" if "model" not in report.annotators else f"model:{model_path.stem}"
        model_vs_human = model_versus_humans(
            rows, report, load_model(model_path, trust_pickle=trust_pickle), examples, name=name, labels=labels, n_boot=n_boot, seed=seed, text_field=text_field,
        )
    if as_json:
        result = report.to_dict(disagreements=top)
        if model_vs_human is not None:
            result["model_vs_human"] = model_vs_human
        click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(format_report(report, model_vs_human=model_vs_human, top=top))


@main.command()
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing NEW file.")
def convert(old: Path, new: Path, force: bool) -> None:
    """Rewrite model file OLD, written before stance 0.2, in the current format as NEW.

    OLD is a pickle, and loading it runs code: convert only files whose source you trust.
    NEW holds the same model as JSON and arrays, and loading it never runs code.
    """
    from .errors import InputError
    from .model import load_model

    if new.exists() and not force:
        raise InputError(Errors.E023.format(path=new))
    model = load_model(old, trust_pickle=True)
    from .artifact import FORMAT_VERSION

    found = model.metadata.get("format")
    digest = model.save(new)
    click.echo(f"Converted {old} (format {found}) to {new} (format {FORMAT_VERSION}, sha256 {digest}).", err=True)
