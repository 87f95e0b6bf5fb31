"""The message catalogues: extract every marked message with Babel, merge it into each language's `.po`
and compile the `.mo` files the program reads (referrals/i18n.py).

    python -m tools.catalog update   # after changing a message: extract, merge, compile
    python -m tools.catalog check    # what the test suite runs: nothing missing, stale or untranslated

What is extracted (Babel's own extractors):
* our Python (`referrals/`, `api/`, `cli/`, `graph/`): `_()`, `gettext()`, `ngettext()` and `N_()`;
* the help of every command of the command line, which click takes from the command's docstring
  (`click_docstrings` below finds them; the message id is the docstring as click shows it);
* click's own messages (usage lines, option errors, prompts), from the installed click package, so the
  command line speaks one language from the first word to the last;
* the page's scripts (`api/static/app/*.js`): `t()` and `tn()`, and its markup's `data-i18n` texts.

English is the message ids; its catalogue repeats them (so a wording can be changed without changing the
id). Every other catalogue must translate every message: `check` says what is missing.
"""

from __future__ import annotations

import ast
import copy
import inspect
import io
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from referrals.i18n import DEFAULT, DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
PYTHON_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "Nn_": (1, 2)}
CLICK_KEYWORDS = {"_": None, "ngettext": (1, 2)}
JS_KEYWORDS = {"t": None, "tn": (1, 2)}
# A fixed creation date: the catalogues change only when a message does.
CREATED = datetime(2026, 12, 1, tzinfo=UTC)
WIDTH = 100


def click_docstrings(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """A Babel extraction method for the command line's help: the docstring of every function decorated
    as a click command or group (`@x.command(...)`, `@x.group(...)`) and every `help="..."` of an option
    or argument, each cleaned as click shows it."""
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "help" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    yield kw.value.lineno, None, inspect.cleandoc(kw.value.value), []
        if not isinstance(node, ast.FunctionDef):
            continue
        decorated = any(
            isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ("command", "group")
            for d in node.decorator_list
        )
        doc = ast.get_docstring(node, clean=False)
        if decorated and doc:
            yield node.lineno, None, inspect.cleandoc(doc), []


class _Marked(HTMLParser):
    """The texts of elements marked `data-i18n` (and their `data-i18n-title`/`-placeholder`/`-label`)."""

    ATTRS = ("data-i18n-title", "data-i18n-placeholder", "data-i18n-label")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._open: list[bool] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in self.ATTRS:
            if a.get(name):
                self.found.append((self.getpos()[0], str(a[name])))
        if "data-i18n" in a:
            self._text = []
            self._open.append(True)

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1]:
            self._open.pop()
            text = " ".join("".join(self._text).split())
            if text:
                self.found.append((self.getpos()[0], text))
            self._text = []


def html_marked(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """A Babel extraction method for the page's markup: every `data-i18n` element's text (whitespace
    collapsed, as the page looks it up) and every `data-i18n-*` attribute."""
    parser = _Marked()
    parser.feed(fileobj.read().decode("utf-8"))
    for lineno, text in parser.found:
        yield lineno, None, text, []


def _sources() -> list[tuple[Path, str, Any, dict[str, Any]]]:
    """(file, location shown in the catalogue, extraction method, keywords) for every source."""
    out: list[tuple[Path, str, Any, dict[str, Any]]] = []
    for package in ("referrals", "api", "cli", "graph"):
        for path in sorted((ROOT / package).rglob("*.py")):
            out.append((path, path.relative_to(ROOT).as_posix(), "python", PYTHON_KEYWORDS))
    for path in sorted((ROOT / "cli").glob("*.py")):
        out.append((path, path.relative_to(ROOT).as_posix(), click_docstrings, {}))
    app = ROOT / "api" / "static" / "app"
    for path in sorted(app.glob("*.js")):
        out.append((path, path.relative_to(ROOT).as_posix(), "javascript", JS_KEYWORDS))
    for path in sorted(app.glob("*.html")):
        out.append((path, path.relative_to(ROOT).as_posix(), html_marked, {}))
    click_dir = Path(click.__file__).parent
    for path in sorted(click_dir.glob("*.py")):
        if path.name not in ("_winconsole.py", "shell_completion.py", "testing.py"):
            out.append((path, f"click/{path.name}", "python", CLICK_KEYWORDS))
    return out


def extract_all() -> Catalog:
    """Every marked message, as a template catalogue."""
    template = Catalog(project=DOMAIN, creation_date=CREATED, fuzzy=False)
    for path, where, method, keywords in _sources():
        with path.open("rb") as f:
            # the page's scripts call t() inside template literals' ${...} too
            options = {"parse_template_string": True} if method == "javascript" else None
            for lineno, message, comments, context in extract(method, f, keywords=keywords, options=options):
                template.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return template


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


def _read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project=DOMAIN, creation_date=CREATED, revision_date=CREATED, fuzzy=False)
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def _po_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=WIDTH, include_lineno=False, ignore_obsolete=True, sort_output=False)
    return buf.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def merged(lang: str, template: Catalog) -> Catalog:
    """The catalogue of `lang` brought in line with the template (translations kept, new messages added,
    messages gone from the code dropped; English repeats its ids)."""
    catalog = _read(lang)
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)  # update() keeps the template's messages
    catalog.revision_date = CREATED
    catalog.fuzzy = False
    if lang == DEFAULT:
        for message in catalog:
            if message.id and not _translated(message):
                message.string = tuple(message.id) if isinstance(message.id, tuple) else message.id
    return catalog


