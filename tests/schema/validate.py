#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Validate tulpen's JSON output against the schemas in docs/schema/.

As a library (integration tests):

    sys.path.insert(0, os.path.join(SRCDIR, 'tests', 'schema'))
    from validate import validate, validate_text
    validate('socket', doc)            # raises SchemaViolation
    validate_text('watch-event', out)  # a --json array or --ndjson lines

A kind names one record: for the record kinds (socket, watch-event,
pcap-connection) a list is checked element by element, as --json prints
an array of them.

On the command line:

    validate.py KIND [FILE...]     (no FILE or '-': standard input)
    validate.py --list

reads each FILE as one JSON document or as NDJSON (one document a line),
prints every violation as FILE:RECORD: PATH: MESSAGE and exits 1 if there
was one, 2 on bad usage or input that is not JSON.
"""
import json
import os
import pathlib
import sys

import jsonschema

SCHEMA_DIR = pathlib.Path(__file__).resolve().parents[2] / 'docs' / 'schema'

# kind -> (schema file, whether a --json document is a list of records)
KINDS = {
    'socket': ('socket.schema.json', True),
    'summary': ('summary.schema.json', False),
    'watch-event': ('watch-event.schema.json', True),
    'pcap-connection': ('pcap-connection.schema.json', True),
    'pcap-summary': ('pcap-summary.schema.json', False),
    'explain': ('explain.schema.json', False),
    'doctor': ('doctor.schema.json', False),
    'watch-counts': ('watch-counts.schema.json', False),
}

_validators = {}


class SchemaViolation(AssertionError):
    """A document does not follow its schema; .errors lists every one."""

    def __init__(self, kind, errors):
        self.kind = kind
        self.errors = errors
        shown = '\n  '.join(errors[:20])
        more = f'\n  ... {len(errors) - 20} more' if len(errors) > 20 else ''
        super().__init__(f'{kind}: {len(errors)} schema violation(s):\n  '
                         f'{shown}{more}')


def _store():
    """Every schema file, by its file URI, so that $refs never leave here."""
    store = {}
    for path in sorted(SCHEMA_DIR.glob('*.schema.json')):
        with open(path, encoding='utf-8') as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        store[path.as_uri()] = schema
    return store


def validator(kind):
    """The Draft 2020-12 validator of @kind (cached)."""
    if kind not in KINDS:
        raise KeyError(f'unknown kind {kind!r} (known: {", ".join(KINDS)})')
    if kind not in _validators:
        store = _store()
        uri = (SCHEMA_DIR / KINDS[kind][0]).as_uri()
        resolver = jsonschema.RefResolver(uri, store[uri], store=store)
        _validators[kind] = jsonschema.Draft202012Validator(
            store[uri], resolver=resolver)
    return _validators[kind]


def _where(err):
    path = ''.join(f'[{p}]' if isinstance(p, int) else f'.{p}'
                   for p in err.absolute_path)
    return path or '(top)'


def _leaves(err):
    """The errors under a failed oneOf/anyOf: those of the closest branch."""
    if err.validator not in ('oneOf', 'anyOf') or not err.context:
        return [err]
    branches = {}
    for sub in err.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    best = min(branches.values(), key=len)
    out = []
    for sub in best:
        out.extend(_leaves(sub))
    return out


def errors(kind, doc, label=''):
    """Every violation of @doc as 'LABEL PATH: MESSAGE' strings."""
    v = validator(kind)
    docs = [doc]
    if KINDS[kind][1] and isinstance(doc, list):
        docs = doc
    out = []
    for i, d in enumerate(docs):
        tag = f'{label}[{i}]' if docs is doc else label
        found = [leaf for e in v.iter_errors(d) for leaf in _leaves(e)]
        for e in sorted(found, key=lambda e: [str(p) for p in e.path]):
            msg = e.message
            if len(msg) > 300:
                msg = msg[:300] + '...'
            out.append(f'{tag}{_where(e)}: {msg}'.strip())
    return out


def validate(kind, doc, label=''):
    """Raise SchemaViolation unless @doc follows the schema of @kind."""
    errs = errors(kind, doc, label)
    if errs:
        raise SchemaViolation(kind, errs)


def parse(text):
    """One JSON document, or NDJSON (a list of the documents, one a line)."""
    try:
        return json.loads(text), False
    except json.JSONDecodeError:
        pass
    docs = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            docs.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise ValueError(f'line {n}: not JSON: {e}') from None
    return docs, True


def validate_text(kind, text, label=''):
    """Validate output text: a --json document or --ndjson lines.

    Returns the parsed document(s). An empty output is not valid: every
    tulpen JSON output prints at least '[]'.
    """
    if not text.strip():
        raise SchemaViolation(kind, [f'{label}: empty output'])
    doc, nd = parse(text)
    if nd and not KINDS[kind][1] and len(doc) == 1:
        doc = doc[0]
    elif nd and not KINDS[kind][1]:
        raise SchemaViolation(kind, [f'{label}: {len(doc)} documents, '
                                     'one expected'])
    validate(kind, doc, label)
    return doc


def main(argv):
    if len(argv) >= 2 and argv[1] == '--list':
        for k, (f, many) in KINDS.items():
            print(f'{k}\t{SCHEMA_DIR / f}' + ('\t(records)' if many else ''))
        return 0
    if len(argv) < 2 or argv[1] in ('-h', '--help'):
        print('usage: validate.py KIND [FILE...] | --list\n'
              f'kinds: {", ".join(KINDS)}', file=sys.stderr)
        return 2 if len(argv) < 2 else 0
    kind = argv[1]
    if kind not in KINDS:
        print(f'validate.py: unknown kind {kind!r} (known: '
              f'{", ".join(KINDS)})', file=sys.stderr)
        return 2
    bad = 0
    for name in argv[2:] or ['-']:
        try:
            if name == '-':
                text = sys.stdin.read()
            else:
                with open(name, encoding='utf-8') as f:
                    text = f.read()
            validate_text(kind, text, name)
        except (OSError, ValueError) as e:
            print(f'validate.py: {name}: {e}', file=sys.stderr)
            return 2
        except SchemaViolation as e:
            for line in e.errors:
                print(line)
            bad = 1
    return bad


if __name__ == '__main__':
    sys.exit(main(sys.argv))
