"""The pages in other languages: gettext catalogues read with Babel, plural rules, and numbers and
dates as each language writes them.

English is the source: the dict :data:`commonplan.web.text.EN`, message id → a
:meth:`str.format` template (or a :class:`Plural` of two).  Each other language is a gettext file,
``locales/<lang>/LC_MESSAGES/messages.po``, whose entries have the message id as ``msgctxt``,
the English text as ``msgid`` (``msgid_plural`` for a plural) and the translation as ``msgstr``
(``msgstr[i]``, one per plural form of the language).  ``scripts/i18n extract`` writes
``locales/messages.pot`` from :data:`EN` and updates every ``.po`` from it: a new message comes in
untranslated and an English text that changed makes its translation fuzzy.  At run time
a translation is used only when it is neither fuzzy nor empty and was made from the English text
of today; otherwise the English shows.

The :class:`Translator` formats the fields of a message in its language: numbers with
:mod:`babel.numbers` (the format specs of :data:`EN` — ``{value:,.0f}``, ``{value:.1%}``,
``{value:,.3g}`` — keep their meaning: grouping, decimals, significant digits, written out in
full and never in scientific notation), dates and times with :mod:`babel.dates` (in UTC, and
said so).

The library's errors say their messages with :func:`commonplan.errors.said` (a template and its
fields).  ``scripts/i18n extract`` finds those templates in the library's source with Babel's
Python extractor (the calls ``said("...")`` in :data:`SOURCES`) and puts
them in the same catalogues: ``msgctxt`` :data:`ERROR`, ``msgid`` the English template.  The
pages show an error in their language with :meth:`commonplan.web.text.Translator.error`.
"""

from __future__ import annotations

import argparse
import functools
import gettext
import math
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Context, Decimal, localcontext
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
    parse_decimal,
)

__all__ = [
    "COOKIE",
    "LANGUAGES",
    "LOCALES",
    "Plural",
    "Translation",
    "error_translations",
    "extract",
    "fields_of",
    "format_in",
    "localised",
    "plural_index",
    "said_templates",
    "translations",
]

LOCALES = Path(__file__).parent / "locales"
"""Where the catalogues are: ``messages.pot`` and ``<lang>/LC_MESSAGES/messages.po``."""
DOMAIN = "messages"
LANGUAGES: dict[str, str] = {"en": "English", "sv": "Svenska", "es": "Español"}
"""The languages of the pages, each named in itself (the order of the switch on every page)."""
COOKIE = "commonplan_lang"
"""The cookie that keeps a member's choice of language (it wins over ``Accept-Language``)."""
ERROR = "error"
"""The ``msgctxt`` of the messages of the library's errors, whose ``msgid`` is the template."""
SOURCES = Path(__file__).parents[1]
"""The library whose ``said("...")`` templates the catalogues hold (the package ``commonplan``)."""


@dataclass(frozen=True)
class Plural:
    """An English message with a count: ``one`` for 1, ``other`` for any other number;
    ``field`` names the count (a translation has as many forms as its language's rule)."""

    one: str
    other: str
    field: str = "count"


Message = str | Plural
Translation = str | tuple[str, ...]
"""A language's message: a template, or one template per plural form of the language."""


# ---------------------------------------------------------------------- the catalogues


def _path(lang: str, directory: Path = LOCALES) -> Path:
    return directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _msgid(message: Message) -> str | tuple[str, str]:
    return (message.one, message.other) if isinstance(message, Plural) else message


