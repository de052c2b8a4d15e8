from compute.progress import StageListener, report, scaled, staged, terminal_bar


def test_scaled_maps_substeps_onto_one_bar():
    seen = []
    sub = scaled(lambda d, t: seen.append((d, t)), 0.5, 1.0)
    sub(0, 10)
    sub(5, 10)
    sub(10, 10)
    assert seen == [(500, 1000), (750, 1000), (1000, 1000)]


def test_scaled_and_report_accept_none():
    assert scaled(None, 0, 1) is None
    report(None, 1, 2)  # no callback: nothing to call, no error


def test_terminal_bar_tracks_totals(capsys):
    with terminal_bar("embed", enabled=True) as bar:
        bar(3, 10)
        bar(10, 10)
    err = capsys.readouterr().err
    assert "embed" in err and "10/10" in err


class Recorder(StageListener):
    def __init__(self):
        self.seen = []

    def on_stage(self, name, unit, done, total, fraction):
        self.seen.append((name, unit, done, total, round(fraction, 4)))


def test_staged_tells_a_stage_listener_the_stage_its_count_and_the_overall_fraction():
    top = Recorder()
    embedding = staged(top, "embedding", "images", 0.5, 1.0)
    embedding(450, 1000)
    assert top.seen == [("embedding", "images", 450, 1000, 0.725)]


def test_the_innermost_named_stage_wins_and_unnamed_steps_keep_the_enclosing_name():
    top = Recorder()
    clustering = scaled(top, 0.8, 1.0)  # unnamed, as the pipeline's topography step
    staged(clustering, "kNN graph", "points", 0.0, 0.5)(10, 20)
    named = staged(top, "training", None, 0.0, 1.0)
    scaled(named, 0.0, 0.5)(1, 2)
    assert top.seen == [("kNN graph", "points", 10, 20, 0.85),
                        ("training", None, 1, 2, 0.25)]


def test_staged_gives_a_plain_callback_the_thousandths_only():
    seen = []
    staged(lambda d, t: seen.append((d, t)), "embedding", "images", 0.5, 1.0)(5, 10)
    assert seen == [(750, 1000)]
    assert staged(None, "x", "y") is None
