import torch

from compute.torch_compat import import_torchvision


def test_torchvision_models_import_and_run():
    tv = import_torchvision()
    model = tv.models.resnet18(weights=None, num_classes=7).eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 64, 64))
    assert out.shape == (1, 7)


def test_import_is_idempotent():
    assert import_torchvision() is import_torchvision()
