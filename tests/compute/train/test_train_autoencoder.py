import numpy as np
import pytest

from compute.train.autoencoder import (
    AutoencoderOptions,
    build_autoencoder,
    encode,
    load_autoencoder,
    train_autoencoder,
)
from compute.train.checkpoint import load_backbone
from tests.compute.train_toys import one_torch_thread  # noqa: F401


def _curved(n=300, seed=0):
    """Points on a 2-D curved sheet embedded in 20 dimensions."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(-1, 1, (n, 2))
    basis = rng.normal(size=(4, 20))
    return (np.c_[t, np.sin(3 * t[:, :1]), t[:, 1:] ** 2] @ basis).astype(np.float32)


def test_reconstruction_error_falls_and_codes_have_the_code_size(tmp_path):
    options = AutoencoderOptions(hidden=(16, 8), code_dim=3, epochs=15, batch_size=32)
    result = train_autoencoder(_curved(), out=tmp_path / "ae.pt", options=options)
    mse = [h["reconstruction_mse"] for h in result.metadata.history]
    assert mse[-1] < 0.5 * mse[0]
    assert result.codes.shape == (300, 3) and result.codes.dtype == np.float32
    model, meta = load_autoencoder(result.checkpoint)
    assert meta.feature_dim == 3 and meta.params["input_dim"] == 20
    np.testing.assert_allclose(encode(model, _curved()), result.codes, rtol=1e-5, atol=1e-5)


def test_tied_decoder_reuses_the_first_encoder_matrix():
    import torch

    model = build_autoencoder(12, hidden=(6,), code_dim=2, tied=True)
    names = [n for n, _ in model.named_parameters()]
    assert not any(n.startswith("decoder.") and p.shape == (12, 6)
                   for n, p in model.named_parameters())
    assert "out_bias" in names
    assert model(torch.zeros(3, 12)).shape == (3, 12)


def test_resume_continues_the_same_run(tmp_path):
    x = _curved(120)
    full = train_autoencoder(x, out=tmp_path / "a.pt",
                             options=AutoencoderOptions(hidden=(8,), code_dim=2, epochs=4))
    train_autoencoder(x, out=tmp_path / "b.pt",
                      options=AutoencoderOptions(hidden=(8,), code_dim=2, epochs=2))
    resumed = train_autoencoder(x, out=tmp_path / "b.pt", resume=True,
                                options=AutoencoderOptions(hidden=(8,), code_dim=2, epochs=4))
    assert resumed.metadata.history == full.metadata.history
    np.testing.assert_array_equal(resumed.codes, full.codes)


def test_bad_inputs_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="code size"):
        train_autoencoder(_curved(20), out=tmp_path / "c.pt",
                          options=AutoencoderOptions(code_dim=20))
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        train_autoencoder(np.zeros(5), out=tmp_path / "c.pt")
    bad = _curved(20)
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        train_autoencoder(bad, out=tmp_path / "c.pt")


def test_an_autoencoder_is_not_an_image_backbone(tmp_path):
    result = train_autoencoder(_curved(50), out=tmp_path / "ae.pt",
                               options=AutoencoderOptions(hidden=(8,), code_dim=2, epochs=1))
    with pytest.raises(ValueError, match="autoencoder"):
        load_backbone(result.checkpoint)