@functools.cache
def _catalogue(path: Path, lang: str) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def translations(
    lang: str, english: Mapping[str, Message], directory: Path = LOCALES
) -> dict[str, Translation]:
    """The usable translations of ``lang`` (read once): message id → its translation, for the
    entries that are neither fuzzy nor empty and whose English is today's in ``english``."""
    path = _path(lang, directory)
    if lang == "en" or not path.exists():
        return {}
    found: dict[str, Translation] = {}
    catalogue = _catalogue(path, lang)
    for entry in catalogue:
        key = entry.context
        if key is None or key not in english or entry.fuzzy:
            continue
        if _msgid(english[key]) != (tuple(entry.id) if entry.pluralizable else entry.id):
            continue  # made from an older English text
        if isinstance(entry.string, tuple | list):
            forms = tuple(entry.string)
            if len(forms) == catalogue.num_plurals and all(forms):
                found[key] = forms
        elif entry.string:
            found[key] = entry.string
    return found


def error_translations(lang: str, directory: Path = LOCALES) -> dict[str, str]:
    """The usable translations of the library's error templates in ``lang`` (read once):
    English template → its translation, for the entries neither fuzzy nor empty whose fields are
    the template's."""
    path = _path(lang, directory)
    if lang == "en" or not path.exists():
        return {}
    return {
        entry.id: entry.string
        for entry in _catalogue(path, lang)
        if entry.context == ERROR
        and isinstance(entry.id, str)
        and isinstance(entry.string, str)
        and entry.string
        and not entry.fuzzy
        and fields_of(entry.string) == fields_of(entry.id)
    }


def said_templates(root: Path = SOURCES) -> list[str]:
    """Every template the library says its errors with (``said("...")`` in its source, found
    by Babel's Python extractor), sorted, each once."""
    from babel.messages.extract import extract_from_dir

    found = extract_from_dir(
        root,
        method_map=[("**.py", "python")],
        keywords={"said": None},
        comment_tags=(),
    )
    return sorted({message for _, _, message, _, _ in found if isinstance(message, str)})


@functools.cache
def _plural_rule(lang: str) -> Callable[[int], int]:
    """The index of the plural form for a count, from the ``Plural-Forms`` of the catalogue
    (English: 0 for one, 1 for the rest)."""
    path = _path(lang)
    expr = _catalogue(path, lang).plural_expr if path.exists() else "(n != 1)"
    return gettext.c2py(expr)


def plural_index(lang: str, count: int) -> int:
    return _plural_rule(lang)(abs(int(count)))


