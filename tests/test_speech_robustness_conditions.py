"""The synthetic room of the robustness benchmark (and, later, the augmentation)."""

from __future__ import annotations

import numpy as np
import pytest

from seqclf.audio.augment import room_impulse_response

RATE = 8000


def schroeder_rt60(response: np.ndarray, rate: int) -> float:
    """RT60 from the slope of the backward-integrated energy decay curve, fitted -5 to -35 dB.

    Schroeder's (1965) integration, as ISO 3382 measures a room: the fit starts past the
    direct sound's step and ends well before the truncation bends the curve down.
    """
    energy = np.cumsum(response[::-1].astype(np.float64) ** 2)[::-1]
    decay_db = 10 * np.log10(energy / energy[0])
    fitted = (decay_db <= -5) & (decay_db >= -35)
    t = np.arange(len(response)) / rate
    slope, _ = np.polyfit(t[fitted], decay_db[fitted], 1)
    return -60.0 / slope


@pytest.mark.parametrize("rt60", [0.3, 0.6])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_energy_falls_60_db_over_rt60(rt60: float, seed: int) -> None:
    response = room_impulse_response(rt60, RATE, np.random.default_rng(seed))
    assert schroeder_rt60(response, RATE) == pytest.approx(rt60, rel=0.1)  # fits land within 5%


@pytest.mark.parametrize(("rt60", "rate"), [(0.3, 8000), (0.6, 8000), (0.45, 16000)])
def test_length_is_rt60_and_energy_is_one(rt60: float, rate: int) -> None:
    response = room_impulse_response(rt60, rate, np.random.default_rng(0))
    assert response.shape == (round(rt60 * rate),)
    assert response.dtype == np.float32
    assert np.sum(response.astype(np.float64) ** 2) == pytest.approx(1.0, rel=1e-5)


def test_same_seed_same_response_other_seed_another() -> None:
    first = room_impulse_response(0.3, RATE, np.random.default_rng(7))
    again = room_impulse_response(0.3, RATE, np.random.default_rng(7))
    other = room_impulse_response(0.3, RATE, np.random.default_rng(8))
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


@pytest.mark.parametrize("rt60", [0.3, 0.6])
def test_direct_path_is_the_largest_sample(rt60: float) -> None:
    for seed in range(5):
        response = room_impulse_response(rt60, RATE, np.random.default_rng(seed))
        assert response[0] > 0
        assert np.argmax(np.abs(response)) == 0
        assert np.max(np.abs(response[1:])) < 0.5 * response[0]  # over 6 dB below


@pytest.mark.parametrize("drr_db", [0.0, 10.0])
def test_direct_to_reverberant_ratio(drr_db: float) -> None:
    response = room_impulse_response(
        0.6, RATE, np.random.default_rng(0), direct_to_reverberant_db=drr_db
    ).astype(np.float64)
    ratio_db = 10 * np.log10(response[0] ** 2 / np.sum(response[1:] ** 2))
    assert ratio_db == pytest.approx(drr_db, abs=0.01)


def test_convolving_an_impulse_gives_the_response() -> None:
    from scipy.signal import fftconvolve

    response = room_impulse_response(0.3, RATE, np.random.default_rng(0))
    impulse = np.zeros(100, np.float32)
    impulse[10] = 1.0
    wet = fftconvolve(impulse, response)
    np.testing.assert_allclose(wet[10 : 10 + len(response)], response, atol=1e-6)


@pytest.mark.parametrize(("rt60", "rate"), [(0.0, RATE), (-0.3, RATE), (0.3, 0)])
def test_refuses_a_room_that_cannot_be(rt60: float, rate: int) -> None:
    with pytest.raises(ValueError):
        room_impulse_response(rt60, rate, np.random.default_rng(0))
