"""The official semantic conventions, read from the installed semconv package.

``opentelemetry-semantic-conventions`` is generated from the same YAML but keeps only names,
enums and docstrings, so we parse its *sources* (``ast``: no import of ~100 modules, no
network): a ``NAME: Final = "x.y"`` constant is an attribute or metric, its docstring's
``Deprecated: ...`` line is the deprecation (``Replaced by `x`.`` is a rename), a ``*Values``
enum gives the members. Modules under ``attributes/`` are stable; names found only under
``_incubating`` are ``development``. Value types other than enums are not recorded in the
package, so those attributes have ``type=None`` (templates: ``template[any]``).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import os
import pickle
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ._model import ENUM, MOVED_PREFIX, STABLE, Attribute, Metric

_RENAMED = re.compile(r"^(?:Replaced by|Use) `([^`\s]+)`(?: instead)?(?:\.|, which has moved .*)?$")
_OBSOLETED = re.compile(r"^(?:Removed|Obsoleted|Deprecated, no replacement)", re.IGNORECASE)
_STABLE_ALIAS = "Deprecated in favor of stable"
#: the package marks template attributes only by "`<key>` being ..." in the docstring and does
#: not record their value type
TEMPLATE_ANY = "template[any]"
_INSTRUMENT = re.compile(r"^Instrument: (\S+)$", re.MULTILINE)
_UNIT = re.compile(r"^Unit: (\S+)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class SemconvPackage:
    """What the installed package defines; cached per process."""

    version: str
    attributes: tuple[Attribute, ...]
    metrics: tuple[Metric, ...]


def _package_dir() -> Path | None:
    spec = importlib.util.find_spec("opentelemetry.semconv")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _deprecation(doc: str) -> tuple[str | None, str | None]:
    for line in doc.splitlines():
        line = line.strip()
        if line.startswith("Deprecated:"):
            text = line.removeprefix("Deprecated:").strip()
            match = _RENAMED.match(text)
            if match:
                return "renamed", match.group(1)
            if _OBSOLETED.match(text):
                return "obsoleted", None
            return "uncategorized", None
    return None, None


def _moved(doc: str) -> bool:
    return any(
        line.strip().removeprefix("Deprecated:").strip().startswith(MOVED_PREFIX)
        for line in doc.splitlines()
        if line.strip().startswith("Deprecated:")
    )


def _brief(doc: str) -> str:
    return doc.strip().splitlines()[0].strip() if doc.strip() else ""


def _constants(tree: ast.Module) -> Iterator[tuple[str, str, str]]:
    """``(CONSTANT_NAME, value, docstring)`` for each ``X: Final = "..."`` in a module."""
    body = tree.body
    for index, node in enumerate(body):
        if not (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            continue
        doc = ""
        if index + 1 < len(body):
            following = body[index + 1]
            if (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                doc = following.value.value
        yield node.target.id, node.value.value, doc


def _enum_members(tree: ast.Module) -> dict[str, tuple[str | int, ...]]:
    """``{"MessagingOperationTypeValues": ("create", ...)}``."""
    found: dict[str, tuple[str | int, ...]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.endswith("Values"):
            values = [
                item.value.value
                for item in node.body
                if isinstance(item, ast.Assign)
                and isinstance(item.value, ast.Constant)
                and isinstance(item.value.value, (str, int))
            ]
            found[node.name] = tuple(values)
    return found


def _enum_class_name(constant: str) -> str:
    return "".join(part.capitalize() for part in constant.split("_")) + "Values"


def _attributes(root: Path) -> list[Attribute]:
    by_name: dict[str, Attribute] = {}
    for folder, stability in (
        (root / "attributes", STABLE),
        (root / "_incubating" / "attributes", "development"),
    ):
        for path in sorted(folder.glob("*_attributes.py")):
            tree = ast.parse(path.read_bytes(), str(path))
            enums = _enum_members(tree)
            for constant, name, doc in _constants(tree):
                if name in by_name or doc.strip().startswith(_STABLE_ALIAS):
                    continue
                reason, renamed_to = _deprecation(doc)
                members = enums.get(_enum_class_name(constant), ())
                type_ = ENUM if members else (TEMPLATE_ANY if "`<key>`" in doc else None)
                by_name[name] = Attribute(
                    name=name,
                    type=type_,
                    brief=_brief(doc),
                    stability=stability,
                    deprecated=reason,
                    renamed_to=renamed_to,
                    members=members,
                    source=f"opentelemetry-semantic-conventions:{path.relative_to(root.parent.parent)}",
                    moved=_moved(doc),
                )
    return list(by_name.values())


def _metrics(root: Path) -> list[Metric]:
    by_name: dict[str, Metric] = {}
    for folder, stability in (
        (root / "metrics", STABLE),
        (root / "_incubating" / "metrics", "development"),
    ):
        for path in sorted(folder.glob("*_metrics.py")):
            tree = ast.parse(path.read_bytes(), str(path))
            for _constant, name, doc in _constants(tree):
                if name in by_name or doc.strip().startswith(_STABLE_ALIAS):
                    continue
                reason, renamed_to = _deprecation(doc)
                instrument = _INSTRUMENT.search(doc)
                unit = _UNIT.search(doc)
                by_name[name] = Metric(
                    name=name,
                    instrument=instrument.group(1) if instrument else None,
                    unit=unit.group(1) if unit else None,
                    brief=_brief(doc),
                    stability=stability,
                    deprecated=reason,
                    renamed_to=renamed_to,
                    source=f"opentelemetry-semantic-conventions:{path.relative_to(root.parent.parent)}",
                    moved=_moved(doc),
                )
    return list(by_name.values())


def _cache_file(root: Path, version: str) -> Path | None:
    """Where this package's parse is kept between processes, or None (caching off).

    The name holds the package's place and version and this module's and the model's own
    source, so another package, another release or another obskit never reads a stale
    parse. ``OBSKIT_CACHE_DIR`` moves the cache; set empty, it turns it off. No home directory
    (a container without one) or sources that cannot be read also turn it off.
    """
    try:
        folder = os.environ.get("OBSKIT_CACHE_DIR")
        if folder is None:
            cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
            folder = str(Path(cache) / "obskit")
        if not folder:
            return None
        key = hashlib.sha256(f"{root}\0{version}\0{sys.version_info[:2]}".encode())
        for module in (__file__, _model_file()):
            key.update(Path(module).read_bytes())
    except (OSError, RuntimeError):  # RuntimeError: Path.home() found no home directory
        return None
    return Path(folder) / f"semconv-{version or 'unknown'}-{key.hexdigest()[:16]}.pickle"


def _model_file() -> str:
    from . import _model

    return _model.__file__ or ""


def _cached(path: Path | None) -> SemconvPackage | None:
    if path is None:
        return None
    try:
        with path.open("rb") as stream:
            found = pickle.load(stream)  # our own file, in the user's own cache directory
    except Exception:  # absent, unreadable or from an incompatible run: parse again
        return None
    return found if isinstance(found, SemconvPackage) else None


def _keep(path: Path | None, package: SemconvPackage) -> None:
    """Write the parse for the next process; a cache that cannot be written is skipped."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        partial.write_bytes(pickle.dumps(package, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, path)  # whole or not at all, also with processes racing
    except OSError:
        pass


@functools.cache
def semconv_package() -> SemconvPackage:
    """Read the installed package once per process, and its parse once per release: every
    ``obskit lint`` run (pre-commit starts one per commit) would otherwise parse about 100
    source files (about 90 ms) before linting one."""
    root = _package_dir()
    if root is None:  # pragma: no cover - it is a dependency
        return SemconvPackage("", (), ())
    version = ""
    version_file = root / "version" / "__init__.py"
    if version_file.exists():
        match = re.search(r'__version__\s*=\s*"([^"]+)"', version_file.read_text(encoding="utf-8"))
        version = match.group(1) if match else ""
    cache = _cache_file(root, version)
    package = _cached(cache)
    if package is None:
        package = SemconvPackage(version, tuple(_attributes(root)), tuple(_metrics(root)))
        _keep(cache, package)
    return package