def fields_of(template: str) -> set[str]:
    """The names of the fields of a :meth:`str.format` template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


# ---------------------------------------------------------------------- numbers and dates

_SPEC = re.compile(r"(?P<sign>\+)?(?P<group>,)?(?:\.(?P<digits>\d+))?(?P<kind>[fg%d]?)")


_DIGITS = 1500
"""Decimal digits Babel may round a float in (any float, written in full, fits)."""


class _Number:
    """A number that formats itself in a locale: the format spec is read as :meth:`format`
    reads it (``+`` a sign always, ``,`` groups, ``.Nf`` decimals, ``.Ng`` significant digits,
    ``.N%`` a percentage) and written with Babel's symbols and the locale's percent pattern."""

    def __init__(self, value: float, locale: Locale) -> None:
        self.value = value
        self.locale = locale

    def __format__(self, spec: str) -> str:
        # Babel rounds in the current decimal context (28 digits): 10²⁸ and more would not
        # round there; a float has at most 309 digits before its point and 1074 after
        with localcontext(Context(prec=_DIGITS)):
            return self._format(spec)

    def _format(self, spec: str) -> str:
        v = self.value
        match = _SPEC.fullmatch(spec)
        if match is None or not math.isfinite(v):
            return format(v, spec)
        if match["sign"]:
            sign = get_plus_sign_symbol if v >= 0 else get_minus_sign_symbol
            return sign(self.locale) + format(_Number(abs(v), self.locale), spec[1:])
        group = "#,##" if match["group"] else ""
        digits = int(match["digits"]) if match["digits"] is not None else None
        kind = match["kind"]
        if kind == "%":
            n = 6 if digits is None else digits
            pattern = self.locale.percent_formats[None].pattern
            pattern = re.sub(r"[#,]*0(?:\.[0#]*)?", "#,##0" + ("." + "0" * n if n else ""), pattern)
            return format_decimal(v, format=pattern, locale=self.locale)
        if kind == "f" or (kind == "" and digits is not None):
            n = 6 if digits is None else digits
            return self._decimal(v, group + "0" + ("." + "0" * n if n else ""))
        if kind == "d":
            return self._decimal(v, group + "0")
        if kind == "g":
            return self._significant(v, group, 6 if digits is None else max(digits, 1))
        # no spec: as people read it, grouped, no needless decimals, small ones to 3 digits
        if isinstance(v, int):
            return str(v)  # ids, years, rounds, counts: as written
        if v == 0 or (abs(v) >= 1 and abs(v - round(v)) < 5e-4):
            return self._decimal(round(v), "#,##0")
        if abs(v) >= 1:
            return self._decimal(v, "#,##0.##")
        return self._significant(v, "#,##", 3)

    def _decimal(self, v: float, pattern: str) -> str:
        return format_decimal(v, format=pattern, locale=self.locale, decimal_quantization=True)

    def _significant(self, v: float, group: str, digits: int) -> str:
        """``v`` to ``digits`` significant digits, written out in full (1 230 000, 0,000123)."""
        if v == 0:
            return self._decimal(0, "0")
        rounded = Decimal(f"{float(v):.{digits - 1}e}")
        decimals = max(0, digits - 1 - rounded.adjusted())
        pattern = (group or "") + "0" + ("." + "#" * decimals if decimals else "")
        return format_decimal(rounded, format=pattern, locale=self.locale)


def datetime_in(moment: datetime | date, locale: Locale) -> str:
    """A date (and time, in UTC, said so) as ``locale`` writes it."""
    if not isinstance(moment, datetime):
        return format_date(moment, "medium", locale=locale)
    at = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    at = at.astimezone(UTC)
    return (
        f"{format_date(at, 'medium', locale=locale)} {format_time(at, 'HH:mm', locale=locale)} UTC"
    )


def parse_number_in(text: str, locale: Locale) -> float:
    """A number a member typed, as ``locale`` writes it (``7,5`` and ``1 200`` in Swedish), or
    plainly (``7.5``, ``1200``); :class:`ValueError` if it is neither."""
    bare = re.sub(r"\s", "", text)
    for candidate in (text.strip(), bare):
        try:
            with localcontext(Context(prec=_DIGITS)):  # strict reading writes the number again
                return float(parse_decimal(candidate, locale=locale, strict=True))
        except NumberFormatError:
            continue
    return float(bare)


def localised(value: Any, locale: Locale) -> Any:
    """A field as ``locale`` writes it: numbers (not booleans) and dates wrapped; the rest as
    it is."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return _Number(value if isinstance(value, int) else float(value), locale)
    if isinstance(value, datetime | date):
        return datetime_in(value, locale)
    return value


class _InLocale(string.Formatter):
    """:meth:`str.format` with each field as ``locale`` writes it (a ``!r`` or ``!s`` field as
    Python writes it: a name quoted as the English quotes it)."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        return value if conversion is None else super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        return format(localised(value, self.locale), format_spec)


def format_in(template: str, fields: Mapping[str, Any], locale: Locale) -> str:
    """``template.format(**fields)`` with numbers and dates as ``locale`` writes them."""
    return _InLocale(locale).vformat(template, (), fields)


# ---------------------------------------------------------------------- extraction


def template_of(
    english: Mapping[str, Message],
    *,
    created: datetime | None = None,
    errors: Sequence[str] = (),
) -> Catalog:
    """The template of the catalogues: every English message, ``msgctxt`` its id; then every
    template of the library's errors, ``msgctxt`` :data:`ERROR`."""
    catalogue = Catalog(
        project="commonplan",
        version=None,
        msgid_bugs_address="",
        copyright_holder="the commonplan authors",
        creation_date=created or datetime.now(UTC),
        charset="utf-8",
        header_comment=_header("English"),
        fuzzy=False,
    )
    for key, message in english.items():
        auto = [f"fields: {', '.join(sorted(_fields(message)))}"] if _fields(message) else []
        catalogue.add(_msgid(message), context=key, auto_comments=auto)
    for said in errors:
        fields = sorted(fields_of(said))
        auto = [
            "an error message of the library" + (f"; fields: {', '.join(fields)}" if fields else "")
        ]
        catalogue.add(said, context=ERROR, auto_comments=auto)
    return catalogue


