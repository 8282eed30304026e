"""Every user-facing message and exception class in one place.

Messages say what was wrong, what is valid, and how to fix it. Exceptions subclass
built-in ones so callers can catch what they already know (``ValueError``,
``FileNotFoundError``).

Besides the exception messages (:class:`Errors`) there are the reasons one record is
rejected, which go into the errors file beside its number and raw input, or a file or
table is unusable (:class:`Reasons`), the notes on how an agreement coefficient was
computed (:class:`Notes`), the warnings (:class:`Warnings`), four helpers that find or list
the offending rows or values inside a message or report, and two that put a missing input file or a
failed write into words (:func:`missing_file`, :func:`write_reason`).

One module on purpose, however long: keeping every message in one place (as spaCy's
``errors.py`` does) is what lets them be read side by side, worded alike and never
defined twice.
"""

from __future__ import annotations

import difflib
import errno
import itertools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class StanceError(Exception):
    """Base class for all errors raised on purpose by ``stance``."""


class InputError(StanceError, ValueError):
    """An input file, record or argument is unusable."""


class ModelNotFoundError(StanceError, FileNotFoundError):
    """A model file does not exist."""


class ModelIntegrityError(StanceError, ValueError):
    """A model file is corrupt, truncated, tampered with or not a stance model."""


class ModelVersionError(ModelIntegrityError):
    """A model file was written by an incompatible version of stance or its dependencies."""


class NotFittedError(StanceError, ValueError):
    """A model or transformer was used before it was trained."""


