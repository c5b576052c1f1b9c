"""Tuning databases: measured kernel parameters per device, looked up from the most specific level down.

Two files, one format. The shipped database (``kernels/tuning.json``, versioned with the package) holds
entries measured by the developers; the user's (``$OVCL_CACHE_DIR/tuning.json``, else
``~/.cache/ovcl/tuning.json``) holds what ``ovcl tune`` measured here, and wins. An entry::

    {"level": "arch", "key": "pocl:znver3:vw8", "variant": "matmul.tiled", "shape": "kind=const,M=...|*",
     "params": {...}, "source": "<template hash>", "us": 812.0, "default_us": 2230.0,
     "device": "...", "driver": "...", "ovcl": "0.1.0", "measured": "2026-12-03"}

Levels, most specific first: ``device`` (name and vendor), ``arch`` (PoCL's LLVM target and preferred vector
width; an NVIDIA GPU's compute capability; otherwise the device name), ``vendor`` (vendor and device type),
``type`` (CPU or GPU). For a launch the lookup takes the exact shape at any level (user before shipped, most
specific level first), then a ``*`` (any shape) entry the same way; with nothing found the variant's
capability defaults apply. An entry is used only when its template hash matches the source now (else it is
stale); a user entry also only for the ovcl version and driver it was measured with. ``ovcl tune`` records
entries at device level; promoting one to arch or vendor level is an explicit step
(``ovcl tune --promote LEVEL``). A file that is corrupt, of another format or unreadable is a warning and
is skipped, never an error or a wrong result.

``OVCL_TUNING``: ``1`` (default: user and shipped), ``user`` (the user's only: what a device nobody measured
sees once its user has tuned), ``0`` (capability defaults only).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from ovcl.kernels.variant import KERNELS

FORMAT = "ovcl-tuning"
VERSION = 1
LEVELS = ("device", "arch", "vendor", "type")
SHIPPED = KERNELS / "tuning.json"


class TuningWarning(UserWarning):
    """A tuning database could not be used (corrupt, foreign or unreadable): it is skipped."""


def user_path() -> Path:
    base = os.environ.get("OVCL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "ovcl")
    return Path(base) / "tuning.json"


def mode() -> str:
    m = os.environ.get("OVCL_TUNING", "1").strip().lower()
    return {"0": "off", "off": "off", "no": "off", "false": "off", "user": "user"}.get(m, "all")


# -- device identity -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    """How a device is named at each level of the database, plus what a user entry is tied to."""
    device: str
    arch: str
    vendor: str
    type: str
    driver: str

    def key(self, level: str) -> str:
        return getattr(self, level)

    @staticmethod
    def of(device) -> "Identity":
        d, caps = device.cl_device, device.caps
        name, vendor = d.name.strip(), d.vendor.strip()
        version, platform = d.version.strip(), device.platform.name.strip()
        if "PoCL" in version or "Portable Computing Language" in platform:
            target = re.search(r"HSTR:\s*\S*?-([A-Za-z0-9_.]+)\s*$", version)
            arch = f"pocl:{target.group(1) if target else 'unknown'}:vw{caps.preferred_vector_width_float}"
            vendor_key = f"pocl:{caps.device_type}"
        elif "cl_nv_device_attribute_query" in caps.extensions:
            try:
                arch = f"nvidia:sm_{d.compute_capability_major_nv}{d.compute_capability_minor_nv}"
            except Exception:  # noqa: BLE001 - an old driver without the query
                arch = f"nvidia:{name}"
            vendor_key = f"nvidia:{caps.device_type}"
        else:
            arch = f"{vendor.lower()}:{name}"
            vendor_key = f"{vendor.lower()}:{caps.device_type}"
        return Identity(device=f"{vendor}|{name}", arch=arch, vendor=vendor_key, type=caps.device_type,
                        driver=d.driver_version.strip())

    @staticmethod
    def fake(device: str, arch: str, vendor: str, type: str = "CPU", driver: str = "1") -> "Identity":
        return Identity(device, arch, vendor, type, driver)


# -- files -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    level: str
    key: str
    variant: str
    shape: str
    params: dict
    source: str
    record: dict          # the entry as stored (measurements, device, driver, ovcl version)

    @property
    def where(self) -> str:
        return f"{self.level}:{self.key}"


def _entries(doc) -> list[Entry]:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError("not an ovcl tuning database")
    if doc.get("version") != VERSION:
        raise ValueError(f"format version {doc.get('version')!r}, this ovcl reads {VERSION}")
    out = []
    for e in doc.get("entries", []):
        if not (isinstance(e, dict) and e.get("level") in LEVELS and isinstance(e.get("params"), dict)
                and all(isinstance(e.get(k), str) for k in ("key", "variant", "shape", "source"))
                and all(isinstance(v, int) and not isinstance(v, bool) for v in e["params"].values())):
            raise ValueError(f"malformed entry {str(e)[:200]}")
        out.append(Entry(e["level"], e["key"], e["variant"], e["shape"], dict(e["params"]), e["source"], dict(e)))
    return out


_cache: dict[Path, tuple[tuple, list[Entry]]] = {}
_lock = threading.Lock()


def read(path: Path) -> list[Entry]:
    """The entries of one database file ([] when it is missing; a warning and [] when it is unusable).
    Re-read when the file changes."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return []
    stamp = (st.st_mtime_ns, st.st_size)
    with _lock:
        hit = _cache.get(path)
        if hit and hit[0] == stamp:
            return hit[1]
    try:
        entries = _entries(json.loads(path.read_text()))
    except (OSError, ValueError, UnicodeDecodeError) as e:
        warnings.warn(f"tuning database {path} is not usable ({e}); it is ignored. Delete it, or run "
                      f"'ovcl tune' again to rewrite it.", TuningWarning, stacklevel=3)
        entries = []
    with _lock:
        _cache[path] = (stamp, entries)
    return entries


