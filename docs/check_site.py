"""Open the built documentation in a real browser and check it (make docs-check).

Usage: ``python docs/check_site.py docs/_build/html --out out``

1. Installs Debian's ``chromium`` when it is missing (``apt-get``; needs root).
2. Serves the built site on 127.0.0.1 and opens, in headless Chromium, the
   home page, the ``transport.solve`` API page and one gallery page: each
   must render (its DOM, after the page's scripts ran, holds the expected
   text) with its figures (every ``<img>`` of the page's content resolves to
   a non-empty local file, and the page has at least one).  A screenshot of
   each goes to ``<out>/docs_*.png``.
3. Checks every internal link of the site: each ``href``/``src`` of every
   HTML file that points into the site must name an existing file, and its
   ``#anchor``, if any, an ``id`` in that file.

Exit status 0 when all checks pass, 1 otherwise (each failure printed).
"""

import argparse
import functools
import html.parser
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: (page, name of the screenshot, texts its rendered DOM must contain)
PAGES = [
    ("index.html", "docs_home", ["emdkit", "A 30-second tour"]),
    ("api/generated/transport.solve.html", "docs_api_solve",
     ["transport.solve", "u_values", "TransportResult"]),
    ("auto_examples/plot_sparse_cloud.html", "docs_gallery_sparse_cloud",
     ["A large cloud solved without the cost matrix", "W_2 ="]),
]

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--window-size=1280,2400"]


def find_chromium():
    """The browser's path, installing Debian's package when it is missing."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    print("chromium not found: installing Debian's package (apt-get)", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "chromium"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    path = shutil.which("chromium")
    if path is None:
        raise RuntimeError("chromium is still missing after apt-get install")
    return path


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(root):
    """A thread serving `root` on 127.0.0.1; returns (server, base URL)."""
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def chromium(browser, profile, *args, timeout=120):
    cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return done


class _Collector(html.parser.HTMLParser):
    """Links, images and ids of one HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []   # (tag, attribute, value)
        self.images = []  # src of <img> inside the page's main content
        self.ids = set()
        self._main_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        if tag == "main" or (tag == "article" and self._main_depth == 0):
            self._main_depth += 1
        for attr in ("href", "src"):
            if attrs.get(attr):
                self.links.append((tag, attr, attrs[attr]))
        if tag == "img" and attrs.get("src") and self._main_depth:
            self.images.append(attrs["src"])


def parse(text):
    collector = _Collector()
    collector.feed(text)
    return collector


def is_internal(url):
    parts = urlsplit(url)
    return not (parts.scheme or parts.netloc or url.startswith(("mailto:", "data:",
                                                                 "javascript:")))


def resolve(site, page, url):
    """(file, anchor) that an internal `url` on `page` points to."""
    parts = urlsplit(url)
    if not parts.path:
        return page, unquote(parts.fragment)
    if parts.path.startswith("/"):
        target = site / unquote(parts.path).lstrip("/")
    else:
        target = (page.parent / unquote(parts.path))
    target = Path(os.path.normpath(target))
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def pages(site):
    """The site's HTML pages (not the theme's templates copied to _static/)."""
    return [p for p in sorted(site.rglob("*.html"))
            if p.relative_to(site).parts[0] not in ("_static", "_sources")]


def check_links(site):
    """Every broken internal link of the site, as messages."""
    site = site.resolve()
    ids_cache = {}

    def ids_of(path):
        if path not in ids_cache:
            ids_cache[path] = parse(path.read_text(encoding="utf-8", errors="replace")).ids
        return ids_cache[path]

    problems, checked = [], 0
    for page in pages(site):
        doc = parse(page.read_text(encoding="utf-8", errors="replace"))
        for tag, attr, url in doc.links:
            if not is_internal(url):
                continue
            checked += 1
            target, anchor = resolve(site, page, url)
            where = f"{page.relative_to(site)}: <{tag} {attr}={url!r}>"
            if site not in target.parents and target != site:
                problems.append(f"{where} leaves the site")
            elif not target.is_file():
                problems.append(f"{where}: no file {target.relative_to(site)}")
            elif anchor and target.suffix == ".html" and anchor not in ids_of(target):
                problems.append(f"{where}: no id {anchor!r} in {target.relative_to(site)}")
    return problems, checked


def check_page(browser, base, site, page, shot, texts, out):
    """Render one page: expected texts, figures present, a screenshot."""
    problems = []
    url = base + page
    with tempfile.TemporaryDirectory(prefix="emdkit-chromium-") as profile:
        done = chromium(browser, profile, "--virtual-time-budget=5000", "--dump-dom", url)
    dom = done.stdout
    if done.returncode != 0 or "<body" not in dom:
        return [f"{page}: chromium could not render it (exit {done.returncode}): "
                f"{done.stderr.strip()[-500:]}"]
    for text in texts:
        if text not in dom:
            problems.append(f"{page}: the rendered page lacks {text!r}")
    doc = parse(dom)
    figures = [src for src in doc.images if is_internal(src)]
    if not figures:
        problems.append(f"{page}: no figure in the rendered page")
    for src in figures:
        target, _ = resolve(site.resolve(), (site / page).resolve(), src)
        if not target.is_file() or target.stat().st_size == 0:
            problems.append(f"{page}: figure {src} is missing or empty")
    path = out / f"{shot}.png"
    with tempfile.TemporaryDirectory(prefix="emdkit-chromium-") as profile:
        done = chromium(browser, profile, "--virtual-time-budget=5000",
                        f"--screenshot={path.resolve()}", url)
    if done.returncode != 0 or not path.is_file() or path.stat().st_size == 0:
        problems.append(f"{page}: no screenshot ({done.stderr.strip()[-300:]})")
    print(f"  {page}: {len(figures)} figure(s), screenshot {path}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python docs/check_site.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path, help="the built site (docs/_build/html)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="screenshots go here")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"error: {args.site}/index.html not found: run `make docs` first",
              file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    problems, checked = check_links(args.site)
    print(f"internal links: {checked} checked in {len(pages(args.site.resolve()))} "
          f"pages, {len(problems)} broken")
    browser = find_chromium()
    version = subprocess.run([browser, "--version"], capture_output=True, text=True).stdout
    print(f"browser: {version.strip()}")
    server, base = serve(args.site)
    try:
        for page, shot, texts in PAGES:
            problems += check_page(browser, base, args.site, page, shot, texts, args.out)
    finally:
        server.shutdown()
    for p in problems:
        print("FAIL", p, file=sys.stderr)
    print("docs-check: " + ("all checks passed" if not problems
                            else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
