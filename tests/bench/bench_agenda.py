"""Agenda page and JSON agenda of the demo event against a bare Starlette endpoint, one uvicorn process each.

Run: make bench   (or: .venv/bin/python -m tests.bench.bench_agenda [--rounds 3 --seconds 5])
Goal: the agenda page reaches at least a third of the bare endpoint's requests per second.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.bench.serving import demo_database, median, scratch_folder, uvicorn_process, wrk_requests_per_second

SLUG = "asian-dialogue-2021"
TARGETS = {
    "agenda page": f"/{SLUG}/",
    "agenda page, Jakarta time, zh-Hans": f"/{SLUG}/?tz=Asia/Jakarta&lang=zh-Hans",
    "JSON agenda": f"/api/v1/events/{SLUG}/sessions",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()

    figures: dict[str, list[float]] = {"bare Starlette endpoint": [], **{name: [] for name in TARGETS}}
    with scratch_folder() as folder:
        env = demo_database(Path(folder))
        with (
            uvicorn_process("tests.bench.bare_app:app", env) as bare,
            uvicorn_process("server.app:create_app", env, factory=True) as podium,
        ):
            for path in TARGETS.values():  # warm the caches before measuring
                wrk_requests_per_second(podium + path, seconds=1)
            for _round in range(args.rounds):  # interleaved, so drift hits every target alike
                figures["bare Starlette endpoint"].append(wrk_requests_per_second(bare + "/", seconds=args.seconds))
                for name, path in TARGETS.items():
                    figures[name].append(wrk_requests_per_second(podium + path, seconds=args.seconds))

    baseline = median(figures["bare Starlette endpoint"])
    print(f"{'target':40} {'median req/s':>12} {'vs bare':>8}   rounds")
    for name, values in figures.items():
        rounds = ", ".join(f"{value:.0f}" for value in values)
        print(f"{name:40} {median(values):12.0f} {median(values) / baseline:8.2f}   {rounds}")
    ratio = median(figures["agenda page"]) / baseline
    verdict = "meets" if ratio >= 1 / 3 else "MISSES"
    print(f"agenda page / bare endpoint = {ratio:.2f} ({verdict} the goal of at least 0.33)")


if __name__ == "__main__":
    main()
