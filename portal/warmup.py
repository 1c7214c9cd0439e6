"""Warm the application before it serves: what a fresh gunicorn worker would otherwise do on its
first request (docker/gunicorn.conf.py calls ``warm()`` in the master, before forking, with
``preload_app``; every worker, and every worker recycled by ``max_requests``, starts warm).

Nothing here touches the database: connections opened before the fork would be shared by the
workers. What is loaded: every URLconf and the views they import (and so every app's admin, API
and forms modules), the admin registry, the OpenAPI schema generator's imports, the translation
catalogues of every language, and every template, compiled by the cached loader.

``freeze()`` then takes everything loaded out of the garbage collector's generations
(``gc.freeze``): those objects live as long as the process, and every full collection walked them
all again, in the middle of whichever request happened to trigger it. At 100 000 members the
dashboard's alerts section measured 370 ms median and 425–565 ms at its slowest run without it,
330 ms and 335–350 ms with it (docs/benchmarks.md). In the master before the fork, it also keeps
the workers' collections from writing to the pages they share with it.
"""

from __future__ import annotations

import gc
import logging
import time
from pathlib import Path

from django.conf import settings
from django.template import engines
from django.template.exceptions import TemplateDoesNotExist, TemplateSyntaxError
from django.urls import get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)


def _template_names(directory: Path):
    for path in sorted(directory.rglob("*.html")):
        yield path.relative_to(directory).as_posix()


def warm() -> dict[str, float | int]:
    """Load what the first request would; return what was loaded and how long it took."""
    started = time.perf_counter()
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports every URLconf and view module
    resolver.reverse_dict  # noqa: B018 - the reverse() tables, built once per language
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Home")
            get_resolver().reverse_dict  # noqa: B018
    templates = 0
    for engine in engines.all():
        directories = list(getattr(engine, "template_dirs", []))
        for directory in directories:
            for name in _template_names(Path(directory)):
                try:
                    engine.get_template(name)
                except (TemplateDoesNotExist, TemplateSyntaxError, UnicodeDecodeError):
                    continue
                templates += 1
    seconds = time.perf_counter() - started
    logger.info("warmed: %d templates in %.2f s", templates, seconds)
    return {"templates": templates, "seconds": seconds}


def freeze() -> int:
    """Move every object tracked so far into the collector's permanent generation, never walked by
    a collection (gc.freeze); return how many. Call it once the application is loaded and warm."""
    gc.freeze()
    return gc.get_freeze_count()
