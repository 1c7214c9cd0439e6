"""The data of the load runs (bench/load.sh): the demo, or the demo inside a district of 100 000
members (docs/benchmarks.md, "Load").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench .venv/bin/python bench/load_data.py demo
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench_load .venv/bin/python bench/load_data.py 100k

``100k`` first generates bench/stats_at_scale.py's district (南湖区, code 330402: 50 parks, 2 000
branches, 100 000 members, 1 000 000 attendance rows), then seeds the demo, whose 南湖区 is the same
district (by its code): the demo's district official and superuser see all of it, the demo's park
administrators, secretaries and members their own demo parks. Both steps are skipped when done.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def main():
    size = sys.argv[1] if len(sys.argv) > 1 else "demo"
    if size not in ("demo", "100k"):
        raise SystemExit("usage: load_data.py demo|100k")
    import stats_at_scale

    stats_at_scale.ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if size == "100k":
        stats_at_scale.generate()
    call_command("seed_demo", verbosity=1)
    from django.db.models import Q

    from members.models import Member
    from parks.models import District

    district = District.objects.get(code="330402")
    members = Member.objects.filter(Q(organization__district=district) | Q(organization__park__district=district))
    print(f"{district}: {members.count()} members; {Member.objects.count()} in all")


if __name__ == "__main__":
    main()
