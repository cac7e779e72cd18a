"""CPU and memory spikes: celery beat samples the machine and this process tree (psutil);
staying over a threshold for RESOURCE_SPIKE_SECONDS records one "resource.spike" event
and alerts once, until the values come back under the thresholds (one episode).

The sampler is a plain function, so tests (and other callers) pass samples in.
The episode lives in the cache: shared by every worker on Redis, per process otherwise.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

import audit
from audit.models import Outcome

EPISODE_CACHE_KEY = "cordon:resource_episode"
EPISODE_TIMEOUT = 7 * 24 * 60 * 60
CPU_SAMPLE_SECONDS = 1.0


@dataclass(frozen=True)
class Sample:
    """Percentages: machine CPU and memory, and those of the app's process tree."""

    machine_cpu: float
    machine_memory: float
    process_cpu: float
    process_memory: float


def sample_now() -> Sample:
    """Measure now with psutil (blocks CPU_SAMPLE_SECONDS to measure CPU use)."""
    import psutil

    me = psutil.Process()
    processes = [me, *me.children(recursive=True)]
    for process in processes:
        try:
            process.cpu_percent(None)
        except psutil.Error:
            continue
    machine_cpu = psutil.cpu_percent(interval=CPU_SAMPLE_SECONDS)
    process_cpu = process_memory = 0.0
    for process in processes:
        try:
            process_cpu += process.cpu_percent(None) / (psutil.cpu_count() or 1)
            process_memory += process.memory_percent()
        except psutil.Error:
            continue
    return Sample(
        machine_cpu=machine_cpu,
        machine_memory=psutil.virtual_memory().percent,
        process_cpu=round(process_cpu, 1),
        process_memory=round(process_memory, 1),
    )


def over_thresholds(sample: Sample) -> list[str]:
    """The measures above their threshold."""
    limits = {
        "machine_cpu": settings.RESOURCE_CPU_PERCENT,
        "process_cpu": settings.RESOURCE_CPU_PERCENT,
        "machine_memory": settings.RESOURCE_MEMORY_PERCENT,
        "process_memory": settings.RESOURCE_MEMORY_PERCENT,
    }
    values = asdict(sample)
    return [name for name, limit in limits.items() if values[name] >= limit]


def resource_check(sample: Sample | None = None, *, now: float | None = None) -> str:
    """Feed one sample; returns "normal", "high" (over, not long enough yet), "spike"
    (this sample made it an episode: event recorded and alert raised) or "ongoing"."""
    from audit import alerts

    sample = sample if sample is not None else sample_now()
    now = time.time() if now is None else now
    over = over_thresholds(sample)
    episode = cache.get(EPISODE_CACHE_KEY)
    if not over:
        if episode is not None:
            cache.delete(EPISODE_CACHE_KEY)
        return "normal"
    if episode is None:
        episode = {"since": now, "alerted": False}
        cache.set(EPISODE_CACHE_KEY, episode, EPISODE_TIMEOUT)
    if episode["alerted"]:
        return "ongoing"
    duration = now - episode["since"]
    if duration < settings.RESOURCE_SPIKE_SECONDS:
        return "high"
    data = {
        "sample": asdict(sample),
        "over": over,
        "seconds": round(duration),
        "thresholds": {
            "cpu_percent": settings.RESOURCE_CPU_PERCENT,
            "memory_percent": settings.RESOURCE_MEMORY_PERCENT,
            "seconds": settings.RESOURCE_SPIKE_SECONDS,
        },
    }
    with transaction.atomic():
        audit.record("resource.spike", data=data, outcome=Outcome.FAILURE)
        alerts.resource_spike(data)
    episode["alerted"] = True
    cache.set(EPISODE_CACHE_KEY, episode, EPISODE_TIMEOUT)
    return "spike"
