"""The version of the emdkit distribution (both packages share it).

One source of truth: ``version`` in ``setup.cfg``.  In a source tree (a
clone, an editable install, ``PYTHONPATH=.``) it is read from that file, so
the number can never lag behind it; in an installed copy, where no
``setup.cfg`` sits beside the packages, from the installed metadata, which
setuptools wrote from the same file.
"""

import configparser
from pathlib import Path

DISTRIBUTION = "emdkit"


def version_from(root):
    """The version of the emdkit checkout at `root`, else the installed one.

    Returns ``"0+unknown"`` when neither is available.
    """
    cfg = Path(root) / "setup.cfg"
    if cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(cfg, encoding="utf-8")
        except configparser.Error:
            parser = None
        if parser is not None and parser.get("metadata", "name", fallback=None) == DISTRIBUTION:
            found = parser.get("metadata", "version", fallback="").strip()
            if found:
                return found
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


__version__ = version_from(Path(__file__).resolve().parents[1])
