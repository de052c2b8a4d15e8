import numpy as np
import pytest

from compute.scale.metadata import read_tiff_scale, scale_from_tags

tifffile = pytest.importorskip("tifffile")

ZEISS = "\r\n".join(["0", "0", "AP_PIXEL_SIZE", "Image Pixel Size = 2.233 nm",
                     "AP_MAG", "Mag = 20.00 K X", "AP_ACTUALKV", "EHT = 10.00 kV",
                     "AP_WD", "WD = 7.0 mm", "DP_DETECTOR_CHANNEL", "Signal A = InLens"]) + "\r\n"
FEI = ("[User]\r\nDate=12/03/2019\r\n[EBeam]\r\nHV=5000\r\nWD=0.0041\r\n"
       "[Scan]\r\nPixelWidth=2.5e-009\r\nPixelHeight=2.5e-009\r\n")
IMAGE = np.zeros((32, 48), np.uint8)


def _write(path, **kwargs):
    tifffile.imwrite(path, IMAGE, **kwargs)
    return path


def test_zeiss_tag_gives_pixel_size_and_fields(tmp_path):
    path = _write(tmp_path / "zeiss.tif", extratags=[(34118, "s", 0, ZEISS, True)])
    scale = read_tiff_scale(path)
    assert scale.source == "zeiss"
    assert scale.nm_per_pixel == pytest.approx(2.233)
    assert scale.fields.magnification == pytest.approx(20000.0)
    assert (scale.fields.eht_kv, scale.fields.wd_mm) == (10.0, 7.0)
    assert scale.confidence == 1.0


@pytest.mark.parametrize(("text", "nm"), [("Image Pixel Size = 1.5 \u00b5m", 1500.0),
                                          ("Image Pixel Size = 850 pm", 0.85)])
def test_zeiss_pixel_size_units(tmp_path, text, nm):
    blob = ZEISS.replace("Image Pixel Size = 2.233 nm", text)
    # the instrument writes the micro sign as one Latin-1 byte
    path = _write(tmp_path / "z.tif", extratags=[(34118, "s", 0, blob.encode("latin-1"), True)])
    assert read_tiff_scale(path).nm_per_pixel == pytest.approx(nm)


def test_fei_tag_gives_pixel_size_in_nm(tmp_path):
    path = _write(tmp_path / "fei.tif", extratags=[(34682, "s", 0, FEI, True)])
    scale = read_tiff_scale(path)
    assert scale.source == "fei"
    assert scale.nm_per_pixel == pytest.approx(2.5)
    assert scale.fields.eht_kv == pytest.approx(5.0)
    assert scale.fields.wd_mm == pytest.approx(4.1)


def test_imagej_calibration(tmp_path):
    path = _write(tmp_path / "ij.tif", imagej=True, resolution=(20.0, 20.0),
                  metadata={"unit": "um"})
    scale = read_tiff_scale(path)
    assert scale.source == "imagej"
    assert scale.nm_per_pixel == pytest.approx(50.0)


def test_meaningful_resolution_tag(tmp_path):
    path = _write(tmp_path / "r.tif", resolution=(1e5, 1e5), resolutionunit="CENTIMETER")
    scale = read_tiff_scale(path)
    assert scale.source == "resolution"
    assert scale.nm_per_pixel == pytest.approx(100.0)
    assert scale.confidence < 1.0


@pytest.mark.parametrize("dpi", [72, 96, 300, 600])
def test_screen_and_printer_resolutions_are_ignored(tmp_path, dpi):
    path = _write(tmp_path / "r.tif", resolution=(dpi, dpi), resolutionunit="INCH")
    assert read_tiff_scale(path) is None


def test_instrument_tag_wins_over_resolution(tmp_path):
    path = _write(tmp_path / "both.tif", resolution=(1e5, 1e5), resolutionunit="CENTIMETER",
                  extratags=[(34118, "s", 0, ZEISS, True)])
    assert read_tiff_scale(path).source == "zeiss"


def test_fields_without_pixel_size_are_kept():
    blob = "\r\n".join(["AP_MAG", "Mag = 5.00 K X"])
    scale = scale_from_tags({34118: blob})
    assert scale.nm_per_pixel is None
    assert scale.fields.magnification == pytest.approx(5000.0)


def test_non_tiff_and_broken_files_have_no_metadata(tmp_path):
    png = tmp_path / "a.png"
    png.write_bytes(b"not really a png")
    assert read_tiff_scale(png) is None
    broken = tmp_path / "b.tif"
    broken.write_bytes(b"II*\x00garbage")
    assert read_tiff_scale(broken) is None
    plain = _write(tmp_path / "plain.tif")
    assert read_tiff_scale(plain) is None


def test_fei_pixel_width_follows_a_resized_image():
    fei = {"Scan": {"PixelWidth": "2.5e-09"}, "Image": {"ResolutionX": "1024"},
           "EBeam": {"HV": "5000", "HFW": "2.56e-06"}}
    assert scale_from_tags({34682: fei}, image_width=1024).nm_per_pixel == pytest.approx(2.5)
    assert scale_from_tags({34682: fei}, image_width=512).nm_per_pixel == pytest.approx(5.0)


def test_philips_xl_binary_tag_uses_magnification_and_display():
    xl = {"Vector": {"Magnification": 10000.0, "HighTension": 5000.0, "FWD": 4.9},
          "ImageDevice": {"SizeY": 235.0, "RatioXY": 1.333}, "DatabarData": {}}
    scale = scale_from_tags({34680: xl}, image_width=712)
    assert scale.source == "philips-xl" and scale.fields.magnification == 10000.0
    assert scale.nm_per_pixel == pytest.approx(235 * 1.333 * 1e6 / 10000 / 712)
    assert scale.uncertainty > 0.005  # derived, less exact than a stored pixel size


def test_sidecars_and_their_absence(tmp_path):
    from compute.scale.metadata import parse_sidecar, read_metadata_scales

    png = tmp_path / "a.png"
    png.write_bytes(b"")
    assert read_metadata_scales(png) == ()
    (tmp_path / "a.txt").write_text("nothing an instrument writes\n")
    assert read_metadata_scales(png) == ()
    hitachi = parse_sidecar("[SemImageFile]\nPixelSize=24.8\nDataSize=2560x1920\n",
                            image_width=1280)
    assert (hitachi.source, hitachi.nm_per_pixel) == ("hitachi-txt", pytest.approx(49.6))
    jeol = parse_sidecar("$CM_MAG 5000\n$$SM_MICRON_BAR 160\n$$SM_MICRON_MARKER 5um\n")
    assert (jeol.source, jeol.nm_per_pixel) == ("jeol-txt", pytest.approx(5000 / 160))
    assert jeol.fields.magnification == 5000.0