def update() -> None:
    """Extract, merge and compile every language."""
    template = extract_all()
    for lang in LANGUAGES:
        catalog = merged(lang, template)
        po_path(lang).parent.mkdir(parents=True, exist_ok=True)
        po_path(lang).write_bytes(_po_bytes(catalog))
        # compile what was written, read back (so the .mo is exactly the .po's)
        with po_path(lang).open("rb") as f:
            mo_path(lang).write_bytes(_mo_bytes(read_po(f, locale=lang, domain=DOMAIN)))
        missing = sum(1 for m in catalog if m.id and not _translated(m))
        print(f"{lang}: {len(catalog)} messages, {missing} untranslated", file=sys.stderr)


def _translated(message: Any) -> bool:
    forms = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return bool(forms) and all(forms)


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]|\{(\w*)\}")


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in _PLACEHOLDER.findall(text)}


def problems() -> list[str]:
    """Everything wrong with the catalogues: messages in the code but not in a catalogue, messages in a
    catalogue no longer in the code, untranslated or fuzzy messages, placeholders that do not match, a
    `.mo` that is not the compiled `.po`, and Babel's own checks."""
    template = extract_all()
    wanted = {m.id for m in template if m.id}
    out: list[str] = []
    for lang in LANGUAGES:
        if not po_path(lang).exists():
            out.append(f"{lang}: no catalogue at {_shown(po_path(lang))}")
            continue
        catalog = _read(lang)
        have = {m.id for m in catalog if m.id}
        out += [f"{lang}: missing {_short(i)}" for i in sorted(wanted - have, key=str)]
        out += [f"{lang}: no longer in the code {_short(i)}" for i in sorted(have - wanted, key=str)]
        for m in catalog:
            if not m.id:
                continue
            if m.fuzzy:
                out.append(f"{lang}: fuzzy {_short(m.id)}")
            if not _translated(m):
                out.append(f"{lang}: untranslated {_short(m.id)}")
                continue
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            forms = m.string if isinstance(m.string, tuple) else (m.string,)
            known = set().union(*map(_placeholders, ids))  # a form may use any of these ...
            kept = set.intersection(*map(_placeholders, ids)) - {"n"}  # ... and must keep those of every form
            for form in forms:
                got = _placeholders(form)
                if not got <= known or not kept <= got:
                    out.append(f"{lang}: placeholders {sorted(got)} instead of {sorted(known)} in {_short(m.id)}")
            for error in m.check(catalog):
                out.append(f"{lang}: {error} in {_short(m.id)}")
        if not mo_path(lang).exists() or mo_path(lang).read_bytes() != _mo_bytes(catalog):
            out.append(f"{lang}: {_shown(mo_path(lang))} is not the compiled .po (run: python -m tools.catalog update)")
    return out


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# Where a sentence reaches a person: (call name, positions and keywords of its text).
_SPOTS = {
    "one": ([1], []),  # Invalid.one(field, reason)
    "FieldError": ([1], ["reason"]),
    "Conflict": ([1], ["reason"]),
    "TooLarge": ([1], ["reason"]),
    "Unavailable": ([0], ["message", "public"]),
    "CellError": ([0], []),
    "ApiError": ([2], ["detail"]),
    "Problem": ([4], ["reason"]),
    "NotFound": ([3], ["hint"]),  # NotFound(kind, id, field, hint)
    "echo": ([0], []),  # click.echo
    "confirm": ([0], []),  # click.confirm
    "print": ([0], []),  # a rich console's print
}
_WORDY = re.compile(r"[A-Za-z]{2,}")


