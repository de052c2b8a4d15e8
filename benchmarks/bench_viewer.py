"""The image viewer's full-resolution render on real SEM frames (issue 19).

    python -m benchmarks.bench_viewer

For three sizes of real frame from ``../shared/data`` (712 x 484 XL30 TIFF, 1024 x 688
nanowire PNG, 2048 x 1536 Zeiss TIFF) it times :func:`compute.ingest.thumbnails.full_image`
(decode, the pipeline's stretch, PNG written to the cache) the first time a frame is shown
and when it is cached, with and without the data bar, and reports the PNG's size: what
opening an image in the viewer costs the server before the browser downloads it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.timing import timed

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
FRAMES = ("sem-databar/images/R5 K3Me3 SiO2_3-3.TIF",
          "sem-nanowires/datasets_NWs-8kMag-fullres_125nm_03_cropped.png",
          "sem-databar/images/sample.01_img08.tif")


def _frame(name: str) -> Path:
    hits = sorted(SHARED.glob(name)) or sorted(SHARED.rglob(Path(name).name))
    if not hits:
        raise SystemExit(f"{name} not found under {SHARED}: see ../shared/data/README.md")
    return hits[0]


def main() -> None:
    from compute.ingest import scan_folder
    from compute.ingest.thumbnails import full_image

    work = Path(tempfile.mkdtemp(prefix="bench-viewer-"))
    try:
        (work / "images").mkdir()
        for name in FRAMES:
            shutil.copy(_frame(name), work / "images")
        dataset = scan_folder(work / "images")
        print("| frame | size | data bar | first render | cached | PNG |")
        print("|---|---|---|---|---|---|")
        for record in dataset.usable:
            for bar in (False, True):
                path, first = timed(lambda r=record, b=bar: full_image(
                    dataset, r, work / "full", keep_data_bar=b))
                _, cached = timed(lambda r=record, b=bar: full_image(
                    dataset, r, work / "full", keep_data_bar=b))
                print(f"| {record.path} | {record.width} x {record.height} | "
                      f"{'shown' if bar else 'cut'} | {1000 * first:.0f} ms | "
                      f"{1000 * cached:.2f} ms | {path.stat().st_size // 1024} KiB |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