def _header(language: str) -> str:
    return (
        f"# The pages of commonplan: {language}.\n"
        "# msgctxt is the message id, msgid the English; translate msgstr and keep its {fields}.\n"
        "# Made and updated by scripts/i18n extract (from commonplan/web/text.py, and the\n"
        "# library's error messages, msgctxt error, from its said(...) calls)."
    )


def _fields(message: Message) -> set[str]:
    if isinstance(message, Plural):
        return fields_of(message.one) | fields_of(message.other)
    return fields_of(message)


def _written(catalogue: Catalog) -> bytes:
    out = BytesIO()
    write_po(out, catalogue, width=100, sort_output=False, ignore_obsolete=True)
    return out.getvalue()


def _store(path: Path, content: bytes) -> bool:
    """Write ``content`` to ``path`` unless it holds it already; whether it changed."""
    if path.exists() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def extract(
    english: Mapping[str, Message],
    directory: Path = LOCALES,
    languages: tuple[str, ...] = (),
    errors: Sequence[str] | None = None,
) -> list[Path]:
    """Write ``messages.pot`` from ``english`` and the library's error templates (``errors``;
    by default :func:`said_templates`) and update each language's ``.po`` from it (new messages
    untranslated, changed English fuzzy, removed messages dropped); the files that changed.
    Running it again changes nothing."""
    pot = directory / f"{DOMAIN}.pot"
    created = None
    if pot.exists():
        with pot.open("rb") as f:
            found = read_po(f).creation_date
            created = found if isinstance(found, datetime) else None
    said = said_templates() if errors is None else errors
    template = template_of(english, created=created, errors=said)
    changed = [pot] if _store(pot, _written(template)) else []
    for lang in languages or tuple(k for k in LANGUAGES if k != "en"):
        path = _path(lang, directory)
        if path.exists():
            with path.open("rb") as f:
                catalogue = read_po(f, locale=lang)
        else:
            catalogue = Catalog(
                locale=lang,
                project="commonplan",
                creation_date=template.creation_date,
                revision_date=template.creation_date,
                header_comment=_header(LANGUAGES.get(lang, lang)),
                fuzzy=False,
            )
        catalogue.update(template, update_creation_date=False)
        catalogue.obsolete.clear()
        if _store(path, _written(catalogue)):
            changed.append(path)
    _catalogue.cache_clear()
    _plural_rule.cache_clear()
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/i18n", description="The pages' translation catalogues."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("extract", help="write messages.pot from the English and update each .po")
    sub.add_parser("check", help="list the messages each language lacks or has fuzzy")
    args = parser.parse_args(argv)
    from commonplan.web.text import EN

    if args.command == "extract":
        for path in extract(EN):
            print(f"updated {path.relative_to(LOCALES.parent)}")
        return 0
    missing = 0
    said = said_templates()
    for lang in LANGUAGES:
        if lang == "en":
            continue
        lacking = sorted(set(EN) - set(translations(lang, EN)))
        unsaid = [t for t in said if t not in error_translations(lang)]
        missing += len(lacking) + len(unsaid)
        print(f"{lang}: {len(EN) - len(lacking)} of {len(EN)} translated")
        for key in lacking:
            print(f"  {key}")
        print(f"{lang}: {len(said) - len(unsaid)} of {len(said)} error messages translated")
        for template in unsaid:
            print(f"  {template}")
    return 1 if missing else 0
