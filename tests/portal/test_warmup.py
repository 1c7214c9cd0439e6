"""portal.warmup.freeze: what the application loaded is taken out of the collector's generations
(docker/gunicorn.conf.py calls it in the master after warming, or in each worker without preload)."""

import gc

from django.urls import get_resolver

from portal.warmup import freeze


def test_freeze_takes_what_is_loaded_out_of_every_collection():
    loaded = get_resolver  # a function of Django's, loaded long before: tracked by the collector
    assert gc.is_tracked(loaded)
    try:
        frozen = freeze()
        # Django and the portal's apps, not a handful (the count is read again: a frozen object
        # may have been freed meanwhile, so it is not compared exactly).
        assert frozen > 10_000
        assert gc.get_freeze_count() > 10_000
        walked = {id(obj) for generation in range(3) for obj in gc.get_objects(generation)}
        assert id(loaded) not in walked  # a full collection no longer walks it
        made_after = [object()]
        walked = {id(obj) for generation in range(3) for obj in gc.get_objects(generation)}
        assert id(made_after) in walked  # what requests make is collected as before
    finally:
        gc.unfreeze()
    assert id(loaded) in {id(obj) for generation in range(3) for obj in gc.get_objects(generation)}