def write(path: Path, records: list[dict]) -> None:
    """Write a database file atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format": FORMAT, "version": VERSION, "entries": records}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tuning-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def add_user_entries(records: list[dict], path: Path | None = None) -> Path:
    """Merge measured entries into the user's database: a new entry replaces one for the same level, key,
    variant and shape. Existing entries of an unreadable file are dropped (with the warning ``read`` gives)."""
    path = Path(path or user_path())
    old = [e.record for e in read(path)]
    ident = lambda r: (r["level"], r["key"], r["variant"], r["shape"])  # noqa: E731
    new = {ident(r) for r in records}
    write(path, [r for r in old if ident(r) not in new] + list(records))
    return path


# -- lookup ----------------------------------------------------------------------------------------------

def _candidates(identity: Identity, variant, shape: str):
    """This device's entries for ``variant`` at ``shape``, then at "*": the most specific level first, the
    user's before the shipped ones at each."""
    m = mode()
    if m == "off":
        return
    from ovcl import __version__
    user = [e for e in read(user_path()) if e.record.get("ovcl") == __version__
            and (e.level != "device" or e.record.get("driver") == identity.driver)]
    shipped = read(SHIPPED) if m == "all" else []
    for want in (shape, "*"):
        for level in LEVELS:
            key = identity.key(level)
            for entries in (user, shipped):
                for e in entries:
                    if e.variant == variant and e.shape == want and e.level == level and e.key == key:
                        yield e


def lookup(identity: Identity, variant, shape: str, source: str) -> Entry | None:
    """The entry that applies to ``variant`` at ``shape`` on this device, or None."""
    stale = False
    for e in _candidates(identity, variant, shape):
        if e.source == source:
            return e
        stale = True
    if stale and (variant, source) not in _warned:
        _warned.add((variant, source))
        warnings.warn(f"tuning entries for {variant} on this device were measured on other kernel source and "
                      f"are ignored (capability defaults apply); run 'ovcl tune' to measure again",
                      TuningWarning, stacklevel=3)
    return None


def stale_params(identity: Identity, variant, shape: str, source: str) -> list[dict]:
    """The parameters of this device's entries for ``variant`` at ``shape`` measured on other kernel source:
    after a template change, the tuner measures them first (they often still win, and a short budget's
    random sample may not find them again)."""
    out = []
    for e in _candidates(identity, variant, shape):
        if e.source != source and e.shape == shape and e.params not in out:
            out.append(dict(e.params))
    return out


_warned: set = set()


def fingerprint() -> str:
    """What a compiled model's parameters depend on besides its source: the mode and the files' states
    (the model cache keys on it, so a new tuning result is not hidden behind an old cached plan)."""
    parts = [mode()]
    for p in (user_path(), SHIPPED):
        try:
            st = p.stat()
            parts.append(f"{st.st_mtime_ns}:{st.st_size}")
        except OSError:
            parts.append("-")
    return "|".join(parts)
