"""The names of a new domain: every spelling the templates need, from one plural, and the
names a domain may not take."""

import builtins
import keyword
import re
from dataclasses import dataclass

PACKAGE = "{{ cookiecutter.package_name }}"
# Keeps table and constraint names inside PostgreSQL's 63 characters, and lines inside 100.
MAX_NAME_LENGTH = 30
_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# Names the generated code uses for its own variables, parameters and classes: a domain named
# after one would shadow it ("items" against `for item in items`, "pages" against Page).
# fmt: off
_TAKEN = frozenset({
    "admin", "base", "body", "client", "code", "count", "data", "db", "entity", "field", "header",
    "item", "message", "model", "name", "owner", "page", "param", "query", "repository",
    "request", "response", "router", "schema", "service", "session", "setting", "sort",
    "statement", "status", "test", "timestamp", "token", "total", "url", "user",
})
# fmt: on
_SINGULAR_RULES = [
    ("ies", "y"),
    ("sses", "ss"),
    ("uses", "us"),
    ("xes", "x"),
    ("zes", "z"),
    ("ches", "ch"),
    ("shes", "sh"),
]

_IRREGULAR = {"people": "person", "children": "child", "men": "man", "women": "woman"}
_SAME_IN_BOTH = frozenset({"news", "series", "species"})


class ScaffoldError(Exception):
    """Why the domain was not created. The project is unchanged."""


@dataclass(frozen=True)
class DomainNames:
    """Every spelling of the domain the templates need, from `line_items` and `line_item`."""

    domain: str
    item: str

    @property
    def model(self) -> str:
        return "".join(part.capitalize() for part in self.item.split("_"))

    @property
    def url(self) -> str:
        return self.domain.replace("_", "-")

    def substitutions(self) -> dict[str, str]:
        nouns = self.domain.replace("_", " ")
        noun = self.item.replace("_", " ")
        return {
            "package": PACKAGE,
            "domain": self.domain,
            "DOMAIN": self.domain.upper(),
            "item": self.item,
            "Model": self.model,
            "url": self.url,
            "nouns": nouns,
            "Nouns": nouns.capitalize(),
            "noun": noun,
            "Noun": noun.capitalize(),
        }


def singular_of(plural: str) -> str | None:
    """The singular of an English plural in snake_case (invoices, line_items, categories,
    addresses, boxes, people), or None when the last word does not look like a plural."""
    head, _, word = plural.rpartition("_")
    prefix = f"{head}_" if head else ""
    if word in _IRREGULAR:
        return prefix + _IRREGULAR[word]
    if word in _SAME_IN_BOTH or word.endswith(("ss", "us", "is")):
        return None
    for ending, replacement in _SINGULAR_RULES:
        if word.endswith(ending):
            return prefix + word.removesuffix(ending) + replacement
    if word.endswith("s"):
        return prefix + word.removesuffix("s")
    return None


def refuse_bad_spelling(name: str, role: str) -> None:
    if not _NAME.fullmatch(name):
        raise ScaffoldError(
            f"'{name}' is not a valid {role}: use lowercase letters, digits and single "
            "underscores, starting with a letter (e.g. invoices, line_items)"
        )


def _refuse_bad_identifier(name: str, role: str) -> None:
    refuse_bad_spelling(name, role)
    if len(name) > MAX_NAME_LENGTH:
        raise ScaffoldError(
            f"'{name}' is longer than {MAX_NAME_LENGTH} characters; table and constraint names "
            "must fit PostgreSQL's limit of 63"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or hasattr(builtins, name):
        raise ScaffoldError(f"'{name}' is a Python keyword or built-in name; choose another")
    if name in _TAKEN or name.removesuffix("s") in _TAKEN:
        raise ScaffoldError(
            f"'{name}' would shadow a name the generated code uses for itself; choose another"
        )


def domain_names(name: str, singular: str | None = None) -> DomainNames:
    """The names for a domain called `name` (a plural), or ScaffoldError saying what is wrong."""
    _refuse_bad_identifier(name, "domain name")
    item = singular if singular is not None else singular_of(name)
    if item is None or item == name:
        raise ScaffoldError(
            f"cannot tell the singular of '{name}': name the domain in the plural "
            "(e.g. invoices), or give the singular with --singular"
        )
    _refuse_bad_identifier(item, "singular")
    return DomainNames(domain=name, item=item)