class OutputError(StanceError, OSError):
    """An output cannot be written: its folder is missing or read-only, the disk is full, or
    another run is writing it. ``errno`` is the operating system's code, when there is one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.errno = code


class Errors:
    """Message templates, formatted with ``str.format``."""

    E001 = (
        "No model file at '{path}'. Train one with `stance train DATA.jsonl -o {path}` "
        "or omit --model to use the shipped default model."
    )
    E002 = (
        "'{path}' is not a stance model file: {reason}. Model files are written by "
        "`stance train` or `StanceModel.save()`; re-create it with `stance train`."
    )
    E003 = (
        "Model file '{path}' failed its integrity check: the payload's sha256 is {actual} "
        "but its header records {expected}. The file is corrupt or was modified after it "
        "was saved. Do not load it; re-download it from a trusted source or retrain it."
    )
    E004 = (
        "Model file '{path}' has format version {found}, but this stance {version} reads "
        "format versions {supported}. Retrain the model with `stance train`, or install "
        "the stance version that wrote it ({written_by})."
    )
    E005 = (
        "Model file '{path}' was written with {package} {found}, but {installed} is "
        "installed and the model needs {package} {required}. Install a matching version "
        "(`pip install '{package}{required}'`) or retrain the model with `stance train`."
    )
    E006 = (
        "Model file '{path}' has sha256 {actual}, not the expected {expected}. Refusing to "
        "load it: only load model files whose hash you trust."
    )
    E010 = (
        "Training data has no usable rows: {reason}. Each row needs a non-empty string "
        "in the text field ('{text_field}') and a label in the label field ('{label_field}')."
    )
    E011 = (
        "Training data has only one label ({label!r}), that is one class: a classifier "
        "needs at least two different labels; add examples of the other labels."
    )
    E012 = (
        "Training labels {spellings} differ only in case or in spaces around them, so they "
        "would be learned as different labels. Write each label one way in the label field "
        "('{label_field}'), for example as {suggestion}."
    )
    E013 = (
        "Examples must be strings or mappings with a '{text_field}' key; item {index} is "
        "a {kind}."
    )
    E014 = (
        "`{name}` must be one string (shared by all texts) or a sequence with one string "
        "per text; got {n_values} values for {n_texts} texts."
    )
    E015 = (
        "This {name} is not trained yet. Call `fit` (or `stance.train`) before `{method}`."
    )
    E016 = (
        "Unknown spaCy pipeline {name!r}: it is not installed, and stance never downloads "
        "models. Use 'blank' (the default, no download), install the package yourself "
        "(for example `pip install en_core_web_sm` from a source you trust) and pass its name, "
        "or pass the folder of a pipeline saved with nlp.to_disk."
    )
    E020 = (
        "Cannot read '{path}': {reason}."
    )
    E021 = (
        "'{path}' line {number}: {reason}."
    )
    E022 = (
        "'{path}' has no rows. Give a file with at least one record."
    )
    E023 = (
        "Output '{path}' already exists. Pass --force to overwrite it."
    )
    E024 = (
        "No field {field!r} in '{path}' (record {number}). Available fields: {available}. "
        "Choose one with {option}."
    )
    E025 = (
        "{item!r} is not FIELD=VALUE[,VALUE...]. Give a field and the values to keep, for "
        "example --where target=abortion,atheism."
    )
    E026 = (
        "must not be empty. Give your name, for example --annotator ana; it is stored with "
        "every answer."
    )
    E030 = (
        "Gold and predicted files differ in length: {n_gold} gold rows, {n_pred} predicted "
        "rows. Evaluate files whose rows line up, or one file with both '{gold_field}' and "
        "'{pred_field}'."
    )
    E031 = (
        "Row {number} of '{path}' has no {field!r} field. Available fields: {available}. "
        "Name the field with {option}."
    )
    # --- annotate and suggest (E060-E079) -------------------------------------------
    E060 = (
        "--labels needs at least two non-empty labels separated by commas; got {labels}. "
        "Example: --labels supportive,critical,off-topic."
    )
    E061 = (
        "--labels lists {duplicated} more than once. Give each label once."
    )
    E062 = (
        "Cannot give each of the {n} labels its own key (letters of the label, then digits "
        "1-9, never u/k/q). Use fewer labels."
    )
    E063 = (
        "'{path}': records {numbers} have no {field!r} id while others do. Give every record "
        "an id, or choose another field with --id-field."
    )
    E064 = (
        "'{path}': the {field!r} ids repeat: {repeated}. Each item needs a unique id so its "
        "labels can be matched; choose another field with --id-field or de-duplicate the file."
    )
    E065 = (
        "Queue '{path}' names {n} items that are not in the dump: {ids}. Make the queue from "
        "the same dump (`stance suggest DUMP ...`) and use the same --id-field."
    )
    E066 = (
        "Labels file '{path}' line {number}: {reason}. It should hold only lines written by "
        "`stance annotate`; move the file aside or fix that line."
    )
    E067 = (
        "Nothing to suggest from '{path}': {reason}."
    )
    E068 = (
        "Unknown strategy {strategy!r}. Use one of: {valid}."
    )
    E069 = (
        "--diversity must be between 0 (uncertainty only) and 1 (diversity only); got {value}."
    )
    # --- batch labelling: read, label, write, summarize (E040-E059) -------------------
    E040 = (
        "Unknown input format {format!r}. Use one of: {formats} (or omit --format to detect it "
        "from the content)."
    )
    E041 = (
        "Writing Parquet needs pyarrow, which is not installed. Install it with "
        "`pip install 'stance[parquet]'`, or write JSONL or CSV instead (--to jsonl)."
    )
    E042 = (
        "Unknown output format {format!r}. Use jsonl, csv, tsv or parquet (--to), or give the "
        "output one of the extensions .jsonl, .csv, .tsv, .parquet."
    )
    E043 = (
        "An interrupted run left its progress for '{output}' in '{progress}'. Pass --resume to "
        "continue it, or --force to start again from the beginning."
    )
    E044 = (
        "Cannot resume '{output}': {reason}. Resume with the same input and options as the "
        "interrupted run, or pass --force (without --resume) to start again."
    )
    E045 = (
        "--min-confidence must be between 0 and 1; got {value}. For example --min-confidence 0.6 "
        "marks rows whose top probability is below 60% as 'uncertain'."
    )
    E046 = (
        "--jobs must be a positive number of processes or -1 for all cores; got {value}."
    )
    E047 = (
        "The errors file '{path}' is the input or the output. Choose another path with --errors."
    )
    E048 = (
        "The output '{path}' is the input file. Write the labelled rows to a new file."
    )
    E049 = (
        "Stopped at the first bad record (--strict): {unit} {number}: {reason}. Its raw input "
        "is in '{errors}'. Fix it, or run without --strict to label the rest and list every "
        "bad record there."
    )
    E050 = (
        "'{path}' has no {field!r} field in any row, so there is nothing to count. Fields in "
        "the first row: {available}. Label the file with `stance label` first, or pass --field."
    )
    E051 = (
        "Plotting needs matplotlib, which is not installed. Install it with "
        "`pip install matplotlib`."
    )
    E052 = (
        "Unknown time bucket {bucket!r} in --by {by!r}. Use FIELD:year, FIELD:month, FIELD:day "
        "or FIELD:hour, for example --by created_at:day."
    )
    E053 = (
        "Unknown output format {format!r} for these rows. Use one of: {formats}; Parquet is "
        "written only by `stance label` (--to parquet)."
    )
    E054 = (
        "{n} records of '{path}' could not be read and were not counted: {examples}. Fix or "
        "remove them (they are not rows written by `stance label`), or ignore this if the "
        "counts above are what you need."
    )
    E055 = (
        "A worker process (pid {pid}) died, exit code {code}, while labelling. Its chunk is "
        "lost with it: run the same command with --resume to label it again (with fewer "
        "--jobs if memory ran out)."
    )
    E056 = (
        "Cannot go back from byte {position} to byte {offset} of '{path}': a byte source only "
        "reads forwards. Open the input again to start over."
    )
    E057 = (
        "max_lines must be at least 1; got {value}. Give the number of lines per block."
    )
    # --- files that are not there, outputs that cannot be written, faults (E200-E219) ---
    E200 = (
        "Cannot write '{path}': the folder '{folder}' does not exist, and stance does not "
        "create folders. Create it first (`mkdir -p {folder}`) or choose another path."
    )
    E201 = (
        "Cannot write '{path}': {reason}. Choose a folder you can write to, or change the "
        "permissions of '{folder}'."
    )
    E202 = (
        "Cannot write '{path}': {reason}. Nothing was put in its place{kept}. Free some "
        "space (or raise the limit), then run the command again."
    )
    E203 = (
        "Stopped: cannot write the output of this run to '{folder}': {reason}. Nothing was "
        "put in place of '{output}'; the {records} records done by the last checkpoint are "
        "kept beside it, in '{partial}'. Free some space (or raise the limit), then run the "
        "same command with --resume to go on from there."
    )
    E204 = (
        "Stopped: cannot write the output of this run to '{folder}': {reason}. Nothing was "
        "put in place of '{output}', and no partial file is left. Free some space (or raise "
        "the limit), then run the same command again."
    )
    E205 = (
        "Another `stance label` run{pid} is writing '{path}' right now (it holds '{lock}'). "
        "Two runs on one output would mix their rows: wait for it to finish, or stop it and "
        "run this command with --resume, or write to another path."
    )
    E206 = (
        "No record of '{path}' has the text field {field!r}, so nothing was labelled and no "
        "output was written. Fields in its records: {available}. Name the field that holds "
        "the reply text with --text-field, for example --text-field {example}."
    )
    E207 = (
        "No row of '{path}' has the {role} field {field!r}. Fields in its rows: {available}. "
        "Name the field that holds the {role} with {option}, for example {option} {example}."
    )
    E208 = (
        "Cannot save the answer for item {item!r} in labels file '{path}': {reason}. The file "
        "holds every earlier answer and nothing of this one. Free some space (or fix the "
        "folder's permissions), then run the same command again to go on from this item."
    )
    E209 = (
        "Cannot undo in labels file '{path}': {reason}. The file is unchanged, so the answer "
        "for item {item!r} is still in it. Free some space, remove that answer's line from the "
        "file by hand, then run the same command again to label the item anew."
    )
    # --- agreement (E300-E329); E320+ are reasons a coefficient is undefined (None) ----
    # Models: featurizing, training, priors, model files (E100-E199).
    E100 = (
        "classify() takes texts, not a DataFrame: it would read the column names as texts. "
        "Use `stance.label_frame(df, text='column')`, which returns the frame with "
        "`stance` and `stance_proba_<label>` columns, or pass `df['column']`."
    )
    E101 = "word_ngrams must be 1, 2 or 3, not {value!r}."
    E102 = "char_ngrams must be (low, high) with 1 <= low <= high, or None; not {value!r}."
    E103 = (
        "Texts at positions {positions} are missing (None, NaN or NA), so they cannot be "
        "labelled. Drop or fill them, or pass errors='mark' to get a null stance and a "
        "reason for each."
    )
    E104 = "errors must be 'raise' or 'mark', not {value!r}."
    E105 = (
        "Unknown prior {value!r}: use 'default' (the shipped model), a path to a model "
        "file, a loaded StanceModel, or None to train without one."
    )
    E106 = (
        "'{path}' is a model file of format {found}, written before stance 0.2: it holds "
        "pickles, and loading a pickle can run code. If you trust where the file came "
        "from, load it with `stance.load_model(path, trust_pickle=True)` (or "
        "`--trust-pickle`), and convert it once with `stance convert OLD NEW`; the new "
        "file loads without running any code."
    )
    E108 = (
        "Feature parameters ({params}) apply only to a model trained without a prior: "
        "with a prior, the prior's featurizer is used as it is. Pass prior=None "
        "(`--prior none`) to choose the features yourself."
    )
    E109 = (
        "from_pipeline needs a fitted pipeline of two steps, SpacyFeatures then a linear "
        "classifier with coef_, intercept_ and classes_ (LogisticRegression, LinearSVC, "
        "SGDClassifier, RidgeClassifier, LinearStanceClassifier); got {steps}."
    )
    E110 = "labels has {n_labels} names but the classifier has {n_classes} classes; give one name per class, in classes_ order."
    E111 = (
        "This model file's featurizer has parameters this version of stance does not know "
        "({params}): it was written by a newer stance. "
        "Upgrade stance (`pip install -U stance`, or reinstall from the repository) to load it."
    )
    E107 = (
        "Cross-validation needs at least 2 examples of every label; {counts} has a label "
        "with fewer. Label more replies of that kind, or leave --cv out."
    )

    E300 = (
        "Annotation {index} is {kind}. Each annotation must be an (item, annotator, label) "
        "tuple or a mapping with 'item', 'annotator' and 'label' keys."
    )
    E301 = (
        "Annotation {index} has no {key!r}. Available keys: {available}. Each annotation needs "
        "an 'item', an 'annotator' and a 'label' (a missing label, None or '', counts as no rating)."
    )
    E302 = (
        "There are no ratings to compare: {reason}. Give (item, annotator, label) annotations; "
        "a label of None, NaN or '' counts as no rating."
    )
    E303 = (
        "Labels {found} are not among the allowed labels ({allowed}); items with them: {items}. "
        "Fix those labels, or add them to `labels` (--labels on the command line)."
    )
    E304 = (
        "Item {item!r} has conflicting labels from annotator {annotator!r}: {labels} "
        "(annotations {rows}). An annotator may label an item once; reconcile the duplicates."
    )
    E305 = (
        "`labels` must list each label once and not be empty; got {labels!r}."
    )
    E306 = (
        "No annotator {name!r} in this report. Annotators: {available}."
    )
    E307 = (
        "The annotations frame has no column {column!r}. Columns: {available}. Rename the "
        "columns to 'item', 'annotator' and 'label'."
    )
    E308 = (
        "n_boot must be 0 (no confidence intervals) or at least 2; got {n_boot}."
    )
    E309 = (
        "`{name}` must be a 2-D table of non-negative whole-number counts{shape}; {reason}."
    )
    E310 = (
        "'{path}' line {number}: annotator {annotator!r} labels item {item!r} {label!r}, but "
        "'{first_path}' line {first_number} has {first_label!r} for the same pair. An annotator "
        "may label an item once; reconcile the two lines."
    )
    E311 = (
        "'{path}' line {number}: label {label!r} (item {item!r}) is not one of --labels "
        "({allowed}). Fix the label, or add it to --labels."
    )
    E312 = (
        "Give at least one annotation file: `stance agree ANNOTATIONS.csv` (long format with "
        "{fields} columns) or `stance agree a.jsonl b.jsonl --on ID` (one file per annotator)."
    )
    E313 = (
        "With --on the file name (without extension) names the annotator, but '{first}' and "
        "'{second}' both give {name!r}. Rename one of the files."
    )
    E314 = (
        "Item {item!r} has no text in field {field!r}, so the model cannot label it. Add the "
        "text, or name its field with --text-field."
    )
    E315 = (
        "The model predicts {label!r}, which is not in --labels ({allowed}). The model's "
        "labels are {model_labels}; add them to --labels or use a model trained on your labels."
    )
    E316 = (
        "--labels must list labels separated by commas, for example "
        "--labels supportive,critical,off-topic; got {value!r}."
    )
    E320 = (
        "no item has two or more ratings, so no two ratings can be compared{detail}"
    )
    E321 = (
        "every rating that can be paired has the same label ({label!r}): expected agreement is "
        "total and the coefficient is 0/0"
    )
    E322 = (
        "Cohen's kappa compares pairs of annotators, and there is only {n} annotator"
    )
    E323 = (
        "no two annotators rated a common item, or every such pair gave a single label throughout"
    )
    E324 = (
        "Gwet's AC1 needs at least two possible labels; there is only {n}"
    )
    E325 = (
        "no confidence interval: n_boot=0"
    )
    E326 = (
        "no confidence interval: the coefficient is undefined in {share:.0%} of the bootstrap "
        "resamples (e.g. resamples where every rating has the same label)"
    )
    E327 = (
        "label {label!r} was never given on an item with two or more ratings"
    )
    # --- compressed input, DataFrames and Dask (E330-E349) --------------------------------
    E330 = (
        "This input is zstandard-compressed (.zst), and reading it needs the zstandard package, "
        "which is not installed. Install it with `pip install zstandard` (a dependency of "
        "stance), or decompress the file first with `zstd -d --long=31 FILE`."
    )
    E331 = (
        "{what} needs Dask and distributed, which are not installed ({missing}). Install them "
        "with `pip install 'stance[dask]'`."
    )
    E332 = (
        "With --dask, -o names a directory that receives one output file and one errors file "
        "per input file; '{path}' is a file. Give a directory, for example -o out/."
    )
    E333 = (
        "No input file matches {pattern!r}. Quote the pattern so that stance expands it "
        "(`stance label 'dumps/*.jsonl.zst' -o out/ --dask local:2`), and check the directory."
    )
    E334 = (
        "Inputs '{first}' and '{second}' would both be written to '{output}'. Rename one of "
        "them, or label them in separate runs with separate -o directories."
    )
    E335 = (
        "--dask takes a scheduler address (tcp://host:8786, or a scheduler file ending in "
        ".json) or local:N to start N worker processes here; got {value!r}."
    )
    E336 = (
        "--dask cannot be combined with {options}: {why}."
    )
    E337 = (
        "The frame has no column {column!r} for the {what}. Columns: {available}. Name the "
        "column with {argument}=..."
    )
    E338 = (
        "{n} rows have no text to label in column {column!r} ({kinds}) at positions "
        "{positions}; index labels {labels}. Drop or fill them (df.dropna(subset=[{column!r}])), "
        "or pass errors='mark' to give them a null stance and a reason in 'stance_reason'."
    )
    E339 = (
        "errors must be 'raise' (missing text is an error listing the rows) or 'mark' (such "
        "rows get a null stance and a reason); got {value!r}."
    )
    E340 = (
        "label_frame labels a pandas DataFrame; got {kind}. For a list of texts use "
        "stance.classify(texts); for a Series use label_frame(series.to_frame('text'))."
    )
    E341 = (
        "stance.dask.label labels a Dask DataFrame; got {kind}. Make one with "
        "dask.dataframe.read_parquet(...), read_json(...) or from_pandas(df, npartitions=...)."
    )
    E342 = (
        "Reading Parquet needs pyarrow, which is not installed. Install it with "
        "`pip install 'stance[parquet]'`."
    )
    E343 = (
        "'{path}' is not a readable Parquet file ({why}). Parquet is read only from a file "
        "(not stdin); check that the file is complete."
    )
    E344 = (
        "{n} of {total} files were not labelled: {failures}. Fix them and run the same command "
        "again: files already labelled are skipped."
    )
    E345 = (
        "--dask labels files, not stdin: give file paths or a quoted pattern such as "
        "'dumps/*.jsonl.zst'."
    )
    E346 = (
        "stance label takes one DATA file (or '-' for stdin) without --dask; got {n}. Label "
        "several files with --dask local:2 -o out/ (one output per file), or one at a time."
    )
    E347 = (
        "The output '{path}' is a folder. Without --dask, -o names the output file (such as "
        "-o labelled.jsonl); with --dask local:2, -o is a folder that gets one output per input."
    )
    # --- annotation-tool exports: Label Studio, Prodigy, doccano (E350-E369) -------------
    E350 = (
        "'{path}' holds no rating to use: {skipped}. Export the annotated tasks (in Label "
        "Studio, tasks with annotations; in Prodigy, accepted answers), or check --format."
    )


class Warnings:
    """Warning templates: something still works, but not for much longer or not as asked."""

    W100 = (
        "The 'pipeline' feature parameter is now called 'spacy_pipeline' (the name of the "
        "spaCy pipeline); 'pipeline' still works for now."
    )
    W001 = (
        "{old} is deprecated and will be removed; use {new} instead (same meaning)."
    )
    # --- a labels file left by an interrupted write (W200-W209) -------------------------
    W200 = (
        "Labels file '{path}' line {number} is incomplete ({size} bytes without a line end: "
        "{head}). A write was cut off there (the program was killed, the machine stopped or "
        "the disk filled), so that answer was never saved. The line was removed; its item "
        "will be shown again, so answer it again."
    )
    W201 = (
        "Labels file '{path}' line {number} had no line end (was the file edited by hand?). "
        "Its answer is kept, and a line end was added so the next answer starts on a line of "
        "its own."
    )
    # --- annotation-tool exports: rows that are not ratings (with E350-E369) -------------
    W350 = (
        "'{path}': {kept} rating(s) used; not used, as they are no ratings: {skipped}."
    )


class Reasons:
    """Why one record was rejected, or why a file cannot be read.

    A record's reason goes into the errors file beside its line or record number and its
    raw input, which together say where and what; the reason says what was wrong and,
    where there is a choice, the option that fixes it. A file's reason completes
    :attr:`Errors.E020` or :attr:`Errors.E044`.
    """

    # -- one record of an input (stance.read) ----------------------------------------------
    TOO_LONG = "{kind} is longer than {megabytes} MB"
    NUL_BYTE = "contains a NUL byte at byte {at}"
    NOT_UTF8 = "not valid UTF-8 (byte {at}: {why})"
    NOT_JSON = "not valid JSON ({why})"
    NOT_AN_OBJECT = "a JSON {kind}, not an object"
    TRUNCATED_JSON = "the file ends inside this value (truncated JSON)"
    AFTER_ARRAY = "content after the end of the JSON array"
    AFTER_OBJECT = "content after the end of the JSON object"
    NOT_DELIMITED = "not valid {kind} ({why})"
    FIELD_COUNT = "{found} fields where the header has {expected}"
    # -- one record's text (stance.batch) --------------------------------------------------
    TEXT_EMPTY = "the text field {name!r} is empty"
    TEXT_NUL = "the text field {name!r} contains a NUL character"
    TEXT_NULL = "the text field {name!r} is null"
    TEXT_MISSING = "no text field {name!r} (fields: {available}); choose one with --text-field"
    TEXT_NOT_STRING = "the text field {name!r} is a {kind}, not a string"
    # -- a whole file (inside E020) ---------------------------------------------------------
    NOT_AN_ARRAY = "the JSON is not an array of objects"
    BAD_HEADER = "the header cannot be read ({why})"
    HEADER_PROBLEM = "the header {problem}"
    NOT_PLATFORM = "it is not {name} data: {why}"
    NO_ARRAY_AFTER = "{prefix!r} is not followed by a JSON array"
    NOT_JSON_START = "it starts with {start!r}, not with a JSON array or object"
    SPREADSHEET = (
        "it is a spreadsheet workbook ({kind}), not a text export. Save the sheet as CSV "
        "(UTF-8) and give that file, or read it with pandas and call stance.label_frame"
    )
    DOCUMENT = "it is a document ({kind}), not a text export. Save its text as a .txt or .csv file and give that"
    ARCHIVE = (
        "it is a {kind} archive. Unpack it and give the files inside (files compressed with "
        "gzip, bzip2, xz or zstd are read as they are)"
    )
    DATABASE = "it is an SQLite database. Export the table to CSV (for example `sqlite3 -header -csv FILE 'select * from TABLE' > out.csv`)"
    # -- an interrupted run that cannot be resumed (inside E044) ---------------------------
    OTHER_VERSION = "its progress file '{progress}' was written by another version of stance"
    CHANGED = "{what} changed since the interrupted run ({then!r} then, {now!r} now)"
    PARTIAL_SHORT = "the partial file '{path}' is missing or shorter than its checkpoint"
    NO_OFFSET = "its progress file '{progress}' holds no usable input offset ({offset!r}, line {line!r})"
    # -- a line of a labels file (inside E066) ----------------------------------------------
    NOT_A_LABEL = "not an {item, annotator, label} record"
    # -- nothing left to suggest (inside E067) ---------------------------------------------
    ALL_LABELLED = "all {n} items are already labelled in {files}"
    # -- a table given to stance.agreement (inside E309) ------------------------------------
    NOT_NUMERIC = "it is not numeric ({why})"
    DIMENSIONS = "it has {n} dimensions"
    NOT_SQUARE = "its shape is {shape}"
    BAD_CELLS = "cells {cells} are negative, fractional or not finite"
    # -- annotations given to stance.agreement (inside E300 and E302) -----------------------
    UNHASHABLE = "unusable: {what} is not hashable ({why})"
    NO_LABELS = "every annotation is missing its label"
    NO_ANNOTATIONS = "the input is empty"
    ONE_ANNOTATOR = " (there is only {n} annotator)"
    # -- a file that is not there (inside E020) --------------------------------------------
    NOT_THERE = "there is no such file in {folder}{close}. Check the name, or give the full path"
    CLOSE_NAMES = "; names close to it there: {names}"
    NO_FOLDER = "the folder '{folder}' does not exist. Check the path"
    IS_A_FOLDER = "it is a folder, not a file. Give a file inside it"
    # -- why an output cannot be written (inside E201-E204, E208, E209) ---------------------
    NO_PERMISSION = "you may not create or change files in the folder '{folder}'"
    READ_ONLY_FS = "'{folder}' is on a read-only file system"
    NOT_A_FOLDER = "'{folder}' is not a folder"
    FOLDER_GONE = "the folder '{folder}' does not exist"
    DISK_FULL = "the disk is full"
    QUOTA = "your disk quota is used up"
    TOO_BIG = "the file reached the largest size allowed (the file-size limit, `ulimit -f`)"
    OS_ERROR = "{why}"
    # -- compressed input that ends early (a record of the errors file, E330-E349 block) -----
    DAMAGED = (
        "{what}; the input ends there, after {produced} bytes of content, inside line {line}; "
        "every record before it was read"
    )
    CUT_OFF = "the {kind} data is cut off at byte {offset} of the file (an incomplete download or copy?)"
    CORRUPT = "the {kind} data is corrupt (found in bytes {start}-{end} of the file: {why})"
    # -- a value of a DataFrame that label_frame cannot label (stance_reason) --------------
    FRAME_NOT_TEXT = "the text is a {kind}, not a string, so it was not labelled"
    # -- annotation-tool exports (Label Studio, Prodigy, doccano; with E350-E369) ---------
    SEVERAL_LABELS = (
        "{n} labels ({labels}) on one item in {field!r}; stance gives each reply one label, so "
        "make the control single-choice in the tool and fix this item, or drop it"
    )
    NOT_A_CHOICE = "the label {value!r} in {field!r} is not a string or a list of strings"
    NO_TASK_DATA = "a Label Studio task needs a 'data' object holding its text; this one has {kind}"
    ANNOTATIONS_NOT_LIST = "'{key}' is a {kind}, not a list of annotations"
    SPAN_LABELS = (
        "the label {value!r} holds spans ([start, end, label]), so this is a sequence-labelling "
        "export; export the doccano project as text classification"
    )
    NO_ANSWER = (
        "no 'answer' (accept, reject or ignore); export the Prodigy dataset with "
        "`prodigy db-out DATASET > file.jsonl`, which keeps each answer"
    )
    BAD_ANSWER = "the answer {answer!r} is not accept, reject or ignore"
    UNKNOWN_OPTION = "the accepted option {option!r} is not one of the task's options ({options})"
    # rows of an export that are not ratings, by why (inside W350 and E350)
    SKIPPED = {
        "cancelled": "{n} cancelled annotation(s) (skipped in the tool, so never given)",
        "ignored": "{n} ignored answer(s)",
        "rejected": "{n} rejected answer(s) (a rejected answer says 'not X', which is none of the labels)",
        "unannotated": "{n} task(s) without annotations",
        "empty": "{n} annotation(s) without a choice",
    }


class Notes:
    """How an agreement coefficient was computed when the data needed a choice (``report.notes``),
    and what a report of scores or agreement should point out about its labels."""

    SINGLE_RATINGS = "{n} of {n_items} items have a single rating; they cannot be paired and drop out"
    UNEQUAL_RATINGS = (
        "items have {low} to {high} ratings, so this is Gwet's (2014) generalisation of Fleiss' kappa "
        "to missing ratings; it equals Fleiss (1971) when every item has the same number"
    )
    MEAN_OF_PAIRS = "the mean of {n} pairwise Cohen's kappas (Light 1971), each over the items both annotators rated"
    PAIRS_LEFT_OUT = "; pairs left out as undefined: {pairs}"
    # -- in `stance evaluate` and `stance agree` reports ----------------------------------
    LABEL_SPELLINGS = "note: {labels} differ only in case or in spaces around them, and count as different labels."


def format_numbers(numbers: Sequence[int], limit: int = 10) -> str:
    """Row numbers for a message: the first ``limit`` and how many in all.

    Examples
    --------
    >>> format_numbers([3, 17])
    '[3, 17] (2 in all)'
    >>> format_numbers(list(range(1, 13)), limit=3)
    '[1, 2, 3, ...] (12 in all)'
    """
    shown = ", ".join(map(str, numbers[:limit]))
    return f"[{shown}{', ...' if len(numbers) > limit else ''}] ({len(numbers)} in all)"


def spelling_clashes(labels: Sequence[str]) -> list[list[str]]:
    """The groups of labels that differ only in case or in spaces around them (one label typed
    two ways), each sorted, for a message.

    Examples
    --------
    >>> spelling_clashes(["Critical", "critical ", "supportive", "critical"])
    [['Critical', 'critical', 'critical ']]
    """
    groups: dict[str, set[str]] = {}
    for label in set(labels):
        groups.setdefault(label.strip().casefold(), set()).add(label)
    return [sorted(group) for _, group in sorted(groups.items()) if len(group) > 1]


def spelling_notes(labels: Sequence[Any]) -> list[str]:
    """Report lines (each after a blank one) noting the labels spelled two ways among ``labels``."""
    lines = []
    for group in spelling_clashes([label for label in labels if isinstance(label, str)]):
        lines += ["", Notes.LABEL_SPELLINGS.format(labels=format_values(group))]
    return lines


def format_values(values: Sequence[Any], limit: int = 10) -> str:
    """Values for a message, each as its ``repr``: the first ``limit`` and how many more.

    Examples
    --------
    >>> format_values(["a", 2])
    "'a', 2"
    >>> format_values(list(range(12)), limit=3)
    '0, 1, 2 and 9 more'
    """
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def missing_file(path: str | os.PathLike[str]) -> str:
    """Why ``path`` cannot be read although it was given as an input file: the reason
    inside :attr:`Errors.E020`, with the names in its folder that come closest.

    Examples
    --------
    >>> missing_file("/no/such/folder/x.jsonl")
    "the folder '/no/such/folder' does not exist. Check the path"
    """
    path = Path(path)
    if path.is_dir():
        return Reasons.IS_A_FOLDER
    folder = path.parent
    if not folder.is_dir():
        return Reasons.NO_FOLDER.format(folder=folder)
    try:  # a few thousand names are plenty to find a typo in
        names = [entry.name for entry in itertools.islice(os.scandir(folder), 5000)]
    except OSError:
        names = []
    close = difflib.get_close_matches(path.name, names, n=2, cutoff=0.75)
    where = f"the current folder ({Path.cwd()})" if str(folder) == "." else f"'{folder}'"
    hint = Reasons.CLOSE_NAMES.format(names=", ".join(f"'{folder / name}'" for name in close)) if close else ""
    return Reasons.NOT_THERE.format(folder=where, close=hint)


# Why an output could not be written, by the operating system's error code.
_WRITE_REASONS = {
    errno.EACCES: Reasons.NO_PERMISSION,
    errno.EPERM: Reasons.NO_PERMISSION,
    errno.EROFS: Reasons.READ_ONLY_FS,
    errno.ENOTDIR: Reasons.NOT_A_FOLDER,
    errno.ENOENT: Reasons.FOLDER_GONE,
    errno.ENOSPC: Reasons.DISK_FULL,
    errno.EDQUOT: Reasons.QUOTA,
    errno.EFBIG: Reasons.TOO_BIG,
}
# The codes that more space (or a higher limit) cures; the rest need another folder.
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def write_reason(exc: OSError, folder: str | os.PathLike[str]) -> str:
    """Why writing into ``folder`` failed with ``exc``, in words (inside E201-E204, E208, E209).

    Examples
    --------
    >>> write_reason(OSError(errno.ENOSPC, "No space left on device"), "out")
    'the disk is full'
    >>> write_reason(PermissionError(errno.EACCES, "Permission denied"), "ro")
    "you may not create or change files in the folder 'ro'"
    """
    template = _WRITE_REASONS.get(exc.errno or 0)
    if template is None:
        return Reasons.OS_ERROR.format(why=exc.strerror or exc)
    return template.format(folder=folder)


_TEXT_LIKE = ("text", "body", "content", "message", "comment", "reply", "tweet", "post")


def likely_field(wanted: str, available: Sequence[str]) -> str:
    """The field a user most likely meant by ``wanted``, for the example in a message: a
    near spelling, else a name that sounds like text, else the first field.

    Examples
    --------
    >>> likely_field("text", ["id", "body"])
    'body'
    >>> likely_field("lable", ["text", "label"])
    'label'
    """
    close = difflib.get_close_matches(wanted, list(available), n=1, cutoff=0.75)
    if close:
        return close[0]
    for name in available:
        if any(part in name.lower() for part in _TEXT_LIKE):
            return name
    return available[0] if available else "NAME"
