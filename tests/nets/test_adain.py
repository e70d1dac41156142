"""The AdaIN operation and the decoder."""

from __future__ import annotations

import torch

from stylekit.nets.adain import Decoder, adain, adain_from_stats, mean_std, pad_to_multiple


def test_mean_std_by_hand() -> None:
    f = torch.tensor([[[[1.0, 3.0]], [[2.0, 2.0]]]])  # two channels, two pixels
    mean, std = mean_std(f, eps=0.0)
    torch.testing.assert_close(mean.flatten(), torch.tensor([2.0, 2.0]))
    torch.testing.assert_close(std.flatten(), torch.tensor([1.0, 0.0]))


def test_adain_gives_the_style_statistics_and_keeps_the_content_pattern() -> None:
    torch.manual_seed(0)
    content = torch.randn(2, 8, 6, 7) * 3 + 1
    style = torch.randn(1, 8, 9, 5) * 0.5 - 2
    out = adain(content, style)
    out_mean, out_std = mean_std(out)
    style_mean, style_std = mean_std(style)
    torch.testing.assert_close(out_mean, style_mean.expand_as(out_mean), atol=1e-5, rtol=0)
    torch.testing.assert_close(out_std, style_std.expand_as(out_std), atol=1e-3, rtol=1e-3)
    normalise = lambda t: (t - mean_std(t)[0]) / mean_std(t)[1]  # noqa: E731
    torch.testing.assert_close(normalise(out), normalise(content), atol=1e-3, rtol=1e-3)


def test_adain_with_its_own_statistics_is_the_identity() -> None:
    content = torch.randn(1, 4, 5, 5)
    torch.testing.assert_close(adain(content, content), content, atol=1e-4, rtol=1e-4)
    m, s = mean_std(content)
    torch.testing.assert_close(adain_from_stats(content, m, s), content, atol=1e-4, rtol=1e-4)


def test_decoder_mirrors_the_encoder() -> None:
    decoder = Decoder((16, 8, 4))
    assert decoder(torch.randn(1, 512, 8, 10)).shape == (1, 3, 64, 80)
    full = Decoder()
    assert 3.4e6 < sum(p.numel() for p in full.parameters()) < 3.6e6  # the paper's 3.5 M
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in full.modules())


def test_pad_to_multiple() -> None:
    x = torch.rand(1, 3, 30, 41)
    padded = pad_to_multiple(x)
    assert padded.shape[-2:] == (32, 48)
    torch.testing.assert_close(padded[..., :30, :41], x)


def test_the_decoder_is_rebuilt_from_its_metadata() -> None:
    import pytest

    from stylekit.nets.adain import Decoder, DecoderSpec

    decoder = Decoder((16, 8, 4))
    again = Decoder.from_metadata({**decoder.spec.to_metadata(), "steps": "10"})
    assert again.spec == decoder.spec == DecoderSpec((16, 8, 4))
    assert [p.shape for p in again.parameters()] == [p.shape for p in decoder.parameters()]
    with pytest.raises(ValueError, match="3 widths"):
        DecoderSpec.from_metadata({"architecture": "adain-decoder", "widths": "16,8"})
    with pytest.raises(ValueError, match="johnson-transformer"):
        DecoderSpec.from_metadata({"architecture": "johnson-transformer", "widths": "1,1,1"})