def _wordy(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(_WORDY.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and _WORDY.search(str(v.value)) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _wordy(node.left) or _wordy(node.right)
    return False


def unmarked_sentences(
    root: Path = ROOT, packages: tuple[str, ...] = ("referrals", "api", "cli", "graph")
) -> list[str]:
    """Literal sentences handed to a refusal or printed for a person without passing the catalogue
    (file:line: the text), in our Python."""
    found: list[str] = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
                if name not in _SPOTS:
                    continue
                owner = getattr(f.value, "id", "") if isinstance(f, ast.Attribute) else ""
                if (name == "one" and owner != "Invalid") or (name in ("echo", "confirm") and owner != "click"):
                    continue
                if name == "print" and not isinstance(f, ast.Attribute):
                    continue
                positions, keywords = _SPOTS[name]
                texts = [node.args[i] for i in positions if i < len(node.args)]
                texts += [k.value for k in node.keywords if k.arg in keywords]
                found += [f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(t)[:90]}" for t in texts if _wordy(t)]
    return found


# The page's scripts: a string with words in it (two words, a capitalised word or a sentence's end)
# reaches a person unless it is an argument of t()/tn() or one of these: selectors, class names, HTTP
# header names, a font list.
_JS_SENTENCE = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,}|^\s*[A-Z][a-z]+\b|[a-z]{2,}[.!?]\s*$")
_JS_MARKED = {"t", "tn"}
_JS_SELECTOR_CALLS = {"$", "$$", "querySelector", "querySelectorAll", "closest", "getElementsByTagNameNS"}
_JS_MACHINE_KEYS = {"class", "style", "font-family", "d"}
_JS_MACHINE_TEXT = re.compile(r"^([A-Z][a-z]+(-[A-Z][a-z]+)+|Bearer\s*|DejaVu Sans, sans-serif|[/<].*)$", re.S)


def _js_text(token: Any) -> str:
    """A string token's text: quotes off, a template's ${...} parts out."""
    text = token.value[1:-1]
    if token.type != "template_string":
        return text
    out, depth, i = [], 0, 0
    while i < len(text):
        if depth == 0 and text.startswith("${", i):
            depth, i = 1, i + 2
            continue
        if depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
        else:
            out.append(text[i])
        i += 1
    return "".join(out)


def _js_call_of(tokens: list[Any], i: int) -> str | None:
    """The name of the call whose arguments hold token i, or None when it stands outside any call."""
    depth = 0
    for j in range(i - 1, -1, -1):
        v = tokens[j].value if tokens[j].type == "operator" else None
        if v in (")", "]", "}"):
            depth += 1
        elif v in ("[", "{"):
            if depth == 0:
                continue  # an object or an array inside the call: keep looking for the call
            depth -= 1
        elif v == "(":
            if depth == 0:
                return tokens[j - 1].value if j and tokens[j - 1].type == "name" else None
            depth -= 1
    return None


def unmarked_script_words(root: Path = ROOT, folder: str = "api/static/app") -> list[str]:
    """Literal words in the page's scripts that reach a person without passing the catalogue
    (file:line: the text)."""
    from babel.messages.jslexer import tokenize

    found: list[str] = []
    for path in sorted((root / folder).glob("*.js")):
        tokens = [
            tok
            for tok in tokenize(path.read_text(encoding="utf-8"), jsx=False, template_string=True)
            if tok.type not in ("linecomment", "multilinecomment")
        ]
        for i, tok in enumerate(tokens):
            if tok.type not in ("string", "template_string"):
                continue
            text = _js_text(tok)
            if not _JS_SENTENCE.search(text) or _JS_MACHINE_TEXT.match(text):
                continue
            before = [x.value for x in tokens[max(0, i - 2) : i]]
            if before[-1:] == [":"] and before[0].strip("\"'") in _JS_MACHINE_KEYS:
                continue  # { class: "grid att-rows" }
            if before[-1:] == ["="] and before[0] in ("==", "!=", "!"):
                continue  # evt.key === "Enter" (Babel's lexer reads === as == and =)
            call = _js_call_of(tokens, i)
            if call in _JS_MARKED or call in _JS_SELECTOR_CALLS:
                continue
            found.append(f"{path.relative_to(root)}:{tok.lineno}: {tok.value[:90]}")
    return found


_JS_LOOKUP = re.compile(r'\btn?\(\s*"((?:[^"\\]|\\.)*)"')


def looked_up_not_extracted(root: Path = ROOT) -> list[str]:
    """Messages the code looks up that the extractor does not see (file:line: the id): a `_()` nested in
    another's arguments, a `t()` in a template literal's ${} that Babel's lexers skip. Found by reading
    the code another way — the Python AST and a plain scan of the scripts — and checked against
    extract_all(), so such a message can never stay English unnoticed."""
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in extract_all() if m.id}
    found: list[str] = []
    for package in ("referrals", "api", "cli", "graph"):
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
                first = node.args[0]
                literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
                if name in PYTHON_KEYWORDS and literal and first.value not in ids:
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {_short(first.value)}")
    for path in sorted((root / "api" / "static" / "app").glob("*.js")):
        text = path.read_text(encoding="utf-8")
        for m in _JS_LOOKUP.finditer(text):
            message = m.group(1).replace('\\"', '"')
            if message not in ids:
                found.append(f"{path.relative_to(root)}:{text.count(chr(10), 0, m.start()) + 1}: {_short(message)}")
    return found


def _short(message_id: object) -> str:
    text = message_id[0] if isinstance(message_id, tuple) else str(message_id)
    return repr(text if len(text) <= 70 else text[:67] + "...")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["update"]:
        update()
        return 0
    if args == ["check"]:
        found = problems()
        for p in found:
            print(p)
        return 1 if found else 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
