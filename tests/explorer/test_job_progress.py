"""What a running job says: stage, count with units, time left; "done in" or nothing
when it ends."""

import pytest

from compute.progress import report, scaled, staged
from explorer.jobs import run_timed_job
from explorer.jobs.progress import (
    JobProgress,
    format_seconds,
    progress_text,
    seconds_left,
)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0 s"), (8, "8 s"), (65, "1 min 05 s"),
                                               (7380, "2 h 03 min")])
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


def test_seconds_left_follows_the_stage_rate():
    # 100 images in 10 s since the stage began at 350: 550 left at 10 images/s
    assert seconds_left(450, 1000, done_at_start=350, elapsed=10.0) == pytest.approx(55.0)
    assert seconds_left(450, 1000, done_at_start=450, elapsed=10.0) is None  # no rate yet
    assert seconds_left(10, 1000, done_at_start=0, elapsed=0.2) is None  # too early


def test_progress_text_has_stage_count_unit_and_time_left():
    assert progress_text("embedding", 450, 1000, "images", left=40) == \
        "embedding 450/1000 images - about 40 s left"
    assert progress_text("UMAP of 2000 images", 0, 1, None, elapsed=12) == \
        "UMAP of 2000 images - 12 s so far"


def test_job_progress_names_the_stage_counts_and_estimates_from_the_rate():
    sent, clock = [], Clock()
    progress = JobProgress(sent.append, clock=clock)
    embedding = staged(progress, "embedding", "images", 0.5, 1.0)
    embedding(0, 1000)
    clock.now += 10
    embedding(250, 1000)
    assert sent[-1] == ("625", "1000", "embedding 250/1000 images - about 30 s left")


def test_a_new_stage_restarts_the_rate_and_unnamed_reports_keep_the_stage_text():
    sent, clock = [], Clock()
    progress = JobProgress(sent.append, clock=clock)
    staged(progress, "scanning", "files", 0.0, 0.5)(100, 100)
    clock.now += 50
    knn = staged(scaled(progress, 0.5, 1.0), "kNN graph", "points", 0.0, 0.5)
    knn(0, 2000)
    assert sent[-1] == ("500", "1000", "kNN graph 0/2000 points")
    clock.now += 1
    report(progress, 900, 1000)  # an unnamed step of the job moves the bar only
    assert sent[-1][0] == "900" and sent[-1][2].startswith("kNN graph 0/2000 points")


def test_job_progress_sends_at_most_a_few_messages_a_second():
    sent, clock = [], Clock()
    step = staged(JobProgress(sent.append, clock=clock), "embedding", "images")
    for done in range(100):
        step(done, 1000)  # 100 reports in no time: the first only
    assert len(sent) == 1
    clock.now += 1
    step(100, 1000)
    assert len(sent) == 2


def test_run_timed_job_says_done_in_or_nothing_on_failure():
    clock = Clock()

    def job():
        clock.now += 12
        return ("key",)

    assert run_timed_job(job, task="The analysis", n_outputs=1, clock=clock) == \
        ("key", "done in 12 s", "")

    def failing():
        raise ValueError("k = 40 exceeds maxk = 30: lower k or raise maxk")

    *_, status, alert = run_timed_job(failing, task="The analysis", n_outputs=1, clock=clock)
    assert status == "" and "lower k or raise maxk" in alert
