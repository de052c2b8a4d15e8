from compute.progress import report, scaled, terminal_bar


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
