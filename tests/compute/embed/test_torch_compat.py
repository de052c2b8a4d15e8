import pytest
import torch

from compute.torch_compat import check_device, check_device_name, import_torchvision


def test_torchvision_models_import_and_run():
    tv = import_torchvision()
    model = tv.models.resnet18(weights=None, num_classes=7).eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 64, 64))
    assert out.shape == (1, 7)


def test_import_is_idempotent():
    assert import_torchvision() is import_torchvision()


@pytest.mark.parametrize("name", ["cpu", "cuda", "cuda:1", "mps"])
def test_supported_device_names_pass(name):
    check_device_name(name)


@pytest.mark.parametrize("name", ["gpu", "CUDA", "cuda:", "cuda:x", "cpu ", ""])
def test_other_device_names_say_which_are_supported(name):
    with pytest.raises(ValueError, match="use cpu, cuda, cuda:N or mps"):
        check_device_name(name)


def test_the_cpu_is_always_usable():
    check_device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_cuda_without_a_cuda_device_says_to_use_the_cpu():
    with pytest.raises(ValueError, match="^device cuda: .*no usable CUDA device; use cpu"):
        check_device("cuda")
    with pytest.raises(ValueError, match="^--device cuda: .* use --device cpu"):
        check_device("cuda", option="--device")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_cuda_index_beyond_the_devices_is_refused():
    check_device("cuda:0")
    with pytest.raises(ValueError, match="only"):
        check_device(f"cuda:{torch.cuda.device_count()}")
