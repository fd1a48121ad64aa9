"""The synthetic room and missing bands of the robustness benchmark and the training augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from seqclf.audio.augment import (
    Augmentation,
    band_stop,
    change_speed,
    coloured_noise,
    perturb,
    reverberate,
    room_impulse_response,
)
from seqclf.audio.mfcc import FrontEnd
from seqclf.data.splits import Examples
from seqclf.tasks.augmentation import augmented

RATE = 8000
ROOMS = Augmentation(reverb_probability=1.0)


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


def test_reverberate_is_the_full_convolution_rescaled_to_the_dry_peak() -> None:
    # reference: numpy's direct (time-domain) convolution, against the FFT one used
    rng = np.random.default_rng(3)
    dry = (rng.standard_normal(700) * 0.3).astype(np.float32)
    response = room_impulse_response(0.4, RATE, rng)
    wet = reverberate(dry, response)
    reference = np.convolve(dry.astype(np.float64), response.astype(np.float64))
    reference *= np.max(np.abs(dry)) / np.max(np.abs(reference))
    assert wet.dtype == np.float32 and len(wet) == len(dry) + len(response) - 1
    # float32 FFT round-off is ~1e-6 of the peak; a wrong alignment or scale is ~1e-1
    np.testing.assert_allclose(wet, reference, atol=1e-5 * np.max(np.abs(dry)))
    assert np.max(np.abs(wet)) == pytest.approx(np.max(np.abs(dry)), rel=1e-6)


def test_without_rooms_or_masks_perturb_draws_what_it_always_drew() -> None:
    # the options at probability 0 must not consume a random number, so variants made
    # before they existed stay reproducible: speed, padding, SNR, noise, in that order
    word = np.sin(np.arange(4000) * 0.3).astype(np.float32)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        fast = change_speed(word, rng.uniform(0.85, 1.15))
        before, after = (int(rng.uniform(0.0, 0.4) * RATE) for _ in range(2))
        scale = (np.sqrt(np.mean(fast**2)) + 1e-12) * 10 ** (-rng.uniform(10.0, 40.0) / 20)
        padded = np.concatenate([np.zeros(before), fast, np.zeros(after)]).astype(np.float32)
        expected = padded + coloured_noise(len(padded), rng) * scale
        # the same operations on the same numbers: any difference means another draw
        np.testing.assert_allclose(
            perturb(word, RATE, np.random.default_rng(seed)), expected, rtol=0, atol=1e-6
        )


def test_band_stop_removes_its_band_and_keeps_the_rest() -> None:
    t = np.arange(RATE) / RATE  # one second

    def level_db(x: np.ndarray) -> float:
        steady = x[RATE // 4 :]  # past the filter's start-up
        return 10 * np.log10(np.mean(steady**2))

    for centre, octaves in [(500.0, 0.5), (1200.0, 1.0), (2500.0, 0.25)]:
        inside = np.sin(2 * np.pi * centre * t).astype(np.float32)
        far = np.sin(2 * np.pi * centre * 2 ** (octaves / 2 + 1.0) * t).astype(np.float32)
        assert level_db(band_stop(inside, RATE, centre, octaves)) < level_db(inside) - 30
        if centre * 2 ** (octaves / 2 + 1.0) < 0.45 * RATE:  # an octave above the band
            assert level_db(band_stop(far, RATE, centre, octaves)) == pytest.approx(level_db(far), abs=1.0)


def test_a_masked_variant_is_reproducible_and_misses_a_band() -> None:
    # white noise through perturb: a missing band shows as a dip of the spectrum, below
    # the median level by far more than the noise of a flat spectrum's estimate
    noise = np.random.default_rng(1).standard_normal(RATE).astype(np.float32)
    masked = Augmentation(band_stop_probability=1.0, snr_db=(60.0, 60.0), max_pad_seconds=0.0)
    runs = [perturb(noise, RATE, np.random.default_rng(s), masked) for s in (3, 3)]
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-7)
    for seed in range(8):
        variant = perturb(noise, RATE, np.random.default_rng(seed), masked)
        plain = perturb(noise, RATE, np.random.default_rng(seed), Augmentation(snr_db=(60.0, 60.0)))
        for x, dip in ((variant, True), (plain, False)):
            bands = np.abs(np.fft.rfft(x)) ** 2
            usable = bands[len(bands) * 100 // 4000 : len(bands) * 3400 // 4000]  # 100 Hz-3.4 kHz
            # 15 Hz averages: narrower than the narrowest band (1/4 octave at 150 Hz, 26 Hz)
            smoothed = np.convolve(usable, np.ones(15) / 15, mode="valid")
            assert bool(10 * np.log10(smoothed.min() / np.median(smoothed)) < -15) is dip


def test_a_room_variant_is_reproducible_under_its_seed_and_has_a_tail() -> None:
    # a click in a room: its energy is spread over the room's tail, past the dry click
    click = np.zeros(2000, np.float32)
    click[1000] = 1.0
    wet = [perturb(click, RATE, np.random.default_rng(s), ROOMS) for s in (7, 7, 8)]
    np.testing.assert_allclose(wet[0], wet[1], rtol=0, atol=1e-7)
    assert len(wet[0]) != len(wet[2]) or not np.allclose(wet[0], wet[2])

    # the dry variant's click is within +-5 ms of its peak (the resampler's filter), the rest
    # is noise; in a room (RT60 >= 0.1 s) far more energy lies 5-100 ms after the peak
    def late_share(x: np.ndarray) -> float:
        peak = int(np.argmax(np.abs(x)))
        late = x[peak + RATE // 200 : peak + RATE // 10]
        return float(np.sum(late**2) / np.sum(x**2))

    for seed in range(8):  # rooms of RT60 0.1-0.9 s and DRR -3 to +9 dB: 0.09-0.46 here, dry <= 0.03
        room = perturb(click, RATE, np.random.default_rng(seed), ROOMS)
        assert late_share(room) > 3 * late_share(perturb(click, RATE, np.random.default_rng(seed)))


def test_augmented_examples_keep_labels_and_add_room_variants_under_a_seed() -> None:
    rng = np.random.default_rng(0)
    clips = [{"array": (rng.standard_normal(3000) * 0.2).astype(np.float32), "sampling_rate": RATE}]
    examples = Examples(clips * 2, ["a", "b"])
    frontend = FrontEnd(sampling_rate=RATE, max_seconds=2.0)
    plain = augmented(examples, frontend, Augmentation(), seed=5)
    rooms = augmented(examples, frontend, ROOMS, seed=5)
    again = augmented(examples, frontend, ROOMS, seed=5)
    assert plain.labels == rooms.labels == ["a", "b", "a", "b"]
    assert rooms.inputs[:2] == clips * 2  # the originals come first, untouched
    for mine, other in zip(rooms.inputs[2:], again.inputs[2:], strict=True):
        np.testing.assert_allclose(mine["array"], other["array"], rtol=0, atol=1e-7)
    # each room adds its response's length (>= 0.1 s) to the variant
    assert all(
        len(r["array"]) != len(p["array"]) for r, p in zip(rooms.inputs[2:], plain.inputs[2:], strict=True)
    )
